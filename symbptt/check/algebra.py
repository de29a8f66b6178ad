"""The arithmetic a claim's value is computed in, over two algebras.

A side of a claim evaluates to a matrix (a 2-D object array), a scalar, the zero ZERO or
an identity Eye. The same operations (sum, scale, product, matrix product, transpose,
power, inverse, elementwise functions, division) run over exact expressions (the proof)
or floats at a numeric point (screening candidate edits fast): an Algebra says which.
A shape that does not fit is a ShapeError, with the operands' shapes in its message."""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..formula.tree import BinOp, Num, show
from ..symbolic.activations import ACTIVATIONS, Activation
from ..symbolic.backend import Backend
from ..symbolic.relu import PATTERN_ATOMS, relu, vanishes_on_a_region
from .bind import ClaimError, ShapeError
from .quantities import Quantities


class _Zero:
    """0 of any shape."""

    def __repr__(self) -> str:
        return "0"


ZERO = _Zero()


@dataclass(frozen=True)
class Eye:
    """c I of any (square) size: I, and what scaling it gives."""
    c: Any


@dataclass(frozen=True)
class Algebra:
    """Numbers and elementwise functions of one evaluation: expressions or floats."""
    number: Callable[[Fraction], Any]
    func: Callable[[str, Any], Any]        # (name, scalar) -> scalar
    exact: bool


NO_PHI = ("this model has no single activation phi: write the functions out (tanh, "
          "sigmoid, relu, relu_prime, ...)")


def symbolic_algebra(be: Backend, act: Activation | None) -> Algebra:
    def func(name: str, v: Any) -> Any:
        if name in ("phi", "phi_prime"):
            if act is None:
                raise ClaimError(NO_PHI)
            out = act.apply(be, v)
            return out if name == "phi" else act.slope_from_output(out)
        if name == "relu":                     # s v, s = 1[v > 0] an atom with s^2 = s
            return relu(be.step, v)
        if name == "relu_prime":
            return be.step(v)
        if name.endswith("_prime"):            # tanh' = 1 - tanh^2, sigmoid' = s (1 - s)
            of = ACTIVATIONS[name[:-len("_prime")]]
            return of.slope_from_output(of.apply(be, v))
        return {"tanh": be.tanh, "sigmoid": be.sigmoid, "exp": be.exp, "log": be.log}[name](v)
    return Algebra(be.number, func, True)


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + np.exp(-v))


def numeric_algebra(act: Activation | None) -> Algebra:
    slopes = {"tanh": lambda v: 1 - np.tanh(v) ** 2,
              "sigmoid": lambda v: _sigmoid(v) * (1 - _sigmoid(v)), "identity": lambda v: 1.0}
    applies = {"tanh": np.tanh, "sigmoid": _sigmoid, "identity": lambda v: v}
    relus = {"relu": lambda v: v if v > 0 else 0.0,             # relu'(0) = 0
             "relu_prime": lambda v: 1.0 if v > 0 else 0.0}

    def func(name: str, v: Any) -> Any:
        if name in ("phi", "phi_prime"):
            if act is None:
                raise ClaimError(NO_PHI)
            return (applies if name == "phi" else slopes)[act.name](v)
        if name in relus:
            return relus[name](v)
        if name.endswith("_prime"):
            return slopes[name[:-len("_prime")]](v)
        return {"tanh": np.tanh, "sigmoid": _sigmoid, "exp": np.exp, "log": np.log}[name](v)
    return Algebra(lambda q: float(q), func, False)


POSITIVE = 0      # the seed of a point where every value is positive: a ReLU cell's slopes
#                   are all 1 there (at random points many are 0, and a path the claim
#                   drops may carry none of its weight there)
WIDE = -1         # the seed of a point of values in [-9, 9]: a ReLU cell's pre-activations
#                   take both signs there even behind a shift (a = W h + U x + b + 3), so
#                   a claim that divides by a slope, or drops one, shows it


