"""The parts of symbptt analyze, one function each, and analyze() that runs them.

Each part takes the model, the settings and the shared problem and returns plain data
(lists and numbers). Numbers come from the NumPy engine (numeric/dynamics.py, no SymPy),
proofs from symbolic/dynamics.py."""
from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from ..errors import SymbpttError
from ..model.spec import ModelSpec
from ..numeric import dynamics as nd, engine
from ..numeric.cells import cell_for
from .settings import (A_GRID, COST_TS, DEFAULT_EXPLODING, PI_GRID, T_MOMENTS, T_OUTCOMES,
                       T_SYMBOLIC, Analysis, Settings, problem, validate)


def _series(r: nd.ProductSeries, last: int) -> dict:
    keep = [i for i, lag in enumerate(r.lags) if lag <= last]
    return {"lags": [r.lags[i] for i in keep], "norms": [r.norms[i] for i in keep],
            "slope_bound": [r.slope_bound[i] for i in keep],
            "cs_bound": [r.cs_bound[i] for i in keep],
            "c": r.c, "s": r.s, "cs": r.c * r.s, "rate": r.rate, "bound_rate": r.bound_rate}


def jacobians(spec, s: Settings, pr) -> dict:
    r = nd.product_series(spec.name, pr.params, pr.X[0], s.activation)
    out = _series(r, s.last_lag)
    per = (1 + r.c * r.s) if spec.name == "residual" else r.c * r.s
    out["regime"] = ("vanishing: c s < 1 forces ||prod J|| <= (c s)^(T-k) -> 0"
                     if per < 1 - 1e-12 else
                     "c s = 1: the bound caps ||prod J|| at 1, no growth" if per <= 1 + 1e-12
                     else "c s > 1: the bound allows growth (exploding is possible)")
    out["bound_checked"] = True       # product_series raises BoundViolated otherwise
    return out


def residual(spec, s: Settings, pr) -> dict:
    P = {k: pr.params[k] for k in ("W", "U", "b")}
    el = nd.product_series("elman", P, pr.X[0], s.activation or "tanh")
    res = nd.product_series("residual", P, pr.X[0])
    keep = [i for i, lag in enumerate(el.lags) if lag <= s.last_lag]
    return {"lags": [el.lags[i] for i in keep],
            "elman": [el.norms[i] for i in keep], "residual": [res.norms[i] for i in keep],
            "elman_rate": el.rate, "residual_rate": res.rate, "s": el.s}


def _top(s: Settings) -> float:
    return s.scale if s.weights in ("norm", "radius") else DEFAULT_EXPLODING


def eigen(spec, s: Settings, pr) -> dict:
    n = s.dims.n
    W = nd.normal_matrix(n, _top(s), s.seed)
    g = np.random.default_rng(s.seed + 1).standard_normal(n)
    r = nd.eigen_growth(W, g, s.last_lag)
    return {"steps": list(r.steps), "components": list(r.components), "eigenvalue": r.eigenvalue,
            "rate": r.rate, "predicted": r.predicted,
            "fitted_factor": float(np.exp(r.rate)), "holds": abs(r.rate - r.predicted) < 1e-6}


def orthogonal(spec, s: Settings, pr) -> dict:
    from ..symbolic.dynamics import rotation_keeps_the_norm
    n = s.dims.n
    Q = nd.orthogonal(n, s.seed)
    g = np.random.default_rng(s.seed + 1).standard_normal(n)
    ratios, scaled, v, w = [], [], g.copy(), g.copy()
    for _ in range(s.last_lag + 1):
        ratios.append(float(np.linalg.norm(v) / np.linalg.norm(g)))
        scaled.append(float(np.linalg.norm(w) / np.linalg.norm(g)))
        v, w = Q.T @ v, 1.1 * Q.T @ w
    steps = min(s.last_lag, 6)
    proof = rotation_keeps_the_norm(steps)
    counter = rotation_keeps_the_norm(steps, scale=Fraction(11, 10))
    deviation = max(abs(r - 1) for r in ratios)
    return {"steps": list(range(s.last_lag + 1)), "orthogonal": ratios, "scaled_1.1": scaled,
            "max_deviation": deviation, "rotation_proven_steps": steps,
            "rotation_proven": proof.proven, "scaled_rotation_proven": counter.proven,
            "holds": proof.proven and not counter.proven and deviation < 1e-9}


