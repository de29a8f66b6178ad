"""engine.full against PyTorch autograd: each model's forward pass and loss written again in
torch (float64, X of shape (B, T, d), loss summed over the batch), differentiated by
autograd, for every parameter and for the inputs X. The Elman tanh RNN is also checked
against torch.nn.RNN itself.

Models covered here: scalar_linear, linear_half_square, d2l_linear, elman (tanh, sigmoid,
identity), elman_softmax, residual.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")


from symbptt.numeric import engine  # noqa: E402
from symbptt.numeric.cells import cell_for  # noqa: E402
from symbptt.numeric.data import draw  # noqa: E402
from symbptt.model.spec import Dims  # noqa: E402
from symbptt.model.registry import get_model  # noqa: E402

from .cases import CASES, IDS, random_shapes  # noqa: E402

# (T, n, d, q, batch, seed): n, d, q pairwise different
SHAPES = [
    (1, 2, 3, 4, 1, 0),
    (2, 3, 1, 2, 2, 1),
    (4, 2, 4, 3, 3, 2),
    (6, 4, 2, 3, 2, 3),
]

PHI = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda a: a}


def torch_loss(model, activation, P, X, Y):
    """The model's forward pass from h_0 = 0 and its loss L, summed over the batch."""
    B, T, _ = X.shape
    L = X.new_zeros(())
    if model == "scalar_linear":
        # h_t = W_xh x_t + W_hh h_{t-1}, L = sum_t (W_hy h_t - y_t)^2   (seed 004)
        h = X.new_zeros((B, 1))
        for t in range(T):
            h = P["W_xh"] * X[:, t] + P["W_hh"] * h
            L = L + ((P["W_hy"] * h - Y[:, t]) ** 2).sum()
        return L
    if model == "linear_half_square":
        # h_t = W_h h_{t-1} + W_x x_t, L = sum_t 1/2 ||h_t||^2   (seed 000)
        h = X.new_zeros((B, P["W_h"].shape[0]))
        for t in range(T):
            h = h @ P["W_h"].T + X[:, t] @ P["W_x"].T
            L = L + 0.5 * (h ** 2).sum()
        return L
    if model == "d2l_linear":
        # h_t = W_hx x_t + W_hh h_{t-1}, o_t = W_qh h_t, L = (1/T) sum_t 1/2 ||o_t - y_t||^2
        h = X.new_zeros((B, P["W_hh"].shape[0]))
        for t in range(T):
            h = X[:, t] @ P["W_hx"].T + h @ P["W_hh"].T
            o = h @ P["W_qh"].T
            L = L + 0.5 * ((o - Y[:, t]) ** 2).sum()
        return L / T
    if model in ("elman", "residual"):
        # elman: h_t = phi(W h_{t-1} + U x_t + b); residual: h_t = h_{t-1} + tanh(...)
        # L = sum_t 1/2 ||h_t - y_t||^2   (seed 001)
        phi = PHI[activation] if model == "elman" else torch.tanh
        h = X.new_zeros((B, P["W"].shape[0]))
        for t in range(T):
            a = h @ P["W"].T + X[:, t] @ P["U"].T + P["b"]
            h = phi(a) if model == "elman" else h + phi(a)
            L = L + 0.5 * ((h - Y[:, t]) ** 2).sum()
        return L
    if model == "elman_softmax":
        # h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h), o_t = W_hy h_t + b_y,
        # L = -sum_t y_t . log softmax(o_t)   (seed 004)
        h = X.new_zeros((B, P["W_hh"].shape[0]))
        for t in range(T):
            h = torch.tanh(X[:, t] @ P["W_xh"].T + h @ P["W_hh"].T + P["b_h"])
            o = h @ P["W_hy"].T + P["b_y"]
            L = L - (Y[:, t] * torch.log_softmax(o, dim=-1)).sum()
        return L
    raise AssertionError(model)


def autograd(model, activation, prob):
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in prob.params.items()}
    X = torch.tensor(prob.X, dtype=torch.float64, requires_grad=True)
    Y = None if prob.Y is None else torch.tensor(prob.Y, dtype=torch.float64)
    L = torch_loss(model, activation, P, X, Y)
    grads = torch.autograd.grad(L, list(P.values()) + [X])
    params = {k: g.numpy() for k, g in zip(P, grads)}
    return L.detach().item(), params, grads[-1].numpy()


def assert_close(got, ref, rtol, what=""):
    """|got - ref| <= rtol * max|ref| entrywise (relative to the largest reference entry)."""
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, what
    scale = max(float(np.max(np.abs(ref), initial=0.0)), np.finfo(float).tiny)
    err = float(np.max(np.abs(got - ref), initial=0.0))
    assert err <= rtol * scale, f"{what}: max error {err:.3e} vs scale {scale:.3e}"


