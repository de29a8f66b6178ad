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
from dataclasses import replace

from ..errors import SymbpttError, TooExpensive
from ..formula.parse import parse_equation
from ..formula.tree import Equation, Idx, Name, show
from ..model.registry import get_model
from ..model.spec import Dims, ModelSpec
from ..symbolic.cost import Budget, Estimate, check_seconds
from .algebra import Undecided, as_array
from .bind import Bound, ClaimError, ShapeError, bind, namespace
from .claim import evaluate, indices
from .compare import ClaimModel, first_failure, counterexample_of, numeric_failure
from .diagnosis import diagnose
from .induction import Induction, Lemmas, assume, lemmas, prove_every_T
from .outcome import CheckReport, ClaimInput, ClaimReport, EVERY_T, UP_TO_K
from .quantities import QuantityError
from .runner import CLAIM_LIMIT, quiet, run_claims
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
                budget: float = SEARCH_BUDGET, tell=quiet) -> ClaimReport:
    """The verdict on one claim: exactly at T = 1..T_max (or its own T list); when correct
    there, proven for every T by induction over windows where it has that shape, else
    searched numerically past T_max for a counterexample within `budget` seconds.

    `tell(report, doing, confirming)` hears the verdict as it stands before each step
    that may take long (`doing` names it); check/runner.py stops a claim past its time
    limit with that verdict. `confirming`: what is left only confirms a verdict already
    proven (exact checks past the T an induction needs)."""
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
    seconds = lambda: time.perf_counter() - start       # noqa: E731
    done: list = []                                     # the T proven exactly so far

    def pending(doing: str) -> None:
        tell(ClaimReport(**report, verdict="undecided", Ts=tuple(done), seconds=seconds()),
             doing)

    pending("showing the claim's definitions to be quantities")
    proven = _lemmas(model, bound)
    assumed = assume(proven.found) if proven.found else None
    pending("the float screen")
    outcome = _screen(model, bound, Ts)
    if outcome is not None and outcome[0] != "float":
        return _wrong(model, bound, Ts, ns, report, outcome, start, tell, done, assumed)
    first = outcome[1] if outcome is not None else None
    # with the floats agreeing, the proof first: past its T_from the exact checks only
    # confirm it (and may be left undone when they run long)
    proof = None if first is not None or ci.Ts else _proof(model, bound, proven, pending)
    if proof is None or not proof.proven:
        order = Ts if first is None else (first, *(T for T in Ts if T != first))
        outcome = _exact(model, bound, order, assumed, done, pending, first)
        if outcome is not None:
            return _wrong(model, bound, Ts, ns, report, outcome, start, tell, done, assumed)
        if ci.Ts:                           # the author's own T: no more is claimed
            return ClaimReport(**report, Ts=Ts, verdict="correct",
                               scope="T = " + ", ".join(map(str, Ts)), seconds=seconds())
        if proof is None:                   # the floats flagged a T the exact test passed
            proof = _proof(model, bound, proven, pending)
    if proof.proven:
        need = tuple(T for T in range(1, proof.T_from) if T not in done and indices(bound, T))
        outcome = _exact(model, bound, need, assumed, done, pending)

        def confirming(doing: str) -> None:     # the proof is complete: these confirm it
            tell(ClaimReport(**report, Ts=tuple(sorted(done)), verdict="correct",
                             scope=EVERY_T, proof=proof, seconds=seconds()),
                 doing, True)
        if outcome is None:
            rest = tuple(T for T in Ts if T not in done)
            outcome = _exact(model, bound, rest, assumed, done, confirming)
        if outcome is not None:                 # the exact test is the ground truth
            return _wrong(model, bound, tuple(sorted(set(Ts) | set(need))), ns, report,
                          outcome, start, tell, done, assumed)
        return ClaimReport(**report, Ts=tuple(sorted(done)), verdict="correct",
                           scope=EVERY_T, proof=proof, seconds=seconds())
    past = f"the search past T = {max(Ts)}"
    tell(ClaimReport(**report, Ts=Ts, verdict="correct", scope=UP_TO_K, proof=proof,
                     search_note="the search was stopped", seconds=seconds()), past)
    found, searched, note = search(model, bound, max(Ts), budget)
    if isinstance(found, str):
        return _wrong(model, bound, Ts, ns, report, ("shape", found, searched), start, tell,
                      done, assumed, searched)
    if found is not None:
        return _wrong(model, bound, Ts, ns, report, ("search", found), start, tell, done,
                      assumed, searched)
    return ClaimReport(**report, Ts=Ts, verdict="correct", scope=UP_TO_K, proof=proof,
                       searched=searched, search_note=note, seconds=seconds())


def _proof(model: ClaimModel, bound: Bound, proven: Lemmas, pending) -> Induction:
    pending("the proof for every T")
    return prove_every_T(model, bound, proven)


def _screen(model: ClaimModel, bound: Bound, Ts) -> tuple | None:
    """The floats at every T: None when they agree; ("mismatch", Mismatch) when a
    difference is confirmed at a rational point by intervals (no expansion); ("float",
    T) when only the floats differ (the smallest such T); ("shape", message)."""
    try:
        found = numeric_failure(model, bound, Ts) if model.numeric else None
        if found is None:
            return None
        first, seed, env, lhs, rhs = found
        mismatch = confirm(model, bound, model.q(first), model.nq(first, seed), env, lhs, rhs)
    except ShapeError as e:
        return ("shape", str(e))
    return ("float", first) if mismatch is None else ("mismatch", mismatch)


