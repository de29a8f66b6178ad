"""relu, relu_prime (relu') and leaky_relu in the formula language: parsed to Call nodes
(leaky_relu's slope an exact Fraction, 0.01 by default), printed back to the same tree,
rendered as \\operatorname{relu}, and every bad use refused with one FormulaError."""
from __future__ import annotations

from fractions import Fraction

import pytest

from symbptt.formula.latex import latex
from symbptt.formula.parse import FormulaError, parse_equation, parse_expression
from symbptt.formula.tree import LEAKY_SLOPE, RELU_CONVENTION, Call, Name, show

E = parse_expression


@pytest.mark.parametrize("text, func", [
    ("relu(a)", "relu"), ("relu_prime(a)", "relu_prime"), ("relu'(a)", "relu_prime"),
    (r"\operatorname{relu}(a)", "relu"), (r"\operatorname{relu}'(a)", "relu_prime"),
])
def test_relu_and_its_derivative(text, func):
    assert E(text) == Call(func, Name("a"))


def test_leaky_relu_carries_its_slope_exactly():
    assert E("leaky_relu(a, 0.1)") == Call("leaky_relu", Name("a"), Fraction(1, 10))
    assert E("leaky_relu(a, 1/3)").slope == Fraction(1, 3)
    assert E("leaky_relu(a, 0.25)").slope == Fraction(1, 4)


def test_leaky_relu_without_a_slope_is_pytorchs_default():
    assert LEAKY_SLOPE == Fraction(1, 100)
    assert E("leaky_relu(a)") == E("leaky_relu(a, 0.01)") == E("leaky_relu(a, 1/100)")


def test_the_slope_takes_part_in_equality():
    assert E("leaky_relu(a, 0.1)") != E("leaky_relu(a, 0.2)")
    assert E("relu(a)") != E("leaky_relu(a)")


@pytest.mark.parametrize("text", [
    "relu(W @ h[t-1] + U @ x[t] + b)", "leaky_relu(a[t], 0.1) * 2",
    "leaky_relu(a[t], 1/3)", "leaky_relu(a)", "diag(relu_prime(a[t])) @ W",
    "0.01 + 0.99 * relu_prime(a[t])",
])
def test_show_reads_back_to_the_same_tree(text):
    assert E(show(E(text))) == E(text)


def test_show_writes_the_slope_out():
    assert show(E("leaky_relu(a)")) == "leaky_relu(a, 0.01)"
    assert show(E("leaky_relu(a, 1/3)")) == "leaky_relu(a, 1/3)"
    assert show(E("relu'(a[t])")) == "relu_prime(a[t])"


def test_latex():
    assert latex(E("relu(a[t])")) == r"\operatorname{relu}\left(a_{t}\right)"
    assert latex(E("relu_prime(a[t])")) == r"\operatorname{relu}'\left(a_{t}\right)"
    assert latex(E("leaky_relu(a[t], 0.1)")) == \
        r"\operatorname{leaky\_relu}\left(a_{t}, 0.1\right)"
    assert r"\tfrac{1}{3}" in latex(E("leaky_relu(a, 1/3)"))


def test_the_convention_at_zero_is_stated():
    assert "relu'(0) = 0" in RELU_CONVENTION and "PyTorch" in RELU_CONVENTION


@pytest.mark.parametrize("text, reason", [
    ("relu(a, b)", "relu() takes one argument"),
    ("tanh(a, 0.1)", "tanh() takes one argument"),
    ("leaky_relu(a, b)", "leaky_relu's slope is a number such as 0.01 or 1/100, not b"),
    ("leaky_relu(a, 0.5 + 0.1)", "not 0.5 + 0.1"),
    ("leaky_relu(a, 1/0)", "leaky_relu's slope is a number"),
    ("leaky_relu(a, 2)", "between 0 and 1 (got 2"),
    ("leaky_relu(a, 0)", "between 0 and 1 (got 0; relu(a) is slope 0)"),
    ("leaky_relu(a, -0.1)", "between 0 and 1 (got -0.1"),
    ("leaky_relu'(a)", "only phi, tanh, sigmoid and relu have a derivative written with '"),
])
def test_bad_uses_are_one_formula_error(text, reason):
    with pytest.raises(FormulaError) as info:
        E(text)
    assert reason in info.value.reason
    assert info.value.column == 0          # the caret under the function's name


@pytest.mark.parametrize("text", ["relu()", "relu(a,)", "leaky_relu(a, 0.1, 2)"])
def test_malformed_calls_are_syntax_errors(text):
    with pytest.raises(FormulaError) as info:
        E(text)
    assert "cannot read" in info.value.reason


def test_in_an_equation():
    eq = parse_equation("h[t] = relu(a[t])")
    assert eq.rhs.func == "relu" and eq.rhs.slope is None
