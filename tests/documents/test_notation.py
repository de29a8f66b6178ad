"""symbptt.documents.notation: symbol names as LaTeX, expressions broken into lines, zoo equations."""
from __future__ import annotations

import re

import pytest
import sympy as sp

from symbptt.documents.notation import broken, equation_latex, latex, symbol_latex, width

BREAK = " \\\\\n  &\\quad "


# --------------------------------------------------------------------------- symbol_latex

@pytest.mark.parametrize("name, tex", [
    ("W[0,1]", "W_{12}"),                       # 0-based indices printed 1-based
    ("W[1,0]", "W_{21}"),
    ("b[1]", "b_{2}"),
    ("x_2[0]", "x_{2,1}"),                      # step, then entry
    ("h_1[1]", "h_{1,2}"),
    ("h_1", "h_{1}"),
    ("x_12[3]", "x_{12,4}"),
    ("W_hh", "W_{hh}"),
    ("W_hy[0,0]", "(W_{hy})_{11}"),             # a subscripted name is bracketed
    ("W_h[1,0]", "(W_{h})_{21}"),
    ("alpha_2[1]", r"\alpha_{2,2}"),
    ("delta_3[0]", r"\delta_{3,1}"),
    ("sigma", r"\sigma"),
    ("htilde_2[0]", r"\tilde{h}_{2,1}"),
    ("ctilde_1[1]", r"\tilde{c}_{1,2}"),
    ("yhat_2", r"\hat{y}_{2}"),
    ("W[9,10]", "W_{10,11}"),                   # two-digit indices are separated
])
def test_symbol_latex(name, tex):
    assert symbol_latex(name) == tex


def test_symbol_latex_leaves_unknown_names_readable():
    assert symbol_latex("not a name") == "not a name"
    assert symbol_latex("a-b_c") == r"a-b\_c"


def test_latex_uses_the_document_names():
    W01, x, h = sp.Symbol("W[0,1]", real=True), sp.Symbol("x_2[0]"), sp.Symbol("h_1[1]")
    tex = latex(W01 * x + sp.tanh(h))
    assert "W_{12}" in tex and "x_{2,1}" in tex and r"\tanh" in tex and "h_{1,2}" in tex
    assert "[" not in tex                         # no raw SymPy names left
    assert latex(3) == "3"


def test_width_counts_commands_as_one_character():
    assert width(r"\frac{a}{b}") == 2
    assert width(r"\alpha_{2,2}") == len("x2,2")
    assert width("x_{1} + y") == len("x1 + y")


# --------------------------------------------------------------------------- broken

def _long_sum(k: int = 30):
    xs = [sp.Symbol(f"x_{t}[0]", real=True) for t in range(1, k + 1)]
    ws = [sp.Symbol(f"W[0,{t}]", real=True) for t in range(k)]
    return sp.Add(*[w * x for w, x in zip(ws, xs)])


def _lines(block: str, lhs: str, rel: str = "=") -> list[str]:
    head = f"{lhs} &{rel} "
    assert block.startswith(head), block[:80]
    return block[len(head):].split(BREAK)


@pytest.mark.parametrize("limit", [40, 75])
def test_broken_keeps_every_line_within_the_limit(limit):
    expr = _long_sum()
    block = broken("L", expr, limit=limit)
    lines = _lines(block, "L")
    assert len(lines) > 1
    assert block.count("\\\\") == len(lines) - 1
    for line in lines:
        assert width(line) <= limit, (width(line), line)


def _signed_terms(body: str) -> list[str]:
    """A printed sum (of terms without brackets) as its signed terms: "a - b" -> [+a, -b]."""
    out = []
    for k, part in enumerate(re.split(r" (?=[+-] )", body)):
        if k == 0:
            out.append(part if part.startswith("-") else f"+ {part}")
        else:
            out.append(part)
    return sorted(p.replace("- ", "-").replace("+ ", "+") for p in out)


def _expected_terms(expr) -> list[str]:
    out = []
    for term in sp.Add.make_args(expr):
        tex = latex(term)
        out.append(tex if tex.startswith("-") else f"+{tex}")
    return sorted(t.replace("- ", "-") for t in out)


