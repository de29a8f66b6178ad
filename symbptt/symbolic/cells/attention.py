"""The attention RNN (seed 001) as a symbolic rule table.

    h_t = tanh(W h_{t-1} + U x_t + b),   e_{t,k} = h_t^T W_a x_k  (k <= t),
    alpha_t = softmax(e_{t,1..t}),       c_t = sum_k alpha_{t,k} x_k,
    o_t = W_o h_t + V_o c_t,             l_t = 1/2 ||o_t - y_t||^2

It is not Markov in h alone: o_t reads every x_k, k <= t. The state recursion is Elman's;
the attention lives in the readout and the loss rule, which returns, besides dl_t/dh_t
and the output parameters' gradients, a shortcut dl_t/dx_k for every k <= t. So the
gradient w.r.t. x_k has two parts: the recurrent path (through h_k, U^T diag(1 - h_k^2)
delta_k) and the attention shortcut (sum over t >= k of dl_t/dx_k), each proven apart.
"""
from __future__ import annotations

from fractions import Fraction

from ..activations import ACTIVATIONS
from .elman import elman_cell
from .rule import Cell, keep
from ..linalg import dot, matvec, outer, tmatvec, total, vadd, vscale, vsub


# the state recursion is Elman's (tanh): its step, VJP and Jacobian rules
_ELMAN = elman_cell(ACTIVATIONS["tanh"])


def _readout(be, P, h, xs, put=keep):
    query = put("query", tmatvec(P["W_a"], h))            # W_a^T h_t, so e_{t,k} = query . x_k
    e = put("e", tuple(dot(query, x) for x in xs))
    w = tuple(be.exp(ek) for ek in e)
    z = total(list(w))
    alpha = put("alpha", tuple(wk / z for wk in w))
    context = put("c", vadd(*(vscale(ak, x) for ak, x in zip(alpha, xs))))
    o = put("o", vadd(matvec(P["W_o"], h), matvec(P["V_o"], context)))
    return {"query": query, "e": e, "alpha": alpha, "c": context, "o": o, "xs": tuple(xs)}


def _loss(be, P, st, y, T):
    return total([(o - yi) ** 2 for o, yi in zip(st.vals["o"], y)]) * be.number(Fraction(1, 2))


def _loss_vjp(be, P, st, y, T, put=keep):
    """put names each adjoint as it is made (documents print them: o-bar, c-bar, ...)."""
    v = st.vals
    alpha, xs = v["alpha"], v["xs"]
    g_o = put("obar", vsub(v["o"], y))                    # dl/do_t = o_t - y_t
    g_c = put("cbar", tmatvec(P["V_o"], g_o))             # dl/dc_t = V_o^T dl/do_t
    g_alpha = put("alphabar", tuple(dot(x, g_c) for x in xs))   # x_k . dl/dc_t
    mean = total([a * g for a, g in zip(alpha, g_alpha)])
    g_e = put("ebar", tuple(a * (g - mean) for a, g in zip(alpha, g_alpha)))   # softmax VJP
    g_ex = put("ubar", vadd(*(vscale(ge, x) for ge, x in zip(g_e, xs))))       # dl/du_t
    g_h = vadd(tmatvec(P["W_o"], g_o), matvec(P["W_a"], g_ex))   # W_o^T g_o + W_a g_ex
    local = {"W_o": outer(g_o, st.s), "V_o": outer(g_o, v["c"]), "W_a": outer(st.s, g_ex)}
    shortcut = {k: vadd(vscale(a, g_c), vscale(ge, v["query"]))  # alpha_k V_o^T g_o + g_e_k W_a^T h_t
                for k, (a, ge) in enumerate(zip(alpha, g_e), start=1)}
    return g_h, local, shortcut


ATTENTION = Cell(
    "attention", _ELMAN.step, _loss, _loss_vjp, _ELMAN.vjp, _ELMAN.jacobian,
    rules=("dl/do_t = o_t - y_t", "dl/dc_t = V_o^T dl/do_t",
           "dl/dalpha_{t,k} = x_k^T dl/dc_t",
           "dl/de_{t,k} = alpha_{t,k} (dl/dalpha_{t,k} - sum_j alpha_{t,j} dl/dalpha_{t,j})",
           "dl/dh_t = W_o^T dl/do_t + W_a sum_k dl/de_{t,k} x_k",
           "delta_t = dl/dh_t + W^T diag(1 - h_{t+1}^2) delta_{t+1}",
           "dL/dW_a = sum_t h_t (sum_k dl/de_{t,k} x_k)^T",
           "dL/dx_k = U^T diag(1 - h_k^2) delta_k  (recurrent path)"
           " + sum_{t>=k} (alpha_{t,k} V_o^T dl/do_t + dl/de_{t,k} W_a^T h_t)  (attention)"),
    readout=_readout, softmax="e", shortcut="attention")
