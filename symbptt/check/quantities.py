"""The quantities a claim may use, at one T: parameters, sequences and derivatives.

Parameters and sequences are read off the unrolled graph (symbolic/stepgraph.py): each
state after each step a symbol defined by its step, h[0] = c[0] = 0. Derivatives come
from the same graph, by the chain rule over its steps (check/derivatives.py, which says
what a total and a partial derivative are and how each is laid out); the forms the zero
test compares are check/forms.py's.

Beyond the sequence (h[T+1], a[0], x[-1], ...) a quantity is an opaque symbol: a claim
may mention one only where it cancels (multiplied by a zero boundary value). L and
l[t] depend on nothing past T, so dL/dh[T+1] is 0.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..model.spec import Dims, ModelSpec
from ..symbolic.backend import Backend
from ..symbolic.cells import Cell
from ..symbolic.stepgraph import NotInGraph, Span, StepGraph
from . import forms
from .derivatives import LOCAL, LOSS, OPAQUE, Derivatives, QuantityError
from .forms import equal_on, flat, free, is_symbol, subs


def matrix(value: Any) -> np.ndarray:
    """A scalar, a vector (a column) or a matrix of expressions as a 2-D object array."""
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        rows, cols = len(value), len(value[0])
        out = np.empty((rows, cols), dtype=object)
        for i, row in enumerate(value):
            for j, v in enumerate(row):
                out[i, j] = v
        return out
    items = value if isinstance(value, tuple) else (value,)
    out = np.empty((len(items), 1), dtype=object)
    for i, v in enumerate(items):
        out[i, 0] = v
    return out


class Quantities:
    """The model unrolled at T, and every quantity a claim can name, computed on demand
    (and remembered: one instance per (model, T, dims))."""

    def __init__(self, spec: ModelSpec, cell: Cell, T: Any, dims: Dims, be: Backend,
                 activation: str | None = None, graph: StepGraph | None = None) -> None:
        """The model unrolled at T; or, given a `graph` of a window of steps
        (check/frames.py), the quantities of its steps 0..n, T then a symbol."""
        self.spec, self.cell, self.T, self.dims, self.be = spec, cell, T, dims, be
        self.activation = activation
        self.g = graph or StepGraph(spec, cell, dims, be, Span(0, T), T)
        self.n = self.g.span.last                  # the steps held: 1..n
        self.readouts = tuple(self.g.outs[1]) if self.n >= 1 and cell.readout else ()
        self._memo: dict = {}
        self.zero, self.one = be.number(Fraction(0)), be.number(Fraction(1))
        self.derivatives = Derivatives(self)

    # ---- what the model has ------------------------------------------------------------
    @property
    def scalar_model(self) -> bool:
        return not self.spec.dims_used

    @property
    def step_functions(self) -> tuple[str, ...]:
        """Names of the model's undefined step/readout functions (generic: f, g)."""
        text = " ".join(self.spec.equations)
        return tuple(f for f in ("f", "g") if f"= {f}(" in text)

    def is_matrix(self, name: str) -> bool:
        """A parameter declared a matrix (whatever its sizes: n x 1 is still a matrix)."""
        return any(p.name == name and len(p.shape) == 2 for p in self.spec.params)

    @property
    def symbols(self) -> tuple:
        """The free symbols a point gives values to: parameters, inputs, targets."""
        g, out = self.g, []
        for p in self.spec.params:
            out += flat(g.P[p.name])
        for k in range(1, self.n + 1):
            out += [e for e in g.x(k)] + [s for e in g.y(k) for s in free(e)]
        return tuple(dict.fromkeys(s for s in out if is_symbol(s)))

    @property
    def opaque_symbols(self) -> tuple:
        return tuple(s for label, s in self.g.opaque.items() if label.startswith(OPAQUE))

    def opaque(self, label: str) -> Any:
        return self.g.symbol(OPAQUE + label)

    @property
    def softmax_rows(self) -> list:
        """The logits of every softmax the graph computes, a row a step (for the zero test)."""
        name = self.cell.softmax
        if name is None:
            return []
        return [self.g.value(name, k) for k in range(1, self.n + 1)]

    def softmax_forms(self) -> list[list]:
        """Each softmax row's logits in every form equal_on's stages write them: with
        state symbols, unfolded, and with the steps from k on written out (k = n..1)."""
        return forms.softmax_forms(self.g, self.softmax_rows)

    def inline(self, expr: Any) -> Any:
        """expr with every state symbol replaced by its step's definition, latest first:
        the nested expression in the parameters and inputs alone (for values at a point)."""
        return forms.inline(self.g, expr)

    def expand_adjoint(self, expr: Any, key: tuple) -> Any:
        """expr with the adjoint symbols of (k, state) replaced by their definitions."""
        return forms.expand_adjoint(self.g, expr, key)

    def unfold(self, expr: Any, below: int | None = None) -> Any:
        """expr with each state defined as an activation's atom written as that atom, at
        the steps before `below` (all by default)."""
        return forms.unfold(self.g, expr, below)

    def expand_states(self, expr: Any, k: int) -> Any:
        """expr with the states of step k replaced by their definitions."""
        return forms.expand_states(self.g, expr, k)

    # ---- values --------------------------------------------------------------------------
    def param(self, name: str) -> np.ndarray:
        return matrix(self.g.P[name])

    def sequence(self, name: str, k: int) -> np.ndarray:
        """x[k], y[k], h[k], a[k], o[k], ...: h[0] = c[0] = 0; past the ends, opaque."""
        key = ("seq", name, k)
        if key not in self._memo:
            self._memo[key] = self._at_zero(matrix(self._sequence(name, k)))
        return self._memo[key]

    def _at_zero(self, arr: np.ndarray) -> np.ndarray:
        """h_0 = 0 (c_0 = 0) set in a value the graph computed with a symbol for it."""
        zero = self.g.at_zero
        if not zero:
            return arr
        out = np.empty(arr.shape, dtype=object)
        for idx, e in np.ndenumerate(arr):
            out[idx] = subs(e, zero) if free(e) & zero.keys() else e
        return out

    def _sequence(self, name: str, k: int) -> Any:
        g = self.g
        if name in self.spec.states and k == 0:
            return tuple(self.zero for _ in g.eta[0, name]) if g.span.zero_start else \
                g.eta[0, name]
        if 1 <= k <= self.n:
            if name == "x":
                return g.x(k)
            if name == "y":
                return g.y(k)
            return g.value(name, k)
        return self._opaque_vector(name, k)

    def size(self, name: str) -> int:
        """How many entries name[k] has inside the sequence."""
        if name == "x":
            return len(self.g.x(1))
        if name == "y":
            return len(self.g.y(1))
        return len(self.g.value(name, min(max(1, self.n), self.n)))

    def _opaque_vector(self, name: str, k: int) -> tuple:
        size = max(k, 1) if name in ("e", "alpha") else self.size(name)   # attention's rows grow
        return tuple(self.opaque(f"{name}_{k}[{i}]") for i in range(size))

    # ---- derivatives ---------------------------------------------------------------------
    def derivative(self, num: tuple[str, int | None], den: tuple[str, int | None],
                   held: tuple = ()) -> np.ndarray:
        """d num / d den, each a (name, index or None); `held`: (name, index) pairs kept at
        their values (a partial derivative)."""
        key = ("d", num, den, tuple(sorted(held)))
        if key not in self._memo:
            self._memo[key] = self._at_zero(self.derivatives.of(num, den, frozenset(held)))
        return self._memo[key]

    def contribution(self, name: str, k: int) -> np.ndarray:
        """Step k's part of dL/dp: the gradient by step k's own copy of the parameter (its
        step, readout and loss); dL/dp is the sum of these over k (tied weights)."""
        return self._at_zero(self.derivatives.contribution(name, k))


__all__ = ["LOCAL", "LOSS", "NotInGraph", "OPAQUE", "Quantities", "QuantityError", "equal_on",
           "matrix"]