def _scalar_inputs(s: Settings, pr, T: int) -> list[Fraction]:
    """The scalar model's inputs: x_t = 1 (h_t = (1 - a^t) / (1 - a): every term of the
    bias positive), or a values file's first coordinate, as small exact rationals."""
    if s.values is None:
        return [Fraction(1)] * T
    return [Fraction(round(float(x) * 100), 100) for x in pr.X[0, :T, 0]]


def _scalar_problem(a: float, xs) -> tuple:
    P = {"W_h": np.array([[a]]), "W_x": np.array([[1.0]])}
    return P, np.array([float(x) for x in xs]).reshape(1, len(xs), 1)


def truncation(spec, s: Settings, pr) -> dict:
    from ..symbolic.dynamics import curves, truncation_bias
    T = min(s.T, T_SYMBOLIC)
    xs = _scalar_inputs(s, pr, T)
    windows = sorted({k for k in (1, 2, 3, 4, s.window) if k < T} | {s.window})
    cell = cell_for("linear_half_square")
    bias, proofs, worst = {}, {}, 0.0
    for k in windows:
        tb = truncation_bias(T, k)
        proofs[k] = {"closed_form_proven": tb.proven,
                     "cut_inputs": len(tb.cut_inputs),
                     "cut_inputs_zero": all(v == 0 for _, _, v in tb.cut_inputs)}
        v = curves(tb, xs, A_GRID)
        for a, want in zip(A_GRID, v["truncated"]):
            P, X = _scalar_problem(a, xs)
            eng = float(engine.truncated(cell, P, X, None, tau=k).params["W_h"][0, 0])
            worst = max(worst, abs(eng - want) / max(1.0, abs(want)))
        bias[k] = v["bias"]
    chosen = proofs[s.window]
    return {"T": T, "inputs": [str(x) for x in xs], "a": list(A_GRID),
            "windows": windows, "bias": {str(k): bias[k] for k in windows},
            "proofs": {str(k): proofs[k] for k in windows}, "window": s.window,
            "engine_max_rel_diff": worst,
            "holds": all(p["closed_form_proven"] and p["cut_inputs_zero"]
                         for p in proofs.values()) and worst < 1e-9 and
            chosen["closed_form_proven"]}


