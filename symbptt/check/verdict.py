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

from ..errors import SymbpttError, TooExpensive
from ..formula.parse import parse_equation
from ..formula.tree import Equation, Idx, Name, show
from ..model.registry import get_model
from ..model.spec import Dims, ModelSpec
from ..symbolic.cost import Budget, Estimate, check_seconds
from .algebra import as_array
from .bind import Bound, ClaimError, ShapeError, bind, namespace
from .claim import evaluate, indices
from .compare import ClaimModel, first_failure, counterexample_of, numeric_failure
from .diagnosis import diagnose
from .induction import Lemmas, assume, lemmas, prove_every_T
from .outcome import CheckReport, ClaimInput, ClaimReport, EVERY_T, UP_TO_K
from .quantities import QuantityError
from .search import SEARCH_BUDGET, confirm, search

T_MAX = 4
CHECK_BUDGET = 60.0                 # seconds the exact checks past T_MAX may be estimated to take
CHECK_DIMS = Dims(n=3, d=2, q=4)     # all different, n >= 2: slips show as values or shapes
CONVENTIONS = ("column", "row")


# ---- one claim ------------------------------------------------------------------------------

def _parse(ci: ClaimInput) -> tuple[Equation, tuple[Equation, ...]]:
    label = f"claim {ci.name!r}" if ci.name else "the claim"
    eq = parse_equation(ci.claim, label)
    where = tuple(parse_equation(w, f"the definition {w.split('=')[0].strip()!r}")
                  for w in ci.where)
    return eq, where


def check_claim(model: ClaimModel, ci: ClaimInput, T_max: int = T_MAX,
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


def _verdict(model: ClaimModel, bound: Bound, Ts, assumed=None) -> tuple | None:
    """None when the claim is proven at every T in Ts; else ("shape", message),
    ("mismatch", Mismatch) or ("failure", failure, first float T)."""
    try:
        found = numeric_failure(model, bound, Ts) if model.numeric else None
        first = None
        if found is not None:
            # a float difference, shown at a rational point by intervals: no expansion
            first, seed, env, lhs, rhs = found
            mismatch = confirm(model, bound, model.q(first), model.nq(first, seed), env,
                                lhs, rhs)
            if mismatch is not None:
                return ("mismatch", mismatch)
        # exact from the T the floats flagged (the smallest wrong one), else at every T
        order = Ts if first is None else (first, *(T for T in Ts if T != first))
        failure = first_failure(model, bound, order, assumed)
    except ShapeError as e:
        return ("shape", str(e))
    return None if failure is None else ("failure", failure, first)


def _lemmas(model: ClaimModel, bound: Bound) -> Lemmas:
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


def _wrong(model: ClaimModel, bound: Bound, Ts, ns, report: dict, outcome: tuple, start: float,
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
    mismatch, differs = counterexample_of(model, bound, failure)
    if first is None and model.numeric and not differs:
        # equal at the float points and, to 100 digits, at the rational point: an identity
        # the exact test cannot show (never a "correct" it has not proven)
        return ClaimReport(**report, verdict="undecided", counterexample=mismatch,
                           seconds=seconds())
    fixes, tried = diagnose(model, bound, Ts, ns)
    return ClaimReport(**report, verdict="wrong", counterexample=mismatch, fixes=fixes,
                       tried=tried, seconds=seconds())


# ---- past the exact range: a numeric search --------------------------------------------

def reference_check(spec: ModelSpec, T: int, dims: Dims, activation: str | None = None) -> bool:
    """What the check cost model estimates (symbolic/cost.check_seconds) and `symbptt
    bench --part check` times: an exact check at one T of every parameter's gradient
    written with every adjoint out, as a claim that does not share the model's own
    structure (a closed form, a recursion not yet shown to be a quantity) is compared:
    the costliest common case."""
    m = ClaimModel(spec, activation, dims)
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


def within_budget(spec: ModelSpec, T_max: int, dims: Dims, activation, force: bool,
                  memory: int | None = None) -> None:
    """An explicit --T-max past T_MAX is refused when its exact checks are estimated
    past CHECK_BUDGET seconds or `memory` bytes (default 4 GiB), unless `force`; T_MAX
    itself is always allowed (the memory budget still stops it, limits.py)."""
    if T_max <= T_MAX or force:
        return
    limits = Budget(CHECK_BUDGET, memory or Budget().bytes)
    est = Estimate.of_seconds(check_estimate(spec, T_max, dims, activation))
    if est.over(limits):
        fits = max((K for K in range(T_MAX, T_max) if not Estimate.of_seconds(
                    check_estimate(spec, K, dims, activation)).over(limits)), default=T_MAX)
        raise TooExpensive(
            f"checking {spec.name} at T = 1..{T_max} (n = {dims.n}) could take "
            f"{est.over(limits).replace(', --budget SECONDS', '')}; check at T <= {fits} "
            f"(--T-max, or T = [...] in a claim file), at smaller sizes, or pass --force")


def check(model: str, claims: list[ClaimInput], activation: str | None = None,
          dims: Dims | None = None, T_max: int | None = None,
          force: bool = False, budget: float = SEARCH_BUDGET,
          memory: int | None = None) -> CheckReport:
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
    m = ClaimModel(spec, activation if opt else None, dims)
    default = default_T_max(spec, dims, m.activation)
    if T_max is not None and any(not ci.Ts for ci in claims):
        within_budget(spec, T_max, dims, m.activation, force, memory)
    if not budget >= 0 or budget > 1e6:
        raise SymbpttError(f"--budget must be a number of seconds in 0..1e6, got {budget}")
    reports = tuple(check_claim(m, ci, T_max or default, budget) for ci in claims)
    options = {"activation": activation or opt[1]} if opt else {}
    return CheckReport(spec.name, options, dims.as_dict(spec.dims_used), reports,
                       time.perf_counter() - start)
