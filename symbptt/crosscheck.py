"""crosscheck: the same numbers through every lambdified form and every engine algorithm.

The symbolic forms (direct, recursive, closed form) and the NumPy engine meet only here,
through the model spec and the drawn numbers: the engine never imports SymPy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import SymbpttError
from .numeric import data, engine
from .numeric.cells import cell_for
from .model.spec import Dims, ModelSpec
from .symbolic.cost import Budget, Estimate, about, proof_estimate, require

TOLERANCE = {"float64": 1e-10, "float32": 1e-4}        # rtol
ABSOLUTE = {"float64": 1e-10, "float32": 1e-4}         # atol, times the scale s (below)
SYMBOLIC_BUDGET = 60.0          # seconds of estimated proof cost; past it, forms are skipped


@dataclass(frozen=True)
class Report:
    model: str
    T: int
    dims: dict = field(hash=False)
    seed: int = 0
    batch: int = 1
    dtype: str = "float64"
    options: dict = field(default_factory=dict, hash=False)
    problem: data.Problem = None
    loss: float = 0.0
    grads: dict = field(default_factory=dict, hash=False)     # method -> name -> array
    reference: str = ""
    max_abs_diff: dict = field(default_factory=dict, hash=False)
    max_rel_diff: dict = field(default_factory=dict, hash=False)
    tolerance: float = 1e-10
    agree: bool = True
    symbolic: bool = False
    note: str = ""
    paths: int = 0
    approximations: dict = field(default_factory=dict, hash=False)  # method -> name -> rel diff
    atol: float = 1e-10
    scale: dict = field(default_factory=dict, hash=False)      # name -> s of the atol term
    ratio: dict = field(default_factory=dict, hash=False)      # name -> worst |a - b| / bound


def _engine(spec: ModelSpec, activation, problem: data.Problem, tau: int | None = None,
            pi: float | None = None, seed: int = 0) -> dict:
    """Every engine algorithm. Exact ones unless tau < T (truncated drops paths) or
    pi < 1 (randomized is an estimate): those are returned under their own names."""
    cell = cell_for(spec, activation)
    P, X, Y = problem.params, problem.X, problem.Y
    T = X.shape[1]
    tau = T if tau is None else tau
    with np.errstate(all="ignore"):      # overflow is detected below and said in one line
        return _checked(_runs(cell, P, X, Y, tau, pi, seed), T)


# step VJPs the quadratic algorithms may take (about 12 microseconds each for elman, n = 3:
# half a minute); past it the path sum and a long truncation window are skipped and said
PATH_LIMIT = 2_500_000


def quadratic_steps(T: int, tau: int, batch: int) -> int:
    """Step VJPs of the naive path sum (T (T + 1) / 2 paths, each walked back) and of a
    window-tau truncation, for a batch."""
    return batch * (T * (T + 1) // 2 + T * min(tau, T))


def _runs(cell, P, X, Y, tau: int, pi, seed: int) -> dict:
    runs = {"engine_full": engine.full(cell, P, X, Y)}
    if quadratic_steps(X.shape[1], tau, X.shape[0]) <= PATH_LIMIT:
        runs["engine_path_sum"] = engine.path_sum(cell, P, X, Y)
        runs["engine_truncated"] = engine.truncated(cell, P, X, Y, tau=tau)
    runs["engine_forward_mode"] = engine.forward_mode(cell, P, X, Y)
    if pi is not None:
        runs["engine_randomized"] = engine.randomized(cell, P, X, Y, pi,
                                                      np.random.default_rng(seed))
    return runs


def _checked(runs: dict, T: int) -> dict:
    for name, g in runs.items():
        if not engine.is_finite(g):
            raise SymbpttError(f"the engine's {name.removeprefix('engine_')} gave NaN or inf at "
                               f"T={T}: the values overflow (exploding weights?), which is not "
                               f"a gradient mismatch; try a smaller --T or another --seed")
    return runs


def _symbolic(spec: ModelSpec, activation, T: int, dims: Dims, problem: data.Problem):
    from .symbolic import lambdify          # the SymPy side, only when it is wanted
    compiled = lambdify.compile_model(spec, activation, T, dims)
    P = {k: np.asarray(v, dtype=np.float64) for k, v in problem.params.items()}
    X = problem.X.astype(np.float64)
    Y = None if problem.Y is None else problem.Y.astype(np.float64)
    out = {}
    for form in lambdify.FORMS:
        params, gx = lambdify.gradients(compiled, form, P, X, Y)
        out[form] = {**params, "x": gx}
    return out


# the engine's costs on this project's machines. Forward mode takes a VJP per example,
# state entry and step, each over the whole batch's arrays (Python-bound): about 20
# microseconds plus 10 nanoseconds a batch entry, for elman's three parameters (a cell
# with more parameters, in proportion: lstm's twelve, 124 microseconds at batch 256).
# The path sum's step VJPs about 12 microseconds; the einsum carrying A_t about a
# nanosecond a multiply-add.
SECONDS_PER_FORWARD_VJP = 2e-5
SECONDS_PER_BATCH_ENTRY = 1e-8
SECONDS_PER_PATH_VJP = 1.2e-5
SECONDS_PER_FLOP = 1e-9


def engine_estimate(spec: ModelSpec, T: int, dims: Dims, batch: int,
                    tau: int | None = None) -> Estimate:
    """What the engine's algorithms take: forward mode (RTRL) is the costly one, a VJP per
    example, state entry and step (quadratic in the batch: each VJP runs over the whole
    batch), and its A_t holds batch x m x P numbers (m state entries, P parameter
    entries); then the quadratic path sum while it runs."""
    m = dims.n * len(spec.states) if "n" in spec.dims_used else len(spec.states)
    P = sum(math.prod(dims.shape(p.shape)) for p in spec.params)
    per_vjp = (SECONDS_PER_FORWARD_VJP + SECONDS_PER_BATCH_ENTRY * batch * m) * \
        max(len(spec.params), 3) / 3
    steps = quadratic_steps(T, tau or T, batch)
    seconds = T * batch * m * (per_vjp + m * P * SECONDS_PER_FLOP) + \
        (steps * SECONDS_PER_PATH_VJP if steps <= PATH_LIMIT else 0.0)
    return Estimate(seconds, 4 * 8 * batch * m * P)


def crosscheck(spec: ModelSpec, T: int, dims: Dims, seed: int = 0, batch: int = 1,
               dtype: str = "float64", activation: str | None = None, tau: int | None = None,
               pi: float | None = None, budget: Budget | None = None,
               force: bool = False) -> Report:
    """`tau` (default T) is the truncation window, `pi` (default: not run) the keep
    probability of randomized truncation; with tau < T or pi < 1 those two are estimates,
    reported beside the exact methods but not counted in the agreement. A run whose
    engine is estimated past the budget is refused up front unless `force`."""
    if tau is not None and tau < 1:
        raise SymbpttError(f"--tau must be at least 1, got {tau}")
    if pi is not None and not (0 < pi <= 1):
        raise SymbpttError(f"--pi must be in (0, 1], got {pi}")
    if not force:
        require(engine_estimate(spec, T, dims, batch, tau), budget or Budget(),
                f"the engine's runs at T={T}, batch {batch}",
                "try a smaller --batch, --T or sizes")
    problem = data.draw(spec, T, dims, seed, batch, np.float32 if dtype == "float32" else np.float64)
    runs = _engine(spec, activation, problem, tau, pi, seed)
    skipped = "" if "engine_path_sum" in runs else (
        f"the path sum and the truncated window are skipped: at T={T} they take "
        f"{quadratic_steps(T, tau or T, batch):,} step VJPs (quadratic in T; at most "
        f"{PATH_LIMIT:,}, about half a minute)")
    inexact = [m for m, bad in (("engine_truncated", tau is not None and tau < T
                                 and "engine_truncated" in runs),
                                ("engine_randomized", pi is not None and pi < 1)) if bad]
    grads = {name: {**g.params, **({"x": g.inputs} if g.inputs is not None else {})}
             for name, g in runs.items()}
    estimates = {m: grads.pop(m) for m in inexact}
    note = ""
    symbolic = False
    if not spec.symbolic:
        note = f"the symbolic forms of {spec.name} are missing (its symbolic side is not built " \
               f"yet): the engine's algorithms are compared with each other"
    elif (est := proof_estimate(spec, T, dims, activation).seconds) > SYMBOLIC_BUDGET:
        note = (f"the symbolic forms are skipped at T={T}: building them would take "
                f"{about(est)}; the engine's algorithms are compared with each other")
    else:
        grads.update(_symbolic(spec, activation, T, dims, problem))
        symbolic = True
    note = "; ".join(n for n in (note, skipped) if n)
    reference = "direct" if symbolic else "engine_full"
    ref = grads[reference]
    rtol, atol = TOLERANCE[dtype], ABSOLUTE[dtype]
    scale = _scales(grads, _forward_scale(spec, activation, problem, runs["engine_full"].loss))
    max_abs, max_rel, ratio = {}, {}, {}
    for name in ref:
        b = np.asarray(ref[name], dtype=np.float64)
        top = float(np.max(np.abs(b))) if b.size else 0.0
        diffs, worst = [], 0.0
        for g in grads.values():
            if name not in g:
                continue
            a = np.asarray(g[name], dtype=np.float64)
            diff = np.abs(a - b)
            bound = rtol * np.maximum(np.abs(a), np.abs(b)) + atol * scale[name]
            with np.errstate(divide="ignore", invalid="ignore"):
                # 0 / 0 (equal and a zero bound) is no excess; NaN / x stays NaN
                part = np.where(diff == 0, 0.0, diff / bound)
            diffs.append(_max(diff))
            worst = max(worst, _max(part), key=_nan_first)
        max_abs[name] = max(diffs, key=_nan_first)
        max_rel[name] = max_abs[name] / top if top > 0 else max_abs[name]
        ratio[name] = worst
    approximations = {m: {name: float(np.max(np.abs(g[name] - ref[name])))
                          / max(float(np.max(np.abs(ref[name]))), 1e-300) for name in g}
                      for m, g in estimates.items()}
    grads.update(estimates)
    options = {"activation": activation or "tanh"} if spec.option("activation") else {}
    # NaN anywhere (an overflow in one method) is a disagreement: NaN <= 1 is False
    agree = all(v <= 1.0 for v in ratio.values())
    return Report(spec.name, T, dims.as_dict(spec.dims_used), seed, batch, dtype, options,
                  problem, runs["engine_full"].loss, grads, reference, max_abs, max_rel, rtol,
                  agree, symbolic, note, runs["engine_path_sum"].paths
                  if "engine_path_sum" in runs else 0, approximations, atol,
                  scale, ratio)


def _max(a: np.ndarray) -> float:
    """The largest entry, NaN if there is one (np.max propagates NaN); 0 if empty."""
    return float(np.max(a)) if np.size(a) else 0.0


def _nan_first(v: float) -> float:
    """A key for max() that ranks NaN above every number (max() alone keeps whichever
    comes first), so that a NaN difference is reported, never hidden."""
    return np.inf if np.isnan(v) else v


def _scales(grads: dict, forward: float) -> dict:
    """s in |a - b| <= rtol max(|a|, |b|) + atol s, for each parameter (and x).

    Rounding noise in a gradient entry is eps times the size of the terms summed into
    it, not of their sum: the terms can cancel to a tiny or exactly zero gradient
    (elman_softmax with q = 1 has yhat_t - y_t = 1 - 1 at every step, so every true
    gradient is 0 and a method returns 5e-17), which no relative test passes. So s is
    the largest of: this parameter's gradient, the whole gradient (every parameter
    and x: their terms are made of the same factors), and the forward values (the
    states, the data and the loss per step: each term is a product of such values and
    weights; with the zoo's draw these are O(1), never all 0). Each gradient scale is
    the smallest over the methods, so that one method's garbage (an overflow giving
    1e25) cannot widen the tolerance enough to pass itself."""
    per_method = []
    for g in grads.values():
        own = {name: _finite_max(v) for name, v in g.items()}
        per_method.append((own, max(own.values(), default=0.0)))
    names = dict.fromkeys(name for g in grads.values() for name in g)
    return {name: max(forward, min(max(own[name], whole) for own, whole in per_method
                                   if name in own)) for name in names}


def _finite_max(a) -> float:
    """max |a| over the finite entries (a NaN or inf fails the test itself, and must not
    set the scale it is measured by)."""
    a = np.abs(np.asarray(a, dtype=np.float64))
    a = a[np.isfinite(a)]
    return float(np.max(a)) if a.size else 0.0


def _forward_scale(spec: ModelSpec, activation, problem: data.Problem, loss: float) -> float:
    """The largest forward value: state entries, inputs, targets, and |L| per step and
    example (the loss is summed over both)."""
    cell = cell_for(spec, activation)
    P = {k: np.asarray(v, dtype=np.float64) for k, v in problem.params.items()}
    X = problem.X.astype(np.float64)
    B, T = X.shape[0], X.shape[1]
    values = [abs(loss) / (B * T), _max(np.abs(X))]
    if problem.Y is not None:
        values.append(_max(np.abs(problem.Y.astype(np.float64))))
    with np.errstate(all="ignore"):
        for st in engine.stream(cell, P, X):
            values.extend(_max(np.abs(s)) for s in st.s)
    finite = [v for v in values if np.isfinite(v)]
    return max(finite, default=1.0)


def _plain(a, scalar_last: bool) -> list | float:
    a = np.asarray(a, dtype=np.float64)
    if scalar_last and a.ndim >= 1:
        a = a[..., 0]
    return a.tolist()


def report_json(r: Report, spec: ModelSpec) -> dict:
    one = r.batch == 1
    scalar_x = not spec.input_shape
    scalar_y = spec.target_shape == ()

    def data_part(a, scalar):
        if a is None:
            return None
        return _plain(a[0] if one else a, scalar)

    return {
        "model": r.model, "model_file": spec.source or None,
        "T": r.T, "dims": r.dims, "seed": r.seed, "batch": r.batch,
        "dtype": r.dtype, "options": r.options,
        "params": {k: _plain(v, False) for k, v in r.problem.params.items()},
        "inputs": data_part(r.problem.X, scalar_x), "targets": data_part(r.problem.Y, scalar_y),
        "loss": r.loss,
        "grads": {m: {k: (data_part(v, scalar_x) if k == "x" else _plain(v, False))
                      for k, v in g.items()} for m, g in r.grads.items()},
        "reference": r.reference, "max_abs_diff": r.max_abs_diff, "max_rel_diff": r.max_rel_diff,
        "tolerance": r.tolerance, "atol": r.atol, "abs_scale": r.scale,
        "tolerance_ratio": r.ratio, "agree": r.agree, "symbolic_forms": r.symbolic,
        "note": r.note, "paths": r.paths, "estimates_rel_diff": r.approximations,
    }


def report_text(r: Report) -> str:
    opts = "".join(f", {k} {v}" for k, v in r.options.items())
    dims = "".join(f", {k} = {v}" for k, v in r.dims.items())
    methods = [m for m in r.grads if m not in r.approximations]
    lines = [f"symbptt crosscheck {r.model}{opts}: T = {r.T}{dims}, batch {r.batch}, "
             f"seed {r.seed}, {r.dtype}",
             f"  loss (summed over the batch) = {r.loss:.15g}",
             f"  max relative difference from the {r.reference.replace('_', ' ')} gradient:"]
    width = max(len(m) for m in methods)
    for name in r.max_rel_diff:
        lines.append(f"  {('x (inputs)' if name == 'x' else name):<12} "
                     f"max abs {r.max_abs_diff[name]:.2e}  max rel {r.max_rel_diff[name]:.2e}"
                     f"  scale {r.scale.get(name, 0.0):.2e}")
    lines.append("  methods: " + ", ".join(m.ljust(width).strip() for m in methods))
    lines.append(f"  naive path sum: {r.paths} paths (T (T + 1) / 2)" if r.paths else
                 "  naive path sum: skipped (see the note)")
    for m, diffs in r.approximations.items():
        worst = max(diffs.values())
        lines.append(f"  {m} is an estimate here (not counted): max rel difference {worst:.2e}")
    if r.note:
        lines.append(f"  note: {r.note}")
    rule = (f"{r.tolerance:g} relative + {r.atol:g} x scale absolute "
            f"(|a - b| <= rtol max(|a|, |b|) + atol s)")
    if r.agree:
        lines.append(f"AGREE: every method within {rule}")
    else:
        worst = max(r.ratio, key=lambda k: _nan_first(r.ratio[k]))
        lines.append(f"DISAGREE: some method differs by more than {rule}; worst "
                     f"{'x (inputs)' if worst == 'x' else worst}: {r.ratio[worst]:.3g} times "
                     f"the tolerance")
    return "\n".join(lines)
