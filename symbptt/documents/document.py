"""A derivation document's content, built from the objects symbptt proves.

Every formula is printed from an expression the rule table produced: the Jacobian rule,
the VJP rule at step t + 1 applied to delta_{t+1}, the loss rule, the accumulation of each
parameter, and the explicit entries at T = 2 (the recursive form run on a "compact" unroll in
which every intermediate of step t is a symbol, defined by the step before: what a reader
checks by hand, and what a test substitutes back into the proven gradient).
"""
from __future__ import annotations

import inspect
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
from ..symbolic.unroll import Unrolled, unroll
from .noise import bound_text
from .structure import structure
from ..model.zoo import source
from .notation import base_latex, broken, equation_latex, symbol_latex


_STEP_NAME = re.compile(r"^(?P<base>.+?)_(?P<step>\d+)(?P<rest>\[[0-9,]+\])?$")


@dataclass(frozen=True)
class Compact:
    """The unroll with every intermediate a symbol: `u` runs the rules on the symbols,
    `definitions` says what each symbol is (in the symbols of the step before)."""
    u: Unrolled
    definitions: dict = field(hash=False)      # symbol -> expression
    order: tuple = ()                          # the symbols in the order they are defined
    adjoints: tuple = ()                       # those of them that are a loss rule's adjoints
    local: tuple = ()                          # the loss rule's parts per step, in them


def _leaf_symbols(value: Any, name: str, t: int, out: dict, index: tuple = (),
                  scalar: bool = False, state: bool = False) -> Any:
    """value with every non-symbol scalar replaced by a symbol name_t[index] (name_t for a
    one-entry vector); a state's entry that is another symbol (the residual's h_1 = phi_1,
    as h_0 = 0) gets its own name too."""
    if isinstance(value, tuple):
        return tuple(_leaf_symbols(v, name, t, out, index + (i,), scalar, state)
                     for i, v in enumerate(value))
    keep = (isinstance(value, sp.Symbol) and not state) \
        or isinstance(value, (int, sp.core.function.AppliedUndef)) \
        or getattr(value, "is_Number", False)
    if keep:
        return value            # an undefined f(...) stays: its rules read its partials
    label = f"{name}_{t}" + (f"[{','.join(map(str, index))}]" if index and not scalar else "")
    sym = sp.Symbol(label, real=True)
    out[sym] = value
    return sym


def _state_symbol(e: Any, i: int, vals: dict, t: int, made: dict, states: tuple,
                  scalar: bool) -> Any:
    """The symbol of entry i of the new state: the intermediate that holds it (h_t, c_t[i]),
    a symbol even where the step leaves an undefined f(...) (generic's h_t = f(x_t, h_{t-1},
    w_h)), so that the next step reads h_t and never f(...) written out."""
    if e in made:                  # the step put it already
        return e
    for sym, value in made.items():
        if value == e:
            return sym
    for k, v in vals.items():
        if isinstance(v, tuple) and e in v and k not in ("xs", "a"):
            j = v.index(e)
            label = f"{k}_{t}" + ("" if scalar else f"[{j}]")
            break
    else:
        label = f"{states[0]}_{t}[{i}]"
    sym = sp.Symbol(label, real=True)
    made[sym] = e
    return sym


def compact_unroll(spec: ModelSpec, cell: Cell, T: int, dims: Dims) -> Compact:
    """The unroll at T with every named intermediate a symbol as the step makes it (through
    the step's `put`), so each is defined in the symbols made before it."""
    full = unroll(spec, cell, T, dims, SYMPY)
    definitions: dict = {}
    steps = []
    m = len(full.steps[0].s)
    s = tuple(sp.Integer(0) for _ in range(m))
    read = []
    ys = []
    for t, (x, y) in enumerate(zip(full.xs, full.ys), start=1):
        made: dict = {}
        ys.append(_target_symbols(y, t, made, not spec.dims_used))

        def put(name, value, t=t, made=made):
            if name in ("xs", "a"):
                return value
            return _leaf_symbols(value, name, t, made, scalar=not spec.dims_used,
                                 state=name in spec.states)

        vals, s_new = cell.step(SYMPY, full.params, s, x, put)
        read.append(x)
        s_sym = tuple(_state_symbol(e, i, vals, t, made, spec.states, not spec.dims_used)
                      for i, e in enumerate(s_new))
        if cell.readout is not None:       # the readout reads the state's symbols
            vals = {**vals, **cell.readout(SYMPY, full.params, s_sym, tuple(read), put)}
        definitions.update(made)
        steps.append(Step(t, x, s, vals, s_sym))
        s = s_sym
    u = replace(full, steps=tuple(steps), ys=tuple(ys))
    adjoints, local = _loss_adjoints(u)
    definitions.update(adjoints)
    return Compact(u, definitions, tuple(definitions), tuple(adjoints), local)


