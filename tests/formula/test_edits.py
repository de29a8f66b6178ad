"""symbptt.formula.edits: the single edits tried to diagnose a wrong claim. Each kind in
KINDS appears where it should, edits of a definition carry its equation index and name
it, and no edit is a no-op or a duplicate. (Other edits may be listed too: the tests
ask for the ones that must be there, not for the whole list.)"""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings

from symbptt.formula.edits import KINDS, SCALES, Edit, single_edits
from symbptt.formula.parse import parse_equation, parse_expression
from symbptt.formula.tree import BinOp, Equation, Name, Neg, Num, Reduce, show

from .test_fuzz import equations

Q = parse_equation
E = parse_expression

CLAIM = "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ delta[t] @ h[t-1].T)"
DEFINITION = "delta[t] = dl[t]/dh[t] + W @ diag(phi_prime(a[t+1])) @ delta[t+1]"
BOUNDARY = "delta[T] = dl[T]/dh[T]"


def edits_of(*texts: str) -> tuple[tuple[Equation, ...], list[Edit]]:
    eqs = tuple(Q(t) for t in texts)
    return eqs, single_edits(eqs)


def rhs_after(edit: Edit):
    return edit.result[edit.equation].rhs


def results(edits, kind: str | None = None, equation: int = 0) -> list:
    """The right sides the edits of one kind make of one equation."""
    return [rhs_after(e) for e in edits
            if (kind is None or e.kind == kind) and e.equation == equation]


def has(edits, kind: str, rhs_text: str, equation: int = 0) -> bool:
    return E(rhs_text) in results(edits, kind, equation)


def test_kinds():
    assert KINDS == ("transpose", "index", "scale", "order", "drop")
    _, edits = edits_of(CLAIM, DEFINITION, BOUNDARY)
    assert {e.kind for e in edits} <= set(KINDS)
    assert {e.kind for e in edits} == set(KINDS)     # the seed claim exercises each kind


# ---------------------------------------------------------------- transpose

def test_transpose_removes_an_existing_transpose():
    _, edits = edits_of(CLAIM)
    assert has(edits, "transpose", "sum(t=1..T, diag(phi_prime(a[t])) @ delta[t] @ h[t-1])")
    text = [e.text for e in edits if e.kind == "transpose" and "by `h[t-1]`" in e.text]
    assert text == ["replace `h[t-1].T` by `h[t-1]`"]


def test_transpose_added_to_a_name():
    _, edits = edits_of("x = W @ h[t]")
    assert has(edits, "transpose", "W.T @ h[t]")
    assert has(edits, "transpose", "W @ h[t].T")
    assert "replace `W` by `W.T`" in [e.text for e in edits]


def test_transpose_added_to_calls_reductions_powers_and_derivatives():
    _, edits = edits_of("x = diag(v) + sum(t, x[t]) + W^2 + dL/dh[t]")
    for rhs in ("diag(v).T + sum(t, x[t]) + W^2 + dL/dh[t]",
                "diag(v) + sum(t, x[t]).T + W^2 + dL/dh[t]",
                "diag(v) + sum(t, x[t]) + (W^2).T + dL/dh[t]",
                "diag(v) + sum(t, x[t]) + W^2 + (dL/dh[t]).T"):
        assert has(edits, "transpose", rhs), rhs


def test_no_transpose_of_index_letters_identity_or_numbers():
    """T, t, i, j, k (scalars) and I (symmetric) are never transposed; nor are numbers."""
    _, edits = edits_of("x = T * t + I + 2")
    assert [e for e in edits if e.kind == "transpose"] == []


# ---------------------------------------------------------------- index

def test_index_shifts_a_name_both_ways():
    _, edits = edits_of("x = a[t+1]")
    assert has(edits, "index", "a[t]")
    assert has(edits, "index", "a[t+2]")
    assert {e.text for e in edits if e.kind == "index"} == {
        "replace `a[t+1]` by `a[t]`", "replace `a[t+1]` by `a[t+2]`"}


def test_index_shifts_each_name_of_a_derivative():
    _, edits = edits_of("x = dl[t]/dh[t]")
    got = results(edits, "index")
    for rhs in ("dl[t-1]/dh[t]", "dl[t+1]/dh[t]", "dl[t]/dh[t-1]", "dl[t]/dh[t+1]"):
        assert E(rhs) in got
    assert len(got) == 4


def test_index_shifts_a_sums_bounds():
    _, edits = edits_of(CLAIM)
    body = "diag(phi_prime(a[t])) @ delta[t] @ h[t-1].T"
    for lo, hi in (("0", "T"), ("2", "T"), ("1", "T-1"), ("1", "T+1")):
        assert has(edits, "index", f"sum(t={lo}..{hi}, {body})"), (lo, hi)
    assert "let sum(t=...) run from 1 to T-1 (not 1 to T)" in [e.text for e in edits]


def test_index_shifts_a_power():
    _, edits = edits_of("x = W^(T-i) @ v")
    assert has(edits, "index", "W^(T-i-1) @ v")
    assert has(edits, "index", "W^(T-i+1) @ v")


