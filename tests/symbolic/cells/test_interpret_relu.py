"""The symbolic interpreter's relu and leaky_relu (symbptt/symbolic/cells/interpret.py):
forward relu(a) = s a, VJP g s with the forward's own slope atom s. The relu examples are
proven unrolled at T = 3 and inductively, through the CLI too; a VJP that forgets the
slope (or uses the wrong leaky slope) is refused by both certificates, with a point of
small rationals where the two forms differ."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import symbptt
from symbptt.model.modelfile import load
from symbptt.model.spec import Dims
from symbptt.symbolic.backend import SYMENGINE, SYMPY
from symbptt.symbolic.cells import cell_for, interpret
from symbptt.symbolic.certificate import prove
from symbptt.symbolic.inductive import prove_inductive
from symbptt.symbolic.relu import is_step

from ...cli_helpers import run

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"
SMALL = Dims(2, 2, 2)


def spec_of(name):
    return load(str(MODELS / f"{name}.toml")).spec


@pytest.mark.parametrize("be", [SYMPY, SYMENGINE], ids=["sympy", "symengine"])
def test_the_step_holds_the_relu_as_its_slope_times_its_argument(be):
    spec = spec_of("relu_rnn")
    cell = cell_for(spec)
    W = tuple(tuple(be.symbol(f"W[{i},{j}]") for j in range(2)) for i in range(2))
    U = tuple(tuple(be.symbol(f"U[{i},{j}]") for j in range(2)) for i in range(2))
    b = tuple(be.symbol(f"b[{i}]") for i in range(2))
    x = tuple(be.symbol(f"x[{i}]") for i in range(2))
    zero = be.number(Fraction(0))
    vals, s = cell.step(be, {"W": W, "U": U, "b": b}, (zero, zero), x)
    a = vals["a"]
    for h, ai in zip(s, a):
        assert be.expand(h - be.step(ai) * ai) == 0
    assert any(is_step(f) for f in s[0].args)


@pytest.mark.parametrize("name", ["relu_rnn", "leaky_relu_rnn"])
def test_proven_unrolled_at_T_3_and_inductively(name):
    spec = spec_of(name)
    unrolled = prove(spec, 3, SMALL, None)
    assert unrolled.proven, unrolled.failures[:2]
    inductive = prove_inductive(spec, SMALL, None)
    assert inductive.proven, inductive.failures[:2]


def test_the_cli_proves_the_relu_example(capsys):
    path = MODELS / "relu_rnn.toml"
    for kind in (["--T", "3"], ["--kind", "inductive"]):
        code, out, err = run(capsys, ["prove", path, *kind])
        assert code == 0 and err == "", out + err
        assert "PROVEN" in out and "NOT PROVEN" not in out


# --------------------------------------------------------------------------- wrong rules

@pytest.fixture
def relu_without_its_slope(monkeypatch):
    """relu's VJP as g instead of g * 1[a > 0]: the dead units' gradient let through."""
    right = interpret._Run.rule

    def wrong(self, op, g, y):
        if op.kind == "call" and op.name in ("relu", "leaky_relu"):
            return [(op.args[0], g)]
        return right(self, op, g, y)
    monkeypatch.setattr(interpret._Run, "rule", wrong)


@pytest.fixture
def leaky_with_the_slope_at_zero_above(monkeypatch):
    """leaky_relu's VJP as g * (1 - (1 - l) s): slope l above 0 and 1 below, swapped."""
    right = interpret._Run.rule

    def wrong(self, op, g, y):
        if op.kind == "call" and op.name == "leaky_relu":
            l = self.be.number(op.value)
            a = self.val[op.args[0]]
            return [(op.args[0], tuple(gi * (1 - (1 - l) * self.be.step(ai))
                                       for gi, ai in zip(g, a)))]
        return right(self, op, g, y)
    monkeypatch.setattr(interpret._Run, "rule", wrong)


def _refused(cert):
    assert not cert.proven and cert.failures
    f = cert.failures[0]
    if f.counterexample.point:                       # the two forms differ there
        assert f.counterexample.expected != f.counterexample.got


@pytest.mark.parametrize("name", ["relu_rnn", "leaky_relu_rnn"])
def test_a_vjp_that_forgets_the_slope_is_refused(relu_without_its_slope, name):
    _refused(prove(spec_of(name), 2, SMALL, None))
    _refused(prove_inductive(spec_of(name), SMALL, None))


def test_a_leaky_vjp_with_its_slopes_swapped_is_refused(leaky_with_the_slope_at_zero_above):
    _refused(prove(spec_of("leaky_relu_rnn"), 2, SMALL, None))
    _refused(prove_inductive(spec_of("leaky_relu_rnn"), SMALL, None))
