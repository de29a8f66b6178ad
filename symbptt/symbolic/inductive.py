"""The inductive certificate: the per-step rules proven once, valid for every T.

With h_{t-1} (and c_{t-1}) an opaque symbol s, x_t opaque, a cotangent g opaque:

1. the Jacobian rule J_t equals d s_t / d s, entry by entry (diff of the step);
2. the VJP rule equals g^T times the derivatives of the step: w.r.t. s (J_t^T g), each
   parameter entry and each input entry;
3. the loss rule equals the derivatives of l_t w.r.t. an opaque s_t and the output
   parameters (at T = 1 and T = 2: both sides are affine in 1/T, so two values fix them);
4. the closed form's step: (J_{t+1} ... )^T sums satisfy delta_t = g_t + J_{t+1}^T delta_{t+1}
   (seed 003's lemma a_t = b_t + c_t a_{t-1}), with noncommuting J's.

Lemma (the chain rule on the unrolled graph): L depends on s_t only through l_t and s_{t+1},
so dL/ds_t = dl_t/ds_t + (ds_{t+1}/ds_t)^T dL/ds_{t+1}, and dL/dtheta = sum_t (dl_t/dtheta +
g_t^T ds_t/dtheta|_step). Checks 1-3 make the rules these exact derivatives at any step, so
by induction on t from T down, the recursive form is the gradient for every T >= 1; check 4
makes the closed form the recursion unrolled. The cost does not depend on T.
"""
from __future__ import annotations

import time

import sympy as sp

from ..model.spec import Dims, ModelSpec
from .backend import BACKENDS
from .cells import Cell, Step, cell_for
from .cost import Budget, inductive_estimate, require
from .certificate import Certificate, Failure, Group, backend_for
from .linalg import tree_entries
from .unroll import _symbol_array, _vector, entry_label, target_vector
from .zero import SlopeAtoms, SoftmaxAtoms, counterexample, equal

LEMMA = ("for all T >= 1: the per-step rules are the exact derivatives of the cell with "
         "h_{t-1} opaque, so by the chain rule on the unrolled graph (dL/ds_t = dl_t/ds_t + "
         "J_{t+1}^T dL/ds_{t+1}, induction from t = T down) the recursive form is the "
         "gradient at every T; the closed form is that recursion unrolled "
         "(a_t = b_t + c_t a_{t-1}, seed 003)")


def _sum(terms):
    out = 0
    for t in terms:
        out = out + t
    return out


def _opaque(be, name: str, size: int) -> tuple:
    """Opaque entries, named so that no parameter can share the name (a user cell may have
    a parameter s or g: ':' is in no parameter's name)."""
    return tuple(be.symbol(f"opaque:{name}[{i}]") for i in range(size))


def _checks(spec: ModelSpec, cell: Cell, dims: Dims, be,
            rows: list) -> list[tuple[str, str, object, object]]:
    """(group, entry, rule side, derivative side) for every per-step identity; the logits
    of each softmax the loss rules read go to `rows`."""
    P = {p.name: _symbol_array(be, p.name, dims.shape(p.shape)) for p in spec.params}
    m = (dims.n if spec.dims_used else 1) * len(spec.states)
    s_prev = _opaque(be, "s_prev", m)
    x = _vector(_symbol_array(be, "x", dims.shape(spec.input_shape)))
    g = _opaque(be, "g", m)
    vals, s_new = cell.step(be, P, s_prev, x)
    st = Step(1, x, s_prev, vals, s_new)
    out = []
    J = cell.jacobian(be, P, st)
    for i in range(m):
        for j in range(m):
            out.append(("jacobian", f"J[{i},{j}]", J[i][j], be.diff(s_new[i], s_prev[j])))
    back, through, g_x = cell.vjp(be, P, st, g)
    for j in range(m):
        out.append(("vjp state", f"(J^T g)[{j}]", back[j],
                    _sum(g[i] * be.diff(s_new[i], s_prev[j]) for i in range(m))))
    for p in spec.params:
        rule = dict(tree_entries(through[p.name])) if p.name in through else {}
        for index, sym in tree_entries(P[p.name]):
            out.append(("vjp params", entry_label(p.name, index), rule.get(index, 0),
                        _sum(g[i] * be.diff(s_new[i], sym) for i in range(m))))
    for k, sym in enumerate(x):
        out.append(("vjp inputs", f"x[{k}]", g_x[k],
                    _sum(g[i] * be.diff(s_new[i], sym) for i in range(m))))
    # the loss rule, on an opaque new state (attention: for softmax lengths 1..3)
    n_h = len(vals["h"]) if "h" in vals else 0      # a user cell's loss reads the state
    y = target_vector(spec, be, 1, dims) if spec.target_shape is not None else ()
    for length in (ATTENDED if cell.shortcut else (1,)):
        # a state of its own per length: each softmax row's logits are then its own
        s_t = _opaque(be, f"s(t={length})" if cell.shortcut else "s", m)
        xs = (x,) if not cell.shortcut else tuple(
            _vector(_symbol_array(be, f"x_{k}", dims.shape(spec.input_shape)))
            for k in range(1, length + 1))
        loss_vals = {**({"h": s_t[:n_h]} if n_h else {}),
                     **(cell.readout(be, P, s_t, xs) if cell.readout else {})}
        st_loss = Step(length, xs[-1], s_prev, loss_vals, s_t)
        if cell.softmax:
            rows.append(loss_vals[cell.softmax])
        at = f"t={length}, " if cell.shortcut else ""
        for T in (1, 2):
            l_t = cell.loss(be, P, st_loss, y, T)
            g_s, local, *rest = cell.loss_vjp(be, P, st_loss, y, T)
            for i in range(m):
                out.append(("loss state", f"dl/ds[{i}] ({at}T={T})", g_s[i],
                            be.diff(l_t, s_t[i])))
            for p in spec.params:
                rule = dict(tree_entries(local[p.name])) if p.name in local else {}
                for index, sym in tree_entries(P[p.name]):
                    out.append(("loss params", f"{entry_label(p.name, index)} ({at}T={T})",
                                rule.get(index, 0), be.diff(l_t, sym)))
            if cell.shortcut:
                to_inputs = rest[0] if rest else {}
                for k, xk in enumerate(xs, start=1):
                    for i, sym in enumerate(xk):
                        rule = to_inputs[k][i] if k in to_inputs else 0
                        out.append((f"loss {cell.shortcut}", f"dl/dx_{k}[{i}] ({at}T={T})",
                                    rule, be.diff(l_t, sym)))
    return out


