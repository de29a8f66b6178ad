"""symbptt bench --part cost: the cost model against the clock, and build's time.

Each request is estimated (symbolic/cost.py, crosscheck.engine_estimate), then run in a
child with a time limit, its time and the memory it added measured (peak less what the
child held before): unrolled certificates of
zoo models and model files (among them issue 18's two coupled states, which a static
guess put at 0.4 s), inductive certificates at growing sizes, and the engine's runs at a
large batch. A run stopped at the limit agrees when its estimate said it would take more
than a third of the limit. (Claims: `bench --part check` prints check's cost model the
same way.) Last, `build`'s whole output/ is made once and timed.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..model.spec import Dims
from .child import in_child

# the model file of issue 18: two states that multiply each other outside any
# activation (z_t h_{t-1}, g_t c_{t-1}): its expansion grows about 130x a step
COUPLED = """title = "Two coupled states (issue 18)"

[params]
W = "n x n"
U = "n x d"
b = "n"
V = "n x n"
R = "n x n"
a = "n"

[sequences]
x = "d"
y = "n"

[cell]
equations = [
  "z[t] = tanh(W @ h[t-1] + R @ c[t-1] + U @ x[t] + b)",
  "g[t] = sigmoid(V @ c[t-1] + a)",
  "c[t] = g[t] * c[t-1] + (1 - g[t]) * z[t] + z[t] * h[t-1]",
  "h[t] = z[t] * c[t] + h[t-1] * g[t]",
]
loss = "l[t] = (h[t] - y[t]).T @ (h[t] - y[t]) / 2"
"""


@dataclass(frozen=True)
class Case:
    kind: str            # "unrolled", "inductive" or "engine"
    model: str           # a zoo name, an example file's name, or "coupled.toml"
    T: int
    dims: Dims
    batch: int = 1


CASES = (
    Case("unrolled", "elman", 6, Dims(3, 2)),
    Case("unrolled", "lstm", 3, Dims(2, 3)),
    Case("unrolled", "attention", 3, Dims(2, 3, 2)),
    Case("unrolled", "indrnn.toml", 6, Dims(3, 2)),
    Case("unrolled", "elman2.toml", 4, Dims(2, 2)),
    Case("unrolled", "mgu.toml", 3, Dims(2, 2)),
    Case("unrolled", "coupled.toml", 2, Dims(2, 2)),
    Case("unrolled", "coupled.toml", 3, Dims(2, 2)),
    Case("inductive", "attention", 0, Dims(4, 4, 4)),
    Case("inductive", "attention", 0, Dims(8, 8, 8)),
    Case("inductive", "gru", 0, Dims(12, 12)),
    Case("inductive", "lstm", 0, Dims(16, 16)),
    Case("inductive", "mgu.toml", 0, Dims(16, 16)),
    Case("inductive", "coupled.toml", 0, Dims(16, 16)),
    Case("engine", "elman", 8, Dims(8, 2), 512),
    Case("engine", "lstm", 16, Dims(4, 3), 256),
    Case("engine", "elman", 1000, Dims(3, 2), 8),
)


def _path(model: str, folder: str) -> str:
    """A zoo name as it is; an example model file's path; the coupled file, written."""
    if not model.endswith(".toml"):
        return model
    if model == "coupled.toml":
        path = os.path.join(folder, model)
        Path(path).write_text(COUPLED, encoding="utf-8")
        return path
    from ..check.audit import examples_dir
    return str(examples_dir() / "models" / model)


def estimate(case: Case, path: str):
    from ..api import load_model
    from ..crosscheck import engine_estimate
    from ..symbolic.cost import inductive_estimate, proof_estimate
    spec = load_model(path)
    if case.kind == "unrolled":
        return proof_estimate(spec, case.T, case.dims)
    if case.kind == "inductive":
        return inductive_estimate(spec, case.dims)
    return engine_estimate(spec, case.T, case.dims, case.batch)


