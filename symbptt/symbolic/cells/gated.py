"""The gated cells as symbolic rule tables (seed 001): gru, gru_torch, lstm.

Each VJP is written from the gates the forward step stored, one product per line; the
Jacobian J_t = ds_t/ds_{t-1} is written out on its own (the closed form multiplies them).
The LSTM's state is (h, c) laid end to end, so J_t is 2n x 2n and the carousel block
dc_t/dc_{t-1} = diag(f_t) stands apart.
"""
from __future__ import annotations

from .rule import HALF_SQUARE, Cell, Equations, _half_square_loss, keep
from ..linalg import (diag_matmul, hadamard, matmul, matvec, outer, tmatvec, vadd, vsub)


def _sig(be, v):
    return tuple(be.sigmoid(a) for a in v)


def _tanh(be, v):
    return tuple(be.tanh(a) for a in v)


def _affine(P, W, U, b, h, x):
    return vadd(matvec(P[W], h), matvec(P[U], x), P[b])


def _sig_slope(v):
    return tuple(a * (1 - a) for a in v)


def _tanh_slope(v):
    return tuple(1 - a * a for a in v)


def _diag_plus(*mats):
    """Sum of n x n matrices given as tuples of rows."""
    return tuple(tuple(sum(col) for col in zip(*rows)) for rows in zip(*mats))


def _diag(v):
    n = len(v)
    return tuple(tuple(v[i] if i == j else 0 for j in range(n)) for i in range(n))


def _half_square_vjp_h(be, P, st, y, T):
    n = len(st.vals["h"])
    return vsub(st.vals["h"], y) + tuple(0 for _ in range(len(st.s) - n)), {}


# ---- gru (the seed's convention) -------------------------------------------------------

def _gru_step(be, P, h, x, put=keep):
    z = put("z", _sig(be, _affine(P, "W_z", "U_z", "b_z", h, x)))
    r = put("r", _sig(be, _affine(P, "W_r", "U_r", "b_r", h, x)))
    rh = hadamard(r, h)
    htilde = put("htilde", _tanh(be, _affine(P, "W_h", "U_h", "b_h", rh, x)))
    h_new = put("h", tuple((1 - zi) * hi + zi * ti for zi, hi, ti in zip(z, h, htilde)))
    return {"z": z, "r": r, "htilde": htilde, "h": h_new}, h_new


def _gru_vjp(be, P, st, g):
    h, x, v = st.s_prev, st.x, st.vals
    z, r, ht = v["z"], v["r"], v["htilde"]
    g_a_h = hadamard(hadamard(g, z), _tanh_slope(ht))              # through htilde = tanh(a_h)
    g_rh = tmatvec(P["W_h"], g_a_h)                                # a_h = W_h (r * h) + ...
    g_a_z = hadamard(hadamard(g, vsub(ht, h)), _sig_slope(z))      # dh_t/dz = htilde - h
    g_a_r = hadamard(hadamard(g_rh, h), _sig_slope(r))
    back = vadd(hadamard(g, tuple(1 - zi for zi in z)),            # the (1 - z) h path
                hadamard(g_rh, r), tmatvec(P["W_z"], g_a_z), tmatvec(P["W_r"], g_a_r))
    params = {"W_h": outer(g_a_h, hadamard(r, h)), "U_h": outer(g_a_h, x), "b_h": g_a_h,
              "W_z": outer(g_a_z, h), "U_z": outer(g_a_z, x), "b_z": g_a_z,
              "W_r": outer(g_a_r, h), "U_r": outer(g_a_r, x), "b_r": g_a_r}
    g_x = vadd(tmatvec(P["U_h"], g_a_h), tmatvec(P["U_z"], g_a_z), tmatvec(P["U_r"], g_a_r))
    return back, params, g_x


def _gru_jacobian(be, P, st):
    """diag(1 - z) + diag((htilde - h) z (1 - z)) W_z
       + diag(z (1 - htilde^2)) W_h (diag(r) + diag(h r (1 - r)) W_r)"""
    h, v = st.s_prev, st.vals
    z, r, ht = v["z"], v["r"], v["htilde"]
    inner = _diag_plus(_diag(r), diag_matmul(hadamard(h, _sig_slope(r)), P["W_r"]))
    return _diag_plus(_diag(tuple(1 - zi for zi in z)),
                      diag_matmul(hadamard(vsub(ht, h), _sig_slope(z)), P["W_z"]),
                      diag_matmul(hadamard(z, _tanh_slope(ht)), matmul(P["W_h"], inner)))


GRU = Cell("gru", _gru_step, _half_square_loss, _half_square_vjp_h, _gru_vjp, _gru_jacobian,
           rules=("dh_t/dh_{t-1} = diag(1 - z) + diag((htilde - h) z (1 - z)) W_z "
                  "+ diag(z (1 - htilde^2)) W_h (diag(r) + diag(h r (1 - r)) W_r)",))


