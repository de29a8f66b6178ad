"""The forms of an expression on a step graph (symbolic/stepgraph.py) that the zero test
compares: with a symbol for each state, with the states defined as an activation's atom
written as that atom, with the steps or the adjoints written out one at a time, latest
first, or inlined whole. Each rewriting is an identity, so "equal" in any form is a proof
(equal_on). And the small helpers on expressions the quantities share.
"""
from __future__ import annotations

from typing import Any

from ..symbolic.linalg import tree_entries
from ..symbolic.stepgraph import StepGraph


def softmax_forms(g: StepGraph, rows: list) -> list[list]:
    """Each softmax row's logits (`rows`: a row a step) in every form equal_on's stages
    write them: with state symbols, unfolded, and with the steps from k on written out
    (k = n..1)."""
    forms = [rows, [tuple(unfold(g, e) for e in row) for row in rows]]
    current = rows
    for k in range(g.span.last, 0, -1):
        current = [tuple(expand_states(g, e, k) for e in row) for row in current]
        forms.append([tuple(unfold(g, e, below=k) for e in row) for row in current])
    return forms


def inline(g: StepGraph, expr: Any) -> Any:
    """expr with every state symbol replaced by its step's definition, latest first:
    the nested expression in the parameters and inputs alone (for values at a point)."""
    for key in g.adjoint_order():
        expr = expand_adjoint(g, expr, key)
    for k in range(g.span.last, 0, -1):
        expr = expand_states(g, expr, k)
    return expr


def expand_adjoint(g: StepGraph, expr: Any, key: tuple) -> Any:
    """expr with the adjoint symbols of (k, state) replaced by their definitions (one
    step of the reverse accumulation written out)."""
    sub = dict(zip(g.adjoints()[key], g.adjoint_defs[key]))
    if hasattr(expr, "subs") and free(expr) & sub.keys():
        expr = expr.subs(sub)
    return expr


def unfold(g: StepGraph, expr: Any, below: int | None = None) -> Any:
    """expr with each state defined as an activation's atom (StepGraph.atom_states)
    written as that atom, and each relu slope of a state as its argument's
    (StepGraph.relu_slopes), latest step first (so the atoms' own arguments are written
    the same way), at the steps before `below` (all by default)."""
    if not hasattr(expr, "subs"):
        return expr
    top = g.span.last if below is None else below - 1
    for k in range(top, 0, -1):
        atoms = g.atom_states(k)
        slopes = g.relu_slopes(k)
        for name in reversed(g.order[k]):     # a later state may read an earlier one
            sub = {e: atoms[e] for e in g.eta[k, name] if e in atoms}
            if sub and free(expr) & sub.keys():
                expr = expr.subs(sub)
            relu = {s: u for e in g.eta[k, name] for s, u in slopes.items() if s.args[0] == e}
            if relu and free(expr) & {s.args[0] for s in relu}:
                expr = expr.subs(relu)      # relu'(h[t]) as relu'(a[t]): the same sign
    return expr


def expand_states(g: StepGraph, expr: Any, k: int) -> Any:
    """expr with the states of step k replaced by their definitions (one level of the
    graph written out: what the zero test does when the symbols alone do not decide)."""
    for name in reversed(g.order[k]):
        sub = dict(zip(g.eta[k, name], g.defs[k][name]))
        if hasattr(expr, "subs") and any(s in sub for s in free(expr)):
            expr = expr.subs(sub)
    if k == 1 and g.at_zero and free(expr) & g.at_zero.keys():
        expr = expr.subs(g.at_zero)
    return expr


def equal_on(q: Any, same, a: Any, b: Any) -> bool:
    """a == b exactly on the graph of q (the Quantities, check/quantities.py; `same`: the
    zero test): first with a symbol for each state (but those defined as an activation's
    atom, written as the atom), then with the states written out a step at a time, latest
    first (a claim may write a state its own way, h[t] as o[t] * tanh(c[t])); with every
    step written out the test is the plain expansion of the unrolled model. Before that,
    the adjoints dL/dh[t] (symbols too) are written out one at a time, earliest first: a
    recursion in dL/dh[t+1] meets dL/dh[t] written one step out. Each rewriting is an
    identity, so "equal" at any stage is a proof."""
    g = q.g
    first = (unfold(g, a), unfold(g, b))
    deltas = [set(g.adjoints()[key]) for key in g.adjoint_order()]
    if _adjoint_free(a, deltas) == _adjoint_free(b, deltas) and same(*first, cancel=False):
        return True             # (one side reading adjoints the other does not: not yet)
    for key, syms in zip(g.adjoint_order(), deltas):   # dL/dh[t] written out, earliest first
        fa, fb = free(a) & syms, free(b) & syms
        if not (fa or fb):
            continue
        a, b = expand_adjoint(g, a, key), expand_adjoint(g, b, key)
        if _adjoint_free(a, deltas) != _adjoint_free(b, deltas):
            continue            # one side still reads adjoints the other does not: on
        if same(unfold(g, a), unfold(g, b), cancel=False):
            return True
    for k in range(g.span.last, 0, -1):
        a, b = expand_states(g, a, k), expand_states(g, b, k)
        if g.atom_states(k) and all(e in g.atom_states(k) for name in g.order[k]
                                    for e in g.eta[k, name]):
            continue                    # written out already by unfold: nothing new
        if same(unfold(g, a, below=k), unfold(g, b, below=k), cancel=False):
            return True
    # last: SymPy's cancel of the difference (a / a, as the derivative of a log makes
    # it), on the smallest form, then on the plainest
    return same(*first) or same(unfold(g, a), unfold(g, b))


def _adjoint_free(e: Any, deltas: list) -> bool:
    symbols = free(e)
    return not any(symbols & d for d in deltas)


# ---- helpers on expressions ------------------------------------------------------------
def flat(value: Any) -> list:
    """The entries of a scalar, a vector or a matrix (tuples of tuples), in order."""
    return [v for _, v in tree_entries(value)] if isinstance(value, tuple) else [value]


def free(e: Any) -> set:
    return getattr(e, "free_symbols", set())


def is_symbol(e: Any) -> bool:
    return getattr(e, "is_Symbol", False)


def subs(e: Any, back: dict) -> Any:
    return e.subs(back) if back and hasattr(e, "subs") else e


def subs_rows(rows: list[list], back: dict) -> list[list]:
    return [[subs(x, back) for x in row] for row in rows] if back else rows
