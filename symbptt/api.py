"""The Python API: the CLI's verbs as functions, returning the dataclasses the CLI prints.

    >>> import symbptt
    >>> proof = symbptt.prove("elman", T=3)        # a Proof: unrolled and inductive (as the CLI)
    >>> proof.proven, proof.unrolled.entries, proof.inductive.proven
    (True, 16, True)
    >>> unrolled, inductive = proof                # its certificates, in the CLI's order
    >>> spec = symbptt.load_model("my_cell.toml")          # your own cell  # doctest: +SKIP

A model is a zoo name, a path to a model file, or a ModelSpec from load_model. Sizes are
a Dims, a dict such as {"n": 3, "d": 2}, or None for the CLI's defaults. Bad input raises
SymbpttError with the one-line message the CLI would print.
"""
from __future__ import annotations

from .errors import SymbpttError
from .model import registry
from .model.spec import DIM_NAMES, DIM_RANGE, Dims, ModelSpec, resolve_activation
from .symbolic.cost import Budget
from .symbolic.proof import Proof


T_MAX = 10_000


def _whole(name: str, value, lo: int, hi: int) -> int:
    """A whole number in lo..hi (not a bool, not a float, not a string), or bad input."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SymbpttError(f"{name} must be a whole number in {lo}..{hi}, got {value!r}")
    return value


def _number(name: str, value, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (positive and not value > 0) or value != value:
        raise SymbpttError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _texts(name: str, value) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
        raise SymbpttError(f"{name} is a formula (a string) or a list of them, got {value!r}")
    return list(items)


def load_model(model) -> ModelSpec:
    """A zoo model by name, or a model file (its warnings, such as a parameter declared
    but never used, as Python warnings)."""
    return registry.load_model(model, stacklevel=4)


def as_dims(spec: ModelSpec, dims=None, default: Dims = Dims()) -> Dims:
    """Dims from a Dims, a dict or None; a size the model lacks is an error."""
    if dims is None:
        return default
    if isinstance(dims, Dims):
        dims = {k: getattr(dims, k) for k in spec.dims_used}
    if isinstance(dims, dict):
        for k, v in dims.items():
            if k in DIM_NAMES:
                _whole(f"the {DIM_NAMES[k]} size {k}", v, *DIM_RANGE)
        for k in dims:
            if k not in DIM_NAMES:
                raise SymbpttError(f"unknown size {k!r}: sizes are n (hidden), d (input), "
                                   f"q (output)")
            if k not in spec.dims_used:
                raise SymbpttError(f"{spec.name} has no {DIM_NAMES[k]} size ({k}); its "
                                   f"sizes: {', '.join(spec.dims_used) or 'none'}")
        return Dims(**{k: dims.get(k, getattr(default, k)) for k in ("n", "d", "q")})
    raise SymbpttError(f"sizes are a Dims or a dict such as {{'n': 3, 'd': 2}}, got "
                       f"{type(dims).__name__}")


def _activation(spec: ModelSpec, activation):
    return resolve_activation(spec, activation)


def prove(model, T: int | None = None, kind: str = "both", dims=None, activation=None,
          budget: float | None = None, force: bool = False,
          memory: float | None = None) -> Proof:
    """`symbptt prove`: a Proof holding the certificates of kind "both" (the default, as the
    CLI's --kind), "unrolled" (at T) or "inductive" (for every T, no T needed); the one not
    asked for is None. `.proven` is True when every certificate held is; iterating yields
    them, unrolled first. A request estimated past `budget` seconds (default 600) or
    `memory` GiB (default 4) raises TooExpensive, unless `force`."""
    from .symbolic.certificate import prove as unrolled
    from .symbolic.inductive import prove_inductive
    spec = load_model(model)
    if kind not in ("unrolled", "inductive", "both"):
        raise SymbpttError(f"kind is unrolled, inductive or both, got {kind!r}")
    if kind != "inductive" and T is None:
        raise SymbpttError("T is needed for the unrolled certificate"
                           + (" (kind 'both', the default, includes it)" if kind == "both"
                              else "") + "; kind='inductive' needs no T: it holds for every T")
    if T is not None:
        _whole("T", T, 1, T_MAX)
    if budget is not None:
        _number("budget", budget)
    if memory is not None:
        _number("memory", memory)
    limits = Budget.of(budget, memory)
    d = as_dims(spec, dims)
    act = _activation(spec, activation)
    return Proof(
        unrolled(spec, T, d, act, budget=limits, force=force) if kind != "inductive" else None,
        prove_inductive(spec, d, act, budget=limits, force=force) if kind != "unrolled"
        else None)


def grad(model, T: int, values, activation=None):
    """`symbptt grad`: the exact loss and gradients at given values (a dict with params,
    inputs, targets, numbers or strings like "3/2"; or a path to such a JSON file), all
    three forms. Returns a GradReport."""
    from .model import values as vals_mod
    from .symbolic.certificate import check_budget
    from .symbolic.evaluate import evaluate
    spec = load_model(model)
    act = _activation(spec, activation)
    if not spec.numeric:
        raise SymbpttError(f"{spec.name} has undefined functions: there are no values to "
                           f"put in")
    _whole("T", T, 1, T_MAX)
    vals, d = vals_mod.load(values, spec, T) if isinstance(values, str) else \
        vals_mod.from_data(values, spec, T)
    check_budget(spec, T, d, None, False, act)
    return evaluate(spec, T, vals, d, act)


def crosscheck(model, T: int, dims=None, seed: int = 0, batch: int = 1,
               dtype: str = "float64", activation=None, tau: int | None = None,
               pi: float | None = None, budget: float | None = None,
               memory: float | None = None, force: bool = False):
    """`symbptt crosscheck`: every symbolic form and engine algorithm on the same random
    numbers. Returns a crosscheck Report. A run estimated past `budget` seconds (default
    600) or `memory` GiB (default 4) raises TooExpensive, unless `force`."""
    from .crosscheck import crosscheck as run
    spec = load_model(model)
    _whole("T", T, 1, T_MAX)
    _whole("batch", batch, 1, 4096)
    _whole("seed", seed, 0, 2**63 - 1)
    if dtype not in ("float64", "float32"):
        raise SymbpttError(f"dtype is float64 or float32, got {dtype!r}")
    if tau is not None:
        _whole("tau", tau, -10**9, 10**9)
    if pi is not None:
        _number("pi", pi)
    for name, value in (("budget", budget), ("memory", memory)):
        if value is not None:
            _number(name, value)
    return run(spec, T, as_dims(spec, dims), seed, batch, dtype, _activation(spec, activation),
               tau, pi, Budget.of(budget, memory), force)


def render(model, T: int, dims=None, format: str = "md", activation=None):
    """`symbptt render`: the derivation document, text for md and tex, bytes for pdf."""
    from .documents.render import FORMATS, render as run
    if format not in FORMATS:
        raise SymbpttError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    spec = load_model(model)
    _whole("T", T, 1, T_MAX)
    data = run(spec, T, as_dims(spec, dims), format, _activation(spec, activation))
    return data if format == "pdf" else data.decode("utf-8")


def check(model, claims=(), where=(), dims=None, activation=None, T_max: int | None = None,
          convention: str = "column", force: bool = False, time_limit: float | None = 180.0):
    """`symbptt check`: a claim (or a list) with its definitions, against a model; or a
    claim file (model = its path, no claims). Returns a list of CheckReport, one per model
    group (one for a single model). Each claim runs in a child process and is stopped at
    `time_limit` seconds with the verdict it has then (None: here, with no limit)."""
    from functools import partial

    from .check.verdict import CHECK_DIMS, check as checked
    run = partial(checked, time_limit=time_limit)
    from .check.outcome import ClaimInput
    if T_max is not None:
        _whole("T_max", T_max, 1, 12)
    from .model.modelfile import is_model_file
    if isinstance(model, str) and model.endswith(".toml") and not claims:
        if is_model_file(model):
            raise SymbpttError(f"nothing to check: {model} is a model file; give a claim "
                               f"such as \"dL/dW = ...\"")
        from .check import claimfile
        cf = claimfile.load(model)
        return [run(g.model, list(g.claims), g.activation, cf.dims, T_max or cf.T_max, force)
                for g in cf.groups]
    spec = load_model(model)
    claims = _texts("claims", claims)
    if not claims:
        raise SymbpttError("nothing to check: give a claim such as \"dL/dW = ...\"")
    where = tuple(_texts("where", where))
    inputs = [ClaimInput(c, where, f"claim {k}" if len(claims) > 1 else "",
                         convention=convention) for k, c in enumerate(claims, start=1)]
    target = spec.name if spec.program is None else (spec.source or spec.name)
    act = _activation(spec, activation) if activation else None
    return [run(target, inputs, act, as_dims(spec, dims, CHECK_DIMS), T_max, force)]


def derive(model, activation=None, dims=None, T_max: int | None = None):
    """`symbptt derive`: the BPTT equations of the model's cell at matrix level (each
    state's recursion and base case, every adjoint and gradient, the Jacobian and the
    closed form), each proven by check. Returns a Derivation: plain data, shown as LaTeX
    in a notebook; `.correct` is False only for a bug of derive."""
    from .check.verdict import CHECK_DIMS
    from .derive.proof import derive as run
    if T_max is not None:
        _whole("T_max", T_max, 2, 12)
    spec = load_model(model)
    act = _activation(spec, activation) if activation else None
    return run(spec, act, as_dims(spec, dims, CHECK_DIMS), T_max)


def analyze(model, **settings):
    """`symbptt analyze`: the gradient-dynamics parts (keywords as analyze.Settings: T,
    dims, seed, weights, scale, lag, window, clip, pi, draws, parts). Returns an Analysis."""
    from dataclasses import fields

    from .analyze.parts import analyze as run
    from .analyze.settings import Settings
    spec = load_model(model)
    known = {f.name for f in fields(Settings)} - {"model"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise SymbpttError(f"analyze has no setting {unknown[0]!r}; settings: "
                           f"{', '.join(sorted(known))}")
    if "dims" in settings:
        settings["dims"] = as_dims(spec, settings["dims"], Settings("").dims)
    if isinstance(settings.get("parts"), str):
        settings["parts"] = (settings["parts"],)
    for name, lo, hi in (("T", 2, 2000), ("seed", 0, 2**63 - 1), ("draws", 100, 10**7),
                         ("window", -10**9, 10**9)):
        if name in settings:
            _whole(name, settings[name], lo, hi)
    if settings.get("lag") is not None:
        _whole("lag", settings["lag"], -10**9, 10**9)
    for name in ("clip", "pi", "scale"):
        if settings.get(name) is not None and (isinstance(settings[name], bool) or
                                               not isinstance(settings[name], (int, float))):
            raise SymbpttError(f"{name} must be a number, got {settings[name]!r}")
    return run(spec, Settings(spec.name, **settings))
