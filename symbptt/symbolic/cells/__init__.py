"""Each zoo cell as a small table of rules: the forward step and its hand-written VJPs.

A rule reads like the seed formula it comes from. The recursive and closed forms use
only these rules; the direct form never sees them (it differentiates the unrolled loss),
which is what makes the three-way agreement a proof of the rules. This module is the
registry (cell_for); the type is in rule.py, each family of cells in its own module
(elman.py, gated.py, attention.py, interpret.py: a model file's cell).
"""
from __future__ import annotations

from ...errors import SymbpttError
from ...model.spec import ModelSpec
from ..activations import ACTIVATIONS
from .attention import ATTENTION
from .elman import (D2L_LINEAR, ELMAN_SOFTMAX, GENERIC, LINEAR_HALF_SQUARE, RESIDUAL,
                    SCALAR_LINEAR, elman_cell)
from .elman import EQUATIONS as ELMAN_EQUATIONS
from .gated import EQUATIONS as GATED_EQUATIONS
from .gated import GATED
from .interpret import interpreted_cell
from .rule import Cell, Equations, Step, keep

__all__ = ["ATTENTION", "Cell", "D2L_LINEAR", "ELMAN_SOFTMAX", "GATED", "GENERIC",
           "LINEAR_HALF_SQUARE", "RESIDUAL", "SCALAR_LINEAR", "Step", "cell_for",
           "elman_cell", "equations_for", "keep"]


def cell_for(spec: ModelSpec, activation: str | None = None) -> Cell:
    """The rule table of a zoo model (with its activation option, if it has one), or of a
    user-defined cell (its compiled program, interpreted)."""
    if spec.program is not None:
        return interpreted_cell(spec.program, spec.name)
    if spec.name == "elman":
        return elman_cell(ACTIVATIONS[activation or "tanh"])
    table = {"scalar_linear": SCALAR_LINEAR, "linear_half_square": LINEAR_HALF_SQUARE,
             "d2l_linear": D2L_LINEAR, "elman_softmax": ELMAN_SOFTMAX, "residual": RESIDUAL,
             "generic": GENERIC}
    table.update(GATED, attention=ATTENTION)
    if spec.name not in table:
        raise SymbpttError(f"the symbolic side of {spec.name} is not built yet "
                           f"(models with it: {', '.join(['elman'] + sorted(table))})")
    return table[spec.name]


def equations_for(name: str) -> Equations | None:
    """A zoo model's cell as equations of the formula language (None: the model has none:
    attention reads every earlier input, generic's f, g and l are undefined)."""
    return {**ELMAN_EQUATIONS, **GATED_EQUATIONS}.get(name)
