"""`symbptt crosscheck`: every lambdified symbolic form and every exact engine algorithm on
the same random numbers (DESIGN.md, CLI).

Every test calls ``symbptt.cli.main(argv)`` in-process (it returns the exit code) and reads
stdout/stderr through pytest's ``capsys``.

Exit codes: 0 every method agrees within the tolerance (1e-10 relative in float64, 1e-4 in
float32); 1 a genuine mismatch; 2 bad input, with exactly one line on stderr starting
"symbptt: error:", no traceback anywhere and nothing on stdout.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
from pathlib import Path

import numpy as np
import pytest

from symbptt.cli import main

from .cli_helpers import assert_bad_input, run
from symbptt.numeric import cells

TOL64 = 1e-10
SYMBOLIC_FORMS = ("direct", "recursive", "closed_form")
EXACT_ENGINE = ("engine_full", "engine_path_sum", "engine_forward_mode", "engine_truncated")
SIZE_FLAGS = {"n": "--hidden", "d": "--input", "q": "--output"}
SIZES = {"n": 3, "d": 2, "q": 4}          # all different, so a swapped shape shows
MODELS = Path(__file__).parent / "models"


# --------------------------------------------------------------------------- helpers

def run_json(capsys, argv, expect=0):
    """main(argv + --json): the exit code must be `expect`; returns (parsed JSON, stdout)."""
    code, out, err = run(capsys, [*argv, "--json"])
    assert code == expect, (code, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    return json.loads(out), out




def model_dims(capsys):
    """name -> the dims the model has, from `symbptt models --json` (key "dims")."""
    code, out, _ = run(capsys, ["models", "--json"])
    assert code == 0
    return {m["name"]: list(m["dims"]) for m in json.loads(out)["models"]}


def dims_flags(dims):
    """Only the size flags the model has."""
    return [a for sym in dims for a in (SIZE_FLAGS[sym], SIZES[sym])]


# --------------------------------------------------------------------------- every model

SYMBOLIC_MODELS = [("scalar_linear", None), ("linear_half_square", None), ("d2l_linear", None),
                   ("elman", "tanh"), ("elman", "sigmoid"), ("elman", "identity"),
                   ("elman_softmax", None), ("residual", None),
                   ("gru", None), ("gru_torch", None), ("lstm", None), ("attention", None)]


@pytest.mark.parametrize("model, activation", SYMBOLIC_MODELS,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_every_numeric_model_agrees(capsys, model, activation):
    dims = model_dims(capsys)[model]
    T = 3 if model in ("scalar_linear", "elman") else 2
    argv = ["crosscheck", model, "--T", T, *dims_flags(dims), "--seed", 7]
    if activation:
        argv += ["--activation", activation]
    code, out, err = run(capsys, [*argv, "--json"])
    assert code == 0, (code, out, err)
    assert err == ""
    r = json.loads(out)

    assert r["model"] == model and r["T"] == T and r["seed"] == 7
    assert r["dims"] == {sym: SIZES[sym] for sym in dims}
    if activation:
        assert r["options"]["activation"] == activation
    assert r["agree"] is True
    assert r["max_rel_diff"] and all(v <= TOL64 for v in r["max_rel_diff"].values()), \
        r["max_rel_diff"]
    assert set(r["max_abs_diff"]) == set(r["max_rel_diff"])
    assert np.isfinite(r["loss"])
    assert r["estimates_rel_diff"] == {}

    # inputs T x d for batch 1 (a scalar model: T numbers)
    X = np.asarray(r["inputs"])
    assert X.shape == ((T,) if "d" not in dims else (T, SIZES["d"]))

    # every exact engine algorithm is there, each with every parameter
    for m in EXACT_ENGINE:
        assert m in r["grads"], list(r["grads"])
        assert set(r["params"]) <= set(r["grads"][m])
        for name, v in r["params"].items():
            assert np.shape(r["grads"][m][name]) == np.shape(v), (m, name)

    assert r["symbolic_forms"] is True
    for form in SYMBOLIC_FORMS:
        assert form in r["grads"], list(r["grads"])
        assert set(r["params"]) <= set(r["grads"][form])
    assert r["reference"] == "direct"


def test_text_output_says_agree(capsys):
    code, out, err = run(capsys, ["crosscheck", "elman", "--T", 2])
    assert code == 0 and err == ""
    assert "AGREE" in out and "DISAGREE" not in out


def test_attention_is_cross_checked_through_lambdify(capsys):
    code, out, err = run(capsys, ["crosscheck", "attention", "--T", 3, "--hidden", 2,
                                  "--input", 3, "--output", 2])
    assert code == 0 and err == ""
    assert "AGREE" in out and "recursive, closed_form" in out


# --------------------------------------------------------------------------- recomputation

def _elman_tanh_bptt(W, U, b, X, Y):
    """Hand-written BPTT: h_t = tanh(W h_{t-1} + U x_t + b), h_0 = 0,
    L = sum_t 1/2 ||h_t - y_t||^2. Returns loss, dW, dU, db, dX."""
    T = X.shape[0]
    n = W.shape[0]
    H = np.zeros((T + 1, n))
    for t in range(T):
        H[t + 1] = np.tanh(W @ H[t] + U @ X[t] + b)
    loss = 0.5 * float(np.sum((H[1:] - Y) ** 2))
    dW, dU, db, dX = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b), np.zeros_like(X)
    carry = np.zeros(n)                             # dL/dh_t from later steps
    for t in range(T - 1, -1, -1):
        dh = (H[t + 1] - Y[t]) + carry
        da = (1.0 - H[t + 1] ** 2) * dh
        dW += np.outer(da, H[t])
        dU += np.outer(da, X[t])
        db += da
        dX[t] = U.T @ da
        carry = W.T @ da
    return loss, dW, dU, db, dX


def test_json_holds_everything_to_recompute_the_gradient(capsys):
    r, _ = run_json(capsys, ["crosscheck", "elman", "--T", 4, "--hidden", 3, "--input", 2,
                             "--activation", "tanh", "--seed", 11])
    W, U, b = (np.asarray(r["params"][k], dtype=float) for k in ("W", "U", "b"))
    X = np.asarray(r["inputs"], dtype=float)
    Y = np.asarray(r["targets"], dtype=float)
    assert W.shape == (3, 3) and U.shape == (3, 2) and b.shape == (3,)
    assert X.shape == (4, 2) and Y.shape == (4, 3)

    loss, dW, dU, db, dX = _elman_tanh_bptt(W, U, b, X, Y)
    assert abs(loss - r["loss"]) <= TOL64 * max(1.0, abs(loss))
    direct = r["grads"]["direct"]
    for name, mine in (("W", dW), ("U", dU), ("b", db), ("x", dX)):
        theirs = np.asarray(direct[name], dtype=float)
        assert theirs.shape == mine.shape, name
        np.testing.assert_allclose(theirs, mine, rtol=TOL64, atol=TOL64 * np.max(np.abs(mine)),
                                   err_msg=name)


# --------------------------------------------------------------------------- batch, seed

def test_batch_inputs_are_B_by_T_by_d(capsys):
    r, _ = run_json(capsys, ["crosscheck", "elman", "--T", 3, "--hidden", 3, "--input", 2,
                             "--batch", 3])
    assert r["batch"] == 3
    assert np.shape(r["inputs"]) == (3, 3, 2)
    assert np.shape(r["targets"]) == (3, 3, 3)
    assert np.shape(r["grads"]["direct"]["x"]) == (3, 3, 2)
    assert r["agree"] is True


def test_same_seed_same_json_other_seed_other_params(capsys):
    argv = ["crosscheck", "d2l_linear", "--T", 2, "--hidden", 3, "--input", 2, "--output", 4]
    a, out_a = run_json(capsys, [*argv, "--seed", 5])
    b, out_b = run_json(capsys, [*argv, "--seed", 5])
    assert out_a == out_b
    c, _ = run_json(capsys, [*argv, "--seed", 6])
    assert c["params"] != a["params"]
    assert c["seed"] == 6


# --------------------------------------------------------------------------- options

def test_float32_agrees_within_its_tolerance(capsys):
    r, _ = run_json(capsys, ["crosscheck", "elman", "--T", 3, "--dtype", "float32"])
    assert r["dtype"] == "float32"
    assert r["agree"] is True
    assert all(v <= 1e-4 for v in r["max_rel_diff"].values())


def test_tau_below_T_makes_truncated_an_estimate(capsys):
    r, _ = run_json(capsys, ["crosscheck", "elman", "--T", 4, "--tau", 1])
    assert r["agree"] is True
    est = r["estimates_rel_diff"]
    assert "engine_truncated" in est
    assert max(est["engine_truncated"].values()) > 1e-6
    assert "engine_randomized" not in r["grads"]


def test_tau_at_least_T_is_exact(capsys):
    r, _ = run_json(capsys, ["crosscheck", "elman", "--T", 3, "--tau", 5])
    assert r["agree"] is True
    assert r["estimates_rel_diff"] == {}
    assert "engine_truncated" in r["grads"]


def test_pi_half_adds_randomized_as_an_estimate(capsys):
    r, _ = run_json(capsys, ["crosscheck", "elman", "--T", 4, "--pi", 0.5])
    assert r["agree"] is True
    assert "engine_randomized" in r["estimates_rel_diff"]
    assert "engine_randomized" in r["grads"]


def test_pi_one_is_full_bptt_and_counted(capsys):
    r, _ = run_json(capsys, ["crosscheck", "elman", "--T", 4, "--pi", 1])
    assert r["agree"] is True
    assert "engine_randomized" in r["grads"]
    assert "engine_randomized" not in r["estimates_rel_diff"]
    for name, v in r["grads"]["engine_full"].items():
        np.testing.assert_allclose(r["grads"]["engine_randomized"][name], v, rtol=0, atol=0)


# --------------------------------------------------------------------------- bad input

BAD_INPUT = [
    (["elman", "--T", 0], "--T"),
    (["elman", "--T", 2, "--batch", 0], "--batch"),
    (["elman", "--T", 2, "--batch", -2], "--batch"),
    (["elman", "--T", 2, "--seed", "abc"], "--seed"),
    (["elman", "--T", 2, "--seed", 1.5], "--seed"),
    (["elman", "--T", 2, "--seed", -1], "--seed"),
    (["elman", "--T", 2, "--tau", 0], "--tau"),
    (["elman", "--T", 2, "--tau", -5], "--tau"),
    (["elman", "--T", 2, "--pi", 0], "--pi"),
    (["elman", "--T", 2, "--pi", 1.5], "--pi"),
    (["elman", "--T", 2, "--pi", "nan"], "--pi"),
    (["elman", "--T", 2, "--pi", "inf"], "--pi"),
    (["elman", "--T", 2, "--dtype", "float16"], "float16"),
    (["no_such_model", "--T", 2], "no_such_model"),
    (["generic", "--T", 2], "generic"),
    (["elman", "--T", 2, "--output", 3], "--output"),
    (["lstm", "--T", 2, "--activation", "tanh"], "activation"),
]


@pytest.mark.parametrize("argv, contains", BAD_INPUT, ids=lambda v: " ".join(map(str, v))
                         if isinstance(v, list) else None)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_bad_input_exit_2_one_line(capsys, argv, contains, as_json):
    code, out, err = run(capsys, ["crosscheck", *argv, *(["--json"] if as_json else [])])
    assert_bad_input(code, out, err, contains)


# --------------------------------------------------------------------------- a real mismatch

def _elman_without_transpose():
    """elman/tanh whose J_t^T g is J_t g: W where W^T belongs (the missing-transpose slip).
    back, through and vjp stay consistent, so every engine algorithm makes the same slip."""
    good = cells.elman_cell("tanh")
    slope = cells.ACTIVATIONS["tanh"][1]

    def back(P, st, g):
        return ((slope(st.s[0]) * g[0]) @ P["W"].T,)

    def vjp(P, st, g):
        return (back(P, st, g), *good.through(P, st, g))

    return dataclasses.replace(good, name="elman/tanh-no-transpose", back=back, vjp=vjp,
                               through=good.through)


def test_a_wrong_vjp_is_exit_1(capsys, monkeypatch):
    bad = _elman_without_transpose()
    cc = importlib.import_module("symbptt.crosscheck")   # the module (symbptt.crosscheck: the verb)
    real = cc.cell_for

    def cell_for(model, activation=None):
        return bad if getattr(model, "name", model) == "elman" else real(model, activation)

    monkeypatch.setattr(cc, "cell_for", cell_for)
    argv = ["crosscheck", "elman", "--T", 3, "--hidden", 3, "--input", 2, "--seed", 3]
    r, _ = run_json(capsys, argv, expect=1)
    assert r["agree"] is False
    assert max(r["max_rel_diff"].values()) > TOL64
    # the engine algorithms agree with each other (same slip): the symbolic forms catch it
    full = r["grads"]["engine_full"]
    for m in ("engine_path_sum", "engine_forward_mode"):
        for name in full:
            if name in r["grads"][m]:
                np.testing.assert_allclose(r["grads"][m][name], full[name], rtol=1e-10,
                                           atol=1e-12)
    code, out, err = run(capsys, argv)
    assert code == 1 and "DISAGREE" in out and "Traceback" not in err


def test_overflow_is_reported_as_such_not_as_a_mismatch(capsys, monkeypatch):
    # exploding weights: NaN/inf in the engine is bad input (exit 2, one line), never "disagree"
    import importlib
    cc = importlib.import_module("symbptt.crosscheck")     # symbptt.crosscheck is the verb
    real_draw = cc.data.draw

    def exploding(*args, **kwargs):
        pr = real_draw(*args, **kwargs)
        params = dict(pr.params)
        params["W"] = params["W"] * 1e200
        return cc.data.Problem(params, pr.X * 1e200, pr.Y)

    monkeypatch.setattr(cc.data, "draw", exploding)
    code = main(["crosscheck", "elman", "--activation", "identity", "--T", "4"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "NaN or inf" in err and "not" in err


# --------------------------------------------------------------------------- numeric honesty
# issue 14, item 5: a sharp softmax, a gradient that is exactly 0, garbage in one method

@pytest.mark.parametrize("scale", [60, 300])
def test_a_sharp_softmax_readout_agrees(capsys, scale):
    """softmax(scale V h_t) at n = 8 (seed 2: logits from -268 to 307 at scale 300). The
    lambdified direct form used to evaluate the softmax's exps as written: products of
    them left float64's range and its gradient was off by up to 34 in 290 (DISAGREE, 1.3e9
    times the tolerance); the engine, which shifts by the largest logit, was right."""
    argv = ["crosscheck", MODELS / f"softmax_readout_{scale}.toml", "--T", 2, "--hidden", 8,
            "--input", 4, "--output", 4, "--batch", 4, "--seed", 2]
    r, _ = run_json(capsys, argv)
    assert r["agree"] is True, r["tolerance_ratio"]
    assert all(v <= 1 for v in r["tolerance_ratio"].values())
    full = r["grads"]["engine_full"]
    for form in SYMBOLIC_FORMS:
        for name, v in full.items():
            # right to rounding, not only within the tolerance
            np.testing.assert_allclose(r["grads"][form][name], v, rtol=1e-12,
                                       atol=1e-13 * scale, err_msg=f"{form} {name}")
    code, out, err = run(capsys, argv)
    assert code == 0 and "AGREE" in out and "DISAGREE" not in out


def test_every_true_gradient_zero_agrees_on_rounding_noise(capsys):
    """elman_softmax with q = 1: softmax of one logit is 1 = y_t, so every true gradient is 0;
    the direct form gives 0 exactly, the engine 1e-16 of noise (yhat - y = 1 - 1 rounded).
    A relative test alone called that DISAGREE (max rel 1.0 on 3e-17)."""
    argv = ["crosscheck", "elman_softmax", "--output", 1, "--T", 3]
    r, _ = run_json(capsys, argv)
    assert r["agree"] is True, r["tolerance_ratio"]
    for m in ("direct", "engine_full"):
        assert all(np.max(np.abs(v)) < 1e-15 for v in r["grads"][m].values()), m
    assert max(r["max_abs_diff"].values()) < 1e-14        # noise, and it is there
    assert max(r["max_abs_diff"].values()) > 0
    # |a - b| <= rtol max(|a|, |b|) + atol s: tolerance (rtol), atol and s are in the JSON
    assert r["tolerance"] == 1e-10 and r["atol"] == 1e-10
    assert set(r["abs_scale"]) == set(r["max_abs_diff"])
    assert all(0 < s < 10 for s in r["abs_scale"].values())   # the O(1) forward values
    code, out, err = run(capsys, argv)
    assert code == 0 and "AGREE" in out and "DISAGREE" not in out


def test_a_garbage_method_cannot_widen_the_tolerance(capsys, monkeypatch):
    """s takes in the whole gradient, but the smallest over the methods: a direct dL/dW 1e25
    off (what the naive softmax gave at scale 300 on the issue's model) must not make the
    atol of b 1e15, and so hide a direct dL/db off by 1e-3."""
    cc = importlib.import_module("symbptt.crosscheck")
    real = cc._symbolic

    def garbage(*args, **kwargs):
        out = real(*args, **kwargs)
        out["direct"]["W"] = out["direct"]["W"] + 1e25
        out["direct"]["b"] = out["direct"]["b"] + 1e-3
        return out

    monkeypatch.setattr(cc, "_symbolic", garbage)
    r, _ = run_json(capsys, ["crosscheck", "elman", "--T", 2, "--hidden", 3], expect=1)
    assert r["agree"] is False
    assert all(s < 10 for s in r["abs_scale"].values()), r["abs_scale"]
    assert r["tolerance_ratio"]["W"] > 1e9 and r["tolerance_ratio"]["b"] > 1e6
    assert r["tolerance_ratio"]["U"] <= 1 and r["tolerance_ratio"]["x"] <= 1


def test_a_nan_in_one_method_is_a_disagreement(capsys, monkeypatch):
    cc = importlib.import_module("symbptt.crosscheck")
    real = cc._symbolic

    def nan(*args, **kwargs):
        out = real(*args, **kwargs)
        out["recursive"]["b"] = out["recursive"]["b"] * np.nan
        return out

    monkeypatch.setattr(cc, "_symbolic", nan)
    code, out, err = run(capsys, ["crosscheck", "elman", "--T", 2])
    assert code == 1 and "DISAGREE" in out and "worst b: nan" in out


def test_a_long_sequence_skips_the_quadratic_algorithms_and_says_so():
    """Issue 18: crosscheck --T 10000 ran the naive path sum (quadratic in T) for 10 min."""
    from symbptt.crosscheck import PATH_LIMIT, crosscheck, quadratic_steps, report_text
    from symbptt.model.registry import get_model
    from symbptt.model.spec import Dims
    assert quadratic_steps(3000, 3000, 1) > PATH_LIMIT >= quadratic_steps(1000, 1000, 1)
    r = crosscheck(get_model("elman"), 3000, Dims(2, 2))
    assert r.agree and "engine_path_sum" not in r.grads and r.paths == 0
    assert "the path sum and the truncated window are skipped" in r.note
    assert "naive path sum: skipped" in report_text(r)


def test_the_engine_estimate_is_quadratic_in_the_batch_and_refused_past_the_budget():
    """Issue 18: --batch 4096 had no estimate; forward mode takes a VJP per example and
    state entry, each over the whole batch."""
    from symbptt.crosscheck import crosscheck, engine_estimate
    from symbptt.errors import TooExpensive
    from symbptt.model.registry import get_model
    from symbptt.model.spec import Dims
    elman = get_model("elman")
    small, large = (engine_estimate(elman, 8, Dims(16, 2), b).seconds for b in (64, 4096))
    assert large / small > 64 * 10
    assert engine_estimate(elman, 8, Dims(8, 2), 512).seconds < 10     # measured 1.8 s
    with pytest.raises(TooExpensive, match=r"batch 4096.*--budget SECONDS.*--force"):
        crosscheck(elman, 10000, Dims(2, 2), batch=4096)
