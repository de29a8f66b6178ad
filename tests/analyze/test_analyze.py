"""symbptt analyze (symbptt/analyze.py and its command): every part, the seeds' numbers,
the series behind every figure in --json, and bad input."""
from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from symbptt.analyze.parts import analyze
from symbptt.analyze.settings import NUMERIC, PARTS, Settings, parts_for
from symbptt.analyze.views import analysis_json, analysis_text
from symbptt.errors import SymbpttError
from symbptt.numeric import dynamics as nd
from symbptt.model.spec import Dims
from symbptt.model.registry import get_model

from ..cli_helpers import assert_bad_input, run


def _run(model, **kw):
    return analyze(get_model(model), Settings(model, **kw))


@pytest.fixture(scope="module")
def linear():
    """The exploding linear example of the dynamics document, every part."""
    return _run("linear_half_square", T=20, weights="radius", scale=1.2, draws=2000)


@pytest.fixture(scope="module")
def elman():
    return _run("elman", T=30, dims=Dims(8, 4, 2), weights="norm", scale=0.9)


# --------------------------------------------------------------------------- which parts

def test_parts_for_each_model():
    assert parts_for("elman") == ("jacobians", "residual", "clip", "cost")
    assert parts_for("linear_half_square") == ("jacobians", "eigen", "orthogonal",
                                               "truncation", "randomized", "clip", "cost")
    assert parts_for("d2l_linear") == ("jacobians", "eigen", "orthogonal", "clip", "cost")
    assert parts_for("attention") == ("clip", "cost", "attention")
    assert parts_for("gru") == ("clip", "cost")
    for part, models in PARTS.items():
        assert set(models) <= set(NUMERIC), part


def test_every_part_of_the_linear_model_runs(linear):
    assert tuple(linear.parts) == parts_for("linear_half_square")
    assert all(p.get("holds", True) for p in linear.parts.values()), \
        {k: p.get("holds") for k, p in linear.parts.items()}


# --------------------------------------------------------------------------- 1. Jacobians

def test_jacobian_products_obey_the_bound_at_every_lag(elman):
    # 001_1e08c73fd0114278.txt: ||prod J|| <= prod ||diag(phi')|| ||W|| <= (c s)^(T-k)
    p = elman.parts["jacobians"]
    assert p["lags"] == list(range(1, 30))
    assert p["s"] == pytest.approx(0.9)
    for norm, tight, loose in zip(p["norms"], p["slope_bound"], p["cs_bound"]):
        assert norm <= tight * (1 + 1e-9) and tight <= loose * (1 + 1e-9)
    # the bound's direction: c s < 1, so the products vanish at least like (c s)^(T-k)
    assert p["cs"] < 1 and p["regime"].startswith("vanishing")
    assert p["rate"] <= p["bound_rate"] < 0
    assert p["bound_rate"] == pytest.approx(math.log(p["cs"]))


def test_the_lag_option_cuts_the_series():
    r = _run("elman", T=12, lag=5, parts=("jacobians", "residual"))
    assert r.parts["jacobians"]["lags"] == [1, 2, 3, 4, 5]
    assert r.parts["residual"]["lags"] == [1, 2, 3, 4, 5]


def test_a_violated_bound_stops_the_command_as_a_bug(monkeypatch, capsys):
    def broken(model, lag, norm, tight, loose):
        raise nd.BoundViolated(f"seed 001's bound fails for {model} at lag {lag}")
    monkeypatch.setattr(nd, "_check_bound", broken)
    code, out, err = run(capsys, ["analyze", "elman", "--T", "5", "--part", "jacobians"])
    assert code == 3 and out == ""
    assert err.startswith("symbptt: BUG: seed 001's bound fails for elman")


# --------------------------------------------------------------------------- 2.

def test_exploding_along_the_eigenvector_grows_like_lambda_to_the_m():
    # 001_1e08c73fd0114278.txt: a normal W with |lambda| > 1: the component along its
    # eigenvector grows like |lambda|^m
    r = _run("linear_half_square", T=15, weights="radius", scale=1.3, parts=("eigen",))
    p = r.parts["eigen"]
    assert p["eigenvalue"] == pytest.approx(1.3)
    assert p["fitted_factor"] == pytest.approx(1.3, rel=1e-9) and p["holds"]
    c = p["components"]
    assert all(b == pytest.approx(1.3 * a, rel=1e-9) for a, b in zip(c, c[1:]))


