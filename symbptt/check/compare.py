"""A bound claim compared with the model, side against side, at given T.

The model's quantities are built once per T (ClaimModel) and shared by the claims of a
file. Floats at two points screen first (fast); "correct" is decided by the exact zero
test, entry by entry, never by the floats. A failure becomes a Mismatch: the T, the entry
and a rational point where the two sides differ."""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np

from ..formula.tree import Idx, Name, Deriv, show
from ..model.program import RELUS
from ..model.spec import Dims, ModelSpec
from ..symbolic.backend import SYMPY
from ..symbolic.cells import cell_for
from ..symbolic.certificate import backend_for
from ..symbolic.zero import SlopeAtoms, SoftmaxAtoms, counterexample, equal
from .algebra import POSITIVE, WIDE, NumericQuantities, as_array, numeric_algebra, symbolic_algebra
from .bind import Bound, ShapeError, activation_of
from .claim import evaluate, indices
from .outcome import Mismatch
from .quantities import Quantities, equal_on


SEEDS = (1, 2)                       # numeric screening points


def has_relu(spec: ModelSpec) -> bool:
    """Whether the cell takes a ReLU (its slopes are 0 at many random points)."""
    ops = getattr(spec.program, "ops", ())
    return any(op.kind == "call" and op.name in RELUS for op in ops)


class ClaimModel:
    """The model's quantities at every T, built once and shared by the claims of a file."""

    def __init__(self, spec: ModelSpec, activation: str | None, dims: Dims) -> None:
        self.spec, self.activation, self.dims = spec, activation, dims
        self.cell = cell_for(spec, activation)
        self.be = backend_for(self.cell)
        self.act = activation_of(spec, activation)
        self.exact = symbolic_algebra(self.be, self.act)
        self.floats = numeric_algebra(self.act)
        self.numeric = self.be.name != "sympy"      # undefined f, g, l have no values
        self._q: dict = {}
        self._nq: dict = {}
        self._zero: dict = {}
        # the screening points: for a ReLU cell also one where every slope is 1, and one
        # of wide values where the slopes take both values behind a shift
        self.seeds = SEEDS + ((POSITIVE, WIDE) if has_relu(spec) else ())

    def q(self, T: int) -> Quantities:
        if T not in self._q:
            self._q[T] = Quantities(self.spec, self.cell, T, self.dims, self.be, self.activation)
        return self._q[T]

    def nq(self, T: int, seed: int) -> NumericQuantities:
        if (T, seed) not in self._nq:
            self._nq[T, seed] = NumericQuantities(self.q(T), seed)
        return self._nq[T, seed]

    def equal(self, T: int, a: Any, b: Any) -> bool:
        """a == b exactly: first with a symbol for each state (small expansions), then
        with the states written out one step at a time, latest first (a claim may write a
        state its own way, h[t] as o[t] * tanh(c[t])); with every step written out the
        test is the plain expansion of the unrolled model."""
        return equal_on(self.q(T), self._same(T), a, b)

    def _same(self, T: int):
        if self.be.name == "sympy":
            return lambda a, b, cancel=True: equal(SYMPY, a, b)
        if T not in self._zero:
            forms = self.q(T).softmax_forms()
            self._zero[T] = SlopeAtoms(SoftmaxAtoms(forms[0], forms[1:]) if forms[0] else None)
        return self._zero[T].equal


def sides(bound: Bound, q, algebra, env: dict, assumed=None) -> tuple[np.ndarray, np.ndarray]:
    memo: dict = {}
    lhs = evaluate(bound.equation.lhs, q, algebra, bound, env, memo, assumed)
    rhs = evaluate(bound.equation.rhs, q, algebra, bound, env, memo, assumed)
    if not isinstance(lhs, np.ndarray):
        raise ShapeError(f"the left side {show(bound.equation.lhs)} is not a quantity")
    return lhs, as_array(rhs, lhs, algebra)


