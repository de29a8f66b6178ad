"""symbptt.formula.lines: a long formula broken where a reader breaks it, so no printed line
of a document runs past the page (issue 17: model files ran 727 pt past the margin)."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from symbptt.formula.lines import WIDTH, lines
from symbptt.formula.tree import show
from symbptt.formula.parse import parse_equation


def test_a_long_sum_breaks_after_whole_terms():
    text = ("dL/dh[t] = dl[t]/dh[t] + W_f.T @ diag(f[t+1] * (1 - f[t+1]) * c[t]) @ "
            "dL/dc[t+1] + W_i.T @ diag(i[t+1] * (1 - i[t+1]) * ctilde[t+1]) @ dL/dc[t+1] "
            "+ W_o.T @ diag(o[t+1] * (1 - o[t+1]) * tanh(c[t+1])) @ dL/dh[t+1]")
    parts = lines(text)
    assert len(parts) > 1 and parts[0][0] and all(not left for left, _ in parts[1:])
    assert all(right.startswith("\\quad +") for _, right in parts[1:])
    assert lines("dL/dh[T] = dl[T]/dh[T]") == [
        ("\\frac{\\partial L}{\\partial h_{T}}", "\\frac{\\partial l_{T}}{\\partial h_{T}}")]
    assert WIDTH < 100


def test_one_long_term_breaks_inside_itself():
    """mgu.toml's dL/db_f is one sum over t of a long body: it breaks inside the sum, the
    big bracket opened on the first line and closed on the last."""
    text = ("dL/db_f = sum(t=1..T, diag(f[t] * (1 - f[t]) * h[t-1]) @ W_h.T @ "
            "diag((1 - htilde[t] * htilde[t]) * f[t]) @ dL/dh[t] + f[t] * (1 - f[t]) * "
            "(htilde[t] - h[t-1]) * dL/dh[t])")
    parts = lines(text)
    assert len(parts) >= 2
    assert parts[0][1].startswith(r"\sum_{t=1}^{T} \Big(") and parts[-1][1].endswith(r"\Big)")
    joined = " ".join(right for _, right in parts)
    assert joined.count(r"\Big(") == joined.count(r"\Big)")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["W.T @ diag(1 - h[t+1] * h[t+1]) @ dL/dh[t+1]", "U @ x[t]",
                                 "b", "h[t-1] * (1 - z[t])", "dl[t]/dh[t]"]),
                min_size=1, max_size=12))
def test_no_line_holds_more_than_width_characters_of_whole_terms(terms):
    """Every line but one holding a single over-wide piece keeps within WIDTH characters of
    formula text, and the lines together hold every term."""
    text = "dL/dh[t] = " + " + ".join(terms)
    parts = lines(text)
    rhs = parse_equation(text).rhs
    assert len(parts) == 1 or len(show(rhs)) > WIDTH
    assert sum(right.count(r"\frac") for _, right in parts) == \
        sum(t.count("/") for t in terms)