def test_orthogonal_W_keeps_the_norm_numerically_and_proven(linear):
    p = linear.parts["orthogonal"]
    assert p["max_deviation"] < 1e-12
    assert p["rotation_proven"] and not p["scaled_rotation_proven"]
    assert p["scaled_1.1"][-1] == pytest.approx(1.1 ** 19)


def test_the_orthogonal_option_sets_the_recurrent_matrix():
    r = _run("linear_half_square", T=10, weights="orthogonal", parts=("jacobians",))
    p = r.parts["jacobians"]
    assert p["s"] == pytest.approx(1.0)
    assert all(n == pytest.approx(1.0) for n in p["norms"])     # W^m stays orthogonal


def test_the_residual_cell_does_not_vanish_where_elman_does(elman):
    # 001_1e08c73fd0114278.txt: J_t = I + diag(phi') W against diag(phi') W, same weights
    p = elman.parts["residual"]
    assert p["elman"][-1] < 1e-6 < 1 < p["residual"][-1]
    assert p["elman_rate"] < 0 < p["residual_rate"]
    assert p["elman"] == elman.parts["jacobians"]["norms"]


# --------------------------------------------------------------------------- 3., 4.

def test_truncation_bias_is_proven_and_cuts_far_inputs(linear):
    # 000_34d5c3a04c2f29d4.txt, 001_1e08c73fd0114278.txt: truncated BPTT (detach) is biased;
    # an input k or more steps back gets exactly 0
    p = linear.parts["truncation"]
    assert p["T"] == 8 and p["windows"] == [1, 2, 3, 4] and p["window"] == 2
    assert all(v["closed_form_proven"] and v["cut_inputs_zero"] for v in p["proofs"].values())
    assert p["engine_max_rel_diff"] < 1e-12
    # with x_t = 1 every term is positive: the bias grows with a and shrinks with k
    for k in p["windows"]:
        b = p["bias"][str(k)]
        assert b[0] == 0 and all(x < y for x, y in zip(b[1:], b[2:])), k
    for i in range(1, len(p["a"])):
        col = [p["bias"][str(k)][i] for k in p["windows"]]
        assert all(x > y for x, y in zip(col, col[1:])), p["a"][i]


def test_randomized_truncation_is_unbiased(linear):
    # 002_f9c6515e77627858.txt: E[xi_t] = 1 and E[z_t] = dh_t/dw_h
    p = linear.parts["randomized"]
    assert p["expectation_of_xi"] == "1"
    assert p["unbiased_proven"] and p["variance_closed_form_proven"]
    assert p["exact_mean"] == p["full"]
    i = p["pi"].index(0.5)
    assert p["chosen_exact_variance"] == p["exact_variance"][i] > 0
    # the engine's Monte Carlo within 5 standard errors of the exact moments
    se = math.sqrt(p["exact_variance"][i] / p["mc_draws"][i])
    assert abs(p["mc_mean"][i] - p["full"]) < 5 * se
    assert p["mc_variance"][i] == pytest.approx(p["exact_variance"][i], rel=0.25)
    # pi = 1 is plain BPTT: no variance at all
    assert p["exact_variance"][p["pi"].index(1.0)] == 0


# --------------------------------------------------------------------------- 5. clipping

def test_clipping_caps_the_norm_and_keeps_the_direction(linear):
    # 001_1e08c73fd0114278.txt: g~ = min(1, c/||g||) g, on an exploding example
    p = linear.parts["clip"]
    assert p["norm_before"] > 1e3 and p["clipped"]
    assert p["norm_after"] == pytest.approx(1.0) and p["angle_degrees"] < 1e-9
    assert all(a <= min(c, p["norm_before"]) * (1 + 1e-12)
               for a, c in zip(p["norms_after"], p["thresholds"]))
    assert p["unchanged_thresholds"] > 0 and p["unchanged_all"]


