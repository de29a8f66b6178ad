"""symbptt.documents.render and `symbptt render`: snapshots, determinism, LaTeX that compiles cleanly,
and the command's bad-input contract (exit 2, one line, no file left behind).

TeX Live and latexmk are required (CI installs them): the PDF tests do not skip.

Snapshots live in tests/documents/snapshots/. After an intended change to the documents, regenerate
them with

    SYMBPTT_UPDATE_SNAPSHOTS=1 python -m pytest -q tests/documents/test_render.py

and review the diff before committing.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from symbptt.documents.document import build
from symbptt.documents.render import FORMATS, compile_pdf, have_tex, render, render_text
from symbptt.model.spec import Dims
from symbptt.model.registry import get_model

from ..cli_helpers import assert_bad_input, run

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("SYMBPTT_UPDATE_SNAPSHOTS") == "1"

# (model, T, dims): a scalar model and a vector one
SNAPSHOT_CASES = [("scalar_linear", 3, Dims()), ("elman", 2, Dims(2, 2))]
EXAMPLES = Path(__file__).resolve().parents[2] / "symbptt" / "examples" / "models"
# compiled to PDF: scalar, vector, the widest formulas (gated, attention), and model files
# (issue 17: elman2.toml ran 727 pt past the margin, mgu.toml 530 pt)
PDF_CASES = [("scalar_linear", 3, Dims()), ("elman", 2, Dims(2, 2)),
             ("gru", 2, Dims(2, 2, 2)), ("attention", 2, Dims(2, 2, 2)),
             ("lstm", 2, Dims(2, 2)), (str(EXAMPLES / "elman2.toml"), 2, Dims(2, 2)),
             (str(EXAMPLES / "mgu.toml"), 2, Dims(2, 2))]
OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)", re.MULTILINE)
MAX_OVERFULL_PT = 1.0


@pytest.fixture(scope="module")
def docs():
    """Each document built once (proofs and cross-check included)."""
    cache: dict = {}

    def get(name: str, T: int, dims: Dims):
        key = (name, T, dims)
        if key not in cache:
            cache[key] = build(get_model(name), T, dims)
        return cache[key]
    return get


@pytest.fixture(scope="module")
def pdfs(docs):
    """Each PDF case compiled once: name -> (tex, pdf bytes, log)."""
    out = {}
    for name, T, dims in PDF_CASES:
        tex = render_text(docs(name, T, dims), "tex")
        pdf, log = compile_pdf(tex, Path(name).stem)
        out[name] = (tex, pdf, log)
    return out


# --------------------------------------------------------------------------- snapshots

@pytest.mark.parametrize("name, T, dims", SNAPSHOT_CASES, ids=[c[0] for c in SNAPSHOT_CASES])
def test_markdown_snapshot(docs, name, T, dims):
    got = render_text(docs(name, T, dims), "md").encode("utf-8")
    path = SNAPSHOTS / f"{name}_T{T}.md"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(got)
    assert path.exists(), (f"no snapshot {path}; create it with "
                           f"SYMBPTT_UPDATE_SNAPSHOTS=1 python -m pytest -q tests/documents/test_render.py")
    want = path.read_bytes()
    if got != want:
        g, w = got.decode().splitlines(), want.decode().splitlines()
        first = next((i for i, (a, b) in enumerate(zip(g, w)) if a != b), min(len(g), len(w)))
        pytest.fail(
            f"rendered Markdown of {name} (T = {T}) differs from {path.name} at line "
            f"{first + 1}:\n  snapshot: {w[first] if first < len(w) else '<end>'!r}\n"
            f"  now:      {g[first] if first < len(g) else '<end>'!r}\n"
            f"If the change is intended, regenerate the snapshots with\n"
            f"  SYMBPTT_UPDATE_SNAPSHOTS=1 python -m pytest -q tests/documents/test_render.py\n"
            f"and review the diff.")


def test_snapshots_show_what_the_documents_are_for():
    """The snapshots themselves are meaningful: every section, the certificates proven."""
    for name, T, _ in SNAPSHOT_CASES:
        text = (SNAPSHOTS / f"{name}_T{T}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# BPTT for `{name}`")
        headings = ["## The model", f"## The unrolled graph, $T = {T}$",
                    "## The derivation at matrix level", "### The closed form",
                    "## Certificate and cross-check",
                    f"## Appendix: worked by hand at $T = {T}$, entry by entry"]
        found = [text.index(h) for h in headings]          # each there, in this order
        assert found == sorted(found), name
        # one T per document: no other T in a heading, the cross-check at the same T
        assert set(re.findall(r"\$T = (\d+)\$", text)) <= {str(T)}, name
        assert "\\mathrel{+}=" not in text          # gradients as sums, never +=
        assert "```mermaid" in text
        assert "| unrolled | T = " in text and "| inductive | all T |" in text
        assert "NOT proven" not in text and "not proven" not in text.lower()


# --------------------------------------------------------------------------- determinism

@pytest.mark.parametrize("fmt", ["tex", "md"])
def test_render_is_deterministic(fmt):
    """Two renders from scratch (proofs, cross-check, templates): the same bytes."""
    spec = get_model("elman")
    first = render(spec, 2, Dims(2, 2), fmt)
    second = render(spec, 2, Dims(2, 2), fmt)
    assert first == second
    assert len(first) > 1000


def test_render_formats_differ_and_match_render_text(docs):
    doc = docs("elman", 2, Dims(2, 2))
    tex, md = render_text(doc, "tex"), render_text(doc, "md")
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert md.startswith("# BPTT for `elman`")
    assert "((*" not in tex + md and "(((" not in tex + md      # no template syntax leaked
    assert render(get_model("elman"), 2, Dims(2, 2), "md") == md.encode("utf-8")
    assert FORMATS == ("tex", "md", "pdf")


def test_every_formula_is_in_both_formats(docs):
    """What the document context holds is what both renderings show."""
    doc = docs("elman", 2, Dims(2, 2))
    tex, md = render_text(doc, "tex"), render_text(doc, "md")
    keys = ("definitions", "explicit_deltas", "explicit_grads")
    for key in keys:
        assert doc.context[key], key
        for f in doc.context[key]:
            assert f.tex in tex and f.tex in md, (key, f.tex[:80])


# --------------------------------------------------------------------------- LaTeX

def test_tex_is_installed():
    assert have_tex(), "TeX Live and latexmk are required for these tests (CI installs them)"


@pytest.mark.parametrize("name", [c[0] for c in PDF_CASES],
                         ids=[Path(c[0]).name for c in PDF_CASES])
def test_latex_compiles_without_errors_or_wide_lines(pdfs, name):
    _, pdf, log = pdfs[name]
    assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-64:]
    assert log, "no LaTeX log"
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert not errors, errors
    wide = [float(x) for x in OVERFULL.findall(log)]
    assert all(x <= MAX_OVERFULL_PT for x in wide), \
        f"{name}: overfull boxes of {sorted(wide, reverse=True)[:5]} pt (max {MAX_OVERFULL_PT})"
    assert "Output written on" in log


def test_overfull_check_would_see_a_wide_line():
    """The log check above is not vacuous: a formula too wide for the page is reported."""
    tex = (r"\documentclass{article}\begin{document}\[ "
           + " + ".join(f"x_{{{i}}}" for i in range(60)) + r" \]\end{document}" + "\n")
    _, log = compile_pdf(tex, "wide")
    wide = [float(x) for x in OVERFULL.findall(log)]
    assert wide and max(wide) > MAX_OVERFULL_PT


def test_pdf_is_byte_identical_across_compiles(pdfs):
    tex, first, _ = pdfs["scalar_linear"]
    second, _ = compile_pdf(tex, "scalar_linear")
    assert first == second


# --------------------------------------------------------------------------- the CLI

def test_cli_render_md_to_stdout(capsys, docs):
    code, out, err = run(capsys, ["render", "elman", "--T", "2", "--hidden", "2",
                                  "--input", "2", "--format", "md"])
    assert code == 0, err
    assert out == render_text(docs("elman", 2, Dims(2, 2)), "md")


def test_cli_render_md_to_a_file(capsys, tmp_path, docs):
    path = tmp_path / "elman.md"
    code, out, err = run(capsys, ["render", "elman", "--T", "2", "--format", "md",
                                  "--out", path])
    assert code == 0, err
    assert path.read_bytes() == render_text(docs("elman", 2, Dims(2, 2)), "md").encode()
    assert out.startswith(f"wrote {path} (") and out.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elman.md"]   # no temp file left


def test_cli_render_pdf(capsys, tmp_path):
    path = tmp_path / "doc.pdf"
    code, _, err = run(capsys, ["render", "scalar_linear", "--T", "2", "--format", "pdf",
                                  "--out", path])
    assert code == 0, err
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.pdf"]


def test_cli_unknown_format(capsys, tmp_path):
    path = tmp_path / "elman.docx"
    code, out, err = run(capsys, ["render", "elman", "--T", "2", "--format", "docx",
                                  "--out", path])
    line = assert_bad_input(code, out, err, contains="unknown format 'docx'")
    assert "tex, md, pdf" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["md", "tex", "pdf"])
def test_cli_out_in_a_missing_folder(capsys, tmp_path, fmt):
    path = tmp_path / "missing" / f"doc.{fmt}"
    code, out, err = run(capsys, ["render", "elman", "--T", "2", "--format", fmt,
                                  "--out", path])
    assert_bad_input(code, out, err, contains="cannot write")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["md", "pdf"])
def test_cli_out_an_existing_directory(capsys, tmp_path, fmt):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    code, out, err = run(capsys, ["render", "elman", "--T", "2", "--format", fmt,
                                  "--out", folder])
    assert_bad_input(code, out, err, contains="cannot write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    assert (folder / "keep.txt").read_text() == "keep"


def test_cli_render_bad_model_and_dims(capsys, tmp_path):
    code, out, err = run(capsys, ["render", "no_such_model", "--T", "2", "--format", "md"])
    assert_bad_input(code, out, err)
    code, out, err = run(capsys, ["render", "scalar_linear", "--T", "2", "--hidden", "3",
                                  "--format", "md", "--out", tmp_path / "x.md"])
    assert_bad_input(code, out, err, contains="--hidden")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- model files

def test_model_file_renders_like_a_zoo_model(docs):
    """Issue 17: a model file's document printed raw names (W1[0,0], h1\\_t-1[0]), mixed 0-
    and 1-based indices, printed `- 1 \\cdot V2[0,1]`, called a parameter W1 in the table and
    W^{(1)} in the equations, and said h_0 = 0 of a model whose states are h1 and h2."""
    path = str(EXAMPLES / "elman2.toml")
    doc = docs(path, 2, Dims(2, 2))
    for fmt in ("tex", "md"):
        whole = render_text(doc, fmt)
        text = whole[whole.index("parameters"):]      # past the title (the file's own text)
        assert not re.search(r"[A-Za-z]\d*\[\d", text), fmt        # no W1[0,0], h1_2[0]
        prose = re.sub(r"\\texttt\{[^}]*\}", "", text)      # method names are code
        assert "t-1[" not in text and r"\_" not in prose, fmt
        assert r"- 1 \cdot" not in text and r"-1 \cdot" not in text, fmt
        assert r"W^{(1)}" in text and "W1" not in text, fmt
        assert r"h^{(1)}_0 = h^{(2)}_0 = 0" in whole, fmt
        assert "/work/" not in whole and "user-defined model from" not in whole
    # 1-based: the entries printed are 1 and 2 at n = 2, never 0
    entries = " ".join(f.tex for f in doc.context["explicit_grads"])
    assert "W^{(1)}_{11}" in entries and "_{0" not in entries and ",0}" not in entries
