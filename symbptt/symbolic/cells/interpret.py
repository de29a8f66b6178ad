"""A user-defined cell as a symbolic rule table: its program run over SymPy or SymEngine.

The forward step evaluates the program's operations (symbptt/program.py) in order. The VJP
rules are reverse mode over the same operations, one rule per kind (tanh' written from the
output, 1 - y^2, as a hand-written backward pass does; relu' the slope atom s of the
forward's relu(a) = s a, symbolic/relu.py); the direct form never sees them
(it differentiates the unrolled loss), so the three-way agreement proves them as it proves
the zoo's. Values: a scalar is an expression, a vector (column or row) a tuple, a matrix a
tuple of rows; a scalar sequence is kept as a 1-tuple in a step's values, as the zoo does.
"""
from __future__ import annotations

from fractions import Fraction

from ...model.program import ROW, Program, needed
from .rule import Cell, keep
from ..linalg import total
from ..relu import leaky_relu, leaky_slope, relu


def _2d(v, shape: tuple) -> tuple:
    if len(shape) == 1:
        return tuple((e,) for e in v)
    if shape[0] == ROW:
        return (tuple(v),)
    return v


def _back(m: tuple, shape: tuple):
    if not shape:
        return m[0][0]
    if len(shape) == 1:
        return tuple(row[0] for row in m)
    if shape[0] == ROW:
        return tuple(m[0])
    return m


def _mm(a: tuple, b: tuple) -> tuple:
    return tuple(tuple(total([row[k] * b[k][j] for k in range(len(b))])
                       for j in range(len(b[0]))) for row in a)


def _tr(m: tuple) -> tuple:
    return tuple(zip(*m)) if m else m


def _map(f, v, shape: tuple):
    if not shape:
        return f(v)
    if len(shape) == 2 and shape[0] != ROW:
        return tuple(tuple(f(e) for e in row) for row in v)
    return tuple(f(e) for e in v)


def _zip(f, a, b, sa: tuple, sb: tuple, shape: tuple):
    """f elementwise, a scalar side broadcast."""
    if not sa and not sb:
        return f(a, b)
    if not sa:
        return _map(lambda e: f(a, e), b, sb)
    if not sb:
        return _map(lambda e: f(e, b), a, sa)
    if len(shape) == 2 and shape[0] != ROW:
        return tuple(tuple(f(x, y) for x, y in zip(ra, rb)) for ra, rb in zip(a, b))
    return tuple(f(x, y) for x, y in zip(a, b))


def _sum_all(v, shape: tuple):
    if not shape:
        return v
    if len(shape) == 2 and shape[0] != ROW:
        return total([e for row in v for e in row])
    return total(list(v))


