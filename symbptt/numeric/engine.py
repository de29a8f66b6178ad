"""BPTT algorithms, written once over any cell's rules.

All take (cell, P, X, Y) with X of shape (B, T, d) and Y of shape (B, T, k) (or None),
and return a Gradients: the loss summed over the batch, dL/dp for every parameter and,
where the algorithm gives them, dL/dx (B, T, d).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .cells.rule import Cell, Step


@dataclass(frozen=True)
class Gradients:
    loss: float
    params: dict = field(hash=False)         # name -> array of the parameter's shape
    inputs: np.ndarray | None = None         # (B, T, d); None: not computed (forward mode)
    paths: int | None = None                 # path sum: how many (loss, step) paths
    vjp_calls: int = 0


def forward(cell: Cell, P: dict, X: np.ndarray) -> list[Step]:
    """The forward pass from h_0 = 0 (c_0 = 0): one Step per t = 1..T."""
    return list(stream(cell, P, X))


def stream(cell: Cell, P: dict, X: np.ndarray):
    """The forward pass one Step at a time, keeping none (forward mode needs no history)."""
    B, T, _ = X.shape
    n = cell.state_size(P, X) if cell.state_size is not None else _state_size(P, X)
    s = tuple(np.zeros((B, n), dtype=X.dtype) for _ in range(cell.states))
    by_time = np.ascontiguousarray(X.transpose(1, 0, 2))   # x_t contiguous: faster products
    pre = cell.prepare(P, by_time) if cell.prepare is not None else None
    for t in range(1, T + 1):
        x = by_time[t - 1]
        if pre is None:
            cache, s_new = cell.step(P, s, x, X[:, :t])
        else:
            cache, s_new = cell.step(P, s, x, X[:, :t], pre=pre[t - 1])
        yield Step(t, x, s, cache, s_new, X[:, :t])
        s = s_new


def _state_size(P: dict, X: np.ndarray) -> int:
    for name in ("W", "W_h", "W_hh", "W_z", "W_f", "W_hr"):
        if name in P and np.ndim(P[name]) == 2:
            return P[name].shape[0]
    return 1                                   # a scalar model


def _target(Y, t):
    return None if Y is None else Y[:, t - 1]


def _add(acc: dict, part: dict) -> None:
    for name, g in part.items():
        acc[name] += g


def _zeros(P: dict) -> dict:
    return {name: np.zeros_like(v) for name, v in P.items()}


def _add_state(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b))


@dataclass(frozen=True)
class _Local:
    """What the loss rules give: dl_t/ds_t per step, the parameter and input parts, L."""
    per_step: list                    # dl_t/ds_t, a tuple of (B, n) arrays per step
    params: dict = field(hash=False)  # sum_t dl_t/dp
    inputs: dict = field(hash=False)  # k -> (B, d): dl_t/dx_k (attention's shortcut)
    loss: float = 0.0
    big: Step | None = None           # the T steps stacked, for a stackable cell


def _local(cell: Cell, P: dict, steps: list[Step], Y) -> _Local:
    T, B = len(steps), steps[0].x.shape[0]
    params = _zeros(P)
    if cell.stackable:              # the loss rules act row by row: one call for all steps
        big = _stack_steps(steps)
        Yb = None if Y is None else np.ascontiguousarray(Y.transpose(1, 0, 2)).reshape(T * B, -1)
        g_s, g_p, _ = cell.loss_vjp(P, big, Yb, T)
        _add(params, g_p)
        per_step = [tuple(g[t * B:(t + 1) * B] for g in g_s) for t in range(T)]
        return _Local(per_step, params, {}, float(cell.loss(P, big, Yb, T)), big)
    parts = [cell.loss_vjp(P, st, _target(Y, st.t), T) for st in steps]
    inputs: dict = {}
    for _, g_p, g_xs in parts:
        _add(params, g_p)
        for k, g in g_xs.items():
            inputs[k] = inputs[k] + g if k in inputs else g
    loss = float(sum(cell.loss(P, st, _target(Y, st.t), T) for st in steps))
    return _Local([g for g, _, _ in parts], params, inputs, loss)


def _back(cell: Cell, P: dict, st: Step, g: tuple) -> tuple:
    """J_t^T g: the recursion's only need from a step."""
    return cell.back(P, st, g) if cell.back is not None else cell.vjp(P, st, g)[0]


