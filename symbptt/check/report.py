"""check's verdicts as plain data for --json, and as one-screen text for people.

The text says what is proven and its scope (every T, T = 1..K, or the claim's own T), a
counterexample with its rational point, and the edits that make a wrong claim right.
(cli/views.py holds the other commands' views.)"""
from __future__ import annotations

from .outcome import CheckReport, ClaimReport


def _claim_json(c: ClaimReport) -> dict:
    ce = c.counterexample
    return {
        "name": c.input.name, "claim": c.formula, "where": list(c.where),
        "convention": c.input.convention, "verdict": c.verdict, "T": list(c.Ts),
        "scope": c.scope or None,
        "proof": None if c.proof is None else {
            "every_T": c.proof.proven, "from_T": c.proof.T_from if c.proof.proven else None,
            "reason": c.proof.reason or None, "lemmas": list(c.proof.lemmas),
            "windows": c.proof.windows},
        "searched_to": c.searched or None, "search": c.search_note or None,
        "found_by": c.found_by or None,
        "first": c.first if c.verdict == "wrong" and c.counterexample is not None else None,
        "stopped": c.stopped or None,
        "shape_error": c.shape_error or None,
        "counterexample": None if ce is None else {
            "T": ce.T, "at": ce.at, "entry": ce.entry, "point": ce.point,
            "expected": ce.expected, "claim": ce.got},
        "diagnosis": [{"kind": f.kind, "edit": f.edit, "where": f.where, "formula": f.formula,
                       "proven": f.proven} for f in c.fixes],
        "edits_tried": c.tried, "seconds": round(c.seconds, 3),
        "source": c.input.source or None, "quote": c.input.quote or None,
        "expect": c.input.expect or None, "note": c.input.note or None,
    }


def check_json(reports: list[CheckReport], path: str | None = None) -> dict:
    return {
        "file": path,
        "verdict": "correct" if all(r.correct for r in reports) else
        "wrong" if any(c.verdict == "wrong" for r in reports for c in r.claims) else "undecided",
        "seconds": round(sum(r.seconds for r in reports), 3),
        "groups": [{"model": r.model, "options": r.options, "dims": r.dims,
                    "claims": [_claim_json(c) for c in r.claims]} for r in reports],
    }


def Ts_text(Ts: tuple) -> str:
    if len(Ts) > 1 and list(Ts) == list(range(Ts[0], Ts[-1] + 1)):
        return f"T = {Ts[0]}..{Ts[-1]}"
    return "T = " + ", ".join(map(str, Ts))


def point_text(point: dict, shown: int = 8) -> str:
    items = [f"{k} = {v}" for k, v in point.items()]
    text = ", ".join(items[:shown])
    return text + (f", ... ({len(items)} values; --json lists all)" if len(items) > shown else "")


