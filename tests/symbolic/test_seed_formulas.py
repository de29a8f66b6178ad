"""Every gradient formula of the seeds that the symbolic zoo covers, checked exactly
against the direct gradient (diff of the unrolled loss) — and shown to fail when a
classic slip is put in."""
from __future__ import annotations

from fractions import Fraction

import pytest
import symengine as se
import sympy as sp

from symbptt.symbolic import direct
from symbptt.symbolic.backend import SYMPY
from symbptt.symbolic.linalg import (hadamard, matmul, matvec, outer, tmatvec, transpose, vadd,
                                     vscale, vsub)

from .helpers import same, truth, unrolled


def _agrees(u, grads: dict) -> bool:
    """grads: label -> expression, compared entry by entry with the direct gradient."""
    D = truth(u)
    return all(same(D[label], g) for label, g in grads.items())


def _matrix_grads(name: str, mat) -> dict:
    return {f"{name}[{i},{j}]": v for i, row in enumerate(mat) for j, v in enumerate(row)}


def _vector_grads(name: str, vec) -> dict:
    return {f"{name}[{i}]": v for i, v in enumerate(vec)}


def _sum(mats):
    out = mats[0]
    for m in mats[1:]:
        out = tuple(tuple(a + b for a, b in zip(r1, r2)) for r1, r2 in zip(out, m))
    return out


# ---- seed 000 (000_34d5c3a04c2f29d4.txt) ----------------------------------------------
# dL/dh_t = dl_t/dh_t + (dh_{t+1}/dh_t)^T dL/dh_{t+1};  dL/dW_x = sum_t dL/dh_t x_t^T;
# dL/dW_h = sum_t dL/dh_t h_{t-1}^T, for h_t = W_h h_{t-1} + W_x x_t and l_t = ||h_t||^2 / 2.

def seed000_grads(u, transpose_jacobian: bool = True, previous_state: bool = True) -> dict:
    W_h = u.params["W_h"]
    hs = [st.s for st in u.steps]
    delta = [None] * u.T
    delta[-1] = hs[-1]                                   # dl_T/dh_T = h_T
    for t in range(u.T - 2, -1, -1):                     # dh_{t+1}/dh_t = W_h
        back = tmatvec(W_h, delta[t + 1]) if transpose_jacobian else matvec(W_h, delta[t + 1])
        delta[t] = vadd(hs[t], back)
    h_prev = [st.s_prev if previous_state else st.s for st in u.steps]
    return {**_matrix_grads("W_x", _sum([outer(delta[t], u.xs[t]) for t in range(u.T)])),
            **_matrix_grads("W_h", _sum([outer(delta[t], h_prev[t]) for t in range(u.T)]))}


@pytest.mark.parametrize("T,n,d", [(1, 2, 2), (3, 3, 2), (4, 2, 3)])
def test_seed000_recursion_and_parameter_sums(T, n, d):
    u = unrolled("linear_half_square", T, n, d)
    assert _agrees(u, seed000_grads(u))


def test_seed000_at_T10_symbolic_scalar_state():
    # seed 000's T = 10 example, fully symbolic with a 1-dimensional state and input
    u = unrolled("linear_half_square", 10, 1, 1)
    assert _agrees(u, seed000_grads(u))


def test_seed000_at_T10_exact_values():
    # seed 000's T = 10 example with n = 2, d = 2 at exact rationals: the recursion and
    # the sums against the direct gradient, both evaluated exactly (no rounding at all)
    u = unrolled("linear_half_square", 10, 2, 2)
    point = {s: se.Rational((k * 7) % 11 - 5, 9) for k, s in enumerate(u.symbols)}
    D = truth(u)
    grads = seed000_grads(u)
    for label, g in grads.items():
        a, b = D[label].subs(point), g.subs(point)
        assert a.is_Rational and a == b, label


@pytest.mark.parametrize("slip", [{"transpose_jacobian": False}, {"previous_state": False}])
def test_seed000_slips_are_caught(slip):
    u = unrolled("linear_half_square", 3, 2, 2)
    assert not _agrees(u, seed000_grads(u, **slip))


# ---- seed 001 (001_1e08c73fd0114278.txt) ----------------------------------------------
# delta_t = dl/dh_t + W^T diag(phi'(a_{t+1})) delta_{t+1};  delta_T = dl/dh_T;
# dL/dW = sum_t (diag(phi'(a_t)) delta_t) h_{t-1}^T  (and dL/dU with x_t^T, dL/db).