class NumericQuantities:
    """A Quantities read at one numeric point: every free symbol a value in [-0.9, 0.9]
    drawn from its own name and the seed (so opaque symbols get values too), and every
    state symbol the value its step gives it there."""

    def __init__(self, q: Quantities, seed: int) -> None:
        self.q, self.seed = q, seed
        self.T, self.spec = q.T, q.spec
        self._memo: dict = {}
        self.point = self._states()

    def rational_of(self, symbol: Any) -> Fraction:
        """The point's value of a free symbol: k/1000 in [-0.9, 0.9], drawn from its name
        and the seed (exact, so an interval can confirm what the floats found); at the
        seed POSITIVE, in [0.1, 0.9]."""
        h = zlib.crc32(f"{self.seed}:{symbol}".encode())
        if self.seed == POSITIVE:
            return Fraction(100 + round((h / 0xFFFFFFFF) * 800), 1000)
        if self.seed == WIDE:
            return Fraction(round((h / 0xFFFFFFFF) * 1800) - 900, 100)
        return Fraction(round((h / 0xFFFFFFFF) * 1800) - 900, 1000)

    def value_of(self, symbol: Any) -> float:
        return float(self.rational_of(symbol))

    def _states(self) -> dict:
        return self.q.g.point(self.value_of)

    def _float(self, e: Any, point: dict) -> float:
        free = getattr(e, "free_symbols", ())
        if free:
            e = e.subs({s: point[s] if s in point else self.value_of(s) for s in free})
        return float(e)

    def _floats(self, arr: np.ndarray) -> np.ndarray:
        out = np.empty(arr.shape, dtype=float)
        for idx, e in np.ndenumerate(arr):
            out[idx] = self._float(e, self.point)
        return out

    def _get(self, key, make) -> np.ndarray:
        if key not in self._memo:
            self._memo[key] = self._floats(make())
        return self._memo[key]

    def param(self, name: str) -> np.ndarray:
        return self._get(("p", name), lambda: self.q.param(name))

    def sequence(self, name: str, k: int) -> np.ndarray:
        return self._get(("s", name, k), lambda: self.q.sequence(name, k))

    def derivative(self, num, den, held: tuple = ()) -> np.ndarray:
        return self._get(("d", num, den, held), lambda: self.q.derivative(num, den, held))

    def is_matrix(self, name: str) -> bool:
        return self.q.is_matrix(name)


def _dims(v) -> str:
    return "×".join(map(str, v.shape)) if isinstance(v, np.ndarray) else \
        ("scalar" if not isinstance(v, (Eye, _Zero)) else repr(v))


def _short(node) -> str:
    text = show(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_scalar(v) -> bool:
    return not isinstance(v, (np.ndarray, Eye, _Zero)) or \
        (isinstance(v, np.ndarray) and v.shape == (1, 1))


def _scalar(v):
    return v[0, 0] if isinstance(v, np.ndarray) else v


def _as_array(v, like: np.ndarray, alg: Algebra) -> np.ndarray:
    """A constant, 0 or c I as an array of `like`'s shape."""
    if isinstance(v, np.ndarray):
        return v
    out = np.empty(like.shape, dtype=like.dtype)
    zero = alg.number(Fraction(0))
    if isinstance(v, _Zero):
        out[...] = zero
    elif isinstance(v, Eye):
        if like.shape[0] != like.shape[1]:
            raise ShapeError(f"I cannot be {_dims(like)} (not square)")
        out[...] = zero
        for i in range(like.shape[0]):
            out[i, i] = v.c
    else:
        out[...] = v
    return out


def _num(alg: Algebra, v):
    return alg.number(v) if isinstance(v, Fraction) else v


def add_op(a, b, node, alg: Algebra):
    if isinstance(a, _Zero):
        return b
    if isinstance(b, _Zero):
        return a
    if isinstance(a, Eye) and isinstance(b, Eye):
        return Eye(a.c + b.c)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.shape != b.shape:
            raise ShapeError(f"cannot add {_short(node.left)} ({_dims(a)}) and "
                             f"{_short(node.right)} ({_dims(b)})")
        return a + b
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        arr, other = (a, b) if isinstance(a, np.ndarray) else (b, a)
        if isinstance(other, Eye):
            return arr + _as_array(other, arr, alg)
        return arr + _num(alg, other)           # a constant, elementwise: 1 - z[t]
    if isinstance(a, Eye) or isinstance(b, Eye):
        raise ShapeError(f"cannot add I and a number in {_short(node)}")
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a + b
    return _num(alg, a) + _num(alg, b)


def scale_op(c, v, alg: Algebra):
    if isinstance(v, _Zero):
        return v
    c = _scalar(c)
    if isinstance(c, Fraction) and isinstance(v, Fraction):
        return c * v                       # constants stay exact Fractions
    c, v = _num(alg, c), _num(alg, v)
    if isinstance(v, Eye):
        return Eye(c * v.c)
    return c * v if not isinstance(v, np.ndarray) else v * c


def mul_op(a, b, node, alg: Algebra):
    """'*': scaling by a scalar, else elementwise (c I elementwise is c on the diagonal)."""
    if isinstance(a, _Zero) or isinstance(b, _Zero):
        return ZERO
    if _is_scalar(a):
        return scale_op(a, b, alg)
    if _is_scalar(b):
        return scale_op(b, a, alg)
    if isinstance(a, Eye) and isinstance(b, Eye):
        return Eye(_num(alg, a.c) * _num(alg, b.c))
    if isinstance(a, Eye) or isinstance(b, Eye):
        arr, eye = (b, a) if isinstance(a, Eye) else (a, b)
        return _as_array(eye, arr, alg) * arr
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape:
        return a * b
    raise ShapeError(f"cannot multiply elementwise {_short(node.left)} ({_dims(a)}) and "
                     f"{_short(node.right)} ({_dims(b)})")


def matmul_op(a, b, node, alg: Algebra, lenient: bool):
    """'@' (and juxtaposition, `lenient`: a scalar factor scales)."""
    if isinstance(a, _Zero) or isinstance(b, _Zero):
        return ZERO
    if isinstance(a, Eye):
        return scale_op(a.c, b, alg)
    if isinstance(b, Eye):
        return scale_op(b.c, a, alg)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape[1] == b.shape[0]:
        return a @ b
    if lenient or not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray):
        if _is_scalar(a):
            return scale_op(a, b, alg)
        if _is_scalar(b):
            return scale_op(b, a, alg)
    raise ShapeError(f"cannot multiply {_short(node.left)} ({_dims(a)}) by "
                     f"{_short(node.right)} ({_dims(b)})")


