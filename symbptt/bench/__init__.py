"""symbptt bench: proof times, measured in one run beside the plain path a user would take.

Each run is a child process with a time limit, so a curve can stop where it explodes
without hanging the machine. The plain path is SymPy alone: diff the fully substituted
unrolled loss, run the recursion on the same expressions, and ask
`expand(direct - recursive) == 0` for every parameter entry.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import platform
import time
from dataclasses import dataclass, field

import numpy as np
import symengine
import sympy as sp

# imported here, before any child is forked, so no run pays for an import
from ..errors import SymbpttError
from ..model.spec import Dims
from ..symbolic import recursive
from ..symbolic.activations import ACTIVATIONS
from ..symbolic.backend import SYMENGINE, SYMPY
from ..symbolic.cells import elman_cell
from ..symbolic.certificate import prove
from ..symbolic.unroll import unroll
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
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(kind, T, child))
    proc.start()
    child.close()
    if parent.poll(limit):
        seconds, proven, entries = parent.recv()
        proc.join()
        return Run(T, seconds, entries, proven)
    proc.terminate()
    proc.join()
    return Run(T, None)


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


# ---- the numeric engine ----------------------------------------------------------------

ENGINE_SIZES = ((1, 8, 4, 20), (32, 64, 32, 100), (64, 256, 128, 200))   # (B, n, d, T)
PATH_SUM_T = (10, 100, 1000)
MEMORY_T = 1000


def _best(fn, repeat: int = 5) -> float:
    fn()                                    # warm up (allocations, BLAS threads)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _best_pair(f, g, repeat: int) -> tuple[float, float]:
    """Best times of f and g: blocks of `repeat` runs of each, twice over (f, g, f, g), so
    both see the same shared, noisy machine and neither interrupts the other's warm
    caches and threads."""
    tf, tg = [], []
    for _ in range(2):
        tf.append(_best(f, repeat))
        tg.append(_best(g, repeat))
    return min(tf), min(tg)


def _elman_problem(B: int, n: int, d: int, T: int):
    from ..numeric import data
    from ..numeric.cells import elman_cell
    return elman_cell("tanh"), data.draw(get_model("elman"), T, Dims(n, d), 0, B)


def engine_vs_torch() -> list[dict]:
    """engine.full (forward + backward) against torch.nn.RNN forward + backward, same
    model, same numbers, float64, best of 5, in this process. Both compute the same
    things: the loss and the gradients of W, U, b and of the inputs (torch's X requires
    grad). torch is optional."""
    from ..numeric import engine
    try:
        import torch
    except ImportError:
        torch = None
    rows = []
    for B, n, d, T in ENGINE_SIZES:
        cell, pr = _elman_problem(B, n, d, T)
        run_ours = lambda: engine.full(cell, pr.params, pr.X, pr.Y)  # noqa: E731
        repeat = 25 if B * n * T < 10**6 else 7
        ours, theirs = _best(run_ours, repeat), None
        if torch is not None:
            rnn = torch.nn.RNN(d, n, batch_first=True).double()
            with torch.no_grad():
                rnn.weight_hh_l0.copy_(torch.from_numpy(pr.params["W"]))
                rnn.weight_ih_l0.copy_(torch.from_numpy(pr.params["U"]))
                rnn.bias_ih_l0.copy_(torch.from_numpy(pr.params["b"]))
                rnn.bias_hh_l0.zero_()
            X = torch.from_numpy(pr.X).requires_grad_(True)
            Y = torch.from_numpy(pr.Y)

            def run_torch():
                rnn.zero_grad()
                X.grad = None
                out, _ = rnn(X)
                (0.5 * ((out - Y) ** 2).sum()).backward()
            ours, theirs = _best_pair(run_ours, run_torch, repeat)
        rows.append({"B": B, "n": n, "d": d, "T": T, "engine_s": ours, "torch_s": theirs,
                     "ratio": ours / theirs if theirs else None})
    return rows


def _fit_exponent(xs, ys) -> float:
    lx, ly = np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float))
    return float(np.polyfit(lx, ly, 1)[0])


def path_sum_scaling() -> dict:
    """The naive path sum (T (T + 1) / 2 paths) against BPTT at T = 10, 100, 1000."""
    from ..numeric import engine
    rows = []
    for T in PATH_SUM_T:
        cell, pr = _elman_problem(1, 8, 4, T)
        rows.append({"T": T,
                     "bptt_s": _best(lambda: engine.full(cell, pr.params, pr.X, pr.Y), 3),
                     "path_sum_s": _best(lambda: engine.path_sum(cell, pr.params, pr.X, pr.Y), 1),
                     "paths": engine.path_count(T)})
    for r in rows:
        r["ratio"] = r["path_sum_s"] / r["bptt_s"]
    return {"rows": rows,
            "path_sum_exponent": _fit_exponent([r["T"] for r in rows], [r["path_sum_s"] for r in rows]),
            "bptt_exponent": _fit_exponent([r["T"] for r in rows], [r["bptt_s"] for r in rows])}


def memory() -> dict:
    """Peak memory (tracemalloc) of full BPTT, which keeps T steps, against forward mode,
    which keeps ds_t/dtheta (n x P per example), at T = 1000."""
    import tracemalloc

    from ..numeric import engine
    out = {"T": MEMORY_T, "B": 1, "n": 16, "d": 8}
    cell, pr = _elman_problem(1, 16, 8, MEMORY_T)
    out["params"] = int(sum(np.size(v) for v in pr.params.values()))
    for name, fn in (("full_bytes", engine.full), ("forward_mode_bytes", engine.forward_mode)):
        tracemalloc.start()
        fn(cell, pr.params, pr.X, pr.Y)
        out[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return out


def numeric_bench(progress=None) -> dict:
    say = progress or (lambda line: None)
    say("numeric engine: elman tanh, float64")
    torch_rows = engine_vs_torch()
    for r in torch_rows:
        say(f"  engine vs torch.nn.RNN at (B, n, d, T) = ({r['B']}, {r['n']}, {r['d']}, {r['T']}): "
            + (f"{r['ratio']:.2f}" if r["ratio"] else "torch not installed"))
    scaling = path_sum_scaling()
    say(f"  path sum exponent in T: {scaling['path_sum_exponent']:.2f}, BPTT "
        f"{scaling['bptt_exponent']:.2f}")
    mem = memory()
    say(f"  peak memory at T = {mem['T']}: full {mem['full_bytes']} B, forward mode "
        f"{mem['forward_mode_bytes']} B")
    return {"engine_vs_torch": torch_rows, "path_sum": scaling, "memory": mem}


def numeric_text(r: dict) -> str:
    lines = ["numeric engine (elman tanh, float64, best of 2 x 25 runs (2 x 7 at the largest "
             "size), engine and torch in alternate blocks, one process)",
             f"  {'(B, n, d, T)':<20} {'engine s':>10} {'torch s':>10} {'engine/torch':>13}"]
    for x in r["engine_vs_torch"]:
        size = f"({x['B']}, {x['n']}, {x['d']}, {x['T']})"
        torch_s = f"{x['torch_s']:.4f}" if x["torch_s"] else "n/a"
        ratio = f"{x['ratio']:.2f}" if x["ratio"] else "torch not installed"
        lines.append(f"  {size:<20} {x['engine_s']:>10.4f} {torch_s:>10} {ratio:>13}")
    s = r["path_sum"]
    lines.append(f"  {'T':>6} {'paths':>8} {'BPTT s':>10} {'path sum s':>11} {'ratio':>8}")
    for x in s["rows"]:
        lines.append(f"  {x['T']:>6} {x['paths']:>8} {x['bptt_s']:>10.4f} {x['path_sum_s']:>11.4f} "
                     f"{x['ratio']:>8.1f}")
    lines.append(f"  fitted exponent of time in T: path sum {s['path_sum_exponent']:.2f}, "
                 f"BPTT {s['bptt_exponent']:.2f}")
    m = r["memory"]
    lines.append(f"  peak memory at T = {m['T']} (n = {m['n']}, d = {m['d']}, P = {m['params']}): "
                 f"full BPTT {m['full_bytes'] / 1024:.0f} KiB, forward mode "
                 f"{m['forward_mode_bytes'] / 1024:.0f} KiB")
    return "\n".join(lines)



# ---- issue 4: gated cells unrolled, and the inductive certificate of every model --------

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


# ---- issue 6: checking a hand-derived formula ----------------------------------------------

CHECK_CLAIMS = {
    "correct": ("dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ delta[t] @ h[t-1].T)",
                ("delta[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ delta[t+1]",
                 "delta[T] = dl[T]/dh[T]")),
    "missing transpose (with diagnosis)": (
        "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ delta[t] @ h[t-1].T)",
        ("delta[t] = dl[t]/dh[t] + W @ diag(phi_prime(a[t+1])) @ delta[t+1]",
         "delta[T] = dl[T]/dh[T]")),
}


def _model_list() -> list[str]:
    """Every zoo model with a symbolic side, and every example model file."""
    from ..check.audit import examples_dir
    from ..model.zoo import models
    files = sorted(str(p) for p in (examples_dir() / "models").glob("*.toml"))
    return [s.name for s in models() if s.symbolic] + files


def _reference_child(model: str, T: int, conn) -> None:
    from ..api import load_model
    from ..check.verdict import CHECK_DIMS, reference_check
    spec = load_model(model)
    start = time.perf_counter()
    ok = reference_check(spec, T, CHECK_DIMS)
    conn.send((time.perf_counter() - start, ok))
    conn.close()


def timed_reference(model: str, T: int, limit: float) -> tuple[float | None, bool | None]:
    """check.reference_check in a child process; past `limit` seconds it is stopped."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_reference_child, args=(model, T, child))
    proc.start()
    child.close()
    if parent.poll(limit):
        seconds, ok = parent.recv()
        proc.join()
        return seconds, ok
    proc.terminate()
    proc.join()
    return None, None


