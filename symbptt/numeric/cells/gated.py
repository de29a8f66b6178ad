"""The gated cells (gru, gru_torch, lstm) and the attention RNN as NumPy rule tables.

Same conventions as elman.py: x_t is (B, d), every state component (B, n), matrices act as
`x @ W.T`, losses and parameter gradients are summed over the batch, and every VJP reads
the gates the forward pass stored in `cache` (sigma' = s (1 - s), tanh' = 1 - t^2).
"""
from __future__ import annotations

import numpy as np

from .rule import Cell, _half_square, _half_square_vjp, _sigmoid, _softmax, _tanh_slope


def _sigmoid_slope(s):
    return s * (1.0 - s)


# ---- gru (seed 001's convention) ------------------------------------------------------
# z = sigma(W_z h + U_z x + b_z), r = sigma(W_r h + U_r x + b_r),
# htilde = tanh(W_h (r * h) + U_h x + b_h), h_t = (1 - z) * h_{t-1} + z * htilde


def _gru_step(P, s_prev, x, xs):
    h = s_prev[0]
    z = _sigmoid(h @ P["W_z"].T + x @ P["U_z"].T + P["b_z"])
    r = _sigmoid(h @ P["W_r"].T + x @ P["U_r"].T + P["b_r"])
    rh = r * h
    htilde = np.tanh(rh @ P["W_h"].T + x @ P["U_h"].T + P["b_h"])
    return {"z": z, "r": r, "rh": rh, "htilde": htilde}, ((1.0 - z) * h + z * htilde,)


def _gru_vjp(P, st, g):
    g, h, C = g[0], st.s_prev[0], st.cache
    z, r, htilde = C["z"], C["r"], C["htilde"]
    g_ah = _tanh_slope(htilde) * (z * g)                 # dL/da_h = tanh'(a_h) * z * g
    g_az = _sigmoid_slope(z) * (g * (htilde - h))        # dL/da_z = sigma'(a_z) * (htilde - h) * g
    g_rh = g_ah @ P["W_h"]                               # dL/d(r * h) = W_h^T g_ah
    g_ar = _sigmoid_slope(r) * (g_rh * h)                # dL/da_r = sigma'(a_r) * h * W_h^T g_ah
    g_prev = (1.0 - z) * g + r * g_rh + g_az @ P["W_z"] + g_ar @ P["W_r"]   # J_t^T g
    grads = {"W_z": g_az.T @ h, "W_r": g_ar.T @ h, "W_h": g_ah.T @ C["rh"],
             "U_z": g_az.T @ st.x, "U_r": g_ar.T @ st.x, "U_h": g_ah.T @ st.x,
             "b_z": g_az.sum(axis=0), "b_r": g_ar.sum(axis=0), "b_h": g_ah.sum(axis=0)}
    return (g_prev,), grads, g_az @ P["U_z"] + g_ar @ P["U_r"] + g_ah @ P["U_h"]


GRU = Cell("gru", _gru_step, _half_square, _half_square_vjp, _gru_vjp, stackable=True)


# ---- gru_torch (PyTorch nn.GRU) -------------------------------------------------------
# r = sigma(W_ir x + b_ir + W_hr h + b_hr), z = sigma(W_iz x + b_iz + W_hz h + b_hz),
# n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h_t = (1 - z) * n + z * h_{t-1}


def _gru_torch_step(P, s_prev, x, xs):
    h = s_prev[0]
    r = _sigmoid(x @ P["W_ir"].T + P["b_ir"] + h @ P["W_hr"].T + P["b_hr"])
    z = _sigmoid(x @ P["W_iz"].T + P["b_iz"] + h @ P["W_hz"].T + P["b_hz"])
    hn = h @ P["W_hn"].T + P["b_hn"]                      # hn = W_hn h + b_hn
    n = np.tanh(x @ P["W_in"].T + P["b_in"] + r * hn)
    return {"r": r, "z": z, "hn": hn, "n": n}, ((1.0 - z) * n + z * h,)


