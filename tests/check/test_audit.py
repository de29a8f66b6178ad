"""The seed audit and the gallery of mistakes (symbptt/check/audit.py, output/seed-audit.md).

Every gradient formula of the five seeds is a claim in symbptt/examples/seeds/NNN.toml,
written as the seed writes it, with the verdict a reading by hand records (`expect`).
These tests check each one: every correct seed formula is accepted, every wrong one is
rejected with a counterexample (or a shape error), and nothing is silently skipped.
"""
from __future__ import annotations

import re

import pytest

from symbptt.check import claimfile
from symbptt.check.audit import (SIGNIFICANT, agrees, context, edit_parts, entry_tex,
                                 formula_lines, gallery_file, labels, note_parts, number_tex,
                                 rounded, run, seed_files, shown_values, skipped_label,
                                 symbol_tex, title_parts)
from symbptt.documents.render import environment, templates_dir
from symbptt.model.zoo import source

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


@pytest.fixture(scope="module")
def audit_text(audited):
    ctx = context([audited[k] for k in sorted(audited)])
    return ctx, environment().get_template("seed-audit.md.j2").render(**ctx)


@pytest.mark.slow
def test_audit_document_lists_every_claim(audited, audit_text):
    ctx, text = audit_text
    assert ctx["claims"] == sum(len(a.claims) for a in audited.values())
    assert ctx["as_recorded"] == ctx["recorded"] == ctx["claims"]
    for checked in audited.values():
        for (label, title), c in zip(labels([c.input.name for c in checked.claims]),
                                     checked.claims):
            assert f"\n### {label} {title}\n" in text, c.input.name
        for s in checked.file.skipped:
            assert s.reason.replace("|", "\\|") in text
    assert "⚠" not in text                  # no verdict differs from the record


@pytest.mark.slow
def test_audit_document_numbers_each_formula_once_the_same_in_tables_and_headings(audit_text):
    _, text = audit_text
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        rows = re.findall(r"^\| \[([^\]]+)\]\(#([^)]+)\) \|", section, re.M)
        headings = re.findall(r'^<a id="([^"]+)"></a>\n\n### (\S+) ', section, re.M)
        assert rows and [r[0] for r in rows] == [h[1] for h in headings]
        assert all(label == anchor for label, anchor in rows)
        assert all(anchor == label for anchor, label in headings)
        assert len(set(h[1] for h in headings)) == len(headings)
        assert all(re.fullmatch(r"\d{3}-\d{2}[a-z]?(/\d{2})*(\.\d+)?", h[1]) for h in headings)
    # no running number per table, no NNN.k heading beside the formula's own number
    assert not re.search(r"^\| \d+ \|", text, re.M)
    assert not re.search(r"^### \d{3}\.\d+ ", text, re.M)


@pytest.mark.slow
def test_audit_document_has_no_internal_references(audit_text):
    _, text = audit_text
    assert not re.search(r"\bissues?\b", text, re.I)
    assert not re.search(r"_[0-9a-f]{16}\.txt", text)
    for seed_file in SEEDS.values():
        assert f"Source: {source(seed_file)}." in text
        assert source(seed_file) != seed_file


@pytest.mark.slow
def test_audit_counterexamples_are_one_based_with_six_digits(audit_text):
    _, text = audit_text
    lines = [line for line in text.splitlines() if line.startswith("- counterexample")]
    assert len(lines) >= 10
    for line in lines:
        assert not re.search(r"\[\d", line), line            # no W[0,1], dL/dh[1][0]
        assert "_{0" not in line and ",0}" not in line, line
        for number in re.findall(r"\d+\.\d+", line):
            assert significant_digits(number) <= SIGNIFICANT, (number, line)


def test_gallery_document():
    ctx = context([run(gallery_file())])
    text = environment().get_template("mistakes.md.j2").render(**ctx)
    claims = ctx["files"][0]["claims"]
    assert text.count(": the slip put in here") == len(claims)
    assert "does not name" not in text


# ---- as the documents show it ---------------------------------------------------------------

def significant_digits(number: str) -> int:
    mantissa = number.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa)


def test_values_are_rounded_to_six_significant_digits():
    assert rounded("-1.2386178488919523872") == "-1.23862"
    assert rounded("0.00047975444401909922406") == "0.000479754"
    assert rounded("0.70500000000000000000") == "0.705"
    assert rounded("24.560410368911919726") == "24.5604"
    assert rounded("0") == "0" and rounded("-13/4") == "-13/4"
    assert rounded("1.5e-25") == "1.5e-25"
    assert rounded("f(x) - g(x)") == "f(x) - g(x)"
    assert significant_digits(rounded("0.0098814285313998974794")) == 6


def test_values_that_agree_to_six_digits_get_the_digits_that_tell_them_apart():
    assert shown_values("1.2345678", "1.2345699") == ("1.234568", "1.23457")
    assert shown_values("1.2345678", "1.5") == ("1.23457", "1.5")


def test_numbers_as_latex():
    assert number_tex("-2/3") == "-\\tfrac{2}{3}"
    assert number_tex("1.5e-7") == "1.5 \\times 10^{-7}"
    assert number_tex("-1.23862") == "-1.23862"
    assert number_tex("f_1(x) - 2") is None


