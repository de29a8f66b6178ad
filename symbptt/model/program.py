"""A user-defined cell compiled from its equations: a flat list of operations with shapes.

The equations of a model file (`h[t] = tanh(w * h[t-1] + U @ x[t] + b)`, then the loss
`l[t] = ...`) are parsed by our grammar (symbptt/formula) and compiled here into a
Program: every node an Op with its operands and its shape, in an order where operands come
first. Shapes are checked once, here, with the place of the offending node; the two
interpreters (symbolic/cells/interpret.py over SymPy or SymEngine, numeric/cells/interpret.py over
NumPy) then run the same operations with their own forward and VJP rules per kind. This
module imports neither SymPy nor NumPy: it is the spec the two sides share.

Shapes: () a scalar, (k,) a column vector, ("1", k) a row vector (a transposed vector),
(r, c) a matrix, with k, r, c among the size symbols n, d, q.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import SymbpttError
from ..formula.tree import (BinOp, Call, Equation, Idx, Name, Neg, Num, Power, Transpose,
                           children)

ELEMENTWISE = ("tanh", "sigmoid", "exp", "log", "relu", "leaky_relu")
CALLS = ELEMENTWISE + ("softmax", "diag")
FOREIGN_FUNCTIONS = {"softplus", "gelu", "elu", "sin", "cos", "sqrt", "abs", "max", "min",
                     "tan", "sign", "logistic", "swish", "silu", "prelu"}
# relu(a) = s a with s = 1[a > 0] (relu'(0) = 0, PyTorch's convention); leaky_relu(a, l) =
# (l + (1 - l) s) a: a slope s a new atom of degree 1, times its argument
RELUS = ("relu", "leaky_relu")
ROW = "1"


class ModelError(SymbpttError):
    """A model file that cannot be compiled: the message names the file, line and column."""


@dataclass(frozen=True)
class Op:
    kind: str                      # param x y prev const add sub mul div matmul neg
    #                                transpose power call copy (a state's own value)
    args: tuple[int, ...] = ()
    name: str = ""                 # param / state / function name
    value: Fraction | None = None  # const; power: the exponent; leaky_relu: its slope
    shape: tuple = ()


@dataclass(frozen=True)
class Program:
    ops: tuple[Op, ...]
    step: tuple[int, ...]          # the ops of one step, operands first
    readout: tuple[int, ...]       # the ops after the step: outputs the loss reads, the loss
    sequences: dict = field(hash=False)   # name -> op id of its value at t
    states: tuple[str, ...]        # the sequences read at t-1, in order
    loss: int                      # op id of l[t]
    mean: bool = False             # L = (1/T) sum_t l_t


@dataclass(frozen=True)
class Source:
    """Where each equation sits in its file: for messages file:line:col."""
    file: str
    lines: dict = field(default_factory=dict, hash=False)   # text -> (line, col, columns)

    def at(self, eq: Equation | None, pos: int = 0) -> str:
        return self.at_column(eq.text, pos) if eq is not None else self.file

    def at_column(self, text: str, pos: int = 0) -> str:
        """file:line:column of the character at `pos` of an equation's text."""
        if text not in self.lines:
            return self.file
        line, _, cols = self.lines[text]
        col = cols[pos] if pos < len(cols) else (cols[-1] + 1 if cols else 1)
        return f"{self.file}:{line}:{col + 1}"


def shape_text(shape: tuple) -> str:
    if not shape:
        return "a scalar"
    if len(shape) == 1:
        return f"a vector ({shape[0]})"
    if shape[0] == ROW:
        return f"a row vector (1 x {shape[1]})"
    return f"a matrix ({shape[0]} x {shape[1]})"


