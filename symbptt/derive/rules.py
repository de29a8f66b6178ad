"""Reverse mode at the level of vectors and matrices: one rule a kind of operation.

back(node, G) hands the adjoint G of a formula tree's value down to its leaves:

    y = A @ B           dA += G B^T,  dB += A^T G        (diag(v) @ B: dB += diag(v) G)
    y = A + B, A - B    dA += G,      dB += +-G
    y = s * v           dv += s G,    ds += v^T G        (s a scalar)
    y = u * v           du += diag(v) G, dv += diag(u) G (elementwise)
    y = a / s           da += G / s                      (s a scalar)
    y = tanh(a)         da += diag(1 - y * y) G          (y the named output, else tanh'(a))
    y = sigmoid(a)      da += diag(y * (1 - y)) G
    y = phi(a)          da += diag(phi'(a)) G            (elman's activation)
    y = relu(a)         da += diag(relu'(a)) G           (relu'(a) = 1[a > 0], relu'(0) = 0)
    y = leaky_relu(a, l)  da += diag(l + (1 - l) relu'(a)) G
    y = exp(a), log(a)  da += diag(y) G, da += diag(1 / a) G
    y = softmax(o)      do += diag(y) G - y (y^T G)
    y = A.T, -A         dA += G^T, dA += -G

The leaves are parameters and sequences at a time index (h[t-1], x[t], a[t]); what they
receive is collected per leaf. A node's shape is () a scalar, (k,) a column, ("1", k) a
row (a transposed column), (r, c) a matrix, with k, r, c among the size symbols n, d, q.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import SymbpttError
from ..formula.tree import BinOp, Call, Idx, Name, Neg, Num, Power, Transpose, show
from ..model.program import ROW, as2d, from2d, transposed
from . import algebra as al



class DeriveError(SymbpttError):
    """An equation derive has no rule for (bad input: exit 2)."""


@dataclass(frozen=True)
class Opaque:
    """A function the cell leaves undefined (generic's f, g and l) or does not write out
    (attention's context c[t]): its value is name[t], and its partial by an argument is
    the derivative d name[t]/d arg, with `held` kept fixed (attention's c[t] by x[k],
    h[t] held). `shape`: the value's."""
    name: str
    args: tuple                 # Name nodes: x[t], h[t-1], w_h
    shape: tuple = ()
    held: tuple = ()
    # attention's context: it reads x[k] for every k <= t (its partials by x[k] hold h[t]),
    # and only the step's loss reads it, so a matrix parameter it alone reads (W_a) has
    # the gradient sum_t dl[t]/dW_a (the language has no 3-index partial dc[t]/dW_a)
    every_k: tuple = ()
    loss_only: bool = False


class Shapes:
    """The shape of every tree of a cell's equations: parameters and sequences as
    declared, a sequence defined by an equation as its right side."""

    def __init__(self, params: dict, sequences: dict):
        self.params, self.sequences = dict(params), dict(sequences)

    def of(self, node) -> tuple:
        if isinstance(node, Num):
            return ()
        if isinstance(node, Opaque):
            return node.shape
        if isinstance(node, Name):
            if node.index is None:
                if node.name in ("T", "I"):
                    return ()
                return self.params[node.name]
            return self.sequences[node.name]
        if isinstance(node, (Neg, Call)):
            s = self.of(node.arg)
            return (s[0], s[0]) if isinstance(node, Call) and node.func == "diag" else s
        if isinstance(node, Transpose):
            return transposed(self.of(node.arg))
        if isinstance(node, Power):
            return self.of(node.base)
        if isinstance(node, BinOp):
            a, b = self.of(node.left), self.of(node.right)
            if self._matmul(node, a, b):
                (a0, _), (_, b1) = as2d(a), as2d(b)
                return from2d(a0, b1)
            return a or b
        raise DeriveError(f"derive has no rule for {show(node)}")

    def _matmul(self, node: BinOp, a: tuple, b: tuple) -> bool:
        return node.op == "@" or (node.op == " " and bool(a) and bool(b))

    def expr(self, node) -> al.Expr:
        """A forward tree as an expression (sums and products opened, transposes pushed
        to the leaves), for the factors a rule multiplies by."""
        if isinstance(node, Num):
            return al.number(node.value)
        if isinstance(node, Neg):
            return al.neg(self.expr(node.arg))
        if isinstance(node, Transpose):
            return al.transpose(self.expr(node.arg))
        if isinstance(node, BinOp):
            a, b = self.of(node.left), self.of(node.right)
            if node.op in "+-":
                if bool(a) != bool(b):          # 1 - y[t]: a number is a vector of ones
                    return al.of(node, a or b)
                right = self.expr(node.right)
                return al.add(self.expr(node.left), right if node.op == "+" else al.neg(right))
            if self._matmul(node, a, b):
                if isinstance(node.left, Call) and node.left.func == "diag":
                    return al.matmul(al.diag(node.left.arg), self.expr(node.right))
                return al.matmul(self.expr(node.left), self.expr(node.right))
            if node.op in ("*", " ") and (not a or not b):
                return al.times_scalar(self.expr(node.right if not a else node.left),
                                       self.expr(node.left if not a else node.right))
            if node.op == "*":                     # elementwise: diag(left) @ right
                return al.matmul(al.diag(node.left), self.expr(node.right))
            if node.op == "/" and not b:
                if isinstance(node.right, Num):
                    return al.scale(self.expr(node.left), 1 / node.right.value)
                return al.over(self.expr(node.left), node.right)
        return al.of(node, self.of(node))


def _slope(call: Call, out):
    """The elementwise derivative of call (its value `out`, a name when the equation
    names it) as a tree: 1 - h * h for tanh, f * (1 - f) for sigmoid."""
    one = Num(Fraction(1))
    named = isinstance(out, Name)
    if call.func == "tanh":
        return BinOp("-", one, BinOp("*", out, out)) if named else Call("tanh_prime", call.arg)
    if call.func == "sigmoid":
        return BinOp("*", out, BinOp("-", one, out)) if named else \
            Call("sigmoid_prime", call.arg)
    if call.func == "phi":
        return Call("phi_prime", call.arg)
    if call.func == "exp":
        return out
    if call.func == "relu":                         # 1[a > 0], relu'(0) = 0
        return Call("relu_prime", call.arg)
    if call.func == "leaky_relu":                   # l + (1 - l) 1[a > 0]
        return BinOp("+", Num(call.slope), BinOp("*", Num(1 - call.slope),
                                                 Call("relu_prime", call.arg)))
    raise DeriveError(f"derive has no rule for {call.func}()")


def back(shapes: Shapes, node, G: al.Expr, out: dict, value=None) -> None:
    """Add to out[leaf] what the leaf receives when node's adjoint is G. `value`: the
    name the equation gives the node's value (h[t] for the right side of h[t] = ...)."""
    if not G:
        return
    if isinstance(node, Num):
        return
    if isinstance(node, Name):
        if node.index is None and node.name in ("T", "I"):
            return
        key = show(node)
        out[key] = (node, al.add(out[key][1], G) if key in out else G)
        return
    if isinstance(node, Neg):
        return back(shapes, node.arg, al.neg(G), out)
    if isinstance(node, Transpose):
        return back(shapes, node.arg, al.transpose(G), out)
    if isinstance(node, Call):
        return _back_call(shapes, node, G, out, value)
    if isinstance(node, Opaque):
        return _back_opaque(shapes, node, G, out)
    if isinstance(node, Power):
        k = node.exp.const
        if node.exp.terms or shapes.of(node.base):
            raise DeriveError(f"derive has no rule for {show(node)}")
        base = shapes.expr(node.base)
        rest = al.number(Fraction(1))
        for _ in range(k - 1):
            rest = al.matmul(rest, base)
        return back(shapes, node.base, al.scale(al.times_scalar(G, rest), Fraction(k)), out)
    if isinstance(node, BinOp):
        return _back_binop(shapes, node, G, out)
    raise DeriveError(f"derive has no rule for {show(node)}")


def _back_binop(shapes: Shapes, node: BinOp, G: al.Expr, out: dict) -> None:
    l, r = node.left, node.right
    a, b = shapes.of(l), shapes.of(r)
    if node.op in "+-":
        if bool(a) != bool(b) and not isinstance(l if not a else r, Num):
            raise DeriveError(f"derive has no rule for a scalar added to a vector: {show(node)}")
        back(shapes, l, G, out)
        back(shapes, r, G if node.op == "+" else al.neg(G), out)
        return
    if shapes._matmul(node, a, b):
        if isinstance(l, Call) and l.func == "diag":        # diag(v) @ B = v * B
            back(shapes, r, al.matmul(al.diag(l.arg), G), out)
            if len(b) == 1:
                back(shapes, l.arg, al.matmul(al.diag(r), G), out)
            return
        back(shapes, l, al.matmul(G, al.transpose(shapes.expr(r))), out)
        back(shapes, r, al.matmul(al.transpose(shapes.expr(l)), G), out)
        return
    if node.op in ("*", " "):
        if not a or not b:                                   # a scalar times anything
            s, v = (l, r) if not a else (r, l)
            back(shapes, v, al.times_scalar(G, shapes.expr(s)), out)
            if isinstance(s, Num):
                return
            sv = shapes.of(v)
            if not sv:
                back(shapes, s, al.times_scalar(G, shapes.expr(v)), out)
            elif len(sv) == 1:                               # ds = v^T G
                back(shapes, s, al.matmul(al.transpose(shapes.expr(v)), G), out)
            else:
                _no_rule(node)
            return
        back(shapes, l, al.matmul(al.diag(r), G), out)
        back(shapes, r, al.matmul(al.diag(l), G), out)
        return
    if node.op == "/":
        if b:
            if isinstance(l, Num) or not a:
                _no_rule(node)
            back(shapes, l, al.matmul(al.diag(r, inverse=True), G), out)
            if not isinstance(r, Num):
                _no_rule(node)
            return
        if isinstance(r, Num):
            back(shapes, l, al.scale(G, 1 / r.value), out)
            return
        back(shapes, l, al.over(G, r), out)
        if not (isinstance(r, Name) and r.index is None and r.name == "T"):
            # d(l / r) / dr = -l / r^2: r receives -(l^T G) / r^2
            la = shapes.expr(l)
            Gr = al.matmul(al.transpose(la), G) if a else al.times_scalar(G, la)
            back(shapes, r, al.neg(al.over(al.over(Gr, r), r)), out)
        return
    _no_rule(node)


def _no_rule(node):
    raise DeriveError(f"derive has no rule for {show(node)}")


def _back_call(shapes: Shapes, node: Call, G: al.Expr, out: dict, value) -> None:
    y = value if value is not None else node
    if node.func == "softmax":
        p = shapes.expr(y)
        back(shapes, node.arg, al.add(al.matmul(al.diag(y), G),
                                      al.neg(al.matmul(p, al.matmul(al.transpose(p), G)))), out)
        return
    if node.func == "log":
        back(shapes, node.arg, al.matmul(al.diag(node.arg, inverse=True), G), out)
        return
    if node.func == "diag":
        _no_rule(node)
    if not shapes.of(node.arg):                             # a scalar function
        back(shapes, node.arg, al.times_scalar(G, al.of(_slope(node, y), ())), out)
        return
    back(shapes, node.arg, al.matmul(al.diag(_slope(node, y)), G), out)


def partial(node: Opaque, arg: Name):
    """d name[t]/d arg, a partial when something is held."""
    from ..formula.tree import Deriv
    return Deriv(Name(node.name, Idx.var("t")), arg, held=node.held)


def _back_opaque(shapes: Shapes, node: Opaque, G: al.Expr, out: dict) -> None:
    from ..formula.tree import Deriv
    for arg in node.args:
        if arg.name == "y":                     # a target: nothing flows back
            continue
        sa = shapes.of(arg)
        if len(sa) == 2 and arg.index is None:
            if not node.loss_only:
                _no_rule(arg)
            back(shapes, arg, al.of(Deriv(Name("l", Idx.var("t")), arg), sa), out)
            continue
        if not node.shape and not sa:
            back(shapes, arg, al.times_scalar(G, al.of(partial(node, arg), ())), out)
            continue
        J = al.of(partial(node, arg), (node.shape[0] if node.shape else ROW,
                                       sa[0] if sa else ROW))
        back(shapes, arg, al.matmul(al.transpose(J), G), out)


def adjoint(name: str, index: Idx, shape: tuple) -> al.Expr:
    """dL/dname[index] as an expression of one factor."""
    from ..formula.tree import Deriv
    return al.of(Deriv(Name("L"), Name(name, index)), shape)
