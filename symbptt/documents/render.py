"""render: a derivation document as LaTeX, Markdown or PDF, from jinja2 templates.

The templates use LaTeX-safe delimiters: ((* block *)), ((( variable ))), ((= comment =)).
They live in the top-level templates/ folder, installed as the package symbptt.templates.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

import jinja2

from .document import Document, build
from ..errors import SymbpttError
from .graph import mermaid, tikz, unrolled_graph
from .notation import symbol_latex
from ..model.spec import Dims, ModelSpec

FORMATS = ("tex", "md", "pdf")
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-pictures latexmk"
EPOCH = "0"          # SOURCE_DATE_EPOCH for the PDFs: no timestamps, byte-identical builds

_TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}"}


def tex_text(text: object) -> str:
    """Plain text made safe for LaTeX."""
    return "".join(_TEX_ESCAPES.get(c, c) for c in str(text))


_MATH_TOKEN = re.compile(r"\b[A-Za-z]+_(?:\{[^{}]*\}|[A-Za-z0-9]+)|>=|<=")


def tex_prose(text: object) -> str:
    """Our own prose made safe for LaTeX, its math tokens set as math: "h_{t-1} opaque" ->
    "$h_{t-1}$ opaque", "T >= 1" -> "T $\\ge$ 1"."""
    out, last = [], 0
    text = str(text)
    for m in _MATH_TOKEN.finditer(text):
        out.append(tex_text(text[last:m.start()]))
        token = m.group(0)
        head, _, sub = token.partition("_")
        math = f"{head}_{sub}" if sub.startswith("{") else f"{head}_{{{sub}}}"
        out.append({">=": r"$\ge$", "<=": r"$\le$"}.get(token, f"${math}$"))
        last = m.end()
    out.append(tex_text(text[last:]))
    return "".join(out)


_MD_PIECE = re.compile(r"\$[^$]+\$|\*[^*]+\*|`[^`]+`")


def md_tex(text: object) -> str:
    """Our prose written for Markdown as LaTeX: $math$ kept, *emphasis* and `code` set,
    the rest escaped."""
    out, last = [], 0
    text = str(text)
    for m in _MD_PIECE.finditer(text):
        out.append(tex_text(text[last:m.start()]))
        piece = m.group(0)
        if piece.startswith("$"):
            out.append(piece)
        elif piece.startswith("*"):
            out.append(rf"\emph{{{md_tex(piece[1:-1])}}}")
        else:
            out.append(rf"\texttt{{{tex_text(piece[1:-1])}}}")
        last = m.end()
    out.append(tex_text(text[last:]))
    return "".join(out)


def power_tex(text: object) -> str:
    """A bound as math: "< 1e-14" -> $< 10^{-14}$, "1e-12" -> $10^{-12}$; else as it is."""
    m = re.fullmatch(r"(<\s*)?1e(-?\d+)", str(text).strip())
    if not m:
        return tex_text(text)
    return f"${'< ' if m.group(1) else ''}10^{{{int(m.group(2))}}}$"


def rows(formulas) -> str:
    """Formulas as the lines of an align* block."""
    return " \\\\\n".join(f.tex for f in formulas)


def param_tex(name: str) -> str:
    return "x" if name == "x" else symbol_latex(name)


def templates_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "templates"
    if here.is_dir():
        return here
    return Path(str(resources.files("symbptt") / "templates"))


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters.update(power_tex=power_tex, tex_text=tex_text, tex_prose=tex_prose, md_tex=md_tex, rows=rows, param_tex=param_tex)
    return env


def _certificates(doc: Document) -> list[dict]:
    out = []
    for c in (doc.context["unrolled"], doc.context["inductive"]):
        out.append({"kind": c.kind, "where": f"T = {c.T}" if c.kind == "unrolled" else "all T",
                    "proven": sum(g.proven for g in c.groups), "entries": c.entries,
                    "claim": c.claim, "method": c.method, "ok": c.proven})
    return out


def render_text(doc: Document, fmt: str) -> str:
    graph = unrolled_graph(doc.context["structure"], doc.T)
    context = {**doc.context, "tikz": tikz(graph), "mermaid": mermaid(graph),
               "certificates": _certificates(doc)}
    return environment().get_template(f"derivation.{fmt}.j2").render(**context)


def have_tex() -> bool:
    return shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None


def require_tex(hint: str = "") -> None:
    """A one-line error naming the Debian packages when TeX is missing."""
    if not have_tex():
        raise SymbpttError(f"PDF needs TeX Live and latexmk: apt-get install {TEX_PACKAGES}"
                           + hint)


def compile_pdf(tex: str, name: str = "doc", files: dict | None = None) -> tuple[bytes, str]:
    """(the PDF, the LaTeX log) of a document, through latexmk in a scratch folder; `files`
    (relative name -> bytes) are put beside it first: the figures it includes."""
    require_tex()
    with tempfile.TemporaryDirectory() as work:
        for rel, data in (files or {}).items():
            target = Path(work) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        src = Path(work) / f"{name}.tex"
        src.write_text(tex, encoding="utf-8")
        env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "FORCE_SOURCE_DATE": "1"}
        run = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
                              "-quiet", src.name], cwd=work, env=env, capture_output=True,
                             text=True)
        log_path = Path(work) / f"{name}.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        pdf = Path(work) / f"{name}.pdf"
        if run.returncode != 0 or not pdf.exists():
            first = next((line for line in log.splitlines() if line.startswith("!")),
                         "latexmk failed")
            raise SymbpttError(f"LaTeX failed for {name}: {first}")
        return pdf.read_bytes(), log


_OVERFULL = re.compile(r"^Overfull \\[hv]box \((?P<pt>[0-9.]+)pt too (?:wide|high)\)(?P<rest>.*)$",
                       re.M)
OVERFULL_LIMIT = 1.0           # pt: a box further out than this is a defect of the document


def overfull(log: str, limit: float = OVERFULL_LIMIT) -> list[str]:
    """The overfull boxes of a LaTeX log that stick out more than `limit` pt, one line each
    ("12.3pt too wide in paragraph at lines 40--41")."""
    return [f"{m['pt']}pt too {'wide' if 'hbox' in m[0] else 'high'}{m['rest']}"
            for m in _OVERFULL.finditer(log) if float(m["pt"]) > limit]


# what pdflatex sets from UTF-8 input: Latin letters with their accents, and the few marks
# our own texts use; a Chinese title (the seed notes are Chinese) needs a CJK engine
_SETTABLE = set("“”‘’–—…§·×→") | {chr(c) for c in range(0x250)}


def require_settable(spec: ModelSpec) -> None:
    """A model whose title or notes LaTeX cannot set is refused before any work."""
    for what, text in (("title", spec.title), ("notes", spec.notes)):
        bad = next((c for c in str(text or "") if c not in _SETTABLE), None)
        if bad is not None:
            raise SymbpttError(f"the model's {what} has {bad!r}, a character pdflatex cannot "
                               f"set: give the model file a title in Latin letters for "
                               f"--format tex or pdf (--format md shows it as it is)")


def render(spec: ModelSpec, T: int, dims: Dims, fmt: str,
           activation: str | None = None) -> bytes:
    if fmt not in FORMATS:
        raise SymbpttError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt in ("tex", "pdf"):
        require_settable(spec)          # before the proofs, not after
    if fmt == "pdf":
        require_tex()
    doc = build(spec, T, dims, activation)
    if fmt == "pdf":
        return compile_pdf(render_text(doc, "tex"), spec.name)[0]
    return render_text(doc, fmt).encode("utf-8")
