"""The size of an unrolled proof, measured at small T: what the cost model extrapolates
for a cell it has no fitted constants for (a model file).

A cell's structure alone does not say how fast its expansion grows: two coupled states
that multiply each other (outside any activation) grow by about 130x a step where an
LSTM grows by 25x, and a static guess put one such model file at 0.4 s where it took
hours. So the cost model unrolls the cell at T = 1, 2 (and 3 when that is cheap) and
counts the terms of the expanded direct gradient, in the same normal form the unrolled
certificate uses (slopes as atoms): the certificate's time and memory follow that count.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model.spec import Dims, ModelSpec

# a probe unrolls no further than this many terms (about a second): past it, extrapolate
PROBE_TERMS = 60_000


@dataclass(frozen=True)
class Curve:
    """Terms of the expanded gradient at T = 1, 2, ... as far as the probe went."""
    terms: tuple

    def at(self, T: int, acc: float) -> float:
        """Terms at T: measured, or the last measured growth per step carried on, the
        growth itself multiplied by `acc` a step (measured when three T's were probed)."""
        t = self.terms
        if T <= len(t):
            return float(t[T - 1])
        if len(t) >= 3:
            acc = max(t[2] * t[0] / (t[1] * t[1]), 0.5)
        rate = t[-1] / t[-2] if len(t) >= 2 else 8.0
        size = float(t[-1])
        for _ in range(len(t), T):
            rate *= acc
            size *= max(rate, 1.0)
        return size


def expanded_terms(spec: ModelSpec, T: int, dims: Dims, activation: str | None = None) -> int:
    """Terms of the direct gradient at T, every entry expanded with the slopes (and a
    softmax's rows) as atoms: what the unrolled certificate expands first."""
    import symengine as se

    from . import direct
    from .backend import SYMENGINE
    from .cells import cell_for
    from .unroll import unroll
    from .zero import SlopeAtoms, SoftmaxAtoms
    cell = cell_for(spec, activation)
    u = unroll(spec, cell, T, dims, SYMENGINE, split=True)
    rows = SoftmaxAtoms([st.vals[cell.softmax] for st in u.steps]) if cell.softmax else None
    fast = SlopeAtoms(rows)
    count = 0
    for entry in direct.gradient(u).values():
        e = se.expand(fast.rewrite(rows.rewrite(entry) if rows else entry))
        count += len(e.args) if e.is_Add else 1
    return count


def curve(spec: ModelSpec, dims: Dims, activation: str | None, T: int, acc: float) -> Curve:
    """Probe T = 1, 2, 3 while the next one is expected under PROBE_TERMS (and T is not
    reached): cheap next to the proof it prices."""
    terms: list = []
    while len(terms) < min(T, 3):
        nxt = Curve(tuple(terms)).at(len(terms) + 1, acc) if terms else 0.0
        if nxt > PROBE_TERMS:
            break
        terms.append(expanded_terms(spec, len(terms) + 1, dims, activation))
    return Curve(tuple(terms))
