"""The ReLU's slope as an exact atom: relu(a) = s a, with s = relu_step(a) = 1[a > 0].

relu'(0) = 0, PyTorch's convention: relu_step(0) = 0. leaky_relu(a, l) = (l + (1 - l) s) a
with the same s (its slope at 0 is then l, PyTorch's too).

To the proofs s is an atom, as tanh(a) is: its derivative is 0 (s is constant wherever
relu is differentiable, a != 0), so a gradient is a polynomial in the s's, and the one
identity s satisfies, s^2 = s, is applied where polynomials are compared (`idempotent`).
At a point (a counterexample, grad's exact values, a float screen) s evaluates to 1 or 0
from its argument's value.

SymPy: `relu_step`, a Function whose fdiff is 0 and whose powers are itself (s^2 = s as it
is built). SymEngine: `se_step(a)` wraps the argument, unconverted, in a PyFunction whose
Python side (`_Slope`) answers for diff (0), numbers (n) and SymPy (`relu_step`); a
substitution that makes the argument a number makes s 0 or 1 (`_Make`).
"""
from __future__ import annotations

import itertools

from typing import Any

import symengine as se
import sympy as sp
from symengine.lib.symengine_wrapper import PyFunction, sympy_module

from .linalg import any_node

NAME = "relu_step"


class relu_step(sp.Function):
    """1 if a > 0 else 0: relu'(a), with relu'(0) = 0 (0 or 1 at once where the sign of
    a is known, a number or not)."""

    def __new__(cls, a, **kwargs):
        a = sp.S(a)
        if a.is_extended_positive:
            return sp.S.One
        if a.is_extended_nonpositive:
            return sp.S.Zero
        inner = output_of(a)
        if inner is not None:               # 1[relu(u) > 0] = 1[u > 0]
            return cls(inner)
        return super().__new__(cls, a, **kwargs)

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return sp.S.Zero

    def _eval_power(self, e):
        if e.is_Integer and e > 0:          # s^2 = s
            return self
        return None

    def _eval_is_real(self):
        return True

    def _eval_is_nonnegative(self):
        return True

    def _latex(self, printer, exp=None):
        out = r"\mathbf{1}\left[%s > 0\right]" % printer._print(self.args[0])
        return out if exp is None else r"%s^{%s}" % (out, exp)


def _sign(a: Any) -> int | None:
    """1 if a number a is > 0, 0 if <= 0; None when a has free symbols."""
    if a.free_symbols:
        return None
    if a == 0:
        return 0
    if a.is_Number:
        return int(a > 0)
    return int(float(a.n(100, real=True)) > 0)


class _Slope:
    """The Python object behind one SymEngine relu_step(a): its hash, its derivative (0),
    its value at a number, and its SymPy form."""
    __slots__ = ("arg",)

    def __init__(self, arg: Any) -> None:
        self.arg = arg

    def __hash__(self) -> int:
        return hash((NAME, self.arg))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Slope) and other.arg == self.arg

    def diff(self, symbol: Any) -> int:
        return 0

    def n(self, prec: int = 15) -> Any:
        return sp.Integer(_sign(self.arg) or 0)

    def _sympy_(self) -> Any:
        return relu_step(self.arg._sympy_())


class _Make:
    """SymEngine's way back in: a substitution into relu_step(a) calls this with the new
    argument (as SymPy): 0 or 1 at a number, else the atom again."""

    def __str__(self) -> str:
        return NAME

    def __call__(self, a: Any) -> Any:
        return se_step(se.S(a))


_MAKE = _Make()


def se_step(a: Any) -> Any:
    """relu_step(a) over SymEngine: 0 or 1 when a is a number, else the atom (of u when a
    is relu(u) or leaky_relu(u, l), whose sign is u's)."""
    a = se.S(a)
    sign = _sign(a)
    if sign is not None:
        return se.Integer(sign)
    inner = output_of(a)
    if inner is not None:
        return se_step(inner)
    return PyFunction(_Slope(a), [a], _MAKE, sympy_module)


def output_of(a: Any) -> Any:
    """u when a is relu(u) = s u or leaky_relu(u, l) = (l + (1 - l) s) u with l > 0 and
    s = relu_step(u), as they are built (SymPy or SymEngine); else None. Then a > 0
    exactly when u > 0: relu'(relu(u)) = relu'(u), the slope read from the output."""
    if not getattr(a, "is_Mul", False):
        return None
    for f in a.args:
        s = f if is_step(f) else _leaky_factor(f)
        if s is not None and a / f == s.args[0]:
            return s.args[0]
    return None


def _leaky_factor(f: Any) -> Any:
    """s when f = l + c s for numbers with l > 0 and l + c > 0 (the factor positive at
    s = 0 and at s = 1, so f u has the sign of u), else None. (1/2 - s) u is never
    positive: read as relu'(u), it made four wrong claims "correct" (a red-team pass)."""
    if not getattr(f, "is_Add", False) or len(f.args) != 2:
        return None
    for const, term in (f.args, f.args[::-1]):
        if const.is_Number and const > 0 and getattr(term, "is_Mul", False):
            steps = [g for g in term.args if is_step(g)]
            if len(steps) == 1:
                c = term / steps[0]
                if c.is_Number and const + c > 0:
                    return steps[0]
    return None