PHI_PRIME = {
    "tanh": lambda a: 1 - se.tanh(a) ** 2,
    "sigmoid": lambda a: ((1 + se.tanh(a / 2)) / 2) * (1 - (1 + se.tanh(a / 2)) / 2),
    "identity": lambda a: se.Integer(1),
}


def seed001_grads(u, act: str, shift: int = 1, transpose_w: bool = True) -> dict:
    W, T = u.params["W"], u.T
    a = [st.vals["a"] for st in u.steps]
    d = [tuple(PHI_PRIME[act](ai) for ai in a_t) for a_t in a]
    dl = [vsub(st.s, y) for st, y in zip(u.steps, u.ys)]  # l(h_t) = ||h_t - y_t||^2 / 2
    delta = [None] * T
    delta[-1] = dl[-1]
    for t in range(T - 2, -1, -1):
        g = hadamard(d[t + shift], delta[t + 1])          # diag(phi'(a_{t+1})) delta_{t+1}
        delta[t] = vadd(dl[t], tmatvec(W, g) if transpose_w else matvec(W, g))
    g_a = [hadamard(d[t], delta[t]) for t in range(T)]    # diag(phi'(a_t)) delta_t
    return {**_matrix_grads("W", _sum([outer(g_a[t], u.steps[t].s_prev) for t in range(T)])),
            **_matrix_grads("U", _sum([outer(g_a[t], u.xs[t]) for t in range(T)])),
            **_vector_grads("b", vadd(*g_a))}


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("T", [1, 2, 3])
def test_seed001_delta_recursion_and_parameter_sums(act, T):
    u = unrolled("elman", T, 3, 2, activation=act)
    assert _agrees(u, seed001_grads(u, act))


@pytest.mark.parametrize("slip", [{"shift": 0}, {"transpose_w": False}])
def test_seed001_slips_are_caught(slip):
    # a_t where a_{t+1} belongs; W where W^T belongs
    u = unrolled("elman", 3, 3, 2, activation="tanh")
    assert not _agrees(u, seed001_grads(u, "tanh", **slip))


def test_seed001_jacobian_is_diag_phi_prime_times_W():
    # seed 001: J_j = dh_j/dh_{j-1} = diag(phi'(a_j)) W, against diff of h_j w.r.t. h_{j-1}
    u = unrolled("elman", 1, 3, 2)
    hp = [se.Symbol(f"hp{i}") for i in range(3)]
    vals, h = u.cell.step(u.backend, u.params, tuple(hp), u.xs[0])
    J = u.cell.jacobian(u.backend, u.params, type(u.steps[0])(1, u.xs[0], tuple(hp), vals, h))
    for i in range(3):
        for j in range(3):
            assert same(se.diff(h[i], hp[j]), J[i][j])
            assert same(J[i][j], (1 - se.tanh(vals["a"][i]) ** 2) * u.params["W"][i][j])


# ---- seeds 002 and 003 (002_f9c6515e77627858.txt, 003_6832bb59d1aaefdb.txt) ------------
# dL/do_t = (1/T) dl/do_t;  dL/dW_qh = sum_t dL/do_t h_t^T;
# dL/dh_t = sum_{i=t}^T (W_hh^T)^(T-i) W_qh^T dL/do_{T+t-i}   (seed 002, unrolled recursion)
# dL/dW_hx = sum_t dL/dh_t x_t^T;  dL/dW_hh = sum_t dL/dh_t h_{t-1}^T   (seed 003)

def _power(m, k: int):
    n = len(m)
    out = tuple(tuple(se.Integer(int(i == j)) for j in range(n)) for i in range(n))
    for _ in range(k):
        out = matmul(out, m)
    return out


def seed002_grads(u, scale: Fraction = None, exponent_shift: int = 0) -> dict:
    T = u.T
    scale = se.Rational(1, T) if scale is None else scale
    W_hh, W_qh = u.params["W_hh"], u.params["W_qh"]
    dL_do = {t: vscale(scale, vsub(st.vals["o"], y))
             for t, (st, y) in enumerate(zip(u.steps, u.ys), start=1)}
    WT = transpose(W_hh)
    dL_dh = {t: vadd(*[matvec(_power(WT, T - i + exponent_shift), tmatvec(W_qh, dL_do[T + t - i]))
                       for i in range(t, T + 1)]) for t in range(1, T + 1)}
    return {**_matrix_grads("W_qh", _sum([outer(dL_do[t], u.steps[t - 1].s)
                                         for t in range(1, T + 1)])),
            **_matrix_grads("W_hx", _sum([outer(dL_dh[t], u.xs[t - 1])
                                         for t in range(1, T + 1)])),
            **_matrix_grads("W_hh", _sum([outer(dL_dh[t], u.steps[t - 1].s_prev)
                                         for t in range(1, T + 1)]))}


