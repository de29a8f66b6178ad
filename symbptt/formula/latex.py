"""A formula tree as LaTeX math: a user cell's equations in its derivation document.

`h[t] = tanh(w * h[t-1] + U @ x[t] + b)` prints as
`h_{t} = \\tanh\\left(w \\odot h_{t-1} + U x_{t} + b\\right)`: @ is juxtaposition, * the
elementwise \\odot (a plain product beside a number), .T a \\top, / a fraction.
"""
from __future__ import annotations

import re

from .tree import BinOp, Call, Deriv, Equation, Name, Neg, Num, Power, Reduce, Transpose, number_text

_ADD, _MUL, _NEG, _POST, _ATOM = 1, 2, 3, 4, 5
_FUNCS = {"tanh": r"\tanh", "sigmoid": r"\sigma", "exp": r"\exp", "log": r"\log",
          "softmax": r"\operatorname{softmax}", "diag": r"\operatorname{diag}",
          "phi": r"\varphi", "phi_prime": r"\varphi'", "tanh_prime": r"\tanh'",
          "sigmoid_prime": r"\sigma'", "relu": r"\operatorname{relu}",
          "relu_prime": r"\operatorname{relu}'", "leaky_relu": r"\operatorname{leaky\_relu}"}
_ACCENTS = {"tilde": r"\tilde", "hat": r"\hat", "bar": r"\bar"}


def _parts(name: str) -> tuple[str, str, str]:
    """(head, layer, subscript): h1 -> (h, 1, ''), W_hh -> (W, '', hh), htilde -> (htilde...)"""
    head, _, sub = name.partition("_")
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", head)
    if m:
        return m.group(1), m.group(2), sub
    return head, "", sub


def _head(head: str) -> str:
    for word, accent in _ACCENTS.items():
        if head.endswith(word) and len(head) > len(word):
            return rf"{accent}{{{_head(head[:-len(word)])}}}"
    greek = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu",
             "pi", "rho", "sigma", "tau", "xi", "phi", "psi", "omega"}
    if head in greek:
        return "\\" + head
    return head if len(head) == 1 else rf"\mathrm{{{head}}}"


def name_latex(name: str, index: str = "") -> str:
    """W_hh -> W_{hh}, htilde -> \\tilde{h}, yhat -> \\hat{y}, alpha -> \\alpha, and a layer
    number as a superscript: h1 at t -> h^{(1)}_{t}."""
    head, layer, sub = _parts(name)
    subs = ",".join(p for p in (sub.replace("_", ","), index) if p)
    return (_head(head) + (f"^{{({layer})}}" if layer else "")
            + (f"_{{{subs}}}" if subs else ""))


def _seq(node: Name) -> str:
    return name_latex(node.name, node.index.text() if node.index is not None else "")


def _wrap(node, strength: int) -> str:
    text, own = _show(node)
    return rf"\left({text}\right)" if own < strength else text


def _base(node) -> str:
    """node as the base of a superscript: braced when it has one already (a layer's
    W^{(1)}), never a double superscript; a derivative in brackets."""
    text = _wrap(node, _ATOM)
    if isinstance(node, Deriv) and not node.held:     # (dc_t/dh_t)^T, never on the fraction
        return rf"\left({text}\right)"
    return f"{{{text}}}" if "^" in text and not text.startswith(r"\left(") else text


def _show(node) -> tuple[str, int]:
    if isinstance(node, Num):
        v = node.value
        return (str(v.numerator) if v.denominator == 1 else
                rf"\tfrac{{{v.numerator}}}{{{v.denominator}}}"), _ATOM
    if isinstance(node, Name):
        return (r"I" if node.name == "I" else _seq(node)), _ATOM
    if isinstance(node, Deriv):
        frac = rf"\frac{{\partial {_seq(node.num)}}}{{\partial {_seq(node.den)}}}"
        if node.held:         # a partial: what it holds under the bar
            held = ", ".join(_seq(h) for h in node.held)
            return rf"\left.{frac}\right|_{{{held}}}", _ATOM
        return frac, _ATOM
    if isinstance(node, Neg):
        return "-" + _wrap(node.arg, _NEG), _NEG
    if isinstance(node, Transpose):
        return _base(node.arg) + r"^\top", _POST
    if isinstance(node, Power):
        return _base(node.base) + f"^{{{node.exp.text()}}}", _POST
    if isinstance(node, Call):
        inner, _ = _show(node.arg)
        if node.slope is not None:          # leaky_relu(a, 0.01), leaky_relu(a, 1/3)
            text = number_text(node.slope)
            inner += ", " + (text if "/" not in text else _show(Num(node.slope))[0])
        return rf"{_FUNCS.get(node.func, node.func)}\left({inner}\right)", _ATOM
    if isinstance(node, BinOp):
        if node.op in ("+", "-"):
            right = _wrap(node.right, _MUL if node.op == "-" else _ADD)
            return f"{_wrap(node.left, _ADD)} {node.op} {right}", _ADD
        if node.op == "/":
            return rf"\frac{{{_show(node.left)[0]}}}{{{_show(node.right)[0]}}}", _ATOM
        left, right = _wrap(node.left, _MUL), _wrap(node.right, _MUL + 1)
        if node.op == "*" and not isinstance(node.left, Num):
            return rf"{left} \odot {right}", _MUL
        return f"{left} {right}", _MUL
    if isinstance(node, Reduce):
        big = r"\sum" if node.op == "sum" else r"\prod"
        order = r"\ (\text{lowest index on the left})" if node.ascending else ""
        return (rf"{big}_{{{node.var}={node.lo.text()}}}^{{{node.hi.text()}}} "
                f"{_wrap(node.body, _MUL)}{order}"), _ADD
    raise TypeError(type(node).__name__)


def latex(node) -> str:
    """An expression or an equation as LaTeX math."""
    if isinstance(node, Equation):
        return f"{_show(node.lhs)[0]} = {_show(node.rhs)[0]}"
    return _show(node)[0]
