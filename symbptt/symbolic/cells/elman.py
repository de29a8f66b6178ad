"""The Elman family of zoo cells as small tables of rules: scalar_linear,
linear_half_square, d2l_linear, elman (any activation), elman_softmax, residual, and
generic (f, g, l undefined). A rule reads like the seed formula it comes from.
"""
from __future__ import annotations

from fractions import Fraction

from ..activations import Activation
from ..linalg import (diag_matmul, hadamard, identity, matvec, outer, tmatvec, total,
                     vadd, vscale, vsub)
from .rule import (HALF_SQUARE, Cell, Equations, _half_square_loss, _half_square_vjp,
                   keep)


# ---- scalar_linear (seed 004) ---------------------------------------------------------

def _scalar_step(be, P, s_prev, x, put=keep):
    h = put("h", (P["W_xh"] * x[0] + P["W_hh"] * s_prev[0],))
    return {"h": h}, h


def _scalar_loss(be, P, st, y, T):
    return (st.vals["yhat"][0] - y[0]) ** 2


def _scalar_loss_vjp(be, P, st, y, T):
    g_yhat = 2 * (st.vals["yhat"][0] - y[0])          # dLoss_t/dyhat_t = 2 (yhat_t - y_t)
    return (P["W_hy"] * g_yhat,), {"W_hy": g_yhat * st.s[0]}


def _scalar_vjp(be, P, st, g):
    return (P["W_hh"] * g[0],), {"W_xh": g[0] * st.x[0], "W_hh": g[0] * st.s_prev[0]}, \
        (P["W_xh"] * g[0],)


SCALAR_LINEAR = Cell(
    "scalar_linear", _scalar_step, _scalar_loss, _scalar_loss_vjp, _scalar_vjp,
    lambda be, P, st: ((P["W_hh"],),),
    rules=("dL/dh_t = 2 (yhat_t - y_t) W_hy + W_hh dL/dh_{t+1}",
           "dL/dW_hy = sum_t 2 (yhat_t - y_t) h_t", "dL/dW_hh = sum_t dL/dh_t h_{t-1}",
           "dL/dW_xh = sum_t dL/dh_t x_t"),
    readout=lambda be, P, s, xs, put=keep: {"yhat": put("yhat", (P["W_hy"] * s[0],))})


# ---- linear_half_square (seed 000) ----------------------------------------------------

def _lhs_step(be, P, s_prev, x, put=keep):
    h = put("h", vadd(matvec(P["W_h"], s_prev), matvec(P["W_x"], x)))
    return {"h": h}, h


LINEAR_HALF_SQUARE = Cell(
    "linear_half_square", _lhs_step,
    lambda be, P, st, y, T: total([h * h for h in st.vals["h"]]) * be.number(Fraction(1, 2)),
    lambda be, P, st, y, T: (st.vals["h"], {}),               # dl_t/dh_t = h_t
    lambda be, P, st, g: (tmatvec(P["W_h"], g),
                          {"W_h": outer(g, st.s_prev), "W_x": outer(g, st.x)},
                          tmatvec(P["W_x"], g)),
    lambda be, P, st: P["W_h"],
    rules=("dL/dh_t = h_t + W_h^T dL/dh_{t+1}", "dL/dW_x = sum_t dL/dh_t x_t^T",
           "dL/dW_h = sum_t dL/dh_t h_{t-1}^T"))


# ---- d2l_linear (seeds 002, 003) ------------------------------------------------------

def _d2l_step(be, P, s_prev, x, put=keep):
    h = put("h", vadd(matvec(P["W_hx"], x), matvec(P["W_hh"], s_prev)))
    return {"h": h}, h


def _d2l_loss(be, P, st, y, T):
    return total([(o - yi) ** 2 for o, yi in zip(st.vals["o"], y)]) * be.number(Fraction(1, 2 * T))


def _d2l_loss_vjp(be, P, st, y, T):
    g_o = vscale(be.number(Fraction(1, T)), vsub(st.vals["o"], y))   # dL/do_t = (o_t - y_t) / T
    return tmatvec(P["W_qh"], g_o), {"W_qh": outer(g_o, st.s)}


D2L_LINEAR = Cell(
    "d2l_linear", _d2l_step, _d2l_loss, _d2l_loss_vjp,
    lambda be, P, st, g: (tmatvec(P["W_hh"], g),
                          {"W_hx": outer(g, st.x), "W_hh": outer(g, st.s_prev)},
                          tmatvec(P["W_hx"], g)),
    lambda be, P, st: P["W_hh"],
    rules=("dL/do_t = (o_t - y_t) / T", "dL/dh_t = W_hh^T dL/dh_{t+1} + W_qh^T dL/do_t",
           "dL/dW_qh = sum_t dL/do_t h_t^T", "dL/dW_hx = sum_t dL/dh_t x_t^T",
           "dL/dW_hh = sum_t dL/dh_t h_{t-1}^T"),
    readout=lambda be, P, s, xs, put=keep: {"o": put("o", matvec(P["W_qh"], s))})