def check_cost_bench(T_max: int = 6, limit: float = 60.0, progress=None) -> list[dict]:
    """For every zoo model and example model file at T = 1..T_max: the check cost model's
    estimate beside the measured time of what it estimates (check.reference_check, n = 3,
    d = 2, q = 4), each run in a child with a time limit; a T whose estimate is past 3x
    the limit (or past a T that was stopped) is not run."""
    from ..api import load_model
    from ..check.verdict import CHECK_DIMS
    from ..symbolic.cost import check_seconds
    say = progress or (lambda line: None)
    rows = []
    for model in _model_list():
        spec = load_model(model)
        name = os.path.basename(model) if model.endswith(".toml") else model
        stopped = False
        for T in range(1, T_max + 1):
            est = check_seconds(spec, T, CHECK_DIMS)
            if stopped or est > 3 * limit:
                rows.append({"model": name, "T": T, "estimate": est, "measured": None,
                             "run": False})
                continue
            seconds, ok = timed_reference(model, T, limit)
            stopped = seconds is None
            rows.append({"model": name, "T": T, "estimate": est, "measured": seconds,
                         "run": True, "proven": ok})
            shown = f"{seconds:.3f} s" if seconds is not None else f"> {limit:g} s"
            say(f"  {name} T = {T}: estimate {est:.3g} s, measured {shown}")
    return rows


