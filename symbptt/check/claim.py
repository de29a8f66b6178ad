"""A bound claim's value at one T (exact, or at a numeric point).

evaluate() turns a side of a bound claim (check/bind.py) into a matrix at one T, reading
the model's quantities (check/quantities.py) and the user's definitions (memoised per
index, boundary values winning). Sums and products over a range are unrolled; a sum of
step-loss derivatives over every step that can read Y is dL/dY (linearity and causality).
The same evaluation runs over two algebras (check/algebra.py): exact expressions (for the
proof) and floats at a point (to screen many candidate edits fast, check/diagnosis.py);
which one is a matter of the quantities object handed in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..errors import SymbpttError
from ..formula.tree import BinOp, Call, Deriv, Name, Neg, Num, Power, Reduce, Transpose
from ..symbolic.stepgraph import mean_loss
from .algebra import (ZERO, Algebra, Eye, add_op, call_op, divide_op, matmul_op, mul_op,
                      power_op, scale_op, transpose_op)
from .bind import INDEX_ROOM, Bound, ClaimError, Definition
from .quantities import LOCAL, LOSS, Quantities


@dataclass
class _Context:
    q: Any                          # Quantities or NumericQuantities
    algebra: Algebra
    bound: Bound
    env: dict
    memo: dict = field(default_factory=dict)
    active: list = field(default_factory=list)
    assumed: Callable | None = None  # (name, k, ctx) -> a definition's proven value, or None
    terms: int = 1                  # terms of the sums and products being evaluated, nested


def _value(node, ctx: _Context):
    alg = ctx.algebra
    if isinstance(node, Num):
        return ZERO if node.value == 0 else node.value
    if isinstance(node, Name):
        return _name_value(node, ctx)
    if isinstance(node, Deriv):
        num = (node.num.name, node.num.index.value(ctx.env) if node.num.index else None)
        den = (node.den.name, node.den.index.value(ctx.env) if node.den.index else None)
        held = tuple((h.name, h.index.value(ctx.env)) for h in node.held)
        value = ctx.q.derivative(num, den, held) if held else ctx.q.derivative(num, den)
        # the row layout (seed 000) writes the derivative of a scalar by a vector as a row;
        # a matrix parameter's gradient keeps its shape, whatever its sizes (n x 1 too)
        if ctx.bound.row and num[0] in (LOSS, LOCAL) and value.shape[1] == 1 \
                and not (den[1] is None and ctx.q.is_matrix(den[0])):
            return value.T
        return value
    if isinstance(node, BinOp):
        a, b = _value(node.left, ctx), _value(node.right, ctx)
        if node.op == "+":
            return add_op(a, b, node, alg)
        if node.op == "-":
            return add_op(a, scale_op(Fraction(-1), b, alg), node, alg)
        if node.op == "*":
            return mul_op(a, b, node, alg)
        if node.op == "/":
            return divide_op(a, b, node, alg)
        return matmul_op(a, b, node, alg, lenient=node.op == " ")
    if isinstance(node, Neg):
        return scale_op(Fraction(-1), _value(node.arg, ctx), alg)
    if isinstance(node, Transpose):
        return transpose_op(_value(node.arg, ctx))
    if isinstance(node, Power):
        return power_op(_value(node.base, ctx), _whole(node.exp.value(ctx.env), "a power"),
                      node, alg)
    if isinstance(node, Call):
        return call_op(node.func, _value(node.arg, ctx), node, alg)
    if isinstance(node, Reduce):
        return _reduce(node, ctx)
    raise TypeError(f"not a formula node: {node!r}")


MAX_RANGE = 10_000       # terms of one sum or product: far past any T a check reaches


def _span(lo, hi) -> list:
    """lo, lo + 1, ..., hi. An index may be a position in a window (check/frames.py):
    then the range's length must not depend on where the window is."""
    length = hi - lo
    count = _whole(length, "the length of a sum's or a product's range")
    if count >= MAX_RANGE:
        raise ClaimError(f"a sum's or a product's range of {count + 1} steps ({lo}..{hi}) is "
                         f"too long to evaluate (at most {MAX_RANGE}); the model has T steps")
    return [lo + j for j in range(count + 1)]


def _whole(v, what: str) -> int:
    """An index value as an int; a symbolic position (t, T) must be a constant here."""
    if isinstance(v, int):
        return v
    return v.constant(what)


