"""The seed audit and the gallery of mistakes: claim files, checked, as documents.

The seed audit checks every gradient formula of the five seed notes
(symbptt/examples/seeds/, one claim file per note, each formula written as the note writes
it) and lists each with its line in the note, the verdict, the record (`expect`) and, for a
wrong one, the counterexample and the diagnosis; every formula keeps one number, its place
in the note (see labels). The gallery (symbptt/examples/mistakes.toml) does the same for
the classic slips, each wrong formula set over the corrected one (the diagnosis's edit
applied). Both are built by `symbptt build` (output/seed-audit.md, output/mistakes.md and
mistakes.tex), from the contexts made here: formulas, entries and values as LaTeX math
(formula/latex.py), entries 1-based, values to SIGNIFICANT digits. Nothing in them depends
on the clock, so two builds give the same bytes.
"""
from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from . import claimfile
from .verdict import check
from .outcome import CheckReport, ClaimReport
from .report import Ts_text
from ..formula.latex import latex, name_latex
from ..formula.lines import lines
from ..formula.parse import FormulaError, parse_expression
from ..model.zoo import source as seed_source, zoo_model


@dataclass(frozen=True)
class Checked:
    """A claim file and what check said of each of its claims (in the file's order)."""
    file: claimfile.ClaimFile
    name: str                        # the file's name: 000.toml
    claims: tuple[ClaimReport, ...]
    seconds: float


def examples_dir() -> Path:
    return Path(str(resources.files("symbptt") / "examples"))


def seed_files() -> list[Path]:
    return sorted((examples_dir() / "seeds").glob("*.toml"))


def gallery_file() -> Path:
    return examples_dir() / "mistakes.toml"


# the seconds each claim not proven for every T is searched past K for a counterexample:
# the documents print the scope ("T <= 4"), not how far a search got (a machine's speed)
SEARCH_BUDGET = 3.0


def run(path: Path, budget: float = SEARCH_BUDGET) -> Checked:
    """Check every claim of a file; the reports come back in the file's order."""
    start = time.perf_counter()
    cf = claimfile.load(path)
    reports: list[CheckReport] = [check(g.model, list(g.claims), g.activation, cf.dims,
                                        cf.T_max, budget=budget) for g in cf.groups]
    found = {c.input: c for r in reports for c in r.claims}
    return Checked(cf, path.name, tuple(found[ci] for ci in cf.order),
                   time.perf_counter() - start)


def fix_found(c: ClaimReport) -> bool | None:
    """Did the diagnosis name the edit the file expects (None: the file names none)?"""
    if not c.input.fix:
        return None
    return any(f.edit == c.input.fix for f in c.fixes)


def agrees(c: ClaimReport) -> bool | None:
    """Is the verdict the one the file records (None: it records none)?"""
    return None if not c.input.expect else c.verdict == c.input.expect


def _cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _formula(c: ClaimReport) -> str:
    return c.input.claim.strip()


# ---- as the documents show it: numbers, entries and formulas in LaTeX math --------------

SIGNIFICANT = 6              # significant digits of a counterexample's values
WIDTH = 60                   # characters of formula text on one printed line
_RATIONAL = re.compile(r"(-?)(\d+)/(\d+)")
_SYMBOL = re.compile(r"(?P<base>[A-Za-z]+\d*(?:_[A-Za-z0-9]+)*?)(?:_(?P<t>\d+))?"
                     r"(?:\[(?P<idx>\d+(?:, ?\d+)*)\])?")


