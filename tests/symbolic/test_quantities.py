"""The quantities a claim reads: every derivative from the cut unrolled graph.

Each is checked against something computed another way: the direct form (diff of the
unrolled loss), the cell's rule table (proven by the certificates), or the formula the
seed states.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symbptt.spec import Dims
from symbptt.symbolic import direct, recursive
from symbptt.symbolic.backend import SYMENGINE, SYMPY
from symbptt.symbolic.cells import cell_for
from symbptt.symbolic.quantities import OPAQUE, Quantities, QuantityError
from symbptt.symbolic.zero import SlopeAtoms
from symbptt.zoo import get_model

DIMS = Dims(3, 2, 4)


def _q(model: str, T: int, activation=None, be=SYMENGINE, dims=DIMS) -> Quantities:
    spec = get_model(model)
    return Quantities(spec, cell_for(spec, activation), T, dims, be, activation)


def _same(a, b) -> bool:
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    z = SlopeAtoms()
    return a.shape == b.shape and all(z.equal(x, y) for x, y in zip(a.flat, b.flat))


def _column(v) -> np.ndarray:
    out = np.empty((len(v), 1), dtype=object)
    out[:, 0] = list(v)
    return out


@pytest.mark.parametrize("model", ["elman", "d2l_linear", "residual", "elman_softmax"])
def test_dL_dparam_is_the_direct_gradient(model):
    q = _q(model, 3)
    grads = direct.gradient(q.u)
    for p in q.spec.params:
        got = q.derivative(("L", None), (p.name, None))
        want = np.empty(got.shape, dtype=object)
        for e in q.u.param_entries:
            if e.param == p.name:
                idx = e.index if len(e.index) == 2 else (e.index + (0,) if e.index else (0, 0))
                want[idx] = grads[e.label]
        assert _same(got, want), p.name


def test_dL_dh_is_the_recursions_delta():
    """dL/dh[t] from the cut graph = delta_t of seed 001's recursion (the proven rules)."""
    q = _q("elman", 4)
    for t, delta in enumerate(recursive.deltas(q.u), start=1):
        assert _same(q.derivative(("L", None), ("h", t)), _column(delta)), t


def test_local_loss_gradient_and_one_step_jacobian_elman():
    q = _q("elman", 3, "sigmoid")
    for t in (1, 2, 3):
        h, y = q.u.steps[t - 1].vals["h"], q.u.ys[t - 1]
        assert _same(q.derivative(("l", t), ("h", t)),
                     _column([hi - yi for hi, yi in zip(h, y)]))
    # seed 001: dh_{t+1}/dh_t = diag(phi'(a_{t+1})) W, with phi' = sigma (1 - sigma)
    st = q.u.steps[2]
    want = np.array(q.cell.jacobian(q.be, q.u.params, st), dtype=object)
    assert _same(q.derivative(("h", 3), ("h", 2)), want)


def test_derivative_by_a_pre_activation():
    """dL/da[t] = diag(phi'(a_t)) dL/dh[t] (seed 001), through step t's own bias."""
    q = _q("elman", 3)
    for t in (1, 2, 3):
        slope = [1 - h * h for h in q.u.steps[t - 1].vals["h"]]
        dh = q.derivative(("L", None), ("h", t))
        assert _same(q.derivative(("L", None), ("a", t)),
                     _column([s * d for s, d in zip(slope, dh[:, 0])]))


def test_lstm_constant_error_carousel():
    """Seed 001: dc_t/dc_{t-1} = diag(f_t), h_{t-1} held."""
    q = _q("lstm", 2, dims=Dims(2, 2, 2))
    f = q.u.steps[1].vals["f"]
    want = np.empty((2, 2), dtype=object)
    want[...] = 0
    for i, fi in enumerate(f):
        want[i, i] = fi
    assert _same(q.derivative(("c", 2), ("c", 1)), want)


def test_d2l_local_loss_has_no_one_over_T():
    """L = (1/T) sum_t l_t (seeds 002, 003): dL/do_t = (o_t - y_t) / T, dl_t/do_t = o_t - y_t."""
    q = _q("d2l_linear", 3)
    for t in (1, 2, 3):
        o, y = q.u.steps[t - 1].vals["o"], q.u.ys[t - 1]
        assert _same(q.derivative(("l", t), ("o", t)), _column([a - b for a, b in zip(o, y)]))
        assert _same(q.derivative(("L", None), ("o", t)),
                     _column([(a - b) / 3 for a, b in zip(o, y)]))


def test_generic_partials_are_the_functions_own():
    """D2L's partials of f(x_t, h_{t-1}, w_h): the function's own derivatives there."""
    q = _q("generic", 3, be=SYMPY, dims=Dims())
    h3 = q.u.steps[2].vals["h"][0]
    assert sp.simplify(q.derivative(("f", 3), ("w_h", None))[0, 0] - h3.fdiff(3)) == 0
    assert sp.simplify(q.derivative(("f", 3), ("h", 2))[0, 0] - h3.fdiff(2)) == 0
    total = q.derivative(("h", 3), ("w_h", None))[0, 0]
    assert total.has(sp.Derivative) or total.has(sp.Subs)
    assert sp.simplify(total - sp.diff(h3, q.u.params["w_h"])) == 0


def test_past_the_ends():
    q = _q("elman", 2)
    assert all(v == 0 for v in q.derivative(("L", None), ("h", 3)).flat)      # dL/dh[T+1]
    assert all(v == 0 for v in q.sequence("h", 0).flat)                        # h_0 = 0
    a3 = q.sequence("a", 3)                                                    # a[T+1]
    assert all(str(v).startswith(OPAQUE) for v in a3.flat)
    assert set(q.opaque_symbols) >= set(a3.flat)


def test_what_is_not_available():
    with pytest.raises(QuantityError, match="computed inside the step"):
        _q("gru", 1, dims=Dims(2, 2, 2)).derivative(("L", None), ("z", 1))
    with pytest.raises(QuantityError, match="not from c"):
        _q("attention", 1, dims=Dims(2, 2, 2)).derivative(("L", None), ("c", 1))
    with pytest.raises(QuantityError, match="both are outputs of step t's readout"):
        _q("attention", 1, dims=Dims(2, 2, 2)).derivative(("o", 1), ("c", 1))
    with pytest.raises(QuantityError, match="tensor"):
        _q("elman", 1).derivative(("h", 1), ("W", None))