def _stack_steps(steps: list[Step]) -> Step:
    """T steps as one step of batch T B (the order: step 1's examples, then step 2's...).
    s_{t-1} of step t is s_{t-1} of step t - 1, so one copy of s_0..s_T serves both."""
    cat = lambda parts: np.concatenate(parts, axis=0)  # noqa: E731
    B = steps[0].x.shape[0]
    states = [cat([steps[0].s_prev[i]] + [st.s[i] for st in steps])
              for i in range(len(steps[0].s))]
    return Step(0, cat([s.x for s in steps]), tuple(a[:-B] for a in states),
                {k: cat([s.cache[k] for s in steps]) for k in steps[0].cache},
                tuple(a[B:] for a in states))


def _buffers(steps: list[Step]) -> tuple[tuple, list]:
    """One (T B, n) array per state component, and each step's rows of it as views: the
    recursion writes delta_t in place and the parameter pass reads them all at once."""
    T, B = len(steps), steps[0].x.shape[0]
    whole = tuple(np.empty((T * B,) + c.shape[1:], dtype=c.dtype) for c in steps[0].s)
    return whole, [tuple(w[t * B:(t + 1) * B] for w in whole) for t in range(T)]


def _through_steps(cell: Cell, P: dict, steps: list[Step], G: list[tuple], loc: _Local,
                   X: np.ndarray, G_whole: tuple | None = None) -> tuple[dict, np.ndarray]:
    """Parameter and input gradients, given G[t] = dL/ds_t (whatever paths it sums): the
    loss rules' local parts plus each step's VJP at G[t]. VJPs are linear in G, so a
    stackable cell does all T steps in one call, with T B rows in each product."""
    grads, gx = {k: v.copy() for k, v in loc.params.items()}, np.zeros_like(X)
    for k, g in loc.inputs.items():
        gx[:, k - 1] += g
    if loc.big is not None:
        g_big = G_whole if G_whole is not None else \
            tuple(np.concatenate(p, axis=0) for p in zip(*G))
        g_p, g_x = cell.through(P, loc.big, g_big) if cell.through else \
            cell.vjp(P, loc.big, g_big)[1:]
        _add(grads, g_p)
        gx += g_x.reshape(len(steps), X.shape[0], -1).transpose(1, 0, 2)
    else:
        for st, g in zip(steps, G):
            _, g_p, g_x = cell.vjp(P, st, g)
            _add(grads, g_p)
            gx[:, st.t - 1] += g_x
    return grads, gx


def _recursion(cell: Cell, P: dict, steps: list[Step], loc: _Local, xi=None):
    """delta_T = dl_T/ds_T, delta_t = dl_t/ds_t + xi_{t+1} J_{t+1}^T delta_{t+1} (xi = 1:
    full BPTT), written into one buffer."""
    whole, delta = _buffers(steps)
    for d, g in zip(delta[-1], loc.per_step[-1]):
        d[...] = g
    for t in range(len(steps) - 2, -1, -1):
        back = _back(cell, P, steps[t + 1], delta[t + 1])
        for d, g, b in zip(delta[t], loc.per_step[t], back):
            if xi is None:
                np.add(g, b, out=d)
            else:
                np.add(g, xi[t + 1] * b, out=d)
    return whole, delta


def full(cell: Cell, P: dict, X: np.ndarray, Y: np.ndarray | None) -> Gradients:
    """Full BPTT (seeds 000, 001): delta_T = dl_T/ds_T,
    delta_t = dl_t/ds_t + J_{t+1}^T delta_{t+1}; then every step's VJP at delta_t."""
    steps = forward(cell, P, X)
    loc = _local(cell, P, steps, Y)
    whole, delta = _recursion(cell, P, steps, loc)
    grads, gx = _through_steps(cell, P, steps, delta, loc, X, whole)
    return Gradients(loc.loss, grads, gx, vjp_calls=len(steps))


