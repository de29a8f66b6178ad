"""The quantities a claim reads: every derivative by the chain rule on the step graph.

Each is checked against something computed another way: the direct form (diff of the
fully nested unrolled loss, symbolic/unroll.py), the cell's rule table (proven by the
certificates), or the formula the seed states. The graph's results hold a symbol per
state; `inline` writes them out before they are compared with nested forms.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symbptt.check.audit import examples_dir
from symbptt.model.modelfile import load
from symbptt.model.spec import Dims
from symbptt.symbolic import direct, recursive
from symbptt.symbolic.backend import SYMENGINE, SYMPY
from symbptt.symbolic.cells import cell_for
from symbptt.check.quantities import OPAQUE, Quantities, QuantityError
from symbptt.symbolic.unroll import unroll
from symbptt.symbolic.zero import SlopeAtoms
from symbptt.model.registry import get_model

DIMS = Dims(3, 2, 4)


def _q(model: str, T: int, activation=None, be=SYMENGINE, dims=DIMS) -> Quantities:
    spec = get_model(model)
    return Quantities(spec, cell_for(spec, activation), T, dims, be, activation)


def _unrolled(q: Quantities):
    return unroll(q.spec, q.cell, q.T, q.dims, q.be)


def _same(q, a, b) -> bool:
    """Equal once the state symbols are written out (both sides may hold them)."""
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    z = SlopeAtoms()
    return a.shape == b.shape and all(z.equal(q.inline(x), q.inline(y))
                                      for x, y in zip(a.flat, b.flat))


def _column(v) -> np.ndarray:
    out = np.empty((len(v), 1), dtype=object)
    out[:, 0] = list(v)
    return out


def _diag(v) -> np.ndarray:
    out = np.empty((len(v), len(v)), dtype=object)
    out[...] = 0
    for i, e in enumerate(v):
        out[i, i] = e
    return out


@pytest.mark.parametrize("model", ["elman", "d2l_linear", "residual", "elman_softmax",
                                   "lstm", "gru"])
def test_dL_dparam_is_the_direct_gradient(model):
    q = _q(model, 3 if model not in ("lstm", "gru") else 2,
           dims=DIMS if model not in ("lstm", "gru") else Dims(2, 2, 2))
    u = _unrolled(q)
    grads = direct.gradient(u)
    for p in q.spec.params:
        got = q.derivative(("L", None), (p.name, None))
        want = np.empty(got.shape, dtype=object)
        for e in u.param_entries:
            if e.param == p.name:
                idx = e.index if len(e.index) == 2 else (e.index + (0,) if e.index else (0, 0))
                want[idx] = grads[e.label]
        assert _same(q, got, want), p.name


def test_dL_dh_is_the_recursions_delta():
    """dL/dh[t] from the graph = delta_t of seed 001's recursion (the proven rules)."""
    q = _q("elman", 4)
    for t, delta in enumerate(recursive.deltas(_unrolled(q)), start=1):
        assert _same(q, q.derivative(("L", None), ("h", t)), _column(delta)), t


def test_a_state_reads_as_its_symbol_and_expands_to_its_step():
    q = _q("elman", 3)
    h2 = q.sequence("h", 2)
    assert all(str(e).startswith("eta:h_2") for e in h2.flat)
    u = _unrolled(q)
    assert _same(q, h2, _column(u.steps[1].vals["h"]))


def test_local_loss_gradient_and_one_step_jacobian_elman():
    q = _q("elman", 3, "sigmoid")
    u = _unrolled(q)
    for t in (1, 2, 3):
        h, y = u.steps[t - 1].vals["h"], u.ys[t - 1]
        assert _same(q, q.derivative(("l", t), ("h", t)),
                     _column([hi - yi for hi, yi in zip(h, y)]))
    # seed 001: dh_{t+1}/dh_t = diag(phi'(a_{t+1})) W, with phi' = sigma (1 - sigma)
    want = np.array(q.cell.jacobian(q.be, u.params, u.steps[2]), dtype=object)
    assert _same(q, q.derivative(("h", 3), ("h", 2)), want)