def test_no_index_edit_of_unindexed_names():
    _, edits = edits_of("x = W @ v")
    assert [e for e in edits if e.kind == "index"] == []


# ---------------------------------------------------------------- scale

def test_scale_the_right_side_by_each_factor():
    _, edits = edits_of("x = W @ h[t]")
    got = results(edits, "scale")
    rhs = E("W @ h[t]")
    assert got == [BinOp("/", rhs, Name("T")),
                   BinOp("*", Name("T"), rhs),
                   BinOp("*", Num(Fraction(2)), rhs),
                   BinOp("*", Num(Fraction(1, 2)), rhs),
                   Neg(rhs)]
    assert [e.text for e in edits if e.kind == "scale"] == [
        f"multiply the right side by {label}" for label, _ in SCALES]
    assert [label for label, _ in SCALES] == ["1/T", "T", "2", "1/2", "-1"]


def test_scale_a_term_and_a_sum():
    _, edits = edits_of("x = A @ (b + c) + sum(t, y[t])")
    assert has(edits, "scale", "A @ (2 * (b + c)) + sum(t, y[t])")
    assert has(edits, "scale", "A @ (b + c) + -sum(t, y[t])")
    assert "multiply `b + c` by 1/T" in [e.text for e in edits]


def test_no_scale_of_a_plain_factor():
    """Scaling is tried on a side, a sum or a sum's term, not on every factor."""
    _, edits = edits_of("x = A @ B")
    assert len(results(edits, "scale")) == len(SCALES)     # the right side only


# ---------------------------------------------------------------- order

def test_order_reverses_a_product_chain():
    _, edits = edits_of("x = A @ B @ C")
    assert has(edits, "order", "C @ B @ A")
    assert "reverse the product `A @ B @ C` to `C @ B @ A`" in [e.text for e in edits]


def test_order_reverses_a_juxtaposed_chain():
    _, edits = edits_of(r"x = \delta_t h_{t-1}^\top")
    assert has(edits, "order", "h[t-1].T delta[t]")


def test_order_reverses_a_chain_inside_a_sum_once():
    """A chain is edited whole, at its top node: one reversal, not one per sub-chain."""
    _, edits = edits_of(CLAIM)
    rev = [e for e in edits if e.text.startswith("reverse the product")]
    assert len(rev) == 1
    assert rhs_after(rev[0]) == E("sum(t=1..T, h[t-1].T @ delta[t] @ diag(phi_prime(a[t])))")


def test_order_no_reversal_of_a_palindrome():
    _, edits = edits_of("x = A @ B @ A")
    assert not any(e.text.startswith("reverse the product") for e in edits)


def test_order_reverses_a_prod():
    """prod(...) runs from the highest index on the left; the edit flips `ascending`."""
    eqs, edits = edits_of("x = prod(j=i+1..t, J[j]) @ v")
    flips = [e for e in edits if e.kind == "order" and "reverse the order" in e.text]
    assert len(flips) == 1
    new = rhs_after(flips[0]).left
    old = eqs[0].rhs.left
    assert isinstance(new, Reduce) and new.ascending is True
    assert new == Reduce(old.op, old.var, old.lo, old.hi, old.body, ascending=True)
    assert "the lowest index on the left" in flips[0].text


def test_order_no_flip_of_a_sum():
    _, edits = edits_of("x = sum(t, x[t])")
    assert [e for e in edits if e.kind == "order"] == []


# ---------------------------------------------------------------- drop

def test_drop_each_term():
    _, edits = edits_of("x = a + b - c")
    got = results(edits, "drop")
    assert got == [E("b - c"), E("a - c"), E("a + b")]
    assert [e.text for e in edits if e.kind == "drop"] == [
        "drop the term `a`", "drop the term `b`", "drop the term `c`"]


def test_drop_keeps_signs():
    """Dropping the first term of a - b leaves -b; a - (b - c) is a - b + c."""
    _, edits = edits_of("x = a - b")
    assert results(edits, "drop") == [Neg(Name("b")), Name("a")]
    _, edits = edits_of("x = a - (b - c)")
    assert results(edits, "drop") == [E("-b + c"), E("a + c"), E("a - b")]


def test_drop_inside_a_sum_body():
    _, edits = edits_of("x = sum(t, a[t] + b[t])")
    assert has(edits, "drop", "sum(t, a[t])")
    assert has(edits, "drop", "sum(t, b[t])")


# ---------------------------------------------------------------- definitions

def test_edits_of_a_definition_carry_its_index_and_name_it():
    eqs, edits = edits_of(CLAIM, DEFINITION)
    fix = [e for e in edits if e.text == "replace `W` by `W.T`"]
    assert len(fix) == 1
    e = fix[0]
    assert e.kind == "transpose" and e.equation == 1
    assert e.where(eqs) == f"in the definition {DEFINITION}"
    assert e.result[0] is eqs[0]                            # the claim untouched
    assert e.result[1].lhs == eqs[1].lhs
    assert e.result[1].rhs == E(DEFINITION.split(" = ", 1)[1].replace("W @", "W.T @"))
    assert e.result[1].text == DEFINITION
    for edit in edits:
        if edit.equation == 0:
            assert edit.where(eqs) == "in the claim"
            assert edit.result[1] is eqs[1]


