"""The two symbolic engines behind one small table of operations.

SymPy builds what is printed, rendered and lambdified; SymEngine (a SymPy-org C++
library) runs the exact zero tests, where SymPy's expand is 100x slower. Both build
the unrolled loss from the same cell rules and both differentiate it on their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import symengine as se
import sympy as sp

from .activations import sigmoid as sympy_sigmoid
from .relu import relu_step, se_step

# symengine's C++ runtime allocates its exception state (thread-local) at the first C++
# exception. Throw one now: if the first one were the std::bad_alloc of a request past
# the memory budget (limits.py), that allocation would fail too and glibc would abort
# the process instead of raising MemoryError.
try:
    se.I.n(real=True)           # SymEngine's NotImplementedError, a C++ exception
except RuntimeError:
    pass


@dataclass(frozen=True)
class Backend:
    name: str
    symbol: Callable[[str], Any]
    number: Callable[[Fraction], Any]
    tanh: Callable[[Any], Any]
    sigmoid: Callable[[Any], Any]
    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    step: Callable[[Any], Any]              # relu'(a) = 1[a > 0], an atom (symbolic/relu.py)
    function: Callable[[str], Any] | None   # undefined function (f, g, l of `generic`)
    diff: Callable[[Any, Any], Any]
    expand: Callable[[Any], Any]
    zero_method: str


def _sympy_number(q: Fraction) -> Any:
    return sp.Rational(q.numerator, q.denominator)


def _se_number(q: Fraction) -> Any:
    return se.Rational(q.numerator, q.denominator) if q.denominator != 1 else se.Integer(q.numerator)


SYMPY = Backend(
    name="sympy",
    symbol=lambda name: sp.Symbol(name, real=True),
    number=_sympy_number,
    tanh=sp.tanh,
    sigmoid=sympy_sigmoid,
    exp=sp.exp,
    log=sp.log,
    step=relu_step,
    function=lambda name: sp.Function(name, real=True),
    diff=lambda e, s: sp.diff(e, s),
    expand=sp.expand,
    zero_method="sympy expand",
)

SYMENGINE = Backend(
    name="symengine",
    symbol=se.Symbol,
    number=_se_number,
    tanh=se.tanh,
    # sigma(a) = (1 + tanh(a/2)) / 2 exactly, so sigma' = sigma (1 - sigma) becomes a
    # polynomial identity in the atom tanh(a/2) that expansion decides.
    sigmoid=lambda a: (1 + se.tanh(a / 2)) / 2,
    exp=se.exp,
    log=se.log,
    step=se_step,
    function=None,
    diff=lambda e, s: se.diff(e, s),
    expand=se.expand,
    zero_method="symengine expand",
)

BACKENDS = {"sympy": SYMPY, "symengine": SYMENGINE}


def as_sympy(expr: Any) -> Any:
    """A SymPy object (an int from an empty sum becomes an Integer). Objects only: no
    text is ever parsed here."""
    if isinstance(expr, int):
        return sp.Integer(expr)
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expected a SymPy expression, got {type(expr).__name__}")
    return expr


def to_symengine(expr: Any) -> Any:
    """A SymPy expression converted to SymEngine's, structure for structure."""
    return se.S(as_sympy(expr))
