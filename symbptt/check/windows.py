"""A claim's identities checked in windows of a few steps, and t covered by them.

A window (check/frames.py) holds a few steps with an opaque state before them, an opaque
cotangent after them and T a symbol; a claim's two sides evaluated there and found equal
hold wherever the window fits. Windows widens a window until it holds (or until the
sides differ: a Disproof) and cover places windows so that every t from the boundary
in is covered. A per-step sum is compared step by step (per_step), a claim at one
fixed step in a single window (fixed_step)."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..formula.tree import BinOp, Deriv, Idx, Name, Neg, Reduce, children
from .algebra import add, as_array
from .bind import Bound
from .claim import evaluate, value_in
from .frames import TAU, THETA, Extend, Frame, FrameQuantities, Lin, NotWindowable


class Disproof(Exception):
    """A window where the claim's two sides differ: not proven for every T (the exact
    checks at small T, and the search, say whether it is wrong)."""


class Windows:
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


def window_sides(model, bound: Bound, lhs_node, rhs_node, env: dict):
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


def cover(w: Windows, check, bound: Bound, a: int, b: int, low: int = -10 ** 9,
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


def lhs_index(bound: Bound) -> tuple[int, int]:
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


def per_step(model, w: Windows, bound: Bound, param: str) -> int:
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
            return cover(w, lambda anchor, t, lo, hi: w.frame(anchor, lo, hi, share(t, view)),
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


def fixed_step(model, w: Windows, bound: Bound) -> int:
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
    f = w.frame(anchor, lo, hi, window_sides(model, bound, lhs, bound.equation.rhs,
                                       {"T": THETA}))
    return f.hi + 1 if anchor == "0" else -f.lo + 1