def test_clipping_leaves_a_gradient_below_the_threshold_unchanged():
    # 001_1e08c73fd0114278.txt: ||g|| <= c: g~ = g
    r = _run("elman", T=6, clip=1e6, parts=("clip",))
    p = r.parts["clip"]
    assert not p["clipped"] and p["unchanged_below_threshold"] is True
    assert p["norm_after"] == p["norm_before"] and p["factor"] == 1.0


# --------------------------------------------------------------------------- 6., 7.

def test_cost_counts_55_paths_at_T_10(elman):
    # 000_34d5c3a04c2f29d4.txt: the naive path sum visits T(T+1)/2 paths, 55 at T = 10
    p = elman.parts["cost"]
    assert p["T"] == [5, 10, 20, 40]
    assert p["paths"] == p["formula"] == [15, 55, 210, 820]
    assert p["bptt_vjp_calls"] == p["T"]
    assert p["path_sum_vjp_calls"] == [T * (T - 1) // 2 for T in p["T"]]
    assert p["same_gradient"] and all(t > 0 for t in p["bptt_s"] + p["path_sum_s"])


def test_attention_shortcut_does_not_decay():
    # 001_1e08c73fd0114278.txt: the recurrent path to x_{t-tau} decays, the shortcut does not
    p = _run("attention", T=20, parts=("attention",)).parts["attention"]
    assert p["t"] == 20 and p["taus"] == list(range(20))
    assert p["recurrent_rate"] < -0.1 and abs(p["shortcut_rate"]) < 0.1
    assert p["recurrent"][-1] < 1e-3 * p["shortcut"][-1]


# --------------------------------------------------------------------------- weights

def test_given_weights_from_a_values_file(tmp_path):
    W = [[0.5, -0.25], [0.125, 0.75]]
    values = {"params": {"W": W, "U": [[1, 0], [0, 1]], "b": [0, 0.5]},
              "inputs": [[1, 0], [0, 1], [0.5, 0.5], [1, -1]],
              "targets": [[0, 1], [1, 0], [0, 0], [1, 1]]}
    path = tmp_path / "v.json"
    path.write_text(json.dumps(values))
    r = _run("elman", T=4, values=str(path), parts=("jacobians",))
    assert r.settings.dims.n == 2
    assert r.parts["jacobians"]["s"] == pytest.approx(np.linalg.norm(np.array(W), 2))
    r = _run("elman", T=4, values=str(path), weights="norm", scale=2.0, parts=("jacobians",))
    assert r.parts["jacobians"]["s"] == pytest.approx(2.0)


def test_the_same_settings_give_the_same_numbers():
    a = _run("linear_half_square", T=8, weights="radius", scale=1.1, draws=200,
             parts=("jacobians", "eigen", "randomized", "clip"))
    b = _run("linear_half_square", T=8, weights="radius", scale=1.1, draws=200,
             parts=("jacobians", "eigen", "randomized", "clip"))
    assert a.parts == b.parts


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("change, message", [
    (dict(weights="radius", scale=-1.0), "--radius must be a positive number"),
    (dict(weights="radius", scale=0.0), "--radius must be a positive number"),
    (dict(weights="norm", scale=float("nan")), "--norm must be a positive number"),
    (dict(clip=0.0), "clip threshold (--clip) must be a positive number"),
    (dict(clip=float("inf")), "clip threshold (--clip) must be a positive number"),
    (dict(pi=0.0), "pi must be in (0, 1]"),
    (dict(pi=1.5), "pi must be in (0, 1]"),
    (dict(pi=float("nan")), "pi must be in (0, 1]"),
    (dict(lag=20), "--lag must be in 1..19"),
    (dict(lag=0), "--lag must be in 1..19"),
    (dict(window=9), "a window past T"),
    (dict(parts=("attention",)), "the attention part is for attention"),
])
def test_bad_settings_are_one_error(change, message):
    with pytest.raises(SymbpttError) as err:
        _run("linear_half_square", **change)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_models_without_the_option_or_engine():
    with pytest.raises(SymbpttError, match="gru has several"):
        _run("gru", weights="radius", scale=1.0)
    with pytest.raises(SymbpttError, match="no numeric engine"):
        _run("generic")


@pytest.mark.parametrize("argv, message", [
    (["--radius", "-1"], "--radius must be a positive number, got -1.0"),
    (["--radius", "abc"], "--radius"),
    (["--norm", "inf"], "--norm must be a positive number"),
    (["--clip", "0"], "clip threshold (--clip) must be a positive number"),
    (["--clip", "-2.5"], "clip threshold"),
    (["--pi", "0"], "pi must be in (0, 1], got 0.0"),
    (["--pi", "1.01"], "pi must be in (0, 1]"),
    (["--lag", "20"], "--lag must be in 1..19 at T = 20"),
    (["--lag", "x"], "--lag must be a whole number"),
    (["--window", "12"], "a window past T"),
    (["--radius", "2", "--norm", "1"], "not allowed with argument"),
    (["--part", "nonsense"], "invalid choice"),
    (["--T", "1"], "--T must be in 2..2000"),
    (["--values", "/no/such/file.json", "--T", "3"], "does not exist"),
    (["--hidden", "0"], "--hidden must be in"),
])
def test_cli_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, ["analyze", "linear_half_square", *argv])
    assert_bad_input(code, out, err, message)