def is_step(e: Any) -> bool:
    """A slope atom, SymPy's or SymEngine's."""
    if isinstance(e, relu_step):
        return True
    return isinstance(e, PyFunction) and str(e.get_name()) == NAME


def relu(step, a: Any) -> Any:
    """relu(a) = s a."""
    return step(a) * a


def leaky_relu(step, a: Any, slope: Any) -> Any:
    """leaky_relu(a, l) = (l + (1 - l) s) a."""
    return (slope + (1 - slope) * step(a)) * a


def leaky_slope(step, a: Any, slope: Any) -> Any:
    """leaky_relu'(a) = l + (1 - l) s."""
    return slope + (1 - slope) * step(a)


def idempotent(e: Any) -> Any:
    """A SymEngine expression with every power s^k (k >= 1) of a slope atom written s:
    s^2 = s, an identity. The atoms' own arguments are left as they are (a form builds
    each from the same forward values). Shared subexpressions are rewritten once."""
    memo: dict = {}
    todo = [e]
    while todo:
        n = todo[-1]
        if n in memo:
            todo.pop()
            continue
        if isinstance(n, se.Pow) and is_step(n.args[0]) and n.args[1].is_Integer \
                and n.args[1] > 0:
            memo[n] = n.args[0]
            todo.pop()
            continue
        if not isinstance(n, (se.Add, se.Mul, se.Pow)):
            memo[n] = n
            todo.pop()
            continue
        missing = [a for a in n.args if a not in memo]
        if missing:
            todo.extend(missing)
            continue
        todo.pop()
        args = [memo[a] for a in n.args]
        memo[n] = n if all(a is b or a == b for a, b in zip(args, n.args)) else n.func(*args)
    return memo[e]


def has_step(e: Any) -> bool:
    """Whether a slope atom occurs in e."""
    return any_node(e, is_step)


class LeakyAtoms:
    """A leaky ReLU's slope l + (1 - l) s as one atom of the zero test, as SlopeAtoms makes
    tanh's slope one: every factor c0 + c1 s (numbers c0, c1 != 0, s a relu slope) is
    c0 sigma with sigma = 1 + r s, r = c1 / c0, an atom per (s, r). sigma^2 = (2 + r) sigma
    - (1 + r) (from s^2 = s) brings every power back to degree 1, a normal form while no
    bare s of the same slope is left beside its sigma; `back` writes sigma out again for
    the complete test. An expanded leaky gradient has 25 times fewer terms so."""

    def __init__(self) -> None:
        self.atoms: dict = {}            # (s, r) -> sigma
        self.of: dict = {}               # sigma -> (s, r)

    def factor(self, f: Any) -> Any:
        """c0 sigma for an affine factor c0 + c1 s, else None."""
        if not isinstance(f, se.Add) or len(f.args) != 2:
            return None
        c0, term = f.args if f.args[0].is_Number else f.args[::-1]
        if not c0.is_Number or c0 == 0 or not isinstance(term, se.Mul):
            return None
        steps = [g for g in term.args if is_step(g)]
        if len(steps) != 1 or not (term / steps[0]).is_Number:
            return None
        key = (steps[0], (term / steps[0]) / c0)
        if key not in self.atoms:
            self.atoms[key] = sigma = se.Symbol(f"_leaky{len(self.atoms)}")
            self.of[sigma] = key
        return c0 * self.atoms[key]

    def power(self, sigma: Any, k: int) -> Any:
        """sigma^k as A sigma + B, by sigma^2 = (2 + r) sigma - (1 + r)."""
        _, r = self.of[sigma]
        a, b = se.Integer(1), se.Integer(0)         # sigma^1
        for _ in range(k - 1):                      # (a sigma + b) sigma
            a, b = a * (2 + r) + b, -a * (1 + r)
        return a * sigma + b

    def back(self) -> dict:
        return {sigma: 1 + r * s for sigma, (s, r) in self.of.items()}


def steps_in(e: Any) -> set:
    """The slope atoms of e."""
    found: set = set()
    any_node(e, lambda n: is_step(n) and found.add(n))      # add: None, so it walks on
    return found


PATTERN_ATOMS = 8            # the most slope atoms vanishes_on_a_region sets (2^8 patterns)


def vanishes_on_a_region(e: Any) -> bool | None:
    """Whether e is 0 for some 0/1 value of its slope atoms: then it is 0 wherever the
    pre-activations have those signs (a whole region of inputs, not a point), and a
    division by it is undefined there. None when it has too many atoms to tell."""
    atoms = sorted(steps_in(e), key=str)
    if not atoms:
        return False
    if len(atoms) > PATTERN_ATOMS:
        return None
    for bits in itertools.product((0, 1), repeat=len(atoms)):
        value = e.subs(dict(zip(atoms, bits)))
        if (se.expand(value) if isinstance(value, se.Basic) else sp.expand(value)) == 0:
            return True
    return False
