"""symbptt.documents.build and `symbptt build`: the seed-004 worked example, output/ up to date, the
stale check, and the index.

Building every document takes ~12 s without PDFs and ~18 s more with them: `built` runs
build_all(pdf=True) once per session; the CLI tests reuse it (build_all monkeypatched):
.ci/run runs `symbptt build --check` on the committed output/ end to end, PDFs included,
after the tests. TeX Live and latexmk are required (CI installs them).
"""
from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import symbptt
import symbptt.documents.build as build_module
from symbptt.documents.build import DOC_T, build_all, overfull_boxes, stale, write
from symbptt.model.zoo import models

from ..cli_helpers import run

REPO = Path(symbptt.__file__).resolve().parent.parent
OUTPUT = REPO / "output"
MODELS = [spec.name for spec in models()]
EXPECTED = {f"{name}.{ext}" for name in MODELS + ["seed004", "dynamics", "mistakes"]
            for ext in ("tex", "md", "pdf")}
EXPECTED |= {"README.md", "seed-audit.md"}
FIGURES = {f"figures/dynamics-{model}-{part}.{ext}"
           for model, parts in (("elman", ("jacobians", "residual", "cost")),
                                ("linear_half_square", ("jacobians", "eigen", "orthogonal",
                                                        "truncation", "randomized", "clip")),
                                ("attention", ("attention",)))
           for part in parts for ext in ("svg", "pdf")}
EXPECTED |= FIGURES
OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)", re.MULTILINE)


@pytest.fixture(scope="module")
def built():
    return build_all(pdf=True)


@pytest.fixture
def fake_build_all(monkeypatch, built):
    """`symbptt build` served from the session's build (what build_all(pdf) would return)."""
    calls = []

    def fake(pdf=True, progress=None):
        calls.append(pdf)
        files = {k: v for k, v in built.files.items()     # figures' PDFs need no TeX
                 if pdf or not k.endswith(".pdf") or k.startswith("figures/")}
        return replace(built, files=files, logs=built.logs if pdf else {}, pdf=pdf)
    monkeypatch.setattr(build_module, "build_all", fake)
    return calls


@pytest.fixture
def output_copy(tmp_path):
    """A copy of the committed output/ to spoil."""
    out = tmp_path / "output"
    shutil.copytree(OUTPUT, out)
    return out


# --------------------------------------------------------------------------- seed 004

def test_seed004_documents_show_the_numbers(built):
    for name in ("seed004.md", "seed004.tex"):
        text = built.files[name].decode("utf-8")
        assert "004_62ba402ad1754453" not in text.replace(r"\_", "_")   # cited by title
        assert "seed note 004" in text
        for number in ("205/16", "-103/8", "-13/4", "-13/2", "-51/4", "7/4", "1/2"):
            assert number in text, (name, number)


# --------------------------------------------------------------------------- build_all

def test_build_all_makes_every_file(built):
    assert set(built.files) == EXPECTED
    assert built.pdf and set(built.logs) == set(MODELS) | {"seed004", "dynamics", "mistakes"}
    for name, data in built.files.items():
        assert data, name
        if name.endswith(".pdf"):
            assert data.startswith(b"%PDF"), name
        else:
            data.decode("utf-8")
    for name in MODELS:
        T = DOC_T.get(name, 3)
        assert f"## The unrolled graph, $T = {T}$" in built.files[f"{name}.md"].decode()


def test_every_pdf_compiles_without_errors_or_wide_lines(built):
    """Issue 17: no overfull box over 1 pt in any PDF build makes (what .ci/run's
    `build --check` fails on)."""
    assert set(built.logs) == {n[:-4] for n in EXPECTED if n.endswith(".pdf") and "/" not in n}
    for name, log in built.logs.items():
        assert not [line for line in log.splitlines() if line.startswith("!")], name
        wide = [float(x) for x in OVERFULL.findall(log)]
        assert all(x <= 1.0 for x in wide), (name, sorted(wide, reverse=True)[:5])
    assert overfull_boxes(built) == []


