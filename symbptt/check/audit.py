"""The seed audit and the gallery of mistakes: claim files, checked, as documents.

The seed audit checks every gradient formula of the five seed notes (examples/seeds/: each
as the note writes it, numbered by its place there) and lists its line, verdict, record
(`expect`), a wrong one's counterexample and diagnosis. The gallery (examples/mistakes.toml)
does the same for classic slips, each set over its correction. `symbptt build` renders the
contexts made here: formulas, values and models as LaTeX (formula/latex.py), entries
1-based, SIGNIFICANT digits, sizes as check reports them; no clock, so builds are equal."""
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
from ..formula.parse import FormulaError, parse_equation, parse_expression
from ..model.zoo import source as seed_source, zoo_model


@dataclass(frozen=True)
class Checked:
    """A claim file and what check said of each of its claims (in the file's order)."""
    file: claimfile.ClaimFile
    name: str                        # the file's name: 000.toml
    claims: tuple[ClaimReport, ...]
    seconds: float
    reports: tuple[CheckReport, ...] = ()    # one a group of the file: its sizes, options


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
                   time.perf_counter() - start, tuple(reports))


def fix_found(c: ClaimReport) -> bool | None:       # None: the file names no edit
    return None if not c.input.fix else any(f.edit == c.input.fix for f in c.fixes)


def agrees(c: ClaimReport) -> bool | None:          # None: the file records no verdict
    return None if not c.input.expect else c.verdict == c.input.expect


def _cell(text: str) -> str:            # text for a Markdown table cell
    return text.replace("|", "\\|").replace("\n", " ")


# ---- as the documents show it: numbers, entries and formulas in LaTeX math --------------

SIGNIFICANT = 6              # significant digits of a counterexample's values
WIDTH = 60                   # characters of formula text on one printed line
_RATIONAL = re.compile(r"(-?)(\d+)/(\d+)")
_SYMBOL = re.compile(r"(?P<base>[A-Za-z]+\d*(?:_[A-Za-z0-9]+)*?)(?:_(?P<t>\d+))?"
                     r"(?:\[(?P<idx>\d+(?:, ?\d+)*)\])?")


def rounded(text: str, digits: int = SIGNIFICANT) -> str:
    """A decimal value to `digits` significant digits, a rounded one with its zeros
    (-1.754798... -> -1.75480), an exact one as short as it is (0.705000 -> 0.705); a p/q,
    or anything that is no number, as it is."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite() or value == 0:
        return "0" if value == 0 else text
    shown = f"{value:.{digits}g}"
    mantissa, e, exponent = shown.partition("e")
    if "." in mantissa and Decimal(shown) == value:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return mantissa + (f"e{int(exponent)}" if e else "")


def shown_values(expected: str, got: str) -> tuple[str, str]:
    """Both values of a counterexample to SIGNIFICANT digits, or as many as tell them apart."""
    for digits in range(SIGNIFICANT, 40):
        a, b = rounded(expected, digits), rounded(got, digits)
        if a != b or expected == got:
            return a, b
    return expected, got


def number_tex(text: str) -> str | None:
    """A shown value as LaTeX (p/q a fraction, 1.5e-7 as 1.5 \\times 10^{-7}), None for no
    number (with undefined functions a counterexample shows their expanded difference)."""
    m = _RATIONAL.fullmatch(text)
    if m:
        return f"{m[1]}\\tfrac{{{m[2]}}}{{{m[3]}}}"
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:e([-+]?\d+))?", text)
    return None if not m else m[1] + (f" \\times 10^{{{int(m[2])}}}" if m[2] else "")


def Ts_tex(Ts: tuple) -> str:
    """The T checked, as LaTeX math: T = 1, \\dots, 4 or T = 1, 2, 3, 4, 6."""
    run_of = len(Ts) > 2 and list(Ts) == list(range(Ts[0], Ts[-1] + 1))
    return f"T = {Ts[0]}, \\dots, {Ts[-1]}" if run_of else "T = " + ", ".join(map(str, Ts))


def one_based(entry: str) -> str:
    """The checker's 0-based entry "[0,1]" as the documents' 1-based "1,2"."""
    return ",".join(str(int(i) + 1) for i in re.findall(r"\d+", entry))


def entry_tex(at: str, entry: str) -> str | None:
    """The failing entry of a counterexample: dL/dh[1] at [0] -> (dL/dh_1)_1 in LaTeX."""
    try:
        tex = latex(parse_expression(at, "the entry"))
    except FormulaError:
        return None
    sub = one_based(entry)
    if not sub or not any(mark in tex for mark in ("_", "^", "\\frac")):
        return f"{tex}_{{{sub}}}" if sub else tex
    return f"\\left({tex}\\right)_{{{sub}}}" if "\\frac" in tex else f"({tex})_{{{sub}}}"


def formula_lines(text: str, scalar: bool = False, one: bool = False):
    """A formula as lines (left, right) of LaTeX broken where a reader breaks it, or `one`
    line; None if it will not parse. A scalar model's `*` is a plain product (no ⊙)."""
    def plain(tex: str) -> str:
        return tex.replace(r" \odot ", " ") if scalar else tex
    try:
        if one:
            return plain(latex(parse_equation(text, "the claim")))
        return [(left, plain(right)) for left, right in lines(text, WIDTH)]
    except FormulaError:
        return None


