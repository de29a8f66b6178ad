"""A claim bound to a model, and its value at one T (exact, or at a numeric point).

bind() resolves a parsed claim's names against the model (W, W_hh, h_t, h[t], dl[t]/dh[t],
delta[t], ...) and checks every index variable is bound; evaluate() turns a side of it
into a matrix at one T, reading the model's quantities (check/quantities.py) and the
user's definitions (memoised per index, boundary values winning). The same evaluation
runs over two algebras: exact expressions (for the proof) and floats at a point (to
screen many candidate edits fast, check/diagnosis.py); which one is a matter of the
quantities object handed in.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..errors import SymbpttError
from ..formula.tree import (BinOp, Call, Deriv, Equation, Idx, Name, Neg, Num, Power, Reduce,
                            Transpose, show)
from ..model.spec import ModelSpec
from ..symbolic.activations import ACTIVATIONS, Activation
from ..symbolic.backend import Backend
from .quantities import LOCAL, LOSS, Quantities, matrix
from ..symbolic.stepgraph import mean_loss

INDEX_ROOM = 1          # a definition may be asked for at 0..T+1; further means no base


class ClaimError(SymbpttError):
    """A claim that cannot be read against the model (unknown name, no boundary value,
    unbound index, ...): bad input, exit 2."""


class ShapeError(Exception):
    """Shapes that do not conform: the claim is wrong (exit 1), or an edit is discarded."""


# ---- what a model calls things ----------------------------------------------------------

@dataclass(frozen=True)
class Namespace:
    model: str
    params: tuple[str, ...]
    sequences: tuple[str, ...]      # x, y, h, a, o, ...
    states: tuple[str, ...]
    functions: tuple[str, ...]      # generic's f, g
    defined: tuple[str, ...] = ()   # the user's definitions

    def describe(self) -> str:
        seqs = ", ".join(f"{s}[t]" for s in self.sequences + self.functions)
        text = f"parameters {', '.join(self.params)}; sequences {seqs}; losses L, l[t]"
        if self.defined:
            text += f"; definitions {', '.join(self.defined)}"
        return text


def namespace(q: Quantities, defined: tuple[str, ...] = ()) -> Namespace:
    spec = q.spec
    seqs = ("x",) + (("y",) if spec.target_shape is not None else ()) + tuple(
        s for s in dict.fromkeys(spec.intermediates + spec.states) if s not in ("x", "y"))
    return Namespace(spec.name, tuple(p.name for p in spec.params), seqs, spec.states,
                     q.step_functions, defined)


def activation_of(spec: ModelSpec, activation: str | None) -> Activation | None:
    """phi of the model: elman's option; tanh where the state is tanh of an affine map;
    the identity for the linear models; none for the gated and generic cells."""
    if spec.name == "elman":
        return ACTIVATIONS[activation or "tanh"]
    if spec.name in ("elman_softmax", "residual", "attention"):
        return ACTIVATIONS["tanh"]
    if spec.name in ("scalar_linear", "linear_half_square", "d2l_linear"):
        return ACTIVATIONS["identity"]
    return None


# ---- binding ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Definition:
    """name[var + offset] = rhs, and its boundary values {index: rhs} (index in T only)."""
    name: str
    var: str | None = None
    offset: int = 0
    rhs: Any = None
    fixed: tuple[tuple[Idx, Any], ...] = ()
    texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bound:
    """A claim resolved against a model: lhs = rhs checked at every value of `var`."""
    equation: Equation
    var: str | None
    defs: tuple[Definition, ...] = field(default=())
    where: tuple[Equation, ...] = ()        # the definitions, resolved (for edits)
    row: bool = False                       # seed 000's layout: dL/dh[t] is a row

    def definition(self, name: str) -> Definition | None:
        return next((d for d in self.defs if d.name == name), None)


def _split(name: str) -> tuple[str, str] | None:
    base, sep, suffix = name.rpartition("_")
    return (base, suffix) if sep and base and suffix else None


class _Resolver:
    def __init__(self, ns: Namespace, defs: dict[str, bool]) -> None:
        self.ns = ns
        self.defs = defs            # name -> indexed?

    def unknown(self, node: Name, what: str = "name") -> ClaimError:
        return ClaimError(f"unknown {what} {show(node)!r} in {self.ns.model}; its names: "
                          f"{self.ns.describe()}")

    def index(self, idx: Idx, bound: frozenset, node) -> Idx:
        for v in idx.variables:
            if v not in bound:
                raise ClaimError(f"the index variable {v!r} in {show(node)!r} is not bound "
                                 f"(bound here: {', '.join(sorted(bound))}; sum(i=lo..hi, ...) "
                                 "binds one)")
        return idx

    def is_sequence(self, name: str) -> bool:
        return name in self.ns.sequences or self.defs.get(name) is True

    def name(self, node: Name, bound: frozenset) -> Name:
        n, idx = node.name, node.index
        if idx is None:
            if n in self.ns.params or n in bound or self.defs.get(n) is False or n == "I":
                return node
            if self.is_sequence(n) or n in self.ns.functions:
                raise ClaimError(f"{n} is a sequence: write {n}[t] (or {n}_t)")
            parts = _split(n)
            if parts and self.is_sequence(parts[0]):
                base, suffix = parts
                if suffix.isdigit():
                    return Name(base, Idx.of(int(suffix)), node.pos)
                if suffix in bound:
                    return Name(base, Idx.var(suffix), node.pos)
            raise self.unknown(node)
        if self.is_sequence(n):
            return Name(n, self.index(idx, bound, node), node.pos)
        if idx.const == 0 and len(idx.terms) == 1 and idx.terms[0][1] == 1:
            joined = f"{n}_{idx.terms[0][0]}"          # LaTeX's W_{hh}
            if joined in self.ns.params:
                return Name(joined, None, node.pos)
        if n in self.ns.params:
            raise ClaimError(f"{n} is a parameter, not a sequence: {show(node)!r} has an index")
        raise ClaimError(f"undefined sequence {show(node)!r}: {self.ns.model} has no {n}[t] "
                         f"and no definition {n}[t] = ... is given (--where); its names: "
                         f"{self.ns.describe()}")

    def deriv_name(self, node: Name, bound: frozenset, numerator: bool) -> Name:
        n, idx = node.name, node.index
        if numerator and n == LOSS and idx is None:
            return node
        if numerator and idx is None and _split(n) and \
                _split(n)[0] in ("l", "ell", LOSS, *self.ns.functions):
            base, suffix = _split(n)            # l_t, L_t (seed 004's step loss), f_t
            n, idx = base, Idx.of(int(suffix)) if suffix.isdigit() else Idx.var(suffix)
        if numerator and (n in ("l", "ell") or (n == LOSS and idx is not None)):
            return Name(LOCAL, self.index(idx, bound, node), node.pos)
        if numerator and n in self.ns.functions:
            if idx is None:
                raise ClaimError(f"{n} is a step function: write d{n}[t]/d...")
            return Name(n, self.index(idx, bound, node), node.pos)
        out = self.name(node, bound)
        if out.name in self.defs or out.name == "I" or out.name in bound:
            raise ClaimError(f"{show(node)!r} cannot be differentiated "
                             f"{'' if numerator else 'by'}: derivatives are of L, l[t] or a "
                             "model sequence, by a parameter, x[t] or a model sequence")
        if numerator and out.index is None:
            raise ClaimError(f"d{out.name}/d... : {out.name} is a parameter; derivatives are "
                             "of L, l[t] or a model sequence")
        return out

    def held_name(self, node: Name, bound: frozenset, deriv) -> Name:
        """A quantity a partial holds: a state or a quantity of the step, at an index."""
        out = self.name(node, bound)
        if out.index is None or out.name not in self.ns.sequences or out.name in ("x", "y"):
            raise ClaimError(f"{show(deriv)!r}: only a model sequence at an index (h[t-1], "
                             f"z[t]) can be held, not {show(node)!r}")
        return out

    def node(self, node, bound: frozenset):
        if isinstance(node, Name):
            return self.name(node, bound)
        if isinstance(node, Deriv):
            num = self.deriv_name(node.num, bound, True)
            if node.den.index is None and node.den.name not in self.ns.params and \
                    not (_split(node.den.name) and self.is_sequence(_split(node.den.name)[0])):
                raise ClaimError(f"{self.ns.model} has no parameter {node.den.name!r} "
                                 f"({show(node)}); its parameters: {', '.join(self.ns.params)}")
            den = self.deriv_name(node.den, bound, False)
            if den.name not in self.ns.params and den.index is None:
                raise ClaimError(f"{show(node)!r}: a derivative is taken by a parameter, x[t] "
                                 "or a model sequence at an index")
            held = tuple(self.held_name(h, bound, node) for h in node.held)
            return Deriv(num, den, node.pos, held)
        if isinstance(node, Num):
            return node
        if isinstance(node, Reduce):
            if node.var in ("T",):
                raise ClaimError(f"T cannot be a {node.op}'s variable")
            lo, hi = self.index(node.lo, bound, node), self.index(node.hi, bound, node)
            inner = bound | {node.var}
            return Reduce(node.op, node.var, lo, hi, self.node(node.body, inner), node.ascending)
        if isinstance(node, Power):
            return Power(self.node(node.base, bound), self.index(node.exp, bound, node))
        if isinstance(node, Call):
            return Call(node.func, self.node(node.arg, bound))
        if isinstance(node, Neg):
            return Neg(self.node(node.arg, bound))
        if isinstance(node, Transpose):
            return Transpose(self.node(node.arg, bound))
        if isinstance(node, BinOp):
            return BinOp(node.op, self.node(node.left, bound), self.node(node.right, bound))
        raise ClaimError(f"cannot read {node!r}")


def bind(equation: Equation, where: tuple[Equation, ...], ns: Namespace,
         row: bool = False) -> Bound:
    """Resolve names, collect the definitions and find the claim's free index. `row`:
    the derivative of a scalar by a vector is a row (seed 000's layout), not a column."""
    indexed: dict[str, bool] = {}
    for d in where:
        lhs = d.lhs
        if not isinstance(lhs, Name):
            raise ClaimError(f"the left side of a definition must be a new name, like "
                             f"delta[t] (got {show(lhs)!r} in {show(d)!r})")
        name = lhs.name
        if lhs.index is None and _split(name) and not (name in ns.params):
            base, suffix = _split(name)      # delta_t = ... (LaTeX)
            if base not in ns.params and base not in ns.sequences:
                name = base
        if name in ns.params or name in ns.sequences or name in ns.functions or \
                name in (LOSS, LOCAL, "I", "T"):
            raise ClaimError(f"a definition cannot redefine {name!r}, a name of "
                             f"{ns.model} (in {show(d)!r})")
        idx_given = lhs.index is not None or name != lhs.name
        if indexed.get(name, idx_given) != idx_given:
            raise ClaimError(f"{name} is defined both with and without an index")
        indexed[name] = idx_given
    ns = Namespace(ns.model, ns.params, ns.sequences, ns.states, ns.functions,
                   tuple(f"{n}[t]" if i else n for n, i in indexed.items()))
    r = _Resolver(ns, indexed)
    defs: dict[str, dict] = {}
    resolved = []
    for d in where:
        lhs = d.lhs
        if lhs.index is None and lhs.name not in indexed:
            lhs = r.name(lhs, frozenset({"T"}) | {_split(lhs.name)[1]})  # delta_t
        name, idx = lhs.name, lhs.index
        bound_here = frozenset({"T", *(v for v in (idx.variables if idx else ()))})
        resolved.append(Equation(lhs, r.node(d.rhs, bound_here), d.text))
        entry = defs.setdefault(name, {"general": None, "fixed": [], "texts": []})
        entry["texts"].append(d.text or show(d))
        free = [v for v in (idx.variables if idx else ()) if v != "T"]
        rhs = resolved[-1].rhs
        if idx is None:
            entry["general"] = (None, 0, rhs)
        elif not free:
            entry["fixed"].append((idx, rhs))
        elif len(free) == 1 and dict(idx.terms)[free[0]] == 1 and "T" not in idx.variables:
            if entry["general"] is not None:
                raise ClaimError(f"{name} has two general definitions ({show(d)!r})")
            entry["general"] = (free[0], idx.const, rhs)
        else:
            raise ClaimError(f"cannot define {show(lhs)!r}: the index of a definition is a "
                             "variable plus a number (delta[t], delta[t+1]) or a fixed value "
                             "(delta[T], g[T+1], a[0])")
    definitions = tuple(
        Definition(n, *(e["general"] or (None, 0, None)), tuple(e["fixed"]), tuple(e["texts"]))
        for n, e in defs.items())
    for dfn in definitions:
        if dfn.rhs is None and not dfn.fixed:
            raise ClaimError(f"{dfn.name} has no definition")
    lhs = equation.lhs
    if isinstance(lhs, Name):
        lhs_free = lhs.index.variables if lhs.index else ()
        if lhs.index is None and _split(lhs.name) and not _split(lhs.name)[1].isdigit():
            lhs_free = (_split(lhs.name)[1],)
    elif isinstance(lhs, Deriv):
        lhs_free = tuple(v for n in (lhs.num, lhs.den) for v in
                         (n.index.variables if n.index else
                          ((_split(n.name)[1],) if _split(n.name) and
                           not _split(n.name)[1].isdigit() and n.name not in ns.params
                           else ())))
    else:
        raise ClaimError(f"the left side of a claim is a derivative (dL/dW, dL/dh[t], "
                         f"dl[t]/dh[t]), a model sequence (h[t]) or a definition; got "
                         f"{show(lhs)!r}")
    free = sorted({v for v in lhs_free if v != "T"})
    if len(free) > 1:
        raise ClaimError(f"the left side {show(lhs)!r} has two free indices "
                         f"({', '.join(free)}); one is checked at every value in 1..T")
    bound = frozenset({"T", *free})
    new_lhs = r.node(lhs, bound)
    # what looked like an index may be part of a name (LaTeX W_{xh} is W_xh): the free
    # index is the one the resolved left side has
    names = (new_lhs,) if isinstance(new_lhs, Name) else \
        (new_lhs.num, new_lhs.den) if isinstance(new_lhs, Deriv) else ()
    resolved_free = sorted({v for n in names for v in (n.index.variables if n.index else ())
                            if v != "T"})
    if resolved_free != free and len(resolved_free) <= 1:
        free, bound = resolved_free, frozenset({"T", *resolved_free})
        new_lhs = r.node(lhs, bound)
    if isinstance(new_lhs, Name):
        defined = new_lhs.name in indexed
        if not defined and (new_lhs.name not in ns.sequences or new_lhs.index is None):
            raise ClaimError(f"the left side of a claim is a derivative, a model sequence "
                             f"(h[t]) or a definition given with it; {show(lhs)!r} is none "
                             "of these")
    eq = Equation(new_lhs, r.node(equation.rhs, bound), equation.text)
    return Bound(eq, free[0] if free else None, definitions, tuple(resolved), row)


# ---- values -----------------------------------------------------------------------------

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


def symbolic_algebra(be: Backend, act: Activation | None) -> Algebra:
    def func(name: str, v: Any) -> Any:
        if name in ("phi", "phi_prime"):
            if act is None:
                raise ClaimError("this model has no single activation phi: write the "
                                 "functions out (sigmoid, tanh)")
            out = act.apply(be, v)
            return out if name == "phi" else act.slope_from_output(out)
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

    def func(name: str, v: Any) -> Any:
        if name in ("phi", "phi_prime"):
            if act is None:
                raise ClaimError("this model has no single activation phi: write the "
                                 "functions out (sigmoid, tanh)")
            return (applies if name == "phi" else slopes)[act.name](v)
        if name.endswith("_prime"):
            return slopes[name[:-len("_prime")]](v)
        return {"tanh": np.tanh, "sigmoid": _sigmoid, "exp": np.exp, "log": np.log}[name](v)
    return Algebra(lambda q: float(q), func, False)


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
        and the seed (exact, so an interval can confirm what the floats found)."""
        h = zlib.crc32(f"{self.seed}:{symbol}".encode())
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


@dataclass
class _Context:
    q: Any                          # Quantities or NumericQuantities
    algebra: Algebra
    bound: Bound
    env: dict
    memo: dict = field(default_factory=dict)
    active: list = field(default_factory=list)
    assumed: Callable | None = None  # (name, k, ctx) -> a definition's proven value, or None


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


def _add(a, b, node, alg: Algebra):
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


def _scale(c, v, alg: Algebra):
    if isinstance(v, _Zero):
        return v
    c = _scalar(c)
    if isinstance(c, Fraction) and isinstance(v, Fraction):
        return c * v                       # constants stay exact Fractions
    c, v = _num(alg, c), _num(alg, v)
    if isinstance(v, Eye):
        return Eye(c * v.c)
    return c * v if not isinstance(v, np.ndarray) else v * c


def _mul(a, b, node, alg: Algebra):
    """'*': scaling by a scalar, else elementwise (c I elementwise is c on the diagonal)."""
    if isinstance(a, _Zero) or isinstance(b, _Zero):
        return ZERO
    if _is_scalar(a):
        return _scale(a, b, alg)
    if _is_scalar(b):
        return _scale(b, a, alg)
    if isinstance(a, Eye) and isinstance(b, Eye):
        return Eye(_num(alg, a.c) * _num(alg, b.c))
    if isinstance(a, Eye) or isinstance(b, Eye):
        arr, eye = (b, a) if isinstance(a, Eye) else (a, b)
        return _as_array(eye, arr, alg) * arr
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape:
        return a * b
    raise ShapeError(f"cannot multiply elementwise {_short(node.left)} ({_dims(a)}) and "
                     f"{_short(node.right)} ({_dims(b)})")


def _matmul(a, b, node, alg: Algebra, lenient: bool):
    """'@' (and juxtaposition, `lenient`: a scalar factor scales)."""
    if isinstance(a, _Zero) or isinstance(b, _Zero):
        return ZERO
    if isinstance(a, Eye):
        return _scale(a.c, b, alg)
    if isinstance(b, Eye):
        return _scale(b.c, a, alg)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape[1] == b.shape[0]:
        return a @ b
    if lenient or not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray):
        if _is_scalar(a):
            return _scale(a, b, alg)
        if _is_scalar(b):
            return _scale(b, a, alg)
    raise ShapeError(f"cannot multiply {_short(node.left)} ({_dims(a)}) by "
                     f"{_short(node.right)} ({_dims(b)})")


def _transpose(v):
    return v.T if isinstance(v, np.ndarray) else v


def _power(base, k: int, node, alg: Algebra):
    """base^k: any whole k for a number (x^0 = 1, x^-2 = 1/x^2); k >= 0 for a square
    matrix (W^0 = I)."""
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


def _call(func: str, v, node, alg: Algebra):
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
        out[idx] = alg.func(func, e)
    return out


def _divide(a, b, node, alg: Algebra):
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
            and b.shape != (1, 1):
        out = np.empty(a.shape, dtype=a.dtype)           # elementwise: y[t] / yhat[t]
        for idx, d in np.ndenumerate(b):
            if not alg.exact and d == 0:
                raise ShapeError(f"division by zero in {_short(node)}")
            out[idx] = a[idx] * d ** -1 if alg.exact else a[idx] / d
        return out
    if not _is_scalar(b):
        raise ShapeError(f"cannot divide by {_short(node.right)} ({_dims(b)}): not a scalar")
    b = _scalar(b)
    if isinstance(b, Fraction):
        if b == 0:
            raise ShapeError(f"division by zero in {_short(node)}")
        return _scale(1 / b, a, alg)
    if not alg.exact and b == 0:
        raise ShapeError(f"division by zero in {_short(node)}")
    return _scale(b ** -1 if alg.exact else 1.0 / b, a, alg)


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
            return _add(a, b, node, alg)
        if node.op == "-":
            return _add(a, _scale(Fraction(-1), b, alg), node, alg)
        if node.op == "*":
            return _mul(a, b, node, alg)
        if node.op == "/":
            return _divide(a, b, node, alg)
        return _matmul(a, b, node, alg, lenient=node.op == " ")
    if isinstance(node, Neg):
        return _scale(Fraction(-1), _value(node.arg, ctx), alg)
    if isinstance(node, Transpose):
        return _transpose(_value(node.arg, ctx))
    if isinstance(node, Power):
        return _power(_value(node.base, ctx), _whole(node.exp.value(ctx.env), "a power"),
                      node, alg)
    if isinstance(node, Call):
        return _call(node.func, _value(node.arg, ctx), node, alg)
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
    order = span if (node.op == "sum" or node.ascending) else span[::-1]
    acc = ZERO if node.op == "sum" else Eye(ctx.algebra.number(Fraction(1)))
    try:
        for v in order:
            ctx.env[node.var] = v
            term = _value(node.body, ctx)
            acc = _add(acc, term, BinOp("+", node, node.body), ctx.algebra) \
                if node.op == "sum" else _matmul(acc, term, BinOp(" ", node, node.body),
                                                 ctx.algebra, lenient=True)
    finally:
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
        return _scale(Fraction(T), value, ctx.algebra)
    return _mul(q.index_value(T), value, node, ctx.algebra)


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


def add(a, b, algebra: Algebra):
    """a + b, as a claim's + adds values (0, c I and constants take the other's shape)."""
    return _add(a, b, BinOp("+", Num(Fraction(0)), Num(Fraction(0))), algebra)


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


def indices(bound: Bound, T: int) -> list[dict]:
    """The environments a claim is checked in at T: every value of its free index for
    which the left side names only steps 1..T."""
    lhs = bound.equation.lhs
    names = [lhs] if isinstance(lhs, Name) else [lhs.num, lhs.den]
    envs = [{"T": T}] if bound.var is None else \
        [{"T": T, bound.var: v} for v in range(1, T + 1)]
    return [env for env in envs
            if all(n.index is None or 1 <= n.index.value(env) <= T for n in names)]


__all__ = ["Algebra", "Bound", "ClaimError", "Definition", "Eye", "NumericQuantities",
           "Quantities", "ShapeError", "ZERO", "activation_of", "as_array", "bind", "evaluate",
           "indices", "matrix", "namespace", "numeric_algebra", "symbolic_algebra"]