class _Compiler:
    def __init__(self, params: dict, x_shape: tuple, y_shape: tuple | None,
                 equations: tuple[Equation, ...], src: Source):
        self.params, self.x_shape, self.y_shape, self.src = params, x_shape, y_shape, src
        self.ops: list[Op] = []
        self.memo: dict = {}
        self.defs: dict[str, Equation] = {}
        for eq in equations:
            lhs = eq.lhs
            if not isinstance(lhs, Name) or lhs.index != Idx.var("t"):
                raise ModelError(f"{src.at(eq)}: an equation defines name[t] (e.g. h[t] = "
                                 f"...), not {eq.text.split('=')[0].strip()}")
            if lhs.name in self.defs:
                raise ModelError(f"{src.at(eq)}: {lhs.name}[t] is defined twice")
            if lhs.name in params or lhs.name in ("x", "y", "t", "T", "I", "l", "L"):
                raise ModelError(f"{src.at(eq)}: {lhs.name} is a parameter or a reserved "
                                 f"name; a sequence needs a name of its own")
            self.defs[lhs.name] = eq
        self.sequences: dict[str, int] = {}
        self.states: list[str] = []
        self.busy: list[str] = []
        self.eq: Equation | None = None

    def add(self, op: Op) -> int:
        key = (op.kind, op.args, op.name, op.value)
        if key not in self.memo:
            self.memo[key] = len(self.ops)
            self.ops.append(op)
        return self.memo[key]

    def fail(self, node, message: str):
        raise ModelError(f"{self.src.at(self.eq, _first_pos(node))}: {message}")

    def sequence(self, name: str) -> int:
        if name in self.sequences:
            return self.sequences[name]
        if name in self.busy:
            loop = " -> ".join(f"{n}[t]" for n in self.busy[self.busy.index(name):] + [name])
            raise ModelError(f"{self.src.at(self.defs[name])}: {loop}: a recursion with no "
                             f"base, within one step (only {name}[t-1] may look back, "
                             f"from {name}_0 = 0)")
        self.busy.append(name)
        outer, self.eq = self.eq, self.defs[name]
        value = self.node(self.eq.rhs)
        if name in self.lagged:           # a state: an operation of its own, never shared
            value = self.add(Op("copy", (value,), name=name, shape=self.shape(value)))
        self.sequences[name] = value
        self.eq = outer
        self.busy.pop()
        return self.sequences[name]

    def shape(self, i: int) -> tuple:
        return self.ops[i].shape

    def node(self, node) -> int:
        if isinstance(node, Num):
            return self.add(Op("const", value=node.value))
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Neg):
            a = self.node(node.arg)
            return self.add(Op("neg", (a,), shape=self.shape(a)))
        if isinstance(node, Transpose):
            a = self.node(node.arg)
            return self.add(Op("transpose", (a,), shape=transposed(self.shape(a))))
        if isinstance(node, BinOp):
            return self.binop(node)
        if isinstance(node, Power):
            return self.power(node)
        if isinstance(node, Call):
            return self.call(node)
        kind = type(node).__name__
        what = {"Deriv": "a derivative", "Reduce": "a sum or product over an index"}.get(
            kind, kind)
        self.fail(node, f"{what} has no place in a cell's equations")

    def name(self, node: Name) -> int:
        n, idx = node.name, node.index
        if idx is None:
            if n in self.params:
                return self.add(Op("param", name=n, shape=self.params[n]))
            if n in self.defs or n in ("x", "y"):
                self.fail(node, f"{n} is a sequence: write {n}[t] or {n}[t-1]")
            if n in FOREIGN_FUNCTIONS:
                self.fail(node, f"{n}() is not a function of the formula language; "
                                f"functions: {', '.join(CALLS)}")
            known = ", ".join(self.params) or "none"
            self.fail(node, f"unknown name {n!r}: not a declared parameter (parameters: "
                            f"{known}) nor a sequence")
        if idx not in (Idx.var("t"), Idx.var("t").shift(-1)):
            self.fail(node, f"{n}[{idx.text()}]: a cell reads its sequences at t or t-1 only")
        lag = 0 if idx == Idx.var("t") else 1
        if n in ("x", "y"):
            if lag:
                self.fail(node, f"{n}[t-1]: the cell reads {n} at step t only")
            if n == "y" and self.y_shape is None:
                self.fail(node, "y[t]: the model declares no target (add y = \"...\" under "
                                "[sequences])")
            return self.add(Op(n, shape=self.x_shape if n == "x" else self.y_shape))
        if n in self.params:
            self.fail(node, f"{n} is a parameter: it has no time index")
        if n not in self.defs:
            self.fail(node, f"unknown sequence {n}[t]: no equation defines it")
        if lag:
            if n not in self.states:
                self.states.append(n)
            return self.add(Op("prev", name=n, shape=self.state_shape(n)))
        return self.sequence(n)

    def state_shape(self, n: str) -> tuple:
        return self.shape_of_states

    def binop(self, node: BinOp) -> int:
        a, b = self.node(node.left), self.node(node.right)
        sa, sb = self.shape(a), self.shape(b)
        op = node.op
        if op == " ":
            op = "@" if sa and sb else "*"
        if op in ("+", "-"):
            if sa != sb and sa and sb:
                self.fail(node, f"{op} of {shape_text(sa)} and {shape_text(sb)}: the shapes "
                                f"differ")
            return self.add(Op("add" if op == "+" else "sub", (a, b), shape=sa or sb))
        if op == "*":
            if sa != sb and sa and sb:
                self.fail(node, f"* of {shape_text(sa)} and {shape_text(sb)}: elementwise "
                                f"needs equal shapes (or a scalar); a matrix product is @")
            return self.add(Op("mul", (a, b), shape=sa or sb))
        if op == "/":
            if sb and sa != sb:
                self.fail(node, f"/ by {shape_text(sb)}: divide by a scalar, or elementwise "
                                f"by the same shape")
            return self.add(Op("div", (a, b), shape=sa or sb))
        if op == "@":
            return self.add(Op("matmul", (a, b), shape=self.product(node, sa, sb)))
        self.fail(node, f"operator {op!r} has no place in a cell")

    def product(self, node, sa: tuple, sb: tuple) -> tuple:
        """Shapes as 2-D, a column (k,) being (k, 1) and a row (1, k): (a0, a1) @ (b0, b1)
        needs a1 = b0 and gives (a0, b1), then read back (1 x 1 is a scalar)."""
        if not sa or not sb:
            self.fail(node, "@ of a scalar: scale with * instead")
        (a0, a1), (b0, b1) = as2d(sa), as2d(sb)
        if a1 != b0:
            self.fail(node, f"@ of {shape_text(sa)} and {shape_text(sb)}: the inner sizes "
                            f"{a1} and {b0} differ")
        return from2d(a0, b1)

    def power(self, node: Power) -> int:
        a = self.node(node.base)
        if node.exp.terms:
            self.fail(node, f"^{node.exp.text()}: a power in a cell is a whole number")
        if self.shape(a):
            self.fail(node, f"^ of {shape_text(self.shape(a))}: write a square elementwise "
                            f"as v * v")
        return self.add(Op("power", (a,), value=Fraction(node.exp.const), shape=()))

    def call(self, node: Call) -> int:
        if node.func not in CALLS:
            self.fail(node, f"{node.func}() has no place in a cell; functions: "
                            f"{', '.join(CALLS)}")
        a = self.node(node.arg)
        s = self.shape(a)
        if node.func == "softmax" and len(s) != 1:
            self.fail(node, f"softmax of {shape_text(s)}: it takes a vector")
        if node.func == "diag":
            if len(s) != 1:
                self.fail(node, f"diag of {shape_text(s)}: it takes a vector")
            return self.add(Op("call", (a,), name="diag", shape=(s[0], s[0])))
        return self.add(Op("call", (a,), name=node.func, value=node.slope, shape=s))


