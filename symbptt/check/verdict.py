"""check: is a hand-derived formula right? Exact verdict, counterexample, diagnosis.

A claim (parsed by our own grammar, formula/) is bound to a model and compared, at every
T in its range and every value of its free index, with the ground truth: derivatives of
the unrolled model (check/quantities.py). Floats at two points screen first (fast);
"correct" is then decided by the exact zero test, entry by entry, never by the floats.
A wrong claim gets the smallest T and entry where it fails, a point of small rationals
with both values there, and the single edits that make it right (formula/edits.py),
each proven as the claim would be.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import SymbpttError, TooExpensive
from ..formula.edits import single_edits
from ..formula.parse import FormulaError, parse_equation
from ..formula.tree import Equation, Idx, Name, Deriv, show
from ..model.spec import Dims, ModelSpec
from ..symbolic.backend import SYMPY
from ..symbolic.cells import cell_for
from ..symbolic.certificate import backend_for
from ..symbolic.cost import check_seconds, describe
from .claim import (Bound, ClaimError, NumericQuantities, ShapeError, activation_of,
                             as_array, bind, evaluate, indices, namespace, numeric_algebra,
                             symbolic_algebra)
from .induction import Induction, Lemmas, assume, lemmas, prove_every_T
from ..symbolic.interval import NoInterval, enclose, excludes_zero, midpoint_text
from .quantities import Quantities, QuantityError, equal_on
from ..symbolic.zero import SlopeAtoms, SoftmaxAtoms, counterexample, equal, point_value
from ..model.registry import get_model

T_MAX = 4
CHECK_BUDGET = 60.0                 # seconds the exact checks past T_MAX may be estimated to take
CHECK_DIMS = Dims(n=3, d=2, q=4)     # all different, n >= 2: slips show as values or shapes
SEEDS = (1, 2)                       # numeric screening points
MAX_PROVEN_FIXES = 6
SEARCH_BUDGET = 20.0                 # seconds check searches past T_max for a counterexample
SEARCH_T_MAX = 40                    # the largest T it searches
CONVENTIONS = ("column", "row")


@dataclass(frozen=True)
class ClaimInput:
    """One claim as a person writes it, with what the report should carry along."""
    claim: str
    where: tuple[str, ...] = ()
    name: str = ""
    Ts: tuple[int, ...] = ()           # empty: 1..T_max
    convention: str = "column"
    source: str = ""
    quote: str = ""
    expect: str = ""                   # "correct" | "wrong" | "" (the seed audit's record)
    fix: str = ""                      # the edit the diagnosis should name (the gallery's)
    note: str = ""


@dataclass(frozen=True)
class Mismatch:
    """Where a claim fails: T, its free index, the entry, and a point that shows it."""
    T: int
    at: str                  # the left side at that index: "dL/dh[2]"
    entry: str               # "[0, 1]" ("" for a scalar)
    point: dict              # symbol -> "p/q"
    expected: str
    got: str


@dataclass(frozen=True)
class Fix:
    """A single edit that makes the claim right, and how far that was proven."""
    kind: str
    edit: str
    where: str
    formula: str             # the edited equation
    proven: bool             # exactly, at every T checked (else: at the float points only)


EVERY_T, UP_TO_K = "every T", "T <= K"


@dataclass(frozen=True)
class ClaimReport:
    input: ClaimInput
    formula: str
    where: tuple[str, ...]
    verdict: str             # "correct" | "wrong" | "undecided" (equal at every point
    #                          tried, but the exact test could not show it)
    Ts: tuple[int, ...]      # the T checked exactly
    shape_error: str = ""
    counterexample: Mismatch | None = None
    fixes: tuple[Fix, ...] = ()
    tried: int = 0           # single edits tried
    seconds: float = 0.0
    # what a correct verdict covers: EVERY_T (proven by induction over windows of steps,
    # check/induction.py), UP_TO_K (exactly at Ts, nothing claimed past them) or "T = ..." (the
    # claim's own list of T)
    scope: str = ""
    proof: Induction | None = None
    searched: int = 0        # no counterexample at Ts[-1] < T <= searched (numerically)
    search_note: str = ""    # why the search stopped
    found_by: str = ""       # "search" when the counterexample lies past the exact range

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"


@dataclass(frozen=True)
class CheckReport:
    model: str
    options: dict = field(hash=False)
    dims: dict = field(hash=False)
    claims: tuple[ClaimReport, ...] = ()
    seconds: float = 0.0

    @property
    def correct(self) -> bool:
        return all(c.correct for c in self.claims)


# ---- the model at each T ------------------------------------------------------------------

class _Model:
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


# ---- one side against the other -----------------------------------------------------------

def _sides(bound: Bound, q, algebra, env: dict, assumed=None) -> tuple[np.ndarray, np.ndarray]:
    memo: dict = {}
    lhs = evaluate(bound.equation.lhs, q, algebra, bound, env, memo, assumed)
    rhs = evaluate(bound.equation.rhs, q, algebra, bound, env, memo, assumed)
    if not isinstance(lhs, np.ndarray):
        raise ShapeError(f"the left side {show(bound.equation.lhs)} is not a quantity")
    return lhs, as_array(rhs, lhs, algebra)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = 1.0 + float(np.max(np.abs(a))) if a.size else 1.0
    return bool(np.all(np.abs(a - b) <= 1e-8 * scale))


def _numeric_failure(model: _Model, bound: Bound, Ts: tuple[int, ...],
                     seeds: tuple[int, ...] = SEEDS) -> tuple | None:
    """(T, seed, env, lhs, rhs) where the sides first differ at a float point (None: they
    agree at all)."""
    for T in Ts:
        for seed in seeds:
            nq = model.nq(T, seed)
            for env in indices(bound, T):
                with np.errstate(all="ignore"):
                    lhs, rhs = _sides(bound, nq, model.floats, env)
                lhs, rhs = np.asarray(lhs, dtype=float), np.asarray(rhs, dtype=float)
                if not _close(lhs, rhs):
                    return T, seed, env, lhs, rhs
    return None


def _exact_failure(model: _Model, bound: Bound, T: int, assumed=None):
    """(env, entry, lhs, rhs) of the first entry the exact zero test rejects, or None.
    `assumed`: the definitions proven to be quantities, read as those (small expansions)."""
    q = model.q(T)
    for env in indices(bound, T):
        lhs, rhs = _sides(bound, q, model.exact, env, assumed)
        for idx, a in np.ndenumerate(lhs):
            if not model.equal(T, a, rhs[idx]):
                return env, idx, a, rhs[idx]
    return None


def _at(bound: Bound, env: dict) -> str:
    """The left side with its free index given its value: dL/dh[2]."""
    def fix(n: Name) -> Name:
        return n if n.index is None else replace(n, index=Idx.of(n.index.value(env)))
    lhs = bound.equation.lhs
    return show(fix(lhs) if isinstance(lhs, Name) else
                Deriv(fix(lhs.num), fix(lhs.den), held=tuple(fix(h) for h in lhs.held)))


def _entry(idx: tuple, shape: tuple) -> str:
    if shape == (1, 1):
        return ""
    if shape[1] == 1:
        return f"[{idx[0]}]"
    if shape[0] == 1:
        return f"[{idx[1]}]"
    return f"[{idx[0]},{idx[1]}]"


def _first_failure(model: _Model, bound: Bound, Ts, assumed=None) -> tuple | None:
    """(T, env, entry, lhs, rhs) at the first T (in the order given) where the exact zero
    test rejects an entry; None: proven at every T."""
    for T in Ts:
        found = _exact_failure(model, bound, T, assumed)
        if found is not None:
            return (T, *found)
    return None


def _proven(model: _Model, bound: Bound, Ts) -> bool:
    return _first_failure(model, bound, Ts) is None


def _mismatch(model: _Model, bound: Bound, failure: tuple) -> tuple[Mismatch, bool]:
    """The counterexample of a failure, and whether the sides really differ there (to
    100 digits at its rational point: False means the exact test missed an identity)."""
    T, env, idx, expected, got = failure
    q = model.q(T)
    symbols = tuple(q.symbols) + tuple(q.opaque_symbols)
    expected, got = q.inline(expected), q.inline(got)
    ce = counterexample(model.be, expected, got, symbols)
    lhs, _ = _sides(bound, q, model.exact, env)
    mismatch = Mismatch(T, _at(bound, env), _entry(idx, np.shape(lhs)), ce.point,
                        ce.expected, ce.got if not ce.difference else ce.difference)
    return mismatch, _differs(model, expected - got, ce.point, symbols)


def _differs(model: _Model, difference, point: dict, symbols: tuple, digits: int = 100) -> bool:
    values = {s: model.be.number(Fraction(point[str(s)])) for s in symbols if str(s) in point}
    try:
        size = abs(float(difference.subs(values).n(int(digits * 3.33) + 16, real=True)))
    except (RuntimeError, TypeError, ValueError, AttributeError):
        return True
    return size > 10.0 ** (-digits + 10)


# ---- the diagnosis --------------------------------------------------------------------------

def _rebind(bound: Bound, equations: tuple, ns) -> Bound:
    return bind(equations[0], tuple(equations[1:]), ns, bound.row)


def _candidate_holds(model: _Model, bound: Bound, Ts, seeds) -> bool:
    try:
        if model.numeric:
            return _numeric_failure(model, bound, Ts, seeds) is None
        return _proven(model, bound, Ts)
    except (ShapeError, ClaimError, QuantityError, ArithmeticError, ValueError, OverflowError,
            TypeError, RecursionError):
        return False


def _other_layout(model: _Model, bound: Bound, Ts, ns):
    """A claim written in the other layout (seed 000 writes rows: dL/dh[t+1] @ J) is right
    there, and that is the diagnosis a person needs."""
    other = replace(bound, row=not bound.row)
    if _candidate_holds(model, other, Ts, SEEDS) and (not model.numeric or
                                                      _proven(model, other, Ts)):
        layout = "row layout (dL/dh[t] a row vector, --convention row)" if other.row else \
            "column layout (dL/dh[t] a column vector, --convention column)"
        yield Fix("layout", f"read it in the {layout}", "",
                  show(bound.equation), True)


def diagnose(model: _Model, bound: Bound, Ts: tuple[int, ...], ns) -> tuple[tuple[Fix, ...], int]:
    """The single edits after which the claim holds: screened at one float point, then
    at the second, then proven exactly (the first few)."""
    equations = (bound.equation,) + bound.where
    edits = single_edits(equations)
    fixes = list(_other_layout(model, bound, Ts, ns))
    for edit in edits:
        try:
            candidate = _rebind(bound, edit.result, ns)
        except (ClaimError, FormulaError, QuantityError):
            continue
        if not _candidate_holds(model, candidate, Ts, SEEDS[:1]):
            continue
        if model.numeric and not _candidate_holds(model, candidate, Ts, SEEDS[1:]):
            continue
        proven = not model.numeric          # without floats, _candidate_holds proved it
        if model.numeric and len([f for f in fixes if f.proven]) < MAX_PROVEN_FIXES:
            try:
                proven = _proven(model, candidate, Ts)
            except (ShapeError, ClaimError, QuantityError, ArithmeticError):
                proven = False
            if not proven:
                continue            # the floats agreed by accident: not a fix
        fixes.append(Fix(edit.kind, edit.text, edit.where(equations),
                         show(edit.result[edit.equation]), proven))
    return tuple(fixes), len(edits)


# ---- one claim ------------------------------------------------------------------------------

def _parse(ci: ClaimInput) -> tuple[Equation, tuple[Equation, ...]]:
    label = f"claim {ci.name!r}" if ci.name else "the claim"
    eq = parse_equation(ci.claim, label)
    where = tuple(parse_equation(w, f"the definition {w.split('=')[0].strip()!r}")
                  for w in ci.where)
    return eq, where


def check_claim(model: _Model, ci: ClaimInput, T_max: int = T_MAX,
                budget: float = SEARCH_BUDGET) -> ClaimReport:
    """The verdict on one claim: exactly at T = 1..T_max (or its own T list); when correct
    there, proven for every T by induction over windows where it has that shape, else
    searched numerically past T_max for a counterexample within `budget` seconds."""
    start = time.perf_counter()
    if ci.convention not in CONVENTIONS:
        raise SymbpttError(f"unknown convention {ci.convention!r} (column or row)")
    eq, where = _parse(ci)
    Ts = tuple(ci.Ts) or tuple(range(1, T_max + 1))
    ns = namespace(model.q(min(Ts)))
    bound = bind(eq, where, ns, row=ci.convention == "row")
    ns = namespace(model.q(min(Ts)), tuple(d.name for d in bound.defs))
    report = dict(input=ci, formula=show(bound.equation),
                  where=tuple(show(w) for w in bound.where))
    if not any(indices(bound, T) for T in Ts):
        raise SymbpttError(f"nothing to check: the left side {show(bound.equation.lhs)} names "
                           f"no step in 1..T at {', '.join(f'T = {T}' for T in Ts)}")
    Ts = tuple(T for T in Ts if indices(bound, T))     # T = 1 says nothing of h[t+1]
    report["Ts"] = Ts
    proven = _lemmas(model, bound)
    assumed = assume(proven.found) if proven.found else None
    outcome = _verdict(model, bound, Ts, assumed)
    if outcome is not None:
        return _wrong(model, bound, Ts, ns, report, outcome, start)
    if ci.Ts:                           # the author's own T: no more is claimed
        return ClaimReport(**report, verdict="correct", scope="T = " + ", ".join(map(str, Ts)),
                           seconds=time.perf_counter() - start)
    proof = prove_every_T(model, bound, proven)
    if proof.proven:
        missing = tuple(T for T in range(1, proof.T_from) if T not in Ts and indices(bound, T))
        outcome = _verdict(model, bound, missing, assumed) if missing else None
        if outcome is None:
            report["Ts"] = tuple(sorted(set(Ts) | set(missing)))
            return ClaimReport(**report, verdict="correct", scope=EVERY_T, proof=proof,
                               seconds=time.perf_counter() - start)
        return _wrong(model, bound, Ts + missing, ns, report, outcome, start)
    found, searched, note = search(model, bound, max(Ts), budget)
    if found is not None:
        return _wrong(model, bound, Ts, ns, report, ("search", found), start,
                      searched=searched)
    return ClaimReport(**report, verdict="correct", scope=UP_TO_K, proof=proof,
                       searched=searched, search_note=note,
                       seconds=time.perf_counter() - start)


def _verdict(model: _Model, bound: Bound, Ts, assumed=None) -> tuple | None:
    """None when the claim is proven at every T in Ts; else ("shape", message),
    ("mismatch", Mismatch) or ("failure", failure, first float T)."""
    try:
        found = _numeric_failure(model, bound, Ts) if model.numeric else None
        first = None
        if found is not None:
            # a float difference, shown at a rational point by intervals: no expansion
            first, seed, env, lhs, rhs = found
            mismatch = _confirm(model, bound, model.q(first), model.nq(first, seed), env,
                                lhs, rhs)
            if mismatch is not None:
                return ("mismatch", mismatch)
        # exact from the T the floats flagged (the smallest wrong one), else at every T
        order = Ts if first is None else (first, *(T for T in Ts if T != first))
        failure = _first_failure(model, bound, order, assumed)
    except ShapeError as e:
        return ("shape", str(e))
    return None if failure is None else ("failure", failure, first)


def _lemmas(model: _Model, bound: Bound) -> Lemmas:
    """The claim's recursive definitions shown to be quantities of the model at every T:
    in windows for T >= T_from (check/induction.py), exactly below it; none if either fails.
    The exact checks then read them as those quantities: a claim written with its own
    recursion costs what one written with dL/dh[t] does."""
    found = lemmas(model, bound)
    if not found.found or not model.numeric:
        return found if model.numeric else Lemmas({}, reason="no numbers to match with")
    for T in range(1, found.T_from):
        q = model.q(T)
        for name, (node, _) in found.found.items():
            for k in range(1, T + 1):
                try:
                    mine = evaluate(Name(name, Idx.of(k)), q, model.exact, bound, {"T": T})
                    theirs = evaluate(node, q, model.exact, bound, {"T": T, "_k": k})
                    mine = as_array(mine, theirs, model.exact)
                except (ShapeError, ClaimError, QuantityError):
                    return Lemmas({}, reason=f"{name}[{k}] at T = {T}: not a quantity")
                if mine.shape != theirs.shape or not all(
                        model.equal(T, a, b) for a, b in zip(mine.flat, theirs.flat)):
                    return Lemmas({}, reason=f"{name}[{k}] at T = {T}: not a quantity")
    return found


def _wrong(model: _Model, bound: Bound, Ts, ns, report: dict, outcome: tuple, start: float,
           searched: int = 0) -> ClaimReport:
    """The report of a claim that is not proven: wrong (a counterexample, or a shape
    error) or, when the exact test failed but no point shows a difference, undecided."""
    seconds = lambda: time.perf_counter() - start       # noqa: E731
    if outcome[0] == "shape":
        fixes, tried = diagnose(model, bound, Ts, ns)
        return ClaimReport(**report, verdict="wrong", shape_error=outcome[1], fixes=fixes,
                           tried=tried, seconds=seconds())
    if outcome[0] in ("search", "mismatch"):
        past = (outcome[1].T,) if outcome[1].T not in Ts else ()
        fixes, tried = diagnose(model, bound, Ts + past, ns)
        return ClaimReport(**report, verdict="wrong", counterexample=outcome[1], fixes=fixes,
                           tried=tried, searched=searched,
                           found_by="search" if outcome[0] == "search" else "",
                           seconds=seconds())
    _, failure, first = outcome
    mismatch, differs = _mismatch(model, bound, failure)
    if first is None and model.numeric and not differs:
        # equal at the float points and, to 100 digits, at the rational point: an identity
        # the exact test cannot show (never a "correct" it has not proven)
        return ClaimReport(**report, verdict="undecided", counterexample=mismatch,
                           seconds=seconds())
    fixes, tried = diagnose(model, bound, Ts, ns)
    return ClaimReport(**report, verdict="wrong", counterexample=mismatch, fixes=fixes,
                       tried=tried, seconds=seconds())


# ---- past the exact range: a numeric search --------------------------------------------

def search(model: _Model, bound: Bound, after: int, budget: float) -> tuple:
    """(Mismatch or None, the last T searched, why it stopped): the claim evaluated at
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
            nq = NumericQuantities(q, SEEDS[0])
            for env in indices(bound, T):
                with np.errstate(all="ignore"):
                    lhs, rhs = _sides(bound, nq, model.floats, env)
                lhs, rhs = np.asarray(lhs, dtype=float), np.asarray(rhs, dtype=float)
                if _close(lhs, rhs):
                    continue
                found = _confirm(model, bound, q, nq, env, lhs, rhs)
                if found is not None:
                    return found, T, ""
        except (ShapeError, ClaimError, QuantityError, ArithmeticError, ValueError,
                OverflowError, RecursionError) as e:
            return None, reached, f"stopped at T = {T}: {e}"
        reached = T
    return None, reached, f"searched up to T = {SEARCH_T_MAX}"


