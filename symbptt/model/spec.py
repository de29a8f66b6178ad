"""Plain data describing a model: the contract every other stage reads."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SymbpttError

DIM_NAMES = {"n": "hidden", "d": "input", "q": "output"}
DIM_RANGE = (1, 16)


@dataclass(frozen=True)
class Dims:
    """Hidden size n, input size d, output size q."""
    n: int = 2
    d: int = 2
    q: int = 2

    def size(self, symbol: str) -> int:
        return {"n": self.n, "d": self.d, "q": self.q}[symbol]

    def shape(self, shape: tuple[str, ...]) -> tuple[int, ...]:
        """A symbolic shape such as ('n', 'd') made concrete."""
        return tuple(self.size(s) for s in shape)

    def as_dict(self, used: tuple[str, ...]) -> dict[str, int]:
        return {s: self.size(s) for s in used}


@dataclass(frozen=True)
class Param:
    """A parameter: its name and its shape in dims symbols (() for a scalar)."""
    name: str
    shape: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    """A zoo entry: what the model is, independent of how anything derives it."""
    name: str
    title: str
    params: tuple[Param, ...]
    equations: tuple[str, ...]
    loss: str
    seeds: tuple[str, ...]
    dims_used: tuple[str, ...]          # which of n, d, q the model has
    input_shape: tuple[str, ...]        # shape of x_t: () for a scalar model
    target_shape: tuple[str, ...] | None  # shape of y_t; None: the loss has no targets
    options: tuple[tuple[str, tuple[str, ...], str], ...] = ()  # (option, choices, default)
    intermediates: tuple[str, ...] = ("h",)
    states: tuple[str, ...] = ("h",)
    symbolic: bool = True               # the symbolic side is implemented
    numeric: bool = True                # the numeric engine covers it
    notes: str = ""
    source: str = ""                    # a user cell's model file, as given
    program: object = field(default=None, repr=False)   # a user cell's
    #                                   compiled equations (symbptt/program.py); None: zoo

    def option(self, name: str) -> tuple[tuple[str, ...], str] | None:
        for opt, choices, default in self.options:
            if opt == name:
                return choices, default
        return None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def resolve_activation(spec: ModelSpec, activation: str | None) -> str | None:
    """The activation a model runs with: the one asked for, checked against the model's
    option, or the option's default (None for a model without the option)."""
    option = spec.option("activation")
    if activation is None:
        return option[1] if option else None
    if option is None:
        raise SymbpttError(f"{spec.name} has no --activation option "
                           f"(only elman does: tanh | sigmoid | identity)")
    if activation not in option[0]:
        raise SymbpttError(f"unknown activation {activation!r} for {spec.name}; "
                           f"choose from {', '.join(option[0])}")
    return activation