def _first_pos(node) -> int:
    """Where a node starts in its equation: its own position, or its first operand's (an
    operation carries none; its left operand begins it)."""
    while node is not None:
        if getattr(node, "pos", None):
            return node.pos
        node = next((getattr(node, a) for a in ("left", "arg", "base", "body", "num")
                     if getattr(node, a, None) is not None), None)
    return 0


def as2d(s: tuple) -> tuple:
    """A shape as (rows, columns): a column (k,) is (k, 1), a scalar (1, 1)."""
    if not s:
        return (ROW, ROW)
    return (s[0], ROW) if len(s) == 1 else s


def from2d(r, c) -> tuple:
    """(rows, columns) read back: 1 x 1 a scalar, k x 1 a column."""
    if r == ROW and c == ROW:
        return ()
    if c == ROW:
        return (r,)
    return (r, c)


def transposed(s: tuple) -> tuple:
    if not s:
        return ()
    r, c = as2d(s)
    return from2d(c, r)


def _closure(ops: list[Op], roots, stop: set = frozenset()) -> set[int]:
    """The operations the roots need; the `stop` ones are reached but not looked into."""
    seen, todo = set(), list(roots)
    while todo:
        i = todo.pop()
        if i not in seen:
            seen.add(i)
            if i not in stop:
                todo.extend(ops[i].args)
    return seen


def needed(prog: Program, ids, known) -> list[int]:
    """The operations to evaluate for `ids`, operands first, not looking past what is
    `known` already (both interpreters evaluate by need)."""
    return sorted(i for i in _closure(list(prog.ops), ids, stop=set(known)) if i not in known)


def _names(node):
    """Every Name in a formula tree."""
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, Name):
            yield n
        todo.extend(children(n))