def _loss_adjoints(u) -> tuple[dict, tuple]:
    """The adjoints a loss rule names as it makes them (attention's o-bar = dl_t/do_t,
    c-bar, alpha-bar, e-bar, q-bar), each a symbol defined from those before it, and the
    rule's parts per step written in them; ({}, ()) for a rule that names none."""
    if "put" not in inspect.signature(u.cell.loss_vjp).parameters:
        return {}, ()
    made: dict = {}
    local = []
    for st, y in zip(u.steps, u.ys):
        def put(name, value, t=st.t):
            return _leaf_symbols(value, name, t, made, scalar=not u.spec.dims_used)
        parts = u.cell.loss_vjp(u.backend, u.params, st, y, u.T, put=put)
        local.append(parts if len(parts) == 3 else (*parts, {}))
    return made, tuple(local)


def _target_symbols(y: tuple, t: int, made: dict, scalar: bool) -> tuple:
    """The target y_t with every entry a symbol: a probability target's last entry
    (1 - the others, elman_softmax's) becomes y_t[q] defined as that, so the loss rule
    prints yhat_t - y_t and the definition says why."""
    out = []
    for i, e in enumerate(y):
        if isinstance(e, sp.Symbol) or not hasattr(e, "free_symbols"):
            out.append(e)
            continue
        sym = sp.Symbol(f"y_{t}" + ("" if scalar else f"[{i}]"), real=True)
        made[sym] = e
        out.append(sym)
    return tuple(out)


def delta_symbols(st: Step) -> tuple:
    """delta_t = dL/ds_t as symbols, one per entry of the state, named after it: delta_2[0]
    for a single state h, delta_h_2[0] and delta_c_2[0] for the LSTM's (h, c)."""
    parts = [_STEP_NAME.match(sym.name) if isinstance(sym, sp.Symbol) else None
             for sym in st.s]
    bases = {p.group("base") for p in parts if p}
    out = []
    for i, p in enumerate(parts):
        if p is None:
            out.append(sp.Symbol(f"delta_{st.t}[{i}]", real=True))
            continue
        head = f"delta_{p.group('base')}" if len(bases) > 1 else "delta"
        out.append(sp.Symbol(f"{head}_{st.t}{p.group('rest') or ''}", real=True))
    return tuple(out)


def explicit_deltas(c: Compact) -> tuple[list, list]:
    """delta_t of the compact unroll, each in delta_{t+1} as a symbol (what a reader checks
    line by line): (the expressions, the symbols delta_t[i])."""
    u = c.u
    syms = [delta_symbols(st) for st in u.steps]
    local = [g for g, _, _ in (c.local or recursive.local_gradients(u))]
    out = [None] * u.T
    out[-1] = local[-1]
    for t in range(u.T - 2, -1, -1):
        back, _, _ = u.cell.vjp(u.backend, u.params, u.steps[t + 1], syms[t + 1])
        out[t] = tuple(a + b for a, b in zip(local[t], back))
    return [tuple(fold(c, e) for e in d) for d in out], syms


def fold(c: Compact, expr: Any) -> Any:
    """expr with every intermediate the rules wrote out again (a model file's VJP reruns its
    step from h_{t-1}: tanh(...) where h_t is meant) put back as its symbol, in the order
    they are defined: the same value, as a reader writes it (1 - h_t^2)."""
    if not hasattr(expr, "xreplace"):
        return expr
    for sym in c.order:
        value = c.definitions[sym]
        # an undefined f(...) stays: d/dw_h f(x_t, h_{t-1}, w_h) is not d/dw_h h_t
        if not isinstance(value, (sp.Symbol, sp.core.function.AppliedUndef)):
            expr = expr.xreplace({value: sym})
    return expr


def expand_definitions(c: Compact, expr: Any) -> Any:
    """expr with every intermediate symbol replaced by what it stands for."""
    for sym in reversed(c.order):
        expr = expr.xreplace({sym: c.definitions[sym]}) if hasattr(expr, "xreplace") else expr
    return expr


@dataclass(frozen=True)
class Formula:
    """One displayed formula: its LaTeX, and the expression it shows (for the tests)."""
    tex: str
    expr: Any = field(default=None, compare=False, hash=False)


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


