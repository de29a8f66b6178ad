"""Binding a parsed claim to a model, and its value at one T."""
from __future__ import annotations

import re

import pytest

from symbptt.formula.parse import parse_equation
from symbptt.formula.tree import Idx, Name
from symbptt.model.spec import Dims
from symbptt.symbolic.backend import SYMENGINE
from symbptt.symbolic.cells import cell_for
from symbptt.check.claim import evaluate, indices
from symbptt.check.algebra import as_array, numeric_algebra, NumericQuantities, symbolic_algebra
from symbptt.check.bind import ClaimError, ShapeError, activation_of, bind, namespace
from symbptt.check.quantities import Quantities
from symbptt.model.registry import get_model


def _setup(model="elman", T=3, activation=None):
    spec = get_model(model)
    q = Quantities(spec, cell_for(spec, activation), T, Dims(3, 2, 4), SYMENGINE, activation)
    return q, namespace(q), symbolic_algebra(SYMENGINE, activation_of(spec, activation))


def _bind(claim, where=(), model="elman", row=False):
    q, ns, alg = _setup(model)
    return bind(parse_equation(claim), tuple(parse_equation(w) for w in where), ns, row), q, alg


def test_latex_names_resolve_to_the_models():
    b, _, _ = _bind(r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} "
                    r"\frac{\partial L}{\partial h_t} h_{t-1}^\top", model="d2l_linear")
    assert b.equation.lhs.den == Name("W_hh")
    text = str(b.equation.rhs)
    assert "Name(name='h', index=Idx(terms=(('t', 1),), const=0)" in text
    assert "Name(name='h', index=Idx(terms=(('t', 1),), const=-1)" in text


def test_latex_definition_and_free_index():
    b, _, _ = _bind(r"\frac{\partial L}{\partial h_t} = \delta_t",
                    [r"\delta_t = \frac{\partial \ell_t}{\partial h_t} + W^T "
                     r"\operatorname{diag}(\phi'(a_{t+1})) \delta_{t+1}",
                     r"\delta_T = \frac{\partial \ell_T}{\partial h_T}"])
    assert b.var == "t"
    d = b.definition("delta")
    assert d.var == "t" and d.fixed[0][0] == Idx.var("T")


@pytest.mark.parametrize("claim, where, message", [
    ("dL/dV = W", (), "has no parameter 'V'"),
    ("dL/dW = foo[t]", (), "undefined sequence 'foo[t]'"),
    ("dL/dW = Q", (), "its names: parameters W, U, b"),
    ("dL/dW = W[t]", (), "is a parameter, not a sequence"),
    ("dL/dW = h", (), "h is a sequence"),
    ("dL/dW = sum(t=1..T, h[i])", (), "'i' in 'h[i]' is not bound"),
    ("dL/dh[t] = dL/dh[s]", (), "not bound"),
    ("dh[t]/dh[s] = W", (), "two free indices"),
    ("W = W", (), "left side of a claim"),
    ("dL/dW = W", ("W[t] = h[t]",), "cannot redefine 'W'"),
    ("dL/dW = W", ("dL/dh[t] = h[t]",), "must be a new name"),
    ("dL/dW = g[1]", ("g[T] = 0",), None),
])
def test_binding_errors(claim, where, message):
    if message is None:
        _bind(claim, where)
        return
    with pytest.raises(ClaimError, match=re.escape(message)):
        _bind(claim, where)


def _sides(b, q, alg, env):
    lhs = evaluate(b.equation.lhs, q, alg, b, env)
    return lhs, as_array(evaluate(b.equation.rhs, q, alg, b, env), lhs, alg)


def test_boundary_value_wins_and_recursion_needs_one():
    b, q, alg = _bind("dL/dh[t] = g[t]", ["g[t] = dl[t]/dh[t] + W.T @ diag(phi'(a[t+1])) @ g[t+1]",
                                         "g[T+1] = 0"])
    for env in indices(b, 3):
        _sides(b, q, alg, env)
    b, q, alg = _bind("dL/dh[t] = g[t]", ["g[t] = dl[t]/dh[t] + W.T @ g[t+1]"])
    with pytest.raises(ClaimError, match="recurses without a boundary value"):
        _sides(b, q, alg, {"T": 3, "t": 1})
    b, q, alg = _bind("dL/dh[t] = g[t]", ["g[t] = g[t] + 1"])
    with pytest.raises(ClaimError, match="defined from itself"):
        _sides(b, q, alg, {"T": 3, "t": 1})


