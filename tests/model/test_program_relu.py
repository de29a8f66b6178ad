"""relu and leaky_relu in a cell's program (symbptt/model/program.py): an elementwise call
of its argument's shape, leaky_relu's exact slope on its operation, the degree a relu adds
(its slope atom times its argument), and bad uses in a model file refused in one line
with the file, line and column (exit 2)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import symbptt
from symbptt.model.modelfile import load
from symbptt.model.program import degree

from ..cli_helpers import assert_bad_input, run

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"

CELL = """[params]
W = "n x n"
U = "n x d"
b = "n"
[sequences]
x = "d"
y = "n"
[cell]
equations = [
  "h[t] = {rhs}",
]
loss = "l[t] = (h[t] - y[t]).T @ (h[t] - y[t]) / 2"
"""
ARG = "W @ h[t-1] + U @ x[t] + b"


def cell(tmp_path, rhs: str) -> str:
    path = tmp_path / "cell.toml"
    path.write_text(CELL.format(rhs=rhs), encoding="utf-8")
    return str(path)


def calls(program) -> list:
    return [op for op in program.ops if op.kind == "call"]


def test_relu_is_an_elementwise_call(tmp_path):
    prog = load(cell(tmp_path, f"relu({ARG})")).program
    (op,) = calls(prog)
    assert op.name == "relu" and op.shape == ("n",) and op.value is None


@pytest.mark.parametrize("rhs, slope", [(f"leaky_relu({ARG}, 0.1)", Fraction(1, 10)),
                                        (f"leaky_relu({ARG}, 1/3)", Fraction(1, 3)),
                                        (f"leaky_relu({ARG})", Fraction(1, 100))])
def test_leaky_relu_keeps_its_slope_on_the_operation(tmp_path, rhs, slope):
    (op,) = calls(load(cell(tmp_path, rhs)).program)
    assert op.name == "leaky_relu" and op.value == slope


def test_two_slopes_are_two_operations(tmp_path):
    prog = load(cell(tmp_path, f"leaky_relu({ARG}, 0.1) + leaky_relu({ARG}, 0.2)")).program
    assert sorted(op.value for op in calls(prog)) == [Fraction(1, 10), Fraction(1, 5)]


def test_a_relu_is_its_slope_atom_times_its_argument_in_degree(tmp_path):
    """tanh is an atom of degree 1 whatever its argument; relu(a) = s a is one more than a:
    h_1 = s (U x + b) is degree 3, and each step adds W's and s's degree."""
    tanh = load(cell(tmp_path, f"tanh({ARG})")).program
    relu = load(cell(tmp_path, f"relu({ARG})")).program
    assert [degree(tanh, T) for T in (1, 2, 5)] == [2, 2, 2]
    assert [degree(relu, T) for T in (1, 2, 5)] == [6, 10, 22]       # the loss: 4T + 2


def test_the_example_is_refused_past_degree_64_as_the_readme_says():
    prog = load(str(MODELS / "relu_rnn.toml")).program
    assert degree(prog, 15) == 62 and degree(prog, 16) == 66


@pytest.mark.parametrize("rhs, reason", [
    (f"relu({ARG}, 0.1)", "relu() takes one argument"),
    (f"leaky_relu({ARG}, alpha)", "leaky_relu's slope is a number such as 0.01 or 1/100"),
    (f"leaky_relu({ARG}, 2)", "leaky_relu's slope is a number between 0 and 1"),
    (f"relu_prime({ARG})", "relu_prime() has no place in a cell"),
])
def test_bad_uses_exit_2_in_one_line_with_the_place(capsys, tmp_path, rhs, reason):
    path = cell(tmp_path, rhs)
    code, out, err = run(capsys, ["prove", path, "--T", "2"])
    line = assert_bad_input(code, out, err, reason)
    assert f"{path}:10:" in line
