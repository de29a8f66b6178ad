"""The derived equations as a standalone NumPy function: bptt(P, X, Y) -> (loss, grads).

Generated from the formulas derive proved (never from the engine's rules): the forward
pass from the cell's equations, then a backward loop from t = T down to 1 running the
base case (at T) or the recursion of each state, the adjoint of each named quantity and
the loss's part, each line with its formula as a comment above it, and every gradient
summed over t. A batch of B sequences runs at once: a column of the formulas is a (B, k)
array here (a row per sequence), so `M @ v` is `v @ M.T`, `diag(s) @ v` is `s * v` and a
gradient's `sum_t g_t h_{t-1}^T` is `g.T @ h[t-1]`, summed over the batch.
"""
from __future__ import annotations

from fractions import Fraction

from ..errors import SymbpttError
from ..formula.tree import (BinOp, Call, Deriv, Equation, Idx, Name, Neg, Num, Power,
                            Reduce, Transpose, show)
from .derivation import Formula
from .equations import CellEquations
from .rules import Shapes

ACTIVATION = {"tanh": ("np.tanh(a)", "1.0 - np.tanh(a) ** 2"),
              "sigmoid": ("1.0 / (1.0 + np.exp(-a))",
                          "1.0 / (1.0 + np.exp(-a)) * (1.0 - 1.0 / (1.0 + np.exp(-a)))"),
              "identity": ("a", "np.ones_like(a)")}


class CodegenError(SymbpttError):
    """A derivation the code generator does not cover (bad input: exit 2)."""


def _index(idx: Idx) -> str:
    if idx.terms == (("t", 1),):
        return "t" if not idx.const else f"t {'+' if idx.const > 0 else '-'} {abs(idx.const)}"
    if not idx.terms:
        return str(idx.const)
    if idx.terms == (("T", 1),):
        return "T" if not idx.const else f"T {'+' if idx.const > 0 else '-'} {abs(idx.const)}"
    raise CodegenError(f"derive --format numpy: no code for the index {idx.text()}")


RESERVED = {"np", "P", "X", "Y", "B", "T", "t", "size", "loss", "grads", "alpha"}


def _var(name: str) -> str:
    """A sequence's list in the generated code: its own name, unless Python or the code
    uses that name (a keyword, a builtin, np, loss, the adjoints' d_..., ...)."""
    import builtins
    import keyword
    if name in ("x", "y"):
        return name
    taken = (keyword.iskeyword(name) or keyword.issoftkeyword(name) or hasattr(builtins, name)
             or name in RESERVED or name.startswith(("d_", "dl_d", "_")))
    return f"seq_{name}" if taken else name


class _Shapes(Shapes):
    """Shapes, with the derivatives and slopes the formulas add to the equations."""

    def of(self, node) -> tuple:
        if isinstance(node, Deriv):
            if node.num.name in ("L", "l"):
                return super().of(node.den)
            raise CodegenError(f"derive --format numpy: no code for {show(node)}")
        return super().of(node)


