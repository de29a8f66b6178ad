"""derive/rules.py: one reverse-mode rule per operation, at matrix level."""
from __future__ import annotations

import pytest

from symbptt.derive import algebra as al
from symbptt.derive.rules import DeriveError, Shapes, back
from symbptt.formula.parse import parse_expression
from symbptt.formula.tree import show

SHAPES = Shapes({"W": ("n", "n"), "U": ("n", "d"), "b": ("n",), "w": ()},
                {"x": ("d",), "h": ("n",), "a": ("n",), "y": ("n",)})
G = al.of(parse_expression("G"), ("n",))


def _back(text: str, value=None) -> dict:
    out: dict = {}
    back(SHAPES, parse_expression(text), G, out, value and parse_expression(value))
    return {k: show(al.tree(e)) for k, (_, e) in out.items()}


def test_a_matrix_product_sends_g_x_T_and_W_T_g():
    got = _back("W @ h[t-1] + U @ x[t] + b")
    assert got == {"W": "G @ h[t-1].T", "h[t-1]": "W.T @ G", "U": "G @ x[t].T",
                   "x[t]": "U.T @ G", "b": "G"}


def test_tanh_and_sigmoid_are_written_from_their_named_output():
    assert _back("tanh(a[t])", "h[t]") == {"a[t]": "(1 - h[t] * h[t]) * G"}
    assert _back("sigmoid(a[t])", "h[t]") == {"a[t]": "h[t] * (1 - h[t]) * G"}
    assert _back("tanh(a[t])") == {"a[t]": "tanh_prime(a[t]) * G"}


def test_an_elementwise_product_and_a_scalar_factor():
    assert _back("(1 - a[t]) * h[t-1]") == {"a[t]": "-(h[t-1] * G)",
                                             "h[t-1]": "(1 - a[t]) * G"}
    assert _back("w * h[t-1]") == {"h[t-1]": "w * G", "w": "h[t-1].T @ G"}


def test_an_operation_without_a_rule_is_bad_input():
    with pytest.raises(DeriveError, match="no rule"):
        _back("diag(h[t]) @ W @ h[t-1] + diag(b)")