def _gru_torch_vjp(P, st, g):
    g, h, C = g[0], st.s_prev[0], st.cache
    r, z, n, hn = C["r"], C["z"], C["n"], C["hn"]
    g_an = _tanh_slope(n) * ((1.0 - z) * g)              # dL/da_n = tanh'(a_n) * (1 - z) * g
    g_az = _sigmoid_slope(z) * (g * (h - n))             # dL/da_z = sigma'(a_z) * (h - n) * g
    g_hn = r * g_an                                      # dL/d(W_hn h + b_hn) = r * g_an
    g_ar = _sigmoid_slope(r) * (g_an * hn)               # dL/da_r = sigma'(a_r) * hn * g_an
    g_prev = z * g + g_hn @ P["W_hn"] + g_ar @ P["W_hr"] + g_az @ P["W_hz"]   # J_t^T g
    grads = {"W_ir": g_ar.T @ st.x, "W_iz": g_az.T @ st.x, "W_in": g_an.T @ st.x,
             "W_hr": g_ar.T @ h, "W_hz": g_az.T @ h, "W_hn": g_hn.T @ h,
             "b_ir": g_ar.sum(axis=0), "b_iz": g_az.sum(axis=0), "b_in": g_an.sum(axis=0),
             "b_hr": g_ar.sum(axis=0), "b_hz": g_az.sum(axis=0), "b_hn": g_hn.sum(axis=0)}
    return (g_prev,), grads, g_ar @ P["W_ir"] + g_az @ P["W_iz"] + g_an @ P["W_in"]


GRU_TORCH = Cell("gru_torch", _gru_torch_step, _half_square, _half_square_vjp, _gru_torch_vjp,
                 stackable=True)


# ---- lstm (seed 001, as nn.LSTM) ------------------------------------------------------
# f, i, o = sigma(W_g h + U_g x + b_g), ctilde = tanh(W_c h + U_c x + b_c),
# c_t = f * c_{t-1} + i * ctilde, h_t = o * tanh(c_t); the state is (h, c)


def _lstm_step(P, s_prev, x, xs):
    h, c_prev = s_prev

    def pre(g):
        return h @ P[f"W_{g}"].T + x @ P[f"U_{g}"].T + P[f"b_{g}"]

    f, i, o, ctilde = _sigmoid(pre("f")), _sigmoid(pre("i")), _sigmoid(pre("o")), np.tanh(pre("c"))
    c = f * c_prev + i * ctilde
    tanh_c = np.tanh(c)
    return {"f": f, "i": i, "o": o, "ctilde": ctilde, "c": c, "tanh_c": tanh_c}, (o * tanh_c, c)


def _lstm_loss_vjp(P, st, y, T):
    return (st.s[0] - y, np.zeros_like(st.s[1])), {}, {}     # l_t reads h_t only, not c_t


def _lstm_vjp(P, st, g):
    g_h, g_c = g
    h, c_prev = st.s_prev
    C = st.cache
    f, i, o, ctilde, tanh_c = C["f"], C["i"], C["o"], C["ctilde"], C["tanh_c"]
    g_ct = g_c + g_h * o * _tanh_slope(tanh_c)          # dL/dc_t = g_c + o * tanh'(c_t) * g_h
    # the constant error carousel: dc_t/dc_{t-1} = diag(f_t), nothing else on this path
    g_c_prev = f * g_ct
    g_a = {"f": _sigmoid_slope(f) * (g_ct * c_prev),     # dL/da_f = sigma'(a_f) * c_{t-1} * g_ct
           "i": _sigmoid_slope(i) * (g_ct * ctilde),     # dL/da_i = sigma'(a_i) * ctilde * g_ct
           "o": _sigmoid_slope(o) * (g_h * tanh_c),      # dL/da_o = sigma'(a_o) * tanh(c_t) * g_h
           "c": _tanh_slope(ctilde) * (g_ct * i)}        # dL/da_c = tanh'(a_c) * i * g_ct
    g_h_prev = sum(g_a[k] @ P[f"W_{k}"] for k in "fioc")                 # sum_g W_g^T g_a
    grads = {}
    for k in "fioc":
        grads[f"W_{k}"] = g_a[k].T @ h
        grads[f"U_{k}"] = g_a[k].T @ st.x
        grads[f"b_{k}"] = g_a[k].sum(axis=0)
    return (g_h_prev, g_c_prev), grads, sum(g_a[k] @ P[f"U_{k}"] for k in "fioc")


