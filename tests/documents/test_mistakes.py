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
from symbptt.model.zoo import zoo_model
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
        # a shape error too: check's words, its formulas as math (it leaked the code)
        for ascii_formula in ("sum(t=1..T", "dL/dh[", "phi_prime(", " @ ", ".T ", "x[t]"):
            assert ascii_formula not in text, ascii_formula
    assert md.count("\\text{wrong:}") == md.count("\\text{corrected:}") == len(_claims(ctx))
    assert tex.count("\\text{wrong:}") == tex.count("\\text{corrected:}") == len(_claims(ctx))
    assert md.count("$$\n\\begin{alignedat}{2}") == len(_claims(ctx))
    assert tex.count("\\begin{alignat*}{2}") == len(_claims(ctx))


def test_the_corrected_formula_is_the_claim_with_the_named_edit_applied(gallery):
    ctx, checked, md, tex_doc = gallery
    for c, shown in zip(checked.claims, _claims(ctx)):
        # the edit the file names, applied to the claim by the edit engine itself
        claim = parse_equation(c.formula)
        edit = next(e for e in single_edits((claim,)) if e.text == c.input.fix)
        corrected = edit.result[edit.equation]
        rows = dict((label, (left, right)) for label, left, right in shown["side_by_side"])

        def tex(node):                   # a scalar model's * is the plain product (no ⊙)
            return latex(node).replace(r" \odot ", " ") if shown["scalar"] else latex(node)
        assert rows["wrong:"] == (tex(claim.lhs), tex(claim.rhs))
        assert rows["corrected:"] == (tex(corrected.lhs), tex(corrected.rhs))
        assert rows["wrong:"] != rows["corrected:"]
        for text in (md, tex_doc):
            assert tex(corrected.rhs) in text and tex(claim.rhs) in text


def test_entries_are_numbered_from_one(gallery):
    ctx, checked, md, tex = gallery
    sentences = _caught(md) + _caught(tex)
    assert len(sentences) == 2 * sum(c.counterexample is not None for c in checked.claims)
    for s in sentences:
        assert not re.search(r"\[\d", s), s                     # no W[0,1], dL/dh[1][0]
        for sub in re.findall(r"_\{([\d,]+)\}", s):
            assert all(int(i) >= 1 for i in sub.split(",")), s
    # the point: every parameter a matrix or vector in its place (not a list of entries)
    assert "W_{1,1}" not in md and "W = \\begin{pmatrix}" in md and "W = \\begin{pmatrix}" in tex
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
    assert "$-1.75480$" in md and "$-1.7548$" not in md        # six digits, as promised


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


def _section(md: str, number: int) -> str:
    return re.search(rf"^## {number}\. .*?(?=^## |\Z)", md, re.S | re.M)[0]


def test_sizes_and_loss_of_every_entry_are_stated(gallery):
    """The counterexamples are at check's sizes (n = 3, d = 2 for elman, not the n = d = 2
    of elman.md), and the loss l_t the target y_t enters is written out."""
    ctx, checked, md, tex = gallery
    models = {m["name"]: m for m in ctx["files"][0]["models"]}
    for r in checked.reports:
        m = models[r.model]
        assert m["sizes"]["tex"] == ", ".join(f"{k} = {v}" for k, v in r.dims.items())
        for text in (md, tex):
            for e in m["equations"] + m["loss"]:
                assert f"${e}$" in text, (r.model, e)
            if r.dims:
                assert f"checked at {m['sizes']['words']}" in text
    assert r"l_t = \tfrac{1}{2} \lVert h_t - y_t\rVert^2" in md          # elman's loss
    assert "$n = 3$ (the state $h_t$, the target $y_t$), $d = 2$ (the input $x_t$)" in md
    for c in _claims(ctx):
        assert c["sizes"]["tex"] or zoo_model(c["model"]).dims_used == ()
        head = f"In `{c['model']}`"
        line = next(ln for ln in _section(md, int(c["label"])).splitlines() if ln.startswith(head))
        assert (f"at ${c['sizes']['tex']}$" if c["sizes"]["tex"] else "every quantity a scalar") \
            in line


def test_the_point_shows_each_parameter_at_its_full_shape(gallery):
    _, _, md, tex = gallery
    lost = _section(md, 5)                           # d2l_linear: W_qh is q × n = 4 × 3
    qh = re.search(r"W_\{qh\} = \\begin\{pmatrix\}(.*?)\\end\{pmatrix\}", lost)[1]
    assert qh.count("\\\\") == 3 and qh.count("\\cdot") == 9
    assert "a $\\cdot$ marks an entry that does not enter" in lost


def test_the_shape_slip_is_explained_truly(gallery):
    _, _, md, tex = gallery
    shape = _section(md, 2)
    assert "cannot multiply $\\operatorname{diag}" in shape and "by $x_{t}$ ($2 \\times 1$)" in shape
    assert "With $d \\ne n$" not in shape                  # a column times a column fails
    assert "$d = n$ included" in shape                      # for every d >= 2


def test_a_scalar_model_shows_plain_products(gallery):
    _, _, md, tex = gallery
    assert "\\odot" not in _section(md, 6)
    assert r"\left(\hat{y}_{t} - y_{t}\right) h_{t}" in _section(md, 6)


def test_file_paths_only_in_the_line_that_says_how_to_reproduce(gallery):
    _, _, md, tex = gallery
    for text in (md, tex):
        paths = [line for line in text.splitlines() if "examples/" in line]
        assert len(paths) == 1 and "To reproduce" in paths[0], paths
