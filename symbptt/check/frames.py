"""A window of a few steps at a symbolic place in the sequence, for proofs for every T.

A claim about step t (dL/dh[t] = ..., or the t-th summand of dL/dW = sum(t=1..T, ...))
reads only a few steps around t. Here those steps are unrolled from an *opaque* state
(any value: the state the earlier steps left), and what the later steps make of the
last state held is an *opaque* cotangent gamma (dL/ds_last = dl/ds_last + gamma); T is a
symbol (1/T in a mean loss). An identity that holds in such a window holds at every t
and every T the window stands for (symbolic/stepgraph.py does the derivatives, by the
same chain rule as for a whole unrolled model).

Positions are `Lin`: c + a t + b T, with t the claim's index and T the length, both
symbolic. A frame is anchored at t (a step well inside the sequence), at T (a step near
its end: no later steps, nothing opaque after) or at 0 (a step near its start: from
h_0 = 0). An index the window does not hold asks for a wider window (`Extend`); one it
cannot hold at all (the range of a sum whose length grows with T, a power T - t, a
step far from the anchor, dL/dW whole) makes the claim one a window cannot prove
(`NotWindowable`).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..model.spec import Dims, ModelSpec
from ..symbolic.backend import Backend
from ..symbolic.cells import Cell
from .quantities import LOSS, Quantities, equal_on, matrix
from ..symbolic.stepgraph import NotInGraph, Span, StepGraph
from ..symbolic.zero import SlopeAtoms, SoftmaxAtoms, equal

MAX_WINDOW = 8                  # steps a window may hold


class NotWindowable(Exception):
    """The claim reads something no window of a few steps holds (the message says what)."""


class Extend(Exception):
    """A window needs to hold position `rel` (relative to its anchor)."""

    def __init__(self, rel: int, state_only: bool = False) -> None:
        super().__init__(rel)
        self.rel = rel
        self.state_only = state_only


@dataclass(frozen=True)
class Lin:
    """A position c + a t + b T, with t and T symbolic (both large, and T - t large: so
    positions compare by T's coefficient, then t's, then the constant)."""
    c: int = 0
    a: int = 0
    b: int = 0

    def __add__(self, o) -> Lin:
        o = _lin(o)
        return Lin(self.c + o.c, self.a + o.a, self.b + o.b)

    __radd__ = __add__

    def __neg__(self) -> Lin:
        return Lin(-self.c, -self.a, -self.b)

    def __sub__(self, o) -> Lin:
        return self + (-_lin(o))

    def __rsub__(self, o) -> Lin:
        return _lin(o) - self

    def __mul__(self, k: int) -> Lin:
        if not isinstance(k, int):
            return NotImplemented
        return Lin(self.c * k, self.a * k, self.b * k)

    __rmul__ = __mul__

    def _key(self) -> tuple:
        return (self.b, self.a, self.c)

    def __eq__(self, o) -> bool:
        if isinstance(o, (int, Lin)):
            return self._key() == _lin(o)._key()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.c) if not (self.a or self.b) else hash(self._key())

    def __lt__(self, o) -> bool:
        return self._key() < _lin(o)._key()

    def __le__(self, o) -> bool:
        return self._key() <= _lin(o)._key()

    def __gt__(self, o) -> bool:
        return self._key() > _lin(o)._key()

    def __ge__(self, o) -> bool:
        return self._key() >= _lin(o)._key()

    def constant(self, what: str) -> int:
        if self.a or self.b:
            raise NotWindowable(f"{what} ({self}) grows with t or T")
        return self.c

    def __str__(self) -> str:
        out = ""
        for coef, name in ((self.b, "T"), (self.a, "t")):
            if coef:
                mag = "" if abs(coef) == 1 else f"{abs(coef)}*"
                out += ("-" if coef < 0 else ("+" if out else "")) + mag + name
        if self.c or not out:
            out += f"+{self.c}" if self.c > 0 and out else str(self.c)
        return out


def _lin(v) -> Lin:
    return v if isinstance(v, Lin) else Lin(int(v))


TAU, THETA = Lin(0, 1, 0), Lin(0, 0, 1)        # the index t, the length T


@dataclass(frozen=True)
class Frame:
    """Where a window stands: anchored at t ("t"), at T ("T") or at 0 ("0"), holding the
    relative positions lo..hi (lo: its start state; steps lo+1..hi)."""
    anchor: str
    lo: int
    hi: int

    @property
    def base(self) -> Lin:
        return {"t": TAU, "T": THETA, "0": Lin()}[self.anchor]

    def rel(self, k) -> int | None:
        """k relative to the anchor, or None when k is not on this frame's axis."""
        k = _lin(k)
        d = k - self.base
        return d.c if not (d.a or d.b) else None


