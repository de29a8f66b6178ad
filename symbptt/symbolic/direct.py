"""The direct form: differentiate the unrolled loss. The ground truth; no rule is used."""
from __future__ import annotations

from .unroll import Unrolled


def gradient(u: Unrolled) -> dict:
    """dL/dtheta for every entry, by the backend's own diff of L(theta, x_1..x_T) (an input
    the readout reads through its own copy: the sum of both derivatives)."""
    out = {}
    for e in u.entries:
        g = u.backend.diff(u.loss, e.symbol)
        for other in e.also:
            g = g + u.backend.diff(u.loss, other)
        out[e.label] = g
    return out
