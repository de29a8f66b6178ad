"""The diagnosis of a wrong claim: the single edits after which it holds.

Each candidate edit (formula/edits.py: a transpose added or dropped, h[t] for h[t-1], a
lost 1/T, ...) is screened at one float point, then at the second, and the first few
that survive are proven exactly. A claim right in the other layout (rows for columns) is
told so."""
from __future__ import annotations

from dataclasses import replace

from ..formula.edits import single_edits
from ..formula.parse import FormulaError
from ..formula.tree import show
from .bind import Bound, ClaimError, ShapeError, bind
from .compare import SEEDS, ClaimModel, numeric_failure, holds_exactly
from .outcome import Fix
from .quantities import QuantityError


MAX_PROVEN_FIXES = 6


def _rebind(bound: Bound, equations: tuple, ns) -> Bound:
    return bind(equations[0], tuple(equations[1:]), ns, bound.row)


def _candidate_holds(model: ClaimModel, bound: Bound, Ts, seeds) -> bool:
    try:
        if model.numeric:
            return numeric_failure(model, bound, Ts, seeds) is None
        return holds_exactly(model, bound, Ts)
    except (ShapeError, ClaimError, QuantityError, ArithmeticError, ValueError, OverflowError,
            TypeError, RecursionError):
        return False


def _other_layout(model: ClaimModel, bound: Bound, Ts, ns):
    """A claim written in the other layout (seed 000 writes rows: dL/dh[t+1] @ J) is right
    there, and that is the diagnosis a person needs."""
    other = replace(bound, row=not bound.row)
    if _candidate_holds(model, other, Ts, model.seeds) and (not model.numeric or
                                                      holds_exactly(model, other, Ts)):
        layout = "row layout (dL/dh[t] a row vector, --convention row)" if other.row else \
            "column layout (dL/dh[t] a column vector, --convention column)"
        yield Fix("layout", f"read it in the {layout}", "",
                  show(bound.equation), True)


def diagnose(model: ClaimModel, bound: Bound, Ts: tuple[int, ...],
             ns, found=None) -> tuple[tuple[Fix, ...], int]:
    """The single edits after which the claim holds: screened at one float point, then
    at the model's other points, then proven exactly (the first few). `found(fixes,
    tried)` hears the fixes so far before each exact proof."""
    equations = (bound.equation,) + bound.where
    edits = single_edits(equations)
    found = found or (lambda fixes, tried: None)
    found((), 0)
    fixes = list(_other_layout(model, bound, Ts, ns))
    for tried, edit in enumerate(edits):
        try:
            candidate = _rebind(bound, edit.result, ns)
        except (ClaimError, FormulaError, QuantityError):
            continue
        if not _candidate_holds(model, candidate, Ts, SEEDS[:1]):
            continue
        if model.numeric and not _candidate_holds(model, candidate, Ts, model.seeds[1:]):
            continue
        proven = not model.numeric          # without floats, _candidate_holds proved it
        if model.numeric and len([f for f in fixes if f.proven]) < MAX_PROVEN_FIXES:
            found(tuple(fixes), tried)
            try:
                proven = holds_exactly(model, candidate, Ts)
            except (ShapeError, ClaimError, QuantityError, ArithmeticError):
                proven = False
            if not proven:
                continue            # the floats agreed by accident: not a fix
        fixes.append(Fix(edit.kind, edit.text, edit.where(equations),
                         show(edit.result[edit.equation]), proven))
    return tuple(fixes), len(edits)