class FrameQuantities:
    """The quantities of a window, read with Lin positions by the claim evaluator (the
    same interface as Quantities: param, sequence, derivative, T)."""

    def __init__(self, spec: ModelSpec, cell: Cell, dims: Dims, be: Backend,
                 activation: str | None, frame: Frame) -> None:
        self.spec, self.cell, self.dims, self.be = spec, cell, dims, be
        self.frame = frame
        if frame.hi - frame.lo > MAX_WINDOW:
            raise NotWindowable(f"the claim reads more than {MAX_WINDOW} steps around t")
        self.T = THETA
        self.T_symbol = be.symbol("T")
        span = Span(0, frame.hi - frame.lo, zero_start=frame.anchor == "0" and frame.lo == 0,
                    future=frame.anchor != "T", label=self._label,
                    tangents=tuple(p.name for p in spec.params))
        try:
            graph = StepGraph(spec, cell, dims, be, span, self.T_symbol)
        except NotInGraph as e:
            raise NotWindowable(str(e)) from None
        self.q = Quantities(spec, cell, self.T_symbol, dims, be, activation, graph)
        self.assumed: Callable | None = None      # set by a proof (check/claim.py hook)
        self._same: Callable | None = None
        self._point: dict | None = None

    def _label(self, j: int) -> str:
        return str(self.frame.base + (self.frame.lo + j))

    # ---- positions ---------------------------------------------------------------------
    def where(self, k, name: str = "") -> tuple[str, int]:
        """("in", local) for a position the window holds; ("past", 0) after T; ("before",
        c) at c <= 0; raises Extend for one on its axis it does not hold yet and
        NotWindowable for one far from it."""
        k = _lin(k)
        if k.b == 1 and k.a == 0 and k.c >= 1:
            return "past", 0
        if k.b == 0 and k.a == 0 and k.c <= 0:
            if self.frame.anchor == "0" and k.c == 0 and self.frame.lo == 0:
                return "in", 0
            return "before", k.c
        rel = self.frame.rel(k)
        if rel is None:
            raise NotWindowable(f"the claim reads position {k}, far from the steps around "
                                f"{self.frame.base} a window holds")
        if self.frame.anchor == "T" and rel > 0:
            return "past", 0
        if rel < self.frame.lo or rel > self.frame.hi:
            raise Extend(rel)
        return "in", rel - self.frame.lo

    def index_value(self, k) -> Any:
        """t or T used as a value (1/T): T is a symbol; t is not a value a window has."""
        k = _lin(k)
        if k.a:
            raise NotWindowable(f"the claim uses the index {k} as a number")
        return self.be.number(Fraction(k.c)) + (self.T_symbol * k.b if k.b else 0)

    # ---- what the claim reads --------------------------------------------------------
    def param(self, name: str) -> np.ndarray:
        return self.q.param(name)

    def is_matrix(self, name: str) -> bool:
        return self.q.is_matrix(name)

    def _local(self, k, name: str) -> int:
        """k as the inner quantities' index: 0..n in the window; past T, n + c (c >= 1);
        before the start, c - 1 (c <= 0): both outside 0..n, where the quantities are
        opaque and L does not depend on them, as past the ends of an unrolled model."""
        if name in ("x", "y"):
            k = _lin(k)
            if k.b == 1 and k.a == 0 and k.c >= 1:
                return self.q.n + k.c
            if k.a == 0 and k.b == 0 and k.c <= 0:
                return k.c - 1
            rel = self.frame.rel(k)
            if rel is None:
                raise NotWindowable(f"the claim reads {name} at {k}, far from the steps "
                                    f"around {self.frame.base} a window holds")
            return rel - self.frame.lo              # inputs are symbols anywhere
        place, local = self.where(k, name)
        if place == "past":
            return self.q.n + 1 + max(0, _lin(k).c - 1)
        if place == "before":
            return local - 1
        if local == 0 and name not in self.spec.states:
            raise Extend(self.frame.lo - 1)           # a step's quantity needs its step
        return local

    def sequence(self, name: str, k) -> np.ndarray:
        if name in ("x", "y"):
            local = self._local(k, name)
            if not 1 <= local <= self.q.n and self.frame.rel(k) is None:
                return self.q.sequence(name, local)           # outside: opaque
            return matrix(self.q.g.x(local) if name == "x" else self.q.g.y(local))
        if name in self.spec.states and _lin(k) == 0:
            return matrix(tuple(self.q.zero for _ in range(self.q.g.m)))   # h_0 = 0
        return self.q.sequence(name, self._local(k, name))

    def derivative(self, num, den, held: tuple = ()) -> np.ndarray:
        nname, nk = num
        dname, dk = den
        if nname == LOSS and dk is None:
            raise NotWindowable(f"dL/d{dname} reads every step (only its summands, one a "
                                "step, have windows)")
        if dname in self.spec.states and dk is not None and _lin(dk) == 0 and \
                not (self.frame.anchor == "0" and self.frame.lo == 0):
            raise NotWindowable("the claim reads a derivative by h[0], far before t")
        local_num = (nname, None if nk is None else self._local(nk, nname))
        local_den = (dname, None if dk is None else self._local(dk, dname))
        local_held = tuple((hname, self._local(hk, hname)) for hname, hk in held)
        return self.q.derivative(local_num, local_den, local_held)

    def local_share(self, name: str, k) -> np.ndarray:
        """Step k's loss's part of dL/dp in the forward view: (1/T) dl[k]/dp, total (through
        every earlier step: the window's start state carries an opaque dh/dp)."""
        value = self.derivative(("l", k), (name, None))
        scale = self.q.g.scale
        out = np.empty(value.shape, dtype=object)
        for idx, e in np.ndenumerate(value):
            out[idx] = scale * e
        return out

    def contribution(self, name: str, k) -> np.ndarray:
        place, local = self.where(k)
        if place != "in":
            raise NotWindowable(f"a summand at {k} lies outside the sequence")
        if local == 0:
            raise Extend(self.frame.lo - 1)
        return matrix_like(self.q.contribution(name, local))

    # ---- the zero test ----------------------------------------------------------------------
    def differ(self, a: Any, b: Any, seed: int = 1) -> bool:
        """a and b apart at a float point (every symbol of the window a value, the states
        those their steps give them): a wrong identity shows here at once, where the exact
        test would write out the window's steps before it gives up."""
        if self.be.name == "sympy":
            return False
        if self._point is None:
            self._point = self.q.g.point(lambda s: _hashed(s, seed))

        def num(e):
            free = getattr(e, "free_symbols", ())
            if free:
                e = e.subs({s: self._point[s] if s in self._point else _hashed(s, seed)
                            for s in free})
            return float(e)
        try:
            x, y = num(a), num(b)
        except (TypeError, ValueError, RuntimeError, ZeroDivisionError):
            return False
        return abs(x - y) > 1e-8 * (1.0 + abs(x) + abs(y))

    def equal(self, a: Any, b: Any) -> bool:
        """a == b exactly, as check's test does: state symbols first, then the window's
        steps written out, latest first."""
        if self._same is None:
            if self.be.name == "sympy":
                self._same = lambda x, y, cancel=True: equal(self.be, x, y)
            else:
                forms = self.q.softmax_forms()
                self._same = SlopeAtoms(SoftmaxAtoms(forms[0], forms[1:])
                                        if forms[0] else None).equal
        return equal_on(self.q, self._same, a, b)


def _hashed(symbol: Any, seed: int) -> float:
    h = zlib.crc32(f"{seed}:{symbol}".encode())
    return (h / 0xFFFFFFFF) * 1.8 - 0.9 if str(symbol) != "T" else 7.0 + h / 0xFFFFFFFF


def matrix_like(arr: np.ndarray) -> np.ndarray:
    return arr if arr.ndim == 2 else arr.reshape(-1, 1)


__all__ = ["Extend", "Frame", "FrameQuantities", "Lin", "MAX_WINDOW", "NotWindowable",
           "TAU", "THETA"]