def test_build_check_fails_on_an_overfull_box(capsys, fake_build_all, built, monkeypatch):
    """A PDF 3 pt past its margin makes `build --check` exit 1 with the box named, even when
    every file is up to date."""
    wide = "Overfull \\hbox (3.5pt too wide) in paragraph at lines 40--41\n"
    monkeypatch.setattr(build_module, "build_all", lambda pdf=True, progress=None: replace(
        built, logs={**built.logs, "elman": built.logs["elman"] + wide}))
    code, out, err = run(capsys, ["build", "--check", "--quiet", "--out", OUTPUT])
    assert code == 1 and err == ""
    assert "OVERFULL: elman.pdf: 3.5pt too wide in paragraph at lines 40--41" in out
    assert "1 overfull box(es) over 1 pt" in out


def test_every_document_is_proven(built):
    readme = built.files["README.md"].decode("utf-8")
    assert "NOT proven" not in readme
    for name in MODELS:
        text = built.files[f"{name}.md"].decode("utf-8")
        assert "NOT proven" not in text and "not proven" not in text.lower(), name


# --------------------------------------------------------------------------- up to date

def test_committed_output_is_up_to_date(built):
    """What `symbptt build --check` checks, in-process: every file of output/ is what the
    code makes now (PDFs included, byte for byte), and output/ holds nothing else."""
    assert stale(built, OUTPUT) == []
    found = {p.relative_to(OUTPUT).as_posix() for p in OUTPUT.rglob("*")
             if p.is_file() and not p.name.startswith(".")}
    assert found == EXPECTED


def test_cli_build_check_on_the_committed_output(capsys, fake_build_all):
    """`symbptt build --check --out output` exits 0 (served from the session's build:
    .ci/run runs the whole command end to end after the tests)."""
    code, out, err = run(capsys, ["build", "--check", "--quiet", "--out", OUTPUT])
    assert (code, err) == (0, ""), out + err
    assert fake_build_all == [True]
    assert out.startswith(f"up to date: {len(EXPECTED)} files in {OUTPUT}")
    assert "PDFs in" in out


# --------------------------------------------------------------------------- stale

def test_stale_reports_changed_and_missing_files(built, output_copy):
    assert stale(built, output_copy) == []
    md = output_copy / "elman.md"
    data = bytearray(md.read_bytes())
    data[100] ^= 1                                      # one byte changed
    md.write_bytes(bytes(data))
    assert stale(built, output_copy) == ["elman.md"]
    (output_copy / "gru.pdf").unlink()
    assert stale(built, output_copy) == ["elman.md", "gru.pdf"]


def test_cli_check_names_the_stale_file(capsys, output_copy, fake_build_all):
    code, out, err = run(capsys, ["build", "--check", "--no-pdf", "--quiet",
                                  "--out", output_copy])
    assert (code, err) == (0, ""), out
    assert out.startswith("up to date:")
    md = output_copy / "lstm.md"
    spoiled = md.read_bytes().replace(b"# BPTT", b"# bPTT", 1)
    md.write_bytes(spoiled)
    code, out, err = run(capsys, ["build", "--check", "--no-pdf", "--quiet",
                                  "--out", output_copy])
    assert code == 1, (out, err)
    assert err == "" and out.startswith("STALE: 1 file(s)")
    assert "lstm.md" in out and "elman.md" not in out
    assert md.read_bytes() == spoiled                   # --check never writes
    assert fake_build_all == [False, False]             # --no-pdf reached build_all


def test_cli_build_writes_a_folder(capsys, tmp_path, fake_build_all, built):
    out_dir = tmp_path / "new" / "docs"
    code, out, err = run(capsys, ["build", "--no-pdf", "--quiet", "--out", out_dir])
    assert (code, err) == (0, ""), out
    assert out.startswith(f"wrote {len(EXPECTED) - len(MODELS) - 3} files to {out_dir}")
    names = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()}
    documents = {n for n in EXPECTED if n.endswith(".pdf") and "/" not in n}
    assert names == EXPECTED - documents                # no temp files left
    assert stale(built, out_dir) == sorted(documents)
    code, out, err = run(capsys, ["build", "--check", "--no-pdf", "--quiet", "--out", out_dir])
    assert code == 0, out