# ---- gru_torch (PyTorch's nn.GRU) ------------------------------------------------------

def _gt_step(be, P, h, x, put=keep):
    r = put("r", _sig(be, vadd(matvec(P["W_ir"], x), P["b_ir"], matvec(P["W_hr"], h),
                               P["b_hr"])))
    z = put("z", _sig(be, vadd(matvec(P["W_iz"], x), P["b_iz"], matvec(P["W_hz"], h),
                               P["b_hz"])))
    hn = put("hn", vadd(matvec(P["W_hn"], h), P["b_hn"]))
    n = put("n", _tanh(be, vadd(matvec(P["W_in"], x), P["b_in"], hadamard(r, hn))))
    h_new = put("h", tuple((1 - zi) * ni + zi * hi for zi, ni, hi in zip(z, n, h)))
    return {"r": r, "z": z, "n": n, "hn": hn, "h": h_new}, h_new


def _gt_vjp(be, P, st, g):
    h, x, v = st.s_prev, st.x, st.vals
    r, z, n, hn = v["r"], v["z"], v["n"], v["hn"]
    g_an = hadamard(hadamard(g, tuple(1 - zi for zi in z)), _tanh_slope(n))
    g_hn = hadamard(g_an, r)                                       # n reads r * (W_hn h + b_hn)
    g_ar = hadamard(hadamard(g_an, hn), _sig_slope(r))
    g_az = hadamard(hadamard(g, vsub(h, n)), _sig_slope(z))        # dh_t/dz = h - n
    back = vadd(hadamard(g, z), tmatvec(P["W_hn"], g_hn), tmatvec(P["W_hr"], g_ar),
                tmatvec(P["W_hz"], g_az))
    params = {"W_in": outer(g_an, x), "b_in": g_an, "W_hn": outer(g_hn, h), "b_hn": g_hn,
              "W_ir": outer(g_ar, x), "b_ir": g_ar, "W_hr": outer(g_ar, h), "b_hr": g_ar,
              "W_iz": outer(g_az, x), "b_iz": g_az, "W_hz": outer(g_az, h), "b_hz": g_az}
    g_x = vadd(tmatvec(P["W_in"], g_an), tmatvec(P["W_ir"], g_ar), tmatvec(P["W_iz"], g_az))
    return back, params, g_x


def _gt_jacobian(be, P, st):
    """diag(z) + diag((h - n) z (1 - z)) W_hz
       + diag((1 - z)(1 - n^2)) (diag(r) W_hn + diag(hn r (1 - r)) W_hr)"""
    h, v = st.s_prev, st.vals
    r, z, n, hn = v["r"], v["z"], v["n"], v["hn"]
    inner = _diag_plus(diag_matmul(r, P["W_hn"]), diag_matmul(hadamard(hn, _sig_slope(r)),
                                                               P["W_hr"]))
    return _diag_plus(_diag(z), diag_matmul(hadamard(vsub(h, n), _sig_slope(z)), P["W_hz"]),
                      diag_matmul(hadamard(tuple(1 - zi for zi in z), _tanh_slope(n)), inner))


GRU_TORCH = Cell("gru_torch", _gt_step, _half_square_loss, _half_square_vjp_h, _gt_vjp,
                 _gt_jacobian,
                 rules=("dh_t/dh_{t-1} = diag(z) + diag((h - n) z (1 - z)) W_hz + "
                        "diag((1 - z)(1 - n^2)) (diag(r) W_hn + diag(hn r (1 - r)) W_hr)",))


# ---- lstm: state (h, c), the constant error carousel -----------------------------------

def _lstm_step(be, P, s, x, put=keep):
    n = len(s) // 2
    h, c = s[:n], s[n:]
    f = put("f", _sig(be, _affine(P, "W_f", "U_f", "b_f", h, x)))
    i = put("i", _sig(be, _affine(P, "W_i", "U_i", "b_i", h, x)))
    o = put("o", _sig(be, _affine(P, "W_o", "U_o", "b_o", h, x)))
    ct = put("ctilde", _tanh(be, _affine(P, "W_c", "U_c", "b_c", h, x)))
    c_new = put("c", vadd(hadamard(f, c), hadamard(i, ct)))
    tc = put("tanh_c", _tanh(be, c_new))
    h_new = put("h", hadamard(o, tc))
    return {"f": f, "i": i, "o": o, "ctilde": ct, "c": c_new, "tanh_c": tc, "h": h_new}, \
        h_new + c_new


