"""build: every derivation document in output/, and a check that output/ is up to date.

output/ holds, for every zoo model, MODEL.tex, MODEL.md and MODEL.pdf at DOC_T, the seed-004
worked example (seed004.tex/.md/.pdf) computed by `grad`, the seed audit (seed-audit.md:
every gradient formula of the seeds, checked), the gallery of classic mistakes
(mistakes.md), the gradient-dynamics document (dynamics.md/.tex/.pdf, its figures in
figures/ as SVG and PDF, from symbptt analyze), and README.md indexing them. The
.tex and .md are byte-identical from build to build; the PDFs too (SOURCE_DATE_EPOCH, no
trailer ID) on one TeX Live.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..check import audit
from . import dynamics as dynamics_document
from .document import build as build_document
from .worked import worked_example
from .render import compile_pdf, overfull, environment, render_text
from ..errors import SymbpttError
from ..output import write_folder
from ..model.spec import Dims
from ..model.zoo import models

# T of each model's document: 3 where the unrolled proof is instant, 2 otherwise
DOC_T = {"gru": 2, "gru_torch": 2, "lstm": 2, "attention": 2, "elman_softmax": 2,
         "d2l_linear": 2}
DOC_DIMS = Dims(2, 2, 2)


@dataclass(frozen=True)
class Built:
    files: dict = field(hash=False)        # name -> bytes
    seconds_text: float = 0.0              # proofs, cross-checks and rendering
    seconds_pdf: float = 0.0               # latexmk
    logs: dict = field(default_factory=dict, hash=False)   # name -> LaTeX log
    pdf: bool = True


def _index(entries: list[dict], audit_context: dict, gallery_context: dict) -> bytes:
    return environment().get_template("index.md.j2").render(
        models=entries, audit=audit_context, gallery=gallery_context).encode("utf-8")


def build_all(pdf: bool = True, progress=None) -> Built:
    """Every file of output/, in memory."""
    say = progress or (lambda line: None)
    env = environment()
    files: dict = {}
    logs: dict = {}
    start = time.perf_counter()
    texs = {}
    entries = []
    for spec in models():
        T = DOC_T.get(spec.name, 3)
        dims = DOC_DIMS if spec.dims_used else Dims()
        doc = build_document(spec, T, dims)
        texs[spec.name] = render_text(doc, "tex")
        files[f"{spec.name}.tex"] = texs[spec.name].encode("utf-8")
        files[f"{spec.name}.md"] = render_text(doc, "md").encode("utf-8")
        u, i = doc.context["unrolled"], doc.context["inductive"]
        entries.append({
            "name": spec.name, "T": T,
            "unrolled_text": f"{'proven' if u.proven else 'NOT proven'} ({u.entries} entries)",
            "inductive_text": f"{'proven, all T' if i.proven else 'NOT proven'} "
                              f"({i.entries} identities)",
            "links": " · ".join(f"[{x}]({spec.name}.{x})" for x in ("md", "tex", "pdf"))})
        say(f"  {spec.name}: T = {T}, {'proven' if u.proven and i.proven else 'NOT proven'}")
    example = worked_example()
    for fmt in ("tex", "md"):
        text = env.get_template(f"seed004.{fmt}.j2").render(**example)
        files[f"seed004.{fmt}"] = text.encode("utf-8")
    texs["seed004"] = files["seed004.tex"].decode("utf-8")
    audit_context, _ = audit.audit(say)
    files["seed-audit.md"] = env.get_template("seed-audit.md.j2").render(
        **audit_context).encode("utf-8")
    gallery_context, _ = audit.gallery(say)
    for fmt in ("tex", "md"):
        files[f"mistakes.{fmt}"] = env.get_template(f"mistakes.{fmt}.j2").render(
            **gallery_context).encode("utf-8")
    texs["mistakes"] = files["mistakes.tex"].decode("utf-8")
    results = dynamics_document.run_all()
    figures = dynamics_document.figures(results)
    files.update(figures)
    dyn = dynamics_document.context(results)
    for fmt in ("tex", "md"):
        files[f"dynamics.{fmt}"] = env.get_template(f"dynamics.{fmt}.j2").render(
            **dyn).encode("utf-8")
    texs["dynamics"] = files["dynamics.tex"].decode("utf-8")
    say(f"  dynamics: {len(results)} analyses, {len(figures)} figures")
    files["README.md"] = _index(entries, audit_context, gallery_context)
    seconds_text = time.perf_counter() - start
    start = time.perf_counter()
    if pdf:
        pdf_figures = {k: v for k, v in figures.items() if k.endswith(".pdf")}
        for name, tex in texs.items():
            files[f"{name}.pdf"], logs[name] = compile_pdf(
                tex, name, pdf_figures if name == "dynamics" else None)
            say(f"  {name}.pdf")
    return Built(files, seconds_text, time.perf_counter() - start, logs, pdf)


def overfull_boxes(built: Built) -> list[str]:
    """Every box of a built PDF that sticks out past OVERFULL_LIMIT, from latexmk's logs:
    "elman.pdf: 12.3pt too wide in paragraph at lines 40--41"."""
    return [f"{name}.pdf: {line}" for name, log in sorted(built.logs.items())
            for line in overfull(log)]


def names() -> tuple:
    """The files build makes, as far as they are known before building (the figures' folder
    stands for its figures): what `symbptt build` checks before its minutes of work."""
    docs = [spec.name for spec in models()] + ["seed004", "dynamics", "mistakes"]
    return tuple(f"{d}.{ext}" for d in docs for ext in ("tex", "md", "pdf")) + (
        "README.md", "seed-audit.md", "figures/dynamics-elman-jacobians.svg")


def write(built: Built, out: Path) -> None:
    """Every file into `out` (checked first: nothing is written when a name is blocked)."""
    write_folder(out, built.files)


def stale(built: Built, out: Path) -> list[str]:
    """The files of output/ that differ from what the code makes now (or are missing)."""
    bad = []
    for name, data in sorted(built.files.items()):
        path = out / name
        if path.exists() and not path.is_file():
            raise SymbpttError(f"cannot check {path}: it is not a regular file")
        if not path.exists() or path.read_bytes() != data:
            bad.append(name)
    return bad


def default_output() -> Path:
    """output/ of the checkout this package runs from (the current folder otherwise)."""
    here = Path(__file__).resolve().parents[2] / "output"
    return here if here.is_dir() else Path("output")
