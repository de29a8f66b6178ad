"""A claim proven for every T, by induction over windows of a few steps.

Most hand-derived claims are a recursion plus a sum of per-step terms: `delta[t] = ...
delta[t+1]` with a boundary value, `dL/dW = sum(t=1..T, ...)`, `dL/dh[t] = ... dL/dh[t+1]`.
Such a claim reads only a few steps around each t. Then (check/frames.py) it is
checked in a window of those steps that starts from an opaque state and ends in an opaque
cotangent, with T a symbol: the window stands for every t well inside the sequence and
every T at once. The few t near the start (from h_0 = 0) and near the end (no later
steps) get windows of their own; T below the point where these cases separate are
checked exactly, as every claim is, by the caller.

- A recursive definition (delta[t] = ... delta[t+1]) is first shown to be a quantity of
  the model Q[t] (dL/dh[t], dL/da[t], dh[t]/dw, found at a numeric point): its rule at t,
  with Q standing for it at the later (or, for a forward recursion, earlier) indices, must
  equal Q[t] in every window: induction from the boundary inwards.
- A claim indexed by t is then checked in every window, the definitions read as their Q.
- dL/dp = (coefficients in T) * sum(t=lo..hi, body) + ...: each t's share of the right
  side must equal step t's part of dL/dp (the gradient by step t's own copy of p: tied
  weights), and vanish where t lies outside 1..T.

Anything a window cannot hold (a closed form whose sum or power grows with T - t, dL/dW
inside the formula, attention's readout of every input) leaves the claim "checked at
T = 1..K" only; never "every T" without this proof.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..formula.tree import Deriv, Idx, Name, children, show
from .algebra import as_array
from .bind import Bound, ClaimError, ShapeError
from .claim import evaluate, value_in
from .frames import NotWindowable, THETA
from .quantities import LOSS, QuantityError
from .windows import Disproof, Windows, cover, fixed_step, lhs_index, per_step, window_sides

MATCH_T = 4              # the T at which a recursive definition is matched to a quantity


@dataclass(frozen=True)
class Induction:
    proven: bool
    T_from: int = 0                       # proven for every T >= T_from
    reason: str = ""                      # why not (when not proven)
    lemmas: tuple[str, ...] = ()          # the definitions shown to be quantities
    windows: int = 0                      # windows checked


# ---- the model's quantities a definition may be --------------------------------------

def _candidates(model, bound: Bound) -> list:
    """Quantities at an index "_k" a recursive definition may stand for."""
    spec = model.spec
    k = Idx.var("_k")
    seqs = [s for s in dict.fromkeys(("x",) + spec.intermediates + spec.states)
            if s != "y"]
    out = [Deriv(Name(LOSS), Name(s, k)) for s in seqs]
    if not spec.dims_used:                 # scalar models: forward sensitivities dh[t]/dw
        out += [Deriv(Name(s, k), Name(p.name)) for s in spec.states for p in spec.params]
    return out


def _close(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    scale = 1.0 + (float(np.max(np.abs(a))) if a.size else 0.0)
    return bool(np.all(np.abs(a - b) <= 1e-8 * scale))


def _match(model, bound: Bound, name: str, T: int):
    """The candidate quantity that equals definition `name` at every index 1..T at a
    numeric point (or, without numbers, exactly), else None."""
    dfn = bound.definition(name)
    for cand in _candidates(model, bound):
        ok = True
        try:
            for seed in ((1,) if model.numeric else (None,)):
                q = model.nq(T, seed) if model.numeric else model.q(T)
                alg = model.floats if model.numeric else model.exact
                memo: dict = {}
                for k in range(1, T + 1):
                    mine = evaluate(Name(dfn.name, Idx.of(k)), q, alg, bound, {"T": T}, memo)
                    theirs = evaluate(cand, q, alg, bound, {"T": T, "_k": k}, memo)
                    if not isinstance(mine, np.ndarray):
                        mine = as_array(mine, theirs, alg)
                    if model.numeric:
                        with np.errstate(all="ignore"):
                            if not _close(mine, theirs):
                                ok = False
                    elif mine.shape != theirs.shape or not all(
                            model.equal(T, a, b) for a, b in zip(mine.flat, theirs.flat)):
                        ok = False
                    if not ok:
                        break
        except (ClaimError, ShapeError, QuantityError, ArithmeticError, ValueError,
                TypeError, KeyError):
            ok = False
        if ok:
            return cand
    return None


# ---- which definitions recurse, and which way ----------------------------------------

def _refs(node, names: set) -> list[Name]:
    out, todo = [], [node]
    while todo:
        n = todo.pop()
        if isinstance(n, Name) and n.name in names:
            out.append(n)
        todo.extend(children(n))
    return out


def _recursions(bound: Bound) -> dict[str, int]:
    """name -> direction (+1: reads later indices, a backward recursion; -1: earlier) of
    every definition on a cycle of definitions (delta[t] reads gh[t+1], which reads
    delta[t+1]): all of a cycle read one way, or it is no induction."""
    names = {d.name for d in bound.defs}
    graph = {d.name: {r.name for r in _refs(d.rhs, names)} if d.rhs is not None else set()
             for d in bound.defs}

    def reach(start: str) -> set:
        seen, todo = set(), list(graph[start])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(graph.get(n, ()))
        return seen
    reachable = {n: reach(n) for n in graph}
    out = {}
    for d in bound.defs:
        if d.name not in reachable[d.name]:
            continue
        scc = {n for n in reachable[d.name] if d.name in reachable[n]} | {d.name}
        moves = set()
        for e in bound.defs:
            if e.name not in scc:
                continue
            if e.var is None:
                raise NotWindowable(f"{e.name} is defined from itself without an index")
            for r in _refs(e.rhs, scc):
                terms = dict(r.index.terms) if r.index is not None else {}
                if r.index is None or set(terms) != {e.var} or terms[e.var] != 1:
                    raise NotWindowable(f"{e.name}'s recursion reads {show(r)}, not a fixed "
                                        "step from its own index")
                step = r.index.const - e.offset
                if step:
                    moves.add(step)
        if not moves or (min(moves) < 0 < max(moves)):
            raise NotWindowable(f"the recursion through {d.name} reads both earlier and "
                                "later indices" if moves else
                                f"{d.name} is defined from itself at its own index")
        out[d.name] = 1 if min(moves) > 0 else -1
    return out


# ---- the proof ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Lemmas:
    """The recursive definitions shown to be quantities of the model for every T >= T_from
    in windows (name -> (the quantity's node at index _k, direction)); `reason` when not."""
    found: dict
    T_from: int = 1
    windows: int = 0
    reason: str = ""

    def texts(self) -> tuple[str, ...]:
        return tuple(f"{n}[t] = {show(_rename(node)).replace('_t', 't')}"
                     for n, (node, _) in self.found.items())


def lemmas(model, bound: Bound) -> Lemmas:
    """Each recursive definition matched to a quantity Q of the model and proven equal to
    it in windows, by induction from its boundary in (the caller checks the T below
    T_from exactly)."""
    w = Windows(model, bound)
    try:
        directions = _recursions(bound)
        if len(set(directions.values())) > 1:
            raise NotWindowable("the definitions recurse both forwards and backwards")
        for name, direction in directions.items():
            node = _match(model, bound, name, MATCH_T)
            if node is not None:     # the others of its cycle are read by their rule
                w.lemmas[name] = (node, direction)
        if directions and not w.lemmas:
            names = ", ".join(sorted(directions))
            raise NotWindowable(f"no definition of the recursion ({names}) is a quantity of "
                                "the model at every index (no dL/dq[t] it equals)")
        T_from = 1
        for name in w.lemmas:                      # each recursion, from its boundary in
            dfn = bound.definition(name)
            node, _ = w.lemmas[name]

            def check(anchor, t, lo, hi, dfn=dfn, node=node):
                lemma = window_sides(model, bound, Name(dfn.name, Idx.var("_t")),
                               _rename(node), {"T": THETA, "_t": t, "_k": t})
                return w.frame(anchor, lo, hi, lemma, (set(w.lemmas), t))
            T_from = max(T_from, cover(w, check, bound, 1, 0))
    except (NotWindowable, Disproof) as e:
        return Lemmas({}, windows=w.count, reason=str(e))
    except (ClaimError, QuantityError, ShapeError) as e:
        return Lemmas({}, windows=w.count, reason=f"in a window: {e}")
    return Lemmas(dict(w.lemmas), T_from, w.count)


def assume(found: dict):
    """The evaluator's hook (check/claim.py `assumed`) that reads each proven definition
    as its quantity at the indices 1..T of an unrolled model."""
    def assumed(name, k, ctx):
        if name not in found or not isinstance(k, int) or not 1 <= k <= ctx.q.T:
            return None
        node, _ = found[name]
        return value_in(node, ctx, {"T": ctx.q.T, "_k": k})
    return assumed


def prove_every_T(model, bound: Bound, proven: Lemmas | None = None) -> Induction:
    """The claim for every T (see the module docstring), or why not; `proven`: the
    definitions' lemmas, if the caller has them already."""
    proven = proven if proven is not None else lemmas(model, bound)
    if _recursions_of(bound) and not proven.found:
        return Induction(False, reason=proven.reason, windows=proven.windows)
    w = Windows(model, bound)
    w.lemmas.update(proven.found)
    try:
        T_from = proven.T_from
        lhs = bound.equation.lhs
        if bound.var is not None:
            a, b = lhs_index(bound)

            def check(anchor, t, lo, hi):
                sides = window_sides(model, bound, lhs, bound.equation.rhs,
                                     {"T": THETA, bound.var: t})
                return w.frame(anchor, lo, hi, sides)
            T_from = max(T_from, cover(w, check, bound, a, b))
        elif isinstance(lhs, Deriv) and lhs.num.name == LOSS and lhs.den.index is None \
                and lhs.den.name in {p.name for p in model.spec.params}:
            T_from = max(T_from, per_step(model, w, bound, lhs.den.name))
        else:
            T_from = max(T_from, fixed_step(model, w, bound))
    except NotWindowable as e:
        return Induction(False, reason=str(e), windows=proven.windows + w.count)
    except Disproof as e:
        return Induction(False, reason=str(e), windows=proven.windows + w.count)
    except (ClaimError, QuantityError, ShapeError) as e:
        return Induction(False, reason=f"in a window: {e}", windows=proven.windows + w.count)
    return Induction(True, T_from, "", proven.texts(), proven.windows + w.count)


def _recursions_of(bound: Bound) -> bool:
    try:
        return bool(_recursions(bound))
    except NotWindowable:
        return True


def _rename(node):
    """A candidate's index _k as _t (the lemma's own index)."""
    if isinstance(node, Deriv):
        fix = lambda n: replace(n, index=Idx.var("_t")) if n.index == Idx.var("_k") else n  # noqa
        return replace(node, num=fix(node.num), den=fix(node.den))
    return node