def within(row: dict, factor: float = 3.0, limit: float = 60.0) -> bool | None:
    """The estimate within `factor` of the measured time; a run stopped at the limit
    agrees when the estimate said it would take more than limit / factor; not run: None."""
    if not row["run"]:
        return None
    if row["measured"] is None:
        return row["estimate"] > limit / factor
    ratio = row["measured"] / row["estimate"]
    return 1 / factor <= ratio <= factor


# a textbook claim of each model, timed at the default K as a person runs it (the
# every-T proof and, where it does not apply, the search past K included)
CLAIMS_AT_K = {
    "scalar_linear": ("dL/dW_hh = sum(t=1..T, dL/dh[t] * h[t-1])", ()),
    "linear_half_square": ("dL/dW_h = sum(t=1..T, dL/dh[t] @ h[t-1].T)", ()),
    "d2l_linear": ("dL/dW_qh = 1/T * sum(t=1..T, (o[t] - y[t]) @ h[t].T)", ()),
    "elman": ("dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ delta[t] @ h[t-1].T)",
              ("delta[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ delta[t+1]",
               "delta[T+1] = 0")),
    "elman_softmax": ("dL/dW_hh = sum(t=1..T, ((1 - h[t] * h[t]) * dL/dh[t]) @ h[t-1].T)", ()),
    "generic": ("dL/dw_h = sum(t=1..T, dL/dh[t] * df[t]/dw_h)", ()),
    "residual": ("dL/dW = sum(t=1..T, ((1 - tanh(a[t]) * tanh(a[t])) * dL/dh[t]) @ h[t-1].T)",
                 ()),
    "gru": ("dL/dW_z = sum(t=1..T, (delta[t] * (htilde[t] - h[t-1]) * z[t] * (1 - z[t])) "
            "@ h[t-1].T)", ("delta[t] = dl[t]/dh[t] + (dh[t+1]/dh[t]).T @ delta[t+1]",
                           "delta[T+1] = 0")),
    "gru_torch": ("dL/dW_hz = sum(t=1..T, (dL/dh[t] * (h[t-1] - n[t]) * z[t] * (1 - z[t])) "
                  "@ h[t-1].T)", ()),
    "lstm": ("dL/dc[t] = o[t] * (1 - tanh(c[t]) * tanh(c[t])) * dL/dh[t] + f[t+1] * "
             "dL/dc[t+1]", ()),
    "attention": ("dL/dW_o = sum(t=1..T, (o[t] - y[t]) @ h[t].T)", ()),
    "indrnn.toml": ("dL/dU = sum(t=1..T, ((1 - h[t] * h[t]) * dL/dh[t]) @ x[t].T)", ()),
    "mgu.toml": ("dL/dW_h = sum(t=1..T, ((1 - htilde[t] * htilde[t]) * f[t] * dL/dh[t]) @ "
                 "(f[t] * h[t-1]).T)", ()),
    "elman2.toml": ("dL/dh1[t] = V2.T @ ((1 - h2[t] * h2[t]) * dL/dh2[t]) + W1.T @ "
                    "((1 - h1[t+1] * h1[t+1]) * dL/dh1[t+1])", ()),
    "readout_mean.toml": ("dL/dh[t] = 1/T * dl[t]/dh[t] + W.T @ ((1 - h[t+1] * h[t+1]) * "
                          "dL/dh[t+1])", ()),                      # L = (1/T) sum_t l_t
    "softmax_rnn.toml": ("dL/dh[t] = dl[t]/dh[t] + W.T @ ((1 - h[t+1] * h[t+1]) * "
                         "dL/dh[t+1])", ()),
}