@pytest.mark.parametrize("T,n,d,q", [(1, 2, 2, 2), (2, 3, 2, 4), (3, 2, 3, 4)])
def test_seed002_closed_form_of_dL_dh_and_seed003_parameter_sums(T, n, d, q):
    u = unrolled("d2l_linear", T, n, d, q)
    assert _agrees(u, seed002_grads(u))


@pytest.mark.parametrize("slip", [{"scale": se.Integer(1)}, {"exponent_shift": 1}])
def test_seed002_slips_are_caught(slip):
    # the lost 1/T; a power (W_hh^T)^(T-i+1) off by one
    u = unrolled("d2l_linear", 2, 3, 2, 4)
    assert not _agrees(u, seed002_grads(u, **slip))


def test_seed003_recurrence_closed_form_with_noncommuting_factors():
    # seed 003: a_t = b_t + c_t a_{t-1}, a_0 = 0  =>  a_t = b_t + sum_{i<t} (prod_{j=i+1}^t c_j) b_i
    # with the product running from c_t on the left down to c_{i+1} on the right
    b = sp.symbols("b1:7", commutative=False)
    c = sp.symbols("c1:7", commutative=False)
    a = 0
    for t in range(1, 7):
        a = b[t - 1] + c[t - 1] * a
        closed = b[t - 1] + sum((sp.Mul(*[c[j - 1] for j in range(t, i, -1)]) * b[i - 1]
                                 for i in range(1, t)), sp.Integer(0))
        assert sp.expand(a - closed) == 0
        if t >= 3:      # the reversed order c_{i+1} ... c_t is a different (wrong) product
            reversed_ = b[t - 1] + sum((sp.Mul(*[c[j - 1] for j in range(i + 1, t + 1)])
                                        * b[i - 1] for i in range(1, t)), sp.Integer(0))
            assert sp.expand(a - reversed_) != 0


# ---- D2L's scalar view, generic f, g, l (seeds 002, 003) --------------------------------
# dh_t/dw_h = df_t/dw_h + sum_{i=1}^{t-1} (prod_{j=i+1}^t df_j/dh_{j-1}) df_i/dw_h
# dL/dw_h = (1/T) sum_t dl/do_t dg/dh_t dh_t/dw_h

def _d2l_dh_dw(u, t: int):
    f = [st.vals["h"][0] for st in u.steps]      # f_j = f(x_j, h_{j-1}, w_h)
    term = f[t - 1].fdiff(3)
    for i in range(1, t):
        prod = sp.Mul(*[f[j - 1].fdiff(2) for j in range(i + 1, t + 1)])
        term += prod * f[i - 1].fdiff(3)
    return term


@pytest.mark.parametrize("T", [1, 2, 3, 4])
def test_d2l_closed_form_of_dh_dw_generic(T):
    u = unrolled("generic", T, backend=SYMPY)
    w_h = u.params["w_h"]
    for t in range(1, T + 1):
        h_t = u.steps[t - 1].s[0]
        assert sp.expand(sp.diff(h_t, w_h) - _d2l_dh_dw(u, t)) == 0
    o = [st.vals["o"][0] for st in u.steps]
    claim = sp.Rational(1, T) * sum(
        sp.Function("l", real=True)(u.ys[t - 1][0], o[t - 1]).fdiff(2) * o[t - 1].fdiff(1)
        * _d2l_dh_dw(u, t) for t in range(1, T + 1))
    assert sp.expand(direct.gradient(u)["w_h"] - claim) == 0


def test_d2l_closed_form_without_the_sum_is_wrong():
    # truncating the sum to the local term (tau = 0) is not dh_t/dw_h
    u = unrolled("generic", 3, backend=SYMPY)
    h_3 = u.steps[2].s[0]
    assert sp.expand(sp.diff(h_3, u.params["w_h"]) - u.steps[2].vals["h"][0].fdiff(3)) != 0


# ---- seed 004, second half (004_62ba402ad1754453.txt): tanh RNN, softmax, cross-entropy --
# dL/dW_hy = sum_t dL_t/dyhat_t dyhat_t/dW_hy  (= sum_t (yhat_t - y_t) h_t^T through o_t)
# dL/dh_k = dL_k/dyhat_k dyhat_k/dh_k + dL/dh_{k+1} dh_{k+1}/dh_k,
# dh_{k+1}/dh_k = tanh'(...) W_hh;  dL/dW_hh = sum_t dL/dh_t dh_t/dW_hh