def quote_context(text: str) -> dict:
    """A seed's words as quoted: bare LaTeX (the note's display math: no $, no backquote)
    is math again, aligned if it has &; the rest is the note's Markdown, as it is."""
    text = " ".join(text.split()) if "\n" in text else text.strip()
    if "$" in text or "`" in text or "\\" not in text:
        return {"math": "", "text": text}
    math = re.sub(r"\s*\\\\$", "", text)
    return {"math": f"\\begin{{aligned}}{math}\\end{{aligned}}" if "&" in math else math,
            "text": text}


def _part(text: str = "", math: str = "", code: str = "") -> dict:    # words, math or code
    return {"text": text, "math": math, "code": code}


def _math(text: str) -> dict:                       # a formula as math, else as code
    try:
        return _part(math=latex(parse_expression(text, "the edit")))
    except FormulaError:
        return _part(code=text)


_SHAPE = re.compile(r"cannot (add|multiply(?: elementwise)?) (.+) \((\d+×\d+|scalar)\) "
                    r"(and|by) (.+) \((\d+×\d+|scalar)\)")


def shape_parts(message: str) -> list[dict]:
    """check's shape error, its formulas as math ("cannot multiply $x_t$ ($2 \\times 1$)
    by ..."); a message of another form as words."""
    m = _SHAPE.fullmatch(message)
    sides = [_math(m[2]), _math(m[5])] if m else []
    if not m or any(p["code"] for p in sides):
        return [_part(message)]
    size = [_part(math=s.replace("×", r" \times ")) if "×" in s else _part(s)
            for s in (m[3], m[6])]
    return [_part(f"cannot {m[1]} "), sides[0], _part(" ("), size[0], _part(f") {m[4]} "),
            sides[1], _part(" ("), size[1], _part(")")]


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


# ---- the model a claim is checked on, and the sizes check reports ------------------------

DIM_WORDS = {"n": "the state $h_t$", "d": "the input $x_t$", "q": "the output $o_t$"}
_ZOO_TEX = ((r"\|\|([^|]+)\|\|", r"\\lVert \1\\rVert"), (r"\bsum_t\b", r"\\sum_{t}"),
            (r"\(1/T\)", r"\\tfrac{1}{T}"), (r"\b1/2\b", r"\\tfrac{1}{2}"),
            (r"\bphi\(", r"\\varphi("), (r"\btanh\(", r"\\tanh("), (r"\blog\b", r"\\log"),
            (r"\bsoftmax\(", r"\\operatorname{softmax}("), (r" \. ", r" \\cdot "),
            (r"\byhat_", r"\\hat{y}_"), (r"\b([A-Za-z])_([A-Za-z]{2})\b", r"\1_{\2}"))


def zoo_tex(text: str) -> str:
    """A zoo model's equation or loss (model/zoo.py's ASCII) as LaTeX."""
    for pattern, repl in _ZOO_TEX:
        text = re.sub(pattern, repl, text)
    return text


def sizes(model: str, dims: dict) -> dict:
    """The sizes check ran a model at (its report's dims): "n = 3, d = 2", and in words."""
    spec, words = zoo_model(model), []
    for k, v in dims.items():
        what = [DIM_WORDS[k]] if k in DIM_WORDS else []
        what += ["the target $y_t$"] if spec and spec.target_shape == (k,) else []
        words.append(f"${k} = {v}$" + (f" ({', '.join(what)})" if what else ""))
    return {"tex": ", ".join(f"{k} = {v}" for k, v in dims.items()),
            "words": ", ".join(words)}


