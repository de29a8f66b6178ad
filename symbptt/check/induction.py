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
from fractions import Fraction
from typing import Any

import numpy as np

from ..formula.tree import BinOp, Deriv, Idx, Name, Neg, Reduce, children, show
from .claim import evaluate, value_in
from .algebra import add, as_array
from .bind import Bound, ClaimError, ShapeError
from .frames import (Extend, Frame, FrameQuantities, Lin, NotWindowable, TAU,
                              THETA)
from .quantities import LOSS, QuantityError

MATCH_T = 4              # the T at which a recursive definition is matched to a quantity


class Disproof(Exception):
    """A window where the claim's two sides differ: not proven for every T (the exact
    checks at small T, and the search, say whether it is wrong)."""


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


# ---- windows ------------------------------------------------------------------------------

class _Windows:
    """Checks of one claim's identities in windows, widening each as it asks."""

    def __init__(self, model, bound: Bound) -> None:
        self.model, self.bound = model, bound
        self.lemmas: dict[str, tuple] = {}        # name -> (Q node, direction)
        self.count = 0

    def frame(self, anchor: str, lo: int, hi: int, sides, current=None) -> Frame:
        """Check sides(fq) -> [(lhs, rhs)] in a window at `anchor`, widened until it holds
        every position read; returns the window. Raises Disproof where they differ."""
        m = self.model
        frame = Frame(anchor, lo, hi)
        for _ in range(4 * 8):
            fq = FrameQuantities(m.spec, m.cell, m.dims, m.be, m.activation, frame)
            fq.assumed = self._assumed(fq, current)
            try:
                pairs = sides(fq)
            except Extend as e:
                frame = Frame(anchor, min(frame.lo, e.rel) if anchor != "0" else 0,
                              max(frame.hi, e.rel) if anchor != "T" else 0)
                continue
            self.count += 1
            for lhs, rhs in pairs:
                for a, b in zip(lhs.flat, rhs.flat):
                    if fq.differ(a, b):
                        raise Disproof(f"differs in a window at {frame.base}")
            for lhs, rhs in pairs:
                for a, b in zip(lhs.flat, rhs.flat):
                    if not fq.equal(a, b):
                        raise Disproof(f"differs in a window at {frame.base}")
            return frame
        raise NotWindowable("the claim reads ever more steps")

    def _assumed(self, fq: FrameQuantities, current):
        """The hypothesis: a proven definition is its quantity Q at the indices 1..T (in a
        lemma's own proof, only at those its recursion has reached: past `current`)."""
        def assumed(name, k, ctx):
            if name not in self.lemmas:
                return None
            node, direction = self.lemmas[name]
            if not (Lin(1) <= k <= THETA):
                return None
            if current is not None and name in current[0]:
                step = k - current[1]
                if step == 0 or (step > 0) != (direction > 0):
                    return None
            return value_in(node, ctx, {"T": THETA, "_k": k})
        return assumed


def _sides(model, bound: Bound, lhs_node, rhs_node, env: dict):
    def sides(fq):
        memo: dict = {}
        lhs = evaluate(lhs_node, fq, model.exact, bound, env, memo)
        rhs = evaluate(rhs_node, fq, model.exact, bound, env, memo)
        if not isinstance(lhs, np.ndarray):
            lhs = as_array(lhs, rhs, model.exact) if isinstance(rhs, np.ndarray) else None
            if lhs is None:
                raise NotWindowable("neither side is a quantity")
        return [(lhs, as_array(rhs, lhs, model.exact))]
    return sides


def _fixed_positions(bound: Bound) -> tuple[list[int], list[int]]:
    """(c for the definitions' boundary values at T + c, c for those at a number c)."""
    at_T, at_c = [], []
    for d in bound.defs:
        for idx, _ in d.fixed:
            terms = dict(idx.terms)
            if terms == {"T": 1}:
                at_T.append(idx.const)
            elif not terms:
                at_c.append(idx.const)
            else:
                raise NotWindowable(f"{d.name}[{idx.text()}]: a boundary value at neither a "
                                    "number nor T + c")
    return at_T, at_c