def randomized(spec, s: Settings, pr) -> dict:
    from ..symbolic.dynamics import estimator_moments, randomized_truncation
    proof = randomized_truncation(min(s.T, T_OUTCOMES))
    T = min(s.T, T_MOMENTS)
    xs = _scalar_inputs(s, pr, T)
    a = Fraction(9, 10)
    cell = cell_for("linear_half_square")
    P, X = _scalar_problem(float(a), xs)
    rng = np.random.default_rng(s.seed)
    pis = sorted(set(PI_GRID) | {s.pi})
    exact_var, mc_mean, mc_var, counts = [], [], [], []
    per_pi = max(100, s.draws // 4)
    for p in pis:
        m = estimator_moments(a, xs, Fraction(p).limit_denominator(1000))
        exact_var.append(float(m["variance"]))
        n = s.draws if p == s.pi else per_pi
        counts.append(n)
        z = np.array([engine.randomized(cell, P, X, None, p, rng).params["W_h"][0, 0]
                      for _ in range(n)])
        mc_mean.append(float(z.mean()))
        mc_var.append(float(z.var(ddof=1)))
    chosen = estimator_moments(a, xs, Fraction(s.pi).limit_denominator(1000))
    i = pis.index(s.pi)
    return {"proof_T": proof.T, "unbiased_proven": proof.unbiased,
            "variance_closed_form_proven": proof.variance_proven,
            "expectation_of_xi": str(proof.expectation_of_xi),
            "a": str(a), "T": T, "inputs": [str(x) for x in xs],
            "pi": pis, "exact_variance": exact_var, "mc_mean": mc_mean, "mc_variance": mc_var,
            "mc_draws": counts,
            "full": float(chosen["full"]), "chosen_pi": s.pi, "draws": s.draws,
            "exact_mean": float(chosen["mean"]), "chosen_exact_variance": exact_var[i],
            "chosen_mc_mean": mc_mean[i], "chosen_mc_variance": mc_var[i],
            "draws_per_grid_pi": per_pi,
            "holds": proof.unbiased and proof.variance_proven and proof.expectation_of_xi == 1
            and chosen["mean"] == chosen["full"]}


def _flat_gradient(spec, s: Settings, pr) -> np.ndarray:
    cell = cell_for(spec, s.activation)
    with np.errstate(all="ignore"):
        g = engine.full(cell, pr.params, pr.X, pr.Y)
    flat = np.concatenate([np.ravel(g.params[p.name]) for p in spec.params])
    if not np.all(np.isfinite(flat)):
        raise SymbpttError(f"the gradient of {spec.name} overflowed at T = {s.T} with these "
                           f"weights; try a smaller T or --radius")
    return flat


def clip(spec, s: Settings, pr) -> dict:
    g = _flat_gradient(spec, s, pr)
    g_clipped, info = nd.clip(g, s.clip)
    norm = info["norm_before"]
    thresholds = [float(x) for x in np.geomspace(norm / 10, 2 * norm, 25)] if norm > 0 else []
    after, angles, kept = [], [], []
    for c in thresholds:
        out, i = nd.clip(g, c)
        after.append(i["norm_after"])
        angles.append(i["angle_degrees"])
        if norm <= c:
            kept.append(bool(np.array_equal(out, g)))
    unchanged = bool(np.array_equal(g_clipped, g)) if norm <= s.clip else None
    return {**info, "entries": int(g.size), "thresholds": thresholds, "norms_after": after,
            "angles_degrees": angles, "unchanged_below_threshold": unchanged,
            "unchanged_thresholds": len(kept), "unchanged_all": all(kept),
            "holds": info["norm_after"] <= s.clip * (1 + 1e-12) and
            info["angle_degrees"] < 1e-6 and unchanged is not False and all(kept)}


def cost(spec, s: Settings, pr) -> dict:
    n = s.dims.n if "n" in spec.dims_used else 1
    d = s.dims.d if spec.input_shape else 1
    r = nd.path_cost(spec, s.activation, COST_TS, n=max(n, 1), d=max(d, 1),
                     seed=s.seed)
    rows = r["rows"]
    return {"T": [x["T"] for x in rows], "paths": [x["paths"] for x in rows],
            "formula": [x["formula"] for x in rows],
            "bptt_vjp_calls": [x["bptt_vjp_calls"] for x in rows],
            "path_sum_vjp_calls": [x["path_sum_vjp_calls"] for x in rows],
            "bptt_s": [x["bptt_s"] for x in rows], "path_sum_s": [x["path_sum_s"] for x in rows],
            "same_gradient": all(x["same_gradient"] for x in rows),
            "holds": all(x["paths"] == x["formula"] and x["same_gradient"] for x in rows)}


def attention(spec, s: Settings, pr) -> dict:
    r = nd.attention_paths(pr.params, pr.X, pr.Y)
    keep = [i for i, tau in enumerate(r.taus) if tau <= s.last_lag]
    return {"t": r.t, "taus": [r.taus[i] for i in keep],
            "recurrent": [r.recurrent[i] for i in keep],
            "shortcut": [r.shortcut[i] for i in keep],
            "recurrent_rate": r.recurrent_rate, "shortcut_rate": r.shortcut_rate}


RUN = {"jacobians": jacobians, "residual": residual, "eigen": eigen, "orthogonal": orthogonal,
       "truncation": truncation, "randomized": randomized, "clip": clip, "cost": cost,
       "attention": attention}


def analyze(spec: ModelSpec, settings: Settings) -> Analysis:
    """Every part asked for (default: all that apply), on one problem."""
    start = time.perf_counter()
    s = validate(spec, settings)
    pr, s = problem(spec, s)
    parts = {name: RUN[name](spec, s, pr) for name in s.parts}
    return Analysis(s, parts, time.perf_counter() - start)