def _lstm_vjp(be, P, st, g):
    n = len(st.s) // 2
    h, c, x, v = st.s_prev[:n], st.s_prev[n:], st.x, st.vals
    f, i, o, ct, tc = v["f"], v["i"], v["o"], v["ctilde"], v["tanh_c"]
    g_h, g_c = g[:n], g[n:]
    g_ct_all = vadd(g_c, hadamard(hadamard(g_h, o), _tanh_slope(tc)))   # dL/dc_t, both paths
    g_c_prev = hadamard(g_ct_all, f)                 # the carousel: dc_t/dc_{t-1} = diag(f_t)
    g_a = {"f": hadamard(hadamard(g_ct_all, c), _sig_slope(f)),
           "i": hadamard(hadamard(g_ct_all, ct), _sig_slope(i)),
           "o": hadamard(hadamard(g_h, tc), _sig_slope(o)),
           "c": hadamard(hadamard(g_ct_all, i), _tanh_slope(ct))}
    g_h_prev = vadd(*[tmatvec(P[f"W_{k}"], ga) for k, ga in g_a.items()])
    params = {}
    for k, ga in g_a.items():
        params.update({f"W_{k}": outer(ga, h), f"U_{k}": outer(ga, x), f"b_{k}": ga})
    g_x = vadd(*[tmatvec(P[f"U_{k}"], ga) for k, ga in g_a.items()])
    return g_h_prev + g_c_prev, params, g_x


def _lstm_jacobian(be, P, st):
    """[[dh/dh, dh/dc], [dc/dh, dc/dc]] with the carousel dc_t/dc_{t-1} = diag(f_t),
    dc/dh = diag(c f (1 - f)) W_f + diag(ctilde i (1 - i)) W_i + diag(i (1 - ctilde^2)) W_c,
    dh/dc = diag(o (1 - tanh(c_t)^2)) dc/dc, dh/dh = diag(tanh(c_t) o (1 - o)) W_o
    + diag(o (1 - tanh(c_t)^2)) dc/dh."""
    n = len(st.s) // 2
    c, v = st.s_prev[n:], st.vals
    f, i, o, ct, tc = v["f"], v["i"], v["o"], v["ctilde"], v["tanh_c"]
    carousel = _diag(f)
    dc_dh = _diag_plus(diag_matmul(hadamard(c, _sig_slope(f)), P["W_f"]),
                       diag_matmul(hadamard(ct, _sig_slope(i)), P["W_i"]),
                       diag_matmul(hadamard(i, _tanh_slope(ct)), P["W_c"]))
    through_c = hadamard(o, _tanh_slope(tc))
    dh_dc = diag_matmul(through_c, carousel)
    dh_dh = _diag_plus(diag_matmul(hadamard(tc, _sig_slope(o)), P["W_o"]),
                       diag_matmul(through_c, dc_dh))
    top = tuple(a + b for a, b in zip(dh_dh, dh_dc))
    bottom = tuple(a + b for a, b in zip(dc_dh, carousel))
    return top + bottom


LSTM = Cell("lstm", _lstm_step, _half_square_loss, _half_square_vjp_h, _lstm_vjp,
            _lstm_jacobian,
            rules=("dc_t/dc_{t-1} = diag(f_t)  (the constant error carousel)",
                   "dL/dc_{t-1} = f_t * (dL/dc_t + dL/dh_t * o_t * (1 - tanh(c_t)^2))"))

GATED = {"gru": GRU, "gru_torch": GRU_TORCH, "lstm": LSTM}


# The gated cells as equations (symbptt derive reads these, never the rules above)
EQUATIONS = {
    "gru": Equations(("z[t] = sigmoid(W_z @ h[t-1] + U_z @ x[t] + b_z)",
                      "r[t] = sigmoid(W_r @ h[t-1] + U_r @ x[t] + b_r)",
                      "htilde[t] = tanh(W_h @ (r[t] * h[t-1]) + U_h @ x[t] + b_h)",
                      "h[t] = (1 - z[t]) * h[t-1] + z[t] * htilde[t]"), HALF_SQUARE),
    "gru_torch": Equations(("r[t] = sigmoid(W_ir @ x[t] + b_ir + W_hr @ h[t-1] + b_hr)",
                            "z[t] = sigmoid(W_iz @ x[t] + b_iz + W_hz @ h[t-1] + b_hz)",
                            "n[t] = tanh(W_in @ x[t] + b_in + r[t] * (W_hn @ h[t-1] + b_hn))",
                            "h[t] = (1 - z[t]) * n[t] + z[t] * h[t-1]"), HALF_SQUARE),
    "lstm": Equations(("f[t] = sigmoid(W_f @ h[t-1] + U_f @ x[t] + b_f)",
                       "i[t] = sigmoid(W_i @ h[t-1] + U_i @ x[t] + b_i)",
                       "o[t] = sigmoid(W_o @ h[t-1] + U_o @ x[t] + b_o)",
                       "ctilde[t] = tanh(W_c @ h[t-1] + U_c @ x[t] + b_c)",
                       "c[t] = f[t] * c[t-1] + i[t] * ctilde[t]",
                       "h[t] = o[t] * tanh(c[t])"), HALF_SQUARE),
}