def _reduce(node: Reduce, ctx: _Context):
    whole = _whole_loss(node, ctx)
    if whole is not None:
        return whole
    lo, hi = node.lo.value(ctx.env), node.hi.value(ctx.env)
    saved = ctx.env.get(node.var)
    span = _span(lo, hi)
    outer = ctx.terms
    if outer * len(span) > MAX_RANGE:
        raise ClaimError(f"nested sums and products of {outer * len(span)} terms in all are "
                         f"too many to evaluate (at most {MAX_RANGE})")
    ctx.terms = outer * len(span)
    order = span if (node.op == "sum" or node.ascending) else span[::-1]
    acc = ZERO if node.op == "sum" else Eye(ctx.algebra.number(Fraction(1)))
    try:
        for v in order:
            ctx.env[node.var] = v
            term = _value(node.body, ctx)
            acc = add_op(acc, term, BinOp("+", node, node.body), ctx.algebra) \
                if node.op == "sum" else matmul_op(acc, term, BinOp(" ", node, node.body),
                                                 ctx.algebra, lenient=True)
    finally:
        ctx.terms = outer
        if saved is None:
            ctx.env.pop(node.var, None)
        else:
            ctx.env[node.var] = saved
    return acc


def _whole_loss(node: Reduce, ctx: _Context):
    """sum(t=lo..T, dl[t]/dY), with lo at or before Y's step (lo <= k for Y = h[k], x[k],
    ...; lo <= 1 for a parameter), as dL/dY divided by L's scale (L = scale * sum_t l_t,
    1/T for a mean): the derivative is linear, and a step's loss reads nothing of a later
    step (l_t is computed at step t from steps 1..t), so the terms the span leaves out and
    those before Y's step are zero. The two are the same, exactly, for every T, and the
    one is far smaller to expand than T per-step derivatives. At a whole T, the zeros are
    also seen (every dl[t]/dY the span leaves out is exactly 0). None: not such a sum."""
    body, env = node.body, ctx.env
    if node.op != "sum" or not isinstance(body, Deriv) or body.held \
            or body.num.name != LOCAL or body.num.index is None \
            or body.den.name in (LOSS, LOCAL, node.var) or "T" not in env:
        return None
    lo, hi, T = node.lo.value(env), node.hi.value(env), env["T"]
    saved = env.get(node.var)
    try:
        env[node.var] = lo
        first = body.num.index.value(env)
        den_k = body.den.index.value(env) if body.den.index else None
        env[node.var] = lo + 1
        second = body.num.index.value(env)
        same_den = (body.den.index.value(env) if body.den.index else None) == den_k
    except (SymbpttError, TypeError, ValueError):
        return None
    finally:
        if saved is None:
            env.pop(node.var, None)
        else:
            env[node.var] = saved
    gap = (den_k if den_k is not None else 1) - lo
    if first == lo and second == lo + 1 and same_den and hi == T and _at_least_zero(gap):
        return _loss_by(node, ctx, den_k, lo, T)
    return None


def _at_least_zero(v) -> bool:
    """v >= 0 for every t and T: a whole number, or a window's position (check/frames.py
    Lin, c + a t + b T) with no t and no T in it."""
    if isinstance(v, int):
        return v >= 0
    return getattr(v, "a", 1) == 0 and getattr(v, "b", 1) == 0 and v.c >= 0


def _loss_by(node: Reduce, ctx: _Context, den_k, lo, T):
    body, q = node.body, ctx.q
    if isinstance(q, Quantities):          # a whole T: the left-out terms seen to be zero
        try:
            for t in range(1, q.T + 1):
                if t < lo and any(e != 0 for e in
                                  np.asarray(q.derivative((LOCAL, t), (body.den.name, den_k))).flat):
                    return None
        except SymbpttError:
            return None
    saved = ctx.env.get(node.var)
    ctx.env[node.var] = lo
    try:
        value = _value(Deriv(Name(LOSS), body.den, body.pos), ctx)
    finally:
        if saved is None:
            ctx.env.pop(node.var, None)
        else:
            ctx.env[node.var] = saved
    if not mean_loss(q.spec):
        return value
    if isinstance(T, int):
        return scale_op(Fraction(T), value, ctx.algebra)
    return mul_op(q.index_value(T), value, node, ctx.algebra)


