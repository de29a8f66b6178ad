"""Gradient dynamics, exactly (seeds 000, 001, 002): truncation and its bias.

The scalar linear RNN h_t = a h_{t-1} + x_t, h_0 = 0, l_t = h_t^2 / 2 (the zoo's
linear_half_square at n = d = 1 with W_x = 1, W_h = a). Truncated BPTT with window k lets
the gradient of l_s reach back to step s - k + 1 only: h_{s-k} is a constant there (seed
001's sliding window; D2L's training code detaches at fixed split points instead, a different
gradient). Everything here is derived from the unrolled expressions by SymPy, not
from the recursion:

    full      = dL/da                                     (diff of the unrolled L)
    truncated = sum_s d l_s(h_{s-k} held) / da            (diff with h_{s-k} a symbol)
    bias      = full - truncated
              = sum_{s=k+1}^T h_s sum_{t=1}^{s-k} a^(s-t) h_{t-1}     (closed form, proven)

Every term of the bias carries a^k or more: it shrinks with k when |a| < 1 and grows
with |a|. And d l_s / d x_j under truncation is exactly 0 once s - j >= k.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import SymbpttError


@dataclass(frozen=True)
class TruncationBias:
    T: int
    k: int
    a: sp.Symbol
    xs: tuple
    full: sp.Expr
    truncated: sp.Expr
    bias: sp.Expr                    # full - truncated, as derived
    closed_form: sp.Expr             # the formula in the module docstring
    proven: bool                     # expand(bias - closed_form) == 0
    cut_inputs: tuple                # (s, j, d l_s/d x_j truncated) with s - j >= k: all 0


def _states(a, xs, start=None, at: int = 0) -> list:
    """h_0..h_T, or, with `start`, h_at = start and the steps after it."""
    hs = [sp.Integer(0)]
    for t, x in enumerate(xs, start=1):
        hs.append(start if (start is not None and t == at) else a * hs[-1] + x)
    return hs


def truncation_bias(T: int, k: int) -> TruncationBias:
    """The window-k truncation of dL/da for the scalar linear RNN, and its bias."""
    if not (1 <= k <= T):
        raise SymbpttError(f"a truncation window k must be in 1..T (T = {T}), got {k}")
    a = sp.Symbol("a", real=True)
    xs = tuple(sp.Symbol(f"x_{t}", real=True) for t in range(1, T + 1))
    hs = _states(a, xs)
    full = sp.diff(sum(h ** 2 for h in hs[1:]) / 2, a)
    truncated = sp.Integer(0)
    cut = []
    held = sp.Symbol("held", real=True)
    for s in range(1, T + 1):
        if s - k >= 1:                      # h_{s-k} a constant for l_s
            hs_s = _states(a, xs, held, s - k)
            l_s = hs_s[s] ** 2 / 2
            value = hs[s - k]
            truncated += sp.diff(l_s, a).subs(held, value)
            cut += [(s, j, sp.diff(l_s, xs[j - 1]).subs(held, value))
                    for j in range(1, s - k + 1)]
        else:
            truncated += sp.diff(hs[s] ** 2 / 2, a)
    bias = full - truncated
    closed = sum((hs[s] * sum(a ** (s - t) * hs[t - 1] for t in range(1, s - k + 1))
                  for s in range(k + 1, T + 1)), sp.Integer(0))
    proven = sp.expand(bias - closed) == 0
    return TruncationBias(T, k, a, xs, sp.expand(full), sp.expand(truncated), sp.expand(bias),
                          closed, proven, tuple(cut))


def values(tb: TruncationBias, a: float, xs) -> dict:
    """The full and truncated gradients and the bias at numbers (floats)."""
    return {name: curve[0] for name, curve in curves(tb, xs, [a]).items()}


def curves(tb: TruncationBias, xs, grid) -> dict:
    """The full and truncated gradients and the bias at fixed inputs, along a grid of a:
    the inputs go in exactly once, leaving a polynomial in a, evaluated at each a."""
    sub = {x: sp.nsimplify(v) for x, v in zip(tb.xs, xs)}
    out = {}
    for name in ("full", "truncated", "bias"):
        poly = sp.Poly(sp.expand(getattr(tb, name).xreplace(sub)), tb.a)
        coeffs = [float(c) for c in poly.all_coeffs()]
        out[name] = [float(sum(c * float(a) ** (len(coeffs) - 1 - i)
                               for i, c in enumerate(coeffs))) for a in grid]
    return out


# ---- randomized truncation (seed 002; Tallec and Ollivier) ---------------------------------

@dataclass(frozen=True)
class RandomizedTruncation:
    """z_t = b_t + xi_t c_t z_{t-1}, z_0 = 0, with independent xi_t: 0 with probability
    1 - pi_t, 1/pi_t with probability pi_t. Its mean and variance, by summing over every
    outcome of the xi's (exact, pi_t symbolic), against a_t = b_t + c_t a_{t-1} (the total
    derivative dh_t/dw_h, seed 003's recurrence) and the closed form
        E[z_t^2] = b_t^2 + 2 b_t c_t a_{t-1} + (c_t^2 / pi_t) E[z_{t-1}^2]."""
    T: int
    mean: sp.Expr                    # E[z_T], summed over the 2^(T-1) outcomes
    target: sp.Expr                  # a_T
    unbiased: bool                   # E[z_T] == a_T, exactly
    variance: sp.Expr                # Var[z_T], summed over the outcomes
    variance_closed_form: sp.Expr
    variance_proven: bool
    expectation_of_xi: sp.Expr       # E[xi_t] (= 1, seed 002)


def _outcomes(pis: list):
    """Every assignment of the xi's with its probability."""
    from itertools import product
    for choice in product((0, 1), repeat=len(pis)):
        weight = sp.Integer(1)
        values = []
        for kept, p in zip(choice, pis):
            weight *= p if kept else (1 - p)
            values.append(1 / p if kept else sp.Integer(0))
        yield weight, values


