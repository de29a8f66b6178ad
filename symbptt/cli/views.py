"""The text and JSON of the commands other than check: the zoo, a proof, a gradient.

Plain-data views of results for --json, and their one-screen text for people
(check/report.py holds check's)."""
from __future__ import annotations

import math

from typing import Any

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
        "entries": c.entries, "params": [g for g in groups if not (g["name"] == "x" or g["name"].startswith("x:"))],
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
        lines.extend(wrapped("  counterexample point: ",
                             [f"{k}={v}" for k, v in point.items()]))
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
    if isinstance(v, Value):        # JSON has no inf: past the float range, null
        return {"exact": v.exact, "float": v.approx if math.isfinite(v.approx) else None,
                "decimal": v.decimal}
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


def wrapped(head: str, items: list[str], width: int = 96) -> list[str]:
    """items joined by ", " into lines of at most `width` characters, the first after
    `head`, the rest indented under it (prove --mutate printed 33 values on one line)."""
    lines, current = [], head
    for k, item in enumerate(items):
        piece = item + ("," if k < len(items) - 1 else "")
        if len(current) + len(piece) + 1 > width and current.strip() != head.strip():
            lines.append(current.rstrip())
            current = " " * len(head)
        current += ("" if current.endswith(" ") else " ") + piece
    lines.append(current.rstrip())
    return lines


def _short(v: Value) -> str:
    return v.exact if len(v.exact) <= 24 else v.decimal


def _fmt(v: Any) -> str:
    """A short exact value with its decimal beside it when the two differ (3/2 (1.5),
    tanh(1) (0.761594155956)); a long one as its decimal."""
    if isinstance(v, Value):
        exact = v.exact
        plain = exact.lstrip("-").replace(".", "", 1).isdigit()
        if len(exact) <= 24 and not plain:
            return f"{exact} ({v.decimal})"
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