def _name_value(node: Name, ctx: _Context):
    n = node.name
    if node.index is None:
        if n in ctx.env:
            v = ctx.env[n]
            return Fraction(v) if isinstance(v, int) else ctx.q.index_value(v)
        if n == "I":
            return Eye(ctx.algebra.number(Fraction(1)))
        dfn = ctx.bound.definition(n)
        if dfn is not None:
            return _definition(dfn, None, ctx)
        return ctx.q.param(n)
    k = node.index.value(ctx.env)
    dfn = ctx.bound.definition(n)
    if dfn is not None:
        return _definition(dfn, k, ctx)
    return ctx.q.sequence(n, k)


def _definition(dfn: Definition, k: int | None, ctx: _Context):
    key = (dfn.name, k)
    if key in ctx.memo:
        return ctx.memo[key]
    # a definition proven to be a quantity of the model (check/induction.py): read as that
    assumed = ctx.assumed or getattr(ctx.q, "assumed", None)
    if assumed is not None and k is not None:
        value = assumed(dfn.name, k, ctx)
        if value is not None:
            ctx.memo[key] = value
            return value
    T = ctx.q.T
    rhs, env = None, {"T": T}
    for idx, fixed_rhs in dfn.fixed:
        if k is not None and idx.value({"T": T}) == k:
            rhs = fixed_rhs
            break
    if rhs is None:
        if dfn.rhs is None:
            raise ClaimError(f"{dfn.name}[{k}] is asked for at T = {T}, but {dfn.name} has "
                             f"only the values given at fixed indices ({'; '.join(dfn.texts)})")
        if k is not None and not -INDEX_ROOM < k <= T + INDEX_ROOM:
            asked = [a for a in ctx.active if a[0] == dfn.name]
            if asked:
                raise ClaimError(f"{dfn.name} recurses without a boundary value: "
                                 f"{dfn.name}[{k}] is asked for at T = {T} "
                                 f"({'; '.join(dfn.texts)}); give one, e.g. "
                                 f"{dfn.name}[T] = ... or {dfn.name}[T+1] = 0")
            if k <= 0:
                raise ClaimError(f"{dfn.name}[{k}] is asked for at T = {T}, before the steps "
                                 f"0..T+1 a definition covers: give {dfn.name} a boundary "
                                 f"value at its first step, e.g. {dfn.name}[0] = 0 "
                                 f"({'; '.join(dfn.texts)})")
            raise ClaimError(f"{dfn.name}[{k}] is asked for at T = {T}, past the steps "
                             f"0..T+1 a definition covers; check the claim at T >= {k - 1} "
                             f"(T = [...] in a claim file)")
        rhs = dfn.rhs
        if dfn.var is not None:
            env[dfn.var] = k - dfn.offset
    if key in ctx.active:
        raise ClaimError(f"{dfn.name}[{k}] is defined from itself at T = {T} "
                         f"({'; '.join(dfn.texts)}): a recursion needs a boundary value")
    ctx.active.append(key)
    saved = ctx.env
    ctx.env = env
    try:
        value = _value(rhs, ctx)
    finally:
        ctx.env = saved
        ctx.active.pop()
    ctx.memo[key] = value
    return value


def value_in(node, ctx: _Context, env: dict):
    """node's value in a running evaluation, with its index variables as `env` says (a
    proof's hypothesis reads a quantity at another index)."""
    saved = ctx.env
    ctx.env = dict(env)
    try:
        return _value(node, ctx)
    finally:
        ctx.env = saved


def evaluate(node, q, algebra: Algebra, bound: Bound, env: dict, memo: dict | None = None,
             assumed: Callable | None = None):
    """The value of one side of a bound claim at q.T, with `env` binding T and the
    claim's free index: an array, 0 (ZERO), c I (Eye) or a constant (Fraction).
    `assumed(name, k, ctx)`: a definition's value where it is proven to be a quantity."""
    ctx = _Context(q, algebra, bound, dict(env), memo if memo is not None else {},
                   assumed=assumed)
    return _value(node, ctx)


def indices(bound: Bound, T: int) -> list[dict]:
    """The environments a claim is checked in at T: every value of its free index for
    which the left side names only steps 1..T."""
    lhs = bound.equation.lhs
    names = [lhs] if isinstance(lhs, Name) else [lhs.num, lhs.den]
    envs = [{"T": T}] if bound.var is None else \
        [{"T": T, bound.var: v} for v in range(1, T + 1)]
    return [env for env in envs
            if all(n.index is None or 1 <= n.index.value(env) <= T for n in names)]
