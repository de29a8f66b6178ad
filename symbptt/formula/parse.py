"""Parse formula text (ASCII core or LaTeX subset) into the tree of formula/tree.py.

Our own grammar (grammar.lark, LALR), never eval, sympify or parse_expr: user text is
only ever tokenised and reduced by the grammar's rules. Every failure, whatever the
input, is a FormulaError: a syntax error shows the column with a caret and what the
grammar expected there; a formula past a limit (length, nesting, digits, depth) says
which.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, \
    UnexpectedToken, VisitError

from ..errors import SymbpttError
from .tree import (LEAKY_SLOPE, BinOp, Call, Deriv, Equation, Idx, Name, Neg, Num, Power, Reduce,
                   Transpose, children, show)

MAX_LENGTH = 4000          # characters in one formula
MAX_DEPTH = 60             # nested brackets
MAX_DIGITS = 30            # digits in one number
MAX_TREE_DEPTH = 150       # operations inside one another (a + b + ... counts each +)
MAX_POWER = 10 ** 6        # a constant exponent made by a chain x^a^b
MAX_NESTED_SUMS = 4        # sums and products inside one another (the notes nest two)

GREEK = {"ell": "l", "varepsilon": "epsilon"}
LATEX_FUNCTIONS = {"\\tanh": "tanh", "\\sigma": "sigmoid", "\\phi": "phi", "\\varphi": "phi",
                   "\\exp": "exp", "\\log": "log"}
ALIASES = {"sigma": "sigmoid"}
_NAME = r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*"
_INDEX = r"(\[[^\[\]\n]*\]|_\{[^{}\n]*\})?"
_DERIV = re.compile(rf"([d∂])({_NAME}){_INDEX}[ \t]*/[ \t]*([d∂])({_NAME}){_INDEX}")

_READABLE = {
    "NAME": "a name", "NUMBER": "a number", "INT": "a whole number", "DERIV": "a derivative (dL/dW)",
    "GREEK": "a Greek letter", "FUNC": "a function (tanh, diag, ...)", "REDUCE": "sum or prod",
    "LFUNC": "a function (\\tanh, \\phi, ...)", "LSUM": "\\sum", "LPROD": "\\prod",
    "FRAC": "\\frac", "PARTIAL": "\\partial", "TOP": "\\top", "WRAP": "\\operatorname{...}",
    "ODOT": "\\odot", "CDOT": "\\cdot", "DOT_T": ".T", "RANGE": "..", "PRIME": "'",
    "LEFT_PAREN": "\\left(", "RIGHT_PAREN": "\\right)", "TRANSPOSE_SIGN": "ᵀ",
    "ACCENT": "\\hat{...}", "BAR": "\\right|", "LEFT_DOT": "\\left.", "VBAR": "'|'",
    "$END": "the end of the formula",
}


class FormulaError(SymbpttError):
    """Formula text that the grammar does not accept (or a tree it cannot build)."""

    def __init__(self, message: str, text: str = "", column: int | None = None) -> None:
        self.reason = message
        self.column = column
        self.text = text
        if column is not None and text and "\n" not in text:
            message = f"{message}\n  {text}\n  {' ' * column}^"
        super().__init__(message)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("symbptt.formula").joinpath("grammar.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", start=["equation", "expr", "iexpr"],
                maybe_placeholders=False)


_FIRST = ("NAME", "NUMBER", "INT", "LPAR", "MINUS", "PLUS", "RPAR", "RSQB", "COMMA", "EQUAL",
          "DERIV", "FUNC", "REDUCE", "$END")


def _describe(names) -> str:
    pats = {t.name: t.pattern for t in _parser().terminals}
    seen = []
    rank = {n: i for i, n in enumerate(_FIRST)}
    for n in sorted(names, key=lambda n: (rank.get(n, len(rank)), n)):
        text = _READABLE.get(n)
        if text is None:
            pat = pats.get(n)
            text = f"'{pat.value}'" if pat is not None and pat.type == "str" else n.lower()
        if text not in seen:
            seen.append(text)
    return ", ".join(seen[:10]) + (", ..." if len(seen) > 10 else "")


# 1e400, 2.5E-3: a digit run glued to e and digits, read otherwise as 1 times a name e400
_SCIENTIFIC = re.compile(r"(?<![A-Za-z_0-9.])[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+")


def _check_shape(text: str, what: str) -> None:
    if not isinstance(text, str):
        raise FormulaError(f"{what}: expected text, got {type(text).__name__}")
    if not text.strip():
        raise FormulaError(f"{what} is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"{what} is {len(text)} characters long (at most {MAX_LENGTH})")
    depth = 0
    for col, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth > MAX_DEPTH:
            raise FormulaError(f"{what} nests brackets deeper than {MAX_DEPTH}", text, col)
    for m in re.finditer(r"[0-9]{%d,}" % (MAX_DIGITS + 1), text):
        raise FormulaError(f"{what}: a number with more than {MAX_DIGITS} digits", text,
                           m.start())
    for m in _SCIENTIFIC.finditer(text):
        raise FormulaError(f"{what}: {m.group(0)!r} is not a number of the formula language "
                           "(no e-notation): write a fraction such as 1/1000, or put a space "
                           "or * between a number and a name", text, m.start())


def _error(e: UnexpectedInput, text: str, what: str) -> FormulaError:
    one_line = "\n" not in text
    if isinstance(e, UnexpectedCharacters):
        col = e.pos_in_stream
        return FormulaError(f"cannot read {what} at column {col + 1}: unexpected "
                            f"{text[col]!r}; expected {_describe(e.allowed)}",
                            text if one_line else "", col)
    if isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken)
                                        and e.token.type == "$END"):
        return FormulaError(f"{what} ends too early; expected {_describe(e.expected)}",
                            text if one_line else "", len(text.rstrip()))
    col = e.token.start_pos if getattr(e.token, "start_pos", None) is not None else 0
    return FormulaError(f"cannot read {what} at column {col + 1}: unexpected "
                        f"{str(e.token)!r}; expected {_describe(e.expected)}",
                        text if one_line else "", col)


def _depth(node) -> tuple[int, int]:
    """The depth of a formula tree, and how many sums and products nest at most in it,
    without recursion."""
    deepest, sums, stack = 0, 0, [(node, 1, 0)]
    while stack:
        n, d, r = stack.pop()
        r += isinstance(n, Reduce)
        deepest, sums = max(deepest, d), max(sums, r)
        stack.extend((kid, d + 1, r) for kid in children(n))
    return deepest, sums


def _parse(text: str, start: str, what: str, offset: int = 0):
    _check_shape(text, what)
    try:
        tree = _parser().parse(text, start=start)
        out = _Build(text, offset).transform(tree)
        depth, sums = _depth(out) if not isinstance(out, Idx) else (0, 0)
        if depth > MAX_TREE_DEPTH:
            raise FormulaError(f"{what} is too long a chain: more than {MAX_TREE_DEPTH} "
                               "operations inside one another (split it with definitions)")
        if sums > MAX_NESTED_SUMS:
            raise FormulaError(f"{what} nests {sums} sums or products inside one another "
                               f"(at most {MAX_NESTED_SUMS}: each one multiplies the terms "
                               "to evaluate)")
        return out
    except UnexpectedInput as e:
        raise _error(e, text, what) from None
    except VisitError as e:
        if isinstance(e.orig_exc, FormulaError):
            raise e.orig_exc from None
        raise FormulaError(f"cannot read {what}: {e.orig_exc}") from None
    except (LarkError, RecursionError) as e:
        raise FormulaError(f"cannot read {what}: {type(e).__name__}") from None


def parse_equation(text: str, what: str = "the formula") -> Equation:
    """'lhs = rhs' as an Equation (its text kept for messages)."""
    eq = _parse(text, "equation", what)
    return Equation(eq.lhs, eq.rhs, text.strip())


def parse_expression(text: str, what: str = "the expression"):
    return _parse(text, "expr", what)


def parse_index(text: str, what: str = "the index", offset: int = 0) -> Idx:
    return _parse(text, "iexpr", what, offset)


def _num(tok: Token) -> Fraction:
    return Fraction(str(tok))


@v_args(inline=True)
class _Build(Transformer_NonRecursive):
    """Lark's parse tree to formula/tree.py nodes."""

    def __init__(self, text: str, offset: int = 0) -> None:
        super().__init__()
        self.text = text
        self.offset = offset

    def _fail(self, message: str, tok: Token | None = None):
        col = (tok.start_pos or 0) if tok is not None else None
        raise FormulaError(message, self.text if col is not None else "", col)

    # ---- equations and operators ----------------------------------------------------------
    def equation(self, lhs, rhs):
        return Equation(lhs, rhs)

    def add(self, a, b):
        return BinOp("+", a, b)

    def sub(self, a, b):
        return BinOp("-", a, b)

    def mul(self, a, *rest):
        return BinOp("*", a, rest[-1])

    def matmul(self, a, b):
        return BinOp("@", a, b)

    def div(self, a, b):
        return BinOp("/", a, b)

    def juxt(self, a, *rest):
        return BinOp(" ", a, rest[-1])

    def neg(self, a):
        return Neg(a)

    def transpose(self, a, *_):
        return Transpose(a)

    def power_name(self, base, tok):
        if str(tok) == "T":
            return Transpose(base)
        return self._power(base, Idx.var(str(tok)), tok)

    def power_int(self, base, tok):
        return self._power(base, Idx.of(int(tok)), tok)

    def power_brace(self, base, exp):
        # LaTeX's W^{T} is a transpose; a power by T is written W^(T)
        return Transpose(base) if exp == Idx.var("T") else self._power(base, exp)

    def power_paren(self, base, exp):
        return self._power(base, exp)

    def _power(self, base, exp: Idx, tok: Token | None = None):
        """base^exp; ^ reads to the right, as in mathematics and Python: x^3^2 is
        x^(3^2) = x^9, never (x^3)^2 = x^6 (that needs its brackets)."""
        if not (isinstance(base, Power) and base.chain):
            return Power(base, exp, chain=(exp,))
        chain = base.chain + (exp,)
        written = "^".join(e.text() if e.text().isdigit() else f"({e.text()})" for e in chain)
        if any(e.terms for e in chain):
            self._fail(f"x^{written}: ^ reads to the right (x^a^b is x^(a^b)), and this "
                       "exponent is no index expression; write (x^a)^b or x^(a*b) as you "
                       "mean it", tok)
        value = chain[-1].const
        for e in reversed(chain[:-1]):
            value = _int_power(e.const, value)
            if value is None:
                self._fail(f"x^{written}: ^ reads to the right (x^a^b is x^(a^b)), and this "
                           f"exponent is not a whole number of at most {MAX_POWER}", tok)
        return Power(base.base, Idx.of(value), chain=chain)

    def group(self, inner):
        # brackets end a power chain: (x^3)^2 is x^6
        return replace(inner, chain=()) if isinstance(inner, Power) else inner

    def paren(self, _left, inner, _right):
        return self.group(inner)

    def number(self, tok):
        return Num(_num(tok))

    def frac(self, _tok, a, b):
        if isinstance(a, Name) and isinstance(b, Name) and len(a.name) > 1 \
                and len(b.name) > 1 and a.name[0] == "d" and b.name[0] == "d":
            return Deriv(_strip_d(a), _strip_d(b), a.pos)      # \frac{dL}{dW}
        return BinOp("/", a, b)

    # ---- names ----------------------------------------------------------------------------
    def plain_name(self, tok, index=None):
        return Name(str(tok), index, self.offset + tok.start_pos)

    def greek_name(self, tok, index=None):
        word = str(tok)[1:]
        return Name(GREEK.get(word, word), index, self.offset + tok.start_pos)

    def wrapped_name(self, _wrap, tok, index=None):
        return Name(str(tok), index, self.offset + tok.start_pos)

    def accent_name(self, accent, tok, index=None):
        # \hat{y} is yhat, \tilde{h} is htilde: the zoo's names
        mark = "hat" if "hat" in str(accent) else "tilde"
        return Name(str(tok) + mark, index, self.offset + tok.start_pos)

    def dname(self, name):
        return name

    def bracket_index(self, idx):
        return idx

    def sub_index(self, idx):
        if isinstance(idx, Token):
            return Idx.of(int(idx)) if idx.type == "INT" else Idx.var(str(idx))
        return idx

    # ---- calls and reductions -------------------------------------------------------------
    def call(self, tok, *rest):
        prime = any(isinstance(r, Token) and r.type == "PRIME" for r in rest)
        arg = [r for r in rest if not isinstance(r, Token)][-1]
        func = LATEX_FUNCTIONS.get(str(tok), ALIASES.get(str(tok), str(tok)))
        if prime:
            if func not in ("phi", "tanh", "sigmoid", "relu"):
                self._fail(f"only phi, tanh, sigmoid and relu have a derivative written "
                           f"with ' (got {tok}')", tok)
            func = f"{func}_prime"
        return Call(func, arg, LEAKY_SLOPE if func == "leaky_relu" else None)

    def call_two(self, tok, arg, slope):
        """leaky_relu(a, 0.01): the one function with a second argument, its slope for
        a < 0, a number (0.01, 1/100) between 0 and 1, kept exact."""
        if str(tok) != "leaky_relu":
            self._fail(f"{tok}() takes one argument (leaky_relu(a, slope) is the one with "
                       f"two)", tok)
        value = _constant(slope)
        if value is None:
            self._fail(f"leaky_relu's slope is a number such as 0.01 or 1/100, not "
                       f"{show(slope)}", tok)
        if not 0 < value < 1:
            self._fail(f"leaky_relu's slope is a number between 0 and 1 (got "
                       f"{show(slope)}; relu(a) is slope 0)", tok)
        return Call("leaky_relu", arg, value)

    def wrapped_call(self, _wrap, tok, *rest):
        return self.call(tok, *rest)           # \operatorname{diag}(v), \mathrm{tanh}(a)

    def reduce_range(self, op, var, lo, _range, hi, body):
        return Reduce(str(op), str(var), lo, hi, body)

    def reduce_all(self, op, var, body):
        return Reduce(str(op), str(var), Idx.of(1), Idx.var("T"), body)

    def latex_range(self, op, var, lo, hi, body):
        return Reduce(_reduce_op(op), str(var), lo, hi, body)

    def latex_all(self, op, var, body):
        return Reduce(_reduce_op(op), str(var), Idx.of(1), Idx.var("T"), body)

    def bound_int(self, tok):
        return Idx.of(int(tok))

    def bound_name(self, tok):
        return Idx.var(str(tok))

    def bound(self, idx):
        return idx

    # ---- derivatives ----------------------------------------------------------------------
    def deriv_ascii(self, tok):
        m = _DERIV.fullmatch(str(tok))
        base = self.offset + tok.start_pos
        num = self._deriv_name(m, 2, 3, base)
        den = self._deriv_name(m, 5, 6, base)
        return Deriv(num, den, base)

    def _deriv_name(self, m, g_name: int, g_index: int, base: int) -> Name:
        index = None
        if m.group(g_index):
            start = base + m.start(g_index) + 1
            inner = m.group(g_index)[2:-1] if m.group(g_index)[0] == "_" else \
                m.group(g_index)[1:-1]
            start += m.group(g_index)[0] == "_"
            try:
                index = parse_index(inner, "the index", start)
            except FormulaError as e:
                col = start + (e.column or 0)
                raise FormulaError(e.reason.replace("column", "index column"),
                                   self.text, col) from None
        return Name(m.group(g_name), index, base + m.start(g_name))

    def deriv_latex(self, *parts):
        num, den = [p for p in parts if isinstance(p, Name)]
        return Deriv(num, den, num.pos)

    def held(self, *names):
        return tuple(names)

    def partial_ascii(self, tok, held):
        return replace(self.deriv_ascii(tok), held=held)

    def partial_latex(self, *parts):
        num, den = [p for p in parts if isinstance(p, Name)]
        return Deriv(num, den, num.pos, parts[-1])

    # ---- index expressions ----------------------------------------------------------------
    def iadd(self, a, b):
        return a + b

    def isub(self, a, b):
        return a + (-b)

    def ineg(self, a):
        return -a

    def iint(self, tok):
        return Idx.of(int(tok))

    def ivar(self, tok):
        return Idx.var(str(tok))

    def iscaled(self, k, tok):
        return Idx.of(0) + Idx(((str(tok), int(k)),), 0)


def _int_power(base: int, exp: int) -> int | None:
    """base^exp when it is a whole number no bigger than MAX_POWER, else None."""
    if exp < 0:
        return base ** exp if abs(base) == 1 else None
    if abs(base) > 1 and exp * math.log2(abs(base)) > math.log2(MAX_POWER):
        return None
    value = base ** exp
    return value if abs(value) <= MAX_POWER else None


def _constant(node) -> Fraction | None:
    """A number written as a number or a fraction of two (0.01, 1/100), else None."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg):
        inner = _constant(node.arg)
        return None if inner is None else -inner
    if isinstance(node, BinOp) and node.op == "/" and isinstance(node.left, Num) \
            and isinstance(node.right, Num) and node.right.value != 0:
        return node.left.value / node.right.value
    return None


def _strip_d(name: Name) -> Name:
    return Name(name.name[1:], name.index, name.pos + 1)


def _reduce_op(tok: Token) -> str:
    return "sum" if str(tok) in ("\\sum", "∑", "Σ") else "prod"
