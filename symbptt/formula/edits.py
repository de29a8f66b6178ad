"""Single edits of a formula: the slips people make, each undone by one edit.

A wrong claim is diagnosed by trying every single edit of its equations (the claim and
its definitions) and keeping those that make it right (check/diagnosis.py). The edits:
toggle a transpose, shift a time index (or a sum's bound, or a power) by ±1, scale a
side or a term by 1/T, T, 2, 1/2 or -1, reverse a product's order, drop one term of a
sum. Pure tree surgery: nothing here evaluates anything.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Iterator

from .tree import (BinOp, Call, Deriv, Equation, Name, Neg, Num, Power, Reduce, Transpose,
                   children, rebuild, show)

SCALES = (("1/T", None), ("T", None), ("2", Fraction(2)), ("1/2", Fraction(1, 2)),
          ("-1", Fraction(-1)))
KINDS = ("transpose", "index", "scale", "order", "drop")


@dataclass(frozen=True)
class Edit:
    """One edit of one equation: what it does, in words a person uses."""
    kind: str            # one of KINDS
    equation: int        # which equation (0: the claim, then the definitions)
    text: str            # "replace `W` by `W.T`"
    result: tuple        # the equations after the edit

    def where(self, equations: tuple) -> str:
        eq = equations[self.equation]
        return "in the claim" if self.equation == 0 else \
            f"in the definition {eq.text or show(eq)}"


def _code(node) -> str:
    return f"`{show(node)}`"


def _at(node, path: tuple):
    for i in path:
        node = children(node)[i]
    return node


def _put(node, path: tuple, new):
    if not path:
        return new
    kids = list(children(node))
    kids[path[0]] = _put(kids[path[0]], path[1:], new)
    return rebuild(node, tuple(kids))


def _walk(node, path: tuple = ()) -> Iterator[tuple[tuple, object]]:
    yield path, node
    for i, kid in enumerate(children(node)):
        yield from _walk(kid, path + (i,))


def _scaled(node, label: str, factor: Fraction | None):
    if label == "1/T":
        return BinOp("/", node, Name("T"))
    if label == "T":
        return BinOp("*", Name("T"), node)
    if factor == -1:
        return Neg(node)
    return BinOp("*", Num(factor), node)


def _product_chain(node) -> list:
    """The factors of a maximal chain of matrix products (@ or juxtaposition)."""
    if isinstance(node, BinOp) and node.op in ("@", " "):
        return _product_chain(node.left) + _product_chain(node.right)
    return [node]


def _chain(op: str, factors: list):
    new = factors[0]
    for f in factors[1:]:
        new = BinOp(op, new, f)
    return new


def _sum_chain(node, sign: int = 1) -> list[tuple[int, object]]:
    if isinstance(node, BinOp) and node.op in "+-":
        return _sum_chain(node.left, sign) + _sum_chain(node.right,
                                                        sign * (-1 if node.op == "-" else 1))
    return [(sign, node)]


def _from_terms(terms: list[tuple[int, object]]):
    (sign, first), rest = terms[0], terms[1:]
    acc = first if sign > 0 else Neg(first)
    for s, t in rest:
        acc = BinOp("+" if s > 0 else "-", acc, t)
    return acc


def _shift_name(n: Name, k: int) -> Name:
    return replace(n, index=n.index.shift(k))


def _index_edits(node) -> Iterator[tuple[object, str]]:
    """(new node, text) for every ±1 shift of an index this node owns."""
    if isinstance(node, Name) and node.index is not None:
        for k in (-1, 1):
            new = _shift_name(node, k)
            yield new, f"replace {_code(node)} by {_code(new)}"
    if isinstance(node, Deriv):
        for part in ("num", "den"):
            n = getattr(node, part)
            if n.index is not None:
                for k in (-1, 1):
                    new = replace(node, **{part: _shift_name(n, k)})
                    yield new, f"replace {_code(node)} by {_code(new)}"
    if isinstance(node, Reduce):
        for bound in ("lo", "hi"):
            for k in (-1, 1):
                new = replace(node, **{bound: getattr(node, bound).shift(k)})
                yield new, (f"let {node.op}({node.var}=...) run from {new.lo.text()} to "
                            f"{new.hi.text()} (not {node.lo.text()} to {node.hi.text()})")
    if isinstance(node, Power):
        for k in (-1, 1):
            new = replace(node, exp=node.exp.shift(k))
            yield new, f"replace {_code(node)} by {_code(new)}"


def _node_edits(node, top: bool) -> Iterator[tuple[str, object, str]]:
    """(kind, new node, text) for the edits rooted at this node."""
    if isinstance(node, Transpose):
        yield "transpose", node.arg, f"replace {_code(node)} by {_code(node.arg)}"
    elif isinstance(node, (Name, Deriv, Call, Reduce, Power)) and not (
            isinstance(node, Name) and node.index is None and len(node.name) == 1
            and node.name in "TtijkI"):
        new = Transpose(node)
        yield "transpose", new, f"replace {_code(node)} by {_code(new)}"
    for new, text in _index_edits(node):
        yield "index", new, text
    if top or isinstance(node, Reduce) or (isinstance(node, BinOp) and node.op in "+-"):
        for label, factor in SCALES:
            new = _scaled(node, label, factor)
            what = "the right side" if top else _code(node)
            yield "scale", new, f"multiply {what} by {label}"
    if isinstance(node, BinOp) and node.op in ("@", " "):
        factors = _product_chain(node)
        if len(factors) >= 2 and factors != factors[::-1]:
            new = _chain(node.op, factors[::-1])
            yield "order", new, f"reverse the product {_code(node)} to {_code(new)}"
        for i in range(len(factors) - 1) if len(factors) > 2 else ():
            a, b = factors[i], factors[i + 1]
            if a != b:
                new = _chain(node.op, factors[:i] + [b, a] + factors[i + 2:])
                yield "order", new, f"swap {_code(a)} and {_code(b)} in {_code(node)}"
    if isinstance(node, Reduce) and node.op == "prod":
        new = replace(node, ascending=not node.ascending)
        order = "lowest" if new.ascending else "highest"
        yield "order", new, (f"reverse the order of {_code(node)}: the {order} index on the "
                             "left")
    if isinstance(node, BinOp) and node.op in "+-":
        terms = _sum_chain(node)
        for i, (_, term) in enumerate(terms):
            rest = terms[:i] + terms[i + 1:]
            yield "drop", _from_terms(rest), f"drop the term {_code(term)}"


def _maximal(node, parent) -> bool:
    """Chains are edited whole, at their top node, not at every sub-chain."""
    if isinstance(node, BinOp) and node.op in ("@", " ") and isinstance(parent, BinOp) \
            and parent.op in ("@", " "):
        return False
    if isinstance(node, BinOp) and node.op in "+-" and isinstance(parent, BinOp) \
            and parent.op in "+-":
        return False
    return True


def single_edits(equations: tuple[Equation, ...]) -> list[Edit]:
    """Every single edit of the right sides of `equations` (the claim first)."""
    out: list[Edit] = []
    seen: set = set()
    for e, eq in enumerate(equations):
        parents = {(): None}
        for path, node in _walk(eq.rhs):
            for i, kid in enumerate(children(node)):
                parents[path + (i,)] = node
            if not _maximal(node, parents.get(path)):
                continue
            for kind, new, text in _node_edits(node, top=not path):
                rhs = _put(eq.rhs, path, new)
                if rhs == eq.rhs:
                    continue
                result = equations[:e] + (Equation(eq.lhs, rhs, eq.text),) + equations[e + 1:]
                key = (e, rhs)
                if key in seen:
                    continue
                seen.add(key)
                out.append(Edit(kind, e, text, result))
    return out


__all__ = ["Edit", "KINDS", "single_edits"]
