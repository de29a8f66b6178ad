"""derive/algebra.py: sums of matrix products in the notes' form."""
from __future__ import annotations

from fractions import Fraction

from symbptt.derive import algebra as al
from symbptt.formula.parse import parse_expression
from symbptt.formula.tree import Name, show

W = al.of(Name("W"), ("n", "n"))
g = al.of(parse_expression("dL/dh[t]"), ("n",))
h = parse_expression("h[t]")


def test_a_transpose_reverses_a_product_and_reaches_the_leaves():
    e = al.transpose(al.matmul(W, al.matmul(al.diag(h), g)))
    assert show(al.tree(e)) == "(dL/dh[t]).T @ diag(h[t]) @ W.T"


def test_like_terms_add_up_and_cancel():
    e = al.add(al.matmul(W, g), al.matmul(W, g))
    assert show(al.tree(e)) == "2 * (W @ dL/dh[t])"
    assert al.add(al.matmul(W, g), al.neg(al.matmul(W, g))) == ()


def test_a_lone_elementwise_product_reads_as_the_notes_write_it():
    assert show(al.tree(al.matmul(al.diag(h), g))) == "h[t] * dL/dh[t]"
    assert show(al.tree(al.matmul(al.transpose(W), al.matmul(al.diag(h), g)))) \
        == "W.T @ diag(h[t]) @ dL/dh[t]"


def test_neighbouring_diagonals_merge_and_an_inverse_cancels():
    f = parse_expression("f[t]")
    e = al.matmul(al.transpose(W), al.matmul(al.diag(h), al.matmul(al.diag(f), g)))
    assert show(al.tree(e)) == "W.T @ diag(h[t] * f[t]) @ dL/dh[t]"
    assert al.matmul(al.diag(h), al.matmul(al.diag(h, inverse=True), g)) == g


def test_terms_alike_but_for_one_diagonal_are_collected():
    hp, ht = parse_expression("h[t-1]"), parse_expression("htilde[t]")
    e = al.add(al.neg(al.matmul(al.diag(hp), g)), al.matmul(al.diag(ht), g))
    assert show(al.tree(e)) == "(htilde[t] - h[t-1]) * dL/dh[t]"


def test_a_common_denominator_and_coefficient_come_out():
    o, y = al.of(parse_expression("o[t]"), ("q",)), al.of(parse_expression("y[t]"), ("q",))
    e = al.over(al.add(o, al.neg(y)), Name("T"))
    assert show(al.tree(e)) == "(o[t] - y[t]) / T"
    assert show(al.tree(al.scale(al.add(o, al.neg(y)), Fraction(2)))) == "2 * (o[t] - y[t])"


def test_a_shift_moves_every_time_index():
    e = al.shifted(al.matmul(al.diag(h), g), "t", 1)
    assert show(al.tree(e)) == "h[t+1] * dL/dh[t+1]"