def test_broken_only_inserts_line_breaks():
    """The pieces joined again give the one-line form, which shows every term of expr
    exactly once, with its sign."""
    expr = _long_sum() - 7 * sp.Symbol("h_1[0]", real=True) * sp.Symbol("W[1,1]", real=True)
    one_line = broken("L", expr, limit=10**6)
    assert "\\\\" not in one_line
    block = broken("L", expr, limit=30)
    assert block.count("\\\\") > 2
    assert block.replace(BREAK, " ") == one_line
    body = one_line[len("L &= "):]
    assert _signed_terms(body) == _expected_terms(expr)
    assert len(_signed_terms(body)) == 31


def test_broken_keeps_signs_across_lines():
    expr = _long_sum() - 7 * sp.Symbol("h_1[0]", real=True) * sp.Symbol("W[1,1]", real=True)
    lines = _lines(broken("L", expr, limit=30), "L")
    assert len(lines) > 2
    assert all(line.startswith(("+ ", "- ")) for line in lines[1:])
    assert sum(line.count(" - ") + line.startswith("- ") for line in lines) == 1


def test_broken_short_expression_stays_on_one_line():
    expr = sp.Symbol("x_1[0]") + 2 * sp.Symbol("W[0,0]")
    block = broken(r"\delta_{1,1}", expr)
    assert "\\\\" not in block and r"\quad" not in block
    assert block.startswith(r"\delta_{1,1} &= ")
    assert _signed_terms(block[len(r"\delta_{1,1} &= "):]) == _expected_terms(expr)


def test_broken_relation_and_numbers():
    assert broken("a", 0) == "a &= 0"
    assert broken("g", sp.Symbol("h_1[0]"), rel=r"\mathrel{+}=") == r"g &\mathrel{+}= h_{1,1}"


def test_broken_function_of_a_long_sum_opens_and_closes_its_bracket():
    expr = sp.tanh(_long_sum())
    lines = _lines(broken("h", expr), "h")
    assert len(lines) > 1
    assert lines[0].startswith(r"\tanh\Big(")
    assert lines[-1].endswith(r"\Big)")
    joined = " ".join(lines)
    assert joined.count(r"\Big(") == joined.count(r"\Big)") == 1
    for term in sp.Add.make_args(_long_sum()):
        assert latex(term) in joined
    for line in lines:
        assert width(line) <= 75 + width(r"\Big)"), line


def test_broken_long_product_breaks_between_factors():
    xs = [sp.Symbol(f"x_{t}[0]", real=True) for t in range(1, 16)]
    expr = sp.Mul(*[sp.tanh(x + 1) for x in xs])
    lines = _lines(broken("p", expr), "p")
    assert len(lines) > 1
    assert all(line.startswith(r"\cdot ") for line in lines[1:])
    assert sum(line.count(r"\tanh") for line in lines) == len(xs)
    for line in lines:
        assert width(line) <= 75, line


# --------------------------------------------------------------------------- equation_latex

@pytest.mark.parametrize("text, expected", [
    ("h_t = W^T h", r"h_{t} = W^\top h"),
    ("diag(a) b", r"\operatorname{diag}(a) b"),
    ("||x||^2", r"\lVert x\rVert^2"),
    ("yhat_t = softmax(o_t)", r"\hat{y}_t = \operatorname{softmax}(o_{t})"),
    ("h_t = phi(a_t)", r"h_{t} = \varphi(a_{t})"),
    ("L = sum_t 1/2 ||h_t - y_t||^2",
     r"L = \sum_{t} \tfrac{1}{2} \lVert h_{t} - y_{t}\rVert^2"),
    ("L = (1/T) sum_t 1/2 ||o_t - y_t||^2",
     r"L = \tfrac{1}{T} \sum_{t} \tfrac{1}{2} \lVert o_{t} - y_{t}\rVert^2"),
    ("a_t = W h_{t-1} + U x_t + b", r"a_{t} = W h_{t-1} + U x_{t} + b"),
    ("h_t = o_t * tanh(c_t)", r"h_{t} = o_{t} \odot \tanh(c_{t})"),
    ("L = -sum_t y_t . log yhat_t", r"L = -\sum_{t} y_{t} \cdot \log \hat{y}_t"),
])
def test_equation_latex(text, expected):
    assert equation_latex(text) == expected


def test_equation_latex_of_every_zoo_equation_has_no_ascii_left():
    from symbptt.model.zoo import models
    for spec in models():
        for text in (*spec.equations, spec.loss):
            tex = equation_latex(text)
            assert "^T" not in tex and "||" not in tex, (spec.name, tex)
            assert "diag(" not in tex.replace(r"\operatorname{diag}(", ""), (spec.name, tex)
            assert "sum_" not in tex.replace(r"\sum_", ""), (spec.name, tex)