LSTM = Cell("lstm", _lstm_step, _half_square, _lstm_loss_vjp, _lstm_vjp, states=2,
            stackable=True)


# ---- attention (seed 001) -------------------------------------------------------------
# h_t = tanh(W h_{t-1} + U x_t + b), e_{t,k} = h_t^T W_a x_k (k <= t),
# alpha_t = softmax_k(e_{t,.}), c_t = sum_k alpha_{t,k} x_k, o_t = W_o h_t + V_o c_t,
# l_t = 1/2 ||o_t - y_t||^2


def _att_step(P, s_prev, x, xs):
    h = np.tanh(s_prev[0] @ P["W"].T + x @ P["U"].T + P["b"])
    query = h @ P["W_a"]                                 # (B, d): W_a^T h_t
    e = np.einsum("bkd,bd->bk", xs, query)               # e_{t,k} = h_t^T W_a x_k
    alpha = _softmax(e)                                  # max-shifted
    context = np.einsum("bk,bkd->bd", alpha, xs)         # c_t = sum_k alpha_{t,k} x_k
    o = h @ P["W_o"].T + context @ P["V_o"].T
    return {"query": query, "e": e, "alpha": alpha, "context": context, "o": o}, (h,)


def _att_loss(P, st, y, T):
    r = st.cache["o"] - y
    return 0.5 * float(np.sum(r * r))


def _att_loss_vjp(P, st, y, T):
    C, h, xs = st.cache, st.s[0], st.xs
    alpha = C["alpha"]
    g_o = C["o"] - y                                     # dl/do_t = o_t - y_t
    g_ctx = g_o @ P["V_o"]                               # dl/dc_t = V_o^T g_o
    g_alpha = np.einsum("bkd,bd->bk", xs, g_ctx)         # dl/dalpha_k = x_k . g_ctx
    g_e = alpha * (g_alpha - np.sum(alpha * g_alpha, axis=1, keepdims=True))  # softmax VJP
    g_ex = np.einsum("bk,bkd->bd", g_e, xs)              # sum_k g_e_k x_k
    g_h = g_o @ P["W_o"] + g_ex @ P["W_a"].T             # W_o^T g_o + W_a sum_k g_e_k x_k
    grads = {"W_o": g_o.T @ h, "V_o": g_o.T @ C["context"],
             "W_a": h.T @ g_ex}                          # dl/dW_a = sum_k g_e_k h_t x_k^T
    g_x = {k: alpha[:, k - 1, None] * g_ctx + g_e[:, k - 1, None] * C["query"]
           for k in range(1, st.t + 1)}        # dl/dx_k = alpha_k V_o^T g_o + g_e_k W_a^T h_t
    return (g_h,), grads, g_x


def _att_vjp(P, st, g):
    g_a = _tanh_slope(st.s[0]) * g[0]                    # diag(tanh'(a_t)) delta_t
    return (g_a @ P["W"],), \
        {"W": g_a.T @ st.s_prev[0], "U": g_a.T @ st.x, "b": g_a.sum(axis=0)}, g_a @ P["U"]


ATTENTION = Cell("attention", _att_step, _att_loss, _att_loss_vjp, _att_vjp)


GATED = {"gru": GRU, "gru_torch": GRU_TORCH, "lstm": LSTM, "attention": ATTENTION}
