"""The independent corpus (tests/check/corpus/, its README): hand-derived claims written
without reading symbptt's source, each verdict verified by a separate numeric oracle.
Every claim must get its recorded verdict: a correct one "correct", a wrong one "wrong"
(a claim right only at small T included: found by the every-T proof failing and the
search past K). Never a false "correct"."""
from __future__ import annotations

from pathlib import Path

import pytest

from symbptt.check import claimfile
from symbptt.check.verdict import check

CORPUS = Path(__file__).parent / "corpus"
BUDGET = 2.0                   # seconds of search past K a claim: the traps fail by T = 8


def _claims():
    for path in sorted(CORPUS.glob("*.toml")):
        cf = claimfile.load(path)
        for g in cf.groups:
            for ci in g.claims:
                yield pytest.param(path.name, g, cf, ci, id=f"{path.stem}:{ci.name}")


@pytest.fixture(scope="module")
def checked():
    """A group's claims checked together (sharing the unrolled model), once, when the
    first of them is asked for."""
    done: dict = {}

    def get(file, group, cf, ci):
        if (file, group) not in done:
            r = check(group.model, list(group.claims), group.activation, cf.dims, cf.T_max,
                      budget=BUDGET)
            done[file, group] = {c.input: c for c in r.claims}
        return done[file, group][ci]
    return get


@pytest.mark.parametrize("file, group, cf, ci", list(_claims()))
def test_the_corpus_claim_gets_its_verdict(checked, file, group, cf, ci):
    r = checked(file, group, cf, ci)
    assert r.verdict == ci.expect, (file, ci.name, r.verdict, r.scope, r.counterexample)


def test_the_corpus_is_all_there():
    counts = [sum(len(g.claims) for g in claimfile.load(p).groups)
              for p in CORPUS.glob("*.toml")]
    assert sum(counts) == 285 and len(counts) == 17
