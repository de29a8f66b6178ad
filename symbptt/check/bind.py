"""A parsed claim bound to a model's names.

bind() resolves a claim's names against the model (W, W_hh, h_t, h[t], dl[t]/dh[t],
delta[t], ...) through a Namespace of what the model has, checks every index variable is
bound and every definition's indices, and returns a Bound: the equation, its definitions
and the names each refers to. Evaluating a bound claim is check/claim.py's part."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import SymbpttError
from ..formula.tree import (BinOp, Call, Deriv, Equation, Idx, Name, Neg, Num, Power, Reduce,
                            Transpose, show)
from ..model.spec import ModelSpec
from ..symbolic.activations import ACTIVATIONS, Activation
from .quantities import LOCAL, LOSS, Quantities


INDEX_ROOM = 1          # a definition may be asked for at 0..T+1; further means no base


class ClaimError(SymbpttError):
    """A claim that cannot be read against the model (unknown name, no boundary value,
    unbound index, ...): bad input, exit 2."""


class ShapeError(Exception):
    """Shapes that do not conform: the claim is wrong (exit 1), or an edit is discarded."""


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
            return Call(node.func, self.node(node.arg, bound), node.slope)
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