def claims_at_K(progress=None) -> list[dict]:
    """CLAIMS_AT_K through check, one model at a time, as `symbptt check` runs them."""
    from ..check.verdict import check
    from ..check.outcome import ClaimInput
    say = progress or (lambda line: None)
    rows = []
    for model in _model_list():
        name = os.path.basename(model) if model.endswith(".toml") else model
        claim, where = CLAIMS_AT_K[name]
        start = time.perf_counter()
        try:
            c = check(model, [ClaimInput(claim, where)]).claims[0]
        except SymbpttError as e:          # a bench claim the checker refuses: say so
            rows.append({"model": name, "claim": claim, "verdict": f"error: {e}",
                         "scope": "", "K": None, "searched_to": 0,
                         "seconds": time.perf_counter() - start})
            say(f"  {name}: error: {e}")
            continue
        seconds = time.perf_counter() - start
        rows.append({"model": name, "claim": claim, "verdict": c.verdict, "scope": c.scope,
                     "K": c.Ts[-1] if c.Ts else None, "searched_to": c.searched,
                     "seconds": seconds})
        say(f"  {name}: {c.verdict} ({c.scope}) in {seconds:.2f} s")
    return rows


def check_bench(progress=None, limit: float = 60.0, T_max: int = 6) -> dict:
    """The check cost model against measured times (every model, T = 1..T_max); a
    textbook claim of every model at the default K; one elman claim right and wrong
    (with its diagnosis); the whole seed audit and the gallery of mistakes."""
    from ..check import audit
    from ..check.verdict import check
    from ..check.outcome import ClaimInput
    say = progress or (lambda line: None)
    say(f"check cost model: every model at T = 1..{T_max}, n = 3, d = 2, q = 4, "
        f"limit {limit:g} s a run")
    cost = check_cost_bench(T_max, limit, progress)
    say("a textbook claim of every model at the default K")
    at_K = claims_at_K(progress)
    say("check: elman tanh, n = 3, d = 2, T = 1..4")
    claims = {}
    for label, (claim, where) in CHECK_CLAIMS.items():
        start = time.perf_counter()
        r = check("elman", [ClaimInput(claim, where)], "tanh", None, 4)
        seconds = time.perf_counter() - start
        c = r.claims[0]
        claims[label] = {"seconds": seconds, "verdict": c.verdict, "edits_tried": c.tried,
                         "fixes": [f.edit for f in c.fixes]}
        say(f"  {label}: {c.verdict} in {seconds:.2f} s")
    files = {}
    start = time.perf_counter()
    for path in audit.seed_files():
        checked = audit.run(path)
        files[path.name] = {"seconds": checked.seconds, "claims": len(checked.claims),
                            "wrong": sum(not c.correct for c in checked.claims)}
        say(f"  seed audit {path.name}: {len(checked.claims)} claims in {checked.seconds:.1f} s")
    audit_total = time.perf_counter() - start
    g = audit.run(audit.gallery_file())
    say(f"  gallery: {len(g.claims)} slips in {g.seconds:.1f} s")
    return {"claims": claims, "seed_audit": files, "seed_audit_s": audit_total,
            "gallery_s": g.seconds, "gallery_claims": len(g.claims), "cost": cost,
            "cost_limit": limit, "at_K": at_K}


