"""The Elman family as small tables of NumPy rules, batched over B: scalar_linear
(seed 004), linear_half_square, d2l_linear, elman (its activation an option),
elman_softmax and residual.

Shapes: x_t is (B, d), every state component is (B, n), parameters have their zoo shapes
(a scalar parameter is a 0-d array, and a scalar model's x_t and h_t are (B, 1)). Losses
are summed over the batch, so parameter gradients are too. Rules are written from what
the forward pass stored (tanh' = 1 - h^2), as a hand-written backward pass would be."""
from __future__ import annotations

import numpy as np

from .rule import (ACTIVATIONS, Cell, _half_square, _half_square_vjp, _input_part, _joined,
                   _prepare, _softmax, _tanh_slope, tanh)


# ---- scalar_linear (seed 004) ---------------------------------------------------------

def _scalar_step(P, s_prev, x, xs):
    h = P["W_xh"] * x + P["W_hh"] * s_prev[0]
    return {"yhat": P["W_hy"] * h}, (h,)


def _scalar_loss(P, st, y, T):
    return float(np.sum((st.cache["yhat"] - y) ** 2))


def _scalar_loss_vjp(P, st, y, T):
    g = 2.0 * (st.cache["yhat"] - y)
    return (P["W_hy"] * g,), {"W_hy": np.sum(g * st.s[0])}, {}


def _scalar_vjp(P, st, g):
    g = g[0]
    return (P["W_hh"] * g,), {"W_xh": np.sum(g * st.x), "W_hh": np.sum(g * st.s_prev[0])}, \
        P["W_xh"] * g


SCALAR_LINEAR = Cell("scalar_linear", _scalar_step, _scalar_loss, _scalar_loss_vjp, _scalar_vjp,
                     back=lambda P, st, g: (P["W_hh"] * g[0],), stackable=True)


# ---- linear_half_square (seed 000) ----------------------------------------------------

def _lhs_step(P, s_prev, x, xs):
    return {}, (s_prev[0] @ P["W_h"].T + x @ P["W_x"].T,)


def _lhs_vjp(P, st, g):
    g = g[0]
    return (g @ P["W_h"],), {"W_h": g.T @ st.s_prev[0], "W_x": g.T @ st.x}, g @ P["W_x"]


LINEAR_HALF_SQUARE = Cell(
    "linear_half_square", _lhs_step,
    lambda P, st, y, T: 0.5 * float(np.sum(st.s[0] ** 2)),
    lambda P, st, y, T: ((st.s[0],), {}, {}),
    _lhs_vjp, back=lambda P, st, g: (g[0] @ P["W_h"],), stackable=True)


# ---- d2l_linear (seeds 002, 003) ------------------------------------------------------

def _d2l_step(P, s_prev, x, xs):
    h = x @ P["W_hx"].T + s_prev[0] @ P["W_hh"].T
    return {"o": h @ P["W_qh"].T}, (h,)


def _d2l_loss(P, st, y, T):
    return 0.5 * float(np.sum((st.cache["o"] - y) ** 2)) / T


def _d2l_loss_vjp(P, st, y, T):
    g_o = (st.cache["o"] - y) / T
    return (g_o @ P["W_qh"],), {"W_qh": g_o.T @ st.s[0]}, {}


def _d2l_vjp(P, st, g):
    g = g[0]
    return (g @ P["W_hh"],), {"W_hx": g.T @ st.x, "W_hh": g.T @ st.s_prev[0]}, g @ P["W_hx"]


D2L_LINEAR = Cell("d2l_linear", _d2l_step, _d2l_loss, _d2l_loss_vjp, _d2l_vjp,
                  back=lambda P, st, g: (g[0] @ P["W_hh"],), stackable=True)


# ---- elman (seed 001) -----------------------------------------------------------------

def elman_cell(activation: str = "tanh") -> Cell:
    phi, slope = ACTIVATIONS[activation]

    def step(P, s_prev, x, xs, pre=None):
        a = s_prev[0] @ P["W"].T                      # a_t = W h_{t-1} + (U x_t + b)
        a += _input_part(P, "U", "b", x) if pre is None else pre
        return {}, (phi(a),)

    def back(P, st, g):
        return ((slope(st.s[0]) * g[0]) @ P["W"],)      # W^T diag(phi'(a_t)) delta_t

    def through(P, st, g):
        g_a = slope(st.s[0]) * g[0]                     # dL/da_t = diag(phi'(a_t)) delta_t
        return {"W": g_a.T @ st.s_prev[0], "U": g_a.T @ st.x, "b": g_a.sum(axis=0)}, \
            g_a @ P["U"]

    return Cell(f"elman/{activation}", step, _half_square, _half_square_vjp,
                _joined(back, through), back=back, through=through, stackable=True,
                prepare=_prepare("U", "b"))


# ---- elman_softmax (seeds 004, 000) ---------------------------------------------------

def _sm_step(P, s_prev, x, xs, pre=None):
    h = tanh(s_prev[0] @ P["W_hh"].T + (_input_part(P, "W_xh", "b_h", x) if pre is None else pre))
    o = h @ P["W_hy"].T + P["b_y"]
    return {"o": o, "yhat": _softmax(o)}, (h,)


def _sm_loss(P, st, y, T):
    o = st.cache["o"]
    m = o.max(axis=-1, keepdims=True)
    log_yhat = o - m - np.log(np.exp(o - m).sum(axis=-1, keepdims=True))
    return -float(np.sum(y * log_yhat))


def _sm_loss_vjp(P, st, y, T):
    g_o = st.cache["yhat"] * y.sum(axis=-1, keepdims=True) - y     # = yhat - y for one-hot y
    return (g_o @ P["W_hy"],), {"W_hy": g_o.T @ st.s[0], "b_y": g_o.sum(axis=0)}, {}


def _sm_vjp(P, st, g):
    g_a = _tanh_slope(st.s[0]) * g[0]
    return (g_a @ P["W_hh"],), \
        {"W_xh": g_a.T @ st.x, "W_hh": g_a.T @ st.s_prev[0], "b_h": g_a.sum(axis=0)}, \
        g_a @ P["W_xh"]


ELMAN_SOFTMAX = Cell("elman_softmax", _sm_step, _sm_loss, _sm_loss_vjp, _sm_vjp,
                     back=lambda P, st, g: ((_tanh_slope(st.s[0]) * g[0]) @ P["W_hh"],),
                     stackable=True, prepare=_prepare("W_xh", "b_h"))


# ---- residual (seed 001) --------------------------------------------------------------

def _res_step(P, s_prev, x, xs, pre=None):
    phi = tanh(s_prev[0] @ P["W"].T + (_input_part(P, "U", "b", x) if pre is None else pre))
    return {"phi": phi}, (s_prev[0] + phi,)


def _res_vjp(P, st, g):
    g_a = _tanh_slope(st.cache["phi"]) * g[0]
    return (g[0] + g_a @ P["W"],), \
        {"W": g_a.T @ st.s_prev[0], "U": g_a.T @ st.x, "b": g_a.sum(axis=0)}, g_a @ P["U"]


RESIDUAL = Cell("residual", _res_step, _half_square, _half_square_vjp, _res_vjp,
                back=lambda P, st, g: (g[0] + (_tanh_slope(st.cache["phi"]) * g[0]) @ P["W"],),
                stackable=True, prepare=_prepare("U", "b"))
