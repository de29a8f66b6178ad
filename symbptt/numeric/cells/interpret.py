"""A user-defined cell as a numeric rule table: its program run over NumPy, batched.

The same operations as the symbolic side (symbptt/program.py, the shared spec), with this
module's own forward and VJP rule per kind, written as a hand-written backward pass is
(tanh' = 1 - y^2 from the stored output; relu' = 1[a > 0] from the stored argument, so
relu'(0) = 0, PyTorch's convention). No SymPy here: the cross-check of a user cell
still compares two implementations that share nothing but the equations.

Every value is held as a stack of 2-D arrays (B, r, c): a column vector (B, k, 1), a row
(B, 1, k), a matrix (B, r, c), a scalar (B, 1, 1); a parameter has B = 1. NumPy's
broadcasting then does the batch and the scalars, and a VJP sums its result back over the
axes its operand was broadcast along (the batch, for a parameter).
"""
from __future__ import annotations

import numpy as np

from ...model.program import Program, needed
from .rule import Cell


def _as3(v: np.ndarray, shape: tuple, batched: bool) -> np.ndarray:
    """A natural-shape array ((B, k), (k,), (r, c), scalar) as (B or 1, r, c)."""
    v = np.asarray(v, dtype=float)
    if not batched:
        v = v[None]
    if not shape:
        return v.reshape(v.shape[0], 1, 1)
    if len(shape) == 1:
        return v.reshape(v.shape[0], -1, 1)
    return v


def _natural(v: np.ndarray, shape: tuple, batched: bool) -> np.ndarray:
    """The inverse of _as3."""
    if not batched:
        v = v[0]
        return v.reshape(()) if not shape else (v[:, 0] if len(shape) == 1 else v)
    if not shape:
        return v.reshape(v.shape[0], 1)
    return v[:, :, 0] if len(shape) == 1 else v


