"""The documents lead with the derivation at matrix level (issue 17): symbptt derive's
formulas, a sentence each. Every formula a document prints goes through check here, from
the data the document renders (not from its LaTeX): a document can never state a formula
symbptt rejects."""
from __future__ import annotations

import pytest

import symbptt
from symbptt.documents.matrix import MATTERS, matrix_context
from symbptt.model.registry import get_model
from symbptt.model.zoo import names


@pytest.mark.parametrize("model", ["elman", "lstm", "d2l_linear"])
def test_every_formula_a_document_prints_is_correct_by_check(model):
    ctx = matrix_context(get_model(model), None)
    texts = list(dict.fromkeys(row[3] for g in ctx["groups"] for row in g["rows"]))
    assert texts and all(row[2] != "not proven" for g in ctx["groups"] for row in g["rows"]
                         if row[2])
    [report] = symbptt.check(model, texts)
    assert [c.verdict for c in report.claims] == ["correct"] * len(texts)


def test_each_zoo_model_has_the_entry_that_matters_pointed_out():
    assert set(MATTERS) == set(names())
    assert "f_{t+1}" in MATTERS["lstm"] and "1 - z_{t+1}" in MATTERS["gru"]
    assert "x_k" in MATTERS["attention"] and "eigenvalues" in MATTERS["d2l_linear"]
