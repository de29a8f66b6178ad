"""analyze: gradient dynamics of a model over long spans (seeds 000, 001, 002).

Each part turns one of the seeds' statements into numbers, proven where it can be:

    jacobians   ||prod_{j=k+1}^T J_j||_2 against the lag, seed 001's bound checked each run
    residual    J = I + diag(phi') W against Elman's diag(phi') W at the same weights
    eigen       a normal W with |lambda| > 1: the component along its eigenvector grows
                like |lambda|^m (the linear RNN's dL/dh_{T-m} = (W^T)^m dL/dh_T)
    orthogonal  an orthogonal W keeps that norm: numerically, and proven for a 2x2
                rotation by a symbolic angle
    truncation  truncated BPTT's bias for h_t = a h_{t-1} + x_t, derived and proven
    randomized  randomized truncation is unbiased (proven over every xi outcome); the
                estimator's exact variance beside a Monte Carlo estimate from the engine
    clip        g~ = min(1, c / ||g||) g on the model's gradient: direction kept, norm capped
    cost        the naive path sum (T (T + 1) / 2 paths) against BPTT, on the engine
    attention   the recurrent and the shortcut path to x_{t-tau} as tau grows

Every part returns plain data (lists and numbers): what --json prints, what the figures
draw, and what the dynamics document shows. Numbers come from the NumPy engine
(symbptt/numeric/dynamics.py, no SymPy) and proofs from symbptt/symbolic/dynamics.py.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np

from ..errors import SymbpttError
from ..numeric import data, dynamics as nd, engine
from ..numeric.cells import cell_for
from ..model.spec import Dims, ModelSpec

LINEAR = ("linear_half_square", "d2l_linear")
NUMERIC = ("scalar_linear", "linear_half_square", "d2l_linear", "elman", "elman_softmax",
           "residual", "gru", "gru_torch", "lstm", "attention")
# which parts apply to which models, in the order they are run and shown
PARTS = {
    "jacobians": nd.JACOBIAN_MODELS,
    "residual": ("elman", "residual"),
    "eigen": LINEAR,
    "orthogonal": LINEAR,
    "truncation": ("linear_half_square",),
    "randomized": ("linear_half_square",),
    "clip": NUMERIC,
    "cost": NUMERIC,
    "attention": ("attention",),
}
# the one recurrent matrix that --norm / --radius / --orthogonal set
RECURRENT = {"scalar_linear": "W_hh", "linear_half_square": "W_h", "d2l_linear": "W_hh",
             "elman": "W", "elman_softmax": "W_hh", "residual": "W", "attention": "W"}
WEIGHTS = ("random", "norm", "radius", "orthogonal")
T_SYMBOLIC = 8          # truncation's unrolled derivation: 0.3 s at T = 8
T_OUTCOMES = 5          # randomized truncation's proof sums 2^(T-1) outcomes
T_MOMENTS = 6           # the engine estimator's exact moments: 2^(T-1) outcomes at numbers
PI_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
A_GRID = tuple(round(0.05 * i, 2) for i in range(0, 25))      # a in 0..1.2
DEFAULT_EXPLODING = 1.2  # the eigen part's top eigenvalue when no --radius / --norm is given
COST_TS = (5, 10, 20, 40)


@dataclass(frozen=True)
class Settings:
    model: str
    T: int = 20
    dims: Dims = Dims(4, 3, 2)
    seed: int = 0
    activation: str | None = None
    weights: str = "random"          # one of WEIGHTS
    scale: float | None = None       # the spectral norm or radius asked for
    values: str | None = None        # a values file: the weights and the sequence
    lag: int | None = None           # the last lag shown (default T - 1)
    window: int = 2                  # truncation window k
    clip: float = 1.0                # clip threshold c
    pi: float = 0.5                  # randomized truncation's keep probability
    draws: int = 5_000               # Monte Carlo draws of the randomized estimator
    parts: tuple[str, ...] = ()      # empty: every part that applies to the model

    @property
    def last_lag(self) -> int:
        return self.T - 1 if self.lag is None else self.lag


@dataclass(frozen=True)
class Analysis:
    settings: Settings
    parts: dict = field(hash=False)      # part name -> plain data
    seconds: float = 0.0


def parts_for(model) -> tuple[str, ...]:
    """The parts that apply to a model (a name, or a spec: a user cell gets clip and cost)."""
    if getattr(model, "program", None) is not None:
        return ("clip", "cost")
    model = getattr(model, "name", model)
    return tuple(p for p, ms in PARTS.items() if model in ms)


def _positive(name: str, value: float | None) -> None:
    if value is not None and not (np.isfinite(value) and value > 0):
        raise SymbpttError(f"{name} must be a positive number, got {value}")


def validate(spec: ModelSpec, s: Settings) -> Settings:
    """Every bad input as one SymbpttError, before anything runs; the parts to run."""
    if spec.name not in NUMERIC and spec.program is None:
        raise SymbpttError(f"{spec.name} has no numeric engine to analyze (undefined "
                           f"functions); models: {', '.join(NUMERIC)}")
    if s.weights not in WEIGHTS:
        raise SymbpttError(f"weights are {', '.join(WEIGHTS)}, got {s.weights!r}")
    if s.T < 2:
        raise SymbpttError(f"analyze needs T >= 2 (a lag needs two steps), got {s.T}")
    _positive(f"--{s.weights}" if s.weights in ("norm", "radius") else "a spectral scale",
              s.scale)
    _positive("the clip threshold (--clip)", s.clip)
    if not (np.isfinite(s.pi) and 0 < s.pi <= 1):
        raise SymbpttError(f"pi must be in (0, 1], got {s.pi}")
    if s.lag is not None and not 1 <= s.lag <= s.T - 1:
        raise SymbpttError(f"a lag past T: --lag must be in 1..{s.T - 1} at T = {s.T}, "
                           f"got {s.lag}")
    if s.weights in ("norm", "radius", "orthogonal") and spec.name not in RECURRENT:
        why = "is a user cell: its equations say which matrix is recurrent" \
            if spec.program is not None else "has several"
        raise SymbpttError(f"--{s.weights} sets the recurrent matrix of "
                           f"{', '.join(sorted(RECURRENT))}; {spec.name} {why}")
    available = parts_for(spec)
    for p in s.parts:
        if p not in PARTS:
            raise SymbpttError(f"unknown part {p!r}; choose from {', '.join(PARTS)}")
        if p not in available:
            has = ", ".join(PARTS[p])
            raise SymbpttError(f"the {p} part is for {has}; {spec.name} has "
                               f"{', '.join(available)}")
    parts = s.parts or available
    if "truncation" in parts and not 1 <= s.window <= min(s.T, T_SYMBOLIC):
        raise SymbpttError(f"a window past T: --window must be in 1..{min(s.T, T_SYMBOLIC)} "
                           f"(truncation is derived at T = {min(s.T, T_SYMBOLIC)}), "
                           f"got {s.window}")
    return replace(s, parts=parts)


# ---- weights ---------------------------------------------------------------------------

def _set_recurrent(W: np.ndarray, s: Settings) -> np.ndarray:
    if s.weights == "orthogonal":
        return np.ones_like(W) if W.ndim == 0 else nd.orthogonal(W.shape[0], s.seed)
    if W.ndim == 0:
        if W == 0:
            raise SymbpttError("the recurrent weight is 0: it has no norm to rescale")
        return W * (s.scale / abs(float(W)))
    return nd.scaled_weights(W, s.weights, s.scale)


def problem(spec: ModelSpec, s: Settings) -> tuple[data.Problem, Settings]:
    """The weights and the sequence: drawn from the seed or read from a values file (whose
    shapes then set the sizes), then the recurrent matrix set to the norm, radius or
    orthogonality asked for."""
    if s.values is not None:
        from ..model import values as vfile
        vals, dims = vfile.load(s.values, spec, s.T)
        s = replace(s, dims=dims)
        P = {k: np.array(v, dtype=float) for k, v in vals["params"].items()}
        X = np.array(vals["inputs"], dtype=float).reshape(1, s.T, -1)
        Y = None if vals["targets"] is None else \
            np.array(vals["targets"], dtype=float).reshape(1, s.T, -1)
        pr = data.Problem(P, X, Y)
    else:
        pr = data.draw(spec, s.T, s.dims, s.seed)
    if s.weights in ("norm", "radius", "orthogonal"):
        name = RECURRENT[spec.name]
        P = dict(pr.params)
        P[name] = _set_recurrent(np.asarray(P[name], dtype=float), s)
        pr = data.Problem(P, pr.X, pr.Y)
    return pr, s


# ---- the parts -------------------------------------------------------------------------

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


# ---- views -----------------------------------------------------------------------------

def _finite(x):
    """Plain JSON: a rate with nothing to fit (NaN) or of a vanished product (-inf) is null."""
    if isinstance(x, float):
        return x if np.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def analysis_json(r: Analysis) -> dict:
    s = r.settings
    return _finite({"model": s.model, "T": s.T, "dims": {"n": s.dims.n, "d": s.dims.d, "q": s.dims.q},
            "seed": s.seed, "activation": s.activation,
            "weights": {"kind": s.weights, "value": s.scale, "values_file": s.values},
            "lag": s.last_lag, "window": s.window, "clip": s.clip, "pi": s.pi,
            "parts": r.parts, "seconds": r.seconds})


def _g(x: float) -> str:
    return "none (too few points to fit)" if x != x else f"{x:.4g}"


def _text(name: str, p: dict, s: Settings) -> list[str]:
    if name == "jacobians":
        last = len(p["norms"]) - 1
        return [f"c = {_g(p['c'])}, s = ||W||_2 = {_g(p['s'])}, c s = {_g(p['cs'])}; "
                f"{p['regime']}",
                f"||prod J|| at lag {p['lags'][last]}: {_g(p['norms'][last])} <= "
                f"{_g(p['slope_bound'][last])} <= {_g(p['cs_bound'][last])} (checked at "
                f"every lag)",
                f"rate per step: measured {_g(p['rate'])}, bound log(c s) = "
                f"{_g(p['bound_rate'])}"]
    if name == "residual":
        return [f"same W (||W|| = {_g(p['s'])}): ||prod J|| at lag {p['lags'][-1]}: elman "
                f"{_g(p['elman'][-1])}, residual {_g(p['residual'][-1])}",
                f"rate per step: elman {_g(p['elman_rate'])}, residual "
                f"{_g(p['residual_rate'])}"]
    if name == "eigen":
        return [f"normal W, top eigenvalue {_g(p['eigenvalue'])}: the component grows by "
                f"{_g(p['fitted_factor'])} a step (fit), |lambda| = {_g(abs(p['eigenvalue']))}"
                f" ({'as predicted' if p['holds'] else 'NOT as predicted'})"]
    if name == "orthogonal":
        return [f"orthogonal W: ||(W^T)^m g|| / ||g|| within {p['max_deviation']:.1e} of 1 "
                f"for m <= {p['steps'][-1]}; 1.1 W: {_g(p['scaled_1.1'][-1])} at "
                f"m = {p['steps'][-1]}",
                f"2x2 rotation by a symbolic angle: norm kept, proven for m <= "
                f"{p['rotation_proven_steps']}: {'yes' if p['rotation_proven'] else 'NO'}; "
                f"a 1.1-scaled rotation fails that proof: "
                f"{'yes' if not p['scaled_rotation_proven'] else 'NO'}"]
    if name == "truncation":
        k = str(p["window"])
        pr = p["proofs"][k]
        i9 = p["a"].index(0.9)
        return [f"h_t = a h_(t-1) + x_t, T = {p['T']}, window k = {k}: bias = "
                f"sum_(s>k) h_s sum_(t<=s-k) a^(s-t) h_(t-1) proven: "
                f"{'yes' if pr['closed_form_proven'] else 'NO'}",
                "bias at a = 0.9: " + ", ".join(f"k = {w}: {_g(p['bias'][str(w)][i9])}"
                                                  for w in p["windows"]),
                f"{pr['cut_inputs']} gradients to inputs k or more steps back: all exactly 0: "
                f"{'yes' if pr['cut_inputs_zero'] else 'NO'}; engine's truncated BPTT "
                f"matches to {p['engine_max_rel_diff']:.1e}"]
    if name == "randomized":
        return [f"E[z_t] = dh_t/dw_h proven over every xi outcome at T = {p['proof_T']}: "
                f"{'yes' if p['unbiased_proven'] else 'NO'}; E[xi] = "
                f"{p['expectation_of_xi']}; variance closed form proven: "
                f"{'yes' if p['variance_closed_form_proven'] else 'NO'}",
                f"estimator of dL/da (a = {p['a']}, T = {p['T']}, pi = {p['chosen_pi']}): "
                f"exact mean {_g(p['exact_mean'])} = dL/da {_g(p['full'])}, exact variance "
                f"{_g(p['chosen_exact_variance'])}; engine, {p['draws']} draws: mean "
                f"{_g(p['chosen_mc_mean'])}, variance {_g(p['chosen_mc_variance'])}"]
    if name == "clip":
        kept = "unchanged (||g|| <= c)" if not p["clipped"] else \
            f"scaled by {_g(p['factor'])}"
        return [f"||g|| = {_g(p['norm_before'])} ({p['entries']} entries), c = "
                f"{_g(p['threshold'])}: {kept}; ||g~|| = {_g(p['norm_after'])}, angle "
                f"{p['angle_degrees']:.1e} degrees"]
    if name == "cost":
        rows = [f"T = {T}: {paths} paths (T(T+1)/2 = {f}), path sum "
                f"{ps * 1e3:.2f} ms against BPTT {b * 1e3:.2f} ms"
                for T, paths, f, ps, b in zip(p["T"], p["paths"], p["formula"],
                                             p["path_sum_s"], p["bptt_s"])]
        return rows + [f"same gradient: {'yes' if p['same_gradient'] else 'NO'}"]
    if name == "attention":
        return [f"dl_{p['t']}/dx_(t-tau) at tau = {p['taus'][-1]}: recurrent path "
                f"{_g(p['recurrent'][-1])}, shortcut {_g(p['shortcut'][-1])}",
                f"rate per step: recurrent {_g(p['recurrent_rate'])}, shortcut "
                f"{_g(p['shortcut_rate'])}"]
    raise KeyError(name)


TITLES = {"jacobians": "Jacobian products (seed 001)",
          "residual": "residual against Elman, same weights (seed 001)",
          "eigen": "exploding along an eigenvector, normal W (seed 001)",
          "orthogonal": "orthogonal W keeps the norm (seed 001)",
          "truncation": "truncated BPTT's bias (seeds 000, 001)",
          "randomized": "randomized truncation is unbiased (seed 002)",
          "clip": "norm clipping (seed 001)",
          "cost": "naive path sum against BPTT (seed 000)",
          "attention": "attention's shortcut (seed 001)"}


def analysis_text(r: Analysis) -> str:
    s = r.settings
    how = {"random": f"random weights (seed {s.seed})",
           "orthogonal": f"orthogonal W (seed {s.seed})",
           "norm": f"W scaled to spectral norm {_g(s.scale or 0)} (seed {s.seed})",
           "radius": f"W scaled to spectral radius {_g(s.scale or 0)} (seed {s.seed})"}
    given = f"weights from {s.values}" + (", " if s.weights != "random" else "")
    lines = [f"{s.model}, T = {s.T}, " + (given if s.values else "") +
             ("" if s.values and s.weights == "random" else how[s.weights])]
    for name, p in r.parts.items():
        lines.append(f"\n{name}: {TITLES[name]}")
        lines += [f"  {line}" for line in _text(name, p, s)]
    lines.append(f"\n{len(r.parts)} part(s) in {r.seconds:.1f} s")
    return "\n".join(lines)
