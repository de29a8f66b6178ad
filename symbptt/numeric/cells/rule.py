"""The rule-table type of a numeric cell, and the rules cells share (activations, the
half-square loss, the input's part of a step, a stable softmax). Every family of cells
(elman.py, gated.py, interpret.py; the registry is cells/__init__.py) builds on this.

Shapes: x_t is (B, d), every state component is (B, n), parameters have their zoo shapes
(a scalar parameter is a 0-d array, and a scalar model's x_t and h_t are (B, 1)). Losses
are summed over the batch, so parameter gradients are too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Step:
    """One step of the forward pass: inputs, the state before and after, the cache."""
    t: int                      # 1-based
    x: np.ndarray               # (B, d)
    s_prev: tuple               # state components before the step, each (B, n)
    cache: dict = field(hash=False)
    s: tuple = ()
    xs: np.ndarray | None = None  # (B, t, d): every input so far (attention reads them)


@dataclass(frozen=True)
class Cell:
    """The rule table of one model.

    states: how many state components (1; the LSTM carries (h, c))
    step(P, s_prev, x, xs) -> (cache, s)
    loss(P, st, y, T) -> l_t summed over the batch
    loss_vjp(P, st, y, T) -> (dl_t/ds_t, {p: dl_t/dp}, {k: dl_t/dx_k})
    vjp(P, st, g) -> (J_t^T g, {p: grad through the step}, dL/dx_t part)
    back(P, st, g) -> J_t^T g alone (optional: the recursion needs only this)
    through(P, st, g) -> ({p: grad}, dL/dx_t part) alone (optional: the parameter pass)
    stackable: the rules act row by row and do not read st.t, and the cache holds only
        (B, ...) arrays, so T steps can be stacked along the batch axis: one loss call and
        one `through` call serve every step, with T B rows in each product
    prepare(P, X_by_time) -> (T, B, k): the input's part of every step in one product
        (optional; step then gets it as `pre`), as a hand-written RNN hoists U x_t + b
    state_size(P, X) -> n: the size of a state component (optional)
    """
    name: str
    step: Callable
    loss: Callable
    loss_vjp: Callable
    vjp: Callable
    states: int = 1
    back: Callable | None = None
    through: Callable | None = None
    stackable: bool = False
    prepare: Callable | None = None
    state_size: Callable | None = None   # (P, X) -> n; default: read off W, W_h, W_hh, ...


def tanh(a, out=None):
    """tanh(a) = sign(a) (1 - e) / (1 + e), e = exp(-2|a|): within a few units of 2^-53
    in absolute error (what a gradient check needs; near 0 the relative error grows as a
    difference of nearly equal numbers would), no overflow, and about 3x faster than
    np.tanh on these machines, whose exp is vectorised and tanh is not. `out` may be `a`."""
    e = np.abs(a)
    e *= -2.0
    np.exp(e, out=e)
    t = 1.0 - e
    e += 1.0
    t /= e
    return np.copysign(t, a, out=out)


def _tanh_slope(h):
    return 1.0 - h * h


def _sigmoid(a):
    return 0.5 * (1.0 + tanh(0.5 * a))         # no overflow for large |a|


ACTIVATIONS = {
    "tanh": (tanh, _tanh_slope),
    "sigmoid": (_sigmoid, lambda h: h * (1.0 - h)),
    "identity": (lambda a: a, lambda h: np.ones_like(h)),
}


def _input_part(P, U, b, x):
    return x @ P[U].T + P[b]


def _prepare(U: str, b: str):
    """U x_t + b for every t in one product: (T, B, d) -> (T, B, n)."""
    def prepare(P, X):
        T, B, d = X.shape
        return _input_part(P, U, b, X.reshape(T * B, d)).reshape(T, B, -1)
    return prepare


def _half_square(P, st, y, T):
    r = st.s[0] - y
    return 0.5 * float(np.sum(r * r))


def _half_square_vjp(P, st, y, T):
    return (st.s[0] - y,), {}, {}


def _joined(back: Callable, through: Callable) -> Callable:
    """The whole VJP of a step from its two halves."""
    def vjp(P, st, g):
        return (back(P, st, g), *through(P, st, g))
    return vjp


def _softmax(o):
    z = np.exp(o - o.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)