def _status(key: str) -> int:
    """A size from /proc/self/status, in bytes (VmRSS now, VmHWM its peak: a forked
    child's peak starts at its own size, not the parent's)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _run_child(case: Case, path: str, conn) -> None:
    from ..api import load_model
    from ..crosscheck import crosscheck
    from ..symbolic.certificate import prove
    from ..symbolic.inductive import prove_inductive
    spec = load_model(path)
    held = _status("VmRSS")
    start = time.perf_counter()
    if case.kind == "unrolled":
        prove(spec, case.T, case.dims, force=True)
    elif case.kind == "inductive":
        prove_inductive(spec, case.dims, force=True)
    else:
        crosscheck(spec, case.T, case.dims, batch=case.batch, force=True)
    conn.send((time.perf_counter() - start, _status("VmHWM") - held))
    conn.close()


def cost_bench(limit: float = 60.0, progress=None, build: bool = True) -> dict:
    """Every case's estimate beside its measured time and peak memory; build's time."""
    say = progress or (lambda line: None)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for case in CASES:
            path = _path(case.model, folder)
            est = estimate(case, path)
            sent = in_child(_run_child, (case, path), limit) if est.seconds < 3 * limit \
                else None
            run = est.seconds < 3 * limit
            seconds, peak = sent if sent is not None else (None, None)
            rows.append({"kind": case.kind, "model": case.model, "T": case.T,
                         "dims": case.dims.as_dict(("n", "d", "q")), "batch": case.batch,
                         "estimate": est.seconds, "estimate_bytes": est.bytes,
                         "measured": seconds, "peak_bytes": peak, "run": run})
            shown = "not run" if not run else (f"> {limit:g} s" if seconds is None
                                               else f"{seconds:.3g} s")
            say(f"  cost {case.kind} {case.model} {_where(case)}: estimate "
                f"{est.seconds:.3g} s, measured {shown}")
    out = {"rows": rows, "limit": limit}
    if build:
        from ..documents.build import build_all
        built = build_all(pdf=True)
        out["build"] = {"documents_s": built.seconds_text, "pdfs_s": built.seconds_pdf,
                        "files": len(built.files)}
        say(f"  build: documents {built.seconds_text:.1f} s, PDFs {built.seconds_pdf:.1f} s")
    return out


def _where(case: Case) -> str:
    sizes = ", ".join(f"{k} = {v}" for k, v in case.dims.as_dict(("n", "d", "q")).items())
    at = {"unrolled": f"T = {case.T}, ", "engine": f"T = {case.T}, batch {case.batch}, "}
    return at.get(case.kind, "") + sizes


def cost_text(r: dict) -> str:
    from .check import within
    from ..symbolic.cost import describe_bytes
    limit = r["limit"]
    lines = ["cost model: estimate beside measured (unrolled and inductive certificates, "
             "model files, the engine; each run in a child, stopped at "
             f"{limit:g} s)"]
    marks = [within(row, limit=limit) for row in r["rows"]]
    for row, ok in zip(r["rows"], marks):
        got = "not run" if not row["run"] else (
            f"> {limit:g} s" if row["measured"] is None else f"{row['measured']:.3g} s")
        peak = "" if row["peak_bytes"] is None else f", +{describe_bytes(row['peak_bytes'])}"
        mark = {True: "within 3x", False: "OFF", None: ""}[ok]
        case = Case(row["kind"], row["model"], row["T"], Dims(**row["dims"]), row["batch"])
        lines.append(f"  {row['kind']:<9} {row['model']:<13} {_where(case):<32} estimate "
                     f"{row['estimate']:8.3g} s ({describe_bytes(row['estimate_bytes'])})  "
                     f"measured {got:>8}{peak}  {mark}")
    run = [m for m in marks if m is not None]
    lines.append(f"  {sum(run)} of {len(run)} runs within 3x of the estimate")
    if "build" in r:
        b = r["build"]
        lines.append(f"build: {b['files']} files, documents {b['documents_s']:.1f} s, PDFs "
                     f"{b['pdfs_s']:.1f} s, {b['documents_s'] + b['pdfs_s']:.1f} s in all")
    return "\n".join(lines)
