"""derive on the relu examples: relu' is an indicator, diag(relu_prime(a[t])), a leaky
ReLU's slope 0.1 + 0.9 relu_prime(a[t]); every formula proven by check; the convention
relu'(0) = 0 stated in the text and the LaTeX; the generated NumPy bptt agrees with the
engine at a point where pre-activations are exactly 0."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

import symbptt
from symbptt.derive.codegen import numpy_code
from symbptt.derive.derivation import derive_cell
from symbptt.derive.equations import cell_equations
from symbptt.derive.proof import derivation_latex, derive
from symbptt.derive.rules import _slope
from symbptt.derive.views import derivation_text
from symbptt.formula.parse import parse_expression
from symbptt.formula.tree import RELU_CONVENTION, show
from symbptt.model.modelfile import load
from symbptt.numeric import engine
from symbptt.numeric.cells import cell_for

from ..cli_helpers import run

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"


def spec_of(name):
    return load(str(MODELS / f"{name}.toml")).spec


def test_the_slope_rules():
    relu = parse_expression("relu(a[t])")
    assert show(_slope(relu, relu)) == "relu_prime(a[t])"
    leaky = parse_expression("leaky_relu(a[t], 0.1)")
    assert show(_slope(leaky, leaky)) == "0.1 + 0.9 * relu_prime(a[t])"
    third = parse_expression("leaky_relu(a[t], 1/3)")
    assert show(_slope(third, third)) == "1/3 + 2/3 * relu_prime(a[t])"


def test_relu_rnn_is_derived_and_proven():
    d = derive(spec_of("relu_rnn"))
    assert d.correct, [f.problem for f in d.formulas if f.verdict != "correct"]
    texts = {f.text for f in d.formulas}
    assert "dL/dh[t] = dl[t]/dh[t] + W.T @ diag(relu_prime(a[t+1])) @ dL/dh[t+1]" in texts
    assert "dL/dW = sum(t=1..T, diag(relu_prime(a[t])) @ dL/dh[t] @ h[t-1].T)" in texts
    assert "dh[t]/dh[t-1] = diag(relu_prime(a[t])) @ W" in texts
    text = derivation_text(d)
    assert f"  where {RELU_CONVENTION}" in text and "relu'(0) = 0" in text
    assert r"\operatorname{relu}'(0) = 0" in derivation_latex(d)


def test_leaky_relu_rnn_is_derived_and_proven():
    d = derive(spec_of("leaky_relu_rnn"))
    assert d.correct, [f.problem for f in d.formulas if f.verdict != "correct"]
    assert "dL/da[t] = (0.1 + 0.9 * relu_prime(a[t])) * dL/dh[t]" in {f.text for f in
                                                                       d.formulas}


def test_a_cell_without_relu_states_no_convention():
    d = derive(spec_of("indrnn"))
    assert RELU_CONVENTION not in derivation_text(d)
    assert "relu" not in derivation_latex(d)


def test_the_cli_prints_the_indicator(capsys):
    code, out, err = run(capsys, ["derive", MODELS / "relu_rnn.toml"])
    assert code == 0, err
    assert "diag(relu_prime(a[t]))" in out and "1[a > 0]" in out
    assert "NOT PROVEN" not in out


def test_the_generated_code_agrees_with_the_engine_at_the_kink():
    """a_1 = (1, 0), a_2 = (0, 5/2): the generated _relu_prime(0) is 0, as the engine's."""
    for name in ("relu_rnn", "leaky_relu_rnn"):
        spec = spec_of(name)
        ce = cell_equations(spec)
        space: dict = {}
        exec(compile(numpy_code(ce, derive_cell(ce), None), f"<bptt of {name}>", "exec"),
             space)
        P = {"W": np.array([[0.5, -1.0], [1.0, 0.25]]), "U": np.eye(2),
             "b": np.array([0.0, 1.0]), "V": np.eye(2), "c": np.zeros(2)}
        P = {p.name: P[p.name] for p in spec.params}
        X = np.array([[[1.0, -1.0], [-0.5, 0.5]]])
        Y = np.array([[[0.0, 1.0], [1.0, 1.0]]])
        loss, grads = space["bptt"](P, X, Y)
        g = engine.full(cell_for(spec), P, X, Y)
        assert loss == g.loss
        for p in P:
            np.testing.assert_allclose(grads[p], g.params[p], rtol=0, atol=1e-15)
        assert Fraction(float(space["_relu_prime"](np.array(0.0)))) == 0
