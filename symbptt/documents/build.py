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

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..check import audit
from . import dynamics as dynamics_document
from .document import build as build_document
from .worked import worked_example
from .render import compile_pdf, overfull, environment, render_text
from ..errors import SymbpttError
from ..output import write_folder
from ..progress import bar
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


def _model_document(name: str) -> dict:
    """One zoo model's document (a worker's task: plain data back)."""
    spec = next(s for s in models() if s.name == name)
    T = DOC_T.get(spec.name, 3)
    dims = DOC_DIMS if spec.dims_used else Dims()
    doc = build_document(spec, T, dims)
    u, i = doc.context["unrolled"], doc.context["inductive"]
    return {"tex": render_text(doc, "tex"), "md": render_text(doc, "md"), "entry": {
        "name": spec.name, "T": T,
        "unrolled_text": f"{'proven' if u.proven else 'NOT proven'} ({u.entries} entries)",
        "inductive_text": f"{'proven, all T' if i.proven else 'NOT proven'} "
                          f"({i.entries} identities)",
        "links": " · ".join(f"[{x}]({spec.name}.{x})" for x in ("md", "tex", "pdf"))},
        "say": f"  {spec.name}: T = {T}, "
               f"{'proven' if u.proven and i.proven else 'NOT proven'}"}


def _seed004() -> dict:
    env, example = environment(), worked_example()
    return {fmt: env.get_template(f"seed004.{fmt}.j2").render(**example)
            for fmt in ("tex", "md")}


def _audit() -> dict:
    env = environment()
    audit_context, _ = audit.audit()
    gallery_context, _ = audit.gallery()
    return {"seed-audit.md": env.get_template("seed-audit.md.j2").render(**audit_context),
            "mistakes": {fmt: env.get_template(f"mistakes.{fmt}.j2").render(**gallery_context)
                         for fmt in ("tex", "md")},
            "index": {"audit": _summary(audit_context), "gallery": _summary(gallery_context)}}


def _summary(context: dict) -> dict:
    """What the index reads of a context: its numbers and texts, not its objects."""
    return {k: v for k, v in context.items() if isinstance(v, (int, float, str))}


def _dynamics() -> dict:
    env = environment()
    results = dynamics_document.run_all()
    figures = dynamics_document.figures(results)
    dyn = dynamics_document.context(results)
    return {"figures": figures, "say": f"  dynamics: {len(results)} analyses, "
                                       f"{len(figures)} figures",
            **{fmt: env.get_template(f"dynamics.{fmt}.j2").render(**dyn)
               for fmt in ("tex", "md")}}


def _pdf(name: str, tex: str, figures: dict | None) -> tuple:
    return compile_pdf(tex, name, figures)


def _pool(workers: int):
    """Both cores (issue 18: build took minutes on one): forked workers, each task's plain
    data back; one worker runs in this process."""
    if workers <= 1:
        return None
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def build_all(pdf: bool = True, progress=None, workers: int | None = None) -> Built:
    """Every file of output/, in memory; the documents built side by side on `workers`
    processes (default: the cores, at most 4). The same bytes in any order."""
    say = progress or (lambda line: None)
    workers = workers or min(4, os.cpu_count() or 1)
    start = time.perf_counter()
    names = [spec.name for spec in models()]
    pool = _pool(workers)
    try:
        run = (lambda f, *a: pool.submit(f, *a)) if pool else (lambda f, *a: _Done(f(*a)))
        # the longest first: the audit, then the dynamics, then the models
        jobs = {"audit": run(_audit), "dynamics": run(_dynamics), "seed004": run(_seed004)}
        jobs.update({name: run(_model_document, name) for name in names})
        files: dict = {}
        texs: dict = {}
        entries = []
        shown = bar(len(jobs) + (len(names) + 3 if pdf else 0), "symbptt build",
                    "45 s on two cores")
        for name in names:
            got = jobs[name].result()
            shown.update()
            texs[name] = got["tex"]
            files[f"{name}.tex"] = got["tex"].encode("utf-8")
            files[f"{name}.md"] = got["md"].encode("utf-8")
            entries.append(got["entry"])
            say(got["say"])
        seed = jobs["seed004"].result()
        shown.update()
        texs["seed004"] = seed["tex"]
        files.update({f"seed004.{fmt}": seed[fmt].encode("utf-8") for fmt in ("tex", "md")})
        aud = jobs["audit"].result()
        shown.update()
        files["seed-audit.md"] = aud["seed-audit.md"].encode("utf-8")
        files.update({f"mistakes.{fmt}": aud["mistakes"][fmt].encode("utf-8")
                      for fmt in ("tex", "md")})
        texs["mistakes"] = aud["mistakes"]["tex"]
        say("  seed audit and the gallery of mistakes")
        dyn = jobs["dynamics"].result()
        shown.update()
        figures = dyn["figures"]
        files.update(figures)
        files.update({f"dynamics.{fmt}": dyn[fmt].encode("utf-8") for fmt in ("tex", "md")})
        texs["dynamics"] = dyn["tex"]
        say(dyn["say"])
        files["README.md"] = _index(entries, aud["index"]["audit"], aud["index"]["gallery"])
        seconds_text = time.perf_counter() - start
        start = time.perf_counter()
        logs: dict = {}
        if pdf:
            pdf_figures = {k: v for k, v in figures.items() if k.endswith(".pdf")}
            made = {name: run(_pdf, name, tex, pdf_figures if name == "dynamics" else None)
                    for name, tex in texs.items()}
            for name in texs:
                files[f"{name}.pdf"], logs[name] = made[name].result()
                shown.update()
                say(f"  {name}.pdf")
        shown.close()
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return Built(files, seconds_text, time.perf_counter() - start, logs, pdf)


@dataclass(frozen=True)
class _Done:
    """A task run here and now, shaped like a future."""
    value: object

    def result(self):
        return self.value


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
