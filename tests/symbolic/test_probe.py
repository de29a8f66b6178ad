"""The probe: the expanded gradient's size at small T, carried on (symbolic/probe.py)."""
from __future__ import annotations

from hypothesis import given, strategies as st

from symbptt.model.registry import get_model
from symbptt.model.spec import Dims
from symbptt.symbolic.probe import Curve, curve, expanded_terms


def test_elman_terms_are_counted_in_the_certificates_normal_form():
    # n = 2, d = 2: slopes are one atom each, so the count grows slowly (no 2^T)
    assert [expanded_terms(get_model("elman"), T, Dims(2, 2)) for T in (1, 2, 3)] == \
        [24, 88, 252]


def test_the_probe_stops_before_it_costs_what_it_prices():
    c = curve(get_model("elman"), Dims(2, 2), None, 50, 0.85)
    assert c.terms == (24, 88, 252)
    assert c.at(3, 0.85) == 252 and c.at(6, 0.85) > 252
    gru = curve(get_model("gru"), Dims(2, 3), None, 5, 1.7)
    assert len(gru.terms) == 2      # T = 3 would be millions of terms: not probed


@given(st.lists(st.integers(1, 10 ** 6), min_size=1, max_size=3),
       st.floats(0.5, 3.0), st.integers(1, 12))
def test_a_curve_never_shrinks_past_what_it_measured(terms, acc, T):
    c = Curve(tuple(terms))
    assert c.at(len(terms) + T, acc) >= terms[-1]
    assert c.at(len(terms) + T + 1, acc) >= c.at(len(terms) + T, acc)