def test_cli_bad_model_and_plot_target(capsys, tmp_path):
    assert_bad_input(*run(capsys, ["analyze", "nosuch"]), "nosuch")
    f = tmp_path / "file"
    f.write_text("x")
    assert_bad_input(*run(capsys, ["analyze", "elman", "--plot", f]), "not a folder")
    assert f.read_text() == "x"
    assert_bad_input(*run(capsys, ["analyze", "scalar_linear", "--hidden", "3"]),
                     "scalar_linear has no hidden size")


# --------------------------------------------------------------------------- CLI

def test_cli_text(capsys):
    code, out, err = run(capsys, ["analyze", "elman", "--T", "12", "--norm", "0.9"])
    assert (code, err) == (0, "")
    assert out.startswith("elman, T = 12, W scaled to spectral norm 0.9 (seed 0)")
    for part in parts_for("elman"):
        assert f"\n{part}: " in out
    assert "T = 10: 55 paths (T(T+1)/2 = 55)" in out


def test_cli_json_gives_the_series_behind_every_figure(capsys, tmp_path):
    """--json carries every list a figure draws: the figure made from the JSON alone is
    the figure --plot writes."""
    from symbptt.documents.figures import figure
    code, out, err = run(capsys, ["analyze", "linear_half_square", "--T", "10", "--radius",
                                  "1.2", "--draws", "200", "--json", "--plot", tmp_path,
                                  "--part", "jacobians", "--part", "truncation",
                                  "--part", "clip"])
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["model"] == "linear_half_square" and data["T"] == 10
    assert data["weights"] == {"kind": "radius", "value": 1.2, "values_file": None}
    assert list(data["parts"]) == ["jacobians", "truncation", "clip"]
    for name, part in data["parts"].items():
        drawn = (tmp_path / f"linear_half_square-{name}.svg").read_bytes()
        assert figure(name, part, "svg", "linear_half_square") == drawn, name


def test_analysis_json_is_plain_data(linear):
    text = json.dumps(analysis_json(linear))
    assert json.loads(text)["parts"]["randomized"]["expectation_of_xi"] == "1"
    assert "13 part" not in analysis_text(linear)
    assert analysis_text(linear).splitlines()[0] == \
        "linear_half_square, T = 20, W scaled to spectral radius 1.2 (seed 0)"


def test_settings_replace_keeps_defaults():
    s = replace(Settings("elman"), T=7)
    assert (s.T, s.window, s.clip, s.pi, s.last_lag) == (7, 2, 1.0, 0.5, 6)


def test_json_is_strict_even_with_nothing_to_fit(capsys):
    """T = 2 leaves one lag: no rate to fit. The JSON says null, not NaN."""
    code, out, err = run(capsys, ["analyze", "elman", "--T", "2", "--json"])
    assert (code, err) == (0, "")

    def refuse(name):
        raise AssertionError(f"{name} in --json output")
    data = json.loads(out, parse_constant=refuse)
    assert data["parts"]["jacobians"]["rate"] is None
    assert data["parts"]["jacobians"]["lags"] == [1]