class _Run:
    """One evaluation of a program's operations, with the values kept for the VJP."""

    def __init__(self, be, prog: Program, P: dict, leaves: dict, put=keep):
        self.be, self.prog, self.P, self.put = be, prog, P, put
        self.val: dict[int, object] = dict(leaves)
        # the op that holds each named sequence's value: put sees it (cells.keep)
        self.named = {i: n for n, i in prog.sequences.items()} if put is not keep else {}

    def forward(self, ids) -> None:
        """The values of these operations and of what they need that is not known yet."""
        be = self.be
        for i in needed(self.prog, ids, self.val):
            op = self.prog.ops[i]
            a = [self.val[j] for j in op.args]
            sa = [self.prog.ops[j].shape for j in op.args]
            k = op.kind
            if k == "param":
                v = self.P[op.name]
            elif k == "const":
                v = be.number(op.value)
            elif k == "copy":
                v = a[0]
            elif k == "neg":
                v = _map(lambda e: -e, a[0], sa[0])
            elif k in ("add", "sub", "mul", "div"):
                f = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
                     "mul": lambda x, y: x * y, "div": lambda x, y: x / y}[k]
                v = _zip(f, a[0], a[1], sa[0], sa[1], op.shape)
            elif k == "matmul":
                v = _back(_mm(_2d(a[0], sa[0]), _2d(a[1], sa[1])), op.shape)
            elif k == "transpose":
                v = _back(_tr(_2d(a[0], sa[0])), op.shape) if sa[0] else a[0]
            elif k == "power":
                v = a[0] ** int(op.value)
            elif op.name == "softmax":
                ex = [be.exp(e) for e in a[0]]
                z = total(ex)
                v = tuple(e / z for e in ex)
            elif op.name == "diag":
                zero = be.number(Fraction(0))
                v = tuple(tuple(e if r == c else zero for c in range(len(a[0])))
                          for r, e in enumerate(a[0]))
            elif op.name == "relu":                # s a, s = 1[a > 0] an atom
                v = _map(lambda e: relu(be.step, e), a[0], sa[0])
            elif op.name == "leaky_relu":          # (l + (1 - l) s) a
                slope = be.number(op.value)
                v = _map(lambda e: leaky_relu(be.step, e, slope), a[0], sa[0])
            else:
                fn = {"tanh": be.tanh, "sigmoid": be.sigmoid, "exp": be.exp, "log": be.log}
                v = _map(fn[op.name], a[0], sa[0])
            if i in self.named:
                v = _from_tuple(self.put(self.named[i], _as_tuple(v, op.shape)), op.shape)
            self.val[i] = v

    def backward(self, ids, seeds: dict) -> dict:
        """Adjoints of every operation reached from the seeds (op id -> adjoint)."""
        G = dict(seeds)
        for i in sorted(ids, reverse=True):
            if i not in G:
                continue
            op = self.prog.ops[i]
            g, y = G[i], self.val[i]
            for j, part in self.rule(op, g, y):
                sj = self.prog.ops[j].shape
                if not sj and op.shape:          # a broadcast scalar: its adjoint sums
                    part = _sum_all(part, op.shape)
                G[j] = part if j not in G else _zip(lambda p, q: p + q, G[j], part, sj, sj, sj)
        return G

    def rule(self, op, g, y):
        """(operand, its part of the adjoint) for one operation."""
        k, args = op.kind, op.args
        s = op.shape
        if k in ("param", "x", "y", "prev", "const"):
            return []
        a = [self.val[j] for j in args]
        sa = [self.prog.ops[j].shape for j in args]
        mul = lambda x, z: x * z                                            # noqa: E731
        if k == "copy":
            return [(args[0], g)]
        if k == "neg":
            return [(args[0], _map(lambda e: -e, g, s))]
        if k == "add":
            return [(args[0], g), (args[1], g)]
        if k == "sub":
            return [(args[0], g), (args[1], _map(lambda e: -e, g, s))]
        if k == "mul":
            return [(args[0], _zip(mul, g, a[1], s, sa[1], s)),
                    (args[1], _zip(mul, g, a[0], s, sa[0], s))]
        if k == "div":
            ga = _zip(lambda x, z: x / z, g, a[1], s, sa[1], s)
            gb = _zip(lambda x, z: -x * z, g, _zip(lambda p, q: p / (q * q), a[0], a[1],
                                                    sa[0], sa[1], s), s, s, s)
            return [(args[0], ga), (args[1], gb)]
        if k == "matmul":
            G2 = _2d(g, s) if s else ((g,),)
            A, B = _2d(a[0], sa[0]), _2d(a[1], sa[1])
            return [(args[0], _back(_mm(G2, _tr(B)), sa[0])),
                    (args[1], _back(_mm(_tr(A), G2), sa[1]))]
        if k == "transpose":
            return [(args[0], _back(_tr(_2d(g, s)), sa[0]) if s else g)]
        if k == "power":
            n = int(op.value)
            return [(args[0], g * n * a[0] ** (n - 1) if n else g * 0)]
        name = op.name
        if name == "tanh":
            return [(args[0], _zip(lambda x, h: x * (1 - h * h), g, y, s, s, s))]
        if name == "sigmoid":
            return [(args[0], _zip(lambda x, h: x * h * (1 - h), g, y, s, s, s))]
        if name == "exp":
            return [(args[0], _zip(mul, g, y, s, s, s))]
        if name == "relu":                        # relu'(a) = s, the forward's own atom
            return [(args[0], _zip(lambda x, e: x * self.be.step(e), g, a[0], s, s, s))]
        if name == "leaky_relu":
            slope = self.be.number(op.value)
            return [(args[0], _zip(lambda x, e: x * leaky_slope(self.be.step, e, slope),
                                   g, a[0], s, s, s))]
        if name == "log":
            return [(args[0], _zip(lambda x, z: x / z, g, a[0], s, s, s))]
        if name == "softmax":                     # J^T g = y * (g - y . g)
            dot = total([x * h for x, h in zip(g, y)])
            return [(args[0], tuple(h * (x - dot) for x, h in zip(g, y)))]
        if name == "diag":
            return [(args[0], tuple(g[r][r] for r in range(len(g))))]
        raise KeyError(name)


def _as_tuple(v, shape: tuple) -> tuple:
    return (v,) if not shape else v


def _from_tuple(v: tuple, shape: tuple):
    return v[0] if not shape else v


def _leaves(prog: Program, s_prev: tuple, x: tuple, y: tuple | None = None,
            states_now: tuple | None = None) -> dict:
    """The values the step (or the readout) starts from: the states and inputs."""
    out = {}
    m = len(s_prev) // len(prog.states) if prog.states else 0
    for i, op in enumerate(prog.ops):
        if op.kind == "prev":
            k = prog.states.index(op.name)
            part = s_prev[k * m:(k + 1) * m]
            out[i] = part if op.shape else part[0]
        elif op.kind == "x":
            out[i] = x if op.shape else x[0]
        elif op.kind == "y" and y is not None:
            out[i] = y if op.shape else y[0]
    if states_now is not None:
        for k, name in enumerate(prog.states):
            i = prog.sequences[name]
            part = states_now[k * m:(k + 1) * m]
            out[i] = part if prog.ops[i].shape else part[0]
    return out


def _zeros_like(be, v, shape: tuple):
    zero = be.number(Fraction(0))
    return _map(lambda e: zero, v, shape)