def _cover(w: _Windows, check, bound: Bound, a: int, b: int, low: int = -10 ** 9,
           top: int = -10 ** 9) -> int:
    """Every position of an index t in a..T-b: one window well inside the sequence
    (anchored at t), one for each t near the start (from h_0 = 0) and near the end (no
    later steps), the latter also wherever a definition's boundary value (at T + c, or
    at a number) is within a window's reach of t, or the caller says (`low`: up to
    which t; `top`: up to which T - t). check(anchor, t, lo, hi) -> the window that held
    it. Returns T_from: for every T >= T_from the windows stand for every t; the caller
    checks the smaller T exactly."""
    at_T, at_c = _fixed_positions(bound)
    inner = check("t", TAU, -1, 0)
    lo, hi = inner.lo, inner.hi
    J_low = max(a - 1, -lo - 1, max(at_c, default=-10 ** 9) - lo, low)
    J_top = max(b - 1, hi - 1, hi - min(at_T, default=10 ** 9), top)
    T_from = max(1, J_low + J_top + 1, J_low + b, J_top + a)
    for j in range(a, J_low + 1):                        # windows from h_0 = 0
        f = check("0", Lin(j), 0, max(j, 0))
        T_from = max(T_from, f.hi, f.hi - min(at_T, default=f.hi) + 1)
    for i in range(b, J_top + 1):                        # windows ending at T
        f = check("T", THETA - i, min(-i, 0) - 1, 0)
        T_from = max(T_from, -f.lo, max(at_c, default=-10 ** 9) - f.lo + 1)
    return T_from


# ---- the claim's shape -----------------------------------------------------------------

def _lhs_index(bound: Bound) -> tuple[int, int]:
    """(a, b): the claim's free index runs over a..T-b (its left side names steps 1..T)."""
    lhs = bound.equation.lhs
    names = [lhs] if isinstance(lhs, Name) else [lhs.num, lhs.den]
    a, b = 1, 0
    for n in names:
        if n.index is None:
            continue
        terms = dict(n.index.terms)
        if bound.var in terms:
            if terms != {bound.var: 1}:
                raise NotWindowable(f"the left side's index {n.index.text()} is not t + c")
            a, b = max(a, 1 - n.index.const), max(b, n.index.const)
    return a, b


def _constant(node) -> bool:
    """A coefficient: numbers and T only."""
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, Name) and not (n.name == "T" and n.index is None):
            return False
        if isinstance(n, (Deriv, Reduce)):
            return False
        todo.extend(children(n))
    return True


def _terms(node, wrap=lambda x: x) -> list[tuple[Reduce, Any]]:
    """The right side of dL/dp as terms wrap(sum(var=lo..hi, body)), wrap applying the
    signs and the coefficients in T around each sum."""
    if isinstance(node, BinOp) and node.op in "+-":
        right = (lambda x: wrap(Neg(x))) if node.op == "-" else wrap
        return _terms(node.left, wrap) + _terms(node.right, right)
    if isinstance(node, Neg):
        return _terms(node.arg, lambda x: wrap(Neg(x)))
    if isinstance(node, BinOp) and node.op in ("*", " ", "@"):
        if _constant(node.left):
            return _terms(node.right, lambda x: wrap(BinOp(node.op, node.left, x)))
        if _constant(node.right):
            return _terms(node.left, lambda x: wrap(BinOp(node.op, x, node.right)))
    if isinstance(node, BinOp) and node.op == "/" and _constant(node.right):
        return _terms(node.left, lambda x: wrap(BinOp("/", x, node.right)))
    if isinstance(node, Reduce) and node.op == "sum":
        return [(node, wrap)]
    raise NotWindowable("the right side is not a sum over t of per-step terms")