def _unbroadcast(g: np.ndarray, like: tuple) -> np.ndarray:
    """Sum g over the axes along which an operand of shape `like` was broadcast."""
    axes = tuple(i for i, (a, b) in enumerate(zip(like, g.shape)) if a == 1 and b != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _relu(a):                     # relu(0) = 0
    return np.where(a > 0.0, a, 0.0)


def _leaky_relu(a, slope: float):
    return np.where(a > 0.0, a, slope * a)


def _leaky_slope(a, slope: float):  # relu'(0) = 0: leaky_relu'(0) = slope, as in PyTorch
    return np.where(a > 0.0, 1.0, slope)


def _softmax(a):                  # over the entries of a column (axis 1)
    z = np.exp(a - a.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


FORWARD = {
    "copy": lambda a: a,
    "neg": lambda a: -a,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "matmul": lambda a, b: a @ b,
    "transpose": lambda a: np.swapaxes(a, 1, 2),
    "tanh": np.tanh, "sigmoid": _sigmoid, "exp": np.exp, "log": np.log,
    "relu": _relu, "softmax": _softmax,
    "diag": lambda a: a * np.eye(a.shape[1])[None],
}


def _vjp_rule(kind: str, g, y, a):
    """The operands' parts of the adjoint, before un-broadcasting."""
    if kind == "copy":
        return (g,)
    if kind == "neg":
        return (-g,)
    if kind == "add":
        return (g, g)
    if kind == "sub":
        return (g, -g)
    if kind == "mul":
        return (g * a[1], g * a[0])
    if kind == "div":
        return (g / a[1], -g * a[0] / (a[1] * a[1]))
    if kind == "matmul":
        return (g @ np.swapaxes(a[1], 1, 2), np.swapaxes(a[0], 1, 2) @ g)
    if kind == "transpose":
        return (np.swapaxes(g, 1, 2),)
    if kind == "power":
        return None                         # handled with its exponent
    if kind == "tanh":
        return (g * (1.0 - y * y),)
    if kind == "sigmoid":
        return (g * y * (1.0 - y),)
    if kind == "exp":
        return (g * y,)
    if kind == "relu":                      # relu'(a) = 1[a > 0]: relu'(0) = 0
        return (g * (a[0] > 0.0),)
    if kind == "log":
        return (g / a[0],)
    if kind == "softmax":
        return (y * (g - (g * y).sum(axis=1, keepdims=True)),)
    if kind == "diag":
        return (np.diagonal(g, axis1=1, axis2=2)[:, :, None],)
    raise KeyError(kind)


class _Run:
    def __init__(self, prog: Program, P: dict, leaves: dict):
        self.prog = prog
        self.val = dict(leaves)
        for i, op in enumerate(prog.ops):
            if op.kind == "param":
                self.val[i] = _as3(P[op.name], op.shape, batched=False)
            elif op.kind == "const":
                self.val[i] = np.full((1, 1, 1), float(op.value))

    def forward(self, ids) -> None:
        for i in needed(self.prog, ids, self.val):
            op = self.prog.ops[i]
            a = [self.val[j] for j in op.args]
            if op.kind == "power":
                self.val[i] = a[0] ** int(op.value)
            elif op.kind == "call" and op.name == "leaky_relu":
                self.val[i] = _leaky_relu(a[0], float(op.value))
            else:
                self.val[i] = FORWARD[op.name if op.kind == "call" else op.kind](*a)

    def backward(self, ids, seeds: dict) -> dict:
        G = dict(seeds)
        for i in sorted(ids, reverse=True):
            op = self.prog.ops[i]
            if i not in G or op.kind in ("param", "x", "y", "prev", "const"):
                continue
            a = [self.val[j] for j in op.args]
            kind = op.name if op.kind == "call" else op.kind
            if kind == "power":
                n = int(op.value)
                parts = (G[i] * n * a[0] ** (n - 1) if n else 0 * G[i],)
            elif kind == "leaky_relu":
                parts = (G[i] * _leaky_slope(a[0], float(op.value)),)
            else:
                parts = _vjp_rule(kind, G[i], self.val[i], a)
            for j, part in zip(op.args, parts):
                part = _unbroadcast(part, self.val[j].shape)
                G[j] = part if j not in G else G[j] + part
        return G


def interpreted_cell(prog: Program, name: str) -> Cell:
    """The numeric rule table of a compiled user cell."""
    ops = prog.ops
    state_ids = [prog.sequences[s] for s in prog.states]
    prev_id = {op.name: i for i, op in enumerate(ops) if op.kind == "prev"}
    x_id = next((i for i, op in enumerate(ops) if op.kind == "x"), None)
    y_id = next((i for i, op in enumerate(ops) if op.kind == "y"), None)
    named = {n: i for n, i in prog.sequences.items() if i in prog.step}

    def leaves(s_prev, x, y=None, states_now=None):
        out = {}
        for name, i in prev_id.items():
            out[i] = _as3(s_prev[prog.states.index(name)], ops[i].shape, True)
        if x_id is not None:
            out[x_id] = _as3(x, ops[x_id].shape, True)
        if y_id is not None and y is not None:
            out[y_id] = _as3(y, ops[y_id].shape, True)
        if states_now is not None:
            for k, i in enumerate(state_ids):
                out[i] = _as3(states_now[k], ops[i].shape, True)
        return out

    def step(P, s_prev, x, xs, pre=None):
        run = _Run(prog, P, leaves(s_prev, x))
        run.forward(prog.step)
        cache = {n: _natural(run.val[i], ops[i].shape, True) for n, i in named.items()}
        B = x.shape[0]             # a state made of parameters alone still has a batch
        return cache, tuple(_natural(np.broadcast_to(run.val[i], (B,) + run.val[i].shape[1:]),
                                     ops[i].shape, True).copy() for i in state_ids)

    def _loss_run(P, st, y):
        run = _Run(prog, P, leaves(st.s, st.x, y, states_now=st.s))
        run.forward(prog.readout)
        return run

    def scale(T):
        return 1.0 / T if prog.mean else 1.0

    def loss(P, st, y, T):
        return float(np.sum(_loss_run(P, st, y).val[prog.loss])) * scale(T)

    def _params(G) -> dict:
        return {op.name: _natural(G[i], op.shape, batched=False)
                for i, op in enumerate(ops) if op.kind == "param" and i in G}

    def loss_vjp(P, st, y, T):
        run = _loss_run(P, st, y)
        B = st.s[0].shape[0]
        G = run.backward(prog.readout, {prog.loss: np.full((B, 1, 1), scale(T))})
        g_s = tuple(_natural(G[i], ops[i].shape, True) if i in G else np.zeros_like(s)
                    for i, s in zip(state_ids, st.s))
        to_x = {st.t: _natural(G[x_id], ops[x_id].shape, True)} if x_id in G else {}
        return g_s, _params(G), to_x

    def vjp(P, st, g):
        run = _Run(prog, P, leaves(st.s_prev, st.x))
        run.forward(prog.step)
        seeds = {i: _as3(gk, ops[i].shape, True) for i, gk in zip(state_ids, g)}
        G = run.backward(prog.step, seeds)
        g_prev = tuple(_natural(G[prev_id[n]], ops[prev_id[n]].shape, True)
                       if n in prev_id and prev_id[n] in G else np.zeros_like(s)
                       for n, s in zip(prog.states, st.s_prev))
        g_x = _natural(G[x_id], ops[x_id].shape, True) if x_id in G else np.zeros_like(st.x)
        return g_prev, _params(G), g_x

    def state_size(P, X):
        """n, read off the first operand that has it: a parameter, then x, then y."""
        for op in ops:
            if op.kind == "param" and "n" in op.shape:
                return np.shape(P[op.name])[op.shape.index("n")]
        for op in ops:
            if op.kind == "x" and "n" in op.shape:
                return X.shape[2]
        return 1

    return Cell(name, step, loss, loss_vjp, vjp, states=len(prog.states),
                state_size=state_size)