def rounded(text: str, digits: int = SIGNIFICANT) -> str:
    """A decimal value to `digits` significant digits (-1.2386178488... -> -1.23862); an
    exact p/q, or anything that is no number, as it is."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite() or value == 0:
        return "0" if value == 0 else text
    mantissa, e, exponent = f"{value:.{digits}g}".partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return mantissa + (f"e{int(exponent)}" if e else "")


def shown_values(expected: str, got: str) -> tuple[str, str]:
    """Both values of a counterexample to SIGNIFICANT digits, or to as many as it takes
    to tell them apart."""
    for digits in range(SIGNIFICANT, 40):
        a, b = rounded(expected, digits), rounded(got, digits)
        if a != b or expected == got:
            return a, b
    return expected, got


def number_tex(text: str) -> str | None:
    """A shown value as LaTeX: p/q as a fraction, 1.5e-7 as 1.5 \\times 10^{-7}; None for
    what is no number (with undefined functions a counterexample shows their expanded
    difference)."""
    m = _RATIONAL.fullmatch(text)
    if m:
        return f"{m[1]}\\tfrac{{{m[2]}}}{{{m[3]}}}"
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:e([-+]?\d+))?", text)
    if not m:
        return None
    return m[1] + (f" \\times 10^{{{int(m[2])}}}" if m[2] else "")


def Ts_tex(Ts: tuple) -> str:
    """The T checked, as LaTeX math: T = 1, \\dots, 4 or T = 1, 2, 3, 4, 6."""
    if len(Ts) > 2 and list(Ts) == list(range(Ts[0], Ts[-1] + 1)):
        return f"T = {Ts[0]}, \\dots, {Ts[-1]}"
    return "T = " + ", ".join(map(str, Ts))


def _subscripted(tex: str, sub: str) -> str:
    """x, \\hat{y} -> x_{sub}; W_{hh} -> (W_{hh})_{sub}; a fraction -> \\left(...\\right)_{sub}."""
    if not any(mark in tex for mark in ("_", "^", "\\frac")):
        return f"{tex}_{{{sub}}}"
    if "\\frac" in tex:
        return f"\\left({tex}\\right)_{{{sub}}}"
    return f"({tex})_{{{sub}}}"


def one_based(entry: str) -> str:
    """The checker's 0-based entry "[0,1]" as the documents' 1-based "1,2"."""
    return ",".join(str(int(i) + 1) for i in re.findall(r"\d+", entry))


def symbol_tex(name: str) -> str:
    """A symbol of the unrolled model as LaTeX, its entries 1-based: W[0,1] -> W_{1,2},
    x_2[0] -> x_{2,1} (step 2, entry 1), W_hh[1,0] -> (W_{hh})_{2,1}, W_xh -> W_{xh}."""
    m = _SYMBOL.fullmatch(name)
    if not m:
        return "\\mathrm{" + name.replace("_", "\\_") + "}"
    parts = [p for p in (m["t"], one_based(m["idx"] or "")) if p]
    tex = name_latex(m["base"])
    return _subscripted(tex, ",".join(parts)) if parts else tex


def entry_tex(at: str, entry: str) -> str | None:
    """The failing entry of a counterexample: dL/dh[1] at [0] -> (dL/dh_1)_1 in LaTeX."""
    try:
        tex = latex(parse_expression(at, "the entry"))
    except FormulaError:
        return None
    sub = one_based(entry)
    return _subscripted(tex, sub) if sub else tex


def formula_lines(text: str) -> list[tuple[str, str]] | None:
    """A formula (the checker's text of a tree) as lines (left, right) of LaTeX, a long
    one broken where a reader breaks it (formula.lines); None if it will not parse."""
    try:
        return lines(text, WIDTH)
    except FormulaError:
        return None


def _part(text: str = "", math: str = "", code: str = "") -> dict:
    """A piece of prose as the documents set it: words, math or code."""
    return {"text": text, "math": math, "code": code}


def _math(text: str) -> dict:
    """A formula of the checker's text as a math part, or as code if it will not parse."""
    try:
        return _part(math=latex(parse_expression(text, "the edit")))
    except FormulaError:
        return _part(code=text)


def edit_parts(edit: str) -> list[dict]:
    """The diagnosis's words for an edit ("replace `W` by `W.T`"), its formulas as math."""
    pieces = edit.split("`")
    return [_math(p) if k % 2 else _part(p) for k, p in enumerate(pieces) if p]


def note_parts(text: str) -> list[dict]:
    """A note of a claim file: prose, with $...$ as math."""
    pieces = text.split("$")
    return [_part(math=p) if k % 2 else _part(p) for k, p in enumerate(pieces) if p]


def title_parts(text: str) -> list[dict]:
    """A claim's name: prose in which a_t or h_{t-1} is math."""
    out, last = [], 0
    for m in re.finditer(r"(?<![\w\\$])[A-Za-z]_(?:\{[^{}$]*\}|[A-Za-z0-9])(?![\w{])", text):
        out += [_part(text[last:m.start()])] if m.start() > last else []
        out.append(_part(math=m[0]))
        last = m.end()
    return out + ([_part(text[last:])] if last < len(text) else [])


def _counterexample(ce) -> dict:
    expected, got = shown_values(ce.expected, ce.got)
    return {
        "at": f"{ce.at}{ce.entry}", "at_tex": entry_tex(ce.at, ce.entry), "T": ce.T,
        "scalar": not one_based(ce.entry),
        "point": [{"tex": symbol_tex(k), "value": v, "value_tex": number_tex(v)}
                  for k, v in ce.point.items()],
        "expected": {"text": expected, "tex": number_tex(expected)},
        "got": {"text": got, "tex": number_tex(got)}}


def _fix_context(f, named: str) -> dict:
    return {"edit": f.edit, "edit_parts": edit_parts(f.edit), "where": f.where,
            "proven": f.proven, "named": f.edit == named, "kind": f.kind,
            "formula": f.formula, "lines": formula_lines(f.formula)}


def _corrected(fixes: list[dict]) -> dict | None:
    """The fix the document shows applied: the one the file names, else the first."""
    return next((f for f in fixes if f["named"]), fixes[0] if fixes else None)


def side_by_side(wrong: list | None, fix: dict | None) -> list[tuple[str, str, str]]:
    """The rows (label, left, right) that set the wrong formula over the corrected one;
    [] when the wrong one will not parse."""
    if not wrong:
        return []
    rows = [("wrong:" if k == 0 else "", left, right) for k, (left, right) in enumerate(wrong)]
    if fix and fix["lines"]:
        label = "corrected:" if fix["where"] in ("", "in the claim") else \
            "its definition, corrected:"
        rows += [(label if k == 0 else "", left, right)
                 for k, (left, right) in enumerate(fix["lines"])]
    return rows


def _claim_context(c: ClaimReport, model: str, label: str = "", title: str = "") -> dict:
    ce = c.counterexample
    fixes = [_fix_context(f, c.input.fix) for f in c.fixes]
    lines = formula_lines(c.formula)
    title = title or c.input.name
    return {
        "name": c.input.name, "label": label, "title": title, "title_parts": title_parts(title),
        "source": c.input.source, "line": c.input.source.partition(":")[2],
        "quote": _cell(c.input.quote), "claim": _cell(_formula(c)), "parsed": c.formula,
        "lines": lines, "where": list(c.input.where),
        "where_lines": [formula_lines(w) for w in c.where],
        "convention": c.input.convention, "verdict": c.verdict, "expect": c.input.expect,
        "agrees": agrees(c), "Ts": Ts_text(c.Ts), "Ts_tex": Ts_tex(c.Ts),
        "shape_error": c.shape_error,
        "counterexample": None if ce is None else _counterexample(ce),
        "fixes": fixes, "corrected": _corrected(fixes),
        "side_by_side": side_by_side(lines, _corrected(fixes)),
        "tried": c.tried, "fix": c.input.fix, "fix_found": fix_found(c), "note": c.input.note,
        "note_parts": note_parts(c.input.note),
        "model": model, "model_document": model if zoo_model(model) else "",
        "scope": _scope(c),
    }


# ---- one numbering: the seed's formula numbers -------------------------------------------

_NUMBER = re.compile(r"(\d{3}-\d{2}[a-z]?(?:/\d{2}[a-z]?)*)\s+(.*)", re.S)


def labels(names: list[str]) -> list[tuple[str, str]]:
    """(label, title) of each claim. A name "000-02 dl_t/dW_h ..." is formula 02 of seed
    note 000 (a letter, 001-14a, a part of one line of formulas; 001-06/07, formulas 06 and
    07 in one claim); several claims that read
    one formula are its readings 000-02.1, 000-02.2, ... A file whose names carry no
    number (the gallery) is numbered 1, 2, ..."""
    numbers = [m[1] if (m := _NUMBER.fullmatch(n)) else "" for n in names]
    count = Counter(numbers)
    seen: Counter = Counter()
    out = []
    for k, (name, number) in enumerate(zip(names, numbers), 1):
        if not number:
            out.append((str(k), name))
            continue
        seen[number] += 1
        reading = f".{seen[number]}" if count[number] > 1 else ""
        out.append((number + reading, _NUMBER.fullmatch(name)[2]))
    return out


def skipped_label(name: str) -> str:
    """A formula the seed numbers (000-08, 000-15/17/22/24); "" for the rest."""
    return name if re.fullmatch(r"\d{3}-\d{2}(/\d{2})*", name) else ""


def _scope(c: ClaimReport) -> dict | None:
    """What a correct verdict covers, for the document (no search extent: that depends on
    the machine's speed)."""
    if c.verdict != "correct":
        return None
    if c.scope == "every T":
        lemmas = "; ".join(c.proof.lemmas) if c.proof.lemmas else ""
        return {"short": "every T", "text": f"for every T: exactly at {Ts_text(c.Ts)}, and "
                f"proven for T >= {c.proof.T_from} in windows of steps"
                + (f" (by induction: {lemmas})" if lemmas else "")}
    if c.scope.startswith("T = "):
        return {"short": c.scope.replace("T = ", "T ∈ {") + "}" if "," in c.scope else c.scope,
                "text": f"at {c.scope} only (the claim's own T)"}
    K = c.Ts[-1]
    why = f": not proven for every T ({c.proof.reason})" if c.proof and c.proof.reason else ""
    return {"short": f"T ≤ {K}", "text": f"at {Ts_text(c.Ts)}, exactly{why}; no counterexample "
            f"found past T = {K} by a numeric search, but nothing is claimed there"}


def _models(checked: Checked) -> dict:
    """claim input -> (its model, its activation): the file's default or the claim's own."""
    return {ci: (g.model, g.activation) for g in checked.file.groups for ci in g.claims}


def _file_context(f: Checked) -> dict:
    models = _models(f)
    named = labels([c.input.name for c in f.claims])
    claims = []
    for c, (label, title) in zip(f.claims, named):
        model, activation = models.get(c.input, ("", None))
        claims.append({**_claim_context(c, model, label, title), "activation": activation})
    return {
        "name": f.name, "stem": f.name.removesuffix(".toml"), "title": f.file.title,
        "source": f.file.source, "cited": seed_source(f.file.source) if f.file.source else "",
        "note": f.file.note, "claims": claims,
        "correct": sum(c["verdict"] == "correct" for c in claims),
        "wrong": sum(c["verdict"] == "wrong" for c in claims),
        "as_recorded": sum(bool(c["agrees"]) for c in claims),
        "recorded": sum(c["agrees"] is not None for c in claims),
        "skipped": [{"name": s.name, "label": skipped_label(s.name), "source": s.source,
                     "line": s.source.partition(":")[2], "quote": _cell(s.quote),
                     "reason": _cell(s.reason)} for s in f.file.skipped],
    }


def context(files: list[Checked]) -> dict:
    out = [_file_context(f) for f in files]
    return {"files": out, "significant": SIGNIFICANT,
            "claims": sum(len(f["claims"]) for f in out),
            "correct": sum(f["correct"] for f in out),
            "wrong": sum(f["wrong"] for f in out),
            "as_recorded": sum(f["as_recorded"] for f in out),
            "recorded": sum(f["recorded"] for f in out),
            "skipped": sum(len(f["skipped"]) for f in out)}


def audit(progress=None) -> tuple[dict, list[Checked]]:
    say = progress or (lambda line: None)
    files = []
    for path in seed_files():
        checked = run(path)
        files.append(checked)
        wrong = sum(not c.correct for c in checked.claims)
        say(f"  seed audit {path.name}: {len(checked.claims)} claims, {wrong} wrong "
            f"({checked.seconds:.1f} s)")
    return context(files), files


def gallery(progress=None) -> tuple[dict, Checked]:
    checked = run(gallery_file())
    (progress or (lambda line: None))(
        f"  mistakes gallery: {len(checked.claims)} slips ({checked.seconds:.1f} s)")
    return context([checked]), checked
