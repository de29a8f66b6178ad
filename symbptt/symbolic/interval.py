"""The value of an expression at a rational point, enclosed in an interval.

Used to confirm a counterexample that floats found (check's search past the exact range):
with every operation rounded outwards (mpmath's interval arithmetic), an interval of
lhs - rhs that excludes 0 proves the two sides differ at that point; no float noise can
make that up. tanh, which mpmath's intervals lack, is 1 - 2 / (exp(2 x) + 1): one use of
x, monotone, so the enclosure stays tight. A relu's slope 1[x > 0] is 1 or 0 when x's
interval is on one side of 0.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath
import symengine as se
from mpmath import iv

from .relu import is_step

PRECISION = 256          # bits


class NoInterval(Exception):
    """An expression with an operation the interval evaluation does not have."""


def enclose(expr: Any, point: dict, prec: int = PRECISION):
    """An interval (mpmath iv.mpf) that holds expr's value at `point` (symbol -> Fraction)."""
    iv.prec = prec
    if not isinstance(expr, se.Basic):        # a plain number (an entry that is 0, 1/2)
        q = Fraction(expr)
        expr = se.Integer(q.numerator) / se.Integer(q.denominator)
    memo: dict = {}
    todo = [(expr, False)]
    while todo:
        e, ready = todo.pop()
        if e in memo:
            continue
        if not ready and e.args and not isinstance(e, se.Symbol):
            todo.append((e, True))
            todo.extend((a, False) for a in e.args if a not in memo)
            continue
        memo[e] = _node(e, [memo[a] for a in e.args] if e.args else [], point)
    return memo[expr]


def _exact(q: Fraction):
    return iv.mpf(q.numerator) / q.denominator


def _node(e: Any, args: list, point: dict):
    if isinstance(e, se.Symbol):
        if e not in point:
            raise NoInterval(f"no value for {e}")
        return _exact(Fraction(point[e]))
    if isinstance(e, (se.Integer, se.Rational)):
        return _exact(Fraction(int(e.p), int(e.q))) if isinstance(e, se.Rational) \
            else iv.mpf(int(e))
    if e == se.E:
        return iv.exp(1)
    if isinstance(e, se.Add):
        out = args[0]
        for a in args[1:]:
            out = out + a
        return out
    if isinstance(e, se.Mul):
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if isinstance(e, se.Pow):
        base, exp = e.args
        if base == se.E:
            return iv.exp(args[1])
        if isinstance(exp, se.Integer):
            n = int(exp)
            return args[0] ** n if n >= 0 else 1 / (args[0] ** -n)
        raise NoInterval(f"a power {exp}")
    if isinstance(e, se.tanh):
        return 1 - 2 / (iv.exp(2 * args[0]) + 1)
    if isinstance(e, se.log):
        return iv.log(args[0])
    if is_step(e):                  # relu'(x) = 1[x > 0]: decided when x's sign is
        if args[0].a > 0:
            return iv.mpf(1)
        if args[0].b <= 0:
            return iv.mpf(0)
        raise NoInterval("a relu's slope at an argument too close to 0")
    if isinstance(e, se.exp):
        return iv.exp(args[0])
    raise NoInterval(f"the operation {type(e).__name__}")


def excludes_zero(interval) -> bool:
    return bool(interval.a > 0 or interval.b < 0)


def midpoint_text(interval, digits: int = 12) -> str:
    """The interval's middle to `digits` significant digits (its width is far smaller)."""
    mid = interval.mid.a
    if mid == 0:
        return "0"
    with mpmath.workprec(PRECISION):
        return mpmath.nstr(mpmath.mpf(mid), digits, strip_zeros=False)
