"""A formula as lines of an align: long enough to break, broken where a reader breaks it
(between the terms of a sum, inside a long sum over t or a product), so no line runs past
the page. The documents (a derivation's matrix level, the gallery of mistakes) print every
formula through here."""
from __future__ import annotations

from .latex import latex
from .parse import parse_equation
from .tree import BinOp, Call, Neg, Reduce, show

WIDTH = 80                   # characters of formula text a printed line may hold


def _terms(node, sign: str = "+") -> list:
    if isinstance(node, BinOp) and node.op in "+-":
        right = "-" if (node.op == "-") != (sign == "-") else "+"
        return _terms(node.left, sign) + _terms(node.right, right)
    if isinstance(node, Neg):
        return _terms(node.arg, "-" if sign == "+" else "+")
    return [(sign, node)]


BREAK = ("", -1)            # after a term broken inside itself, the next term starts a line


def _pieces(node, width: int = WIDTH) -> list[tuple[str, int]]:
    """node as (LaTeX, width) pieces that may each start a line: the terms of a sum; a term
    wider than a line broken inside itself: a sum over t or a diag of a long sum opens
    a big bracket on its first piece and closes it on the last, a product breaks between its
    factors (an elementwise one with its odot leading the new line)."""
    out = []
    for k, (sign, term) in enumerate(_terms(node)):
        joint = ("- " if sign == "-" else "") if k == 0 else f"{sign} "
        size = len(show(term))
        if size <= width * 1.5:          # a term a little past a line stays whole
            out.append((joint + latex(term), size))
            continue
        if isinstance(term, Reduce) or (isinstance(term, Call) and len(_terms(term.arg)) > 1):
            body = term.body if isinstance(term, Reduce) else term.arg
            head = latex(term).split(r"\left(")[0] if isinstance(term, Call) else \
                rf"\sum_{{{term.var}={term.lo.text()}}}^{{{term.hi.text()}}}"
            if isinstance(term, Reduce) and term.op != "sum":
                head = head.replace(r"\sum", r"\prod")
            inner = _pieces(body, width)
            inner[0] = (rf"{joint}{head} \Big( {inner[0][0]}", inner[0][1])
            inner[-1] = (rf"{inner[-1][0]} \Big)", inner[-1][1])
            out.extend(inner + [BREAK])
        elif isinstance(term, BinOp) and term.op in "*@":
            left, right = _pieces(term.left, width), _pieces(term.right, width)
            if len(_terms(term.left)) > 1:
                left[0] = (r"\Big(" + left[0][0], left[0][1])
                left[-1] = (left[-1][0] + r"\Big)", left[-1][1])
            if len(_terms(term.right)) > 1:
                right[0] = (r"\Big(" + right[0][0], right[0][1])
                right[-1] = (right[-1][0] + r"\Big)", right[-1][1])
            if term.op == "*":
                right[0] = (r"\odot " + right[0][0], right[0][1])
            left[0] = (joint + left[0][0], left[0][1])
            out.extend(left + right + [BREAK])
        else:
            out.append((joint + latex(term), size))
    return out


def lines(text: str, width: int = WIDTH) -> list[tuple[str, str]]:
    """A formula as (left, right) rows of an align: broken between its pieces (see _pieces)
    when a line would pass `width` characters of formula text, so that no line runs past
    the page."""
    eq = parse_equation(text)
    if len(text) <= width:
        return [(latex(eq.lhs), latex(eq.rhs))]
    out, current, used = [], "", 0
    for piece, size in _pieces(eq.rhs, width):
        if (piece, size) == BREAK or (current and used + size > width):
            if current:
                out.append(current)
            current, used = "", 0
            if (piece, size) == BREAK:
                continue
        current = f"{current} {piece}".strip() if current or not out else rf"\quad {piece}"
        used += size
    if current:
        out.append(current)
    return [(latex(eq.lhs), out[0])] + [("", part) for part in out[1:]]