# the cross-check's methods as a reader names them (the engine is the hand-written NumPy
# BPTT of symbptt.numeric; the SymPy forms are lambdified)
METHODS = {"engine_full": ("NumPy engine", "BPTT"), "engine_path_sum": ("NumPy engine",
                                                                          "path sum"),
           "engine_truncated": ("NumPy engine", "window $T$"),
           "engine_forward_mode": ("NumPy engine", "forward"),
           "recursive": ("SymPy", "recursive"), "closed_form": ("SymPy", "closed form")}


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
        group, label = METHODS.get(method, ("", method))
        rows.append({"method": method, "group": group, "label": label, "cells": cells})
    return rows


def _check_head(rows: list[dict]) -> list[tuple[str, int]]:
    """The table's top header: each group of methods and how many columns it spans."""
    head: list = []
    for r in rows:
        if head and head[-1][0] == r["group"]:
            head[-1] = (r["group"], head[-1][1] + 1)
        else:
            head.append((r["group"], 1))
    return head


def _check_say(T: int) -> str:
    return (f"Cross-check at $T = {T}$, in float64, at one random point (NumPy seed 0): for "
            "each method and parameter, the largest difference from the direct gradient "
            "(the unrolled loss differentiated by SymPy, then evaluated), relative to the "
            "gradient's size, given as the power of ten just above it; float64 rounding "
            "noise shows as $< 10^{-14}$. A dash: the method gives no gradient for the "
            "input $x$.")


def _adjoints_say(c: Compact) -> str:
    names = list(dict.fromkeys(_STEP_NAME.match(s.name).group("base") for s in c.adjoints))
    shown = ", ".join(rf"${base_latex(n)}_t = \partial l_t/\partial "
                      rf"{base_latex(n[:-len('bar')])}_t$" for n in names)
    query = (r" ($u_t = W_a^\top h_t$ is the query, so $e_{t,k} = u_t^\top x_k$; at $t = 1$ "
             r"the softmax has one entry, $\alpha_{1,1} = 1$, so $c_1 = x_1$)"
             if "ubar" in names else "")
    return ("The loss rule of one step, as it goes back through the readout: "
            f"{shown}{query}, each from the ones before it.")


def build(spec: ModelSpec, T: int, dims: Dims, activation: str | None = None) -> Document:
    """Everything a derivation document shows: the matrix-level derivation (derive, each
    formula proven by check), and the worked example at T, entry by entry, from the rule
    table, with the certificates and the cross-check at the same T."""
    from .matrix import matrix_context
    cell = cell_for(spec, activation)
    c = compact_unroll(spec, cell, T, dims)
    deltas, delta_syms = explicit_deltas(c)
    grads = {k: fold(c, e) for k, e in
             recursive.accumulate(c.u, delta_syms, list(c.local) or None).items()}
    definitions = [Formula(broken(symbol_latex(str(s)), c.definitions[s]), c.definitions[s])
                   for s in c.order if s not in c.adjoints and not str(s).startswith("y_")]
    adjoints = [Formula(broken(symbol_latex(str(s)), c.definitions[s]), c.definitions[s])
                for s in c.adjoints]
    shown_deltas = [Formula(broken(symbol_latex(str(sym)), e), e)      # delta_T first
                    for syms, d in reversed(list(zip(delta_syms, deltas)))
                    for sym, e in zip(syms, d)]
    explicit_grads = [Formula(broken(_d(symbol_latex(e.label)), grads[e.label]),
                              grads[e.label]) for e in c.u.param_entries]
    unrolled = prove(spec, T, dims, activation)
    inductive = prove_inductive(spec, dims, activation)
    check = crosscheck(spec, T, dims, seed=0, activation=activation) if spec.numeric else None
    context = {
        "matrix": matrix_context(spec, activation),
        "name": spec.name, "title": spec.title,
        "option": f", activation {activation or 'tanh'}" if spec.option("activation") else "",
        "sources": [source(f) for f in spec.seeds], "notes": spec.notes,
        "equations": _equations(spec),
        "loss": _loss(spec),
        "params": _param_rows(spec, dims),
        "initial": " = ".join(f"{base_latex(s)}_0" for s in spec.states) + " = 0",
        "dims": dims.as_dict(spec.dims_used), "T": T, "states": spec.states,
        "structure": structure(c if T >= 2 else compact_unroll(spec, cell, 2, dims)),
        "graph_say": _graph_say(spec),
        "appendix_say": _appendix_say(spec, T, dims,
                                      _delta_names(delta_syms[0], spec.states[0]),
                                      any(str(s).startswith("y_") for s in c.order)),
        "definitions": definitions, "adjoints": adjoints,
        "adjoints_say": _adjoints_say(c) if c.adjoints else "",
        "check_say": _check_say(T),
        "no_check_say": ("f, g and l are undefined functions: the model has no numbers, so "
                         "it has no numeric cross-check." if not spec.numeric else ""),
        "explicit_deltas": shown_deltas,
        "explicit_grads": explicit_grads, "compact": c,
        "unrolled": unrolled, "inductive": inductive, "check": check,
        "check_columns": list(check.grads[check.reference]) if check else [],
        "check_table": _check_table(check) if check else [],
        "check_head": _check_head(_check_table(check)) if check else [],
    }
    return Document(spec, T, dims, activation, context)