def _confirm(model: _Model, bound: Bound, q: Quantities, nq, env: dict, lhs, rhs):
    """The first entry where the floats differ, shown to differ at a rational point by an
    interval that excludes 0; None if no entry can be shown so."""
    exact_l, exact_r = _sides(bound, q, model.exact, env)
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
                return Mismatch(q.T, _at(bound, env), _entry(idx, lhs.shape),
                                {str(s): str(v) for s, v in point.items() if str(s) in names},
                                midpoint_text(ia, 20), midpoint_text(ib, 20))
    return None


def _names_in(*exprs) -> set:
    return {str(s) for e in exprs for s in getattr(e, "free_symbols", ())}


def reference_check(spec: ModelSpec, T: int, dims: Dims, activation: str | None = None) -> bool:
    """What the check cost model estimates (symbolic/cost.check_seconds) and `symbptt
    bench --part check` times: an exact check at one T of every parameter's gradient
    written with every adjoint out, as a claim that does not share the model's own
    structure (a closed form, a recursion not yet shown to be a quantity) is compared:
    the costliest common case."""
    m = _Model(spec, activation, dims)
    q = m.q(T)
    for p in spec.params:
        for a in q.derivative(("L", None), (p.name, None)).flat:
            b = a
            for key in q.g.adjoint_order():
                b = q.expand_adjoint(b, key)
            if not m.equal(T, a, b):
                return False
    return True