def check_text(r: dict) -> str:
    lines = []
    if r.get("cost"):
        limit = r["cost_limit"]
        lines.append("check cost model: estimate beside measured (an exact check at one T "
                     "of every gradient, adjoints written out; n = 3, d = 2, q = 4)")
        marks = [within(row, limit=limit) for row in r["cost"]]
        for row, ok in zip(r["cost"], marks):
            got = "not run" if not row["run"] else (
                f"> {limit:g} s" if row["measured"] is None else f"{row['measured']:.3g} s")
            mark = {True: "within 3x", False: "OFF", None: ""}[ok]
            lines.append(f"  {row['model']:<18} T = {row['T']}  estimate {row['estimate']:9.3g} s"
                         f"  measured {got:>9}  {mark}")
        run = [m for m in marks if m is not None]
        lines.append(f"  {sum(run)} of {len(run)} runs within 3x of the estimate")
    if r.get("at_K"):
        lines.append("a textbook claim of every model at the default K (the every-T proof, "
                     "or the 20 s search past K, included)")
        for row in r["at_K"]:
            lines.append(f"  {row['model']:<18} {row['seconds']:7.2f} s  {row['verdict']} "
                         f"({row['scope']}, K = {row['K']})")
    lines.append("check (elman tanh, n = 3, d = 2, T = 1..4; target: one claim under 5 s)")
    for label, x in r["claims"].items():
        lines.append(f"  {label:<36} {x['seconds']:6.2f} s  {x['verdict']}"
                     + (f", {x['edits_tried']} edits tried, fix: {'; '.join(x['fixes'])}"
                        if x["fixes"] else ""))
    for name, x in r["seed_audit"].items():
        lines.append(f"  seed audit {name:<10} {x['seconds']:6.1f} s  {x['claims']} claims, "
                     f"{x['wrong']} wrong")
    lines.append(f"  seed audit, all files: {r['seed_audit_s']:.1f} s; gallery of mistakes "
                 f"({r['gallery_claims']} slips): {r['gallery_s']:.1f} s")
    return "\n".join(lines)


