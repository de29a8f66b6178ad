"""A derivation document's content, built from the objects symbptt proves.

Every formula is printed from an expression the rule table produced: the Jacobian rule,
the VJP rule at step t + 1 applied to delta_{t+1}, the loss rule, the accumulation of each
parameter, and the explicit entries at T = 2 (the recursive form run on a "compact" unroll in
which every intermediate of step t is a symbol, defined by the step before: what a reader
checks by hand, and what a test substitutes back into the proven gradient).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy as sp

from ..crosscheck import crosscheck
from ..model.spec import Dims, ModelSpec
from ..symbolic import recursive
from ..symbolic.backend import SYMPY
from ..symbolic.cells import Cell, Step, cell_for
from ..symbolic.certificate import prove
from ..symbolic.inductive import prove_inductive
from ..symbolic.linalg import tree_entries
from ..symbolic.unroll import Unrolled, unroll
from .noise import bound_text
from .notation import broken, equation_latex, symbol_latex


@dataclass(frozen=True)
class Compact:
    """The unroll with every intermediate a symbol: `u` runs the rules on the symbols,
    `definitions` says what each symbol is (in the symbols of the step before)."""
    u: Unrolled
    definitions: dict = field(hash=False)      # symbol -> expression
    order: tuple = ()                          # the symbols in the order they are defined


def _leaf_symbols(value: Any, name: str, t: int, out: dict, index: tuple = (),
                  scalar: bool = False) -> Any:
    """value with every non-symbol scalar replaced by a symbol name_t[index] (name_t for a
    one-entry vector)."""
    if isinstance(value, tuple):
        one = scalar or len(value) == 1
        return tuple(_leaf_symbols(v, name, t, out, index + (i,), one)
                     for i, v in enumerate(value))
    if isinstance(value, (sp.Symbol, int, sp.core.function.AppliedUndef)) \
            or getattr(value, "is_Number", False):
        return value            # an undefined f(...) stays: its rules read its partials
    label = f"{name}_{t}" + (f"[{','.join(map(str, index))}]" if index and not scalar else "")
    sym = sp.Symbol(label, real=True)
    out[sym] = value
    return sym


def compact_unroll(spec: ModelSpec, cell: Cell, T: int, dims: Dims) -> Compact:
    full = unroll(spec, cell, T, dims, SYMPY)
    definitions: dict = {}
    steps = []
    m = len(full.steps[0].s)
    s = tuple(sp.Integer(0) for _ in range(m))
    read = []
    for t, x in enumerate(full.xs, start=1):
        vals, s_new = cell.step(SYMPY, full.params, s, x)
        read.append(x)
        if cell.readout is not None:
            vals = {**vals, **cell.readout(SYMPY, full.params, s_new, tuple(read))}
        made: dict = {}
        shown = {k: (v if k in ("xs", "a") else _leaf_symbols(v, k, t, made))
                 for k, v in vals.items()}
        by_value = {v: k for k, v in made.items()}
        s_sym = tuple(by_value.get(e) or _leaf_symbols(e, "s", t, made, (i,), m == 1)
                      for i, e in enumerate(s_new))
        # each definition in the intermediates of this step defined before it
        earlier: dict = {}
        for sym, value in made.items():
            definitions[sym] = value.xreplace(earlier) if earlier else value
            earlier[value] = sym
        steps.append(Step(t, x, s, shown, s_sym))
        s = s_sym
    u = replace(full, steps=tuple(steps))
    return Compact(u, definitions, tuple(definitions))


def explicit_deltas(c: Compact) -> tuple[list, list]:
    """delta_t of the compact unroll, each in delta_{t+1} as a symbol (what a reader checks
    line by line): (the expressions, the symbols delta_t[i])."""
    u = c.u
    m = len(u.steps[0].s)
    syms = [_opaque(f"delta_{t}", m) for t in range(1, u.T + 1)]
    local = [g for g, _, _ in recursive.local_gradients(u)]
    out = [None] * u.T
    out[-1] = local[-1]
    for t in range(u.T - 2, -1, -1):
        back, _, _ = u.cell.vjp(u.backend, u.params, u.steps[t + 1], syms[t + 1])
        out[t] = tuple(a + b for a, b in zip(local[t], back))
    return out, syms


def expand_definitions(c: Compact, expr: Any) -> Any:
    """expr with every intermediate symbol replaced by what it stands for."""
    for sym in reversed(c.order):
        expr = expr.xreplace({sym: c.definitions[sym]}) if hasattr(expr, "xreplace") else expr
    return expr


def _opaque(name: str, size: int) -> tuple:
    return tuple(sp.Symbol(f"{name}[{i}]", real=True) for i in range(size))


@dataclass(frozen=True)
class Formula:
    """One displayed formula: its LaTeX, and the expression it shows (for the tests)."""
    tex: str
    expr: Any = field(default=None, compare=False, hash=False)


def step_rules(spec: ModelSpec, cell: Cell, dims: Dims) -> dict:
    """The rules of step t, with the intermediates of step t and delta_{t+1} as symbols."""
    full = unroll(spec, cell, 2, dims, SYMPY)
    c = compact_unroll(spec, cell, 2, dims)
    st = c.u.steps[1]              # step 2 plays step t: h_{t-1} = h_1 is a symbol there
    m = len(st.s)
    J = cell.jacobian(SYMPY, full.params, st)
    # the VJP of a step applied to its own delta: through (the parameters) shown as step t
    # with delta_t; back (J^T delta) shown as step t + 1 with delta_{t+1} (see as_step)
    back, through, g_x = cell.vjp(SYMPY, full.params, st, _opaque("delta_2", m))
    parts = cell.loss_vjp(SYMPY, full.params, st, full.ys[1], 2)
    return {"step": st, "jacobian": J, "back": back, "through": through, "g_x": g_x,
            "loss": parts, "m": m}


_STEP_NAME = re.compile(r"^(?P<base>.+?)_(?P<step>\d+)(?P<rest>\[[0-9,]+\])?$")


def as_step(expr: Any, ahead: bool = False) -> Any:
    """Step 2 of the compact unroll written as step t: every step-numbered symbol renamed
    (h_2 -> h_t, h_1 -> h_t-1, delta_2 -> delta_t, x_2 -> x_t); ahead: as step t + 1
    (h_2 -> h_t+1, h_1 -> h_t, delta_2 -> delta_t+1). Parameters have no step number."""
    names = {"2": "t+1", "1": "t"} if ahead else {"2": "t", "1": "t-1"}
    if not hasattr(expr, "free_symbols"):
        return expr
    renamed = {}
    for sym in expr.free_symbols:
        m = _STEP_NAME.match(sym.name)
        if m and m.group("step") in names:
            name = f"{m.group('base')}_{names[m.group('step')]}{m.group('rest') or ''}"
            renamed[sym] = sp.Symbol(name, real=True)
    return expr.xreplace(renamed) if renamed else expr


@dataclass(frozen=True)
class Document:
    spec: ModelSpec
    T: int
    dims: Dims
    activation: str | None
    context: dict = field(hash=False)


def _shape_tex(shape: tuple, dims: Dims) -> str:
    if not shape:
        return "scalar"
    return r" \times ".join(str(getattr(dims, s)) if s in "ndq" else s for s in shape)


def _entry_label(name: str, idx: tuple) -> str:
    return symbol_latex(f"{name}[{','.join(map(str, idx))}]" if idx else name)


def _d(label: str, of: str = "L") -> str:
    return rf"\frac{{\partial {of}}}{{\partial {label}}}"


def _check_table(check) -> list[dict]:
    """method x parameter: the largest difference from the direct gradient, relative to
    its size, as the power of ten above it."""
    ref = check.grads[check.reference]
    rows = []
    for method, g in check.grads.items():
        if method == check.reference:
            continue
        cells = []
        for name in ref:
            if name not in g:
                cells.append("--")
                continue
            r = np.asarray(ref[name], dtype=np.float64)
            diff = float(np.max(np.abs(np.asarray(g[name], dtype=np.float64) - r)))
            cells.append(bound_text(diff / (float(np.max(np.abs(r))) or 1.0)))
        rows.append({"method": method, "cells": cells})
    return rows


def build(spec: ModelSpec, T: int, dims: Dims, activation: str | None = None) -> Document:
    """Everything a derivation document shows, from the rules, the proofs and the engine."""
    cell = cell_for(spec, activation)
    rules = step_rules(spec, cell, dims)
    st = rules["step"]
    state_names = [symbol_latex(str(as_step(sym))) if isinstance(sym, sp.Symbol)
                   else f"h_{{t{',' + str(i + 1) if len(st.s) > 1 else ''}}}"
                   for i, sym in enumerate(st.s)]
    jacobian = [Formula(broken(rf"(J_t)_{{{i + 1}{j + 1}}}", as_step(e)), e)
                for i, row in enumerate(rules["jacobian"]) for j, e in enumerate(row)]
    local = [Formula(broken(_d(n, r"\ell_t"), as_step(e)), e)
             for n, e in zip(state_names, rules["loss"][0])]
    recursion = [Formula(broken(rf"(J_{{t+1}}^\top \delta_{{t+1}})_{{{i + 1}}}",
                                as_step(e, ahead=True)), e)
                 for i, e in enumerate(rules["back"])]
    accumulation = []
    for p in spec.params:
        for source, part in (("step", rules["through"]), ("loss", rules["loss"][1])):
            for idx, e in (tree_entries(part[p.name]) if p.name in part else ()):
                accumulation.append(Formula(broken(
                    _d(_entry_label(p.name, idx)), as_step(e), rel=r"\mathrel{+}="), e))
    c2 = compact_unroll(spec, cell, 2, dims)
    deltas, delta_syms = explicit_deltas(c2)
    grads2 = recursive.accumulate(c2.u, delta_syms)
    definitions = [Formula(broken(symbol_latex(str(s)), c2.definitions[s]), c2.definitions[s])
                   for s in c2.order]
    shown_deltas = [Formula(broken(symbol_latex(str(sym)), e), e)
                    for syms, d in zip(delta_syms, deltas) for sym, e in zip(syms, d)]
    explicit_grads = [Formula(broken(_d(symbol_latex(e.label)), grads2[e.label]),
                              grads2[e.label]) for e in c2.u.param_entries]
    unrolled = prove(spec, T, dims, activation)
    inductive = prove_inductive(spec, dims, activation)
    check = crosscheck(spec, T, dims, seed=0, activation=activation) if spec.numeric else None
    from .matrix import matrix_context
    context = {
        "matrix": matrix_context(spec, activation),
        "name": spec.name, "title": spec.title,
        "option": f", activation {activation or 'tanh'}" if spec.option("activation") else "",
        "seeds": spec.seeds, "notes": spec.notes,
        "equations": _equations(spec),
        "loss": _loss(spec),
        "params": [(symbol_latex(p.name), _shape_tex(p.shape, dims)) for p in spec.params],
        "dims": dims.as_dict(spec.dims_used), "T": T, "states": spec.states,
        "state_names": state_names, "jacobian": jacobian, "local": local,
        "recursion": recursion, "accumulation": accumulation,
        "definitions": definitions, "explicit_deltas": shown_deltas,
        "explicit_grads": explicit_grads, "compact": c2,
        "unrolled": unrolled, "inductive": inductive, "check": check,
        "check_columns": list(check.grads[check.reference]) if check else [],
        "check_table": _check_table(check) if check else [],
    }
    return Document(spec, T, dims, activation, context)


def _equations(spec: ModelSpec) -> list[str]:
    """The cell's equations as LaTeX: the zoo's strings, or a user cell's parsed formulas."""
    if spec.program is None:
        return [equation_latex(e) for e in spec.equations]
    from ..formula.latex import latex
    from ..formula.parse import parse_equation
    return [latex(parse_equation(e)) for e in spec.equations]


def _loss(spec: ModelSpec) -> str:
    if spec.program is None:
        return equation_latex(spec.loss)
    from ..formula.latex import latex
    from ..formula.parse import parse_equation
    step = latex(parse_equation(spec.loss.split(", L = ")[0]))
    total = r"\tfrac{1}{T} \sum_{t} l_{t}" if spec.program.mean else r"\sum_{t} l_{t}"
    return rf"{step}, \quad L = {total}"
