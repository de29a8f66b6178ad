"""The seed audit and the gallery of mistakes: claim files, checked, as documents.

The seed audit checks every gradient formula of the five seeds (symbptt/examples/seeds/,
one claim file per seed, each formula written as the seed writes it) and lists each with
its seed line, the verdict, the record (`expect`) and, for a wrong one, the counterexample
and the diagnosis. The gallery (symbptt/examples/mistakes.toml) does the same for the
classic slips, each with the edit the diagnosis must name. Both are built by
`symbptt build` (output/seed-audit.md, output/mistakes.md); nothing in them depends on
the clock, so two builds give the same bytes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import claimfile
from .verdict import check
from .outcome import CheckReport, ClaimReport
from .report import Ts_text, point_text


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


def _claim_context(c: ClaimReport, model: str) -> dict:
    ce = c.counterexample
    return {
        "name": c.input.name, "source": c.input.source, "quote": _cell(c.input.quote),
        "claim": _cell(_formula(c)), "parsed": c.formula, "where": list(c.input.where),
        "convention": c.input.convention, "verdict": c.verdict, "expect": c.input.expect,
        "agrees": agrees(c), "Ts": Ts_text(c.Ts), "shape_error": c.shape_error,
        "counterexample": None if ce is None else {
            "at": f"{ce.at}{ce.entry}", "T": ce.T, "point": point_text(ce.point, 6),
            "expected": ce.expected, "got": ce.got},
        "fixes": [{"edit": f.edit, "where": f.where, "proven": f.proven} for f in c.fixes],
        "tried": c.tried, "fix": c.input.fix, "fix_found": fix_found(c), "note": c.input.note,
        "model": model, "scope": _scope(c),
    }


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
    """claim input -> its model (the file's default or the claim's own)."""
    return {ci: g.model for g in checked.file.groups for ci in g.claims}


def context(files: list[Checked]) -> dict:
    out = []
    for f in files:
        models = _models(f)
        claims = [_claim_context(c, models.get(c.input, "")) for c in f.claims]
        out.append({
            "name": f.name, "title": f.file.title, "source": f.file.source,
            "note": f.file.note, "claims": claims,
            "correct": sum(c["verdict"] == "correct" for c in claims),
            "wrong": sum(c["verdict"] == "wrong" for c in claims),
            "as_recorded": sum(bool(c["agrees"]) for c in claims),
            "recorded": sum(c["agrees"] is not None for c in claims),
            "skipped": [{"name": s.name, "source": s.source, "quote": _cell(s.quote),
                         "reason": _cell(s.reason)} for s in f.file.skipped],
        })
    return {"files": out,
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
