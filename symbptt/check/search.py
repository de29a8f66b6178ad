"""A counterexample past the exact range: the claim searched at larger T.

Past the T checked exactly, the claim is evaluated at T = K+1, K+2, ... at a float point
(no expansion: linear in T) until the budget is spent. A float difference is only a
float difference: it becomes a counterexample once interval arithmetic at a rational
point (symbolic/interval.py) shows the two sides differ there."""
from __future__ import annotations

import time

import numpy as np

from ..symbolic.interval import NoInterval, enclose, excludes_zero, midpoint_text
from ..symbolic.zero import point_value
from .algebra import NumericQuantities
from .bind import Bound, ClaimError, ShapeError
from .claim import indices
from .compare import SEEDS, ClaimModel, left_at, close, entry_text, sides
from .outcome import Mismatch
from .quantities import Quantities, QuantityError


SEARCH_BUDGET = 20.0                 # seconds check searches past T_max for a counterexample
SEARCH_T_MAX = 40                    # the largest T it searches


def search(model: ClaimModel, bound: Bound, after: int, budget: float) -> tuple:
    """(Mismatch, or the message of a claim undefined at a T (a shape error there), or
    None; the last T searched; why it stopped): the claim evaluated at
    T = after+1, after+2, ... at a float point (no expansion: linear in T), until the
    budget is spent; a difference there is confirmed at a rational point by interval
    arithmetic (symbolic/interval.py) before it is called a counterexample."""
    if not model.numeric:
        return None, 0, "no numbers for undefined functions"
    if budget <= 0:
        return None, 0, "no search (--budget 0)"
    start = time.perf_counter()
    T, reached = after, 0
    while T < SEARCH_T_MAX:
        T += 1
        if time.perf_counter() - start > budget:
            return None, reached, f"the budget of {budget:g} s was spent"
        try:
            q = Quantities(model.spec, model.cell, T, model.dims, model.be, model.activation)
            for seed in (model.seeds[0],) + model.seeds[len(SEEDS):]:   # + ReLU's positive
                nq = NumericQuantities(q, seed)
                for env in indices(bound, T):
                    with np.errstate(all="ignore"):
                        lhs, rhs = sides(bound, nq, model.floats, env)
                    lhs, rhs = np.asarray(lhs, dtype=float), np.asarray(rhs, dtype=float)
                    if close(lhs, rhs):
                        continue
                    found = confirm(model, bound, q, nq, env, lhs, rhs)
                    if found is not None:
                        return found, T, ""
        except ShapeError as e:          # undefined there (a division by a slope of 0)
            return f"at T = {T}: {e}", T, ""
        except (ClaimError, QuantityError, ArithmeticError, ValueError,
                OverflowError, RecursionError) as e:
            return None, reached, f"stopped at T = {T}: {e}"
        reached = T
    return None, reached, f"searched up to T = {SEARCH_T_MAX}"


def confirm(model: ClaimModel, bound: Bound, q: Quantities, nq, env: dict, lhs, rhs):
    """The first entry where the floats differ, shown to differ at a rational point by an
    interval that excludes 0; None if no entry can be shown so."""
    exact_l, exact_r = sides(bound, q, model.exact, env)
    symbols = tuple(q.symbols) + tuple(q.opaque_symbols)
    # small rationals first (1/2, -2/3, 3/4, ...: easy to retype), then the float point's
    points = ({s: point_value(k) for k, s in enumerate(symbols)},
              {s: nq.rational_of(s) for s in symbols})
    scale = 1.0 + float(np.max(np.abs(lhs))) if lhs.size else 1.0
    for idx in zip(*np.nonzero(np.abs(lhs - rhs) > 1e-8 * scale)):
        a, b = q.inline(exact_l[idx]), q.inline(exact_r[idx])
        for point in points:
            try:
                ia, ib = enclose(a, point), enclose(b, point)
            except (NoInterval, ZeroDivisionError, ValueError, TypeError):
                continue
            if excludes_zero(ia - ib):
                names = _names_in(a, b)
                return Mismatch(q.T, left_at(bound, env), entry_text(idx, lhs.shape),
                                {str(s): str(v) for s, v in point.items() if str(s) in names},
                                midpoint_text(ia, 20), midpoint_text(ib, 20))
    return None


def _names_in(*exprs) -> set:
    return {str(s) for e in exprs for s in getattr(e, "free_symbols", ())}
