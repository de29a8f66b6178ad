"""symbptt bench --part check: what a check costs, against its cost model.

Every zoo model and example model file checked at T = 1..6 in a child with a time limit,
each run beside the cost model's estimate (cost.check_seconds: within 3x); a textbook
claim of each model at the default K; two elman claims (one wrong, with its diagnosis);
the seed audit and the gallery of mistakes, file by file."""
from __future__ import annotations

import os
import time

from ..errors import SymbpttError
from .child import in_child


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
    sent = in_child(_reference_child, (model, T), limit)
    return (None, None) if sent is None else sent


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
    "relu_rnn.toml": ("dL/dW = sum(t=1..T, (relu_prime(a[t]) * dL/dh[t]) @ h[t-1].T)", ()),
    "leaky_relu_rnn.toml": ("dL/dh[t] = V.T @ dL/do[t] + W.T @ ((0.1 + 0.9 * "
                            "relu_prime(a[t+1])) * dL/dh[t+1])", ()),
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
