"""Jacobian products over a lag and seed 001's bound (symbptt/numeric/dynamics.py)."""
from __future__ import annotations

import numpy as np
import pytest

from symbptt.errors import SymbpttError
from symbptt.numeric.data import draw
from symbptt.numeric.dynamics import (BoundViolated, _check_bound, hidden_path, jacobians,
                                      orthogonal, product_series, scaled_weights)
from symbptt.model.spec import Dims
from symbptt.model.registry import get_model


def _problem(model, T=12, n=4, d=3, seed=0):
    p = draw(get_model(model), T, Dims(n, d, 2), seed)
    return {k: np.array(v) for k, v in p.params.items()}, p.X[0]


@pytest.mark.parametrize("model", ["elman", "residual", "linear_half_square", "d2l_linear"])
def test_jacobians_are_the_steps_derivatives(model):
    """J_t = dh_t/dh_{t-1}, against central differences of one step."""
    P, x = _problem(model, T=5)
    hs, slopes = hidden_path(model, P, x)
    Js = jacobians(model, P, slopes)
    W = P["W" if model in ("elman", "residual") else ("W_h" if model == "linear_half_square"
                                                           else "W_hh")]

    def step(h_prev, t):
        U = P["U" if model in ("elman", "residual") else ("W_x" if model == "linear_half_square"
                                                            else "W_hx")]
        a = W @ h_prev + U @ x[t - 1] + (P["b"] if "b" in P else 0.0)
        if model in ("linear_half_square", "d2l_linear"):
            return a
        return h_prev + np.tanh(a) if model == "residual" else np.tanh(a)

    eps = 1e-6
    for t in (2, 4):
        h_prev = hs[t - 2]
        fd = np.column_stack([(step(h_prev + eps * e, t) - step(h_prev - eps * e, t)) / (2 * eps)
                              for e in np.eye(len(h_prev))])
        assert np.allclose(Js[t - 1], fd, atol=1e-8), (model, t)


@pytest.mark.parametrize("model", ["elman", "residual", "linear_half_square"])
@pytest.mark.parametrize("norm", [0.5, 1.0, 1.5])
def test_the_bound_holds_and_the_cs_below_one_direction(model, norm):
    # 001_1e08c73fd0114278.txt: ||prod J|| <= prod ||diag(phi')|| ||W|| <= (c s)^(T-k);
    # with c s < 1 the product decays at least like (c s)^(T-k)
    P, x = _problem(model, T=15, seed=3)
    key = "W_h" if model == "linear_half_square" else "W"
    P[key] = scaled_weights(P[key], "norm", norm)
    r = product_series(model, P, x)
    assert r.s == pytest.approx(norm)
    assert r.lags == tuple(range(1, 15))
    for n, tight, loose in zip(r.norms, r.slope_bound, r.cs_bound):
        assert n <= tight * (1 + 1e-9) and tight <= loose * (1 + 1e-9)
    if model != "residual" and r.c * r.s < 1:
        assert r.norms[-1] < r.norms[0] and r.rate <= r.bound_rate + 1e-9


def test_an_orthogonal_W_keeps_the_linear_gradient_norm():
    # 001_1e08c73fd0114278.txt: W^T W = I, so ||W^m||_2 = 1 for every m
    P, x = _problem("linear_half_square", T=20, n=5)
    P["W_h"] = orthogonal(5, seed=1)
    r = product_series("linear_half_square", P, x)
    assert np.allclose(r.norms, 1.0, atol=1e-12) and abs(r.rate) < 1e-12


def test_a_violation_is_raised_as_a_bug():
    with pytest.raises(BoundViolated, match="submultiplicativity, so this is a bug"):
        _check_bound("elman", 3, 2.0, 1.0, 1.5)
    _check_bound("elman", 3, 1.0, 1.0, 1.0)         # equality is allowed


def test_rescaling_and_its_bad_input():
    W = np.array([[0.0, 2.0], [0.5, 0.0]])
    assert np.max(np.abs(np.linalg.eigvals(scaled_weights(W, "radius", 1.5)))) == \
        pytest.approx(1.5)
    assert np.linalg.norm(scaled_weights(W, "norm", 0.7), 2) == pytest.approx(0.7)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(SymbpttError, match="positive number"):
            scaled_weights(W, "norm", bad)
    with pytest.raises(SymbpttError, match="gru has a state"):
        product_series("gru", {}, np.zeros((3, 2)))


