"""Deliberately wrong rules: the classic slips of hand-derived BPTT, one rule each.

A prover is only worth its "proven" if it says "not proven" to these. Each mutation
replaces one rule of a zoo cell by the slip a person makes on paper.
"""
from __future__ import annotations

from dataclasses import replace

from ..errors import SymbpttError
from .activations import ACTIVATIONS
from .cells import (D2L_LINEAR, ELMAN_SOFTMAX, GENERIC, LINEAR_HALF_SQUARE, RESIDUAL,
                    SCALAR_LINEAR, Cell, _residual_slope, elman_cell)
from .linalg import hadamard, matvec, outer, tmatvec, vadd, vsub


def _elman_family(cell: Cell, w: str, slope, skip: bool = False) -> dict:
    """Mutations of a cell whose VJP is W^T (slope * g) with W = P[w] (plus g if `skip`:
    the residual cell's identity path, kept intact so that each mutation is one slip)."""
    def back_with(g, wrong):
        return vadd(g, wrong) if skip else wrong

    def missing_transpose(be, P, st, g):
        back, params, g_x = cell.vjp(be, P, st, g)
        return back_with(g, matvec(P[w], hadamard(slope(st), g))), params, g_x

    def shifted_index(be, P, st, g):
        # diag(phi'(a_t)) where diag(phi'(a_{t+1})) belongs: the slope of the step before
        _, params, g_x = cell.vjp(be, P, st, g)
        prev = replace(st, vals={**st.vals, "h": st.s_prev})
        return back_with(g, tmatvec(P[w], hadamard(slope(prev), g))), params, g_x

    def h_t_for_h_prev(be, P, st, g):
        back, params, g_x = cell.vjp(be, P, st, g)
        return back, {**params, w: outer(hadamard(slope(st), g), st.s)}, g_x

    return {
        "missing-transpose": ("W g where W^T g belongs in the delta recursion",
                              replace(cell, vjp=missing_transpose)),
        "shifted-index": ("phi'(a_t) where phi'(a_{t+1}) belongs in the delta recursion",
                          replace(cell, vjp=shifted_index)),
        "h_t-for-h_{t-1}": ("dL/dW = sum_t dL/da_t h_t^T instead of h_{t-1}^T",
                            replace(cell, vjp=h_t_for_h_prev)),
    }


def _elman_slope(act):
    return lambda st: tuple(act.slope_from_output(h) for h in st.vals["h"])


def _linear(cell: Cell, w: str) -> dict:
    def missing_transpose(be, P, st, g):
        _, params, g_x = cell.vjp(be, P, st, g)
        return matvec(P[w], g), params, g_x

    def h_t_for_h_prev(be, P, st, g):
        back, params, g_x = cell.vjp(be, P, st, g)
        return back, {**params, w: outer(g, st.s)}, g_x

    return {
        "missing-transpose": (f"{w} g where {w}^T g belongs in the recursion",
                              replace(cell, vjp=missing_transpose)),
        "h_t-for-h_{t-1}": (f"dL/d{w} = sum_t dL/dh_t h_t^T instead of h_{{t-1}}^T",
                            replace(cell, vjp=h_t_for_h_prev)),
    }


def _d2l_lost_t(be, P, st, y, T):
    g_o = vsub(st.vals["o"], y)                     # the 1/T of L = (1/T) sum_t ... lost
    return tmatvec(P["W_qh"], g_o), {"W_qh": outer(g_o, st.s)}


def _scalar_lost_two(be, P, st, y, T):
    g_yhat = st.vals["yhat"][0] - y[0]              # d(e^2)/de = 2e, the 2 lost
    return (P["W_hy"] * g_yhat,), {"W_hy": g_yhat * st.s[0]}


def _scalar_h_t(be, P, st, g):
    back, params, g_x = SCALAR_LINEAR.vjp(be, P, st, g)
    return back, {**params, "W_hh": g[0] * st.s[0]}, g_x


def _generic_lost_t(be, P, st, y, T):
    g_o = be.function("l")(y[0], st.vals["o"][0]).fdiff(2)
    o = st.vals["o"][0]
    return (g_o * o.fdiff(1),), {"w_o": g_o * o.fdiff(2)}


def _residual_dropped_identity(be, P, st, g):
    # J_t^T = W^T diag(phi'): the identity of the skip connection forgotten
    _, params, g_x = RESIDUAL.vjp(be, P, st, g)
    return tmatvec(P["W"], hadamard(_residual_slope(st), g)), params, g_x


def mutations(model: str, activation: str | None = None) -> dict:
    """name -> (what the slip is, the cell with that one rule wrong)."""
    if model == "elman":
        act = ACTIVATIONS[activation or "tanh"]
        return _elman_family(elman_cell(act), "W", _elman_slope(act))
    if model == "elman_softmax":
        return _elman_family(ELMAN_SOFTMAX, "W_hh", _elman_slope(ACTIVATIONS["tanh"]))
    if model == "residual":
        table = _elman_family(RESIDUAL, "W", _residual_slope, skip=True)
        del table["shifted-index"]       # phi(a_t) of the step before is not in a Step
        table["dropped-identity"] = ("J_t = diag(phi'(a_t)) W, the skip connection's I lost",
                                     replace(RESIDUAL, vjp=_residual_dropped_identity))
        return table
    if model == "linear_half_square":
        return _linear(LINEAR_HALF_SQUARE, "W_h")
    if model == "d2l_linear":
        table = _linear(D2L_LINEAR, "W_hh")
        table["lost-1/T"] = ("dL/do_t = o_t - y_t, the 1/T of the mean lost",
                             replace(D2L_LINEAR, loss_vjp=_d2l_lost_t))
        return table
    if model == "scalar_linear":
        return {"lost-factor-2": ("dLoss_t/dyhat_t = yhat_t - y_t, the 2 of the square lost",
                                  replace(SCALAR_LINEAR, loss_vjp=_scalar_lost_two)),
                "h_t-for-h_{t-1}": ("dL/dW_hh = sum_t dL/dh_t h_t instead of h_{t-1}",
                                    replace(SCALAR_LINEAR, vjp=_scalar_h_t))}
    if model == "generic":
        return {"lost-1/T": ("dL/do_t = dl/do_t, the 1/T of the mean lost",
                             replace(GENERIC, loss_vjp=_generic_lost_t))}
    return {}


def mutated_cell(model: str, name: str, activation: str | None = None) -> Cell:
    table = mutations(model, activation)
    if name not in table:
        known = ", ".join(sorted(table)) or "none"
        raise SymbpttError(f"unknown mutation {name!r} for {model}; known: {known}")
    return replace(table[name][1], name=f"{table[name][1].name} [mutation: {name}]")