def model_context(model: str, dims: dict, activations: tuple = ()) -> dict:
    """A model from the zoo, its equations and loss L = sum_t l_t (l_t written out), with
    the activations and sizes check ran it with."""
    spec = zoo_model(model)
    m = re.fullmatch(r"L = (\(1/T\) |-)?sum_t (.+)", spec.loss) if spec else None
    loss = [zoo_tex(f"L = {'(1/T) ' if m[1] == '(1/T) ' else ''}sum_t l_t"),
            zoo_tex(f"l_t = {'-' if m[1] == '-' else ''}{m[2]}")] if m else \
        [zoo_tex(spec.loss)] if spec else []
    return {"name": model, "equations": [zoo_tex(e) for e in spec.equations] if spec else [],
            "loss": loss, "activations": [a for a in activations if a],
            "sizes": sizes(model, dims), "scalar": bool(spec) and not spec.dims_used}


def _array_tex(name: str, entries: dict, shape: tuple) -> str:
    """name = a number, a vector (transposed row) or a matrix, \\cdot where no entry is."""
    def cell(idx):
        return (number_tex(entries[idx]) or entries[idx]) if idx in entries else r"\cdot"
    if not shape:
        return f"{name} = {cell(())}"
    if len(shape) == 1:
        row = " & ".join(cell((i,)) for i in range(shape[0]))
        return f"{name} = \\begin{{pmatrix}} {row} \\end{{pmatrix}}^\\top"
    rows = " \\\\ ".join(" & ".join(cell((i, j)) for j in range(shape[1]))
                         for i in range(shape[0]))
    return f"{name} = \\begin{{pmatrix}} {rows} \\end{{pmatrix}}"


def point_lines(point: dict, model: str, dims: dict) -> list[list[str]]:
    """A counterexample's point as LaTeX, a symbol an item (W = its matrix, each entry in
    its place, at the model's shape), in lines: the parameters, then each step's x, y."""
    spec, groups, out = zoo_model(model), {}, {}
    shapes = {"x": spec.input_shape, "y": spec.target_shape,
              **{p.name: p.shape for p in spec.params}} if spec else {}
    for key, value in point.items():
        m = _SYMBOL.fullmatch(key)
        base, t, idx = (m["base"], m["t"], m["idx"] or "") if m else (key, None, "")
        groups.setdefault((base, t), {})[tuple(int(i) for i in re.findall(r"\d+", idx))] = value
    for (base, t), entries in groups.items():
        rank = len(next(iter(entries)))
        shape = tuple(dims.get(s, 0) for s in shapes.get(base) or ())
        if len(shape) != rank or not all(shape):
            shape = tuple(max(k[i] for k in entries) + 1 for i in range(rank))
        out.setdefault(int(t or 0), []).append(
            _array_tex(name_latex(base, t or ""), entries, shape))
    return [out[k] for k in sorted(out)]


def _counterexample(ce, model: str, dims: dict) -> dict:
    expected, got = shown_values(ce.expected, ce.got)
    return {"at": f"{ce.at}{ce.entry}", "at_tex": entry_tex(ce.at, ce.entry), "T": ce.T,
            "scalar": not one_based(ce.entry), "point_lines": point_lines(ce.point, model, dims),
            "expected": {"text": expected, "tex": number_tex(expected)},
            "got": {"text": got, "tex": number_tex(got)}}


def _fix_context(f, named: str, scalar: bool) -> dict:
    return {"edit": f.edit, "edit_parts": edit_parts(f.edit), "where": f.where,
            "proven": f.proven, "named": f.edit == named, "kind": f.kind,
            "formula": f.formula, "lines": formula_lines(f.formula, scalar)}


def side_by_side(wrong: list | None, fix: dict | None) -> list[tuple[str, str, str]]:
    """Rows (label, left, right): the wrong formula over the corrected one ([]: no parse)."""
    if not wrong:
        return []
    rows = [("wrong:" if k == 0 else "", left, right) for k, (left, right) in enumerate(wrong)]
    if fix and fix["lines"]:
        label = "corrected:" if fix["where"] in ("", "in the claim") else \
            "its definition, corrected:"
        rows += [(label if k == 0 else "", left, right)
                 for k, (left, right) in enumerate(fix["lines"])]
    return rows