def interpreted_cell(prog: Program, name: str) -> Cell:
    """The symbolic rule table of a compiled user cell."""
    ops = prog.ops
    state_ids = [prog.sequences[s] for s in prog.states]
    step_named = {n: i for n, i in prog.sequences.items() if i in prog.step}
    y_free = {i for i in prog.readout
              if not any(ops[j].kind == "y" for j in _deps(prog, i))}
    readout_named = {n: i for n, i in prog.sequences.items()
                     if i in prog.readout and i in y_free}

    def step(be, P, s_prev, x, put=keep):
        run = _Run(be, prog, P, _leaves(prog, s_prev, x), put)
        run.forward(prog.step)
        vals = {n: _as_tuple(run.val[i], ops[i].shape) for n, i in step_named.items()}
        s = tuple(e for i in state_ids for e in _as_tuple(run.val[i], ops[i].shape))
        return vals, s

    def readout(be, P, s, xs, put=keep):
        run = _Run(be, prog, P, _leaves(prog, s, xs[-1], states_now=s), put)
        run.forward(sorted(i for i in prog.readout if i in y_free))
        return {n: _as_tuple(run.val[i], ops[i].shape) for n, i in readout_named.items()}

    def _loss_run(be, P, st, y):
        leaves = _leaves(prog, st.s, st.x, y, states_now=st.s)
        # the outputs as the step's values hold them (a perturbed o[t] reaches the loss)
        leaves.update({i: _from_tuple(st.vals[n], ops[i].shape)
                       for n, i in readout_named.items() if n in st.vals})
        run = _Run(be, prog, P, leaves)
        run.forward(prog.readout)
        return run

    def scale(be, T):
        return be.number(Fraction(1, T)) if prog.mean else be.number(Fraction(1))

    def loss(be, P, st, y, T):
        v = _loss_run(be, P, st, y).val[prog.loss]
        return v * scale(be, T) if prog.mean else v

    def loss_vjp(be, P, st, y, T):
        run = _loss_run(be, P, st, y)
        G = run.backward(prog.readout, {prog.loss: scale(be, T)})
        g_s = tuple(e for i in state_ids for e in _as_tuple(
            G[i] if i in G else _zeros_like(be, run.val[i], ops[i].shape), ops[i].shape))
        params = {op.name: G[i] for i, op in enumerate(ops) if op.kind == "param" and i in G}
        to_x = [i for i, op in enumerate(ops) if op.kind == "x" and i in G]
        if to_x:
            g_x = _as_tuple(G[to_x[0]], ops[to_x[0]].shape)
            return g_s, params, {st.t: g_x}
        return g_s, params

    def vjp(be, P, st, g):
        run = _Run(be, prog, P, _leaves(prog, st.s_prev, st.x))
        run.forward(prog.step)
        m = len(g) // len(state_ids)
        seeds = {}
        for k, i in enumerate(state_ids):
            part = tuple(g[k * m:(k + 1) * m])
            seeds[i] = part if ops[i].shape else part[0]
        G = run.backward(prog.step, seeds)
        g_prev = []
        for name in prog.states:
            i = next((j for j, op in enumerate(ops) if op.kind == "prev" and op.name == name),
                     None)
            shape = ops[prog.sequences[name]].shape
            if i is not None and i in G:
                g_prev.extend(_as_tuple(G[i], shape))
            else:
                g_prev.extend(_as_tuple(_zeros_like(be, run.val[prog.sequences[name]], shape),
                                        shape))
        params = {op.name: G[i] for i, op in enumerate(ops) if op.kind == "param" and i in G}
        xi = next((j for j, op in enumerate(ops) if op.kind == "x" and j in G), None)
        g_x = _as_tuple(G[xi], ops[xi].shape) if xi is not None and xi in G else \
            tuple(be.number(Fraction(0)) for _ in st.x)
        return tuple(g_prev), params, g_x

    def jacobian(be, P, st):
        """J_t = ds_t/ds_{t-1}, row by row: row i is J^T e_i, the VJP of a basis vector."""
        n = len(st.s)
        one, zero = be.number(Fraction(1)), be.number(Fraction(0))
        return tuple(vjp(be, P, st, tuple(one if j == i else zero for j in range(n)))[0]
                     for i in range(n))

    # the logits of a softmax, when they are a named output: the zero test then sees the
    # probabilities as atoms (as for elman_softmax's o)
    logits = [n for n, i in readout_named.items()
              if any(op.kind == "call" and op.name == "softmax" and op.args == (i,)
                     for op in ops)]
    return Cell(name, step, loss, loss_vjp, vjp, jacobian,
                rules=("the VJP of every operation of the program, in reverse",),
                readout=readout if readout_named else None,
                softmax=logits[0] if logits else None)


def _deps(prog: Program, i: int) -> set[int]:
    seen, todo = set(), [i]
    while todo:
        j = todo.pop()
        if j not in seen:
            seen.add(j)
            todo.extend(prog.ops[j].args)
    return seen
