"""BPTT algorithms, written once over any cell's rules.

All take (cell, P, X, Y) with X of shape (B, T, d) and Y of shape (B, T, k) (or None),
and return a Gradients: the loss summed over the batch, dL/dp for every parameter and,
where the algorithm gives them, dL/dx (B, T, d).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .cells import Cell, Step


@dataclass(frozen=True)
class Gradients:
    loss: float
    params: dict = field(hash=False)         # name -> array of the parameter's shape
    inputs: np.ndarray | None = None         # (B, T, d); None: not computed (forward mode)
    paths: int | None = None                 # path sum: how many (loss, step) paths
    vjp_calls: int = 0


def forward(cell: Cell, P: dict, X: np.ndarray) -> list[Step]:
    """The forward pass from h_0 = 0 (c_0 = 0): one Step per t = 1..T."""
    B, T, _ = X.shape
    n = _state_size(P, X)
    s = tuple(np.zeros((B, n), dtype=X.dtype) for _ in range(cell.states))
    steps = []
    for t in range(1, T + 1):
        x = X[:, t - 1]
        cache, s_new = cell.step(P, s, x, X[:, :t])
        steps.append(Step(t, x, s, cache, s_new, X[:, :t]))
        s = s_new
    return steps


def _state_size(P: dict, X: np.ndarray) -> int:
    for name in ("W", "W_h", "W_hh", "W_z", "W_f", "W_hr"):
        if name in P and np.ndim(P[name]) == 2:
            return P[name].shape[0]
    return 1                                   # a scalar model


def _target(Y, t):
    return None if Y is None else Y[:, t - 1]


def _add(acc: dict, part: dict) -> None:
    for name, g in part.items():
        acc[name] = acc[name] + g


def _zeros(P: dict) -> dict:
    return {name: np.zeros_like(v) for name, v in P.items()}


def _add_state(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b))


def _locals(cell, P, steps, Y):
    T = len(steps)
    return [cell.loss_vjp(P, st, _target(Y, st.t), T) for st in steps]


def _loss(cell, P, steps, Y) -> float:
    T = len(steps)
    return float(sum(cell.loss(P, st, _target(Y, st.t), T) for st in steps))


def full(cell: Cell, P: dict, X: np.ndarray, Y: np.ndarray | None) -> Gradients:
    """Full BPTT (seeds 000, 001): delta_T = dl_T/ds_T, delta_t = dl_t/ds_t + J_{t+1}^T delta_{t+1},
    each step's VJP adding its parameter and input parts."""
    steps = forward(cell, P, X)
    grads, gx = _zeros(P), np.zeros_like(X)
    back = None
    for st, (g_s, g_p, g_xs) in zip(reversed(steps), reversed(_locals(cell, P, steps, Y))):
        delta = g_s if back is None else _add_state(g_s, back)
        _add(grads, g_p)
        for k, g in g_xs.items():
            gx[:, k - 1] += g
        back, g_p, g_x = cell.vjp(P, st, delta)
        _add(grads, g_p)
        gx[:, st.t - 1] += g_x
    return Gradients(_loss(cell, P, steps, Y), grads, gx, vjp_calls=len(steps))


def path_sum(cell: Cell, P: dict, X: np.ndarray, Y: np.ndarray | None,
             window: int | None = None) -> Gradients:
    """Every path from every loss l_s back to every step t <= s, one at a time (seed 000):
    T (T + 1) / 2 paths, no sharing between them. With a window tau, only the paths with
    s - t < tau: truncated BPTT, where the gradient of l_s stops at step s - tau + 1 and
    h_{s - tau} is a constant (seed 001)."""
    steps = forward(cell, P, X)
    grads, gx = _zeros(P), np.zeros_like(X)
    paths = calls = 0
    for st_s, (g_s, g_p, g_xs) in zip(steps, _locals(cell, P, steps, Y)):
        _add(grads, g_p)
        for k, g in g_xs.items():
            gx[:, k - 1] += g
        g = g_s
        lowest = 1 if window is None else max(1, st_s.t - window + 1)
        for t in range(st_s.t, lowest - 1, -1):
            g_prev, g_p, g_x = cell.vjp(P, steps[t - 1], g)
            _add(grads, g_p)
            gx[:, t - 1] += g_x
            paths += 1
            calls += 1
            g = g_prev
    return Gradients(_loss(cell, P, steps, Y), grads, gx, paths, calls)


