"""Matrix expressions as a sum of products: the normal form derive computes in.

A term is a rational coefficient, scalar factors (each to the power +1 or -1: `1/T`, a
scalar parameter) and a product of matrix factors in order (`W.T @ diag(s) @ g`). A
factor is a formula tree (a parameter, a sequence, an adjoint `dL/dh[t+1]`, a vector such
as `1 - h[t] * h[t]`), possibly transposed, or the diagonal matrix of a vector, or the
inverse of one (`g / a`, elementwise). In this form a transpose is pushed to the leaves
((A B)^T = B^T A^T), like terms add up, and a product prints the way the notes write it
(`W.T @ diag(s) @ g`, but `f[t+1] * dL/dc[t+1]` for a lone elementwise product).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from ..formula.tree import BinOp, Idx, Name, Neg, Num, Transpose, show

DIAG, INVERSE = "diag", "inverse"        # kinds of factor besides a plain one


@dataclass(frozen=True)
class Factor:
    node: object             # a formula tree
    shape: tuple             # the tree's shape: () scalar, (k,) column, ("1", k) row, (r, c)
    t: bool = False          # transposed
    kind: str = ""           # "" | DIAG (diag of a column) | INVERSE (diag of 1 / column)

    @property
    def key(self) -> tuple:
        return (show(self.node), self.t, self.kind)


@dataclass(frozen=True)
class Term:
    coef: Fraction
    scalars: tuple = ()      # ((tree, power), ...), sorted; power +1 or -1
    factors: tuple = ()      # Factor, ... in product order

    @property
    def key(self) -> tuple:
        return (tuple((show(s), p) for s, p in self.scalars),
                tuple(f.key for f in self.factors))


Expr = tuple                 # a tuple of Term: their sum (() is 0)


def of(node, shape: tuple) -> Expr:
    """A formula tree as an expression of one factor (a scalar tree: a scalar factor)."""
    if not shape:
        return (Term(Fraction(1), ((node, 1),)),)
    return (Term(Fraction(1), (), (Factor(node, shape),)),)


def number(value: Fraction) -> Expr:
    return (Term(Fraction(value)),) if value else ()


def diag(node, inverse: bool = False) -> Expr:
    """diag(v) (or diag(1 / v)) of a column v, as a matrix factor."""
    return (Term(Fraction(1), (), (Factor(node, (), False, INVERSE if inverse else DIAG),)),)


def _sorted_scalars(items) -> tuple:
    merged: dict = {}
    for s, p in items:
        k = show(s)
        node, q = merged.get(k, (s, 0))
        merged[k] = (node, q + p)
    return tuple(sorted(((n, p) for n, p in merged.values() if p), key=_scalar_order))


def _scalar_order(item) -> tuple:
    """Scalars in a fixed order, an adjoint dL/d... last (df[t]/dw_h * dL/dh[t])."""
    from ..formula.tree import Deriv
    node = item[0]
    return (isinstance(node, Deriv) and node.num.name == "L", show(node))


def add(*exprs: Expr) -> Expr:
    """The sum, like terms combined (in the order they first appear)."""
    out: dict = {}
    for e in exprs:
        for term in e:
            k = term.key
            if k in out:
                out[k] = replace(out[k], coef=out[k].coef + term.coef)
            else:
                out[k] = term
    return tuple(t for t in out.values() if t.coef)


def scale(e: Expr, c: Fraction) -> Expr:
    return tuple(replace(t, coef=t.coef * c) for t in e) if c else ()


def neg(e: Expr) -> Expr:
    return scale(e, Fraction(-1))


def times_scalar(e: Expr, s: Expr) -> Expr:
    """e multiplied by a scalar expression s (a sum of scalar terms)."""
    return add(*[(Term(a.coef * b.coef, _sorted_scalars(a.scalars + b.scalars),
                       b.factors + a.factors),) for b in s for a in e])


def over(e: Expr, node) -> Expr:
    """e divided by a scalar tree (1/T)."""
    return tuple(replace(t, scalars=_sorted_scalars(t.scalars + ((node, -1),))) for t in e)


def _normal(factors: tuple) -> tuple:
    """diag(v) @ diag(1 / v) = I."""
    out: list = []
    for f in factors:
        if out and f.kind and out[-1].kind and out[-1].kind != f.kind \
                and show(out[-1].node) == show(f.node):
            out.pop()
            continue
        out.append(f)
    return tuple(out)


def collect(e: Expr) -> Expr:
    """Terms alike but for one diagonal factor, combined: -(h[t-1] * g) + htilde[t] * g
    is (htilde[t] - h[t-1]) * g."""
    terms = list(e)
    merged = True
    while merged:
        merged = False
        for a in range(len(terms)):
            for b in range(a + 1, len(terms)):
                x, y = terms[a], terms[b]
                if x.key[0] != y.key[0] or len(x.factors) != len(y.factors):
                    continue
                diff = [k for k, (f, g) in enumerate(zip(x.factors, y.factors)) if f.key != g.key]
                if len(diff) != 1 or not (x.factors[diff[0]].kind == y.factors[diff[0]].kind
                                          == DIAG):
                    continue
                k = diff[0]
                inner = add(*[(Term(t.coef, (), (Factor(t.factors[k].node, ("n",)),)),)
                              for t in (x, y)])
                inner = tuple(sorted(inner, key=lambda t: t.coef < 0))
                node = _sum_tree(inner)
                f = replace(x.factors[k], node=node)
                terms[a] = replace(x, coef=Fraction(1), factors=x.factors[:k] + (f,)
                                   + x.factors[k + 1:])
                del terms[b]
                merged = True
                break
            if merged:
                break
    return tuple(terms)


def matmul(a: Expr, b: Expr) -> Expr:
    """a @ b (a scalar side scales the other)."""
    return add(*[(Term(x.coef * y.coef, _sorted_scalars(x.scalars + y.scalars),
                       _normal(x.factors + y.factors)),) for x in a for y in b])


def sums_to_one(e: Expr, target) -> Expr:
    """e with p.T @ diag(1 / p) @ y read as 1 where y (the tree `target`) sums to 1: the
    entries of p.T diag(1/p) are all 1."""
    key = show(target)
    out = []
    for t in e:
        fs = list(t.factors)
        for k in range(len(fs) - 2):
            a, b, c = fs[k], fs[k + 1], fs[k + 2]
            if a.t and not a.kind and b.kind == INVERSE and show(a.node) == show(b.node) \
                    and not c.kind and not c.t and show(c.node) == key:
                fs[k:k + 3] = []
                break
        out.append((replace(t, factors=tuple(fs)),))
    return add(*out)


def _t(f: Factor) -> Factor:
    return f if f.kind else replace(f, t=not f.t)


def transpose(e: Expr) -> Expr:
    return tuple(replace(t, factors=tuple(_t(f) for f in reversed(t.factors))) for t in e)


def shifted(e: Expr, var: str, by: int) -> Expr:
    """Every time index that reads `var` moved by `by` (t -> t+1)."""
    return tuple(Term(t.coef, _sorted_scalars((shift_tree(s, var, by), p) for s, p in t.scalars),
                      tuple(replace(f, node=shift_tree(f.node, var, by)) for f in t.factors))
                 for t in e)


def substituted(e: Expr, var: str, idx: Idx) -> Expr:
    """Every index variable `var` replaced by the index `idx` (t -> T, t -> j - 1)."""
    return tuple(Term(t.coef, _sorted_scalars((subst_tree(s, var, idx), p)
                                              for s, p in t.scalars),
                      tuple(replace(f, node=subst_tree(f.node, var, idx)) for f in t.factors))
                 for t in e)


def _map_names(node, fix):
    from ..formula.tree import Deriv, children, rebuild
    if isinstance(node, Name):
        return fix(node)
    if isinstance(node, Deriv):
        return replace(node, num=fix(node.num), den=fix(node.den),
                       held=tuple(fix(h) for h in node.held))
    return rebuild(node, tuple(_map_names(k, fix) for k in children(node)))


def shift_tree(node, var: str, by: int):
    def fix(n: Name) -> Name:
        if n.index is not None and var in n.index.variables:
            return replace(n, index=n.index.shift(by))
        return n
    return _map_names(node, fix)


def subst_tree(node, var: str, idx: Idx):
    def fix(n: Name) -> Name:
        if n.index is None or var not in n.index.variables:
            return n
        coef = dict(n.index.terms)[var]
        rest = Idx(tuple((v, c) for v, c in n.index.terms if v != var), n.index.const)
        new = rest
        for _ in range(abs(coef)):
            new = new + (idx if coef > 0 else -idx)
        return replace(n, index=new)
    return _map_names(node, fix)


def reads(e: Expr, node) -> bool:
    """Whether a factor of e is the tree `node` (an adjoint, say)."""
    k = show(node)
    return any(show(f.node) == k for t in e for f in t.factors) or \
        any(show(s) == k for t in e for s, _ in t.scalars)


# ---- back to a formula tree ------------------------------------------------------------


def _factor_tree(f: Factor):
    if f.kind == DIAG:
        from ..formula.tree import Call
        return Call("diag", f.node)
    if f.kind == INVERSE:
        from ..formula.tree import Call
        return Call("diag", BinOp("/", Num(Fraction(1)), f.node))
    return Transpose(f.node) if f.t else f.node


def _merged(factors: tuple) -> tuple:
    """Neighbouring diagonal factors as one, diag(u) @ diag(v) = diag(u * v); and
    diag(1 / v) @ c, c a column, as the column c / v (elementwise)."""
    out: list = []
    for f in factors:
        if out and f.kind == DIAG and out[-1].kind == DIAG:
            out[-1] = replace(out[-1], node=BinOp("*", out[-1].node, f.node))
            continue
        if out and out[-1].kind == INVERSE and not f.kind and not f.t and len(f.shape) == 1:
            out[-1] = Factor(BinOp("/", f.node, out[-1].node), f.shape)
            continue
        out.append(f)
    return tuple(out)


def _chain(factors: tuple):
    """The matrix product, with a leading diag(v) @ (column) read as v * (column) and
    diag(1/v) @ (column) as (column) / v, as the notes write an elementwise product."""
    factors = _merged(factors)
    if not factors:
        return None
    if len(factors) == 2 and factors[0].kind and not factors[1].kind \
            and len(factors[1].shape) == 1 and not factors[1].t:
        d, v = factors
        if d.kind == DIAG:
            return BinOp("*", d.node, v.node)
        return BinOp("/", v.node, d.node)
    node = _factor_tree(factors[0])
    for f in factors[1:]:
        node = BinOp("@", node, _factor_tree(f))
    return node


def term_tree(t: Term, matrix: bool = False):
    """One term as a tree, its sign kept apart: (tree, negative). `matrix`: the sum is a
    square matrix, so a term without matrix factors is a multiple of I."""
    num = [s for s, p in t.scalars if p > 0 for _ in range(p)]
    den = [s for s, p in t.scalars if p < 0 for _ in range(-p)]
    c = abs(t.coef)
    chain = _chain(t.factors)
    if chain is None and matrix:
        chain = Name("I")
    node = None
    for s in num:
        node = s if node is None else BinOp("*", node, s)
    if chain is not None:
        node = chain if node is None else BinOp("*", node, chain)
    if c.numerator != 1 or node is None:
        k = Num(Fraction(c.numerator))
        node = k if node is None else BinOp("*", k, node)
    for s in den:
        node = BinOp("/", node, s)
    if c.denominator != 1:
        node = BinOp("/", node, Num(Fraction(c.denominator)))
    return node, t.coef < 0


def _common(e: Expr) -> tuple[Expr, Fraction, tuple]:
    """(e with a common factor taken out, the factor's coefficient, its scalars with power
    -1): 2 a - 2 b = 2 (a - b), a / T - b / T = (a - b) / T."""
    if len(e) < 2:
        return e, Fraction(1), ()
    dens = set.intersection(*[{show(s) for s, p in t.scalars if p < 0} for t in e])
    den = tuple(sorted({show(s): s for t in e for s, p in t.scalars
                        if p < 0 and show(s) in dens}.items()))
    from math import gcd
    g = 0
    for t in e:
        g = gcd(g, t.coef.numerator)
    c = Fraction(g) if all(t.coef.denominator == 1 for t in e) else Fraction(1)
    if c == 1 and not den:
        return e, Fraction(1), ()
    inner = tuple(replace(t, coef=t.coef / c,
                          scalars=tuple((s, p + 1 if p < 0 and show(s) in dens else p)
                                        for s, p in t.scalars
                                        if not (p == -1 and show(s) in dens))) for t in e)
    return inner, c, tuple(n for _, n in den)


def tree(e: Expr, matrix: bool = False):
    """The sum as a formula tree (0 for no terms); `matrix`: a square matrix (I for 1)."""
    e = collect(e)
    inner, c, den = _common(e)
    if inner is not e:
        node = _sum_tree(inner, matrix)
        if c != 1:
            node = BinOp("*", Num(c), node)
        for s in den:
            node = BinOp("/", node, s)
        return node
    return _sum_tree(e, matrix)


def _sum_tree(e: Expr, matrix: bool = False):
    node = None
    for t in sorted(e, key=lambda t: t.coef < 0):       # a positive term first: a - b
        part, negative = term_tree(t, matrix)
        if node is None:
            node = Neg(part) if negative else part
        else:
            node = BinOp("-" if negative else "+", node, part)
    return Num(Fraction(0)) if node is None else node
