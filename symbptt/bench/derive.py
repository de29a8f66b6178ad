"""symbptt bench --part derive: the NumPy code derive generates, beside the engine.

For the models the issue names (elman, lstm, gru, gru_torch, attention), the time to
derive and prove its formulas, then bptt(P, X, Y) from `derive --format numpy` against
the engine's full BPTT on the same numbers at (B, n, d, T) = (32, 64, 32, 100): both
timed in blocks of runs, in turn (the best of each), their gradients compared. Target:
the generated code within 2x of the engine, agreeing to 1e-12.
"""
from __future__ import annotations

import time

import numpy as np

from ..model.registry import get_model
from ..model.spec import Dims
from .numeric import _best_pair

DERIVE_MODELS = ("elman", "lstm", "gru", "gru_torch", "attention")
DERIVE_SIZE = (32, 64, 32, 100)          # (B, n, d, T)
TARGET_RATIO = 2.0


def _load(source: str, model: str):
    """The generated module, run from a file as a user would run it (a zoo model's code:
    the names in it are the zoo's own)."""
    import runpy
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"bptt_{model}.py"
        path.write_text(source, encoding="utf-8")
        return runpy.run_path(str(path))["bptt"]


def derive_bench(progress=None, size: tuple = DERIVE_SIZE, repeat: int = 3) -> dict:
    from ..derive.proof import derive
    from ..numeric import engine
    from ..numeric.cells import cell_for
    from ..numeric.data import draw
    B, n, d, T = size
    rows = []
    for model in DERIVE_MODELS:
        spec = get_model(model)
        start = time.perf_counter()
        derived = derive(spec)
        seconds = time.perf_counter() - start
        bptt = _load(derived.numpy, model)
        pb = draw(spec, T, Dims(n, d, 2), 0, batch=B)
        cell = cell_for(spec)
        g = engine.full(cell, pb.params, pb.X, pb.Y)
        _, grads = bptt(pb.params, pb.X, pb.Y)
        err = max(float(np.max(np.abs(grads[p] - g.params[p])) /
                        max(float(np.max(np.abs(g.params[p]))), 1e-300)) for p in g.params)
        t_engine, t_code = _best_pair(lambda: engine.full(cell, pb.params, pb.X, pb.Y),
                                      lambda: bptt(pb.params, pb.X, pb.Y), repeat)
        row = {"model": model, "derive_s": seconds, "proven": derived.correct,
               "engine_s": t_engine, "generated_s": t_code, "ratio": t_code / t_engine,
               "rel_err": err}
        rows.append(row)
        if progress:
            progress(f"  derive {model}: generated {t_code * 1e3:.1f} ms, engine "
                     f"{t_engine * 1e3:.1f} ms")
    return {"size": list(size), "rows": rows, "target_ratio": TARGET_RATIO,
            "target_met": all(r["ratio"] <= TARGET_RATIO and r["rel_err"] <= 1e-12
                              and r["proven"] for r in rows)}


def derive_text(r: dict) -> str:
    B, n, d, T = r["size"]
    lines = [f"derive: the generated NumPy BPTT beside the engine (B={B}, n={n}, d={d}, "
             f"T={T}; target within {r['target_ratio']:g}x, agreeing to 1e-12)"]
    for row in r["rows"]:
        lines.append(f"  {row['model']:10s} derived and proven in {row['derive_s']:.1f} s; "
                     f"generated {row['generated_s'] * 1e3:.1f} ms, engine "
                     f"{row['engine_s'] * 1e3:.1f} ms: {row['ratio']:.2f}x; "
                     f"max rel. difference {row['rel_err']:.1e}")
    lines.append("  target " + ("met" if r["target_met"] else "MISSED"))
    return "\n".join(lines)
