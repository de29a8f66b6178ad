"""Plain-data views of results for --json, and their one-screen text for people."""
from __future__ import annotations

from typing import Any

from .outcome import CheckReport, ClaimReport
from ..model.spec import ModelSpec
from ..symbolic.certificate import Certificate
from ..symbolic.evaluate import GradReport, Value


def model_json(spec: ModelSpec) -> dict:
    return {
        "name": spec.name, "title": spec.title,
        "params": [{"name": p.name, "shape": list(p.shape)} for p in spec.params],
        "equations": list(spec.equations), "loss": spec.loss, "seeds": list(spec.seeds),
        "dims": list(spec.dims_used), "input_shape": list(spec.input_shape),
        "target_shape": None if spec.target_shape is None else list(spec.target_shape),
        "options": {o: {"choices": list(c), "default": d} for o, c, d in spec.options},
        "intermediates": list(spec.intermediates), "states": list(spec.states),
        "symbolic": spec.symbolic, "numeric": spec.numeric, "notes": spec.notes,
    }


def shape_text(shape: tuple) -> str:
    return "scalar" if not shape else "x".join(map(str, shape))


def models_text(specs: tuple[ModelSpec, ...]) -> str:
    lines = []
    for s in specs:
        params = ", ".join(f"{p.name} ({'x'.join(p.shape) or 'scalar'})" for p in s.params)
        sides = "symbolic" if s.symbolic else "symbolic side not built yet"
        if not s.numeric:
            sides += ", undefined functions"
        lines.append(f"{s.name}  [{sides}]  seed {', '.join(x[:3] for x in s.seeds)}")
        lines.append(f"    {s.title}")
        lines.append(f"    params: {params}")
        for eq in s.equations:
            lines.append(f"    {eq}")
        lines.append(f"    {s.loss}")
        for opt, choices, default in s.options:
            lines.append(f"    --{opt} {'|'.join(choices)} (default {default})")
    return "\n".join(lines)


def certificate_json(c: Certificate) -> dict:
    groups = [{"name": g.name, "shape": list(g.shape), "entries": g.entries, "proven": g.proven}
              for g in c.groups]
    return {
        "kind": c.kind, "model": c.model, "options": c.options,
        "T": c.T if c.kind == "unrolled" else "all", "dims": c.dims,
        "cell": c.cell, "proven": c.proven, "undecided": c.undecided, "claim": c.claim,
        "forms": list(c.forms),
        "entries": c.entries, "params": [g for g in groups if not g["name"].startswith("x")],
        "inputs": next((g for g in groups if g["name"] == "x"), None),
        **({"input_paths": {g["name"][2:]: g for g in groups if g["name"].startswith("x:")}}
           if any(g["name"].startswith("x:") for g in groups) else {}),
        "method": c.method, "seconds": round(c.seconds, 4),
        "failures": [{"entry": f.entry, "form": f.form, "T": f.T,
                      "point": f.counterexample.point, "direct": f.counterexample.expected,
                      f.form: f.counterexample.got,
                      **({"difference": f.counterexample.difference}
                         if f.counterexample.difference else {})}
                     for f in c.failures],
    }


def certificate_text(c: Certificate, shown: int = 5) -> str:
    opts = "".join(f", {k} {v}" for k, v in c.options.items())
    dims = "".join(f", {k} = {v}" for k, v in c.dims.items())
    where = "for every T" if c.kind == "inductive" else f"at T = {c.T}"
    lines = [f"symbptt prove {c.model}{opts}: {c.kind} certificate {where}{dims}"]
    for g in c.groups:
        name = "x (inputs)" if g.name == "x" else g.name
        if g.name.startswith("x:"):
            name = f"x {g.name[2:]}"
        status = "proven" if g.proven == g.entries else f"{g.entries - g.proven} NOT proven"
        if c.kind == "inductive":
            lines.append(f"  {name:<18} {g.entries:4d} identities  {status}")
            continue
        lines.append(f"  {name:<12} {shape_text(g.shape):>7}  {g.entries:4d} entries  {status}")
    verdict = "PROVEN" if c.proven else "UNDECIDED" if c.undecided else "NOT PROVEN"
    lines.append(f"{verdict}: {c.claim}")
    if c.failures and c.failures[0].counterexample.point and not c.undecided:
        point = c.failures[0].counterexample.point
        lines.append("  counterexample point: " + ", ".join(f"{k}={v}" for k, v in point.items()))
    for f in c.failures[:shown]:
        cx = f.counterexample
        where = f"{f.form}, " if c.kind == "inductive" else ""
        at = "" if c.kind == "inductive" else f" at T = {f.T}"
        if cx.point and c.kind == "inductive":
            lines.append(f"  {where}{f.entry}: derivative = {cx.expected}, rule = {cx.got}")
        elif cx.point:
            lines.append(f"  {f.entry}{at}: direct = {cx.expected}, {f.form} = {cx.got}")
        else:
            lines.append(f"  {where}{f.entry}{at}: difference = {cx.difference}")
    if len(c.failures) > shown:
        lines.append(f"  ... and {len(c.failures) - shown} more (see --json)")
    lines.append(f"zero test: {c.method}")
    lines.append(f"rules: {c.cell}; time: {c.seconds:.3f} s")
    return "\n".join(lines)


