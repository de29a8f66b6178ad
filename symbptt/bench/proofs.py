"""symbptt bench --part proofs: proof times, measured in one run beside the plain path.

Each run is a child process with a time limit, so a curve can stop where it explodes
without hanging the machine. The plain path is SymPy alone: diff the fully substituted
unrolled loss, run the recursion on the same expressions, and ask
`expand(direct - recursive) == 0` for every parameter entry. The gated cells are timed
unrolled, and every model's inductive certificate in one run."""
from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field

import symengine
import sympy as sp

# imported here, before any child is forked, so no run pays for an import
from ..model.spec import Dims
from ..symbolic import recursive
from ..symbolic.activations import ACTIVATIONS
from ..symbolic.backend import SYMENGINE, SYMPY
from ..symbolic.cells import elman_cell
from ..symbolic.certificate import prove
from ..symbolic.unroll import unroll
from .child import in_child
from ..model.registry import get_model


BENCH_MODEL = "elman"
BENCH_DIMS = (3, 2)          # n, d: 18 parameter entries


@dataclass(frozen=True)
class Run:
    T: int
    seconds: float | None    # None: past the limit
    entries: int = 0
    proven: bool | None = None


@dataclass(frozen=True)
class BenchResult:
    limit: float
    ours: tuple = ()
    plain: tuple = ()
    symengine: tuple = ()
    machine: dict = field(default_factory=dict, hash=False)

    def seconds(self, which: str, T: int) -> float | None:
        return next((r.seconds for r in getattr(self, which) if r.T == T), None)


def _ours(T: int) -> tuple[bool, int]:
    cert = prove(get_model(BENCH_MODEL), T, Dims(*BENCH_DIMS), "tanh", force=True)
    return cert.proven, cert.entries


def _expand_path(backend) -> tuple[bool, int]:
    def run(T: int) -> tuple[bool, int]:
        u = unroll(get_model(BENCH_MODEL), elman_cell(ACTIVATIONS["tanh"]), T,
                   Dims(*BENCH_DIMS), backend)
        rec = recursive.gradient(u)
        ok = all(backend.expand(backend.diff(u.loss, e.symbol) - rec[e.label]) == 0
                 for e in u.param_entries)
        return ok, len(u.param_entries)
    return run


GATED_DIMS = {"gru": Dims(2, 3), "gru_torch": Dims(2, 3), "lstm": Dims(2, 3),
              "attention": Dims(2, 3, 2)}


def _gated(model: str):
    def run(T: int) -> tuple[bool, int]:
        cert = prove(get_model(model), T, GATED_DIMS[model], force=True)
        return cert.proven, cert.entries
    return run


# ours: the certificate; plain: SymPy alone, as a user would; symengine: the same plain
# path on SymEngine, which isolates what the slope atoms add to the engine switch
KINDS = {"ours": _ours, "plain": _expand_path(SYMPY), "symengine": _expand_path(SYMENGINE),
         "gru": _gated("gru"), "lstm": _gated("lstm"), "attention": _gated("attention")}


def _child(kind: str, T: int, conn) -> None:
    start = time.perf_counter()
    proven, entries = KINDS[kind](T)
    conn.send((time.perf_counter() - start, proven, entries))
    conn.close()


def timed(kind: str, T: int, limit: float) -> Run:
    """One run in a child process; past `limit` seconds it is stopped."""
    sent = in_child(_child, (kind, T), limit)
    if sent is None:
        return Run(T, None)
    seconds, proven, entries = sent
    return Run(T, seconds, entries, proven)


def curve(kind: str, T_max: int, limit: float, progress=None) -> tuple[Run, ...]:
    runs = []
    for T in range(2, T_max + 1):
        run = timed(kind, T, limit)
        runs.append(run)
        if progress:
            shown = f"{run.seconds:.3f} s" if run.seconds is not None else f"> {limit:g} s"
            progress(f"  {kind:5s} T = {T}: {shown}")
        if run.seconds is None:
            break
    return tuple(runs)


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "sympy": sp.__version__, "symengine": symengine.__version__}


def run_bench(T_max: int = 8, limit: float = 60.0, progress=None) -> BenchResult:
    if progress:
        progress(f"elman (tanh), n = {BENCH_DIMS[0]}, d = {BENCH_DIMS[1]}: unrolled proofs, "
                 f"limit {limit:g} s per run")
    ours = curve("ours", T_max, limit, progress)
    plain = curve("plain", T_max, limit, progress)
    symengine_plain = curve("symengine", T_max, limit, progress)
    return BenchResult(limit, ours, plain, symengine_plain, machine())


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def targets(r: BenchResult) -> list[tuple[str, bool | None, str]]:
    """The issue's targets: (what, met, measured)."""
    t4, t6 = r.seconds("ours", 4), r.seconds("ours", 6)
    rows = []
    for T, bound in ((5, 10.0), (6, 60.0)):
        s = r.seconds("ours", T)
        rows.append((f"T = {T} proven in under {bound:g} s", s is not None and s < bound,
                     f"{s:.3f} s" if s is not None else "past the limit"))
    for T in (4, 5):
        ours, plain = r.seconds("ours", T), r.seconds("plain", T)
        if plain is None:       # the plain path did not finish: the speedup is at least this
            speedup, text = _ratio(r.limit, ours), f"> {_ratio(r.limit, ours) or 0:.0f}x"
        else:
            speedup, text = _ratio(plain, ours), f"{_ratio(plain, ours):.0f}x"
        rows.append((f"at T = {T}, at least 4x faster than the plain path",
                     speedup is not None and speedup >= 4, text))
    ratio = _ratio(t6, t4)
    rows.append(("ratio T = 6 / T = 4 (ours)", None, f"{ratio:.1f}" if ratio else "n/a"))
    return rows