def randomized_truncation(T: int) -> RandomizedTruncation:
    if not 1 <= T <= 8:
        raise SymbpttError(f"the exact sum over xi outcomes is built for T in 1..8, got {T}")
    b = [sp.Symbol(f"b_{t}", real=True) for t in range(1, T + 1)]
    c = [sp.Symbol(f"c_{t}", real=True) for t in range(1, T + 1)]
    pi = [sp.Symbol(f"pi_{t}", positive=True) for t in range(1, T + 1)]
    a = [sp.Integer(0)]
    for t in range(T):
        a.append(b[t] + c[t] * a[-1])
    mean = second = sp.Integer(0)
    for weight, xi in _outcomes(pi[1:]):         # xi_1 meets z_0 = 0: it plays no part
        z = sp.Integer(0)
        for t in range(T):
            z = b[t] + (xi[t - 1] if t else 0) * c[t] * z
        mean += weight * z
        second += weight * z ** 2
    mean = sp.cancel(sp.together(mean))
    variance = sp.cancel(sp.together(second - mean ** 2))
    m2 = sp.Integer(0)                           # E[z_t^2] by the closed form
    for t in range(T):
        prev_a = a[t]
        m2 = b[t] ** 2 + (2 * b[t] * c[t] * prev_a + c[t] ** 2 / pi[t] * m2 if t else 0)
    closed = sp.cancel(sp.together(m2 - a[T] ** 2))
    e_xi = sp.simplify(sum(w * v[0] for w, v in _outcomes(pi[:1])))
    return RandomizedTruncation(
        T, mean, a[T], sp.expand(mean - a[T]) == 0, variance, closed,
        sp.cancel(variance - closed) == 0, e_xi)


def estimator_moments(a, xs, pi) -> dict:
    """The engine's randomized-truncation estimate of dL/da for the scalar linear RNN
    (l_t = h_t^2 / 2): with the same xi's it is sum_s h_s z_s, z_s as above with
    b_t = h_{t-1}, c_t = a (the reverse recursion's double sum is the forward one's).
    Mean and variance summed over every outcome, exactly for rational a, x, pi."""
    a = sp.nsimplify(a)
    xs = [sp.nsimplify(x) for x in xs]
    p = sp.nsimplify(pi)
    if not (0 < p <= 1):
        raise SymbpttError(f"pi must be in (0, 1], got {pi}")
    hs = _states(a, xs)
    T = len(xs)
    mean = second = sp.Integer(0)
    for weight, xi in _outcomes([p] * (T - 1)):
        z, G = sp.Integer(0), sp.Integer(0)
        for t in range(1, T + 1):
            z = hs[t - 1] + (xi[t - 2] if t > 1 else 0) * a * z
            G += hs[t] * z
        mean += weight * G
        second += weight * G ** 2
    full = sp.diff(sum(h ** 2 for h in _states(sp.Symbol("a"), xs)[1:]) / 2,
                   sp.Symbol("a")).subs(sp.Symbol("a"), a)
    return {"mean": sp.nsimplify(mean), "variance": sp.nsimplify(second - mean ** 2),
            "full": sp.nsimplify(full)}


# ---- an orthogonal W keeps the gradient's norm (seed 001) -----------------------------------

@dataclass(frozen=True)
class RotationProof:
    """For the linear RNN with W a 2×2 rotation by a symbolic angle, dL/dh_{t-m} =
    (W^T)^m dL/dh_t has the norm of dL/dh_t for every m checked: ||(W^T)^m g||^2 - ||g||^2
    reduces to 0 modulo cos^2 + sin^2 = 1 (polynomial division, exact)."""
    steps: tuple[int, ...]
    remainders: tuple            # one per m: 0 when proven
    proven: bool


def rotation_keeps_the_norm(max_steps: int = 6, scale=1) -> RotationProof:
    """`scale` multiplies the rotation (scale != 1 is no longer orthogonal: the
    remainders then show it)."""
    c, s = sp.symbols("cos_theta sin_theta", real=True)
    g = sp.Matrix(sp.symbols("g_1 g_2", real=True))
    WT = sp.nsimplify(scale) * sp.Matrix([[c, -s], [s, c]]).T
    v = g
    rems = []
    for _ in range(max_steps):
        v = (WT * v).applyfunc(sp.expand)
        diff = sp.expand((v.T * v)[0] - (g.T * g)[0])
        rems.append(sp.reduced(diff, [c ** 2 + s ** 2 - 1], c, s)[1])
    return RotationProof(tuple(range(1, max_steps + 1)), tuple(rems),
                         all(r == 0 for r in rems))
