"""Unroll a model for a sequence length T, with one symbol per entry."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..model.spec import Dims, ModelSpec
from .backend import Backend
from .cells import Cell, Step
from .linalg import total, tree_entries


@dataclass(frozen=True)
class Entry:
    """One scalar the gradient is taken with respect to: a parameter entry or an input entry."""
    param: str          # parameter name, or "x" for an input
    index: tuple        # entry index in the parameter; (t, i) for x_t[i] (or (t,) if scalar)
    label: str          # "W[0,1]", "W_hh", "x_2[1]"
    symbol: Any = field(compare=False)
    also: tuple = field(default=(), compare=False)   # more symbols that are this entry


RECURRENT = "x:recurrent"


def is_input(param: str) -> bool:
    """An entry of the inputs ("x", or a path group "x:recurrent"), never a parameter:
    a model file's parameter may be named xw or x0."""
    return param == "x" or param.startswith("x:")


def path_group(shortcut: str) -> str:
    """The entry group of the inputs' gradient along a shortcut (attention's)."""
    return f"x:{shortcut}"


@dataclass(frozen=True)
class Unrolled:
    spec: ModelSpec
    cell: Cell
    backend: Backend
    T: int
    dims: Dims
    params: dict = field(hash=False)      # name -> scalar / vector / matrix of symbols
    xs: tuple = ()                        # x_1..x_T as vectors
    ys: tuple = ()                        # y_1..y_T as vectors (empty tuples: no targets)
    steps: tuple = ()                     # Step for t = 1..T
    losses: tuple = ()                    # l_1..l_T
    loss: Any = None                      # L
    entries: tuple = ()                   # parameter entries, then input entries

    @property
    def symbols(self) -> tuple:
        """Every free symbol of the unrolled model: parameters, inputs, then targets."""
        ys = [v for y in self.ys for v in y if getattr(v, "is_Symbol", False)]
        return tuple(dict.fromkeys([e.symbol for e in self.entries] + ys))

    @property
    def tied(self) -> dict:
        """The readout's copy of an input -> the input (split unrolls only)."""
        return {other: e.symbol for e in self.entries for other in e.also}

    @property
    def param_entries(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if not is_input(e.param))

    @property
    def input_entries(self) -> tuple[Entry, ...]:
        """The inputs' entries (their total gradient; the split paths are apart)."""
        return tuple(e for e in self.entries if e.param == "x")


def entry_label(name: str, index: tuple) -> str:
    return name if not index else f"{name}[{','.join(map(str, index))}]"


def seq_label(name: str, t: int, index: tuple) -> str:
    return entry_label(f"{name}_{t}", index)


def _symbol_array(be: Backend, name: str, shape: tuple[int, ...], label=entry_label):
    if not shape:
        return be.symbol(label(name, ()))
    if len(shape) == 1:
        return tuple(be.symbol(label(name, (i,))) for i in range(shape[0]))
    return tuple(tuple(be.symbol(label(name, (i, j))) for j in range(shape[1]))
                 for i in range(shape[0]))


def _vector(v) -> tuple:
    return v if isinstance(v, tuple) else (v,)


def target_vector(spec: ModelSpec, be: Backend, t: int, dims: Dims) -> tuple:
    """y_t as symbols; elman_softmax's y_t is a probability vector (last = 1 - rest)."""
    if spec.target_shape is None:
        return ()
    y = _vector(_symbol_array(be, f"y_{t}", dims.shape(spec.target_shape)))
    if spec.name == "elman_softmax":
        y = y[:-1] + (1 - total(list(y[:-1])),)
    return y


def unroll(spec: ModelSpec, cell: Cell, T: int, dims: Dims, be: Backend,
           split: bool = False) -> Unrolled:
    """h_0 = 0, then s_t = step(s_{t-1}, x_t) for t = 1..T and L = sum_t l_t.

    split (a cell with a shortcut from the readout to the inputs, attention's): the
    readout reads its own copies of x_1..x_T, so that dL/dx_k splits into the recurrent
    path (d/dx_k) and the shortcut (d/dcopy_k), each an entry group of its own; the
    total is their sum. An identity in the copies holds in particular at copy = x."""
    params = {p.name: _symbol_array(be, p.name, dims.shape(p.shape)) for p in spec.params}
    d_shape = dims.shape(spec.input_shape)
    xs = tuple(_vector(_symbol_array(be, "x", d_shape, lambda _, i, t=t: seq_label("x", t, i)))
               for t in range(1, T + 1))
    ys = tuple(target_vector(spec, be, t, dims) for t in range(1, T + 1))
    split = split and cell.shortcut is not None
    read = xs if not split else tuple(
        _vector(_symbol_array(be, "x", d_shape,
                              lambda _, i, t=t: f"{cell.shortcut}:{seq_label('x', t, i)}"))
        for t in range(1, T + 1))
    m = dims.n if spec.dims_used else 1
    s = tuple(be.number(Fraction(0)) for _ in range(m * len(spec.states)))
    steps, losses = [], []
    for t in range(1, T + 1):
        vals, s_new = cell.step(be, params, s, xs[t - 1])
        if cell.readout is not None:
            vals = {**vals, **cell.readout(be, params, s_new, read[:t])}
        st = Step(t, xs[t - 1], s, vals, s_new)
        steps.append(st)
        losses.append(cell.loss(be, params, st, ys[t - 1], T))
        s = s_new
    entries = [Entry(p.name, index, entry_label(p.name, index), sym)
               for p in spec.params for index, sym in tree_entries(params[p.name])]
    for t, x in enumerate(xs, start=1):
        for i, sym in enumerate(x):
            index = (t, i) if d_shape else (t,)
            label = seq_label("x", t, (i,) if d_shape else ())
            entries.append(Entry("x", index, label, sym, (read[t - 1][i],) if split else ()))
    if split:
        for group, copies in ((RECURRENT, xs), (path_group(cell.shortcut), read)):
            entries.extend(Entry(group, (t, i), f"{seq_label('x', t, (i,))} {group[2:]}", sym)
                           for t, x in enumerate(copies, start=1) for i, sym in enumerate(x))
    return Unrolled(spec, cell, be, T, dims, params, xs, ys, tuple(steps), tuple(losses),
                    total(losses), tuple(entries))
