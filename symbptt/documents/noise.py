"""Float rounding noise, printed the same on every machine.

A difference that is float64 rounding (1e-16 here, 0 or 4e-16 on a machine with another
BLAS) would make two builds of the same documents differ; below its floor it is printed
as "< floor", above it as the power of ten above it.
"""
from __future__ import annotations

import math

NOISE = 1e-14          # relative: float64 rounding over the sums of these small models
ANGLE_NOISE = 1e-10    # degrees: the angle between two float64 vectors that are parallel


def bound_text(v: float, floor: float = NOISE) -> str:
    """v as the power of ten above it ("1e-3"), or "< floor" below the floor."""
    if not v >= floor:
        return f"< {floor:.0e}"
    return f"1e{math.ceil(math.log10(v))}"