def compile_cell(params: dict, x_shape: tuple, y_shape: tuple | None, state_shape: tuple,
                 equations: tuple[Equation, ...], loss: Equation, mean: bool,
                 src: Source) -> Program:
    """The program of a cell: its equations, then its loss l[t] (a scalar)."""
    c = _Compiler(params, x_shape, y_shape, equations, src)
    c.shape_of_states = state_shape
    c.lagged = {n.name for eq in (*equations, loss) for n in _names(eq.rhs)
                if n.index == Idx.var("t").shift(-1)}
    for name in c.defs:
        c.sequence(name)
    if not c.states:
        first = next(iter(c.defs.values()), None)
        raise ModelError(f"{src.at(first) if first else src.file}: no equation reads a "
                         f"sequence at t-1 (e.g. h[t-1]): the model is not recurrent")
    for s in c.states:
        got = c.shape(c.sequences[s])
        if got != state_shape:
            raise ModelError(f"{src.at(c.defs[s])}: the state {s}[t] is {shape_text(got)}; "
                             f"a state is {shape_text(state_shape)}")
    if not isinstance(loss.lhs, Name) or loss.lhs.name != "l" or loss.lhs.index != Idx.var("t"):
        raise ModelError(f"{src.at(loss)}: the loss is written l[t] = ... (the loss of step "
                         f"t; L is their sum)")
    c.eq = loss
    for_loss = c.node(loss.rhs)
    if c.shape(for_loss):
        raise ModelError(f"{src.at(loss)}: the loss l[t] is {shape_text(c.shape(for_loss))}; "
                         f"it must be a scalar (e.g. (h[t] - y[t]).T @ (h[t] - y[t]) / 2)")
    state_ids = [c.sequences[s] for s in c.states]
    step = _closure(c.ops, state_ids)
    for i in step:
        if c.ops[i].kind == "y":
            raise ModelError(f"{src.at(c.defs[c.states[0]])}: the step reads y[t]; targets "
                             f"are for the loss and the outputs it reads")
    readout_roots = [i for n, i in c.sequences.items() if i not in step] + [for_loss]
    # what the loss needs, read back to the states at t (given) or to x, y, the parameters
    readout = _closure(c.ops, readout_roots, stop=set(state_ids)) - set(state_ids)
    lagged = [c.ops[i].name for i in readout if c.ops[i].kind == "prev"]
    if lagged:
        via = [n for n, i in c.sequences.items() if i in readout and i in step]
        what = f"{via[0]}[t], computed from {lagged[0]}[t-1]" if via else f"{lagged[0]}[t-1]"
        raise ModelError(f"{src.at(loss)}: the loss (or an output it reads) reads {what}; "
                         f"it may read the states at t, x[t], y[t] and the parameters")
    return Program(tuple(c.ops), tuple(sorted(step)), tuple(sorted(readout)),
                   dict(c.sequences), tuple(c.states), for_loss, mean)


def declared_unused(program: Program, params: dict) -> list[str]:
    used = {op.name for op in program.ops if op.kind == "param"}
    return [p for p in params if p not in used]


MAX_DEGREE = 64          # the degree in its inputs an expanded quantity may reach
_CAP = 10 ** 6           # degrees are capped here: 2^T would otherwise be a big integer
_ATOMS = ("tanh", "sigmoid", "exp", "log", "softmax")      # a new symbol of degree 1


def degree(program: Program, T: int) -> int:
    """The largest polynomial degree (in the parameters, inputs and activation atoms) any
    quantity reaches over T steps from h_0 = 0: what expanding the unrolled model costs.
    A linear cell grows by one a step, a squaring doubles (h*h: 2^T), a chain of 19
    squarings reaches 2^19 in one step; an activation is an atom of degree 1, its argument
    counted where it is made; a relu is its slope atom times its argument (s a), one more
    than the argument."""
    state = {name: 0 for name in program.states}
    worst = 0
    for _ in range(T):
        deg: dict = {}
        for i in (*program.step, *program.readout):
            deg[i] = _op_degree(program.ops[i], i, deg, state)
            worst = max(worst, deg[i])
        state = {name: deg.get(program.sequences[name], 0) for name in program.states}
    return worst


def _op_degree(op: Op, i: int, deg: dict, state: dict) -> int:
    args = [deg.get(a, 1) for a in op.args]
    kind = op.kind
    if kind in ("param", "x", "y"):
        return 1
    if kind == "prev":
        return state.get(op.name, 0)
    if kind == "const":
        return 0
    if kind in ("mul", "div", "matmul"):
        return min(_CAP, sum(args))
    if kind == "power":
        return min(_CAP, abs(int(op.value or 1)) * (args[0] if args else 1))
    if kind == "call" and op.name in _ATOMS:
        return 1
    if kind == "call" and op.name in RELUS:         # s a: the slope atom times a
        return min(_CAP, 1 + max(args, default=0))
    return max(args, default=0)