def truncated(cell: Cell, P: dict, X: np.ndarray, Y: np.ndarray | None, tau: int) -> Gradients:
    """Truncated BPTT with window tau: the forward state flows, the gradient of each loss
    stops tau steps back, as detach() makes it (seeds 000, 001)."""
    return path_sum(cell, P, X, Y, window=tau)


def randomized(cell: Cell, P: dict, X: np.ndarray, Y: np.ndarray | None, pi,
               rng: np.random.Generator) -> Gradients:
    """Randomized truncation (seed 002; Tallec and Ollivier): the gradient crossing from
    step t to t - 1 is multiplied by xi_t, P(xi_t = 0) = 1 - pi_t, P(xi_t = 1/pi_t) = pi_t,
    so E[xi_t] = 1 and the estimate is unbiased. `pi` is a number or one per step."""
    steps = forward(cell, P, X)
    T = len(steps)
    pis = np.broadcast_to(np.asarray(pi, dtype=float), (T,))
    xi = np.where(rng.random(T) < pis, 1.0 / pis, 0.0)
    grads, gx = _zeros(P), np.zeros_like(X)
    back = None
    for st, (g_s, g_p, g_xs) in zip(reversed(steps), reversed(_locals(cell, P, steps, Y))):
        delta = g_s if back is None else _add_state(g_s, tuple(xi[st.t] * b for b in back))
        _add(grads, g_p)
        for k, g in g_xs.items():
            gx[:, k - 1] += g
        back, g_p, g_x = cell.vjp(P, st, delta)
        _add(grads, g_p)
        gx[:, st.t - 1] += g_x
    return Gradients(_loss(cell, P, steps, Y), grads, gx, vjp_calls=T)


def forward_mode(cell: Cell, P: dict, X: np.ndarray, Y: np.ndarray | None) -> Gradients:
    """Forward mode (RTRL, seed 003): carry A_t = ds_t/dtheta forward by
    A_t = B_t + C_t A_{t-1}, with C_t = ds_t/ds_{t-1} and B_t = ds_t/dtheta at step t, per
    example; then dL/dtheta = sum_t dl_t/ds_t . A_t. C_t and B_t are read off the cell's VJP
    rule one cotangent e_i at a time. Memory O(n P) per example, whatever T."""
    steps = forward(cell, P, X)
    B = X.shape[0]
    names = list(P)
    sizes = [int(np.size(P[k])) for k in names]
    K = sum(sizes)
    m_parts = [c.shape[1] for c in steps[0].s]
    m = sum(m_parts)
    A = np.zeros((B, m, K))
    total = np.zeros(K)
    local = _zeros(P)
    calls = 0
    for st, (g_s, g_p, _) in zip(steps, _locals(cell, P, steps, Y)):
        C = np.zeros((B, m, m))
        Bt = np.zeros((B, m, K))
        for b in range(B):
            for i in range(m):
                e = _basis(st.s, b, i)
                back, g_par, _ = cell.vjp(P, st, e)
                calls += 1
                C[b, i] = np.concatenate([v[b] for v in back])
                Bt[b, i] = np.concatenate([np.ravel(g_par.get(k, np.zeros_like(P[k])))
                                           for k in names])
        A = Bt + np.einsum("bij,bjk->bik", C, A)
        g = np.concatenate(g_s, axis=1)                     # (B, m)
        total += np.einsum("bi,bik->k", g, A)
        _add(local, g_p)
    grads, offset = {}, 0
    for k, size in zip(names, sizes):
        grads[k] = local[k] + total[offset:offset + size].reshape(np.shape(P[k]))
        offset += size
    return Gradients(_loss(cell, P, steps, Y), grads, None, vjp_calls=calls)


def _basis(s: tuple, b: int, i: int) -> tuple:
    """The cotangent with a single 1 at example b, state entry i (counting across parts)."""
    out = []
    for part in s:
        e = np.zeros_like(part)
        if 0 <= i < part.shape[1]:
            e[b, i] = 1.0
        out.append(e)
        i -= part.shape[1]
    return tuple(out)


def path_count(T: int) -> int:
    return T * (T + 1) // 2


def is_finite(g: Gradients) -> bool:
    arrays = list(g.params.values()) + ([g.inputs] if g.inputs is not None else [])
    return math.isfinite(g.loss) and all(np.all(np.isfinite(a)) for a in arrays)
