"""Notation for documents: symbol names as LaTeX, expressions printed and broken into lines.

Every formula a document shows is printed here from a SymPy expression the code built (and
proved); only the zoo's own equation strings (our text, never a user's) are translated
token by token.
"""
from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from ..formula.latex import name_latex

GREEK = {"alpha": r"\alpha", "sigma": r"\sigma", "phi": r"\varphi", "delta": r"\delta",
         "tau": r"\tau", "rho": r"\rho"}
TILDE = {"htilde": r"\tilde{h}", "ctilde": r"\tilde{c}", "ntilde": r"\tilde{n}",
         "yhat": r"\hat{y}", "tanh_c": r"(\tanh c)", "query": "u",
         "hn": r"\nu", "phi": r"\varphi(a)"}
_ENTRY = re.compile(r"^(?P<base>[A-Za-z]+\d*(?:_[A-Za-z0-9]+)*?)(?:_(?P<t>\d+|t(?:[-+]1)?))?"
                    r"(?:\[(?P<idx>[0-9,]+)\])?$")


def base_latex(base: str) -> str:
    """W_hh -> W_{hh}, alpha -> \\alpha, htilde -> \\tilde{h}, g_r -> g_{r}; a model file's
    names as its equations print them (formula.latex): W1 -> W^{(1)}, gate -> \\mathrm{gate}."""
    if base in TILDE:
        return TILDE[base]
    if base.startswith("delta_"):          # the adjoint of one state: delta^c
        return rf"\delta^{{{base_latex(base[len('delta_'):])}}}"
    head, _, sub = base.partition("_")
    head = GREEK.get(head) or name_latex(head)
    return f"{head}_{{{sub}}}" if sub else head


def symbol_latex(name: str) -> str:
    """A symbol's name as LaTeX with 1-based indices: "W[0,1]" -> W_{12}, "x_2[0]" ->
    x_{2,1}, "h_1" -> h_{1}, "W_hh" -> W_{hh}, "W_hy[0,0]" -> (W_{hy})_{11}."""
    m = _ENTRY.match(name)
    if not m:
        return name.replace("_", r"\_")
    base, t, idx = m.group("base"), m.group("t"), m.group("idx")
    text = base_latex(base)
    parts = [t] if t else []
    if idx:
        nums = [str(int(i) + 1) for i in idx.split(",")]
        parts.append(("," if any(len(k) > 1 for k in nums) else "").join(nums))
    if not parts:
        return text
    if "_" in text:
        text = f"({text})"
    return f"{text}_{{{','.join(parts)}}}"


def _expr(value: Any) -> Any:
    """A SymPy object for a plain Python number (never text)."""
    if isinstance(value, int):
        return sp.Integer(value)
    return sp.Float(value) if isinstance(value, float) else value


def names_for(expr: Any) -> dict:
    return {s: symbol_latex(s.name) for s in expr.free_symbols if isinstance(s, sp.Symbol)}


# the arguments of generic's undefined functions (seeds 002, 003): h_t = f(x_t, h_{t-1}, w_h),
# o_t = g(h_t, w_o), l(y_t, o_t); a partial prints by the argument's name, as the notes do
ARGUMENTS = {"f": ("x", "h", "w_h"), "g": ("h", "w_o"), "l": ("y", "o")}


class _Printer(LatexPrinter):
    """SymPy's printer with two changes: exp is \\exp(...), never e^{...} (e is attention's
    score), and the partial of an undefined function by one of its arguments is
    df/dh (x_2, h_1, w_h), never d/dh_1 f(x_2, h_1, w_h) or a Subs with a dummy."""

    def _print_exp(self, expr, exp=None):
        out = rf"\exp\left({self._print(expr.args[0])}\right)"
        return rf"{out}^{{{exp}}}" if exp else out

    def _print_Derivative(self, expr):
        f, counts = expr.expr, expr.variable_count
        if isinstance(f, AppliedUndef) and len(counts) == 1 and counts[0][1] == 1 \
                and list(f.args).count(counts[0][0]) == 1:
            k = list(f.args).index(counts[0][0])
            names = ARGUMENTS.get(f.func.__name__, ())
            by = symbol_latex(names[k]) if k < len(names) else f"u_{{{k + 1}}}"
            args = ", ".join(self._print(a) for a in f.args)
            return rf"\frac{{\partial {f.func.__name__}}}{{\partial {by}}}\left({args}\right)"
        return super()._print_Derivative(expr)


def latex(expr: Any) -> str:
    """One expression as LaTeX, its symbols in the documents' notation (see _Printer)."""
    expr = _expr(expr)
    return _Printer({"symbol_names": names_for(expr), "mul_symbol": None,
                     "fold_short_frac": True}).doprint(expr)


def width(tex: str) -> int:
    """Rough printed width of a LaTeX string (characters, commands counted as one)."""
    text = re.sub(r"\\(left|right|operatorname|mathrm|tilde|frac|tfrac)", "", tex)
    text = re.sub(r"\\[A-Za-z]+", "x", text)
    text = re.sub(r"[{}_^]", "", text)
    return len(text)


