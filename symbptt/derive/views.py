"""A derivation as text (the formula language, one formula a line, its verdict beside
it) and as plain data for --json; its LaTeX (an align* block, or a whole document) is
proof.derivation_latex, which a notebook shows."""
from __future__ import annotations

from ..formula.tree import RELU_CONVENTION
from .proof import HEADINGS, Derivation, DerivedFormula, grouped, reads_relu_prime


def scope_text(f: DerivedFormula) -> str:
    if f.verdict == "wrong":
        return f"WRONG (a bug of derive): {f.problem}"
    if f.verdict != "correct":
        return f"NOT PROVEN: {f.problem}"
    if f.scope == "every T":
        return "proven for every T"
    return f"proven at T = {f.T[0]}..{f.T[-1]}" if f.T else "proven"


def derivation_text(d: Derivation) -> str:
    opts = ", ".join(f"{k} {v}" for k, v in d.options.items())
    lines = [f"derive {d.model}{f' ({opts})' if opts else ''}: the BPTT equations at matrix "
             f"level, each proven by check", ""]
    for k, e in enumerate(d.equations):
        lines.append(("  cell:  " if k == 0 else "         ") + e)
    lines.append(f"  loss:  {d.loss},  L = {'(1/T) ' if d.mean else ''}sum_t l[t]")
    if reads_relu_prime(d):
        lines.append(f"  where {RELU_CONVENTION}")
    for role, fs in grouped(d):
        lines += ["", HEADINGS[role]]
        for f in fs:
            lines += [f"  {f.text}", f"      [{scope_text(f)}]"]
    bad = sum(f.verdict != "correct" for f in d.formulas)
    lines += ["", f"{len(d.formulas)} formulas, " + (
        "all proven by check" if not bad else f"{bad} NOT proven") +
        f" ({d.seconds:.1f} s)"]
    return "\n".join(lines)


def derivation_json(d: Derivation) -> dict:
    return {"model": d.model, "options": d.options, "equations": list(d.equations),
            "loss": d.loss, "mean": d.mean, "correct": d.correct,
            "seconds": round(d.seconds, 3),
            "formulas": [{"role": f.role, "formula": f.text, "latex": f.latex,
                          "verdict": f.verdict, "scope": f.scope, "T": list(f.T),
                          "seconds": round(f.seconds, 3), "problem": f.problem or None}
                         for f in d.formulas]}
