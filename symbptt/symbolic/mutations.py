"""Deliberately wrong rules: the classic slips of hand-derived BPTT, one rule each.

A prover is only worth its "proven" if it says "not proven" to these. Each mutation
replaces one rule of a zoo cell by the slip a person makes on paper.
"""
from __future__ import annotations

from dataclasses import replace

from ..errors import SymbpttError
from .activations import ACTIVATIONS
from .cells.elman import (D2L_LINEAR, ELMAN_SOFTMAX, GENERIC, LINEAR_HALF_SQUARE, RESIDUAL,
                    SCALAR_LINEAR, _residual_slope, elman_cell)
from .linalg import hadamard, matvec, outer, tmatvec, vadd, vsub
from .cells.rule import Cell


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
    if model == "attention":
        return attention_mutations()
    return gated_mutations(model)


def attention_mutations() -> dict:
    """The recurrence's three slips, and two of the attention's own."""
    from .cells.attention import ATTENTION

    def mean_dropped(be, P, st, y, T):
        # dl/de_k = alpha_k dl/dalpha_k: the softmax's - sum_j alpha_j dl/dalpha_j forgotten
        v = dict(st.vals)
        g_s, local, shortcut = ATTENTION.loss_vjp(be, P, st, y, T)
        g_c = tmatvec(P["V_o"], vsub(v["o"], y))
        g_e = tuple(a * sum((xi * gi for xi, gi in zip(x, g_c)), 0)
                    for a, x in zip(v["alpha"], v["xs"]))
        g_ex = vadd(*(tuple(ge * xi for xi in x) for ge, x in zip(g_e, v["xs"])))
        g_h = vadd(tmatvec(P["W_o"], vsub(v["o"], y)), matvec(P["W_a"], g_ex))
        return g_h, {**local, "W_a": outer(st.s, g_ex)}, shortcut

    def shortcut_dropped(be, P, st, y, T):
        return ATTENTION.loss_vjp(be, P, st, y, T)[:2]

    table = _elman_family(ATTENTION, "W", _elman_slope(ACTIVATIONS["tanh"]))
    table["dropped-softmax-mean"] = (
        "dl/de_k = alpha_k dl/dalpha_k, the softmax's - sum_j alpha_j dl/dalpha_j dropped",
        replace(ATTENTION, loss_vjp=mean_dropped))
    table["dropped-shortcut"] = (
        "dL/dx_k through h_k only: the attention shortcut sum_t dl_t/dx_k forgotten",
        replace(ATTENTION, loss_vjp=shortcut_dropped))
    return table


def mutated_cell(model: str, name: str, activation: str | None = None) -> Cell:
    table = mutations(model, activation)
    if name not in table:
        known = ", ".join(sorted(table)) or "none"
        raise SymbpttError(f"unknown mutation {name!r} for {model}; known: {known}")
    return replace(table[name][1], name=f"{table[name][1].name} [mutation: {name}]")



# ---- the gated cells: a dropped gate term, a swapped z / 1 - z, a missing transpose ------

def _gated_table(cell: Cell, slips: dict) -> dict:
    """slips: name -> (what, back_delta(be, P, st, g)): what the slip adds to J^T g."""
    def mutate(delta):
        def vjp(be, P, st, g):
            back, params, g_x = cell.vjp(be, P, st, g)
            return vadd(back, delta(be, P, st, g)), params, g_x
        return replace(cell, vjp=vjp)
    return {name: (what, mutate(delta)) for name, (what, delta) in slips.items()}


def _neg(v):
    return tuple(-a for a in v)


def _gru_pieces(P, st, g):
    from .cells.gated import _sig_slope, _tanh_slope
    h, v = st.s_prev, st.vals
    g_a_h = hadamard(hadamard(g, v["z"]), _tanh_slope(v["htilde"]))
    g_rh = tmatvec(P["W_h"], g_a_h)
    g_a_r = hadamard(hadamard(g_rh, h), _sig_slope(v["r"]))
    return g_a_h, g_rh, g_a_r