def transpose_op(v):
    return v.T if isinstance(v, np.ndarray) else v


MAX_EXPONENT = 64     # a claim's power: past any T a check reaches ((W^T)^(T-i) at T <= 12)


def power_op(base, k: int, node, alg: Algebra):
    """base^k: any whole k for a number (x^0 = 1, x^-2 = 1/x^2); k >= 0 for a square
    matrix (W^0 = I); |k| at most MAX_EXPONENT (W^999999999 would multiply for hours)."""
    if abs(k) > MAX_EXPONENT:
        raise ClaimError(f"{_short(node)}: a power of {k} is too large to evaluate exactly "
                         f"(at most {MAX_EXPONENT}; a check runs to T = 12)")
    one = Fraction(1)
    if isinstance(base, _Zero):
        if k < 0:
            raise ClaimError(f"{_short(node)}: a negative power of 0")
        return base if k > 0 else Eye(alg.number(one))
    if isinstance(base, Eye):
        if k < 0 and base.c == 0:
            raise ClaimError(f"{_short(node)}: a negative power of 0")
        return Eye(base.c ** k if k >= 0 else _inverse(base.c, alg) ** -k)
    if _is_scalar(base):
        value = _scalar(base)
        if k < 0:
            if isinstance(value, Fraction) and value == 0:
                raise ClaimError(f"{_short(node)}: a negative power of 0")
            value, k = _inverse(value, alg), -k
        out = one if isinstance(value, Fraction) else alg.number(one)
        for _ in range(k):
            out = out * value
        return np.array([[out]], dtype=object) if isinstance(base, np.ndarray) else out
    if base.shape[0] != base.shape[1]:
        raise ShapeError(f"{_short(node.base)} ({_dims(base)}) is not square: no power")
    if k < 0:
        raise ClaimError(f"{_short(node)}: a negative power of a matrix (its inverse) is not "
                         "part of the formula language")
    if k == 0:
        return Eye(alg.number(one))
    out = base
    for _ in range(k - 1):
        out = out @ base
    return out


def _inverse(v, alg: Algebra):
    if isinstance(v, Fraction):
        return 1 / v
    return v ** -1 if alg.exact else 1.0 / v