def _per_step(model, w: _Windows, bound: Bound, param: str) -> int:
    """dL/dp = sum of terms: each t's share against step t's part of dL/dp."""
    terms = _terms(bound.equation.rhs)
    row = bound.row and not model.q(1).is_matrix(param)

    def share(t, view):
        """(step t's part of dL/dp, the right side's share at t): 0 outside 1..T."""
        def sides(fq):
            memo: dict = {}
            shape = fq.param(param).shape
            zero = _zeros(np.empty(shape[::-1] if row else shape), model)
            truth = zero if not Lin(1) <= t <= THETA else (
                fq.contribution(param, t) if view == "backward" else fq.local_share(param, t))
            if row:
                truth = truth.T
            total = None
            for r, wrap in terms:
                if not (_at(r.lo) <= t <= _at(r.hi)):
                    continue
                value = evaluate(wrap(r.body), fq, model.exact, bound,
                                 {"T": THETA, r.var: t}, memo)
                total = value if total is None else _plus(total, value, model)
            return [(truth, zero if total is None else as_array(total, truth, model.exact))]
        return sides

    lows, tops, a, b = [], [], 1, 0
    for r, _ in terms:
        for idx, first in ((r.lo, True), (r.hi, False)):
            coef = dict(idx.terms)
            if not coef:                     # a number: the t below it, or up to it
                lows.append(idx.const - 1 if first else idx.const)
                a = min(a, idx.const) if first else a
            elif coef == {"T": 1}:           # T + c: the t above it, or from it
                tops.append(-idx.const - 1 if not first else -idx.const)
                b = min(b, -idx.const) if not first else b
            else:
                raise NotWindowable(f"a sum's bound {idx.text()} is neither a number nor "
                                    "T + c")
    # dL/dp = sum_t (step t's own copy of p's part) = sum_t (1/T) dl[t]/dp: the backward
    # and the forward view of the same sum; a claim's summand may be either
    for view in ("backward", "forward"):
        try:
            return _cover(w, lambda anchor, t, lo, hi: w.frame(anchor, lo, hi, share(t, view)),
                          bound, a, b, max(lows, default=-10 ** 9), max(tops, default=-10 ** 9))
        except Disproof:
            if view == "forward":
                raise
    raise AssertionError("unreachable")


def _at(idx: Idx) -> Lin:
    return Lin(idx.const) + sum((c * (THETA if v == "T" else TAU) for v, c in idx.terms),
                                Lin())


def _zeros(like: np.ndarray, model) -> np.ndarray:
    out = np.empty(like.shape, dtype=object)
    out[...] = model.exact.number(Fraction(0))
    return out


def _plus(a, b, model):
    return add(a, b, model.exact)


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
    w = _Windows(model, bound)
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
                lemma = _sides(model, bound, Name(dfn.name, Idx.var("_t")),
                               _rename(node), {"T": THETA, "_t": t, "_k": t})
                return w.frame(anchor, lo, hi, lemma, (set(w.lemmas), t))
            T_from = max(T_from, _cover(w, check, bound, 1, 0))
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
    w = _Windows(model, bound)
    w.lemmas.update(proven.found)
    try:
        T_from = proven.T_from
        lhs = bound.equation.lhs
        if bound.var is not None:
            a, b = _lhs_index(bound)

            def check(anchor, t, lo, hi):
                return w.frame(anchor, lo, hi, _sides(model, bound, lhs, bound.equation.rhs,
                                                      {"T": THETA, bound.var: t}))
            T_from = max(T_from, _cover(w, check, bound, a, b))
        elif isinstance(lhs, Deriv) and lhs.num.name == LOSS and lhs.den.index is None \
                and lhs.den.name in {p.name for p in model.spec.params}:
            T_from = max(T_from, _per_step(model, w, bound, lhs.den.name))
        else:
            T_from = max(T_from, _fixed(model, w, bound))
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


def _fixed(model, w: _Windows, bound: Bound) -> int:
    """A claim at one fixed step (dL/dh[T] = ..., dL/dh[1] = ...): one window."""
    lhs = bound.equation.lhs
    names = [lhs] if isinstance(lhs, Name) else [lhs.num, lhs.den]
    idx = [n.index for n in names if n.index is not None]
    if not idx:
        raise NotWindowable("the left side names no step")
    at = [_at(i) for i in idx]
    if all(p.b == 0 for p in at):
        anchor, lo, hi = "0", 0, max(p.c for p in at)
    elif all(p.b == 1 for p in at):
        anchor, lo, hi = "T", min(p.c for p in at) - 1, 0
    else:
        raise NotWindowable("the left side names steps near both ends")
    f = w.frame(anchor, lo, hi, _sides(model, bound, lhs, bound.equation.rhs,
                                       {"T": THETA}))
    return f.hi + 1 if anchor == "0" else -f.lo + 1