def _graph_say(spec: ModelSpec) -> str:
    states = " and ".join(rf"$\partial L/\partial {base_latex(s)}_t$" for s in spec.states)
    verb = "flow" if len(spec.states) > 1 else "flows"
    return (f"{states} {verb} back along every forward edge. The parameters (boxes) are "
            "shared by every step: each one's gradient is the sum of what flows back to it "
            "from every step.")


def _appendix_say(spec: ModelSpec, T: int, dims: Dims, deltas: list,
                  probability_target: bool) -> str:
    sizes = ", ".join(f"${k} = {v}$" for k, v in dims.as_dict(spec.dims_used).items())
    if len(deltas) == 1:
        adj = rf"${deltas[0][0]}$ for $\partial L/\partial {base_latex(deltas[0][1])}_t$"
    else:
        names = [rf"${base_latex(s)}_t$" for _, s in deltas]
        adj = (" and ".join(rf"${d}$" for d, _ in deltas) + " for the adjoints of "
               + " and ".join(names) + " as step $t+1$ reads them: each the derivative of "
               "$L$ by one state with the other " + ("state" if len(deltas) == 2 else "states")
               + " of step $t$ held fixed, so it is 0 at $T$ for a state the loss does not "
               "read; the matrix-level section's adjoints are total derivatives, which add "
               "the paths through the other states of the same step"
               + (r": $\partial L/\partial c_t = \delta^{c}_t + o_t \odot \tanh'(c_t) \odot "
                  r"\delta^{h}_t$, $\partial L/\partial h_t = \delta^{h}_t$)"
                  if spec.name == "lstm" else ")"))
    mean = (rf" The loss is a mean, so $1/T = 1/{T}$ here." if spec.loss.count("1/T")
            else "")
    if probability_target:
        mean += (r" The target $y_t$ is a probability vector (one-hot, or any distribution): "
                 r"its entries sum to 1, so its last entry is 1 minus the others, and with "
                 r"the softmax the cross-entropy's gradient is $\partial l_t/\partial o_t "
                 r"= \hat{y}_t - y_t$.")
    return (f"The same model at $T = {T}$" + (f" ({sizes})" if sizes else "")
            + ", every intermediate a symbol defined from those before it, so a reader can "
            "check each line by hand; the tests substitute them back and get the proven "
            "gradient exactly. "
            + (f"Entries count from 1 ($W_{{12}}$ is row 1, column 2); {adj}, entry $i$ "
               rf"written ${deltas[0][0].replace('_{t}', '_{t,i}')}$." if sizes else
               f"Every quantity is a number; {adj}.") + mean)


def _param_rows(spec: ModelSpec, dims: Dims) -> list[tuple[str, str]]:
    """The parameter table: one row per shape (W_f, W_i, W_o, W_c: n x n), as the notes
    list a gated cell's weights."""
    rows: dict = {}
    for p in spec.params:
        rows.setdefault(_shape_tex(p.shape, dims), []).append(symbol_latex(p.name))
    return [(", ".join(names), shape) for shape, names in rows.items()]


def _delta_names(syms: tuple, first: str) -> list[tuple[str, str]]:
    """(delta's LaTeX at step t, the state it is the adjoint of), one per state."""
    out = []
    for sym in syms:
        m = _STEP_NAME.match(sym.name)
        head = m.group("base") if m else "delta"
        state = head[len("delta_"):] if head.startswith("delta_") else first
        tex = symbol_latex(f"{head}_t")
        if (tex, state) not in out:
            out.append((tex, state))
    return out


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
