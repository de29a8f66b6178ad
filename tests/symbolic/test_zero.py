"""The exact zero test: the slope-atom normal form is sound and complete against full
expansion, on random polynomials in tanh atoms (hypothesis)."""
from __future__ import annotations

import symengine as se
from hypothesis import given, settings
from hypothesis import strategies as st

from symbptt.symbolic.zero import SlopeAtoms, _slope_coefficient

x, y = se.symbols("x y")
TAUS = [se.tanh(x), se.tanh(y), se.tanh(x + 2 * y), se.tanh(x / 2)]
LEAVES = st.sampled_from(TAUS + [x, y, se.Integer(1), se.Integer(2), se.Rational(-1, 2)])


def _combine(children):
    return st.one_of(
        st.tuples(children, children).map(lambda p: p[0] + p[1]),
        st.tuples(children, children).map(lambda p: p[0] * p[1]),
        st.tuples(children, st.integers(2, 3)).map(lambda p: p[0] ** p[1]),
        st.sampled_from(TAUS).map(lambda t: 1 - t ** 2),
        st.sampled_from(TAUS).map(lambda t: (1 + t) * (1 - t)),
        st.sampled_from(TAUS).map(lambda t: ((1 + t) / 2) * (1 - (1 + t) / 2)),
    )


EXPRS = st.recursive(LEAVES, _combine, max_leaves=8)


def _truly_equal(a, b) -> bool:
    return se.expand(a - b) == 0


@settings(max_examples=300, deadline=None)
@given(EXPRS, EXPRS)
def test_slope_atoms_agree_with_full_expansion(a, b):
    assert SlopeAtoms().equal(a, b) == _truly_equal(a, b)


@settings(max_examples=200, deadline=None)
@given(EXPRS)
def test_an_expression_equals_its_own_expansion(a):
    assert SlopeAtoms().equal(a, se.expand(a))


@settings(max_examples=200, deadline=None)
@given(EXPRS, st.sampled_from(TAUS))
def test_a_slip_of_one_slope_term_is_seen(a, tau):
    # a + tau^2 - 1 + s-free error: adding (1 - tau^2) - 1 + tau^2 is zero, adding tau^2 is not
    f = SlopeAtoms()
    assert f.equal(a, a + (1 - tau ** 2) - 1 + tau ** 2)
    assert not f.equal(a, a + tau ** 2)


def test_slope_coefficient_recognises_the_two_slopes():
    t = se.tanh(x)
    assert _slope_coefficient(se.expand(1 - t ** 2), t) == 1
    assert _slope_coefficient(se.expand(((1 + t) / 2) * (1 - (1 + t) / 2)), t) == se.Rational(1, 4)
    assert _slope_coefficient(se.expand(1 + t ** 2), t) is None