def seed004_softmax_grads(u, transpose_whh: bool = True) -> dict:
    W_hh, W_hy, T = u.params["W_hh"], u.params["W_hy"], u.T
    g_o = [vsub(st.vals["yhat"], y) for st, y in zip(u.steps, u.ys)]
    slope = [tuple(1 - h * h for h in st.s) for st in u.steps]          # tanh' = 1 - h^2
    dh = [None] * T
    dh[-1] = tmatvec(W_hy, g_o[-1])
    for k in range(T - 2, -1, -1):
        g = hadamard(slope[k + 1], dh[k + 1])
        dh[k] = vadd(tmatvec(W_hy, g_o[k]), tmatvec(W_hh, g) if transpose_whh else matvec(W_hh, g))
    g_a = [hadamard(slope[t], dh[t]) for t in range(T)]
    return {**_matrix_grads("W_hy", _sum([outer(g_o[t], u.steps[t].s) for t in range(T)])),
            **_vector_grads("b_y", vadd(*g_o)),
            **_matrix_grads("W_hh", _sum([outer(g_a[t], u.steps[t].s_prev) for t in range(T)])),
            **_matrix_grads("W_xh", _sum([outer(g_a[t], u.xs[t]) for t in range(T)])),
            **_vector_grads("b_h", vadd(*g_a))}


@pytest.mark.parametrize("T,n,d,q", [(1, 2, 2, 3), (2, 3, 2, 4)])
def test_seed004_softmax_cross_entropy_recursion(T, n, d, q):
    u = unrolled("elman_softmax", T, n, d, q)
    assert _agrees(u, seed004_softmax_grads(u))


def test_seed004_softmax_slip_is_caught():
    u = unrolled("elman_softmax", 2, 3, 2, 4)
    assert not _agrees(u, seed004_softmax_grads(u, transpose_whh=False))


# ---- seed 001: attention's shortcut ------------------------------------------------------
# "dL_t/dx_{t-tau} = (recurrent path) + (attention shortcut)", the shortcut "directly
# tied to alpha_{t,t-tau}" and no Jacobian product (001_1e08c73fd0114278.txt, attention)

def _split_unrolled(T, n=2, d=3, q=2):
    from symbptt.model.spec import Dims
    from symbptt.symbolic.backend import SYMENGINE
    from symbptt.symbolic.cells import cell_for
    from symbptt.symbolic.unroll import unroll
    from symbptt.model.registry import get_model
    spec = get_model("attention")
    return unroll(spec, cell_for(spec), T, Dims(n, d, q), SYMENGINE, split=True)


def test_seed001_attention_gradient_splits_into_recurrent_path_and_shortcut():
    from symbptt.symbolic import recursive
    from symbptt.symbolic.zero import SlopeAtoms, SoftmaxAtoms
    u = _split_unrolled(2)
    D, R = truth(u), recursive.gradient(u)
    fast = SlopeAtoms(SoftmaxAtoms([st.vals["e"] for st in u.steps]))
    for t in (1, 2):
        for i in range(3):
            total, via_h, via_att = (f"x_{t}[{i}]", f"x_{t}[{i}] recurrent",
                                     f"x_{t}[{i}] attention")
            assert fast.equal(D[total], D[via_h] + D[via_att])
            assert fast.equal(D[via_h], R[via_h]) and fast.equal(D[via_att], R[via_att])
    # the last input reaches the loss through h_T's step as well as its attention weight;
    # a recurrent path alone is not the gradient
    assert not fast.equal(D["x_1[0]"], R["x_1[0] recurrent"])


def test_seed001_attention_shortcut_is_alpha_times_the_output_gradient():
    # W_a = 0: uniform attention alpha_{t,k} = 1/t, and dl_t/dx_k along the shortcut is
    # alpha_{t,k} V_o^T (o_t - y_t): no Jacobian product, whatever the distance t - k
    u = _split_unrolled(3, n=2, d=2, q=2)
    zero = {s: 0 for row in u.params["W_a"] for s in row}
    D = truth(u)
    steps = u.steps
    for k in (1, 2, 3):
        for i in range(2):
            want = 0
            for st, y in zip(steps[k - 1:], u.ys[k - 1:]):
                g_o = vsub(st.vals["o"], y)
                want = want + se.Rational(1, st.t) * tmatvec(u.params["V_o"], g_o)[i]
            got = D[f"x_{k}[{i}] attention"]
            assert se.expand(got.subs(zero) - want.subs(zero)) == 0
