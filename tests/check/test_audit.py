"""The seed audit and the gallery of mistakes (symbptt/audit.py, output/seed-audit.md).

Every gradient formula of the five seeds is a claim in symbptt/examples/seeds/NNN.toml,
written as the seed writes it, with the verdict a reading by hand records (`expect`).
These tests check each one: every correct seed formula is accepted, every wrong one is
rejected with a counterexample (or a shape error), and nothing is silently skipped.
"""
from __future__ import annotations

import pytest

from symbptt.check.audit import agrees, context, gallery_file, run, seed_files
from symbptt.documents.render import environment

SEEDS = {"000": "000_34d5c3a04c2f29d4.txt", "001": "001_1e08c73fd0114278.txt",
         "002": "002_f9c6515e77627858.txt", "003": "003_6832bb59d1aaefdb.txt",
         "004": "004_62ba402ad1754453.txt"}


def test_one_file_per_seed():
    assert [p.stem for p in seed_files()] == sorted(SEEDS)


@pytest.fixture(scope="module")
def audited():
    return {p.stem: run(p) for p in seed_files()}


@pytest.mark.slow
@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_every_seed_formula_gets_its_recorded_verdict(audited, seed):
    # 000_34d5c3a04c2f29d4.txt, 001_1e08c73fd0114278.txt, 002_f9c6515e77627858.txt,
    # 003_6832bb59d1aaefdb.txt, 004_62ba402ad1754453.txt: every gradient formula
    checked = audited[seed]
    assert checked.file.source == SEEDS[seed]
    assert checked.claims, seed
    for c in checked.claims:
        assert c.input.expect in ("correct", "wrong"), c.input.name
        assert agrees(c), (c.input.name, c.verdict, c.counterexample, c.shape_error)
        assert c.input.source.startswith(SEEDS[seed] + ":"), c.input.name
        assert c.input.quote, c.input.name
        if c.verdict == "wrong":
            assert c.counterexample is not None or c.shape_error, c.input.name
    for s in checked.file.skipped:
        assert s.reason and s.source.startswith(SEEDS[seed]), s


@pytest.mark.slow
def test_audit_document_lists_every_claim(audited):
    ctx = context([audited[k] for k in sorted(audited)])
    text = environment().get_template("seed-audit.md.j2").render(**ctx)
    assert ctx["claims"] == sum(len(a.claims) for a in audited.values())
    assert ctx["as_recorded"] == ctx["recorded"] == ctx["claims"]
    for checked in audited.values():
        for c in checked.claims:
            assert c.input.name in text
        for s in checked.file.skipped:
            assert s.reason.replace("|", "\\|") in text
    assert "⚠" not in text                  # no verdict differs from the record


def test_gallery_document():
    ctx = context([run(gallery_file())])
    text = environment().get_template("mistakes.md.j2").render(**ctx)
    assert text.count("named by the diagnosis") == len(ctx["files"][0]["claims"])
    assert "NOT named" not in text
