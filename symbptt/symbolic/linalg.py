"""Linear algebra on nested tuples of scalars, for any scalar type.

Vectors are tuples, matrices are tuples of row tuples. The same rule code then runs
on SymPy expressions (printing, lambdify), SymEngine expressions (fast exact proofs)
and plain rationals, with no matrix class of either library in between.
"""
from __future__ import annotations

from typing import Any, Sequence

Vec = tuple
Mat = tuple


def total(terms: Sequence[Any]) -> Any:
    """Sum that starts from the first term, so no stray integer 0 leads the chain."""
    terms = list(terms)
    if not terms:
        return 0
    acc = terms[0]
    for term in terms[1:]:
        acc = acc + term
    return acc


def matvec(m: Mat, v: Vec) -> Vec:
    """M v."""
    return tuple(total([row[j] * v[j] for j in range(len(v))]) for row in m)


def tmatvec(m: Mat, v: Vec) -> Vec:
    """M^T v, without building the transpose."""
    cols = len(m[0]) if m else 0
    return tuple(total([m[i][j] * v[i] for i in range(len(v))]) for j in range(cols))


def matmul(a: Mat, b: Mat) -> Mat:
    """A B."""
    return tuple(tuple(total([row[k] * b[k][j] for k in range(len(b))])
                       for j in range(len(b[0]))) for row in a)


def transpose(m: Mat) -> Mat:
    return tuple(zip(*m))


def outer(u: Vec, v: Vec) -> Mat:
    """u v^T."""
    return tuple(tuple(a * b for b in v) for a in u)


def hadamard(u: Vec, v: Vec) -> Vec:
    return tuple(a * b for a, b in zip(u, v))


def vadd(*vs: Vec) -> Vec:
    return tuple(total(items) for items in zip(*vs))


def vsub(u: Vec, v: Vec) -> Vec:
    return tuple(a - b for a, b in zip(u, v))


def vscale(c: Any, v: Vec) -> Vec:
    return tuple(c * a for a in v)


def dot(u: Vec, v: Vec) -> Any:
    return total([a * b for a, b in zip(u, v)])


def diag_matmul(d: Vec, m: Mat) -> Mat:
    """diag(d) M."""
    return tuple(tuple(di * x for x in row) for di, row in zip(d, m))


def identity(k: int, one: Any = 1, zero: Any = 0) -> Mat:
    return tuple(tuple(one if i == j else zero for j in range(k)) for i in range(k))


def tree_add(a: Any, b: Any) -> Any:
    """Add two scalars, vectors or matrices of the same shape."""
    if isinstance(a, tuple):
        return tuple(tree_add(x, y) for x, y in zip(a, b))
    return a + b


def tree_entries(a: Any, index: tuple = ()) -> list[tuple[tuple, Any]]:
    """(index, scalar) pairs in row-major order; a scalar has the index ()."""
    if isinstance(a, tuple):
        out = []
        for i, x in enumerate(a):
            out.extend(tree_entries(x, index + (i,)))
        return out
    return [(index, a)]


def tree_map(fn, a: Any) -> Any:
    if isinstance(a, tuple):
        return tuple(tree_map(fn, x) for x in a)
    return fn(a)


def any_node(e: Any, test) -> bool:
    """Whether some node of e passes `test`, each shared subexpression looked at once (a
    form is a DAG: walked as a tree it is exponentially large)."""
    todo, seen = [e], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if test(n):
            return True
        todo.extend(getattr(n, "args", ()))
    return False
