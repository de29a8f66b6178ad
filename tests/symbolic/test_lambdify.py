"""The symbolic forms as NumPy callables: built once per (model, activation, T, dims)."""
from __future__ import annotations

import numpy as np

from symbptt.numeric import data, engine
from symbptt.numeric.cells import cell_for
from symbptt.spec import Dims
from symbptt.symbolic import lambdify
from symbptt.zoo import get_model


def test_compiled_once_and_reused():
    a = lambdify.compile_model("elman", "tanh", 3, Dims(3, 2))
    b = lambdify.compile_model("elman", "tanh", 3, Dims(3, 2))
    assert a is b


def test_every_form_matches_the_engine_at_T8():
    # T = 8 compiles in seconds: the forms go through SymEngine's cse, not SymPy's
    dims = Dims(3, 2)
    c = lambdify.compile_model("elman", "tanh", 8, dims)
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