def path_sum(cell: Cell, P: dict, X: np.ndarray, Y: np.ndarray | None,
             window: int | None = None) -> Gradients:
    """Every path from every loss l_s back to every step t <= s, one at a time (seed 000):
    T (T + 1) / 2 paths, no sharing between them; what each path brings to step t is
    added to G[t]. With a window tau, only the paths with s - t < tau: truncated BPTT,
    where the gradient of l_s stops at step s - tau + 1 and h_{s - tau} is a constant
    (seed 001)."""
    steps = forward(cell, P, X)
    loc = _local(cell, P, steps, Y)
    G = [tuple(np.zeros_like(c) for c in st.s) for st in steps]
    paths = calls = 0
    for s_idx, g_s in enumerate(loc.per_step):
        g = g_s
        lowest = 0 if window is None else max(0, s_idx - window + 1)
        for t in range(s_idx, lowest - 1, -1):
            G[t] = _add_state(G[t], g)
            paths += 1
            if t > lowest:
                g = _back(cell, P, steps[t], g)
                calls += 1
    grads, gx = _through_steps(cell, P, steps, G, loc, X)
    return Gradients(loc.loss, grads, gx, paths, calls)


def truncated(cell: Cell, P: dict, X: np.ndarray, Y: np.ndarray | None, tau: int) -> Gradients:
    """Truncated BPTT with window tau: the forward state flows, the gradient of each loss
    stops tau steps back: a sliding window, h_{s-tau} held for l_s (seed 001); not D2L's
    detach() at fixed split points, which is a different gradient."""
    return path_sum(cell, P, X, Y, window=tau)


def randomized(cell: Cell, P: dict, X: np.ndarray, Y: np.ndarray | None, pi,
               rng: np.random.Generator) -> Gradients:
    """Randomized truncation (seed 002; Tallec and Ollivier): the gradient crossing from
    step t + 1 back to t is multiplied by xi_{t+1}, P(xi = 0) = 1 - pi, P(xi = 1/pi) = pi,
    so E[xi] = 1 and the estimate is unbiased. `pi` is a number or one per step
    (pi[t] for the crossing into step t + 1; pi[0] is unused: nothing precedes step 1)."""
    steps = forward(cell, P, X)
    T = len(steps)
    pis = np.broadcast_to(np.asarray(pi, dtype=float), (T,))
    draws = rng.random(T)
    xi = np.zeros(T)
    kept = draws < pis
    xi[kept] = 1.0 / pis[kept]
    loc = _local(cell, P, steps, Y)
    whole, delta = _recursion(cell, P, steps, loc, xi)
    grads, gx = _through_steps(cell, P, steps, delta, loc, X, whole)
    return Gradients(loc.loss, grads, gx, vjp_calls=T)


def forward_mode(cell: Cell, P: dict, X: np.ndarray, Y: np.ndarray | None) -> Gradients:
    """Forward mode (RTRL, seed 003): carry A_t = ds_t/dtheta forward by
    A_t = B_t + C_t A_{t-1}, with C_t = ds_t/ds_{t-1} and B_t = ds_t/dtheta at step t, per
    example; then dL/dtheta = sum_t dl_t/ds_t . A_t. C_t and B_t are read off the cell's VJP
    rule one cotangent e_i at a time. Memory O(n P) per example, whatever T: the forward
    pass streams and no step is kept."""
    B, T = X.shape[:2]
    names = list(P)
    sizes = [int(np.size(P[k])) for k in names]
    K = sum(sizes)
    A = None
    total = np.zeros(K)
    local = _zeros(P)
    calls = 0
    loss = 0.0
    for st in stream(cell, P, X):
        y = _target(Y, st.t)
        g_s, g_p, _ = cell.loss_vjp(P, st, y, T)
        loss += cell.loss(P, st, y, T)
        m = sum(c.shape[1] for c in st.s)
        A = np.zeros((B, m, K)) if A is None else A
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
    return Gradients(float(loss), grads, None, vjp_calls=calls)


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