def check_against_autograd(model, activation, T, n, d, q, batch, seed):
    prob = draw(get_model(model), T, Dims(n, d, q), seed, batch)
    g = engine.full(cell_for(model, activation), prob.params, prob.X, prob.Y)
    L, params, gx = autograd(model, activation, prob)
    assert g.loss == pytest.approx(L, rel=1e-12)
    assert set(g.params) == set(params)
    for name, ref in params.items():
        assert_close(g.params[name], ref, 1e-10, f"{model} d/d{name}")
    assert_close(g.inputs, gx, 1e-10, f"{model} dL/dX")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}n{}d{}q{}B{}s{}".format(*s))
@pytest.mark.parametrize("model,activation", CASES, ids=IDS)
def test_full_matches_torch_autograd(model, activation, shape):
    check_against_autograd(model, activation, *shape)


@pytest.mark.parametrize("model,activation", CASES, ids=IDS)
@random_shapes
def test_full_matches_torch_autograd_on_random_shapes(model, activation, T, n, d, q, batch,
                                                      seed):
    check_against_autograd(model, activation, T, n, d, q, batch, seed)


def test_seed_004_worked_example_in_torch():
    """Seed 004 (004_62ba402ad1754453.txt): x = [1, 2], W_xh = 0.5, W_hh = 1.5, W_hy = 1,
    y = [2, 5]: L = 12.8125, dL/dW_hy = -12.875, dL/dW_hh = -3.25 -- torch, the engine and
    the seed agree."""
    P = {"W_xh": np.array(0.5), "W_hh": np.array(1.5), "W_hy": np.array(1.0)}
    X = np.array([1.0, 2.0]).reshape(1, 2, 1)
    Y = np.array([2.0, 5.0]).reshape(1, 2, 1)
    g = engine.full(cell_for("scalar_linear"), P, X, Y)
    Pt = {k: torch.tensor(v, requires_grad=True) for k, v in P.items()}
    L = torch_loss("scalar_linear", None, Pt, torch.tensor(X), torch.tensor(Y))
    L.backward()
    assert g.loss == L.detach().item() == 12.8125
    assert float(Pt["W_hy"].grad) == g.params["W_hy"] == -12.875
    assert float(Pt["W_hh"].grad) == g.params["W_hh"] == -3.25
    assert float(Pt["W_xh"].grad) == pytest.approx(float(g.params["W_xh"]), rel=1e-15)


# ---- torch.nn.RNN itself ---------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES + [(5, 3, 2, 4, 3, 9), (3, 1, 4, 2, 1, 10)],
                         ids=lambda s: "T{}n{}d{}q{}B{}s{}".format(*s))
def test_elman_tanh_matches_torch_nn_rnn(shape):
    """seed 001's Elman RNN a_t = W h_{t-1} + U x_t + b, h_t = tanh(a_t) is nn.RNN with
    weight_hh_l0 = W, weight_ih_l0 = U, bias_ih_l0 = b, bias_hh_l0 = 0."""
    T, n, d, q, batch, seed = shape
    prob = draw(get_model("elman"), T, Dims(n, d, q), seed, batch)
    P = prob.params
    g = engine.full(cell_for("elman", "tanh"), P, prob.X, prob.Y)

    rnn = torch.nn.RNN(d, n, nonlinearity="tanh", batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.from_numpy(P["W"]))
        rnn.weight_ih_l0.copy_(torch.from_numpy(P["U"]))
        rnn.bias_ih_l0.copy_(torch.from_numpy(P["b"]))
        rnn.bias_hh_l0.zero_()
    X = torch.tensor(prob.X, requires_grad=True)
    out, h_T = rnn(X)                                  # h_0 = 0 by default
    assert out.shape == (batch, T, n)
    L = 0.5 * ((out - torch.from_numpy(prob.Y)) ** 2).sum()
    L.backward()

    states = engine.forward(cell_for("elman", "tanh"), P, prob.X)
    hs = np.stack([s.s[0] for s in states], axis=1)
    assert_close(hs, out.detach().numpy(), 1e-12, "h_t")
    assert g.loss == pytest.approx(L.detach().item(), rel=1e-12)
    assert_close(g.params["W"], rnn.weight_hh_l0.grad.numpy(), 1e-10, "W")
    assert_close(g.params["U"], rnn.weight_ih_l0.grad.numpy(), 1e-10, "U")
    assert_close(g.params["b"], rnn.bias_ih_l0.grad.numpy(), 1e-10, "b")
    assert_close(g.params["b"], rnn.bias_hh_l0.grad.numpy(), 1e-10, "b (via bias_hh)")
    assert_close(g.inputs, X.grad.numpy(), 1e-10, "dL/dX")
