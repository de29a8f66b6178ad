"""The exact zero test, and a counterexample point when it fails.

Every gradient here is a polynomial (a rational function for softmax) in the activation
atoms tanh(a_{t,i}), the parameters, the inputs and the targets: the activations' own
derivative rules keep it so. Two forms are equal when their expansions are; expansion is
exact algebra, so "equal" here is a proof, never a sample.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from .backend import Backend


def canonical(be: Backend, expr: Any) -> Any:
    """The expanded (canonical) form of a form's entry."""
    return be.expand(expr)


def equal(be: Backend, a: Any, b: Any) -> bool:
    """Exact: two expanded forms are equal when they are the same canonical polynomial,
    or, failing that, when their difference expands to 0."""
    if a == b:
        return True
    diff = be.expand(a - b)
    if diff == 0:
        return True
    if be.name == "sympy" and diff.has(sp.Pow):
        return sp.cancel(sp.together(diff)) == 0
    return False


@dataclass(frozen=True)
class Counterexample:
    """A point (all free symbols at small rationals) where two forms differ."""
    point: dict          # symbol name -> "p/q"
    expected: str        # the direct form there
    got: str             # the other form there
    difference: str      # the expanded difference (shortened) when no number can be had


def _point_value(k: int) -> Fraction:
    # small, varied, nonzero rationals: 1/2, -1/3, 3/4, -2/5, ...
    num = (k % 4) + 1
    den = (k % 5) + 2
    return Fraction(num if k % 2 == 0 else -num, den)


def _show(be: Backend, value: Any) -> str:
    """An exact rational as p/q; anything else to 20 significant digits."""
    if value.is_Rational:
        return str(value)
    if be.name == "symengine":
        if not value.free_symbols:
            try:
                return _digits(str(value.n(100, real=True)))
            except (RuntimeError, TypeError, ValueError):
                return str(value)
        return str(value)
    if value.free_symbols or value.atoms(sp.core.function.AppliedUndef):
        return str(value)
    return _digits(str(sp.N(value, 25)))


def _digits(text: str, keep: int = 20) -> str:
    try:
        return f"{float(text):.{keep}g}" if "e" in text.lower() else _trim(text, keep)
    except ValueError:
        return text


def _trim(text: str, keep: int) -> str:
    head, _, tail = text.partition(".")
    return head + ("." + tail[:max(1, keep - len(head.lstrip("-")))] if tail else "")


def counterexample(be: Backend, expected: Any, got: Any, symbols: tuple) -> Counterexample:
    """Evaluate both forms at small rationals given to `symbols` (the same point for every
    entry), trying a few points until they differ; with undefined functions (no
    numbers), show the expanded difference instead."""
    if be.name == "sympy" and (expected - got).atoms(sp.core.function.AppliedUndef):
        text = str(be.expand(expected - got))
        return Counterexample({}, _short(str(expected)), _short(str(got)), _short(text))
    for shift in range(4):
        values = {s: _point_value(k + shift) for k, s in enumerate(symbols)}
        point = {s: be.number(v) for s, v in values.items()}
        a, b = _show(be, expected.subs(point)), _show(be, got.subs(point))
        if a != b:
            break
    return Counterexample({str(s): str(v) for s, v in values.items()}, a, b, "")


def _short(text: str, keep: int = 200) -> str:
    return text if len(text) <= keep else text[:keep] + " ..."
