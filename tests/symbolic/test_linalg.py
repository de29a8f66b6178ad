"""The nested-tuple linear algebra, against plain definitions (hypothesis)."""
from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from symbptt.symbolic.linalg import (diag_matmul, dot, hadamard, identity, matmul, matvec, outer,
                                     tmatvec, transpose, tree_add, tree_entries, vadd)

Q = st.fractions(min_value=-5, max_value=5, max_denominator=6)


def matrices(r, c):
    return st.lists(st.lists(Q, min_size=c, max_size=c).map(tuple), min_size=r,
                    max_size=r).map(tuple)


def vectors(k):
    return st.lists(Q, min_size=k, max_size=k).map(tuple)


@given(st.data(), st.integers(1, 4), st.integers(1, 4))
def test_transpose_products(data, r, c):
    m = data.draw(matrices(r, c))
    u, v = data.draw(vectors(r)), data.draw(vectors(c))
    assert tmatvec(m, u) == matvec(transpose(m), u)        # M^T u, without building M^T
    assert dot(u, matvec(m, v)) == dot(tmatvec(m, u), v)   # u . M v = (M^T u) . v
    assert transpose(transpose(m)) == m
    assert outer(u, v) == matmul(tuple((a,) for a in u), (v,))


@given(st.data(), st.integers(1, 4))
def test_diag_identity_and_trees(data, k):
    m = data.draw(matrices(k, k))
    d = data.draw(vectors(k))
    assert diag_matmul(d, m) == matmul(tuple(tuple(d[i] if i == j else Fraction(0)
                                                   for j in range(k)) for i in range(k)), m)
    assert matmul(identity(k), m) == m
    assert hadamard(d, d) == tuple(a * a for a in d)
    assert tree_add(m, m) == tuple(tuple(2 * a for a in row) for row in m)
    assert [i for i, _ in tree_entries(m)] == [(i, j) for i in range(k) for j in range(k)]
    assert vadd(d, d, d) == tuple(3 * a for a in d)


def test_any_node_walks_a_shared_dag_once():
    """Each level reads the one below twice: as a tree, 2^200 leaves; as a DAG, 600 nodes."""
    import symengine as se

    from symbptt.symbolic.linalg import any_node
    x, y = se.symbols("x y")
    e = x
    for _ in range(200):
        e = se.tanh(e) + se.exp(e)
    assert any_node(e + y, lambda n: n == y)
    assert not any_node(e, lambda n: n == y)
    assert any_node(1 / (x + 1), lambda n: isinstance(n, se.Pow) and n.args[1] < 0)
