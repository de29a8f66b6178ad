"""The formula language's tree: plain frozen data, printable back to ASCII.

Both the ASCII core and the LaTeX subset parse to these nodes (DESIGN.md, "Formula
language"). Nothing here knows a model: names are resolved when a claim is bound to one
(check/claim.py). Positions (`pos`, a 0-based column) are for error messages only and
never take part in equality, so an edited tree compares by structure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

# binding strength, for printing with the fewest parentheses
_ADD, _MUL, _NEG, _POST = 1, 2, 3, 4


@dataclass(frozen=True)
class Idx:
    """A time index: an integer plus integer multiples of index variables (t + 1, T - i)."""
    terms: tuple[tuple[str, int], ...] = ()
    const: int = 0

    @staticmethod
    def var(name: str) -> Idx:
        return Idx(((name, 1),), 0)

    @staticmethod
    def of(n: int) -> Idx:
        return Idx((), n)

    def __add__(self, other: Idx) -> Idx:
        coef = dict(self.terms)
        for v, c in other.terms:
            coef[v] = coef.get(v, 0) + c
        return Idx(tuple(sorted((v, c) for v, c in coef.items() if c)), self.const + other.const)

    def __neg__(self) -> Idx:
        return Idx(tuple((v, -c) for v, c in self.terms), -self.const)

    def shift(self, k: int) -> Idx:
        return Idx(self.terms, self.const + k)

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.terms)

    def value(self, env: dict[str, int]) -> int:
        """The index at the given variable values (KeyError names an unbound variable)."""
        return self.const + sum(c * env[v] for v, c in self.terms)

    def text(self) -> str:
        out = ""
        # T first, then the others in order, then the constant: T-i+t, t+1
        for v, c in sorted(self.terms, key=lambda vc: (vc[0] != "T", vc[0])):
            mag = "" if abs(c) == 1 else f"{abs(c)}*"
            out += ("-" if c < 0 else ("+" if out else "")) + mag + v
        if self.const or not out:
            out += (f"+{self.const}" if self.const > 0 and out else str(self.const))
        return out


@dataclass(frozen=True)
class Num:
    value: Fraction


@dataclass(frozen=True)
class Name:
    """A parameter, a model sequence (h[t]), a user definition, an index variable, or I."""
    name: str
    index: Idx | None = None
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Deriv:
    """d num / d den: dL/dW, dL/dh[t], dl[t]/dh[t], dh[t+1]/dh[t], df[t]/dw_h. Total: a
    perturbation of den recomputes everything computed from it. `held`: the quantities a
    partial keeps at their values, (dc[t]/dc[t-1] | h[t-1])."""
    num: Name
    den: Name
    pos: int = field(default=0, compare=False)
    held: tuple = ()


@dataclass(frozen=True)
class Neg:
    arg: object


@dataclass(frozen=True)
class BinOp:
    """op: '+', '-', '*' (scalar or elementwise), '@' (matrix product), '/' (by a scalar),
    ' ' (juxtaposition, LaTeX's product: matrix product, or scaling by a scalar)."""
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Transpose:
    arg: object


@dataclass(frozen=True)
class Power:
    """An integer power of a square matrix (or a scalar); the exponent is an index.
    `chain`: the exponents as written when no bracket closes the power (x^3^2: (3, 2)),
    so that a further ^ reads to the right (x^3^2 is x^(3^2), as in mathematics and
    Python); a parser's detail, never part of equality."""
    base: object
    exp: Idx
    chain: tuple = field(default=(), compare=False)


FUNCTIONS = ("tanh", "sigmoid", "exp", "log", "softmax", "phi", "phi_prime", "tanh_prime",
             "sigmoid_prime", "diag", "relu", "relu_prime", "leaky_relu")
# leaky_relu(a) is leaky_relu(a, 0.01), as PyTorch's default negative slope
LEAKY_SLOPE = Fraction(1, 100)
RELU_CONVENTION = "relu_prime(a) = 1[a > 0] elementwise: relu'(0) = 0, PyTorch's convention"


@dataclass(frozen=True)
class Call:
    """func(arg); `slope` is leaky_relu's exact slope for a < 0 (None for the others).
    relu'(0) = 0 (PyTorch's convention): relu_prime(a) is 1 where a > 0, else 0."""
    func: str
    arg: object
    slope: Fraction | None = None


@dataclass(frozen=True)
class Reduce:
    """sum(var=lo..hi, body) or prod(var=lo..hi, body). A matrix product runs from the
    highest index on the left to the lowest on the right; `ascending` flips that."""
    op: str                 # 'sum' | 'prod'
    var: str
    lo: Idx
    hi: Idx
    body: object
    ascending: bool = False


@dataclass(frozen=True)
class Equation:
    """lhs = rhs: a claim (lhs a derivative or a model quantity) or a definition."""
    lhs: object             # Deriv | Name
    rhs: object
    text: str = field(default="", compare=False)


# ---- printing ---------------------------------------------------------------------------

def _frac(q: Fraction) -> str:
    """An integer, or a decimal when it ends (0.5, as the grammar reads it); an edit's
    other fractions as p/q."""
    if q.denominator == 1:
        return str(q.numerator)
    den = q.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den == 1 and q > 0:
        digits = 0
        while (q * 10 ** digits).denominator != 1:
            digits += 1
        return f"{float(q):.{digits}f}"
    return f"{q.numerator}/{q.denominator}"


def number_text(q: Fraction) -> str:
    """A number as the grammar reads it back: 2, 0.01, 1/3."""
    return _frac(q)


def show(node, strength: int = 0) -> str:
    """The node as ASCII formula text (parsing it again gives the same tree)."""
    text, own = _show(node)
    return f"({text})" if own < strength else text


def _show(node) -> tuple[str, int]:
    if isinstance(node, Num):
        text = _frac(node.value)
        return text, (_POST if "/" not in text and node.value >= 0 else _MUL)
    if isinstance(node, Name):
        return node.name + (f"[{node.index.text()}]" if node.index is not None else ""), _POST
    if isinstance(node, Deriv):
        if node.held:
            held = ", ".join(show(h) for h in node.held)
            return f"(d{show(node.num)}/d{show(node.den)} | {held})", _POST
        return f"d{show(node.num)}/d{show(node.den)}", _POST
    if isinstance(node, Neg):
        return "-" + show(node.arg, _NEG), _NEG
    if isinstance(node, BinOp):
        if node.op in "+-":
            # a right operand of '-' that is itself a sum needs brackets
            return (f"{show(node.left, _ADD)} {node.op} "
                    f"{show(node.right, _ADD + (node.op == '-'))}"), _ADD
        if node.op == " ":          # a (-b), not a -b (which reads as a - b)
            return f"{show(node.left, _MUL)} {show(node.right, _POST)}", _MUL
        right = show(node.right, _MUL + 1)
        if node.op == "/" and right[:1] in ("d", "∂"):
            right = f"({right})"    # x / (delta[T]), not a derivative d.../d...
        return f"{show(node.left, _MUL)} {node.op} {right}", _MUL
    if isinstance(node, Transpose):
        return _postfix_base(node.arg) + ".T", _POST
    if isinstance(node, Power):
        e = node.exp.text()
        # (x^3)^2, not x^3^2, which reads as x^(3^2)
        base = f"({show(node.base)})" if isinstance(node.base, Power) else \
            _postfix_base(node.base)
        return base + ("^" + e if e.isdigit() else f"^({e})"), _POST
    if isinstance(node, Call):
        slope = f", {_frac(node.slope)}" if node.slope is not None else ""
        return f"{node.func}({show(node.arg)}{slope})", _POST
    if isinstance(node, Reduce):
        rng = f"{node.var}={node.lo.text()}..{node.hi.text()}"
        text = f"{node.op}({rng}, {show(node.body)})"
        return (text + " [ascending]" if node.ascending else text), _POST
    if isinstance(node, Equation):
        return f"{show(node.lhs)} = {show(node.rhs)}", 0
    raise TypeError(f"not a formula node: {node!r}")


def _postfix_base(node) -> str:
    """(dL/dh[t]).T, not dL/dh[t].T: the same tree, but read as a person would."""
    if isinstance(node, Deriv):         # a partial prints its own brackets
        return show(node) if node.held else f"({show(node)})"
    return show(node, _POST)


# ---- walking ------------------------------------------------------------------------------

def children(node) -> tuple:
    """The sub-formulas of a node, in order."""
    if isinstance(node, (Neg, Transpose, Call)):
        return (node.arg,)
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Power):
        return (node.base,)
    if isinstance(node, Reduce):
        return (node.body,)
    if isinstance(node, Equation):
        return (node.lhs, node.rhs)
    return ()


def rebuild(node, kids: tuple):
    """The node with its sub-formulas replaced (same kind, same other fields)."""
    if isinstance(node, (Neg, Transpose, Call)):
        return _replace(node, arg=kids[0])
    if isinstance(node, BinOp):
        return BinOp(node.op, kids[0], kids[1])
    if isinstance(node, Power):
        return Power(kids[0], node.exp)
    if isinstance(node, Reduce):
        return _replace(node, body=kids[0])
    if isinstance(node, Equation):
        return Equation(kids[0], kids[1], node.text)
    return node


def _replace(node, **changes):
    from dataclasses import replace
    return replace(node, **changes)


def names(node) -> list[Name]:
    """Every Name in the tree (derivatives' own names included), in order."""
    if isinstance(node, Name):
        return [node]
    if isinstance(node, Deriv):
        return [node.num, node.den, *node.held]
    return [n for kid in children(node) for n in names(kid)]
