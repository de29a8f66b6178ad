"""A rough estimate of what an unrolled proof costs, to refuse what would hang the machine.

The expanded gradient is a sum over paths, so its size grows geometrically in T with a
rate that grows with n; for scalar models it grows like a power of T. The constants were
measured with `symbptt prove` on this project's 2-core machines; the estimate is meant to
be right within a factor of a few, enough to tell "a minute" from "a century".
"""
from __future__ import annotations

import math

from ..spec import Dims, ModelSpec

# seconds = base * entries * rate^T, rate = max(1.8, per_n * (n - 1) + offset)
GEOMETRIC = {
    ("elman", "tanh"): (5e-6, 1.0, 2.0),          # n = 3: T = 8 in 11 s
    ("elman", "sigmoid"): (8e-6, 1.0, 2.0),
    ("elman", "identity"): (3.7e-6, 5.0, 2.0),    # linear: no slope atom, the W's multiply out
    ("elman_softmax", None): (5.6e-5, 1.0, 2.0),
    ("residual", None): (3.6e-6, 2.0, 2.0),
    ("linear_half_square", None): (1.85e-6, 5.0, 2.0),
    ("d2l_linear", None): (8.4e-6, 7.0, 3.0),
    # gated cells, n = 2, d = 3: T = 2 in 0.4 s; T = 3 in 72 s (gru), 85 s (gru_torch), 22 s (lstm)
    ("gru", None): (4.8e-7, 100.0, 50.0),
    ("gru_torch", None): (5.5e-7, 100.0, 60.0),
    ("lstm", None): (3.1e-6, 30.0, 20.0),
    # attention, n = 2, d = 3, q = 2: T = 2 in 1.9 s, T = 3 in 14 s
    ("attention", None): (6.2e-4, 4.0, 3.5),
}
# seconds = base * T^power, for the scalar models
POLYNOMIAL = {"scalar_linear": (7.9e-6, 3.6), "generic": (0.022, 2.0)}
DEFAULT_BUDGET = 600.0


def entry_count(spec: ModelSpec, T: int, dims: Dims) -> int:
    params = sum(math.prod(dims.shape(p.shape)) for p in spec.params)
    return params + T * math.prod(dims.shape(spec.input_shape))


def estimate_seconds(spec: ModelSpec, T: int, dims: Dims, activation: str | None = None) -> float:
    if spec.name in POLYNOMIAL:
        base, power = POLYNOMIAL[spec.name]
        return base * T ** power
    if spec.program is not None:               # a user cell: scaled by its size
        ops, states = len(spec.program.ops), len(spec.program.states)
        if not spec.dims_used:
            return 1e-5 * ops * T ** 3.6
        base, per_n, offset = 1e-6 * ops, 2.0 * states, 2.0 * states
    else:
        key = (spec.name, activation or "tanh") if spec.option("activation") else \
            (spec.name, None)
        base, per_n, offset = GEOMETRIC[key]
    rate = max(1.8, per_n * (dims.n - 1) + offset)
    log_est = math.log(base * entry_count(spec, T, dims)) + T * math.log(rate)
    return math.exp(min(log_est, 700.0))


def describe(seconds: float) -> str:
    for unit, size in (("years", 3.15e7), ("days", 86400.0), ("hours", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"