def test_derivative_by_a_pre_activation():
    """dL/da[t] = diag(phi'(a_t)) dL/dh[t] (seed 001)."""
    q = _q("elman", 3)
    u = _unrolled(q)
    for t in (1, 2, 3):
        slope = [1 - h * h for h in u.steps[t - 1].vals["h"]]
        dh = q.derivative(("L", None), ("h", t))
        assert _same(q, q.derivative(("L", None), ("a", t)),
                     _column([s * d for s, d in zip(slope, dh[:, 0])]))


def test_lstm_dL_dc_is_total_through_h():
    """Issue 14: h_t = o_t tanh(c_t) reads c_t, so dL/dc_T is not 0: perturbing c_T moves
    h_T. dL/dc_t = o_t (1 - tanh(c_t)^2) dL/dh_t + f_{t+1} dL/dc_{t+1} (the textbook
    carousel, dL/dh_t total too)."""
    q = _q("lstm", 3, dims=Dims(2, 2, 2))
    dcT = q.derivative(("L", None), ("c", 3))
    assert not all(SlopeAtoms().equal(q.inline(e), 0) for e in dcT.flat)
    for t in (1, 2, 3):
        o, tc = q.sequence("o", t)[:, 0], q.sequence("tanh_c", t)[:, 0]
        dh = q.derivative(("L", None), ("h", t))[:, 0]
        carry = [0, 0]
        if t < 3:
            f_next = q.sequence("f", t + 1)[:, 0]
            dc_next = q.derivative(("L", None), ("c", t + 1))[:, 0]
            carry = [f * d for f, d in zip(f_next, dc_next)]
        want = [oi * (1 - ti * ti) * di + ci for oi, ti, di, ci in zip(o, tc, dh, carry)]
        assert _same(q, q.derivative(("L", None), ("c", t)), _column(want)), t


def test_lstm_carousel_is_a_partial_with_h_held():
    """Seed 001: dc_t/dc_{t-1} = diag(f_t) holds with h_{t-1} held; the total derivative
    also runs through h_{t-1} = o_{t-1} tanh(c_{t-1})."""
    q = _q("lstm", 2, dims=Dims(2, 2, 2))
    f = q.sequence("f", 2)[:, 0]
    assert _same(q, q.derivative(("c", 2), ("c", 1), held=(("h", 1),)), _diag(f))
    assert not _same(q, q.derivative(("c", 2), ("c", 1)), _diag(f))
    # the total is the partial plus the path through h_1
    dh1_dc1 = q.derivative(("h", 1), ("c", 1))
    dc2_dh1 = q.derivative(("c", 2), ("h", 1))
    assert _same(q, q.derivative(("c", 2), ("c", 1)), _diag(f) + dc2_dh1 @ dh1_dc1)


def test_holding_an_intermediate():
    """dh[t]/dh[t-1] with a[t]... no: GRU's dh_t/dh_{t-1} with z_t, r_t and htilde_t held
    is diag(1 - z_t)."""
    q = _q("gru", 2, dims=Dims(2, 2, 2))
    z = q.sequence("z", 2)[:, 0]
    held = (("z", 2), ("r", 2), ("htilde", 2))
    assert _same(q, q.derivative(("h", 2), ("h", 1), held=held), _diag([1 - e for e in z]))


def test_gru_gate_adjoint():
    """dL/dz_t = (htilde_t - h_{t-1}) * dL/dh_t: a quantity of the step is perturbed and
    the rest of the step recomputed."""
    q = _q("gru", 2, dims=Dims(2, 2, 2))
    for t in (1, 2):
        ht, hp = q.sequence("htilde", t)[:, 0], q.sequence("h", t - 1)[:, 0]
        dh = q.derivative(("L", None), ("h", t))[:, 0]
        want = [(a - b) * d for a, b, d in zip(ht, hp, dh)]
        assert _same(q, q.derivative(("L", None), ("z", t)), _column(want))


