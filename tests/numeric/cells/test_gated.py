"""The gated rule tables (gru, gru_torch, lstm) and the attention RNN in symbptt.numeric.cells.gated.

Checks: every engine algorithm agrees with full BPTT; central finite differences of the
engine's own loss agree with full BPTT; PyTorch autograd on a hand-written torch forward
agrees for all four models; torch.nn.GRU and torch.nn.LSTM themselves agree with gru_torch
and lstm.

Weight mapping to torch.nn.GRU (batch_first=True, one layer; chunks stacked along dim 0,
each n rows):
    weight_ih_l0 = [W_ir; W_iz; W_in]   (3n x d)     bias_ih_l0 = [b_ir; b_iz; b_in]
    weight_hh_l0 = [W_hr; W_hz; W_hn]   (3n x n)     bias_hh_l0 = [b_hr; b_hz; b_hn]
and each chunk of a torch gradient is the gradient of the parameter it holds.

Weight mapping to torch.nn.LSTM (batch_first=True, one layer; torch's gate order is
i, f, g, o, and its g is our c / ctilde):
    weight_ih_l0 = [U_i; U_f; U_c; U_o] (4n x d)     bias_ih_l0 = [b_i; b_f; b_c; b_o]
    weight_hh_l0 = [W_i; W_f; W_c; W_o] (4n x n)     bias_hh_l0 = 0
nn.LSTM adds its two biases, so b = b_ih + b_hh; with b_hh = 0, b_ih is our b, and the
gradient of either torch bias equals the gradient of b. h_0 = c_0 = 0 on both sides.

The seed's gru and PyTorch's gru_torch are different functions. The closest mapping, used
in `seed_gru_from_torch`:
    W_z = -W_hz,  U_z = -W_iz,  b_z = -(b_iz + b_hz)   (sigma(-a) = 1 - sigma(a): the seed's
                                                        z weights the new candidate, torch's
                                                        z the old state, so z_seed = 1 - z_torch)
    W_r =  W_hr,  U_r =  W_ir,  b_r =  b_ir + b_hr
    W_h =  W_hn,  U_h =  W_in,  b_h =  b_in            (torch's b_hn has no seed counterpart:
                                                        it sits inside r * (W_hn h + b_hn))
With this mapping the update gates and the gated sums agree exactly; the candidates differ:
the seed has W_h (r * h_{t-1}), torch has r * (W_hn h_{t-1} + b_hn). They coincide when
b_hn = 0 and W_hn is diagonal (then W (r * h) = r * (W h)), and at t = 1 whenever b_hn = 0
(h_0 = 0); with a full W_hn they part from t = 2 on.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbptt.numeric import engine
from symbptt.numeric.cells import Step, cell_for
from symbptt.numeric.data import draw
from symbptt.numeric.cells.gated import GATED
from symbptt.model.spec import Dims
from symbptt.model.registry import get_model

from ..cases import central_differences

MODELS = ("gru", "gru_torch", "lstm", "attention")
# (T, n, d, q, batch, seed), n, d, q all different
CONFIGS = [(1, 2, 3, 4, 1, 0), (3, 3, 2, 4, 2, 1), (5, 4, 3, 2, 3, 7), (7, 2, 5, 3, 2, 42)]


def problem(model, T, n, d, q, batch, seed):
    pb = draw(get_model(model), T, Dims(n, d, q), seed, batch)
    return cell_for(model), pb.params, pb.X, pb.Y


def rel_err(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


def assert_grads_close(got, want, rtol, what=""):
    assert set(got) == set(want)
    for name in want:
        assert rel_err(got[name], want[name]) <= rtol, (what, name, rel_err(got[name], want[name]))


def engine_loss(cell, P, X, Y):
    """The loss from the engine's own forward pass (no gradient code involved)."""
    steps = engine.forward(cell, P, X)
    return sum(cell.loss(P, s, None if Y is None else Y[:, s.t - 1], len(steps)) for s in steps)


# ---- the rule tables are registered ---------------------------------------------------

def test_gated_registry_covers_the_four_models_with_their_states():
    assert set(GATED) == set(MODELS)
    for name in MODELS:
        assert cell_for(name) is GATED[name]
    assert GATED["lstm"].states == 2
    assert all(GATED[m].states == 1 for m in ("gru", "gru_torch", "attention"))