# ---- your own cell: the IndRNN model file (issue 8: each proof under 10 s) -------------

CUSTOM_TARGET_S = 10.0


def custom_bench(progress=None) -> dict:
    """IndRNN from its model file, n = 3, d = 2: loading and compiling the file, the
    unrolled proof at T = 4 (and 5, 6), the inductive proof, and a cross-check; each
    example model file's both proofs at T = 2."""
    from ..api import load_model
    from ..check.audit import examples_dir
    from ..crosscheck import crosscheck
    from ..symbolic.certificate import prove
    from ..symbolic.inductive import prove_inductive
    say = progress or (lambda line: None)
    models_dir = examples_dir() / "models"
    path = str(models_dir / "indrnn.toml")
    dims = Dims(3, 2)
    start = time.perf_counter()
    spec = load_model(path)
    out = {"load_s": time.perf_counter() - start, "unrolled": {}}
    say(f"custom: indrnn (model file), n = 3, d = 2; loaded in {out['load_s'] * 1e3:.1f} ms")
    for T in (4, 5, 6):
        start = time.perf_counter()
        cert = prove(spec, T, dims, None, force=True)
        out["unrolled"][T] = {"seconds": time.perf_counter() - start, "proven": cert.proven}
        say(f"  unrolled T = {T}: {out['unrolled'][T]['seconds']:.2f} s")
    start = time.perf_counter()
    cert = prove_inductive(spec, dims, None)
    out["inductive"] = {"seconds": time.perf_counter() - start, "proven": cert.proven}
    say(f"  inductive: {out['inductive']['seconds']:.2f} s")
    start = time.perf_counter()
    r = crosscheck(spec, 20, dims, batch=8)
    out["crosscheck_T20_s"] = time.perf_counter() - start
    out["crosscheck_agree"] = r.agree
    examples = {}
    for f in sorted(models_dir.glob("*.toml")):
        s = load_model(str(f))
        start = time.perf_counter()
        ok = prove(s, 2, Dims(2, 2, 2), None, force=True).proven and \
            prove_inductive(s, Dims(2, 2, 2), None).proven
        examples[s.name] = {"seconds": time.perf_counter() - start, "proven": ok}
        say(f"  {s.name}: both proofs at T = 2 in {examples[s.name]['seconds']:.2f} s")
    out["examples"] = examples
    out["target_met"] = (out["unrolled"][4]["seconds"] < CUSTOM_TARGET_S and
                         out["inductive"]["seconds"] < CUSTOM_TARGET_S)
    return out


def custom_text(r: dict) -> str:
    u = r["unrolled"]
    lines = [f"custom cell: indrnn from its model file, n = 3, d = 2 (target: unrolled T = 4 "
             f"and inductive each under {CUSTOM_TARGET_S:g} s: "
             f"{'met' if r['target_met'] else 'MISSED'})",
             f"  load and compile the file: {r['load_s'] * 1e3:.1f} ms",
             "  unrolled: " + ", ".join(f"T = {T} {x['seconds']:.2f} s"
                                         f"{'' if x['proven'] else ' NOT proven'}"
                                         for T, x in u.items()),
             f"  inductive (every T): {r['inductive']['seconds']:.2f} s"
             f"{'' if r['inductive']['proven'] else ' NOT proven'}",
             f"  crosscheck T = 20, batch 8: {r['crosscheck_T20_s']:.2f} s "
             f"({'agree' if r['crosscheck_agree'] else 'DISAGREE'})"]
    for name, x in r["examples"].items():
        lines.append(f"  example {name:<14} both proofs at T = 2: {x['seconds']:.2f} s"
                     f"{'' if x['proven'] else ' NOT proven'}")
    return "\n".join(lines)