def test_shape_errors_name_both_shapes():
    b, q, alg = _bind("dL/dU = sum(t=1..T, diag(phi_prime(a[t])) @ dL/dh[t] @ x[t])")
    with pytest.raises(ShapeError, match=r"\(3×1\) by x\[t\] \(2×1\)"):
        _sides(b, q, alg, {"T": 3})
    b, q, alg = _bind("dL/dU = sum(t=1..T, diag(phi_prime(a[t])) @ dL/dh[t])")
    with pytest.raises(ShapeError, match="right side is 3×1, the left side 3×2"):
        _sides(b, q, alg, {"T": 3})


def test_identity_zero_and_constants_take_the_shape_they_meet():
    b, q, alg = _bind("dh[t]/dh[t-1] = I @ (diag(phi_prime(a[t])) @ W) + 0", model="elman")
    for env in indices(b, 3):
        lhs, rhs = _sides(b, q, alg, env)
        assert lhs.shape == rhs.shape == (3, 3)
    assert [e["t"] for e in indices(b, 3)] == [2, 3]      # h[0] is not a step


def test_row_layout_makes_scalar_by_vector_a_row():
    b, q, alg = _bind("dL/dh[t] = dl[t]/dh[t] + dL/dh[t+1] @ dh[t+1]/dh[t]", row=True,
                      model="linear_half_square")
    lhs, rhs = _sides(b, q, alg, {"T": 3, "t": 1})
    assert lhs.shape == rhs.shape == (1, 3)


def test_numeric_and_exact_values_agree():
    b, q, alg = _bind("dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ dL/dh[t] @ h[t-1].T)")
    nq = NumericQuantities(q, 1)
    nalg = numeric_algebra(activation_of(q.spec, None))
    exact = evaluate(b.equation.rhs, q, alg, b, {"T": 3})
    floats = evaluate(b.equation.rhs, nq, nalg, b, {"T": 3})
    # the state symbols take the values their steps give them at the point
    point = {s: nq.value_of(s) for s in q.symbols}
    for e, f in zip(exact.flat, floats.flat):
        assert abs(float(q.inline(e).subs(point)) - f) < 1e-12


def test_phi_only_where_the_model_has_one():
    spec = get_model("gru")
    assert activation_of(spec, None) is None
    q = Quantities(spec, cell_for(spec), 1, Dims(2, 2, 2), SYMENGINE)
    ns = namespace(q)
    bnd = bind(parse_equation("dL/db_z = phi(b_z)"), (), ns)
    with pytest.raises(ClaimError, match="no single activation phi"):
        evaluate(bnd.equation.rhs, q, symbolic_algebra(SYMENGINE, None), bnd, {"T": 1})


def _value(claim_rhs, model="scalar_linear", T=2):
    """The right side of `dL/dW_hh = claim_rhs` at T, exactly."""
    b, q, alg = _bind(f"dL/dW_hh = {claim_rhs}", model=model)
    q = Quantities(q.spec, q.cell, T, q.dims, q.be)
    return evaluate(b.equation.rhs, q, alg, b, {"T": T})


# issue 14 (3): the powers of a number are numbers, for every whole exponent
def test_powers_of_a_scalar_are_numbers():
    one = _value("W_hh^0 * W_hh^0")
    assert one.shape == (1, 1) and one[0, 0] == 1
    inverse = _value("W_hh^(-2) * W_hh^2")
    assert SYMENGINE.expand(inverse[0, 0]) == 1
    assert _value("W_hh^3^2")[0, 0] == _value("W_hh^9")[0, 0] != _value("(W_hh^3)^2")[0, 0]


def test_a_negative_power_of_a_matrix_is_refused():
    b, q, alg = _bind("dL/dW = W^(-1)")
    with pytest.raises(ClaimError, match="negative power of a matrix"):
        evaluate(b.equation.rhs, q, alg, b, {"T": 3})


# --------------------------------------------------------------------------- issue 18

@pytest.mark.parametrize("claim, message", [
    ("dL/dW = W^999999999", "a power of 999999999 is too large"),
    ("dL/dW = sum(i=1..999999999, W)", "too long to evaluate"),
    ("dL/dW = sum(i=1..200, sum(j=1..200, W))", "40000 terms in all are too many"),
])
def test_a_claim_too_big_to_evaluate_is_refused_in_a_line(capsys, claim, message):
    """W^999999999 and a 200 x 200 nested sum ran for minutes; a product over 100000 steps
    crashed the interpreter. Each is now one line and exit 2, at once."""
    import symbptt
    from symbptt.errors import SymbpttError
    with pytest.raises(SymbpttError, match=message):
        symbptt.check("elman", claim)
