"""Shared by the symbolic tests: unroll a zoo model and compare expressions exactly."""
from __future__ import annotations

import symengine as se

from symbptt.model.spec import Dims
from symbptt.symbolic import direct
from symbptt.symbolic.backend import SYMENGINE
from symbptt.symbolic.cells import cell_for
from symbptt.symbolic.unroll import unroll
from symbptt.model.registry import get_model


def unrolled(model: str, T: int, n: int = 2, d: int = 2, q: int = 2, activation=None,
             backend=SYMENGINE):
    spec = get_model(model)
    return unroll(spec, cell_for(spec, activation), T, Dims(n, d, q), backend)


def truth(u) -> dict:
    return direct.gradient(u)


def same(a, b) -> bool:
    """Exact equality of two SymEngine expressions (expansion, never sampling)."""
    return se.expand(a - b) == 0


def entry(u, name, index):
    """The scalar at `index` of parameter `name` (a scalar parameter has index ())."""
    arr = u.params[name]
    for i in index:
        arr = arr[i]
    return arr
