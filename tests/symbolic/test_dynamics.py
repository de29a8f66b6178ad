"""Truncated BPTT's bias, exactly (symbptt/symbolic/dynamics.py), and against the engine."""
from __future__ import annotations

import numpy as np
import pytest

from symbptt.errors import SymbpttError
from symbptt.numeric import engine
from symbptt.numeric.cells import cell_for
from symbptt.symbolic.dynamics import truncation_bias, values


@pytest.mark.parametrize("T, k", [(T, k) for T in range(1, 6) for k in range(1, T + 1)])
def test_the_bias_closed_form_is_proven(T, k):
    # 000_34d5c3a04c2f29d4.txt, 001_1e08c73fd0114278.txt: truncated BPTT drops the paths
    # longer than k; what it drops is the closed form, exactly
    tb = truncation_bias(T, k)
    assert tb.proven
    if k == T:
        assert tb.bias == 0                     # the window covers every path
    # 001: an input more than k steps back gets exactly no gradient under truncation
    assert all(v == 0 for _, _, v in tb.cut_inputs)
    assert len(tb.cut_inputs) == sum(max(0, s - k) for s in range(1, T + 1))


def test_the_bias_grows_with_a_and_shrinks_with_k():
    xs = [1.0, 0.5, -0.25, 0.75, 1.0, 0.5]
    bias = {(a, k): abs(values(truncation_bias(6, k), a, xs)["bias"])
            for a in (0.3, 0.6, 0.9) for k in (1, 2, 3)}
    for k in (1, 2, 3):
        assert bias[(0.3, k)] < bias[(0.6, k)] < bias[(0.9, k)]
    for a in (0.3, 0.6, 0.9):
        assert bias[(a, 1)] > bias[(a, 2)] > bias[(a, 3)]


@pytest.mark.parametrize("k", [1, 2, 4])
def test_matched_with_the_engine(k):
    """The engine's truncated BPTT (path sum with a window) on linear_half_square at
    n = d = 1, W_x = 1, W_h = a is the symbolic truncated gradient."""
    T, a = 6, 0.8
    xs = np.array([0.3, -1.2, 0.5, 0.9, -0.4, 1.1])
    tb = truncation_bias(T, k)
    want = values(tb, a, xs)
    P = {"W_h": np.array([[a]]), "W_x": np.array([[1.0]])}
    X = xs.reshape(1, T, 1)
    cell = cell_for("linear_half_square")
    full = engine.full(cell, P, X, None).params["W_h"][0, 0]
    trunc = engine.truncated(cell, P, X, None, k).params["W_h"][0, 0]
    assert full == pytest.approx(want["full"], rel=1e-12)
    assert trunc == pytest.approx(want["truncated"], rel=1e-12)
    assert full - trunc == pytest.approx(want["bias"], rel=1e-9, abs=1e-12)


def test_a_window_outside_1_to_T_is_bad_input():
    with pytest.raises(SymbpttError, match="window k must be in 1..T"):
        truncation_bias(3, 4)
    with pytest.raises(SymbpttError, match="window k must be in 1..T"):
        truncation_bias(3, 0)


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5])
def test_randomized_truncation_is_unbiased_exactly(T):
    # 002_f9c6515e77627858.txt: P(xi_t = 0) = 1 - pi_t, P(xi_t = 1/pi_t) = pi_t, E[xi_t] = 1,
    # E[z_t] = dh_t/dw_h; proven by summing over every outcome with symbolic pi_t
    from symbptt.symbolic.dynamics import randomized_truncation
    r = randomized_truncation(T)
    assert r.expectation_of_xi == 1
    assert r.unbiased and r.variance_proven
    if T == 1:
        assert r.variance == 0                  # nothing is truncated yet


def test_the_engine_estimator_mean_and_variance_against_monte_carlo():
    """Exact mean (the full gradient) and variance of the engine's estimate, next to the
    mean and variance of 20000 engine draws (within 5 standard errors)."""
    from fractions import Fraction
    from symbptt.symbolic.dynamics import estimator_moments
    a, xs, pi = Fraction(4, 5), [Fraction(1, 2), Fraction(-1), Fraction(3, 4), Fraction(1, 4)], \
        Fraction(1, 2)
    m = estimator_moments(a, xs, pi)
    assert m["mean"] == m["full"] and m["variance"] > 0
    cell = cell_for("linear_half_square")
    P = {"W_h": np.array([[float(a)]]), "W_x": np.array([[1.0]])}
    X = np.array([float(x) for x in xs]).reshape(1, 4, 1)
    rng = np.random.default_rng(7)
    draws = np.array([engine.randomized(cell, P, X, None, float(pi), rng).params["W_h"][0, 0]
                      for _ in range(20000)])
    se_mean = np.sqrt(float(m["variance"]) / len(draws))
    assert abs(draws.mean() - float(m["mean"])) < 5 * se_mean
    assert draws.var() == pytest.approx(float(m["variance"]), rel=0.05)
    with pytest.raises(SymbpttError, match="pi must be in"):
        estimator_moments(a, xs, 0)


def test_a_rotation_keeps_the_gradient_norm_exactly():
    # 001_1e08c73fd0114278.txt: W^T W = I preserves ||dL/dh|| through the linear RNN;
    # proven for a 2×2 rotation by a symbolic angle, m = 1..6 steps back
    from symbptt.symbolic.dynamics import rotation_keeps_the_norm
    r = rotation_keeps_the_norm(6)
    assert r.proven and r.steps == (1, 2, 3, 4, 5, 6)


def test_a_non_orthogonal_W_is_not_proven():
    """The same reduction on a scaled rotation (2 W) leaves a remainder: the proof can fail."""
    from symbptt.symbolic.dynamics import rotation_keeps_the_norm
    r = rotation_keeps_the_norm(2, scale=2)
    assert not r.proven and all(rem != 0 for rem in r.remainders)