def test_stacked_layers_total_through_the_upper_layer():
    """A two-layer stack (elman2.toml): h2_t reads h1_t, so dL/dh1_T is not 0."""
    spec = load(str(examples_dir() / "models" / "elman2.toml")).spec
    q = Quantities(spec, cell_for(spec), 2, Dims(2, 2, 2), SYMENGINE)
    top = q.derivative(("L", None), ("h1", 2))
    assert not all(SlopeAtoms().equal(q.inline(e), 0) for e in top.flat)
    V2 = q.param("V2")
    slope = [1 - e * e for e in q.sequence("h2", 2)[:, 0]]
    dh2 = q.derivative(("L", None), ("h2", 2))[:, 0]
    want = V2.T @ _column([s * d for s, d in zip(slope, dh2)])
    assert _same(q, top, want)


def test_d2l_local_loss_has_no_one_over_T():
    """L = (1/T) sum_t l_t (seeds 002, 003): dL/do_t = (o_t - y_t) / T, dl_t/do_t = o_t - y_t."""
    q = _q("d2l_linear", 3)
    for t in (1, 2, 3):
        o, y = q.sequence("o", t)[:, 0], q.sequence("y", t)[:, 0]
        assert _same(q, q.derivative(("l", t), ("o", t)), _column([a - b for a, b in zip(o, y)]))
        assert _same(q, q.derivative(("L", None), ("o", t)),
                     _column([(a - b) / 3 for a, b in zip(o, y)]))


def test_attention_context_and_its_output():
    """attention's context c_t feeds o_t = W_o h_t + V_o c_t: dL/dc_t = V_o^T (o_t - y_t)."""
    q = _q("attention", 2, dims=Dims(2, 2, 2))
    V = q.param("V_o")
    for t in (1, 2):
        o, y = q.sequence("o", t)[:, 0], q.sequence("y", t)[:, 0]
        assert _same(q, q.derivative(("L", None), ("c", t)),
                     V.T @ _column([a - b for a, b in zip(o, y)]))
        assert _same(q, q.derivative(("o", t), ("c", t)), V)


def test_generic_partials_are_the_functions_own():
    """D2L's partials of f(x_t, h_{t-1}, w_h): the function's own derivatives there."""
    q = _q("generic", 3, be=SYMPY, dims=Dims())
    h3 = q.g.defs[3]["h"][0]
    assert sp.simplify(q.derivative(("f", 3), ("w_h", None))[0, 0] - h3.fdiff(3)) == 0
    assert sp.simplify(q.derivative(("f", 3), ("h", 2))[0, 0] - h3.fdiff(2)) == 0
    # the total dh_3/dw_h by the chain rule, written by hand on the step symbols (seed 003)
    w = q.g.P["w_h"]
    (D1,), (D2,), (D3,) = (q.g.defs[k]["h"] for k in (1, 2, 3))
    (e1,), (e2,) = q.g.eta[1, "h"], q.g.eta[2, "h"]
    want = sp.diff(D3, w) + sp.diff(D3, e2) * (sp.diff(D2, w) + sp.diff(D2, e1) * sp.diff(D1, w))
    want = want.subs(q.g.at_zero)                   # h_0 = 0
    total = q.derivative(("h", 3), ("w_h", None))[0, 0]
    assert sp.expand(total - want) == 0


def test_past_the_ends():
    q = _q("elman", 2)
    assert all(v == 0 for v in q.derivative(("L", None), ("h", 3)).flat)      # dL/dh[T+1]
    assert all(v == 0 for v in q.sequence("h", 0).flat)                        # h_0 = 0
    a3 = q.sequence("a", 3)                                                    # a[T+1]
    assert all(str(v).startswith(OPAQUE) for v in a3.flat)
    assert set(q.opaque_symbols) >= set(a3.flat)


def test_what_is_not_available():
    with pytest.raises(QuantityError, match="has no quantity"):
        _q("gru", 1, dims=Dims(2, 2, 2)).derivative(("L", None), ("q", 1))
    with pytest.raises(QuantityError, match="tensor"):
        _q("elman", 1).derivative(("h", 1), ("W", None))
    # issue 14 (4): a matrix parameter with one column is still a matrix
    with pytest.raises(QuantityError, match="tensor"):
        _q("elman", 1, dims=Dims(3, 1, 4)).derivative(("h", 1), ("U", None))
