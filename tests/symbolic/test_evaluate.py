"""grad: exact values of the loss and of the gradient in all three forms."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symbptt
from symbptt.model import values
from symbptt.model.spec import Dims
from symbptt.api import load_model
from symbptt.symbolic import recursive
from symbptt.symbolic.activations import sigmoid
from symbptt.symbolic.evaluate import DIFFERENT, EQUAL, UNDECIDED, compare, evaluate, fraction
from symbptt.model.registry import get_model

from ..cli_helpers import run

EXAMPLES = Path(symbptt.__file__).parent / "examples"


def test_seed004_worked_example_exactly():
    # seed 004 (004_62ba402ad1754453.txt): x = [1, 2], W_xh = 0.5, W_hh = 1.5, W_hy = 1.0,
    # y = [2, 5]: L = 12.8125, dL/dW_hy = -12.875, dL/dW_hh = -3.25, dL/dh_2 = -6.5,
    # dL/dh_1 = -12.75. The seed does not give dL/dW_xh: it is -103/4 = -25.75
    # (dL/dh_1 x_1 + dL/dh_2 x_2 = -12.75 - 13).
    spec = get_model("scalar_linear")
    vals, dims = values.load(str(EXAMPLES / "seed004.json"), spec, 2)
    r = evaluate(spec, 2, vals, dims)
    assert r.agree
    assert fraction(r.loss) == Fraction(205, 16)
    for form in ("direct", "recursive", "closed_form"):
        g = r.grads[form]
        assert fraction(g["W_hy"]) == Fraction(-103, 8)
        assert fraction(g["W_hh"]) == Fraction(-13, 4)
        assert fraction(g["W_xh"]) == Fraction(-103, 4)
    for form in ("recursive", "closed_form"):
        assert fraction(r.deltas[form]["dL/dh_2"][0]) == Fraction(-13, 2)
        assert fraction(r.deltas[form]["dL/dh_1"][0]) == Fraction(-51, 4)
    assert [fraction(v[0]) for v in r.states.values()] == [Fraction(1, 2), Fraction(7, 4)]


def test_nonlinear_values_are_exact_expressions_with_a_float():
    spec = get_model("elman")
    vals = {"params": {"W": [[Fraction(1, 2), Fraction(-1)], [Fraction(1, 3), Fraction(0)]],
                       "U": [[Fraction(1)], [Fraction(2)]], "b": [Fraction(0), Fraction(1, 4)]},
            "inputs": [[Fraction(1)], [Fraction(-1)]],
            "targets": [[Fraction(0), Fraction(1)], [Fraction(1, 2), Fraction(0)]]}
    r = evaluate(spec, 2, vals, Dims(2, 1))
    assert r.agree
    v = r.grads["direct"]["W"][0][0]
    assert "tanh" in v.exact
    assert float(sp.N(sp.sympify(v.exact), 30)) == pytest.approx(v.approx, rel=1e-15)
    assert r.grads["direct"]["W"][0][0].approx == pytest.approx(
        r.grads["recursive"]["W"][0][0].approx, rel=1e-14)


def test_softmax_values_one_hot_targets():
    spec = get_model("elman_softmax")
    h = Fraction(1, 2)
    vals = {"params": {"W_xh": [[h], [-h]], "W_hh": [[h, 0], [0, h]], "b_h": [0, h],
                       "W_hy": [[1, 0], [0, 1], [h, h]], "b_y": [0, 0, h]},
            "inputs": [[1], [2]], "targets": [[1, 0, 0], [0, 0, 1]]}
    vals = {k: v if k != "params" else {n: _frac(a) for n, a in v.items()} for k, v in vals.items()}
    vals["inputs"] = _frac(vals["inputs"])
    vals["targets"] = _frac(vals["targets"])
    r = evaluate(spec, 2, vals, Dims(2, 1, 3))
    assert r.agree


def _frac(a):
    return [_frac(x) for x in a] if isinstance(a, list) else Fraction(a)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.fractions(min_value=-3, max_value=3, max_denominator=7), min_size=7,
                max_size=7))
def test_three_forms_agree_exactly_at_any_rational_point(v):
    spec = get_model("d2l_linear")
    vals = {"params": {"W_hx": [[v[0]], [v[1]]], "W_hh": [[v[2], v[3]], [v[4], v[5]]],
                       "W_qh": [[v[6], v[0]]]},
            "inputs": [[v[1]], [v[2]], [v[3]]], "targets": [[v[4]], [v[5]], [v[6]]]}
    r = evaluate(spec, 3, vals, Dims(2, 1, 1))
    assert r.agree
    assert all(isinstance(fraction(x), Fraction) for x in r.grads["direct"]["W_hh"][0])


# ---- exact comparison of the forms (issue 14, item 5) -------------------------------------

MODELS = Path(__file__).parent.parent / "models"


def test_forms_equal_over_a_common_denominator_agree():
    # h_t = tanh(...) / (1 + h_{t-1} . h_{t-1}): the forms' difference expands to terms
    # u / v - w / v, not to 0; comparing by expansion alone said FORMS DISAGREE (12 entries)
    spec = load_model(str(MODELS / "division.toml"))
    vals, dims = values.load(str(MODELS / "division.json"), spec, 2)
    r = evaluate(spec, 2, vals, dims)
    assert r.mismatches == () and r.undecided == ()
    assert r.agree


def test_grad_of_a_model_file_with_a_division(capsys):
    code, out, err = run(capsys, ["grad", MODELS / "division.toml", "--T", 2,
                                  "--values", MODELS / "division.json"])
    assert code == 0, (out, err)
    assert "agree exactly" in out and "DISAGREE" not in out


def test_compare_says_equal_only_with_a_proof_and_different_only_with_one():
    t, h = sp.tanh(sp.Rational(1, 3)), sp.tanh(sp.Rational(1, 2))
    s = sigmoid(sp.Rational(1, 3))
    assert compare(t / (1 + t), 1 - 1 / (1 + t)) == EQUAL           # a common denominator
    assert compare(s * (1 - s), s - s ** 2) == EQUAL                # a polynomial identity
    # 1e-40 apart: an interval enclosure of the difference excludes 0
    assert compare(t, t + sp.Rational(1, 10 ** 40)) == DIFFERENT
    assert compare(s, sigmoid(sp.Rational(1, 2))) == DIFFERENT
    # equal (tanh's double-angle formula), but no identity of independent atoms shows it:
    # neither "equal" nor "different"
    assert compare(sp.tanh(1), 2 * h / (1 + h ** 2)) == UNDECIDED


def test_a_real_mismatch_is_still_reported(monkeypatch):
    real = recursive.gradient

    def off(u):
        g = dict(real(u))
        g["W[0,0]"] = g["W[0,0]"] + sp.Rational(1, 10 ** 30)
        return g

    monkeypatch.setattr(recursive, "gradient", off)
    spec = load_model(str(MODELS / "division.toml"))
    vals, dims = values.load(str(MODELS / "division.json"), spec, 2)
    r = evaluate(spec, 2, vals, dims)
    assert not r.agree
    assert r.mismatches == ("recursive W[0,0]",) and r.undecided == ()