def test_exploding_along_the_top_eigenvector():
    # 001_1e08c73fd0114278.txt: a normal W with |lambda| > 1 makes the component along its
    # eigenvector grow like |lambda|^m (the sign '>' was lost in the seed's text)
    from symbptt.numeric.dynamics import eigen_growth, normal_matrix
    W = normal_matrix(4, 1.3, seed=2)
    r = eigen_growth(W, np.ones(4), 12)
    assert r.eigenvalue == pytest.approx(1.3)
    assert r.rate == pytest.approx(np.log(1.3), abs=1e-9) and r.predicted == pytest.approx(np.log(1.3))
    assert r.components[12] / r.components[0] == pytest.approx(1.3 ** 12)
    with pytest.raises(SymbpttError, match="positive number"):
        normal_matrix(3, -2.0, seed=0)


def test_residual_against_elman_at_the_same_weights():
    # 001_1e08c73fd0114278.txt: J_t = I + diag(phi') W keeps the product from vanishing
    P, x = _problem("elman", T=30, seed=5)
    P["W"] = scaled_weights(P["W"], "norm", 0.5)
    elman = product_series("elman", P, x)
    residual = product_series("residual", P, x)
    assert elman.norms[-1] < 1e-6 < residual.norms[-1]
    assert residual.rate > elman.rate


@pytest.mark.parametrize("threshold", [0.5, 3.0, 1e6])
def test_clipping_keeps_the_direction_and_caps_the_norm(threshold):
    # 001_1e08c73fd0114278.txt: g~ = min(1, c/||g||) g; ||g|| <= c is left unchanged
    from symbptt.numeric.dynamics import clip
    g = np.array([3.0, -4.0, 12.0])                       # ||g|| = 13
    out, info = clip(g, threshold)
    assert info["angle_degrees"] == pytest.approx(0.0, abs=1e-6)
    assert info["norm_after"] == pytest.approx(min(13.0, threshold))
    if threshold >= 13.0:
        assert np.array_equal(out, g) and not info["clipped"]
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(SymbpttError, match="clip threshold must be a positive number"):
            clip(g, bad)


def test_attention_shortcut_does_not_decay():
    # 001_1e08c73fd0114278.txt: the recurrent path to x_{t-tau} decays with tau, the
    # attention shortcut c_t = sum_k alpha_{t,k} x_k reaches every x_k directly
    from symbptt.numeric.dynamics import attention_paths
    p = draw(get_model("attention"), 16, Dims(4, 3, 2), 1)
    P = {k: np.array(v) for k, v in p.params.items()}
    P["W"] = scaled_weights(P["W"], "norm", 0.5)
    r = attention_paths(P, p.X, p.Y)
    assert r.taus == tuple(range(16))
    assert r.recurrent[-1] < 1e-3 * r.recurrent[0]
    assert r.recurrent_rate < -0.5 < r.shortcut_rate
    assert min(r.shortcut) > 0.02 * max(r.shortcut)
    with pytest.raises(SymbpttError, match="a lag past T"):
        attention_paths(P, p.X, p.Y, t=17)


def test_path_cost_counts_the_seeds_55_paths():
    # 000_34d5c3a04c2f29d4.txt: T = 10 has T (T + 1) / 2 = 55 paths; the path sum gives
    # BPTT's gradient (times are measured, not asserted: symbptt bench reports them)
    from symbptt.model.zoo import zoo_model
    from symbptt.numeric.dynamics import path_cost
    r = path_cost(zoo_model("elman"), Ts=(1, 10, 20), repeat=1)
    assert [(x["T"], x["paths"], x["formula"]) for x in r["rows"]] == \
        [(1, 1, 1), (10, 55, 55), (20, 210, 210)]
    assert all(x["same_gradient"] for x in r["rows"])
    assert all(x["bptt_s"] > 0 and x["path_sum_s"] > 0 for x in r["rows"])