def _claim_context(c: ClaimReport, model: str, label: str = "", title: str = "",
                   activation: str | None = None, dims: dict | None = None) -> dict:
    ce, dims, spec = c.counterexample, dims or {}, zoo_model(model)
    scalar = bool(spec) and not spec.dims_used
    fixes = [_fix_context(f, c.input.fix, scalar) for f in c.fixes]
    # the fix the document shows applied: the one the file names, else the first
    corrected = next((f for f in fixes if f["named"]), fixes[0] if fixes else None)
    shown = formula_lines(c.formula, scalar)
    title = title or c.input.name
    return {
        "name": c.input.name, "label": label, "title": title, "title_parts": title_parts(title),
        "source": c.input.source, "line": c.input.source.partition(":")[2],
        "quote": quote_context(c.input.quote), "claim": _cell(c.input.claim.strip()),
        "parsed": c.formula, "claim_tex": _cell(formula_lines(c.formula, scalar, True) or ""),
        "lines": shown, "where": list(c.input.where),
        "where_lines": [formula_lines(w, scalar) for w in c.where],
        "convention": c.input.convention, "verdict": c.verdict, "expect": c.input.expect,
        "agrees": agrees(c), "Ts": Ts_text(c.Ts), "Ts_tex": Ts_tex(c.Ts),
        "shape_error": c.shape_error, "shape_parts": shape_parts(c.shape_error),
        "counterexample": None if ce is None else _counterexample(ce, model, dims),
        "fixes": fixes, "corrected": corrected, "side_by_side": side_by_side(shown, corrected),
        "tried": c.tried, "fix": c.input.fix, "fix_found": fix_found(c), "note": c.input.note,
        "note_parts": note_parts(c.input.note), "model": model,
        "model_document": model if spec else "", "activation": activation,
        "sizes": sizes(model, dims), "scalar": scalar, "scope": _scope(c)}


# ---- one numbering: the seed's formula numbers -------------------------------------------

_NUMBER = re.compile(r"(\d{3}-\d{2}[a-z]?(?:/\d{2}[a-z]?)*)\s+(.*)", re.S)


def labels(names: list[str]) -> list[tuple[str, str]]:
    """(label, title) of each claim: "000-02 ..." is formula 02 of seed note 000 (001-14a a
    part of a line, 001-06/07 two formulas), several readings of one are 000-02.1, 000-02.2,
    ...; a file whose names carry no number (the gallery) is numbered 1, 2, ..."""
    numbers = [m[1] if (m := _NUMBER.fullmatch(n)) else "" for n in names]
    count, seen, out = Counter(numbers), Counter(), []
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
    """What a correct verdict covers (not how far a search got: a machine's speed)."""
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
    """claim input -> (its model, activation, sizes) as check ran it (its group's report)."""
    reports = checked.reports or (None,) * len(checked.file.groups)
    return {ci: (g.model, r.options.get("activation") if r else g.activation,
                 r.dims if r else {}) for g, r in zip(checked.file.groups, reports)
            for ci in g.claims}


def _file_context(f: Checked) -> dict:
    models = _models(f)
    claims, used = [], {}
    for c, (label, title) in zip(f.claims, labels([c.input.name for c in f.claims])):
        model, activation, dims = models.get(c.input, ("", None, {}))
        claims.append(_claim_context(c, model, label, title, activation, dims))
        acts = used.setdefault((model, tuple(dims.items())), [])
        acts += [activation] if activation not in acts else []
    return {
        "name": f.name, "stem": f.name.removesuffix(".toml"), "title": f.file.title,
        "source": f.file.source, "cited": seed_source(f.file.source) if f.file.source else "",
        "note": f.file.note, "claims": claims,
        "models": [model_context(m, dict(d), tuple(a)) for (m, d), a in used.items()],
        "correct": sum(c["verdict"] == "correct" for c in claims),
        "wrong": sum(c["verdict"] == "wrong" for c in claims),
        "as_recorded": sum(bool(c["agrees"]) for c in claims),
        "recorded": sum(c["agrees"] is not None for c in claims),
        "skipped": [{"name": s.name, "label": skipped_label(s.name), "source": s.source,
                     "line": s.source.partition(":")[2], "quote": _cell(s.quote),
                     "reason": _cell(s.reason)} for s in f.file.skipped]}


def context(files: list[Checked]) -> dict:
    out = [_file_context(f) for f in files]
    return {"files": out, "significant": SIGNIFICANT,
            "claims": sum(len(f["claims"]) for f in out),
            "correct": sum(f["correct"] for f in out), "wrong": sum(f["wrong"] for f in out),
            "as_recorded": sum(f["as_recorded"] for f in out),
            "recorded": sum(f["recorded"] for f in out),
            "skipped": sum(len(f["skipped"]) for f in out)}


def audit(progress=None) -> tuple[dict, list[Checked]]:
    files: list[Checked] = []
    for path in seed_files():
        files.append(f := run(path))
        (progress or (lambda line: None))(
            f"  seed audit {f.name}: {len(f.claims)} claims, "
            f"{sum(not c.correct for c in f.claims)} wrong ({f.seconds:.1f} s)")
    return context(files), files


def gallery(progress=None) -> tuple[dict, Checked]:
    checked = run(gallery_file())
    (progress or (lambda line: None))(
        f"  mistakes gallery: {len(checked.claims)} slips ({checked.seconds:.1f} s)")
    return context([checked]), checked
