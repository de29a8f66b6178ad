"""Parameters and data drawn from a seed, with the zoo's shapes (spec only, no SymPy)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.spec import Dims, ModelSpec


@dataclass(frozen=True)
class Problem:
    """Everything an algorithm needs, and another tool needs to recompute it."""
    params: dict = field(hash=False)     # name -> array (0-d for a scalar parameter)
    X: np.ndarray = None                 # (B, T, d); a scalar model has d = 1
    Y: np.ndarray | None = None          # (B, T, k) or None when the loss has no targets


def draw(spec: ModelSpec, T: int, dims: Dims, seed: int, batch: int = 1,
         dtype=np.float64) -> Problem:
    """Weights uniform in +-1/sqrt(fan in) (as torch initialises an RNN), inputs and
    targets standard normal; elman_softmax gets one-hot targets."""
    rng = np.random.default_rng(seed)
    params = {}
    for p in spec.params:
        shape = dims.shape(p.shape)
        fan_in = shape[-1] if len(shape) == 2 else max(dims.n, 1) if shape else 1
        scale = 1.0 / np.sqrt(fan_in) if shape else 0.9
        params[p.name] = rng.uniform(-scale, scale, size=shape).astype(dtype)
    d = dims.shape(spec.input_shape)[0] if spec.input_shape else 1    # x may be n or q long
    X = rng.standard_normal((batch, T, d)).astype(dtype)
    Y = None
    if spec.target_shape is not None:
        k = dims.shape(spec.target_shape)[0] if spec.target_shape else 1
        if spec.name == "elman_softmax":
            Y = np.eye(k, dtype=dtype)[rng.integers(0, k, size=(batch, T))]
        else:
            Y = rng.standard_normal((batch, T, k)).astype(dtype)
    return Problem(params, X, Y)