def test_write_then_stale_round_trip(built, tmp_path):
    write(built, tmp_path / "out")
    assert stale(built, tmp_path / "out") == []


# --------------------------------------------------------------------------- the index

def test_readme_links_every_models_three_files():
    readme = (OUTPUT / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0)
            for m in re.finditer(r"^\| `([a-z0-9_]+)` \|.*$", readme, re.MULTILINE)}
    assert set(rows) == set(MODELS)
    for name in MODELS:
        row = rows[name]
        assert f"| {DOC_T.get(name, 3)} |" in row, row
        for ext in ("md", "tex", "pdf"):
            assert f"[{ext}]({name}.{ext})" in row, (name, ext)
    for ext in ("md", "tex", "pdf"):
        assert f"[{ext}](seed004.{ext})" in readme
    assert "[seed-audit.md](seed-audit.md)" in readme
    for ext in ("md", "tex", "pdf"):
        assert f"[{ext}](dynamics.{ext})" in readme and f"[{ext}](mistakes.{ext})" in readme
    targets = re.findall(r"\]\(([^)]+)\)", readme)
    assert len(targets) == 3 * (len(MODELS) + 3) + 1
    for target in targets:
        assert (OUTPUT / target).is_file(), target


# --------------------------------------------------------------------------- dynamics

def test_the_dynamics_document_shows_every_part_and_its_figure(built):
    md = built.files["dynamics.md"].decode("utf-8")
    tex = built.files["dynamics.tex"].decode("utf-8")
    for name in FIGURES:
        if name.endswith(".svg"):
            assert f"]({name})" in md, name
        else:
            assert f"{{{name}}}" in tex, name
    assert "NOT" not in md and "a bug" not in md.replace("would be a bug", "")
    # the seeds' numbers, as the document states them
    assert "| 10 | 55 | 55 | 45 | 10 |" in md                     # 000: 55 paths at T = 10
    assert "$E[\\xi_t] = 1$" in md                               # 002
    assert "fitted factor is\n1.2 a step as predicted" in md      # 001: |lambda|^m
    assert "unchanged, bit for bit" in md                        # 001: ||g|| <= c
    assert "\\includegraphics" in tex


def test_the_dynamics_figures_are_byte_identical_and_drawn_from_the_analyses(built):
    from symbptt.documents import dynamics as dynamics_document
    from symbptt.documents.figures import figure
    results = dynamics_document.run_all()
    r = results["linear_half_square"]
    again = figure("eigen", r.parts["eigen"], "svg", "linear_half_square")
    assert again == built.files["figures/dynamics-linear_half_square-eigen.svg"]
    svg = built.files["figures/dynamics-elman-jacobians.svg"].decode("utf-8")
    assert "<dc:date>" not in svg and "symbptt" in svg
    pdf = built.files["figures/dynamics-elman-jacobians.pdf"]
    assert b"CreationDate" not in pdf and b"/Producer (symbptt)" in pdf


def test_one_worker_and_several_make_the_same_bytes(built):
    """Issue 18: build uses both cores; a document is the same bytes made here, in this
    process, as by a forked worker (a whole one-worker build took 70 s of CI: three
    models' tasks stand for it, the seed-004 one too)."""
    for name in ("elman", "lstm", "generic"):
        alone = build_module._model_document(name)
        assert alone["tex"].encode("utf-8") == built.files[f"{name}.tex"]
        assert alone["md"].encode("utf-8") == built.files[f"{name}.md"]
    seed = build_module._seed004()
    assert seed["md"].encode("utf-8") == built.files["seed004.md"]