# ---- elman (seed 001) -----------------------------------------------------------------

def elman_cell(act: Activation) -> Cell:
    def step(be, P, s_prev, x, put=keep):
        a = put("a", vadd(matvec(P["W"], s_prev), matvec(P["U"], x), P["b"]))
        h = put("h", tuple(act.apply(be, ai) for ai in a))
        return {"a": a, "h": h}, h

    def vjp(be, P, st, g):
        # seed 001: dL/da_t = diag(phi'(a_t)) delta_t; delta_{t-1} gets W^T dL/da_t
        g_a = hadamard(tuple(act.slope_from_output(h) for h in st.vals["h"]), g)
        return tmatvec(P["W"], g_a), \
            {"W": outer(g_a, st.s_prev), "U": outer(g_a, st.x), "b": g_a}, tmatvec(P["U"], g_a)

    def jacobian(be, P, st):
        return diag_matmul(tuple(act.slope_from_output(h) for h in st.vals["h"]), P["W"])

    return Cell(f"elman/{act.name}", step, _half_square_loss, _half_square_vjp, vjp, jacobian,
                rules=(act.formula,
                       "delta_t = dl/dh_t + W^T diag(phi'(a_{t+1})) delta_{t+1}",
                       "dL/dW = sum_t (diag(phi'(a_t)) delta_t) h_{t-1}^T",
                       "dL/dU = sum_t (diag(phi'(a_t)) delta_t) x_t^T",
                       "dL/db = sum_t diag(phi'(a_t)) delta_t",
                       "J_t = diag(phi'(a_t)) W"))


# ---- elman_softmax (seeds 004, 000) ---------------------------------------------------

def _softmax_step(be, P, s_prev, x, put=keep):
    a = put("a", vadd(matvec(P["W_xh"], x), matvec(P["W_hh"], s_prev), P["b_h"]))
    h = put("h", tuple(be.tanh(ai) for ai in a))
    return {"a": a, "h": h}, h


def _softmax_readout(be, P, h, xs, put=keep):
    o = put("o", vadd(matvec(P["W_hy"], h), P["b_y"]))
    e = tuple(be.exp(oi) for oi in o)
    z = total(list(e))
    return {"o": o, "yhat": put("yhat", tuple(ei / z for ei in e))}


def _softmax_loss(be, P, st, y, T):
    # -y . log softmax(o), with log softmax(o)_k = o_k - log sum_j exp(o_j)
    o = st.vals["o"]
    lse = be.log(total([be.exp(oi) for oi in o]))
    return -total([yi * (oi - lse) for yi, oi in zip(y, o)])


def _softmax_loss_vjp(be, P, st, y, T):
    g_o = vsub(st.vals["yhat"], y)                        # y_t a probability vector
    return tmatvec(P["W_hy"], g_o), {"W_hy": outer(g_o, st.s), "b_y": g_o}


def _softmax_vjp(be, P, st, g):
    g_a = hadamard(tuple(1 - h * h for h in st.vals["h"]), g)
    return tmatvec(P["W_hh"], g_a), \
        {"W_xh": outer(g_a, st.x), "W_hh": outer(g_a, st.s_prev), "b_h": g_a}, \
        tmatvec(P["W_xh"], g_a)


ELMAN_SOFTMAX = Cell(
    "elman_softmax", _softmax_step, _softmax_loss, _softmax_loss_vjp, _softmax_vjp,
    lambda be, P, st: diag_matmul(tuple(1 - h * h for h in st.vals["h"]), P["W_hh"]),
    rules=("dL/do_t = yhat_t - y_t", "dL/dW_hy = sum_t dL/do_t h_t^T",
           "dL/dh_t = W_hy^T dL/do_t + W_hh^T diag(1 - h_{t+1}^2) dL/dh_{t+1}",
           "dL/dW_hh = sum_t (diag(1 - h_t^2) dL/dh_t) h_{t-1}^T",
           "dL/dW_xh = sum_t (diag(1 - h_t^2) dL/dh_t) x_t^T"),
    readout=_softmax_readout, softmax="o")


# ---- residual (seed 001) --------------------------------------------------------------

