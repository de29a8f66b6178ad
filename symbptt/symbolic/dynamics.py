"""Gradient dynamics, exactly (seeds 000, 001, 002): truncation and its bias.

The scalar linear RNN h_t = a h_{t-1} + x_t, h_0 = 0, l_t = h_t^2 / 2 (the zoo's
linear_half_square at n = d = 1 with W_x = 1, W_h = a). Truncated BPTT with window k lets
the gradient of l_s reach back to step s - k + 1 only: h_{s-k} is a constant there, as
detach() makes it. Everything here is derived from the unrolled expressions by SymPy, not
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
    sub = {tb.a: a, **{x: v for x, v in zip(tb.xs, xs)}}
    return {name: float(getattr(tb, name).subs(sub)) for name in ("full", "truncated", "bias")}
