"""A rough estimate of what an unrolled proof costs, to refuse what would hang the machine.

The expanded gradient is a sum over paths, so its size grows geometrically in T. The
rates below were measured on this project's 2-core machines (n = 3) and scale with n;
the estimate is meant to be right within a factor of a few, which is enough to tell
"a minute" from "a century".
"""
from __future__ import annotations

import math

from ..spec import Dims, ModelSpec

# model -> (seconds at T = 0 per entry, growth per step per unit of n, floor of the growth)
RATES = {
    "scalar_linear": (1e-5, 0.0, 1.6),
    "generic": (5e-3, 0.0, 1.5),
    "linear_half_square": (2e-6, 2.5, 2.0),
    "d2l_linear": (1.5e-6, 6.0, 2.0),
    "elman": (2e-7, 3.8, 2.0),
    "elman_softmax": (1e-6, 3.5, 2.0),
    "residual": (1e-6, 4.0, 2.0),
    "gru": (1e-5, 12.0, 2.0),
    "gru_torch": (1e-5, 12.0, 2.0),
    "lstm": (1e-5, 16.0, 2.0),
    "attention": (1e-5, 12.0, 2.0),
}
DEFAULT_BUDGET = 600.0


def entry_count(spec: ModelSpec, T: int, dims: Dims) -> int:
    params = sum(math.prod(dims.shape(p.shape)) for p in spec.params)
    return params + T * math.prod(dims.shape(spec.input_shape))


def estimate_seconds(spec: ModelSpec, T: int, dims: Dims) -> float:
    base, per_n, floor = RATES[spec.name]
    n = dims.n if spec.dims_used else 1
    rate = max(floor, per_n * n)
    log_est = math.log(base * entry_count(spec, T, dims)) + T * math.log(rate)
    return math.exp(min(log_est, 700.0))


def describe(seconds: float) -> str:
    for unit, size in (("years", 3.15e7), ("days", 86400.0), ("hours", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"