def default_T_max(spec: ModelSpec, dims: Dims, activation: str | None = None) -> int:
    """T_MAX for every model: a claim is checked exactly at T = 1..4 (then proven for
    every T, or searched past 4), whatever the cell; what a check there costs depends far
    more on the claim than on the model (a gated cell's recursion written with its own
    quantities: a second; a closed form that shares nothing with them: minutes)."""
    return T_MAX


def check_estimate(spec: ModelSpec, T_max: int, dims: Dims, activation=None) -> float:
    """The estimated seconds of the exact checks at T = 1..T_max (symbolic/cost.py:
    the costliest common claim, summed over the T's)."""
    return sum(check_seconds(spec, T, dims, activation) for T in range(1, T_max + 1))


def _within_budget(spec: ModelSpec, T_max: int, dims: Dims, activation, force: bool) -> None:
    """An explicit --T-max past T_MAX is refused when its exact checks are estimated
    past CHECK_BUDGET (unless `force`); T_MAX itself is always allowed."""
    if T_max <= T_MAX or force:
        return
    est = check_estimate(spec, T_max, dims, activation)
    if est > CHECK_BUDGET:
        fits = max((K for K in range(T_MAX, T_max)
                    if check_estimate(spec, K, dims, activation) <= CHECK_BUDGET),
                   default=T_MAX)
        raise TooExpensive(
            f"checking {spec.name} at T = 1..{T_max} (n = {dims.n}) could take about "
            f"{describe(est)} (budget {describe(CHECK_BUDGET)}); check at T <= {fits} "
            f"(--T-max, or T = [...] in a claim file), at smaller sizes, or pass --force")