def _values(v: Any) -> Any:
    if isinstance(v, Value):
        return {"exact": v.exact, "float": v.approx}
    if isinstance(v, list):
        return [_values(x) for x in v]
    if isinstance(v, dict):
        return {k: _values(x) for k, x in v.items()}
    return v


def grad_json(r: GradReport) -> dict:
    return {"model": r.model, "T": r.T, "dims": r.dims, "options": r.options,
            "loss": _values(r.loss), "states": _values(r.states), "grads": _values(r.grads),
            "deltas": _values(r.deltas), "agree": r.agree, "mismatches": list(r.mismatches),
            "undecided": list(r.undecided)}


def _short(v: Value) -> str:
    return v.exact if len(v.exact) <= 24 else f"{v.approx:.12g}"


def _fmt(v: Any) -> str:
    if isinstance(v, Value):
        exact = v.exact
        if len(exact) <= 24 and exact != repr(v.approx) and "/" in exact:
            return f"{exact} ({v.approx:.12g})"
        return _short(v)
    return "[" + ", ".join(_fmt(x) for x in v) + "]"


def grad_text(r: GradReport) -> str:
    opts = "".join(f", {k} {v}" for k, v in r.options.items())
    dims = "".join(f", {k} = {v}" for k, v in r.dims.items())
    lines = [f"symbptt grad {r.model}{opts}: T = {r.T}{dims} (exact)", f"  L = {_fmt(r.loss)}"]
    for name, vals in r.states.items():
        lines.append(f"  {name} = {_fmt(vals if len(vals) > 1 else vals[0])}")
    for name, vals in r.deltas["recursive"].items():
        lines.append(f"  {name} = {_fmt(vals if len(vals) > 1 else vals[0])}")
    names = list(r.grads["direct"])
    for name in names:
        label = "dL/dx_t (t = 1..T)" if name == "x" else f"dL/d{name}"
        if name.startswith("x:"):
            label = f"  via {name[2:]}"
        lines.append(f"  {label} = {_fmt(r.grads['direct'][name])}")
    if r.agree:
        lines.append("all three forms (direct, recursive, closed form) agree exactly")
    elif len(r.undecided) == len(r.mismatches):
        lines.append("FORMS UNDECIDED (neither shown equal exactly nor shown different at "
                     "these values): " + ", ".join(r.undecided[:6]))
    else:
        lines.append("FORMS DISAGREE: " + ", ".join(m for m in r.mismatches[:6]))
    return "\n".join(lines)


# ---- check --------------------------------------------------------------------------------

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
        lines.append(f"  WRONG: first at T = {ce.T}, entry {ce.at}{ce.entry}")
        if c.found_by == "search":
            lines.append(f"    (right at {Ts_text(c.Ts)}, exactly; found by the search past "
                         f"them, at a float point, and confirmed at the rational point below "
                         f"by interval arithmetic)")
        if ce.point:
            lines.append(f"    at {point_text(ce.point)}")
        lines.append(f"    the derivative of the unrolled model: {ce.expected}")
        lines.append(f"    the claim:                            {ce.got}")
    if c.fixes:
        lines.append(f"  diagnosis ({c.tried} single edits tried): correct at {Ts_text(c.Ts)} if")
        for f in c.fixes:
            how = "proven exactly" if f.proven else "at two float points"
            lines.append(f"    - you {f.edit}{' ' + f.where if f.where else ''} ({how})")
    else:
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
    return "\n".join(out)
