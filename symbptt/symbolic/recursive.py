"""The recursive form: delta_t backward through the cell's VJP rules, then accumulate."""
from __future__ import annotations

from .linalg import tree_add, tree_entries, vadd
from .unroll import RECURRENT, Unrolled, is_input, path_group


def local_gradients(u: Unrolled) -> list:
    """(dl_t/ds_t, {p: dl_t/dp}, {k: dl_t/dx_k}) for t = 1..T, from the cell's loss rule
    (the last part is attention's shortcut to earlier inputs; empty for Markov cells)."""
    out = []
    for st, y in zip(u.steps, u.ys):
        parts = u.cell.loss_vjp(u.backend, u.params, st, y, u.T)
        out.append(parts if len(parts) == 3 else (*parts, {}))
    return out


def deltas(u: Unrolled) -> list:
    """delta_t = dL/ds_t by the recursion of seeds 000 and 001:

        delta_T = dl_T/ds_T,    delta_t = dl_t/ds_t + J_{t+1}^T delta_{t+1}

    where J_{t+1}^T delta_{t+1} is the cell's VJP rule at step t+1.
    """
    local = [g for g, _, _ in local_gradients(u)]
    delta = [None] * u.T
    delta[-1] = local[-1]
    for t in range(u.T - 2, -1, -1):
        back, _, _ = u.cell.vjp(u.backend, u.params, u.steps[t + 1], delta[t + 1])
        delta[t] = vadd(local[t], back)
    return delta


def accumulate(u: Unrolled, delta: list, local: list | None = None) -> dict:
    """dL/dp = sum_t dl_t/dp + sum_t (VJP of step t w.r.t. p)(delta_t); dL/dx_t likewise.

    Parameters are shared across steps, so their gradient is the sum over t (seed 004).
    local: the loss rule's parts per step, when the caller ran it (documents name its
    adjoints as it goes); local_gradients(u) otherwise.
    """
    total = {}
    inputs = {}
    shortcut = {}
    for (_, own, to_inputs), st, d in zip(local or local_gradients(u), u.steps, delta):
        _, through_step, g_x = u.cell.vjp(u.backend, u.params, st, d)
        for part in (own, through_step):
            for name, g in part.items():
                total[name] = g if name not in total else tree_add(total[name], g)
        inputs[st.t] = g_x
        for k, g in to_inputs.items():
            shortcut[k] = g if k not in shortcut else tree_add(shortcut[k], g)
    paths = {RECURRENT: inputs}
    if u.cell.shortcut is not None:
        paths[path_group(u.cell.shortcut)] = shortcut
    inputs = {t: tree_add(g, shortcut[t]) if t in shortcut else g for t, g in inputs.items()}
    grads = {}
    for e in u.param_entries:
        grads[e.label] = dict(tree_entries(total[e.param]))[e.index] if e.param in total else 0
    for e in u.entries:
        if is_input(e.param):
            part = inputs if e.param == "x" else paths[e.param]
            g = part.get(e.index[0])
            grads[e.label] = 0 if g is None else g[e.index[1] if len(e.index) > 1 else 0]
    return grads


def gradient(u: Unrolled) -> dict:
    return accumulate(u, deltas(u))