class _Code:
    def __init__(self, ce: CellEquations):
        self.ce, self.sh = ce, ce.shapes
        self.shapes = _Shapes(ce.shapes.params, ce.shapes.sequences)

    def shape(self, node) -> tuple:
        return self.shapes.of(node)

    def gradient(self, node, scale: tuple = ()) -> str:
        """A matrix gradient's term: a sum of outer products g h.T, each scaled by numbers
        of its own sequence; the numbers go into g before the sum over the batch."""
        if isinstance(node, BinOp) and node.op in "+-":
            return f"({self.gradient(node.left, scale)} {node.op} " \
                f"{self.gradient(node.right, scale)})"
        if isinstance(node, Neg):
            return f"-({self.gradient(node.arg, scale)})"
        if isinstance(node, BinOp) and node.op == "/" and not self.shape(node.right):
            return self.gradient(node.left, scale + (("/", node.right),))
        if isinstance(node, BinOp) and node.op == "*" and not self.shape(node.left):
            return self.gradient(node.right, scale + (("*", node.left),))
        parts = self._chain(node)
        if isinstance(parts[-1], Transpose) and len(self.shape(parts[-1].arg)) == 1 \
                and len(parts) > 1:
            left = self._product(parts[:-1])
            for op, s in scale:
                left = f"({left} {op} {self.code(s)})"
            return f"({left}).T @ {self.code(parts[-1].arg)}"
        out = self.code(node)
        for op, s in scale:
            out = f"({out} {op} {self.code(s)})"
        return out

    def context(self):
        from .rules import Opaque
        return next((e.rhs for e in self.ce.equations if isinstance(e.rhs, Opaque)), None)

    def _chain(self, node) -> list:
        if isinstance(node, BinOp) and node.op == "@":
            return self._chain(node.left) + self._chain(node.right)
        if isinstance(node, Neg):              # -u.T @ v: the sign on the whole product
            inner = self._chain(node.arg)
            return [Num(Fraction(-1))] + inner
        return [node]

    def code(self, node) -> str:
        """A column (B, k) array, a per-sequence scalar (B,), or a parameter."""
        if isinstance(node, Num):
            v = node.value
            return repr(float(v)) if v.denominator != 1 else f"{v.numerator}.0"
        if isinstance(node, Name):
            if node.index is None:
                if node.name == "T":
                    return "T"
                return f'P["{node.name}"]'
            return f"{_var(node.name)}[{_index(node.index)}]"
        if isinstance(node, Deriv):
            if node.num.name == "L":
                return f"d_{node.den.name}[{_index(node.den.index)}]"
            if node.num.name == "l" and node.den.index is None and self.context() is not None:
                c = self.context()                                 # attention's dl[t]/dW_a
                return (f"_attend_back({_var(c.args[0].name)}[t], X[:, :t], alpha[t], "
                        f"P[\"{node.den.name}\"], d_c[t])[1]")
            if node.num.name == "l":
                return f"dl_d{node.den.name}"
            raise CodegenError(f"derive --format numpy: no code for {show(node)}")
        if isinstance(node, Neg):
            return f"-({self.code(node.arg)})"
        if isinstance(node, Power) and not node.exp.terms:
            return f"({self.code(node.base)}) ** {node.exp.const}"
        if isinstance(node, Transpose) and len(self.shape(node)) == 1:
            return self.code(node.arg)            # a row read back as a column: same rows
        if isinstance(node, Call):
            arg = self.code(node.arg)
            fn = {"tanh": "np.tanh", "sigmoid": "_sigmoid", "phi": "_phi",
                  "phi_prime": "_phi_prime", "tanh_prime": "_tanh_prime",
                  "sigmoid_prime": "_sigmoid_prime", "exp": "np.exp", "log": "np.log",
                  "softmax": "_softmax", "relu": "_relu", "relu_prime": "_relu_prime",
                  "leaky_relu": "_leaky_relu"}.get(node.func)
            if fn is None:
                raise CodegenError(f"derive --format numpy: no code for {node.func}()")
            if node.slope is not None:
                return f"{fn}({arg}, {float(node.slope)!r})"
            return f"{fn}({arg})"
        if isinstance(node, BinOp):
            if node.op == "@":
                return self._product(self._chain(node))
            a, b = self.code(node.left), self.code(node.right)
            if node.op in "+-":
                return f"({a} {node.op} {b})"
            if node.op == "*":
                return f"({a} * {b})"
            if node.op == "/":
                return f"({a} / {b})"
        raise CodegenError(f"derive --format numpy: no code for {show(node)}")

    def _product(self, parts: list) -> str:
        """A product of factors applied right to left to a column: M v -> v @ M.T,
        M.T v -> v @ M, diag(s) v -> s * v, u (u.T v) -> u * sum(u * v); ending in a row
        (g h.T, a gradient's term): g.T @ h, summed over the batch."""
        while len(parts) > 1 and isinstance(parts[-1], Call) and parts[-1].func == "diag" \
                and isinstance(parts[-2], Transpose) and len(self.shape(parts[-2].arg)) == 1:
            u, s = parts[-2].arg, parts[-1].arg           # u.T @ diag(s) = (u * s).T
            parts = parts[:-2] + [Transpose(BinOp("*", u, s))]
        last = parts[-1]
        if isinstance(last, Transpose) and len(self.shape(last.arg)) == 1:
            left = self._product(parts[:-1]) if len(parts) > 1 else None
            return f"({left}).T @ {self.code(last.arg)}"
        if isinstance(parts[0], Transpose) and not isinstance(parts[0].arg, Deriv) and \
                len(self.shape(parts[0].arg)) == 1 and \
                all(len(self.shape(f)) == 2 for f in parts[1:]):
            acc = self.code(parts[0].arg)                 # a row u.T M ...: a row a sequence
            for f in parts[1:]:
                if isinstance(f, Call) and f.func == "diag":
                    acc = f"({acc} * {self.code(f.arg)})"
                elif isinstance(f, Transpose):
                    acc = f"({acc} @ {self.code(f.arg)}.T)"
                else:
                    acc = f"({acc} @ {self.code(f)})"
            return acc
        acc = self.code(last)
        for f in reversed(parts[:-1]):
            if isinstance(f, Transpose) and isinstance(f.arg, Deriv) and self.context():
                c = self.context()                                  # (dc[t]/dh[t]).T g
                acc = (f"_attend_back({_var(c.args[0].name)}[t], X[:, :t], alpha[t], "
                       f"P[\"{c.args[1].name}\"], {acc})[0]")
            elif isinstance(f, Num):
                acc = f"({self.code(f)} * {acc})"
            elif isinstance(f, Call) and f.func == "diag":
                acc = f"({self.code(f.arg)} * {acc})"
            elif isinstance(f, Transpose) and len(self.shape(f.arg)) == 2:
                acc = f"({acc} @ {self.code(f.arg)})"
            elif isinstance(f, Transpose):                    # u.T v: one number a row
                acc = f"np.sum({self.code(f.arg)} * {acc}, axis=1, keepdims=True)"
            elif len(self.shape(f)) == 2:
                acc = f"({acc} @ {self.code(f)}.T)"
            elif len(self.shape(f)) == 1:                     # u (number a row)
                acc = f"({self.code(f)} * {acc})"
            else:
                acc = f"({self.code(f)} * {acc})"
        return acc


