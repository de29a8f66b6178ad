"""The NumPy BPTT engine: its algorithms agree with each other, and reproduce the seeds'
statements on path counts, truncation and randomized truncation.

Models covered here: scalar_linear, linear_half_square, d2l_linear, elman (tanh, sigmoid,
identity), elman_softmax, residual. The gated models and attention are tested elsewhere.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from symbptt.numeric import engine
from symbptt.numeric.cells import cell_for
from symbptt.numeric.data import draw
from symbptt.model.spec import Dims
from symbptt.model.registry import get_model

from .cases import CASES, IDS, random_shapes
NONLINEAR = [c for c in CASES if c[0] in ("elman_softmax", "residual")
             or (c[0] == "elman" and c[1] != "identity")]

# (T, n, d, q, batch, seed): n, d, q pairwise different
SHAPES = [
    (1, 2, 3, 4, 1, 0),
    (3, 3, 1, 2, 2, 1),
    (5, 2, 4, 3, 3, 2),
    (6, 4, 2, 3, 2, 3),
    (4, 1, 3, 2, 1, 4),
]


def problem(model, activation, T, n, d, q, batch, seed, dtype=np.float64):
    cell = cell_for(model, activation)
    prob = draw(get_model(model), T, Dims(n, d, q), seed, batch, dtype=dtype)
    return cell, prob.params, prob.X, prob.Y


def assert_close(got, ref, rtol, what=""):
    """|got - ref| <= rtol * max|ref| entrywise: relative to the largest magnitude of the
    reference array (a per-parameter scale, so tiny entries are not held to 1e-10 alone)."""
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, what
    scale = max(float(np.max(np.abs(ref), initial=0.0)), np.finfo(float).tiny)
    err = float(np.max(np.abs(got - ref), initial=0.0))
    assert err <= rtol * scale, f"{what}: max error {err:.3e} vs scale {scale:.3e}"


def assert_params_close(got, ref, rtol, label=""):
    assert set(got.params) == set(ref.params)
    for name in ref.params:
        assert_close(got.params[name], ref.params[name], rtol, f"{label} d/d{name}")


def check_algorithms_agree(model, activation, T, n, d, q, batch, seed):
    cell, P, X, Y = problem(model, activation, T, n, d, q, batch, seed)
    ref = engine.full(cell, P, X, Y)
    assert ref.inputs.shape == (batch, T, X.shape[2])
    for name, v in P.items():
        assert ref.params[name].shape == np.shape(v)
    others = {
        "path_sum": engine.path_sum(cell, P, X, Y),
        "truncated(tau=T)": engine.truncated(cell, P, X, Y, T),
        "truncated(tau=T+3)": engine.truncated(cell, P, X, Y, T + 3),
        "forward_mode": engine.forward_mode(cell, P, X, Y),
    }
    for label, g in others.items():
        assert g.loss == pytest.approx(ref.loss, rel=1e-12, abs=1e-300)
        assert_params_close(g, ref, 1e-10, label)
        if label != "forward_mode":
            assert_close(g.inputs, ref.inputs, 1e-10, f"{label} dL/dX")
    assert others["forward_mode"].inputs is None


# ---- the algorithms agree --------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}n{}d{}q{}B{}s{}".format(*s))
@pytest.mark.parametrize("model,activation", CASES, ids=IDS)
def test_algorithms_agree_on_a_table_of_shapes(model, activation, shape):
    check_algorithms_agree(model, activation, *shape)


@pytest.mark.parametrize("model,activation", CASES, ids=IDS)
@random_shapes
def test_algorithms_agree_on_random_shapes(model, activation, T, n, d, q, batch, seed):
    check_algorithms_agree(model, activation, T, n, d, q, batch, seed)


def test_the_gradient_is_not_trivially_zero():
    """Guard for the agreement tests: the reference gradients are generic, nonzero arrays."""
    for model, activation in CASES:
        cell, P, X, Y = problem(model, activation, 4, 3, 2, 4, 2, 7)
        g = engine.full(cell, P, X, Y)
        assert all(np.all(np.abs(v) > 0) for v in g.params.values()), model
        assert np.all(np.abs(g.inputs) > 0), model


# ---- path counting (seed 000) ----------------------------------------------------------

# seed 000 (000_34d5c3a04c2f29d4.txt): the naive path sum stores O(T^2) paths,
# 10 + 9 + ... + 1 = 55 for T = 10, while BPTT makes one VJP per step.
@pytest.mark.parametrize("T", range(1, 11))
def test_path_sum_counts_T_T_plus_1_over_2_paths(T):
    cell, P, X, Y = problem("linear_half_square", None, T, 2, 3, 2, 1, T)
    g = engine.path_sum(cell, P, X, Y)
    assert g.paths == T * (T + 1) // 2 == engine.path_count(T)
    assert g.vjp_calls == T * (T - 1) // 2     # J^T g calls: every path step but its last
    assert engine.full(cell, P, X, Y).vjp_calls == T


# seed 000 (000_34d5c3a04c2f29d4.txt): "10+9+8+...+1 = 55" paths for the T = 10 linear model
# h_t = W_h h_{t-1} + W_x x_t with l_t = h_t^2 / 2.
def test_fifty_five_paths_at_T_10():
    cell, P, X, Y = problem("linear_half_square", None, 10, 2, 3, 2, 1, 0)
    g = engine.path_sum(cell, P, X, Y)
    assert g.paths == 55 == engine.path_count(10)
    assert_params_close(g, engine.full(cell, P, X, Y), 1e-10, "T=10")


@pytest.mark.parametrize("T", [3, 6])
@pytest.mark.parametrize("tau", [1, 2, 3])
def test_truncated_path_count(T, tau):
    """With a window tau, l_s keeps min(s, tau) paths."""
    cell, P, X, Y = problem("elman", "tanh", T, 2, 3, 2, 1, 0)
    g = engine.truncated(cell, P, X, Y, tau)
    assert g.paths == sum(min(s, tau) for s in range(1, T + 1))


# ---- truncation (seeds 000, 001) -------------------------------------------------------

OUTPUT_LAYER = ("W_hy", "b_y")     # elman_softmax's output layer, read at step t only


# seed 001 (001_1e08c73fd0114278.txt): truncated BPTT's gradient is a biased estimate of
# the full gradient (the contributions from beyond the window are dropped).
@pytest.mark.parametrize("model,activation", NONLINEAR, ids=lambda v: str(v))
@pytest.mark.parametrize("tau", [1, 2, 3])
def test_truncation_below_T_changes_the_gradient(model, activation, tau):
    T = 5
    cell, P, X, Y = problem(model, activation, T, 3, 2, 4, 2, 11)
    full = engine.full(cell, P, X, Y)
    trunc = engine.truncated(cell, P, X, Y, tau)
    assert trunc.loss == full.loss          # the forward pass is not truncated
    for name in full.params:
        if name in OUTPUT_LAYER:
            # dl_t/dW_hy needs no path back through time: truncation leaves it alone
            assert_close(trunc.params[name], full.params[name], 1e-12, name)
            continue
        diff = np.max(np.abs(trunc.params[name] - full.params[name]))
        assert diff > 1e-8 * np.max(np.abs(full.params[name])), name
    assert np.max(np.abs(trunc.inputs - full.inputs)) > 1e-8 * np.max(np.abs(full.inputs))


RECURRENT = {"elman": "W", "elman_softmax": "W_hh", "residual": "W"}


@pytest.mark.parametrize("model,activation", NONLINEAR, ids=lambda v: str(v))
def test_window_T_minus_1_drops_only_a_path_that_carries_no_recurrent_gradient(model, activation):
    """With tau = T - 1 the one path dropped is l_T back to step 1, whose W-part is
    (diag(phi'(a_1)) delta) h_0^T = 0 since h_0 = 0 (seed 001's dL/dW formula): the recurrent
    weight's gradient is unchanged, while U, b and x_1 do lose that path."""
    T = 5
    cell, P, X, Y = problem(model, activation, T, 3, 2, 4, 2, 11)
    full = engine.full(cell, P, X, Y)
    trunc = engine.truncated(cell, P, X, Y, T - 1)
    W = RECURRENT[model]
    assert_close(trunc.params[W], full.params[W], 1e-12, W)
    for name in full.params:
        if name not in OUTPUT_LAYER and name != W:
            assert np.max(np.abs(trunc.params[name] - full.params[name])) > 1e-8, name
    assert np.all(np.abs(trunc.inputs[:, 0] - full.inputs[:, 0]) > 0)
    assert_close(trunc.inputs[:, 1:], full.inputs[:, 1:], 1e-12, "x_2..x_T")


def last_step_only(cell):
    """The same cell with l_t = 0 for t < T: L = l_T, so dL/dx_k is dl_T/dx_k."""
    def loss(P, st, y, T):
        return cell.loss(P, st, y, T) if st.t == T else 0.0

    def loss_vjp(P, st, y, T):
        if st.t == T:
            return cell.loss_vjp(P, st, y, T)
        return tuple(np.zeros_like(s) for s in st.s), {}, {}

    # its loss rules depend on t, so the steps cannot be stacked into one loss call
    return dataclasses.replace(cell, name=cell.name + "/last", loss=loss, loss_vjp=loss_vjp,
                               stackable=False)


# seed 001 (001_1e08c73fd0114278.txt): "in computing the loss at time t the gradient only
# flows back to t - k + 1 and h_{t-k} is a constant ... if a key input sits at t - tau with
# tau >= k, the TBPTT gradient of the loss w.r.t. that input is identically zero."
# Here the window is tau and the loss is l_T alone: x_k with k <= T - tau gets exactly 0,
# x_k with k > T - tau a nonzero gradient.
@pytest.mark.parametrize("model,activation", CASES, ids=IDS)
@pytest.mark.parametrize("tau", [1, 2, 3, 4])
def test_truncated_gradient_of_l_T_is_zero_beyond_the_window(model, activation, tau):
    T = 6
    base, P, X, Y = problem(model, activation, T, 3, 2, 4, 2, 5)
    cell = last_step_only(base)
    trunc = engine.truncated(cell, P, X, Y, tau)
    full = engine.full(cell, P, X, Y)
    assert trunc.loss == pytest.approx(base.loss(P, engine.forward(base, P, X)[-1],
                                                 Y[:, -1] if Y is not None else None, T))
    for k in range(1, T + 1):
        if k <= T - tau:
            assert np.all(trunc.inputs[:, k - 1] == 0.0), k
            assert np.any(full.inputs[:, k - 1] != 0.0), k    # full BPTT does reach x_k
        else:
            assert np.all(np.abs(trunc.inputs[:, k - 1]) > 0.0), k
            # inside the window nothing is dropped for x_k: l_T is the only loss
            assert_close(trunc.inputs[:, k - 1], full.inputs[:, k - 1], 1e-10, f"x_{k}")


# seeds 000, 001: a window at least T long drops nothing, so truncated BPTT is full BPTT.
@pytest.mark.parametrize("model,activation", CASES, ids=IDS)
@pytest.mark.parametrize("extra", [0, 1, 10])
def test_truncated_with_window_at_least_T_is_full(model, activation, extra):
    T = 5
    cell, P, X, Y = problem(model, activation, T, 3, 2, 4, 3, 21)
    full = engine.full(cell, P, X, Y)
    trunc = engine.truncated(cell, P, X, Y, T + extra)
    assert trunc.loss == full.loss
    assert trunc.paths == engine.path_count(T)
    assert_params_close(trunc, full, 1e-12, "tau>=T")
    assert_close(trunc.inputs, full.inputs, 1e-12, "tau>=T dL/dX")


# ---- randomized truncation (seed 002) --------------------------------------------------

N_DRAWS = 4000


def randomized_draws(cell, P, X, Y, pi, seed):
    rng = np.random.default_rng(seed)
    draws = [engine.randomized(cell, P, X, Y, pi, rng) for _ in range(N_DRAWS)]
    return {name: np.stack([g.params[name] for g in draws]) for name in P}, draws


# seed 002 (002_f9c6515e77627858.txt): xi_t with P(xi_t = 0) = 1 - pi_t and
# P(xi_t = 1/pi_t) = pi_t has E[xi_t] = 1, so E[z_t] = dh_t/dw_h: randomized truncation is
# unbiased. Tolerance: the mean of N i.i.d. draws has standard error sample_std / sqrt(N),
# so per entry we allow |mean - full| <= 5 * sample_std / sqrt(N) + 1e-12 (a 5-sigma band;
# an entry with no randomness, sample_std = 0, must match to 1e-12).
# pi = 0.5 on every model; a per-step pi_t on two (4000 draws take ~2 s a model).
UNBIASED = [(c, 0.5) for c in CASES] + [
    (c, (0.3, 0.5, 0.7, 0.9)) for c in (("d2l_linear", None), ("residual", None))]


@pytest.mark.parametrize("case,pi", UNBIASED,
                         ids=[f"{IDS[CASES.index(c)]}-pi={p}" for c, p in UNBIASED])
def test_randomized_truncation_is_unbiased(case, pi):
    model, activation = case
    T = 4
    cell, P, X, Y = problem(model, activation, T, 2, 3, 4, 1, 3)
    full = engine.full(cell, P, X, Y)
    samples, draws = randomized_draws(cell, P, X, Y, pi, seed=2024)
    assert all(g.loss == full.loss for g in draws[:5])
    random_entries = 0
    for name, s in samples.items():
        mean = s.mean(axis=0)
        std = s.std(axis=0, ddof=1)
        bound = 5.0 * std / np.sqrt(N_DRAWS) + 1e-12
        err = np.abs(mean - full.params[name])
        assert np.all(err <= bound), f"d/d{name}: err {err} bound {bound}"
        random_entries += int(np.sum(std > 0))
    assert random_entries > 0            # the estimate really is random at pi < 1
    # the band is tight enough to reject a biased estimate: truncated BPTT with tau = 1
    biased = engine.truncated(cell, P, X, Y, 1)
    assert any(np.any(np.abs(s.mean(axis=0) - biased.params[name])
                      > 5.0 * s.std(axis=0, ddof=1) / np.sqrt(N_DRAWS) + 1e-12)
               for name, s in samples.items())


def test_randomized_truncation_is_random_with_finitely_many_outcomes():
    """At pi = 0.5 the draws differ from each other and from full BPTT (a kept crossing is
    scaled by 1/pi = 2), and take at most 2^(T-1) values: xi_2..xi_T, one per crossing."""
    T = 4
    cell, P, X, Y = problem("elman", "tanh", T, 2, 3, 2, 1, 3)
    full = engine.full(cell, P, X, Y)
    rng = np.random.default_rng(0)
    Ws = [engine.randomized(cell, P, X, Y, 0.5, rng).params["W"] for _ in range(300)]
    distinct = {tuple(np.round(W, 12).ravel()) for W in Ws}
    assert 1 < len(distinct) <= 2 ** (T - 1)
    assert not any(np.allclose(W, full.params["W"], rtol=1e-12, atol=0) for W in Ws)


# seed 002: with pi_t = 1, xi_t = 1 always: no truncation, the full gradient exactly.
@pytest.mark.parametrize("model,activation", CASES, ids=IDS)
@pytest.mark.parametrize("pi", [1.0, (1.0, 1.0, 1.0, 1.0)], ids=["pi=1", "pi_t=1"])
def test_randomized_with_pi_one_is_full(model, activation, pi):
    cell, P, X, Y = problem(model, activation, 4, 3, 2, 4, 2, 8)
    full = engine.full(cell, P, X, Y)
    rng = np.random.default_rng(1)
    for _ in range(3):
        g = engine.randomized(cell, P, X, Y, pi, rng)
        for name in full.params:
            np.testing.assert_array_equal(g.params[name], full.params[name])
        np.testing.assert_array_equal(g.inputs, full.inputs)


# ---- float32 ---------------------------------------------------------------------------

@pytest.mark.parametrize("model,activation", CASES, ids=IDS)
def test_float32_runs_and_matches_float64(model, activation):
    shape = (5, 3, 2, 4, 2, 13)
    cell, P32, X32, Y32 = problem(model, activation, *shape, dtype=np.float32)
    _, P64, X64, Y64 = problem(model, activation, *shape)
    assert X32.dtype == np.float32 and all(v.dtype == np.float32 for v in P32.values())
    for algo in (engine.full, engine.path_sum):
        g32, g64 = algo(cell, P32, X32, Y32), algo(cell, P64, X64, Y64)
        assert engine.is_finite(g32)
        assert g32.loss == pytest.approx(g64.loss, rel=1e-4)
        for name in g64.params:
            assert np.asarray(g32.params[name]).dtype == np.float32, name
            assert_close(g32.params[name], g64.params[name], 1e-4, f"float32 d/d{name}")
        assert g32.inputs.dtype == np.float32
        assert_close(g32.inputs, g64.inputs, 1e-4, "float32 dL/dX")


# ---- bad numeric behaviour -------------------------------------------------------------

# seed 001 (001_1e08c73fd0114278.txt): with ||W||_2 > 1 and a linear activation the
# Jacobian products grow like ||W||^(T-k): exploding gradients. At W = 1e200 I they overflow.
def test_exploding_weights_are_not_finite():
    cell, P, X, Y = problem("elman", "identity", 5, 3, 2, 2, 2, 0)
    assert engine.is_finite(engine.full(cell, P, X, Y))
    P = dict(P, W=1e200 * np.eye(3))
    with np.errstate(over="ignore", invalid="ignore"):
        for g in (engine.full(cell, P, X, Y), engine.path_sum(cell, P, X, Y),
                  engine.truncated(cell, P, X, Y, 2), engine.forward_mode(cell, P, X, Y)):
            assert not engine.is_finite(g)


def test_is_finite_sees_a_nan_in_any_array():
    cell, P, X, Y = problem("residual", None, 3, 2, 2, 2, 1, 0)
    g = engine.full(cell, P, X, Y)
    assert engine.is_finite(g)
    bad = dict(g.params, U=np.full_like(g.params["U"], np.nan))
    assert not engine.is_finite(dataclasses.replace(g, params=bad))
    gx = g.inputs.copy()
    gx[0, 0, 0] = np.inf
    assert not engine.is_finite(dataclasses.replace(g, inputs=gx))
    assert not engine.is_finite(dataclasses.replace(g, loss=float("nan")))