def test_numeric_side_imports_neither_sympy_nor_symengine():
    code = ("import sys, symbptt.numeric.engine, symbptt.numeric.cells.gated, symbptt.numeric.data, "
            "symbptt.numeric.dynamics; "
            "bad = [m for m in ('sympy', 'symengine') if m in sys.modules]; "
            "sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("model", MODELS)
def test_gradients_have_the_parameter_shapes(model):
    cell, P, X, Y = problem(model, 3, 3, 2, 4, 2, 0)
    g = engine.full(cell, P, X, Y)
    assert {k: v.shape for k, v in g.params.items()} == {k: v.shape for k, v in P.items()}
    assert g.inputs.shape == X.shape and engine.is_finite(g)


# ---- every algorithm agrees with full BPTT --------------------------------------------

def check_algorithms_agree(model, T, n, d, q, batch, seed):
    cell, P, X, Y = problem(model, T, n, d, q, batch, seed)
    ref = engine.full(cell, P, X, Y)
    paths = engine.path_sum(cell, P, X, Y)
    trunc = engine.truncated(cell, P, X, Y, tau=T + 2)
    fwd = engine.forward_mode(cell, P, X, Y)
    rand = engine.randomized(cell, P, X, Y, 1.0, np.random.default_rng(seed))   # pi = 1: exact
    for name, other in (("path_sum", paths), ("truncated", trunc), ("forward_mode", fwd),
                        ("randomized", rand)):
        assert_grads_close(other.params, ref.params, 1e-10, name)
        assert abs(other.loss - ref.loss) <= 1e-12 * max(1.0, abs(ref.loss))
    for other in (paths, trunc, rand):
        assert rel_err(other.inputs, ref.inputs) <= 1e-10
    assert fwd.inputs is None
    assert paths.paths == trunc.paths == engine.path_count(T) == T * (T + 1) // 2
    assert ref.loss == pytest.approx(engine_loss(cell, P, X, Y), rel=1e-14)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("model", MODELS)
def test_full_path_sum_truncated_and_forward_mode_agree(model, config):
    check_algorithms_agree(model, *config)


@settings(max_examples=30, deadline=None)
@given(model=st.sampled_from(MODELS), T=st.integers(1, 6),
       ndq=st.permutations([1, 2, 3, 4]).map(lambda p: tuple(p[:3])),
       batch=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_algorithms_agree_on_drawn_shapes(model, T, ndq, batch, seed):
    check_algorithms_agree(model, T, *ndq, batch, seed)


def test_truncation_below_T_cuts_paths_and_changes_the_gradient():
    cell, P, X, Y = problem("lstm", 5, 3, 2, 4, 2, 3)
    ref, cut = engine.full(cell, P, X, Y), engine.truncated(cell, P, X, Y, tau=2)
    assert cut.paths == 5 + 4 and cut.loss == ref.loss
    assert max(rel_err(cut.params[k], ref.params[k]) for k in P) > 1e-6


# ---- finite differences ---------------------------------------------------------------

@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("config", [(4, 3, 2, 4, 2, 5), (3, 2, 4, 3, 1, 11)])
def test_full_bptt_matches_central_finite_differences(model, config):
    cell, P, X, Y = problem(model, *config)
    g = engine.full(cell, P, X, Y)
    loss = lambda: engine_loss(cell, P, X, Y)                             # noqa: E731
    for name in P:
        fd = central_differences(loss, P[name])
        assert rel_err(g.params[name], fd) <= 1e-6, (name, rel_err(g.params[name], fd))
    fd_x = central_differences(loss, X)
    assert rel_err(g.inputs, fd_x) <= 1e-6


def test_lstm_carousel_carries_the_cell_gradient_through_diag_f():
    """A cotangent on c_t alone (g_h = 0) reaches c_{t-1} as diag(f_t) g_c, exactly."""
    cell = GATED["lstm"]
    _, P, X, _ = problem("lstm", 1, 3, 2, 4, 2, 0)
    rng = np.random.default_rng(0)
    s_prev = (rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))
    cache, s = cell.step(P, s_prev, X[:, 0], X[:, :1])
    g_c = rng.standard_normal((2, 3))
    (_, g_c_prev), _, _ = cell.vjp(P, Step(1, X[:, 0], s_prev, cache, s, X[:, :1]),
                                   (np.zeros((2, 3)), g_c))
    np.testing.assert_array_equal(g_c_prev, cache["f"] * g_c)


# ---- PyTorch ---------------------------------------------------------------------------

def torch_forward(torch, model, P, X, Y):
    """Each model's forward pass written in torch (float64); returns (loss, [h_1..h_T])."""
    sig, tanh = torch.sigmoid, torch.tanh
    B, T, _ = X.shape
    n = P[{"gru": "W_z", "gru_torch": "W_hr", "lstm": "W_f", "attention": "W"}[model]].shape[0]
    h = torch.zeros(B, n, dtype=torch.float64)
    c = torch.zeros(B, n, dtype=torch.float64)
    loss, hs = 0.0, []
    for t in range(T):
        x = X[:, t]
        if model == "gru":
            z = sig(h @ P["W_z"].T + x @ P["U_z"].T + P["b_z"])
            r = sig(h @ P["W_r"].T + x @ P["U_r"].T + P["b_r"])
            ht = tanh((r * h) @ P["W_h"].T + x @ P["U_h"].T + P["b_h"])
            h = (1 - z) * h + z * ht
        elif model == "gru_torch":
            r = sig(x @ P["W_ir"].T + P["b_ir"] + h @ P["W_hr"].T + P["b_hr"])
            z = sig(x @ P["W_iz"].T + P["b_iz"] + h @ P["W_hz"].T + P["b_hz"])
            nn_ = tanh(x @ P["W_in"].T + P["b_in"] + r * (h @ P["W_hn"].T + P["b_hn"]))
            h = (1 - z) * nn_ + z * h
        elif model == "lstm":
            gate = {k: h @ P[f"W_{k}"].T + x @ P[f"U_{k}"].T + P[f"b_{k}"] for k in "fioc"}
            c = sig(gate["f"]) * c + sig(gate["i"]) * tanh(gate["c"])
            h = sig(gate["o"]) * tanh(c)
        else:
            h = tanh(h @ P["W"].T + x @ P["U"].T + P["b"])
            xs = X[:, :t + 1]
            e = torch.einsum("bkd,bd->bk", xs, h @ P["W_a"])
            alpha = torch.softmax(e, dim=1)
            ctx = torch.einsum("bk,bkd->bd", alpha, xs)
            o = h @ P["W_o"].T + ctx @ P["V_o"].T
            loss = loss + 0.5 * ((o - Y[:, t]) ** 2).sum()
        if model != "attention":
            loss = loss + 0.5 * ((h - Y[:, t]) ** 2).sum()
        hs.append(h)
    return loss, hs


def torch_leaves(torch, P, X):
    Pt = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in P.items()}
    return Pt, torch.tensor(X, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("config", [(5, 3, 2, 4, 2, 9), (2, 4, 3, 2, 3, 13)])
def test_full_bptt_matches_torch_autograd(model, config):
    torch = pytest.importorskip("torch")
    cell, P, X, Y = problem(model, *config)
    g = engine.full(cell, P, X, Y)
    Pt, Xt = torch_leaves(torch, P, X)
    loss, _ = torch_forward(torch, model, Pt, Xt, torch.tensor(Y))
    loss.backward()
    assert loss.item() == pytest.approx(g.loss, rel=1e-13)
    assert_grads_close(g.params, {k: v.grad.numpy() for k, v in Pt.items()}, 1e-12, model)
    assert rel_err(g.inputs, Xt.grad.numpy()) <= 1e-12


def _stack(torch, P, names):
    return torch.nn.Parameter(torch.tensor(np.concatenate([P[k] for k in names], axis=0)))


def _chunks(grad, names):
    return dict(zip(names, np.split(grad.numpy(), len(names), axis=0)))


LAYOUT = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _against_torch(torch, net, cell, P, X, Y, groups):
    """Load our parameters into a torch RNN (groups: for each of LAYOUT, our names in
    torch's stacking order, or None for a zero bias), run forward + backward on the same
    loss, and check the outputs, the loss, every parameter's and the inputs' gradients.
    Returns torch's final state and the net (for the model-specific checks)."""
    g = engine.full(cell, P, X, Y)
    with torch.no_grad():
        for attr, names in zip(LAYOUT, groups):
            size = getattr(net, attr).shape[0]
            setattr(net, attr, _stack(torch, P, names) if names else
                    torch.nn.Parameter(torch.zeros(size, dtype=torch.float64)))
    Xt = torch.tensor(X, requires_grad=True)
    out, final = net(Xt)
    loss = 0.5 * ((out - torch.tensor(Y)) ** 2).sum()
    loss.backward()
    steps = engine.forward(cell, P, X)
    np.testing.assert_allclose(out.detach().numpy(), np.stack([s.s[0] for s in steps], 1),
                               rtol=1e-13, atol=1e-15)
    assert loss.item() == pytest.approx(g.loss, rel=1e-13)
    want = {}
    for attr, names in zip(LAYOUT, groups):
        if names:
            want.update(_chunks(getattr(net, attr).grad, names))
    assert_grads_close(g.params, want, 1e-12, type(net).__name__)
    assert rel_err(g.inputs, Xt.grad.numpy()) <= 1e-12
    return final, steps


@pytest.mark.parametrize("config", [(5, 3, 2, 4, 2, 21), (3, 2, 4, 3, 3, 22)])
def test_gru_torch_matches_torch_nn_gru(config):
    torch = pytest.importorskip("torch")
    cell, P, X, Y = problem("gru_torch", *config)
    n, d = P["W_ir"].shape
    net = torch.nn.GRU(d, n, batch_first=True).double()
    _against_torch(torch, net, cell, P, X, Y,
                   [("W_ir", "W_iz", "W_in"), ("W_hr", "W_hz", "W_hn"),
                    ("b_ir", "b_iz", "b_in"), ("b_hr", "b_hz", "b_hn")])


@pytest.mark.parametrize("config", [(5, 3, 2, 4, 2, 31), (3, 2, 4, 3, 3, 32)])
def test_lstm_matches_torch_nn_lstm(config):
    torch = pytest.importorskip("torch")
    cell, P, X, Y = problem("lstm", *config)
    n, d = P["U_f"].shape
    net = torch.nn.LSTM(d, n, batch_first=True).double()
    order = "ifco"                                   # torch's i, f, g, o; its g is our c
    (h_T, c_T), steps = _against_torch(
        torch, net, cell, P, X, Y,
        [[f"U_{k}" for k in order], [f"W_{k}" for k in order], [f"b_{k}" for k in order], None])
    np.testing.assert_allclose(c_T[0].detach().numpy(), steps[-1].s[1], rtol=1e-13, atol=1e-15)
    # our single bias b stands for torch's two: their gradients are the same
    np.testing.assert_allclose(net.bias_hh_l0.grad.numpy(), net.bias_ih_l0.grad.numpy(), rtol=1e-13)


# ---- the seed's gru is not PyTorch's ---------------------------------------------------

def seed_gru_from_torch(Pt):
    """The closest seed-convention parameters to gru_torch's (see the module docstring)."""
    return {"W_z": -Pt["W_hz"], "U_z": -Pt["W_iz"], "b_z": -(Pt["b_iz"] + Pt["b_hz"]),
            "W_r": Pt["W_hr"], "U_r": Pt["W_ir"], "b_r": Pt["b_ir"] + Pt["b_hr"],
            "W_h": Pt["W_hn"], "U_h": Pt["W_in"], "b_h": Pt["b_in"]}


def final_state(model, P, X):
    return engine.forward(cell_for(model), P, X)[-1].s[0]


def test_gru_and_gru_torch_coincide_when_w_hn_is_diagonal_and_b_hn_zero():
    _, Pt, X, _ = problem("gru_torch", 6, 3, 2, 4, 2, 50)
    Pt["b_hn"] = np.zeros(3)
    Pt["W_hn"] = np.diag(np.diag(Pt["W_hn"]))
    np.testing.assert_allclose(final_state("gru", seed_gru_from_torch(Pt), X),
                               final_state("gru_torch", Pt, X), rtol=1e-12, atol=1e-14)


def test_gru_and_gru_torch_are_different_functions():
    _, Pt, X, _ = problem("gru_torch", 4, 3, 2, 4, 2, 51)
    Pt["b_hn"] = np.zeros(3)
    Ps = seed_gru_from_torch(Pt)
    # t = 1 from h_0 = 0: the candidates agree, so h_1 agrees
    np.testing.assert_allclose(final_state("gru", Ps, X[:, :1]),
                               final_state("gru_torch", Pt, X[:, :1]), rtol=1e-12, atol=1e-14)
    # a full W_hn: W_h (r * h) != r * (W_hn h), and h_T differs
    gap = np.max(np.abs(final_state("gru", Ps, X) - final_state("gru_torch", Pt, X)))
    assert gap > 1e-3
    # naming the gates alike (W_z = W_hz, ...) is wrong already at t = 1: z swaps roles
    naive = {**Ps, "W_z": Pt["W_hz"], "U_z": Pt["W_iz"], "b_z": Pt["b_iz"] + Pt["b_hz"]}
    h1_seed, h1_torch = final_state("gru", naive, X[:, :1]), final_state("gru_torch", Pt, X[:, :1])
    gap1 = np.max(np.abs(h1_seed - h1_torch))
    assert gap1 > 1e-3