def _exact(model: ClaimModel, bound: Bound, Ts, assumed, done: list, pending,
           first: int | None = None) -> tuple | None:
    """The exact test at each T in turn (each added to `done` when it passes): None, or
    the outcome of the first failure: ("failure", (T, env, entry, lhs, rhs), the T the
    floats flagged) or ("shape", message)."""
    for T in Ts:
        pending(f"the exact check at T = {T}")
        try:
            failure = first_failure(model, bound, (T,), assumed)
        except Undecided as e:
            return ("undecided", str(e))
        except ShapeError as e:
            return ("shape", str(e))
        if failure is not None:
            return ("failure", failure, first)
        done.append(T)
    return None


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
           tell=quiet, done=(), assumed=None, searched: int = 0) -> ClaimReport:
    """The report of a claim that is not proven: wrong (a counterexample, or a shape
    error) or, when the exact test failed but no point shows a difference, undecided.
    A counterexample at T is the first only when every T below it was shown right
    exactly: those left are checked now, smallest first."""
    seconds = lambda: time.perf_counter() - start       # noqa: E731
    if outcome[0] == "undecided":
        return ClaimReport(**report, Ts=tuple(done), verdict="undecided", stopped=outcome[1],
                           seconds=seconds())
    if outcome[0] == "shape":
        wrong = ClaimReport(**report, Ts=Ts, verdict="wrong", shape_error=outcome[1],
                            searched=searched)
        past = outcome[2:] if outcome[2:] and outcome[2] not in Ts else ()    # the search's T
        return _diagnosed(model, bound, Ts + past, ns, wrong, start, tell)
    if outcome[0] == "failure":
        _, failure, first = outcome
        ce, differs = counterexample_of(model, bound, failure)
        if first is None and model.numeric and not differs:
            # equal at the float points and, to 100 digits, at the rational point: an
            # identity the exact test cannot show (never a "correct" it has not proven)
            return ClaimReport(**report, Ts=Ts, verdict="undecided", counterexample=ce,
                               seconds=seconds())
    else:
        ce = outcome[1]
    found_by = "search" if outcome[0] == "search" else ""
    below = tuple(T for T in Ts if T < ce.T and T not in done)
    wrong = ClaimReport(**report, Ts=Ts, verdict="wrong", counterexample=ce, searched=searched,
                        found_by=found_by, first=not below and (
                            not found_by or ce.T == max(Ts) + 1))
    if below:
        def pending(doing: str) -> None:
            tell(replace(wrong, seconds=seconds()), doing + " (is T = "
                 f"{ce.T} the first wrong T?)")
        earlier = _exact(model, bound, below, assumed, list(done), pending)
        wrong = replace(wrong, first=True)
        if earlier is not None and earlier[0] == "failure":
            ce, differs = counterexample_of(model, bound, earlier[1])
            wrong = replace(wrong, counterexample=ce, found_by="") if differs else \
                replace(wrong, first=False)     # an identity the test cannot show, there
        elif earlier is not None:
            wrong = replace(wrong, first=False)
    past = (ce.T,) if ce.T not in Ts else ()
    return _diagnosed(model, bound, Ts + past, ns, wrong, start, tell)


def _diagnosed(model: ClaimModel, bound: Bound, Ts, ns, wrong: ClaimReport, start: float,
               tell) -> ClaimReport:
    """A wrong claim with the single edits that make it right (each heard as found)."""
    def found(fixes: tuple, tried: int) -> None:
        tell(replace(wrong, fixes=fixes, tried=tried, seconds=time.perf_counter() - start),
             "the diagnosis (single edits)")
    fixes, tried = diagnose(model, bound, Ts, ns, found)
    return replace(wrong, fixes=fixes, tried=tried, seconds=time.perf_counter() - start)


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
          memory: int | None = None, time_limit: float | None = CLAIM_LIMIT) -> CheckReport:
    """Check each claim against the model (see the module docstring). T_max None: the
    default, T_MAX (4) for every model; an explicit T_max past T_MAX whose exact checks
    are estimated past CHECK_BUDGET is refused unless `force`. A claim's own T list is the author's
    choice and is not estimated (the estimate is of a whole proof: a single claim on a
    linear model at T = 10 takes seconds where the proof would take hours). Each claim
    runs in a child process and is stopped at `time_limit` seconds with the verdict it
    has then, and what was left undone (check/runner.py); None: in this process, no limit."""
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
    if time_limit is not None and not 0 < time_limit <= 1e6:
        raise SymbpttError(f"--time-limit must be a number of seconds in 0..1e6 (not 0), "
                           f"got {time_limit}")
    K = T_max or default
    reports = run_claims(claims, lambda ci, tell: check_claim(m, ci, K, budget, tell),
                         time_limit)
    options = {"activation": activation or opt[1]} if opt else {}
    return CheckReport(spec.name, options, dims.as_dict(spec.dims_used), reports,
                       time.perf_counter() - start)