def bench_json(r: BenchResult) -> dict:
    def runs(rs):
        return [{"T": x.T, "seconds": None if x.seconds is None else round(x.seconds, 4),
                 "entries": x.entries, "proven": x.proven} for x in rs]
    return {"model": BENCH_MODEL, "activation": "tanh",
            "dims": {"n": BENCH_DIMS[0], "d": BENCH_DIMS[1]}, "limit_seconds": r.limit,
            "ours": runs(r.ours), "plain": runs(r.plain), "symengine_plain": runs(r.symengine),
            "machine": r.machine,
            "targets": [{"target": t, "met": m, "measured": v} for t, m, v in targets(r)]}


def bench_text(r: BenchResult) -> str:
    n, d = BENCH_DIMS
    lines = [f"unrolled proof of elman (tanh), n = {n}, d = {d}; seconds, limit {r.limit:g} s",
             "  ours: symbptt prove (every parameter and input entry, recursive and closed form)",
             f"  plain: SymPy diff + expand(direct - recursive) == 0 ({n * n + n * d + n} "
             f"parameter entries, recursive only)",
             "  symengine: the same plain path on SymEngine (no slope atoms)",
             f"  {'T':>3}  {'ours':>10}  {'plain':>10}  {'plain/ours':>10}  {'symengine':>10}"]
    Ts = sorted({x.T for x in r.ours} | {x.T for x in r.plain} | {x.T for x in r.symengine})

    def cell(which: str, T: int) -> str:
        s = r.seconds(which, T)
        ran = any(x.T == T for x in getattr(r, which))
        return f"{s:.3f}" if s is not None else (f"> {r.limit:g}" if ran else "-")

    for T in Ts:
        o, p = r.seconds("ours", T), r.seconds("plain", T)
        ratio = _ratio(p, o)
        ran_p = any(x.T == T for x in r.plain)
        fr = f"{ratio:.0f}x" if ratio else (f"> {r.limit / o:.0f}x" if o and ran_p else "")
        lines.append(f"  {T:>3}  {cell('ours', T):>10}  {cell('plain', T):>10}  {fr:>10}  "
                     f"{cell('symengine', T):>10}")
    last = max((x.T for x in r.ours if x.seconds is not None), default=None)
    lines.append(f"  ours reaches T = {last} within the limit" if last else "")
    for what, met, measured in targets(r):
        mark = "" if met is None else ("met: " if met else "MISSED: ")
        lines.append(f"  {mark}{what}: {measured}")
    m = r.machine
    lines.append(f"  ({m.get('cpus')} cpus, Python {m.get('python')}, SymPy {m.get('sympy')}, "
                 f"SymEngine {m.get('symengine')})")
    return "\n".join(lines)


def inductive_bench(limit: float, progress=None) -> dict:
    """Unrolled proofs of gru, lstm (n = 2, d = 3) and attention (q = 2) at T = 2, 3, 4,
    each in a child with a time limit; the inductive proof of every model, in one run."""
    from ..symbolic.inductive import prove_inductive
    from ..model.zoo import models
    say = progress or (lambda line: None)
    unrolled = {}
    for model in ("gru", "lstm", "attention"):
        runs = curve(model, 4, limit, progress)
        unrolled[model] = [{"T": r.T, "seconds": r.seconds} for r in runs]
    inductive = {}
    for spec in models():
        if not spec.symbolic:
            continue
        dims = GATED_DIMS.get(spec.name, Dims(3, 2, 4))
        cert = prove_inductive(spec, dims)
        inductive[spec.name] = {"seconds": cert.seconds, "identities": cert.entries,
                                "proven": cert.proven}
        say(f"  inductive {spec.name}: {cert.seconds:.3f} s ({cert.entries} identities)")
    ratios = {}
    for model, runs in unrolled.items():
        done = [r for r in runs if r["seconds"] is not None]
        if done:
            last = done[-1]
            ratios[model] = {"T": last["T"],
                             "ratio": last["seconds"] / inductive[model]["seconds"]}
    missing = [s.name for s in models() if not s.symbolic]
    return {"unrolled": unrolled, "inductive": inductive, "ratios": ratios,
            "inductive_total_s": sum(v["seconds"] for v in inductive.values()),
            "not_symbolic": missing, "limit": limit}


def inductive_text(r: dict) -> str:
    lines = ["gated cells, attention and the inductive certificate "
             "(n = 2, d = 3 for the gated cells, q = 2 for attention)"]
    for model, runs in r["unrolled"].items():
        cells = ", ".join(f"T = {x['T']}: " + (f"{x['seconds']:.2f} s" if x["seconds"] is not None
                                               else f"> {r['limit']:g} s") for x in runs)
        lines.append(f"  unrolled {model}: {cells}")
    for name, v in r["inductive"].items():
        lines.append(f"  inductive {name:<20} {v['seconds']:8.3f} s  {v['identities']:4d} "
                     f"identities  {'proven' if v['proven'] else 'NOT proven'}")
    lines.append(f"  inductive, all {len(r['inductive'])} symbolic models: "
                 f"{r['inductive_total_s']:.2f} s (target: under 60 s)"
                 + (f"; no symbolic side yet: {', '.join(r['not_symbolic'])}"
                    if r["not_symbolic"] else ""))
    for model, v in r["ratios"].items():
        lines.append(f"  unrolled / inductive for {model} at T = {v['T']}: {v['ratio']:.0f}x")
    return "\n".join(lines)
