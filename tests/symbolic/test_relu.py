"""symbptt/symbolic/relu.py: a ReLU's slope as an exact atom s = relu_step(a) = 1[a > 0]
over SymPy and SymEngine: its derivative is 0, s^2 = s (built in by SymPy, applied by the
zero test over SymEngine), it is 1 or 0 at a number with relu'(0) = 0, it reads the same
from relu's output as from its argument; the exact zero test proves a right formula that
needs s^2 = s and still refuses a wrong one; an interval decides s at a rational point."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import symengine as se
import sympy as sp

from symbptt.symbolic.backend import SYMENGINE, SYMPY
from symbptt.symbolic.interval import NoInterval, enclose
from symbptt.symbolic.lambdify import NUMPY
from symbptt.symbolic.relu import (NAME, LeakyAtoms, has_step, idempotent, is_step, leaky_relu,
                                   leaky_slope, output_of, relu, relu_step, se_step)
from symbptt.symbolic.zero import SlopeAtoms, counterexample, equal

x, y, z = se.symbols("x y z")
X, Y = sp.symbols("x y", real=True)


# ---------------------------------------------------------------- the atom, both engines

@pytest.mark.parametrize("be", [SYMPY, SYMENGINE], ids=["sympy", "symengine"])
def test_zero_and_below_zero_give_0_above_gives_1(be):
    n = be.number
    assert be.step(n(Fraction(0))) == 0                   # relu'(0) = 0, PyTorch's
    assert be.step(n(Fraction(-1, 3))) == 0
    assert be.step(n(Fraction(1, 1000))) == 1


@pytest.mark.parametrize("be", [SYMPY, SYMENGINE], ids=["sympy", "symengine"])
def test_the_slope_is_constant_to_diff(be):
    a, b = be.symbol("a"), be.symbol("b")
    u = a * b + 1
    assert be.diff(be.step(u), a) == 0
    assert be.expand(be.diff(relu(be.step, u), a) - be.step(u) * b) == 0


@pytest.mark.parametrize("be", [SYMPY, SYMENGINE], ids=["sympy", "symengine"])
def test_a_substitution_makes_it_a_number(be):
    a, b = be.symbol("a"), be.symbol("b")
    s = be.step(a - b)
    half = be.number(Fraction(1, 2))
    assert s.subs({a: half, b: 0}) == 1
    assert s.subs({a: half, b: half}) == 0                # exactly 0: relu'(0) = 0
    assert s.subs({a: 0, b: half}) == 0


def test_sympy_builds_s_squared_as_s():
    s = relu_step(X * Y + 1)
    assert s ** 2 == s and s ** 5 == s
    assert sp.expand((s * X + 1) ** 2) == sp.expand(s * X ** 2 + 2 * s * X + 1)


def test_symengine_atoms_compare_by_their_argument():
    assert se_step(x * y + z) == se_step(z + y * x)
    assert hash(se_step(x * y + z)) == hash(se_step(z + x * y))
    assert se_step(x) != se_step(y)
    assert is_step(se_step(x)) and is_step(relu_step(X)) and not is_step(se.tanh(x))
    assert str(se_step(x)) == f"{NAME}(x)"


def test_a_number_that_is_not_rational():
    assert se_step(se.tanh(se.Rational(1, 2)) - se.Rational(1, 3)) == 1      # 0.462 - 0.333
    assert relu_step(sp.tanh(1) - sp.Rational(4, 5)) == 0                     # 0.762 - 0.8


def test_symengine_to_sympy_and_numpy():
    e = se_step(x * y) * x
    xs, ys = sp.symbols("x y")
    assert e._sympy_() == relu_step(xs * ys) * xs
    f = sp.lambdify([X, Y], e._sympy_(), modules=NUMPY)
    out = f(np.array([2.0, 2.0, -1.0]), np.array([1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(out, [2.0, 0.0, -0.0])      # x y = 0: relu'(0) = 0


def test_the_slope_from_relus_output_is_its_arguments():
    """1[relu(u) > 0] = 1[u > 0] and 1[leaky_relu(u, l) > 0] = 1[u > 0] (l > 0): a claim
    may read relu' from the output h[t], as tanh' = 1 - h^2 is."""
    u = x * y + 1
    assert se_step(relu(se_step, u)) == se_step(u)
    assert se_step(leaky_relu(se_step, u, se.Rational(1, 10))) == se_step(u)
    assert relu_step(relu(relu_step, X * Y + 1)) == relu_step(X * Y + 1)
    assert output_of(se_step(u) * u) == u and output_of(2 * u) is None


def test_leaky_relu_and_its_slope():
    u = x - y
    l = se.Rational(1, 10)
    assert se.expand(leaky_relu(se_step, u, l) - (l + (1 - l) * se_step(u)) * u) == 0
    assert leaky_slope(se_step, se.Integer(0), l) == l        # leaky_relu'(0) = l
    assert leaky_slope(se_step, se.Integer(2), l) == 1


# ---------------------------------------------------------------- s^2 = s in the zero test

def test_idempotent_rewrites_every_power_of_a_slope():
    s, t = se_step(x), se_step(y)
    e = se.expand((s * x + t) ** 3)
    reduced = se.expand(idempotent(e))
    assert not any(isinstance(a, se.Pow) and is_step(a.args[0])
                   for term in reduced.args for a in (term.args or (term,)))
    assert has_step(reduced) and not has_step(se.expand(x * y))


def test_a_right_formula_that_needs_s_squared_is_proven():
    """relu(a)^2 = s a^2: true at every a, a polynomial identity only with s^2 = s."""
    a = x * y + z
    s = se_step(a)
    lhs, rhs = relu(se_step, a) ** 2, s * a ** 2
    assert se.expand(lhs - rhs) != 0                        # not as plain polynomials
    assert equal(SYMENGINE, se.expand(lhs), se.expand(rhs))
    assert SlopeAtoms().equal(lhs, rhs)
    assert equal(SYMPY, sp.expand(relu(relu_step, X * Y) ** 2), relu_step(X * Y) * (X * Y) ** 2)


def test_a_wrong_formula_still_fails():
    """relu(a)^2 = a^2 forgets the slope: false where a < 0, and the zero test says so, with
    a point where the two differ."""
    a = x * y + z
    lhs, rhs = relu(se_step, a) ** 2, a ** 2
    assert not equal(SYMENGINE, se.expand(lhs), se.expand(rhs))
    assert not SlopeAtoms().equal(lhs, rhs)
    ce = counterexample(SYMENGINE, lhs, rhs, (x, y, z))
    assert ce.expected != ce.got


# ---------------------------------------------------------------- intervals

def test_an_interval_decides_the_slope_at_a_rational_point():
    e = relu(se_step, x - y)
    assert float(enclose(e, {x: Fraction(3, 4), y: Fraction(1, 4)}).mid) == 0.5
    assert float(enclose(e, {x: Fraction(1, 4), y: Fraction(3, 4)}).mid) == 0.0
    with pytest.raises(NoInterval):     # at the kink (1/3 - 1/3, rounded outwards)
        enclose(se_step(x - y), {x: Fraction(1, 3), y: Fraction(1, 3)})


# ---------------------------------------------------------------- a leaky slope, one atom

def test_a_leaky_slope_is_one_atom_with_its_own_square():
    atoms = LeakyAtoms()
    s, l = se_step(x - y), se.Rational(1, 10)
    sigma = atoms.factor(leaky_slope(se_step, x - y, l)) / l        # 1 + 9 s
    assert atoms.factor(se.expand(2 * leaky_slope(se_step, x - y, l))) == 2 * l * sigma
    assert atoms.factor(x + y) is None and atoms.factor(s) is None
    back = atoms.back()
    for k in (2, 3, 5):         # sigma^k = A sigma + B, exactly, once s^2 = s
        lhs = se.expand(idempotent(se.expand((sigma ** k).subs(back))))
        rhs = se.expand(atoms.power(sigma, k).subs(back))
        assert se.expand(lhs - rhs) == 0


def test_the_zero_test_with_leaky_atoms_proves_and_refuses():
    l = se.Rational(1, 10)
    a = x * y + z
    right = (leaky_relu(se_step, a, l) ** 2, leaky_slope(se_step, a, l) ** 2 * a ** 2)
    assert SlopeAtoms().equal(*right)
    # a bare s beside its sigma: decided once sigma is written out
    assert SlopeAtoms().equal(leaky_relu(se_step, a, l) * se_step(a), se_step(a) * a)
    wrong = (leaky_relu(se_step, a, l) ** 2, leaky_relu(se_step, a, 1 - l) ** 2)
    assert not SlopeAtoms().equal(*wrong)


def test_a_relu_certificate_names_the_slope_atoms_its_zero_test_used():
    """The certificate says how it was decided: for a ReLU cell, slope atoms with s^2 = s."""
    from pathlib import Path

    import symbptt
    from symbptt.symbolic.certificate import prove
    from symbptt.model.registry import get_model
    from symbptt.model.spec import Dims
    models = Path(symbptt.__file__).resolve().parent / "examples" / "models"
    cert = prove(get_model(str(models / "relu_rnn.toml")), 2, Dims(2, 2, 2))
    assert cert.proven and "ReLU slopes s = relu'(a) (s^2 = s; relu'(0) = 0)" in cert.method
    elman = prove(get_model("elman"), 2, Dims(2, 2, 2))
    assert "ReLU" not in elman.method
