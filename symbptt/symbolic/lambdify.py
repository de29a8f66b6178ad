"""The symbolic gradients as NumPy callables, built once per (model, activation, T, dims)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import symengine as se
import sympy as sp

from ..spec import Dims
from ..zoo import get_model
from . import closed_form, direct, recursive
from .backend import SYMENGINE
from .cells import cell_for
from .unroll import unroll

FORMS = ("direct", "recursive", "closed_form")
NUMPY = [{"sigmoid": lambda a: 0.5 * (1.0 + np.tanh(0.5 * a))}, "numpy"]


@dataclass(frozen=True)
class Compiled:
    """Callables of (params, X, Y) for the loss and each form's gradient entries."""
    model: str
    T: int
    dims: Dims
    scalar_input: bool = False
    scalar_target: bool = False
    entries: tuple = ()                  # Entry per gradient component, in order
    args: tuple = ()                     # the symbols, in the order the callables take them
    loss: Callable = None
    forms: dict = field(default_factory=dict, hash=False)   # form -> callable -> list


@lru_cache(maxsize=32)
def compile_model(model, activation: str | None, T: int, dims: Dims) -> Compiled:
    """sympy.lambdify of the loss and of every form's gradient.

    The forms are built and differentiated in SymEngine, whose C++ cse finds the shared
    intermediates (h_t, delta_t, the path products) in milliseconds; SymPy's lambdify then
    prints that straight-line program, given as its `cse`. Lambdifying the substituted
    expressions with SymPy's own cse takes seconds to minutes, growing with T.
    """
    spec = get_model(model) if isinstance(model, str) else model    # a name or a spec
    # symbols named as plain identifiers ("W[0,1]" is none), so lambdify need not rename
    # them: renaming rebuilds every shared subexpression of the DAG once per use
    be = replace(SYMENGINE, symbol=lambda name: se.Symbol(identifier(name)))
    u = unroll(spec, cell_for(spec, activation), T, dims, be)
    args = tuple(_to_sympy(a) for a in u.symbols)
    grads = {"direct": direct.gradient(u), "recursive": recursive.gradient(u),
             "closed_form": closed_form.gradient(u)}
    fns = {form: _program(args, [g[e.label] for e in u.entries]) for form, g in grads.items()}
    return Compiled(spec.name, T, dims, not spec.input_shape, not spec.target_shape,
                    tuple(u.entries), tuple(u.symbols),
                    _program(args, [u.loss]), fns)


def identifier(name: str) -> str:
    """ "W[0,1]" -> "W__0_1": a Python identifier, one to one on the zoo's names."""
    return name.replace("[", "__").replace(",", "_").replace("]", "")


def _to_sympy(e: Any) -> Any:
    return sp.Integer(e) if isinstance(e, int) else e._sympy_()


def _program(args: tuple, exprs: list) -> Callable:
    replacements, reduced = se.cse([se.S(0) + e for e in exprs])
    program = ([(_to_sympy(a), _to_sympy(b)) for a, b in replacements],
               [_to_sympy(e) for e in reduced])
    return sp.lambdify(args, program[1], modules=NUMPY, cse=lambda _: program, dummify=False)


def _arguments(c: Compiled, params: dict, X: np.ndarray, Y: np.ndarray | None) -> list:
    """Each symbol's value: a scalar for a parameter entry, a (B,) array for data."""
    values = {}
    for name, arr in params.items():
        arr = np.asarray(arr)
        for index in np.ndindex(arr.shape):
            values[identifier(_label(name, index))] = arr[index]
    B, T, d = X.shape
    scalar_input = c.scalar_input
    for t in range(1, T + 1):
        for i in range(d):
            values[identifier(f"x_{t}" if scalar_input else f"x_{t}[{i}]")] = X[:, t - 1, i]
    if Y is not None:
        scalar_target = c.scalar_target
        for t in range(1, T + 1):
            for k in range(Y.shape[2]):
                values[identifier(f"y_{t}" if scalar_target else f"y_{t}[{k}]")] = Y[:, t - 1, k]
    return [values[str(s)] for s in c.args]


def _label(name: str, index: tuple) -> str:
    return name if not index else f"{name}[{','.join(map(str, index))}]"


def gradients(c: Compiled, form: str, params: dict, X: np.ndarray,
              Y: np.ndarray | None) -> tuple[dict, np.ndarray]:
    """(dL/dp for every parameter, summed over the batch; dL/dx, shape (B, T, d))."""
    B = X.shape[0]
    out = c.forms[form](*_arguments(c, params, X, Y))
    grads = {name: np.zeros(np.shape(v)) for name, v in params.items()}
    gx = np.zeros(X.shape)
    for e, value in zip(c.entries, out):
        per_example = np.broadcast_to(np.asarray(value, dtype=float), (B,))
        if e.param == "x":
            t, i = (e.index[0], e.index[1]) if len(e.index) > 1 else (e.index[0], 0)
            gx[:, t - 1, i] = per_example
        else:
            grads[e.param][e.index] = per_example.sum()
    return grads, gx


def loss(c: Compiled, params: dict, X: np.ndarray, Y: np.ndarray | None) -> float:
    value = c.loss(*_arguments(c, params, X, Y))[0]
    return float(np.sum(np.broadcast_to(np.asarray(value, dtype=float), (X.shape[0],))))