def close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = 1.0 + float(np.max(np.abs(a))) if a.size else 1.0
    return bool(np.all(np.abs(a - b) <= 1e-8 * scale))


def numeric_failure(model: ClaimModel, bound: Bound, Ts: tuple[int, ...],
                     seeds: tuple[int, ...] | None = None) -> tuple | None:
    """(T, seed, env, lhs, rhs) where the sides first differ at a float point (None: they
    agree at all); the points: the model's screening points unless `seeds` are given."""
    for T in Ts:
        for seed in model.seeds if seeds is None else seeds:
            nq = model.nq(T, seed)
            for env in indices(bound, T):
                with np.errstate(all="ignore"):
                    lhs, rhs = sides(bound, nq, model.floats, env)
                lhs, rhs = np.asarray(lhs, dtype=float), np.asarray(rhs, dtype=float)
                if not close(lhs, rhs):
                    return T, seed, env, lhs, rhs
    return None


def exact_failure(model: ClaimModel, bound: Bound, T: int, assumed=None):
    """(env, entry, lhs, rhs) of the first entry the exact zero test rejects, or None.
    `assumed`: the definitions proven to be quantities, read as those (small expansions)."""
    q = model.q(T)
    for env in indices(bound, T):
        lhs, rhs = sides(bound, q, model.exact, env, assumed)
        for idx, a in np.ndenumerate(lhs):
            if not model.equal(T, a, rhs[idx]):
                return env, idx, a, rhs[idx]
    return None


def left_at(bound: Bound, env: dict) -> str:
    """The left side with its free index given its value: dL/dh[2]."""
    def fix(n: Name) -> Name:
        return n if n.index is None else replace(n, index=Idx.of(n.index.value(env)))
    lhs = bound.equation.lhs
    return show(fix(lhs) if isinstance(lhs, Name) else
                Deriv(fix(lhs.num), fix(lhs.den), held=tuple(fix(h) for h in lhs.held)))


def entry_text(idx: tuple, shape: tuple) -> str:
    if shape == (1, 1):
        return ""
    if shape[1] == 1:
        return f"[{idx[0]}]"
    if shape[0] == 1:
        return f"[{idx[1]}]"
    return f"[{idx[0]},{idx[1]}]"


def first_failure(model: ClaimModel, bound: Bound, Ts, assumed=None) -> tuple | None:
    """(T, env, entry, lhs, rhs) at the first T (in the order given) where the exact zero
    test rejects an entry; None: proven at every T."""
    for T in Ts:
        found = exact_failure(model, bound, T, assumed)
        if found is not None:
            return (T, *found)
    return None


def holds_exactly(model: ClaimModel, bound: Bound, Ts) -> bool:
    return first_failure(model, bound, Ts) is None


def counterexample_of(model: ClaimModel, bound: Bound, failure: tuple) -> tuple[Mismatch, bool]:
    """The counterexample of a failure, and whether the sides really differ there (to
    100 digits at its rational point: False means the exact test missed an identity)."""
    T, env, idx, expected, got = failure
    q = model.q(T)
    symbols = tuple(q.symbols) + tuple(q.opaque_symbols)
    expected, got = q.inline(expected), q.inline(got)
    ce = counterexample(model.be, expected, got, symbols)
    lhs, _ = sides(bound, q, model.exact, env)
    mismatch = Mismatch(T, left_at(bound, env), entry_text(idx, np.shape(lhs)), ce.point,
                        ce.expected, ce.got if not ce.difference else ce.difference)
    return mismatch, _differs(model, expected - got, ce.point, symbols)


def _differs(model: ClaimModel, difference, point: dict, symbols: tuple, digits: int = 100) -> bool:
    values = {s: model.be.number(Fraction(point[str(s)])) for s in symbols if str(s) in point}
    try:
        size = abs(float(difference.subs(values).n(int(digits * 3.33) + 16, real=True)))
    except (RuntimeError, TypeError, ValueError, AttributeError):
        return True
    return size > 10.0 ** (-digits + 10)
