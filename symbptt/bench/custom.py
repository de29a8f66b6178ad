"""symbptt bench --part custom: your own cell, the IndRNN model file (each proof under 10 s).

The unrolled proof at T = 4 and the inductive proof of the IndRNN model file (n = 3,
d = 2), its crosscheck, and the inductive proof of every example model file."""
from __future__ import annotations

import time

from ..model.spec import Dims


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
