"""The registry of numeric cells: a model's rule table, by name or from its program.

Each family of cells is a module of its own (elman.py, gated.py: gru, gru_torch, lstm
and attention; interpret.py: a model file's cell, its program run with NumPy rules); the
Cell type and the rules they share are in rule.py. Shapes and conventions: elman.py.
"""
from __future__ import annotations

from ...errors import SymbpttError
from .elman import (D2L_LINEAR, ELMAN_SOFTMAX, LINEAR_HALF_SQUARE, RESIDUAL, SCALAR_LINEAR,
                    elman_cell)
from .gated import GATED
from .interpret import interpreted_cell
from .rule import ACTIVATIONS, Cell, Step

__all__ = ["ACTIVATIONS", "CELLS", "Cell", "Step", "cell_for", "elman_cell"]


CELLS = {"scalar_linear": SCALAR_LINEAR, "linear_half_square": LINEAR_HALF_SQUARE,
         "d2l_linear": D2L_LINEAR, "elman_softmax": ELMAN_SOFTMAX, "residual": RESIDUAL}


def cell_for(model, activation: str | None = None) -> Cell:
    """The numeric rule table of a zoo model (by name or spec), or of a user-defined cell
    (a spec with a compiled program, interpreted)."""
    if getattr(model, "program", None) is not None:
        return interpreted_cell(model.program, model.name)
    model = getattr(model, "name", model)
    if model == "elman":
        return elman_cell(activation or "tanh")
    if model in CELLS:
        return CELLS[model]
    if model in GATED:
        return GATED[model]
    if model == "generic":
        raise SymbpttError("generic has undefined functions f, g, l: it has no numeric engine")
    raise SymbpttError(f"the numeric engine has no cell for {model} yet")