def _reads_now(node, names: set) -> set:
    """The adjoints (and dl[t]/d...) at index t the node reads."""
    from ..formula.tree import children
    found = set()
    if isinstance(node, Deriv):
        if node.num.name == "L" and node.den.index == Idx.var("t"):
            found.add(("L", node.den.name))
        if node.num.name == "l":
            found.add(("l", node.den.name))
        return found
    for k in children(node):
        found |= _reads_now(k, names)
    return found


def numpy_code(ce: CellEquations, formulas: tuple[Formula, ...], activation: str | None) -> str:
    """The source of a module with bptt(P, X, Y) -> (loss, grads)."""
    from .rules import Opaque
    context = [e for e in ce.equations if isinstance(e.rhs, Opaque) and e.rhs.every_k]
    if any(isinstance(e.rhs, Opaque) and not e.rhs.every_k for e in ce.equations):
        raise CodegenError(f"derive --format numpy covers cells written as equations of "
                           f"the formula language; not {ce.model} yet (its "
                           f"{'undefined functions' if ce.model == 'generic' else 'context'})")
    c = _Code(ce)
    act = activation or "tanh"
    phi, slope = ACTIVATION[act]
    state = ce.states[0]
    lines = [
        f'"""The BPTT of {ce.model}, generated by symbptt derive from the equations it '
        f'proved.',
        "",
        "bptt(P, X, Y): P maps each parameter to its array, X is (B, T, d), Y (B, T, k);",
        "returns the loss summed over the batch and every parameter's gradient.",
        '"""',
        "import numpy as np",
        "",
        "",
        "def _sigmoid(a):",
        "    return 1.0 / (1.0 + np.exp(-a))",
        "",
        "",
        "def _softmax(a):",
        "    e = np.exp(a - a.max(axis=1, keepdims=True))",
        "    return e / e.sum(axis=1, keepdims=True)",
        "",
        "",
        f"def _phi(a):                 # phi = {act}",
        f"    return {phi}",
        "",
        "",
        "def _phi_prime(a):",
        f"    return {slope}",
        "",
        "",
        "def _tanh_prime(a):",
        "    return 1.0 - np.tanh(a) ** 2",
        "",
        "",
        "def _sigmoid_prime(a):",
        "    s = _sigmoid(a)",
        "    return s * (1.0 - s)",
        "",
        "",
        *RELU,
        "def bptt(P, X, Y):",
        "    B, T, _ = X.shape",
        f"    size = {_size(ce, state)}",
        "    x = [None] + [X[:, k] for k in range(T)] + [None]",
        "    y = [None] * (T + 2) if Y is None else [None] + [Y[:, k] for k in range(T)] + [None]",
    ]
    for q in ce.defined:
        start = "[np.zeros((B, size))]" if q in ce.states else "[None]"
        lines.append(f"    {_var(q)} = {start} + [None] * (T + 1)")
    if context:
        lines[lines.index("def bptt(P, X, Y):"):lines.index("def bptt(P, X, Y):")] = ATTEND
        lines.append("    alpha = [None] * (T + 2)")
    lines += ["    loss = 0.0", "    for t in range(1, T + 1):"]
    for e in ce.equations:
        if isinstance(e.rhs, Opaque):
            lines += [f"        # {e.text}",
                      f"        {_var(e.lhs.name)}[t], alpha[t] = _attend({c.code(e.rhs.args[0])}, "
                      f"X[:, :t], P[\"{e.rhs.args[1].name}\"])"]
            continue
        lines += [f"        # {show(e)}", f"        {_var(e.lhs.name)}[t] = {c.code(e.rhs)}"]
    loss = c.code(ce.loss.rhs)
    lines += [f"        # {show(ce.loss)}", f"        loss += np.sum({loss})"]
    if ce.mean:
        lines.append("    loss /= T")
    for q in ce.defined:
        lines.append(f"    d_{q} = [None] * (T + 2)")
    for s in ce.states:
        lines.append(f"    d_{s}[T + 1] = np.zeros((B, size))")
    lines.append("    grads = {p: np.zeros_like(v) for p, v in P.items()}")
    lines.append("    for t in range(T, 0, -1):")
    per_t = [f for f in formulas if f.role in ("local loss", "adjoint", "recursion")]
    base = {f.equation.lhs.den.name: f for f in formulas if f.role == "base case"}
    order = _ordered(per_t)
    for f in order:
        lhs = f.equation.lhs
        target = f"dl_d{lhs.den.name}" if lhs.num.name == "l" else f"d_{lhs.den.name}[t]"
        if f.role == "recursion" and lhs.den.name in base:
            b = base[lhs.den.name]
            lines += ["        if t == T:", f"            # {b.text}",
                      f"            {target} = {c.code(_at_t(b.equation.rhs))}",
                      "        else:", f"            # {f.text}",
                      f"            {target} = {c.code(f.equation.rhs)}"]
        else:
            lines += [f"        # {f.text}", f"        {target} = {c.code(f.equation.rhs)}"]
    for f in formulas:
        if f.role != "gradient":
            continue
        p = f.equation.lhs.den.name
        body = f.equation.rhs.body if isinstance(f.equation.rhs, Reduce) else f.equation.rhs
        term = c.gradient(body) if len(ce.shapes.params[p]) == 2 else c.code(body)
        if len(ce.shapes.params[p]) == 1:
            term = f"np.sum({term}, axis=0)"
        elif not ce.shapes.params[p]:                   # a scalar: summed over the batch
            term = f"np.sum({term})"
        lines += [f"        # {f.text}", f'        grads["{p}"] += {term}']
    lines += ["    return loss, grads", ""]
    return "\n".join(lines)


