"""The rule-table type of a symbolic cell (Cell, Step), the hook through which a cell
names its values (keep), and the half-square loss most cells share. Every family of cells
builds on this: elman.py (the Elman family), gated.py, attention.py, interpret.py; the
registry above them is the package (cells/__init__.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

from ..linalg import total, vsub


def keep(name: str, value):
    """A step's `put` by default: each named quantity is used as the step computed it.

    Every step (and readout) hands each named quantity to `put(name, value)` and goes on
    with what it returns; the unrolled graph (symbolic/stepgraph.py) uses this to stand a
    symbol for a state, to perturb an intermediate, or to hold one fixed, so that a total
    derivative recomputes everything computed from the quantity, in the same step too."""
    return value


@dataclass(frozen=True)
class Step:
    """One unrolled step: x_t, s_{t-1}, the named intermediates and s_t."""
    t: int
    x: tuple
    s_prev: tuple
    vals: dict = field(hash=False)
    s: tuple = ()


@dataclass(frozen=True)
class Cell:
    """The rule table of one model.

    step(be, P, s_prev, x, put=keep) -> (vals, s)  forward step (each named value passed
                                                   through put, see keep)
    loss(be, P, step, y, T) -> l_t                 local loss
    loss_vjp(be, P, step, y, T) -> (g_s, {p: g})   dl_t/ds_t and dl_t/dp (output layer)
    vjp(be, P, step, g) -> (J_t^T g, {p: g}, g_x)  back through the step
    jacobian(be, P, step) -> J_t = ds_t/ds_{t-1}
    readout(be, P, s_t, xs, put=keep) -> the outputs the loss reads, from the state (and, for
        attention, the inputs x_1..x_t so far) alone (optional); kept apart from the step
        so that the loss rule can be proven on its own
    loss_vjp may return a third element {k: dl_t/dx_k}: attention's shortcut to the inputs
    shortcut: the name of a path from the readout to earlier inputs (attention's), whose
        part of dL/dx_k is then proven apart from the recurrent path's
    softmax: the name of the intermediate that holds the logits of a softmax (one row a
        step), so that the zero test can see its probabilities as atoms
    """
    name: str
    step: Callable
    loss: Callable
    loss_vjp: Callable
    vjp: Callable
    jacobian: Callable
    rules: tuple[str, ...] = ()
    backends: tuple[str, ...] = ("sympy", "symengine")
    readout: Callable | None = None   # (be, P, s_t, xs) -> outputs the loss reads (o, yhat)
    softmax: str | None = None
    shortcut: str | None = None


@dataclass(frozen=True)
class Equations:
    """A cell's step and loss as equations of the formula language (a model file's
    [cell]): what symbptt derive reads, never the rules. Each zoo model's are proven to
    define the same step as its rule table (tests/symbolic/cells/test_equations.py)."""
    equations: tuple[str, ...]
    loss: str
    mean: bool = False              # L = (1/T) sum_t l[t]
    simplex_targets: bool = False   # y[t] sums to 1 (a probability vector)


HALF_SQUARE = "l[t] = (h[t] - y[t]).T @ (h[t] - y[t]) / 2"


def _half_square_loss(be, P, st, y, T):
    return total([(h - yi) ** 2 for h, yi in zip(st.vals["h"], y)]) * be.number(Fraction(1, 2))


def _half_square_vjp(be, P, st, y, T):
    return vsub(st.vals["h"], y), {}