def _gru_slips() -> dict:
    def dropped(be, P, st, g):                  # the reset gate's path W_r^T g_a_r forgotten
        return _neg(tmatvec(P["W_r"], _gru_pieces(P, st, g)[2]))

    def swapped(be, P, st, g):                  # g * z where g * (1 - z) belongs
        return tuple(gi * (2 * zi - 1) for gi, zi in zip(g, st.vals["z"]))

    def transpose(be, P, st, g):                # W_h g_a_h where W_h^T g_a_h belongs
        g_a_h, g_rh, _ = _gru_pieces(P, st, g)
        return hadamard(vsub(matvec(P["W_h"], g_a_h), g_rh), st.vals["r"])
    return {"dropped-gate-term": ("the reset gate's term W_r^T dL/da_r dropped", dropped),
            "swapped-z": ("z where 1 - z belongs on the h_{t-1} path", swapped),
            "missing-transpose": ("W_h where W_h^T belongs", transpose)}


def _gt_pieces(P, st, g):
    from .cells.gated import _sig_slope, _tanh_slope
    v = st.vals
    g_an = hadamard(hadamard(g, tuple(1 - zi for zi in v["z"])), _tanh_slope(v["n"]))
    g_ar = hadamard(hadamard(g_an, v["hn"]), _sig_slope(v["r"]))
    return hadamard(g_an, v["r"]), g_ar


def _gt_slips() -> dict:
    def dropped(be, P, st, g):
        return _neg(tmatvec(P["W_hr"], _gt_pieces(P, st, g)[1]))

    def swapped(be, P, st, g):                  # g * (1 - z) where g * z belongs
        return tuple(gi * (1 - 2 * zi) for gi, zi in zip(g, st.vals["z"]))

    def transpose(be, P, st, g):
        g_hn = _gt_pieces(P, st, g)[0]
        return vsub(matvec(P["W_hn"], g_hn), tmatvec(P["W_hn"], g_hn))
    return {"dropped-gate-term": ("the reset gate's term W_hr^T dL/da_r dropped", dropped),
            "swapped-z": ("1 - z where z belongs on the h_{t-1} path", swapped),
            "missing-transpose": ("W_hn where W_hn^T belongs", transpose)}


def _lstm_slips(n_of) -> dict:
    from .cells.gated import _sig_slope, _tanh_slope

    def pieces(P, st, g):
        n = n_of(st)
        v = st.vals
        g_h, g_c = g[:n], g[n:]
        g_c_all = vadd(g_c, hadamard(hadamard(g_h, v["o"]), _tanh_slope(v["tanh_c"])))
        g_ao = hadamard(hadamard(g_h, v["tanh_c"]), _sig_slope(v["o"]))
        g_af = hadamard(hadamard(g_c_all, st.s_prev[n:]), _sig_slope(v["f"]))
        return n, g_c_all, g_ao, g_af

    def dropped(be, P, st, g):                  # the output gate's W_o^T dL/da_o dropped
        n, _, g_ao, _ = pieces(P, st, g)
        return _neg(tmatvec(P["W_o"], g_ao)) + tuple(0 for _ in range(n))

    def carousel(be, P, st, g):                 # dL/dc_{t-1} = dL/dc_t * f, the h path lost
        n, g_c_all, _, _ = pieces(P, st, g)
        return tuple(0 for _ in range(n)) + _neg(hadamard(vsub(g_c_all, g[n:]), st.vals["f"]))

    def transpose(be, P, st, g):
        n, _, _, g_af = pieces(P, st, g)
        return vsub(matvec(P["W_f"], g_af), tmatvec(P["W_f"], g_af)) + tuple(0 for _ in range(n))
    return {"dropped-gate-term": ("the output gate's term W_o^T dL/da_o dropped", dropped),
            "carousel-without-h": ("dL/dc_{t-1} = f dL/dc_t, the path through h_t lost",
                                   carousel),
            "missing-transpose": ("W_f where W_f^T belongs", transpose)}


def gated_mutations(model: str) -> dict:
    from .cells.gated import GATED
    if model == "gru":
        return _gated_table(GATED["gru"], _gru_slips())
    if model == "gru_torch":
        return _gated_table(GATED["gru_torch"], _gt_slips())
    if model == "lstm":
        return _gated_table(GATED["lstm"], _lstm_slips(lambda st: len(st.s) // 2))
    return {}