def claim_text(c: ClaimReport) -> list[str]:
    head = (c.input.name or "claim") + (f" ({c.input.source})" if c.input.source else "")
    lines = [f"{head}:", f"  {c.formula}"]
    lines += [f"  {'where' if i == 0 else '     '} {w}" for i, w in enumerate(c.where)]
    if c.input.convention == "row":
        lines.append("  (row layout: the derivative of a scalar by a vector is a row)")
    if c.correct:
        lines += scope_text(c)
        if c.stopped:
            lines.append(f"    ({c.stopped})")
        lines.append(f"  ({c.seconds:.2f} s)")
        return lines
    if c.verdict == "undecided" and c.counterexample is None:
        lines.append(f"  UNDECIDED: {c.stopped or 'not decided'}")
        lines.append(f"    equal exactly at {Ts_text(c.Ts)}; nothing is claimed past it" if c.Ts
                     else "    not shown equal exactly at any T")
        lines.append(f"  ({c.seconds:.2f} s)")
        return lines
    if c.verdict == "undecided":
        ce = c.counterexample
        lines.append(f"  UNDECIDED: equal at the float points and, to 100 digits, at a point "
                     f"of small rationals, but the exact zero test cannot show it at T = "
                     f"{ce.T} ({ce.at}{ce.entry}): not proven, not refuted")
        lines.append(f"  ({c.seconds:.2f} s)")
        return lines
    if c.shape_error:
        lines.append(f"  WRONG: shape error: {c.shape_error}")
    else:
        ce = c.counterexample
        if c.first:
            lines.append(f"  WRONG: first at T = {ce.T}, entry {ce.at}{ce.entry}")
        else:
            lines.append(f"  WRONG at T = {ce.T}, entry {ce.at}{ce.entry} (whether a smaller "
                         "T is wrong too is not decided)")
        if c.found_by == "search":
            lines.append(f"    (right at {Ts_text(c.Ts)}, exactly; found by the search past "
                         f"them, at a float point, and confirmed at the rational point below "
                         f"by interval arithmetic)")
        if ce.point:
            lines.append(f"    at {point_text(ce.point)}")
        lines.append(f"    the derivative of the unrolled model: {ce.expected}")
        lines.append(f"    the claim:                            {ce.got}")
    if c.stopped:
        lines.append(f"  ({c.stopped})")
    if c.fixes:
        so_far = " so far" if c.stopped else ""
        lines.append(f"  diagnosis{so_far} ({c.tried} single edits tried): correct at "
                     f"{Ts_text(c.Ts)} if")
        for f in c.fixes:
            how = "proven exactly" if f.proven else "at two float points"
            lines.append(f"    - you {f.edit}{' ' + f.where if f.where else ''} ({how})")
    elif not c.stopped:
        lines.append(f"  diagnosis: none of {c.tried} single edits (transpose, index ±1, "
                     "scale, product order, dropped term) makes it right")
    lines.append(f"  ({c.seconds:.2f} s)")
    return lines


def scope_text(c: ClaimReport) -> list[str]:
    """What a correct verdict covers, said plainly."""
    what = "the derivative of the unrolled model" if c.formula.startswith(("d", "(d")) \
        else "its left side on the unrolled model"
    if c.scope == "every T":
        p = c.proof
        out = [f"  correct for every T: equal to {what} at {Ts_text(c.Ts)} exactly, and "
               f"proven for T >= {p.T_from} in {p.windows} window{'s' if p.windows != 1 else ''} "
               "of steps (an opaque state before, an opaque cotangent after, T a symbol)"]
        out += [f"    by induction: {lemma}" for lemma in p.lemmas]
        return out
    if c.scope.startswith("T = "):
        return [f"  correct at {c.scope}, exactly (the claim's own T; nothing claimed at "
                "other T)"]
    K = c.Ts[-1]
    out = [f"  correct at {Ts_text(c.Ts)}, exactly; nothing is claimed past T = {K}"]
    if c.proof is not None and c.proof.reason:
        out.append(f"    not proven for every T: {c.proof.reason}")
    if c.searched > K:
        out.append(f"    no counterexample at T = {K + 1}..{c.searched} either (searched "
                   f"numerically{'; ' + c.search_note if c.search_note else ''})")
    elif c.search_note:
        out.append(f"    no search past T = {K}: {c.search_note}")
    return out


def check_text(reports: list[CheckReport]) -> str:
    out = []
    for r in reports:
        opts = "".join(f", {k} {v}" for k, v in r.options.items())
        dims = " ".join(f"{k}={v}" for k, v in r.dims.items())
        out.append(f"check {r.model}{opts}" + (f" ({dims})" if dims else ""))
        for c in r.claims:
            out.extend(claim_text(c))
    good = sum(c.correct for r in reports for c in r.claims)
    total = sum(len(r.claims) for r in reports)
    out.append(f"{good} of {total} claims correct "
               f"({sum(r.seconds for r in reports):.2f} s)")
    recorded = [c for r in reports for c in r.claims if c.input.expect]
    if recorded:
        matched = sum(c.as_expected for c in recorded)
        out.append(f"{matched} of {len(recorded)} verdicts as the file expects"
                   + (": every one" if matched == len(recorded) else ""))
    return "\n".join(out)
