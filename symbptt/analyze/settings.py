"""What an analysis is asked: its parts, its settings, and the problem it runs on.

Settings holds every option of symbptt analyze (T, lags, weights, clipping, ...);
validate() checks them against the model (one line, exit 2, before any work) and
problem() draws the numbers every part shares: parameters, inputs and targets, with the
recurrent weight set as asked (its norm, its spectral radius, or orthogonal)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import SymbpttError
from ..model.spec import Dims, ModelSpec
from ..numeric import data, dynamics as nd


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
        raise SymbpttError(f"--lag must be in 1..{s.T - 1} at T = {s.T} (the steps between "
                           f"a loss and the state it reaches back to), got {s.lag}")
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