ATTENDED = (1, 2, 3)      # the softmax lengths the attention loss rule is checked at


def softmax_lemma() -> list[tuple[str, object, object]]:
    """dalpha_j/de_k = alpha_j (delta_jk - alpha_k) for a softmax of any length: the other
    entries' exps are one opaque rho >= 0 that does not depend on e_j, e_k."""
    e_j, e_k, rho = sp.symbols("e_j e_k rho", real=True)
    alone = sp.exp(e_k) / (sp.exp(e_k) + rho)
    alpha_j = sp.exp(e_j) / (sp.exp(e_j) + sp.exp(e_k) + rho)
    alpha_k = sp.exp(e_k) / (sp.exp(e_j) + sp.exp(e_k) + rho)
    return [("dalpha_k/de_k = alpha_k (1 - alpha_k)", sp.diff(alone, e_k), alone * (1 - alone)),
            ("dalpha_j/de_k = -alpha_j alpha_k", sp.diff(alpha_j, e_k), -alpha_j * alpha_k)]


def closed_form_step(depth: int = 4) -> list[tuple[str, object, object]]:
    """delta_t = sum_{s>=t} (J_s ... J_{t+1})^T g_s satisfies delta_t = g_t + J_{t+1}^T delta_{t+1},
    with noncommuting J's (written transposed: K_j = J_j^T): seed 003's lemma."""
    K = sp.symbols(f"K1:{depth + 2}", commutative=False)
    g = sp.symbols(f"g1:{depth + 2}", commutative=False)

    def closed(t):      # delta_t over a window t..depth+1, 1-based
        return sum((sp.Mul(*[K[j - 1] for j in range(t + 1, s + 1)]) * g[s - 1]
                    for s in range(t, depth + 2)), sp.Integer(0))
    return [(f"delta_{t} step", closed(t), g[t - 1] + K[t] * closed(t + 1))
            for t in range(1, depth + 1)]


def prove_inductive(spec: ModelSpec, dims: Dims, activation: str | None = None,
                    cell: Cell | None = None, backend: str | None = None,
                    budget: Budget | None = None, force: bool = False) -> Certificate:
    if not force:       # its cost grows with the sizes (attention's like k^6), not with T
        sizes = ", ".join(f"{d} = {dims.size(d)}" for d in spec.dims_used)
        require(inductive_estimate(spec, dims), budget or Budget(),
                f"the inductive certificate of {spec.name}{' at ' + sizes if sizes else ''}",
                "try smaller sizes")
    start = time.perf_counter()
    cell = cell or cell_for(spec, activation)
    be = BACKENDS[backend] if backend else backend_for(cell)
    rows: list = []
    checks = _checks(spec, cell, dims, be, rows)
    fast = SlopeAtoms(SoftmaxAtoms(rows) if rows else None) if be.name == "symengine" else None
    groups: dict[str, list] = {}
    for group, label, rule, truth in checks:
        ok = (fast.equal(truth, rule) if fast is not None else False) or \
            equal(be, be.expand(truth), be.expand(rule))
        failure = None
        if not ok:
            symbols = tuple(sorted((truth - rule).free_symbols, key=str))
            failure = Failure(label, group, 0, counterexample(be, truth, rule, symbols))
        groups.setdefault(group, []).append(failure)
    if cell.shortcut:
        for label, lhs, rhs in softmax_lemma():
            ok = sp.cancel(sp.together(lhs - rhs)) == 0
            groups.setdefault("softmax lemma", []).append(
                None if ok else Failure(label, "softmax lemma", 0, counterexample(
                    BACKENDS["sympy"], lhs, rhs, ())))
    for label, lhs, rhs in closed_form_step():
        ok = sp.expand(lhs - rhs) == 0
        groups.setdefault("closed-form step", []).append(
            None if ok else Failure(label, "closed-form step", 0, counterexample(
                BACKENDS["sympy"], lhs, rhs, ())))
    out = tuple(Group(name, (), len(fs), sum(f is None for f in fs),
                      tuple(f for f in fs if f is not None)) for name, fs in groups.items())
    options = {"activation": activation or "tanh"} if spec.option("activation") else {}
    method = ("per-step identities with h_{t-1} opaque, " +
              ("symengine expand with slope atoms" if be.name == "symengine" else "sympy expand"))
    scope = "" if not cell.shortcut else (
        f"the {cell.shortcut} loss rule (a softmax over x_1..x_t) is checked at t = "
        f"{', '.join(map(str, ATTENDED))}, and its one length-dependent part, the softmax "
        "Jacobian dalpha_j/de_k = alpha_j (delta_jk - alpha_k), for every length (the other "
        "exps one opaque sum)")
    return Certificate("inductive", spec.name, options, 0, dims.as_dict(spec.dims_used), out,
                       ("recursive", "closed_form"), method, time.perf_counter() - start,
                       cell.name, scope)

