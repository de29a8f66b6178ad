"""The closed form: a sum over paths of Jacobian products.

Unrolling a_t = b_t + c_t a_{t-1} (seed 003) backward gives, for every t,

    dL/ds_t = sum_{s=t}^{T} (J_s J_{s-1} ... J_{t+1})^T dl_s/ds_s        (seed 002)

one term per path s -> t, with J_j = ds_j/ds_{j-1} the cell's Jacobian rule written out
as a matrix. Parameters then accumulate as in the recursive form.
"""
from __future__ import annotations

from .linalg import matmul, tmatvec, vadd
from .recursive import accumulate, local_gradients
from .unroll import Unrolled


def path_count(T: int) -> int:
    """Paths from a loss l_s back to a step t <= s: T (T + 1) / 2 (55 at T = 10, seed 000)."""
    return T * (T + 1) // 2


def deltas(u: Unrolled) -> list:
    jac = [u.cell.jacobian(u.backend, u.params, st) for st in u.steps]
    local = [g for g, _, _ in local_gradients(u)]
    out = []
    for t in range(u.T):
        terms = [local[t]]
        product = None                        # J_s ... J_{t+1}, grown one factor per path
        for s in range(t + 1, u.T):
            product = jac[s] if product is None else matmul(jac[s], product)
            terms.append(tmatvec(product, local[s]))
        out.append(vadd(*terms))
    return out


def gradient(u: Unrolled) -> dict:
    return accumulate(u, deltas(u))