def _residual_step(be, P, s_prev, x, put=keep):
    a = put("a", vadd(matvec(P["W"], s_prev), matvec(P["U"], x), P["b"]))
    phi = put("phi", tuple(be.tanh(ai) for ai in a))
    h = put("h", vadd(s_prev, phi))
    return {"a": a, "phi": phi, "h": h}, h


def _residual_slope(st):
    # phi'(a_t) = 1 - phi(a_t)^2, from the phi(a_t) the forward pass stored
    return tuple(1 - p * p for p in st.vals["phi"])


def _residual_vjp(be, P, st, g):
    g_a = hadamard(_residual_slope(st), g)
    return vadd(g, tmatvec(P["W"], g_a)), \
        {"W": outer(g_a, st.s_prev), "U": outer(g_a, st.x), "b": g_a}, tmatvec(P["U"], g_a)


def _residual_jacobian(be, P, st):
    d = diag_matmul(_residual_slope(st), P["W"])
    eye = identity(len(d))
    return tuple(tuple(e + x for e, x in zip(er, dr)) for er, dr in zip(eye, d))


RESIDUAL = Cell(
    "residual", _residual_step, _half_square_loss, _half_square_vjp, _residual_vjp,
    _residual_jacobian,
    rules=("J_t = I + diag(phi'(a_t)) W",
           "delta_t = dl/dh_t + (I + W^T diag(phi'(a_{t+1}))) delta_{t+1}",
           "dL/dW = sum_t (diag(phi'(a_t)) delta_t) h_{t-1}^T"))


# ---- generic (seeds 002, 003): f, g, l undefined --------------------------------------

def _generic_step(be, P, s_prev, x, put=keep):
    h = put("h", (be.function("f")(x[0], s_prev[0], P["w_h"]),))
    return {"h": h}, h


def _generic_loss(be, P, st, y, T):
    return be.function("l")(y[0], st.vals["o"][0]) * be.number(Fraction(1, T))


def _generic_loss_vjp(be, P, st, y, T):
    # dL/do_t = (1/T) dl(y_t, o_t)/do_t; o_t = g(h_t, w_o)
    g_o = be.function("l")(y[0], st.vals["o"][0]).fdiff(2) * be.number(Fraction(1, T))
    o = st.vals["o"][0]
    return (g_o * o.fdiff(1),), {"w_o": g_o * o.fdiff(2)}


def _generic_vjp(be, P, st, g):
    h = st.vals["h"][0]          # f(x_t, h_{t-1}, w_h): fdiff(i) is its i-th partial there
    return (g[0] * h.fdiff(2),), {"w_h": g[0] * h.fdiff(3)}, (g[0] * h.fdiff(1),)


GENERIC = Cell(
    "generic", _generic_step, _generic_loss, _generic_loss_vjp, _generic_vjp,
    lambda be, P, st: ((st.vals["h"][0].fdiff(2),),),
    rules=("dh_t/dw_h = df_t/dw_h + df_t/dh_{t-1} dh_{t-1}/dw_h",
           "dh_t/dw_h = df_t/dw_h + sum_{i<t} (prod_{j=i+1}^t df_j/dh_{j-1}) df_i/dw_h"),
    readout=lambda be, P, s, xs, put=keep: {"o": put("o", (be.function("g")(s[0], P["w_o"]),))},
    backends=("sympy",))


# The Elman family as equations (symbptt derive reads these, never the rules above)
EQUATIONS = {
    "scalar_linear": Equations(("h[t] = W_xh * x[t] + W_hh * h[t-1]", "yhat[t] = W_hy * h[t]"),
                               "l[t] = (yhat[t] - y[t])^2"),
    "linear_half_square": Equations(("h[t] = W_h @ h[t-1] + W_x @ x[t]",),
                                    "l[t] = h[t].T @ h[t] / 2"),
    "d2l_linear": Equations(("h[t] = W_hx @ x[t] + W_hh @ h[t-1]", "o[t] = W_qh @ h[t]"),
                            "l[t] = (o[t] - y[t]).T @ (o[t] - y[t]) / 2", mean=True),
    "elman": Equations(("a[t] = W @ h[t-1] + U @ x[t] + b", "h[t] = phi(a[t])"), HALF_SQUARE),
    "elman_softmax": Equations(("a[t] = W_xh @ x[t] + W_hh @ h[t-1] + b_h", "h[t] = tanh(a[t])",
                                "o[t] = W_hy @ h[t] + b_y", "yhat[t] = softmax(o[t])"),
                               "l[t] = -y[t].T @ log(yhat[t])", simplex_targets=True),
    "residual": Equations(("a[t] = W @ h[t-1] + U @ x[t] + b", "h[t] = h[t-1] + tanh(a[t])"),
                          HALF_SQUARE),
}