def check(model: str, claims: list[ClaimInput], activation: str | None = None,
          dims: Dims | None = None, T_max: int | None = None,
          force: bool = False, budget: float = SEARCH_BUDGET) -> CheckReport:
    """Check each claim against the model (see the module docstring). T_max None: the
    default, T_MAX (4) for every model; an explicit T_max past T_MAX whose exact checks
    are estimated past CHECK_BUDGET is refused unless `force`. A claim's own T list is the author's
    choice and is not estimated (the estimate is of a whole proof: a single claim on a
    linear model at T = 10 takes seconds where the proof would take hours)."""
    start = time.perf_counter()
    spec = get_model(model)
    opt = spec.option("activation")
    if activation is not None and opt is None:
        raise SymbpttError(f"{model} has no --activation option")
    if opt is not None and activation is not None and activation not in opt[0]:
        raise SymbpttError(f"unknown activation {activation!r} for {model} "
                           f"(choices: {', '.join(opt[0])})")
    if not spec.symbolic:
        raise SymbpttError(f"{model} has no symbolic side to check against")
    dims = dims or CHECK_DIMS
    m = _Model(spec, activation if opt else None, dims)
    default = default_T_max(spec, dims, m.activation)
    if T_max is not None and any(not ci.Ts for ci in claims):
        _within_budget(spec, T_max, dims, m.activation, force)
    if not budget >= 0 or budget > 1e6:
        raise SymbpttError(f"--budget must be a number of seconds in 0..1e6, got {budget}")
    reports = tuple(check_claim(m, ci, T_max or default, budget) for ci in claims)
    options = {"activation": activation or opt[1]} if opt else {}
    return CheckReport(spec.name, options, dims.as_dict(spec.dims_used), reports,
                       time.perf_counter() - start)