def test_edits_of_each_definition():
    eqs, edits = edits_of(CLAIM, DEFINITION, BOUNDARY)
    assert {e.equation for e in edits} == {0, 1, 2}
    assert any(e.equation == 2 and e.kind == "index" and
               rhs_after(e) == E("dl[T]/dh[T-1]") for e in edits)
    assert all(e.where(eqs) == f"in the definition {BOUNDARY}" for e in edits
               if e.equation == 2)


def test_where_without_text_shows_the_equation():
    eq = Equation(Name("g"), BinOp("+", Name("a"), Name("b")))        # no text kept
    claim = Q("x = g")
    edits = single_edits((claim, eq))
    assert any(e.equation == 1 for e in edits)
    assert next(e for e in edits if e.equation == 1).where((claim, eq)) == \
        "in the definition g = a + b"


# ---------------------------------------------------------------- every edit

EDIT_FORMULAS = [
    (CLAIM, DEFINITION, BOUNDARY),
    ("x = a + a",),
    ("x = A @ A",),
    ("x = W.T.T @ h[t]",),
    ("x = -(-a)",),
    ("x = prod(j=1..t, J[j]) - prod(j=1..t, J[j])",),
    ("dL/dh[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ dL/dh[t+1]",),
    ("dL/dW = (1/T) * sum(t, (o[t] - y[t]) @ h[t].T)",),
    ("dL/dW_hh = sum(t, sum(i=1..t, (W_hh.T)^(t-i) @ dl[t]/dh[t] @ h[i-1].T))",),
    (r"\frac{\partial L}{\partial W} = \sum_{t=1}^{T} \operatorname{diag}(\phi'(a_t)) "
     r"\delta_t h_{t-1}^\top",),
]


@pytest.mark.parametrize("texts", EDIT_FORMULAS)
def test_every_edit_changes_exactly_one_right_side(texts):
    eqs, edits = edits_of(*texts)
    assert edits
    for e in edits:
        assert e.kind in KINDS
        assert 0 <= e.equation < len(eqs)
        assert len(e.result) == len(eqs)
        for k, (before, after) in enumerate(zip(eqs, e.result)):
            assert after.lhs == before.lhs                  # left sides are never edited
            if k == e.equation:
                assert after.rhs != before.rhs, e.text      # no edit is a no-op
            else:
                assert after == before
        assert e.text
        assert "`" in e.text or e.text.startswith(("let ", "multiply the right side"))


@pytest.mark.parametrize("texts", EDIT_FORMULAS)
def test_no_duplicate_results(texts):
    _, edits = edits_of(*texts)
    keys = [(e.equation, rhs_after(e)) for e in edits]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("texts", EDIT_FORMULAS)
def test_edits_are_deterministic(texts):
    _, a = edits_of(*texts)
    _, b = edits_of(*texts)
    assert a == b


def test_edit_results_print_and_reparse():
    """The edited right sides are printable formulas (they are shown to the user)."""
    _, edits = edits_of(CLAIM, DEFINITION)
    for e in edits:
        rhs = rhs_after(e)
        if isinstance(rhs, Reduce) and rhs.ascending:
            continue                                    # `[ascending]` has no syntax
        text = show(rhs)
        if "1/2" in text:
            continue                                    # Num(1/2) prints as a division
        assert E(text) == rhs, text


def test_readme_diagnosis_edit_is_listed():
    """The README's example: the fix of the wrong definition is a single edit."""
    eqs, edits = edits_of(CLAIM, DEFINITION, BOUNDARY)
    good = Q("delta[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ delta[t+1]")
    fixes = [e for e in edits if e.result[1] == good]
    assert len(fixes) == 1
    assert fixes[0].text == "replace `W` by `W.T`"
    assert fixes[0].where(eqs).startswith("in the definition delta[t] = ")


# ---------------------------------------------------------------- random equations

@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(equations(), equations())
def test_edits_of_random_equations(claim, definition):
    """On grammar-shaped equations (test_fuzz's strategy): every edit is of a known kind,
    changes exactly one right side, and no two edits give the same equations."""
    eqs = (claim.tree, definition.tree)
    edits = single_edits(eqs)
    keys = set()
    for e in edits:
        assert e.kind in KINDS
        assert e.result[e.equation].rhs != eqs[e.equation].rhs, e.text
        assert e.result[1 - e.equation] == eqs[1 - e.equation]
        assert e.result[e.equation].lhs == eqs[e.equation].lhs
        keys.add(e.result)
    assert len(keys) == len(edits)
    scales = [e for e in edits if e.kind == "scale" and e.text.startswith("multiply the right")]
    assert len(scales) == 2 * len(SCALES)          # each side of each equation, every factor
