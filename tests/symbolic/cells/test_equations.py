"""Each zoo model's cell written as equations of the formula language (beside its rule
table, symbolic/cells) defines the same step as the rule table: every named quantity of
two unrolled steps and every step loss are equal exactly. symbptt derive reads these
equations, never the rules; this is what makes its formulas the zoo's."""
from __future__ import annotations

from dataclasses import replace

import pytest

from symbptt.formula.parse import parse_equation
from symbptt.model.program import Source, compile_cell
from symbptt.model.spec import Dims
from symbptt.model.zoo import names, zoo_model
from symbptt.symbolic.backend import SYMPY
from symbptt.symbolic.cells import cell_for, equations_for
from symbptt.symbolic.cells.interpret import interpreted_cell
from symbptt.symbolic.linalg import tree_entries
from symbptt.symbolic.unroll import unroll
from symbptt.symbolic.zero import equal

WITH_EQUATIONS = [m for m in names() if equations_for(m) is not None]
CASES = [(m, None) for m in WITH_EQUATIONS if m != "elman"] + \
    [("elman", a) for a in ("tanh", "sigmoid", "identity")]


def _program(name: str, activation: str | None):
    spec, eqs = zoo_model(name), equations_for(name)
    phi = {"tanh": "tanh(a[t])", "sigmoid": "sigmoid(a[t])", "identity": "a[t]"}
    texts = [e.replace("phi(a[t])", phi[activation]) if activation else e
             for e in eqs.equations]
    shapes = {p.name: tuple(p.shape) for p in spec.params}
    state = ("n",) if "n" in spec.dims_used else ()
    return compile_cell(shapes, tuple(spec.input_shape), spec.target_shape and
                        tuple(spec.target_shape), state,
                        tuple(parse_equation(t) for t in texts), parse_equation(eqs.loss),
                        eqs.mean, Source("zoo"))


def _flat(v) -> list:
    return [e for _, e in tree_entries(v)] if isinstance(v, tuple) else [v]


@pytest.mark.parametrize("name,activation", CASES)
def test_the_equations_define_the_rule_tables_step(name, activation):
    spec = zoo_model(name)
    program = _program(name, activation)
    dims = Dims(2, 2, 3)
    rules = unroll(spec, cell_for(spec, activation), 2, dims, SYMPY)
    written = unroll(replace(spec, program=program), interpreted_cell(program, name), 2, dims,
                     SYMPY)
    assert rules.symbols == written.symbols
    for a, b in zip(rules.steps, written.steps):
        for q in program.sequences:
            assert q in a.vals, f"{name}: the rules do not name {q}"
            for u, v in zip(_flat(a.vals[q]), _flat(b.vals[q]), strict=True):
                assert equal(SYMPY, u, v), f"{name}: {q}[{a.t}] differs"
    for u, v in zip(rules.losses, written.losses, strict=True):
        assert equal(SYMPY, u, v), f"{name}: a step loss differs"


def test_a_wrong_equation_is_seen():
    """The comparison is not vacuous: h[t-1] for h[t] in elman's equation is caught."""
    spec = zoo_model("elman")
    shapes = {p.name: tuple(p.shape) for p in spec.params}
    program = compile_cell(shapes, ("d",), ("n",), ("n",),
                           (parse_equation("a[t] = W @ h[t-1] + U @ x[t]"),
                            parse_equation("h[t] = tanh(a[t])")),
                           parse_equation(equations_for("elman").loss), False, Source("zoo"))
    rules = unroll(spec, cell_for(spec, "tanh"), 2, Dims(2, 2, 2), SYMPY)
    written = unroll(replace(spec, program=program), interpreted_cell(program, "elman"), 2,
                     Dims(2, 2, 2), SYMPY)
    assert not all(equal(SYMPY, u, v) for u, v in zip(rules.losses, written.losses))


def test_every_zoo_model_but_two_has_equations():
    assert set(names()) - set(WITH_EQUATIONS) == {"attention", "generic"}