def _signed(tex: str, first: bool) -> str:
    if first:
        return tex
    return f"- {tex[1:].lstrip()}" if tex.startswith("-") else f"+ {tex}"


def _pieces(expr: Any, limit: int, first: bool = True) -> list[str]:
    """expr as LaTeX pieces that may each start a new line: the terms of a sum, and a term
    too wide for a line broken in its own structure (see _wide)."""
    terms = sp.Add.make_args(expr) if isinstance(expr, sp.Add) else (expr,)
    out: list[str] = []
    for k, term in enumerate(terms):
        tex = latex(term)
        lead = first and k == 0
        out.extend([_signed(tex, lead)] if width(tex) <= limit else _wide(term, limit, lead))
    return out


def _bracketed(inner: list[str], opening: str) -> list[str]:
    if len(inner) == 1:
        return [rf"{opening}\Big( {inner[0]} \Big)"]
    return [rf"{opening}\Big( {inner[0]}", *inner[1:-1], rf"{inner[-1]} \Big)"]


def _wide(term: Any, limit: int, lead: bool) -> list[str]:
    """A term too wide for a line as pieces, never expanded (a reader keeps its factors): a
    function of a long sum opens its bracket on one piece and closes it on the last; a
    product breaks between its factors (each new factor opens with a dot), a wide factor
    in turn inside itself."""
    if isinstance(term, sp.Function) and len(term.args) == 1 \
            and isinstance(term.args[0], sp.Add):
        name = latex(term.func(sp.Symbol("u"))).split(r"{\left(")[0].split(r"\left(")[0]
        pieces = _bracketed(_pieces(term.args[0], limit), name)
        return [_signed(pieces[0], lead)] + pieces[1:]
    if not isinstance(term, sp.Mul):
        return [_signed(latex(term), lead)]
    coeff, factors = term.as_coeff_mul()
    pieces: list[str] = []
    for f in factors:
        tex = latex(f) if not isinstance(f, sp.Add) else rf"\left({latex(f)}\right)"
        if width(tex) <= limit:
            part = [tex]
        elif isinstance(f, sp.Add):
            part = _bracketed(_pieces(f, limit), "")
        else:
            part = _wide(f, limit, True)
        pieces.append(part[0] if not pieces else rf"\cdot {part[0]}")
        pieces.extend(part[1:])
    if coeff == -1:                    # -x y: the sign, never "- 1 \cdot x"
        pieces[0] = f"-{pieces[0]}"
    elif coeff != 1:
        pieces.insert(0, latex(coeff))
        pieces[1] = rf"\cdot {pieces[1]}"
    return [_signed(pieces[0], lead)] + pieces[1:]


def broken(lhs: str, expr: Any, limit: int = 75, rel: str = "=") -> str:
    """lhs = expr as an aligned block, broken between pieces (see _pieces) when a line would
    pass `limit` printed characters, so long expressions stay on the page."""
    expr = _expr(expr)
    lines, current = [], ""
    for piece in _pieces(expr, limit):
        if current and width(f"{current} {piece}") > limit:   # as the line will be
            lines.append(current)
            current = piece
        else:
            current = f"{current} {piece}".strip()
    lines.append(current)
    return f"{lhs} &{rel} {lines[0]}" + "".join(f" \\\\\n  &\\quad {line}" for line in lines[1:])


_EQ_TOKENS = [
    (r"\|\|([^|]+)\|\|", r"\\lVert \1\\rVert"),
    (r"\bsum_\{([^}]*)\}", r"\\sum_{\1}"),
    (r"\bsum_t\b", r"\\sum_{t}"),
    (r"<=", r"\\le "),
    (r"\bdiag\(", r"\\operatorname{diag}("),
    (r"\bsoftmax\(", r"\\operatorname{softmax}("),
    (r"\blog\b", r"\\log"),
    (r"\btanh\(", r"\\tanh("),
    (r"\bexp\(", r"\\exp("),
    (r"\^T\b", r"^\\top"),
    (r" \* ", r" \\odot "),
    (r"⊙", r"\\odot"),
    (r"·", r"\\cdot"),
    (r"\b1/2\b", r"\\tfrac{1}{2}"),
    (r"\(1/T\)", r"\\tfrac{1}{T}"),
    (r"\balpha(?=_|\b)", r"\\alpha"), (r"\bsigma(?=_|\b)", r"\\sigma"),
    (r"\bphi(?=_|\b)", r"\\varphi"),
    (r"\{t,\.\}", r"{t,\\cdot}"), (r"1\.\.t", r"1,\\dots,t"),
    (r" \. ", r" \\cdot "), (r"  \(", r"\\quad ("),
    (r"\bhtilde_", r"\\tilde{h}_"), (r"\bctilde_", r"\\tilde{c}_"),
    (r"\byhat_", r"\\hat{y}_"),
    (r"\b([A-Za-z])_([A-Za-z]{1,2})\b", r"\1_{\2}"),
]


def equation_latex(text: str) -> str:
    """A zoo equation string (ASCII, ours) as LaTeX math."""
    out = text
    for pattern, repl in _EQ_TOKENS:
        out = re.sub(pattern, repl, out)
    return out
