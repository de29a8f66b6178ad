"""The gallery of classic mistakes as documents: output/mistakes.md (Markdown with math) and
output/mistakes.tex (LaTeX, compiled to mistakes.pdf), from symbptt/check/audit.py's
gallery() through templates/mistakes.{md,tex}.j2.

Each entry sets the wrong formula over the corrected one (the claim with the diagnosis's
edit applied), both in LaTeX; a counterexample's entries are 1-based and its values have
6 significant digits; the LaTeX compiles with no overfull box.
"""
from __future__ import annotations

import re

import pytest

from symbptt.check import audit
from symbptt.documents.render import compile_pdf, environment, have_tex, overfull
from symbptt.formula.edits import single_edits
from symbptt.formula.latex import latex
from symbptt.formula.parse import parse_equation


@pytest.fixture(scope="module")
def gallery():
    ctx, checked = audit.gallery()
    env = environment()
    md = env.get_template("mistakes.md.j2").render(**ctx)
    tex = env.get_template("mistakes.tex.j2").render(**ctx)
    return ctx, checked, md, tex


def _claims(ctx):
    return ctx["files"][0]["claims"]


def _caught(text: str) -> list[str]:
    """The counterexample sentences of a document."""
    return re.findall(r"Caught(?:\*\*|\})? at \$T = \d+\$.*", text)


def test_formulas_are_math_not_ascii(gallery):
    ctx, _, md, tex = gallery
    for text in (md, tex):
        # a shape error is quoted as symbptt check words it; everything else is math
        text = re.sub(r"symbptt check} says:\n.*|`symbptt check` says: .*", "", text)
        for ascii_formula in ("sum(t=1..T", "dL/dh[", "phi_prime(", " @ ", ".T "):
            assert ascii_formula not in text, ascii_formula
    assert md.count("\\text{wrong:}") == md.count("\\text{corrected:}") == len(_claims(ctx))
    assert tex.count("\\text{wrong:}") == tex.count("\\text{corrected:}") == len(_claims(ctx))
    assert md.count("$$\n\\begin{alignedat}{2}") == len(_claims(ctx))
    assert tex.count("\\begin{alignat*}{2}") == len(_claims(ctx))


def test_the_corrected_formula_is_the_claim_with_the_named_edit_applied(gallery):
    ctx, checked, md, tex = gallery
    for c, shown in zip(checked.claims, _claims(ctx)):
        # the edit the file names, applied to the claim by the edit engine itself
        claim = parse_equation(c.formula)
        edit = next(e for e in single_edits((claim,)) if e.text == c.input.fix)
        corrected = edit.result[edit.equation]
        rows = dict((label, (left, right)) for label, left, right in shown["side_by_side"])
        assert rows["wrong:"] == (latex(claim.lhs), latex(claim.rhs))
        assert rows["corrected:"] == (latex(corrected.lhs), latex(corrected.rhs))
        assert rows["wrong:"] != rows["corrected:"]
        for text in (md, tex):
            assert latex(corrected.rhs) in text and latex(claim.rhs) in text


def test_entries_are_numbered_from_one(gallery):
    ctx, checked, md, tex = gallery
    sentences = _caught(md) + _caught(tex)
    assert len(sentences) == 2 * sum(c.counterexample is not None for c in checked.claims)
    for s in sentences:
        assert not re.search(r"\[\d", s), s                     # no W[0,1], dL/dh[1][0]
        for sub in re.findall(r"_\{([\d,]+)\}", s):
            assert all(int(i) >= 1 for i in sub.split(",")), s
    # the first entry of every matrix the counterexamples name is written (1,1), never (0,0)
    assert "W_{1,1}" in md and "W_{1,1}" in tex
    for c in checked.claims:
        if c.counterexample and c.counterexample.entry:
            first = [int(i) + 1 for i in re.findall(r"\d+", c.counterexample.entry)]
            assert f"\\right)_{{{','.join(map(str, first))}}}$ is" in md


def test_values_have_six_significant_digits(gallery):
    ctx, checked, md, tex = gallery
    # the checker gives 20 digits: the documents must round them
    assert any(len(c.counterexample.expected) > 12 for c in checked.claims if c.counterexample)
    for s in _caught(md) + _caught(tex):
        for number in re.findall(r"\d+\.\d+", s):
            assert len(number.replace(".", "").lstrip("0")) <= 6, (number, s)
    assert "$-1.23862$" in md and "$-1.30299$" in md


def test_every_slip_is_named_and_explained(gallery):
    ctx, _, md, tex = gallery
    for text in (md, tex):
        assert text.count(": the slip put in here") == len(_claims(ctx))
        assert "does not name" not in text
    headings = re.findall(r"^## (\d+)\. ", md, re.M)
    rows = re.findall(r"^\| (\d+) \|", md, re.M)
    assert headings == rows == [str(k) for k in range(1, len(_claims(ctx)) + 1)]
    assert tex.count("\\section{") == len(_claims(ctx))
    assert "$a_t$ for $a_{t+1}$" in md and "$a_t$ for $a_{t+1}$" in tex
    assert "a\\_\\{" not in tex                   # no ASCII subscripts set as text


def test_the_latex_compiles_without_overfull_boxes(gallery):
    if not have_tex():
        pytest.skip("no TeX Live (latexmk, pdflatex)")
    _, _, _, tex = gallery
    pdf, log = compile_pdf(tex, "mistakes")
    assert pdf.startswith(b"%PDF")
    assert overfull(log) == []
    assert "LaTeX Warning" not in log


def test_the_index_links_the_three_formats():
    text = environment().get_template("index.md.j2").render(
        models=[], audit={"claims": 1, "correct": 1, "wrong": 0, "skipped": 0}, gallery={})
    for ext in ("md", "tex", "pdf"):
        assert f"[{ext}](mistakes.{ext})" in text