RELU = [
    "def _relu(a):",
    "    return np.where(a > 0.0, a, 0.0)",
    "",
    "",
    "def _relu_prime(a):             # 1[a > 0]: relu'(0) = 0, PyTorch's convention",
    "    return np.where(a > 0.0, 1.0, 0.0)",
    "",
    "",
    "def _leaky_relu(a, slope):",
    "    return np.where(a > 0.0, a, slope * a)",
    "",
    "",
]


ATTEND = [
    "def _attend(h, xs, W_a):",
    "    \"\"\"attention's context: e_k = h.T W_a x_k, alpha = softmax(e), c = sum_k alpha_k x_k.\"\"\"",
    "    alpha = _softmax(np.einsum(\"bkd,bd->bk\", xs, h @ W_a))",
    "    return np.einsum(\"bk,bkd->bd\", alpha, xs), alpha",
    "",
    "",
    "def _attend_back(h, xs, alpha, W_a, g):",
    "    \"\"\"(dc/dh).T g and the context's part of dL/dW_a, for c's adjoint g.\"\"\"",
    "    s = np.einsum(\"bkd,bd->bk\", xs, g)",
    "    de = alpha * (s - np.sum(alpha * s, axis=1, keepdims=True))",
    "    z = np.einsum(\"bk,bkd->bd\", de, xs)         # sum_k dL/de_k x_k",
    "    return z @ W_a.T, h.T @ z",
    "",
    "",
]


def _at_t(node):
    """A base case's right side, written at T, read at t (the loop's t is T there)."""
    from .algebra import subst_tree
    return subst_tree(node, "T", Idx.var("t"))


def _size(ce: CellEquations, state: str) -> str:
    if not ce.shapes.sequences[state]:
        return "1                   # a scalar state: one column"
    for p, shape in ce.shapes.params.items():
        if len(shape) == 2 and shape[0] == "n":
            return f'P["{p}"].shape[0]'
    return f'P["{next(iter(ce.shapes.params))}"].shape[0]'


def _ordered(formulas: list[Formula]) -> list[Formula]:
    """Each line after the lines it reads at the same t."""
    made = {}
    for f in formulas:
        lhs = f.equation.lhs
        made[("l" if lhs.num.name == "l" else "L", lhs.den.name)] = f
    done, out = set(), []

    def visit(key, path=()):
        if key in done or key not in made:
            return
        if key in path:
            raise CodegenError("derive --format numpy: the adjoints of one step read each "
                               "other in a circle")
        for k in _reads_now(made[key].equation.rhs, set()):
            visit(k, path + (key,))
        done.add(key)
        out.append(made[key])
    for key in made:
        visit(key)
    return out


__all__ = ["numpy_code", "CodegenError", "Equation", "Fraction"]
