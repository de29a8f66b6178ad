"""The direct form: differentiate the unrolled loss. The ground truth; no rule is used."""
from __future__ import annotations

from .unroll import Unrolled


def gradient(u: Unrolled) -> dict:
    """dL/dtheta for every entry, by the backend's own diff of L(theta, x_1..x_T)."""
    return {e.label: u.backend.diff(u.loss, e.symbol) for e in u.entries}