def test_entries_are_one_based():
    assert symbol_tex("W[0,1]") == "W_{1,2}"
    assert symbol_tex("W_hh[1,0]") == "(W_{hh})_{2,1}"
    assert symbol_tex("x_2[0]") == "x_{2,1}"
    assert symbol_tex("b[2]") == "b_{3}"
    assert symbol_tex("W_xh") == "W_{xh}" and symbol_tex("x_1") == "x_{1}"
    assert symbol_tex("yhat_1[0]") == "\\hat{y}_{1,1}"
    assert symbol_tex("W1[0,1]") == "(W^{(1)})_{1,2}"          # a layer of a model file
    assert entry_tex("dL/dh[1]", "[0]") == \
        "\\left(\\frac{\\partial L}{\\partial h_{1}}\\right)_{1}"
    assert entry_tex("dL/dW", "[0, 2]").endswith("\\right)_{1,3}")
    assert entry_tex("dL/dW_hy", "") == "\\frac{\\partial L}{\\partial W_{hy}}"


def test_a_long_formula_is_broken_after_whole_terms():
    short = formula_lines("dL/dh[t] = dl[t]/dh[t] + W.T @ dL/dh[t+1]")
    assert short == [(r"\frac{\partial L}{\partial h_{t}}",
                      r"\frac{\partial l_{t}}{\partial h_{t}} + W^\top "
                      r"\frac{\partial L}{\partial h_{t+1}}")]
    text = "dL/dh[1] = " + " + ".join(f"(W.T)^{k} @ diag(phi_prime(a[{k}])) @ h[{k}]"
                                      for k in range(1, 7))
    lines = formula_lines(text)
    assert len(lines) > 2 and all(left == "" for left, _ in lines[1:])
    assert all(right.startswith("\\quad + ") for _, right in lines[1:])
    assert formula_lines("dL/dW = sum(t=1..T") is None


def test_prose_parts():
    assert edit_parts("replace `W` by `W.T`") == [
        {"text": "replace ", "math": "", "code": ""}, {"text": "", "math": "W", "code": ""},
        {"text": " by ", "math": "", "code": ""}, {"text": "", "math": "W^\\top", "code": ""}]
    assert [p["math"] for p in note_parts("so $W^\\top$ it is")] == ["", "W^\\top", ""]
    assert [p["math"] for p in title_parts("a_t for a_{t+1}")] == ["a_t", "", "a_{t+1}"]
    assert [p["text"] for p in title_parts("A lost 1/T")] == ["A lost 1/T"]


def test_labels_number_each_formula_and_its_readings():
    names = ["000-02 first reading", "000-02 second reading", "000-03 alone",
             "001-14a a part", "001-14b another part", "004-25b x", "004-25b y",
             "001-06/07 two formulas in one claim"]
    assert [label for label, _ in labels(names)] == [
        "000-02.1", "000-02.2", "000-03", "001-14a", "001-14b", "004-25b.1", "004-25b.2",
        "001-06/07"]
    assert labels(names)[0][1] == "first reading"
    assert [label for label, _ in labels(["A missing transpose", "A lost 1/T"])] == ["1", "2"]
    assert skipped_label("000-15/17/22/24") == "000-15/17/22/24"
    assert skipped_label("N-000-a") == ""


def _loaded():
    return {p.stem: claimfile.load(p) for p in seed_files()}


def test_claim_files_have_no_internal_references():
    files = list(_loaded().values()) + [claimfile.load(gallery_file())]
    for cf in files:
        texts = [cf.title, cf.note] + [t for c in cf.order for t in (c.note, c.quote)] \
            + [t for s in cf.skipped for t in (s.reason, s.quote)]
        for t in texts:
            assert not re.search(r"\bissues?\b", t, re.I), t
            assert not re.search(r"_[0-9a-f]{16}\.txt", t), t
    for name in ("seed-audit.md.j2", "mistakes.md.j2", "mistakes.tex.j2", "index.md.j2"):
        template = (templates_dir() / name).read_text(encoding="utf-8")
        assert not re.search(r"\bissues?\b", template, re.I), name


def _numbers(label: str) -> set:
    """What a note may cite of a label: 001-06/07.2 -> itself, 001-06/07, 001-06, 001-07."""
    whole = re.sub(r"\.\d+$", "", label)
    first, *more = whole.split("/")
    parts = {first} | {first[:4] + m for m in more}
    return {label, whole} | parts | {p[:6] for p in parts}


def test_every_formula_number_a_note_cites_is_in_the_audit():
    files = _loaded()
    known = set()
    for cf in files.values():
        for label, _ in labels([c.name for c in cf.order]):
            known |= _numbers(label)
        for s in cf.skipped:
            known |= _numbers(skipped_label(s.name)) if skipped_label(s.name) else set()
    assert {"000-02.1", "000-02", "001-08/09", "001-14a", "001-14"} <= known
    for cf in files.values():
        for t in [c.note for c in cf.order] + [s.reason for s in cf.skipped]:
            for ref in re.findall(r"\b\d{3}-\d{2}[a-z]?(?:/\d{2})*(?:\.\d+)?\b", t):
                assert ref in known, (ref, t)