def call_op(func: str, v, node, alg: Algebra):
    if func == "diag":
        if isinstance(v, np.ndarray):
            if v.shape[1] != 1 and v.shape[0] != 1:
                raise ShapeError(f"diag of {_short(node.arg)} ({_dims(v)}): not a vector")
            flat = v.reshape(-1)
            out = np.empty((len(flat), len(flat)), dtype=v.dtype)
            out[...] = alg.number(Fraction(0))
            for i, e in enumerate(flat):
                out[i, i] = e
            return out
        if isinstance(v, _Zero):
            return ZERO
        raise ShapeError(f"diag of {_short(node.arg)}: not a vector")
    if isinstance(v, (Eye, _Zero)):
        raise ShapeError(f"{func} of {_short(node.arg)} ({v!r}): give it a vector")
    arr = v if isinstance(v, np.ndarray) else np.array([[_num(alg, v)]], dtype=object)
    if func == "softmax":
        if arr.shape[1] != 1:
            raise ShapeError(f"softmax of {_short(node.arg)} ({_dims(arr)}): not a column")
        exps = [alg.func("exp", e) for e in arr[:, 0]]
        z = exps[0]
        for e in exps[1:]:
            z = z + e
        out = np.empty(arr.shape, dtype=arr.dtype)
        for i, e in enumerate(exps):
            out[i, 0] = e / z
        return out
    out = np.empty(arr.shape, dtype=arr.dtype)
    for idx, e in np.ndenumerate(arr):
        if func == "log" and not alg.exact and not e > 0:     # NaN too
            raise ShapeError(f"log of a value <= 0 in {_short(node)} (log({float(e):.4g}) "
                             "at a float point): the claim is undefined there")
        out[idx] = alg.func(func, e) if func != "leaky_relu" else _leaky(e, node.slope, alg)
    return out


def _leaky(v, slope: Fraction, alg: Algebra):
    """leaky_relu(v, l) = (l + (1 - l) s) v with relu's slope s, as the cell builds it."""
    return (alg.number(slope) + alg.number(1 - slope) * alg.func("relu_prime", v)) * v


class Undecided(ShapeError):
    """What the exact algebra cannot decide of a claim (it is then not proven)."""


def _defined(d, node) -> None:
    """A division by d is undefined on a whole region of inputs when d is 0 for some
    value of its ReLU slopes: the exact algebra would cancel d / d there, so it is
    refused before (the floats see it only where a point falls in that region)."""
    vanishes = vanishes_on_a_region(d)
    if vanishes:
        raise ShapeError(f"division by {_short(node.right)}, which is 0 wherever a ReLU "
                         f"slope in it is 0 (or 1): the claim is undefined on a whole "
                         f"region of inputs, in {_short(node)}")
    if vanishes is None:
        raise Undecided(f"whether the divisor {_short(node.right)} is 0 on a region of "
                        f"inputs is not decided (more than {PATTERN_ATOMS} ReLU slopes in it)")


def divide_op(a, b, node, alg: Algebra):
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
            and b.shape != (1, 1):
        out = np.empty(a.shape, dtype=a.dtype)           # elementwise: y[t] / yhat[t]
        for idx, d in np.ndenumerate(b):
            if not alg.exact and d == 0:
                raise ShapeError(f"division by zero in {_short(node)}")
            if alg.exact:
                _defined(d, node)
            out[idx] = a[idx] * d ** -1 if alg.exact else a[idx] / d
        return out
    if not _is_scalar(b):
        raise ShapeError(f"cannot divide by {_short(node.right)} ({_dims(b)}): not a scalar")
    b = _scalar(b)
    if isinstance(b, Fraction):
        if b == 0:
            raise ShapeError(f"division by zero in {_short(node)}")
        return scale_op(1 / b, a, alg)
    if not alg.exact and b == 0:
        raise ShapeError(f"division by zero in {_short(node)}")
    if alg.exact:
        _defined(b, node)
    return scale_op(b ** -1 if alg.exact else 1.0 / b, a, alg)


def add(a, b, algebra: Algebra):
    """a + b, as a claim's + adds values (0, c I and constants take the other's shape)."""
    return add_op(a, b, BinOp("+", Num(Fraction(0)), Num(Fraction(0))), algebra)


def as_array(v, like: np.ndarray, algebra: Algebra) -> np.ndarray:
    """A side's value laid out as `like` (the other side): 0, c I and constants expand;
    a scalar pairs with a 1×1; otherwise the shapes must agree."""
    if isinstance(v, np.ndarray):
        if v.shape != like.shape:
            raise ShapeError(f"the right side is {_dims(v)}, the left side {_dims(like)}")
        return v
    if not isinstance(v, (Eye, _Zero)) and like.shape != (1, 1):
        raise ShapeError(f"the right side is a number, the left side {_dims(like)}")
    return _as_array(_num(algebra, v) if isinstance(v, Fraction) else v, like, algebra)
