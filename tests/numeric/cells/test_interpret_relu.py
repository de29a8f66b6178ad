"""relu'(0) = 0 (and leaky_relu'(0) = its slope), PyTorch's convention, everywhere a number
is computed: at a point where pre-activations are exactly 0, the numeric engine
(symbptt/numeric/cells/interpret.py), the lambdified symbolic forms, the exact gradient
(grad) and torch autograd give the same gradient, and the other convention (relu'(0) = 1)
would give another."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import symbptt
from symbptt.model.modelfile import load
from symbptt.model.spec import Dims
from symbptt.numeric import engine
from symbptt.numeric.cells import cell_for
from symbptt.numeric.cells.interpret import FORWARD, _leaky_relu, _leaky_slope, _vjp_rule

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"
DIMS = Dims(2, 2, 2)
H = Fraction(1, 2)
# a_1 = U x_1 + b = (1, 0) and a_2 = W h_1 + U x_2 + b = (0, 5/2): a zero at each step
POINT = {
    "W": [[H, Fraction(-1)], [Fraction(1), Fraction(1, 4)]],
    "U": [[Fraction(1), Fraction(0)], [Fraction(0), Fraction(1)]],
    "b": [Fraction(0), Fraction(1)],
    "V": [[Fraction(1), Fraction(0)], [Fraction(0), Fraction(1)]],
    "c": [Fraction(0), Fraction(0)],
}
X = [[Fraction(1), Fraction(-1)], [-H, H]]
Y = [[Fraction(0), Fraction(1)], [Fraction(1), Fraction(1)]]


def spec_of(name):
    return load(str(MODELS / f"{name}.toml")).spec


def arrays(spec):
    P = {p.name: np.array(POINT[p.name], dtype=float) for p in spec.params}
    return P, np.array([X], dtype=float), np.array([Y], dtype=float)


def test_the_rules_at_zero():
    a = np.array([[[-1.0], [0.0], [2.0]]])
    np.testing.assert_array_equal(FORWARD["relu"](a), [[[0.0], [0.0], [2.0]]])
    (g,) = _vjp_rule("relu", np.ones_like(a), FORWARD["relu"](a), [a])
    np.testing.assert_array_equal(g, [[[0.0], [0.0], [1.0]]])            # relu'(0) = 0
    np.testing.assert_array_equal(_leaky_relu(a, 0.1), [[[-0.1], [0.0], [2.0]]])
    np.testing.assert_array_equal(_leaky_slope(a, 0.1), [[[0.1], [0.1], [1.0]]])


@pytest.mark.parametrize("name", ["relu_rnn", "leaky_relu_rnn"])
def test_the_point_is_at_the_kink(name):
    spec = spec_of(name)
    P, Xa, _ = arrays(spec)
    steps = engine.forward(cell_for(spec), P, Xa)
    a = [st.cache["a"][0] for st in steps]
    assert a[0][1] == 0.0 and a[1][0] == 0.0


def exact(spec):
    from symbptt.symbolic.evaluate import evaluate, fraction
    values = {"params": {p.name: POINT[p.name] for p in spec.params}, "inputs": X,
              "targets": Y}
    report = evaluate(spec, 2, values, DIMS)
    assert report.agree
    return {p: np.array([[float(fraction(v)) for v in row] if isinstance(row, list)
                         else float(fraction(row)) for row in rows])
            for p, rows in report.grads["direct"].items()}


def lambdified(spec, P, Xa, Ya):
    from symbptt.symbolic.lambdify import compile_model, gradients
    grads, gx = gradients(compile_model(spec, None, 2, DIMS), "recursive", P, Xa, Ya)
    return {**grads, "x": gx[0]}


@pytest.mark.parametrize("name", ["relu_rnn", "leaky_relu_rnn"])
def test_engine_lambdify_and_exact_agree_at_the_kink(name):
    spec = spec_of(name)
    P, Xa, Ya = arrays(spec)
    g = engine.full(cell_for(spec), P, Xa, Ya)
    ref = exact(spec)
    lam = lambdified(spec, P, Xa, Ya)
    for p in P:
        np.testing.assert_allclose(g.params[p], ref[p], rtol=0, atol=1e-15, err_msg=p)
        np.testing.assert_allclose(lam[p], ref[p], rtol=0, atol=1e-15, err_msg=p)
    np.testing.assert_allclose(g.inputs[0], ref["x"], rtol=0, atol=1e-15)


def torch_grads(torch, spec, P, Xa, Ya, act):
    Pt = {k: torch.tensor(v, requires_grad=True) for k, v in P.items()}
    h = torch.zeros(1, 2, dtype=torch.float64)
    loss = torch.zeros((), dtype=torch.float64)
    for t in range(Xa.shape[1]):
        x = torch.tensor(Xa[:, t])
        h = act(h @ Pt["W"].T + x @ Pt["U"].T + Pt["b"])
        out = h @ Pt["V"].T + Pt["c"] if "V" in Pt else h
        loss = loss + 0.5 * ((out - torch.tensor(Ya[:, t])) ** 2).sum()
    loss.backward()
    return {k: v.grad.numpy() for k, v in Pt.items()}


@pytest.mark.parametrize("name", ["relu_rnn", "leaky_relu_rnn"])
def test_torch_autograd_agrees_at_the_kink(name):
    torch = pytest.importorskip("torch")
    spec = spec_of(name)
    P, Xa, Ya = arrays(spec)
    act = torch.relu if name == "relu_rnn" else \
        (lambda a: torch.nn.functional.leaky_relu(a, 0.1))
    ref = torch_grads(torch, spec, P, Xa, Ya, act)
    g = engine.full(cell_for(spec), P, Xa, Ya)
    for p in P:
        np.testing.assert_allclose(g.params[p], ref[p], rtol=0, atol=1e-15, err_msg=p)
    # relu'(0) = 1 instead (a >= 0 takes the identity's branch): another gradient here
    slope = 0.0 if name == "relu_rnn" else 0.1
    other = torch_grads(torch, spec, P, Xa, Ya, lambda a: torch.where(a >= 0, a, slope * a))
    assert any(not np.allclose(ref[p], other[p]) for p in P)
