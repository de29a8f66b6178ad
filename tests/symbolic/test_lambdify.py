"""The symbolic forms as NumPy callables: built once per (model, activation, T, dims)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import symengine as se

from symbptt.api import load_model

from symbptt.numeric import data, engine
from symbptt.numeric.cells import cell_for
from symbptt.model.spec import Dims
from symbptt.symbolic import lambdify
from symbptt.model.registry import get_model


def test_compiled_once_and_reused():
    a = lambdify.compile_model(get_model("elman"), "tanh", 3, Dims(3, 2))
    b = lambdify.compile_model(get_model("elman"), "tanh", 3, Dims(3, 2))
    assert a is b


def test_every_form_matches_the_engine_at_T8():
    # T = 8 compiles in seconds: the forms go through SymEngine's cse, not SymPy's
    dims = Dims(3, 2)
    c = lambdify.compile_model(get_model("elman"), "tanh", 8, dims)
    pr = data.draw(get_model("elman"), 8, dims, seed=4, batch=3)
    ref = engine.full(cell_for("elman", "tanh"), pr.params, pr.X, pr.Y)
    assert abs(lambdify.loss(c, pr.params, pr.X, pr.Y) - ref.loss) < 1e-10 * abs(ref.loss)
    for form in lambdify.FORMS:
        grads, gx = lambdify.gradients(c, form, pr.params, pr.X, pr.Y)
        for name, g in grads.items():
            assert np.allclose(g, ref.params[name], rtol=1e-10, atol=1e-12), (form, name)
        assert np.allclose(gx, ref.inputs, rtol=1e-10, atol=1e-12), form


def test_identifiers_are_one_to_one():
    assert lambdify.identifier("W[0,1]") == "W__0_1"
    assert lambdify.identifier("x_2[1]") == "x_2__1"
    assert lambdify.identifier("W_hh") == "W_hh"


# ---- a stable softmax (issue 14, item 5) --------------------------------------------------
# The engine shifts each softmax row by its largest logit; the lambdified forms evaluate
# the same exact formulas, each exp(arg) written exp(arg - d m_r) times factors exp(m_r)
# that cancel (a softmax is homogeneous of degree 0 in its row's exps).

MODELS = Path(__file__).parent.parent / "models"


def _assert_forms_match_engine(spec, c, P, X, Y, rtol=1e-12):
    ref = engine.full(cell_for(spec), P, X, Y)
    assert np.isfinite(ref.loss)
    assert abs(lambdify.loss(c, P, X, Y) - ref.loss) <= rtol * abs(ref.loss)
    scale = max(float(np.max(np.abs(v))) for v in ref.params.values())
    for form in lambdify.FORMS:
        grads, gx = lambdify.gradients(c, form, P, X, Y)
        for name, g in grads.items():
            np.testing.assert_allclose(g, ref.params[name], rtol=rtol, atol=rtol * scale,
                                       err_msg=f"{form} {name}")
        if ref.inputs is not None:
            np.testing.assert_allclose(gx, ref.inputs, rtol=rtol, atol=rtol * scale,
                                       err_msg=f"{form} x")


def test_a_model_file_softmax_past_354_matches_the_engine():
    # softmax(60 V h_t) with V eight times the drawn one: logits up to about 480, where
    # exp(o)^2 overflows. The naive direct form was off by 157 (gradient scale 730).
    spec = load_model(str(MODELS / "softmax_readout_60.toml"))
    dims = Dims(3, 2, 4)
    pr = data.draw(spec, 3, dims, seed=1, batch=2)
    P = {**pr.params, "V": pr.params["V"] * 8}
    c = lambdify.compile_model(spec, None, 3, dims)
    _assert_forms_match_engine(spec, c, P, pr.X, pr.Y)


def test_zoo_softmaxes_past_709_match_the_engine():
    # elman_softmax's logits near 800 (exp overflows) and attention's scores past 1000:
    # every naive form gave NaN, loss included
    spec = get_model("elman_softmax")
    dims = Dims(3, 2, 4)
    pr = data.draw(spec, 3, dims, seed=1, batch=3)
    P = {**pr.params, "b_y": np.array([800.0, 790.0, -5.0, 0.0]), "W_hy": pr.params["W_hy"] * 20}
    _assert_forms_match_engine(spec, lambdify.compile_model(spec, None, 3, dims), P, pr.X, pr.Y)

    spec = get_model("attention")
    dims = Dims(2, 3, 2)
    pr = data.draw(spec, 3, dims, seed=1, batch=3)
    P = {**pr.params, "W_a": pr.params["W_a"] * 5000}
    _assert_forms_match_engine(spec, lambdify.compile_model(spec, None, 3, dims), P, pr.X, pr.Y)


def test_the_loss_is_a_log_sum_exp():
    # V thirty times the drawn one: logit gaps past 745, so a probability underflows to 0
    # and the naive log(softmax) is log(0) (the loss was NaN). Here: a stable
    # log-softmax written out by hand.
    spec = load_model(str(MODELS / "softmax_readout_60.toml"))
    dims = Dims(3, 2, 4)
    pr = data.draw(spec, 3, dims, seed=1, batch=2)
    P = {**pr.params, "V": pr.params["V"] * 30}
    expected = 0.0
    for st in engine.forward(cell_for(spec), P, pr.X):
        o = 60 * st.s[0] @ P["V"].T                                   # (B, q)
        m = o.max(axis=1, keepdims=True)
        log_p = o - m - np.log(np.exp(o - m).sum(axis=1, keepdims=True))
        assert log_p.min() < -745                         # some probability underflows
        expected -= float(np.sum(pr.Y[:, st.t - 1] * log_p))
    c = lambdify.compile_model(spec, None, 3, dims)
    assert lambdify.loss(c, P, pr.X, pr.Y) == pytest.approx(expected, rel=1e-12)


def test_forms_without_a_softmax_are_left_as_they_are():
    e = se.tanh(se.Symbol("a")) * se.exp(se.Symbol("b")) + 1
    assert lambdify.stable([e]) == [e]              # one exp: no softmax row, nothing to do
