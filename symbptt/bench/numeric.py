"""symbptt bench --part numeric: the NumPy engine beside torch, its path sums and memory.

The engine's full BPTT against torch.nn.RNN's autograd at three sizes (best of several
runs, both timed in turn), the closed form's path sum against T (its exponent fitted),
and the engine's memory at T = 1000."""
from __future__ import annotations

import time

import numpy as np

from ..model.registry import get_model
from ..model.spec import Dims


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
    from ..numeric.cells.elman import elman_cell
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
