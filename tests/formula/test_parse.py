"""symbptt.formula.parse: the ASCII core and the LaTeX subset read to one tree, the
precedence of the operators, derivatives and index arithmetic, and the FormulaError
every bad input gets (a caret under the column, what the grammar expected there)."""
from __future__ import annotations

from fractions import Fraction

import pytest

from symbptt.errors import SymbpttError
from symbptt.formula.parse import (MAX_DEPTH, MAX_DIGITS, MAX_LENGTH, FormulaError,
                                   parse_equation, parse_expression, parse_index)
from symbptt.formula.tree import (BinOp, Call, Deriv, Equation, Idx, Name, Neg, Num, Power,
                                  Reduce, Transpose, children, rebuild, show)

E = parse_expression
Q = parse_equation
I = parse_index


def N(name: str, index: str | None = None) -> Name:
    """A Name, its index written as text (`N("h", "t-1")` is h[t-1])."""
    return Name(name, None if index is None else parse_index(index))


def D(num: Name, den: Name) -> Deriv:
    return Deriv(num, den)


def juxt_as_matmul(node):
    """The tree with LaTeX's juxtaposition (BinOp " ") read as `@`: what the ASCII claim
    writes with `@`, the LaTeX one writes by putting factors side by side."""
    if isinstance(node, BinOp) and node.op == " ":
        node = BinOp("@", node.left, node.right)
    kids = tuple(juxt_as_matmul(k) for k in children(node))
    return rebuild(node, kids) if kids else node


# ---------------------------------------------------------------- ASCII and LaTeX, one tree

SEED_ASCII = "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ delta[t] @ h[t-1].T)"


def test_seed_claim_latex_reads_as_the_ascii_claim():
    """The README's claim in LaTeX (braced subscripts) is the ASCII claim, up to
    juxtaposition (LaTeX's product) standing where ASCII writes `@`."""
    latex = (r"\frac{\partial L}{\partial W} = \sum_{t=1}^{T} \operatorname{diag}"
             r"(\phi'(a_{t})) \delta_{t} h_{t-1}^\top")
    ascii_ = Q(SEED_ASCII)
    assert juxt_as_matmul(Q(latex)) == ascii_
    # the same claim written with juxtaposition in ASCII is the LaTeX tree exactly
    assert Q(latex) == Q("dL/dW = sum(t=1..T, diag(phi_prime(a[t])) delta[t] h[t-1].T)")


def test_seed_claim_with_unbraced_subscripts_keeps_a_t_as_a_name():
    """`a_t` (no braces) lexes as one name; it is bound to a[t] only against a model
    (check/claim.py), so the parser keeps Name("a_t"). `\\delta_t` is a Greek letter
    with a subscript, so it is delta[t] already."""
    latex = (r"\frac{\partial L}{\partial W} = \sum_{t=1}^{T} \operatorname{diag}"
             r"(\phi'(a_t)) \delta_t h_{t-1}^\top")
    rhs = Q(latex).rhs
    assert isinstance(rhs, Reduce) and rhs.var == "t"
    body = rhs.body
    assert body == BinOp(" ", BinOp(" ", Call("diag", Call("phi_prime", N("a_t"))),
                                    N("delta", "t")),
                         Transpose(N("h", "t-1")))


@pytest.mark.parametrize("latex, ascii_", [
    # names and indices
    (r"h_{t-1}", "h[t-1]"),
    (r"h_{t}", "h[t]"),
    (r"h_{T+t-i}", "h[T+t-i]"),
    (r"\delta_{t+1}", "delta[t+1]"),
    (r"\delta_t", "delta[t]"),
    (r"\delta_1", "delta[1]"),
    (r"\mathbf{W}", "W"),
    (r"\boldsymbol{h}_{t}", "h[t]"),
    (r"\ell_{t}", "l[t]"),
    (r"\varepsilon", "epsilon"),
    (r"h_{-1}", "h[-1]"),
    # transposes
    (r"W^\top", "W.T"),
    (r"W^T", "W.T"),
    (r"W^{T}", "W.T"),
    (r"W^{\top}", "W.T"),
    (r"W^\intercal", "W.T"),
    (r"W^\mathsf{T}", "W.T"),
    ("Wᵀ", "W.T"),
    (r"h_{t-1}^\top", "h[t-1].T"),
    # products
    (r"a \odot b", "a * b"),
    ("a ⊙ b", "a * b"),
    (r"a \circ b", "a * b"),
    (r"a \cdot b", "a b"),
    (r"a \times b", "a b"),
    ("a · b", "a b"),
    # functions
    (r"\sigma(x)", "sigmoid(x)"),
    ("sigma(x)", "sigmoid(x)"),
    (r"\tanh(x)", "tanh(x)"),
    (r"\tanh{x}", "tanh(x)"),
    (r"\tanh\left(x\right)", "tanh(x)"),
    (r"\exp(x)", "exp(x)"),
    (r"\log(x)", "log(x)"),
    (r"\phi(x)", "phi(x)"),
    (r"\varphi(x)", "phi(x)"),
    (r"\phi'(x)", "phi_prime(x)"),
    ("phi'(x)", "phi_prime(x)"),
    ("phi′(x)", "phi_prime(x)"),
    (r"\operatorname{diag}(x)", "diag(x)"),
    (r"\mathrm{softmax}(x)", "softmax(x)"),
    (r"\operatorname{sigma}(x)", "sigmoid(x)"),
    # brackets
    (r"\left(a + b\right) c", "(a + b) c"),
    (r"{a + b} c", "(a + b) c"),
    # sums and products
    (r"\sum_{i=t}^{T} h_{i}", "sum(i=t..T, h[i])"),
    (r"\sum_{t=1}^{T} x_{t}", "sum(t, x[t])"),
    (r"\sum_t x_{t}", "sum(t=1..T, x[t])"),
    (r"\sum_{t} x_{t}", "sum(t=1..T, x[t])"),
    ("∑_{t=1}^{T} x_{t}", "sum(t=1..T, x[t])"),
    ("Σ_{t=1}^{T} x_{t}", "sum(t=1..T, x[t])"),
    (r"\sum_{i=1}^{t-1} h_{i}", "sum(i=1..t-1, h[i])"),
    (r"\prod_{j=i+1}^{t} J_{j}", "prod(j=i+1..t, J[j])"),
    ("∏_{j=i+1}^{t} J_{j}", "prod(j=i+1..t, J[j])"),
    # a \sum's body is a whole product; a \prod's body is one factor
    (r"\sum_{t=1}^{T} a b + c", "sum(t=1..T, a b) + c"),
    (r"\prod_{j=1}^{t} A B", "prod(j=1..t, A) B"),
    # powers
    (r"W^{T-i}", "W^(T-i)"),
    (r"W^{2}", "W^2"),
    (r"W^{k+1}", "W^(k+1)"),
    # fractions: a derivative when both parts are d-names, a division otherwise
    (r"\frac{a}{b}", "a / b"),
    (r"\frac{1}{T} x", "(1 / T) x"),
    (r"\dfrac{dL}{dW}", "dL/dW"),
    # ignored spacing commands
    (r"a\,b", "a b"),
    (r"a \quad b", "a b"),
    (r"a\;+\!b", "a + b"),
])
def test_latex_reads_as_ascii(latex, ascii_):
    assert E(latex) == E(ascii_)


@pytest.mark.parametrize("a, b", [
    ("W^T", "W^{T}"),                     # LaTeX's W^T and W^{T} are transposes ...
    ("W.T", "(W)^T"),
    ("sum(t, x)", "sum(t=1..T, x)"),      # sum(t, ...) runs over 1..T
    ("prod(j, J[j])", "prod(j=1..T, J[j])"),
    ("phi'(x)", "phi_prime(x)"),
    ("h[t-1]", "h[ t - 1 ]"),             # spaces anywhere
    ("a+b", "  a   +   b  "),
    ("+a", "a"),                          # unary plus is nothing
    ("h[2t]", "h[2*t]"),                  # scaled index terms
    ("h[t+t]", "h[2*t]"),
    ("h[t-t]", "h[0]"),
    ("h[T+t-i]", "h[t-i+T]"),             # index terms in any order
    ("(a)", "a"),
    ("((a + b))", "a + b"),
    ("1.0", "1"),
    ("0.50", "0.5"),
])
def test_same_tree(a, b):
    assert E(a) == E(b)


def test_power_is_not_transpose():
    """A power by T is written W^(T); the transpose spellings stay transposes."""
    assert E("W^(T)") == Power(N("W"), Idx.var("T"))
    assert E("W^{T}") == Transpose(N("W"))
    assert E("W^T") == Transpose(N("W"))


def test_power_with_an_index_exponent():
    """`(W_hh.T)^(T-i)`: the power of a transpose, exponent an index expression."""
    assert E("(W_hh.T)^(T-i)") == Power(Transpose(N("W_hh")), I("T-i"))
    assert E("W^2") == Power(N("W"), Idx.of(2))
    assert E("W^k") == Power(N("W"), Idx.var("k"))
    assert E("W^{k+1}") == Power(N("W"), Idx.var("k").shift(1))
    assert E("W^(-1)") == Power(N("W"), Idx.of(-1))
    assert E("W.T^2") == Power(Transpose(N("W")), Idx.of(2))
    assert E("W^2.T") == Transpose(Power(N("W"), Idx.of(2)))


def test_decimals_are_exact_fractions():
    assert E("0.5") == Num(Fraction(1, 2))
    assert E("2.25") == Num(Fraction(9, 4))
    assert E("3") == Num(Fraction(3))
    assert E("0") == Num(Fraction(0))
    assert isinstance(E("0.1").value, Fraction)          # never a float
    assert E("0.1") == Num(Fraction(1, 10))


def test_identity_and_zero():
    assert E("I") == N("I")
    assert E("0") == Num(Fraction(0))


def test_names_with_underscores_are_one_name():
    """`W_hh`, `x_t`, `a_t`: one NAME token (bound to a[t] only against a model)."""
    assert E("W_hh") == N("W_hh")
    assert E("a_t") == N("a_t")
    assert E("w_h_2") == N("w_h_2")


def test_latex_subscript_after_a_plain_name_is_an_index():
    """`W_{hh}` is W with index hh: the parser does not know W_hh is a parameter
    (claim.py joins it back); `W_hh` is the name itself."""
    assert E("W_{hh}") == Name("W", Idx.var("hh"))
    assert E(r"\mathbf{W}_{hh}") == Name("W", Idx.var("hh"))


def test_bold_name_before_brackets_is_a_product():
    """`\\mathbf{W} (h + b)` is bold W times a bracket, as `W (h + b)` and
    `\\mathbf{W}\\left(h + b\\right)` are. The grammar's wrapped_call rule (meant for
    `\\operatorname{diag}(x)`) takes the `(` first and refuses: "W is not a function".
    Found by this suite."""
    want = BinOp(" ", N("W"), BinOp("+", N("h"), N("b")))
    assert E("W (h + b)") == want
    assert E(r"\mathbf{W}\left(h + b\right)") == want
    assert E(r"\mathbf{W} (h + b)") == want


def test_function_calls():
    assert E("diag(phi_prime(a[t]))") == Call("diag", Call("phi_prime", N("a", "t")))
    assert E("softmax(o[t])") == Call("softmax", N("o", "t"))
    assert E("tanh(W @ h[t-1] + U @ x[t])") == Call(
        "tanh", BinOp("+", BinOp("@", N("W"), N("h", "t-1")), BinOp("@", N("U"), N("x", "t"))))


def test_reductions():
    assert E("sum(i=t..T, h[i])") == Reduce("sum", "i", I("t"), I("T"), N("h", "i"))
    assert E("prod(j=i+1..t, J[j])") == Reduce("prod", "j", I("i+1"), I("t"), N("J", "j"))
    r = E(r"\prod_{j=i+1}^{t} J_j")
    assert r == Reduce("prod", "j", I("i+1"), I("t"), N("J_j"))
    assert r.ascending is False                  # highest index on the left, by default
    assert E("sum(t, x)") == Reduce("sum", "t", Idx.of(1), Idx.var("T"), N("x"))


# ---------------------------------------------------------------- precedence

@pytest.mark.parametrize("text, tree", [
    ("a + b @ c", BinOp("+", N("a"), BinOp("@", N("b"), N("c")))),
    ("a @ b + c", BinOp("+", BinOp("@", N("a"), N("b")), N("c"))),
    ("-a @ b", BinOp("@", Neg(N("a")), N("b"))),                 # unary minus binds tighter
    ("a - b - c", BinOp("-", BinOp("-", N("a"), N("b")), N("c"))),  # left-associative
    ("a - (b - c)", BinOp("-", N("a"), BinOp("-", N("b"), N("c")))),
    ("a / b / c", BinOp("/", BinOp("/", N("a"), N("b")), N("c"))),
    ("a / b * c", BinOp("*", BinOp("/", N("a"), N("b")), N("c"))),
    ("a @ b @ c", BinOp("@", BinOp("@", N("a"), N("b")), N("c"))),
    ("a * b @ c", BinOp("@", BinOp("*", N("a"), N("b")), N("c"))),  # one level, left to right
    ("a b", BinOp(" ", N("a"), N("b"))),
    ("a b c", BinOp(" ", BinOp(" ", N("a"), N("b")), N("c"))),
    ("a + b c", BinOp("+", N("a"), BinOp(" ", N("b"), N("c")))),  # juxtaposition binds like *
    ("a b + c", BinOp("+", BinOp(" ", N("a"), N("b")), N("c"))),
    ("a * b c", BinOp(" ", BinOp("*", N("a"), N("b")), N("c"))),
    ("2 W", BinOp(" ", Num(Fraction(2)), N("W"))),
    ("2W", BinOp(" ", Num(Fraction(2)), N("W"))),
    ("-W.T", Neg(Transpose(N("W")))),                            # postfix binds tightest
    ("-W^2", Neg(Power(N("W"), Idx.of(2)))),
    ("--a", Neg(Neg(N("a")))),
    ("-(a + b)", Neg(BinOp("+", N("a"), N("b")))),
    ("a * -b", BinOp("*", N("a"), Neg(N("b")))),
    ("a - -b", BinOp("-", N("a"), Neg(N("b")))),
    ("a.T.T", Transpose(Transpose(N("a")))),
    ("h[t-1].T", Transpose(N("h", "t-1"))),
    ("(a + b).T", Transpose(BinOp("+", N("a"), N("b")))),
    ("1/T", BinOp("/", Num(Fraction(1)), N("T"))),
    ("sum(t, x) @ y", BinOp("@", Reduce("sum", "t", Idx.of(1), Idx.var("T"), N("x")), N("y"))),
])
def test_precedence(text, tree):
    assert E(text) == tree


def test_equation_sides_and_text():
    eq = Q("  delta[t] = dl[t]/dh[t] + W.T @ delta[t+1]  ")
    assert isinstance(eq, Equation)
    assert eq.lhs == N("delta", "t")
    assert eq.rhs == BinOp("+", D(N("l", "t"), N("h", "t")),
                           BinOp("@", Transpose(N("W")), N("delta", "t+1")))
    assert eq.text == "delta[t] = dl[t]/dh[t] + W.T @ delta[t+1]"    # stripped, kept
    # boundary values at a fixed index
    assert Q("delta[T] = dl[T]/dh[T]").lhs == N("delta", "T")
    assert Q("g[T+1] = 0") == Equation(N("g", "T+1"), Num(Fraction(0)))


def test_positions_do_not_take_part_in_equality():
    assert E("a+b") == E("   a   +   b")
    assert Q("x=y") == Q("x = y")


def test_name_positions_point_at_the_name():
    """pos (0-based column) is kept for messages."""
    rhs = Q("dL/dW = a + W_hh").rhs
    assert (rhs.left.pos, rhs.right.pos) == (8, 12)
    d = E("dL/dh[t]")
    assert (d.pos, d.num.pos, d.den.pos) == (0, 1, 4)


# ---------------------------------------------------------------- derivatives

@pytest.mark.parametrize("text, tree", [
    ("dL/dW", D(N("L"), N("W"))),
    ("dL / dW", D(N("L"), N("W"))),
    ("dL/dW_hh", D(N("L"), N("W_hh"))),
    ("dL/dh[t+1]", D(N("L"), N("h", "t+1"))),
    ("dL/dh[T]", D(N("L"), N("h", "T"))),
    ("dL/do[t]", D(N("L"), N("o", "t"))),
    ("dl[t]/dh[t]", D(N("l", "t"), N("h", "t"))),
    ("dh[t+1]/dh[t]", D(N("h", "t+1"), N("h", "t"))),
    ("dh[t]/dw_h", D(N("h", "t"), N("w_h"))),
    ("dl[ t ]/dh[t]", D(N("l", "t"), N("h", "t"))),
    ("∂L/∂W", D(N("L"), N("W"))),
    (r"\partial L / \partial W", D(N("L"), N("W"))),
    (r"\frac{\partial L}{\partial W}", D(N("L"), N("W"))),
    (r"\frac{\partial L}{\partial h_{t}}", D(N("L"), N("h", "t"))),
    (r"\frac{dL}{dW}", D(N("L"), N("W"))),
    (r"\frac{dl[t]}{dh[t]}", D(N("l", "t"), N("h", "t"))),
    (r"\frac{dL}{dh_{t+1}}", D(N("L"), N("h", "t+1"))),
    (r"\frac{\partial \ell_{t}}{\partial h_{t}}", D(N("l", "t"), N("h", "t"))),
])
def test_derivatives(text, tree):
    assert E(text) == tree


def test_local_loss_derivative_latex_and_ascii():
    """`\\frac{\\partial \\ell_t}{\\partial h_t}`: `\\ell_t` is the Greek letter with a
    subscript (l[t]), `h_t` one name (bound to h[t] against a model); `dl_t/dh_t` keeps
    both as names. With braces the LaTeX form is exactly `dl[t]/dh[t]`."""
    assert E(r"\frac{\partial \ell_t}{\partial h_t}") == D(N("l", "t"), N("h_t"))
    assert E("dl_t/dh_t") == D(N("l_t"), N("h_t"))
    assert E(r"\frac{\partial \ell_{t}}{\partial h_{t}}") == E("dl[t]/dh[t]")


def test_derivatives_inside_formulas():
    assert E("dL/dh[t] @ dh[t]/dh[t-1]") == BinOp(
        "@", D(N("L"), N("h", "t")), D(N("h", "t"), N("h", "t-1")))
    assert E("(dL/dh[t]).T") == Transpose(D(N("L"), N("h", "t")))
    assert E("dL/dW.T") == Transpose(D(N("L"), N("W")))
    assert E("dL/dW / T") == BinOp("/", D(N("L"), N("W")), N("T"))
    assert Q("dL/dh[t] = dl[t]/dh[t] + W.T @ dL/dh[t+1]").lhs == D(N("L"), N("h", "t"))


def test_fraction_of_non_derivatives_is_a_division():
    assert E(r"\frac{d}{dx}") == BinOp("/", N("d"), N("dx"))     # `d` alone is no d-name
    assert E(r"\frac{a + b}{2}") == BinOp("/", BinOp("+", N("a"), N("b")), Num(Fraction(2)))


@pytest.mark.parametrize("text", [
    "dL/dh_{t+1}",       # LaTeX subscript on the ASCII derivative's variable
    "dL/dW_{hh}",
])
def test_ascii_derivative_with_a_latex_subscript(text):
    """`dL/dh_{t+1}` mixes the two notations the language accepts (`dL/dh[t+1]`,
    `h_{t+1}`). It must read as the derivative by h[t+1] (or be refused), never as
    `(dL/dh_) (t + 1)`: the DERIV token takes `h_` as the name (its name pattern allows a
    trailing `_`, NAME's does not) and leaves `{t+1}` as a juxtaposed factor. Found by
    this suite: `symbptt check elman --claim "dL/dh_{t+1} = 0"` says the left side is
    `dL/dh_ (t + 1)`."""
    want = {"dL/dh_{t+1}": D(N("L"), N("h", "t+1")),
            "dL/dW_{hh}": D(N("L"), Name("W", Idx.var("hh")))}[text]
    try:
        got = E(text)
    except FormulaError:
        return
    assert got == want


# ---------------------------------------------------------------- index expressions

@pytest.mark.parametrize("text, terms, const", [
    ("t", (("t", 1),), 0),
    ("t-1", (("t", 1),), -1),
    ("t+1", (("t", 1),), 1),
    ("T+t-i", (("T", 1), ("i", -1), ("t", 1)), 0),
    ("T-i+1", (("T", 1), ("i", -1)), 1),
    ("2t", (("t", 2),), 0),
    ("2*t", (("t", 2),), 0),
    ("2t+1", (("t", 2),), 1),
    ("T-2*i", (("T", 1), ("i", -2)), 0),
    ("-t", (("t", -1),), 0),
    ("-1", (), -1),
    ("3", (), 3),
    ("t-t", (), 0),
    ("0t", (), 0),
    ("i+j-k", (("i", 1), ("j", 1), ("k", -1)), 0),
])
def test_parse_index(text, terms, const):
    assert I(text) == Idx(terms, const)


def test_index_inside_names_and_bounds():
    assert E("h[T+t-i]").index == I("T+t-i")
    assert E("h[2t]").index == Idx((("t", 2),), 0)
    assert E("h[2*t-1]").index == Idx((("t", 2),), -1)
    r = E("sum(i=t-1..T+1, h[i])")
    assert (r.lo, r.hi) == (I("t-1"), I("T+1"))


@pytest.mark.parametrize("text", ["t*2", "t 2", "2.5", "t^2", "(t)", "t+", "", "t[1]", "2 3"])
def test_bad_index(text):
    with pytest.raises(FormulaError):
        I(text)


# ---------------------------------------------------------------- errors

def caret_at(err: FormulaError, text: str, column: int) -> None:
    """The message ends with the formula and a caret under `column` (0-based)."""
    assert err.column == column
    lines = str(err).split("\n")
    assert lines[-2] == "  " + text
    assert lines[-1] == "  " + " " * column + "^"


def error(func, text) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        func(text)
    return info.value


def test_formula_error_is_a_symbptt_error():
    """The CLI turns every SymbpttError into one line and exit 2."""
    assert issubclass(FormulaError, SymbpttError)


def test_error_double_operator_points_at_the_second():
    text = "dL/dW = sum(t=1..T, x @@ y)"
    e = error(Q, text)
    caret_at(e, text, text.index("@@") + 1)
    assert "column 24" in e.reason                 # 1-based in words
    assert "unexpected '@'" in e.reason
    assert "expected a name, a number" in e.reason


def test_error_ends_too_early_expects_closing_bracket():
    text = "dL/dW = (W"
    e = error(Q, text)
    assert "ends too early" in e.reason
    assert "')'" in e.reason.split("expected", 1)[1]
    caret_at(e, text, len(text))


def test_error_two_equals():
    text = "a = b = c"
    e = error(Q, text)
    caret_at(e, text, 6)
    assert "unexpected '='" in e.reason
    assert "the end of the formula" in e.reason


def test_error_missing_equals():
    e = error(Q, "a + b")
    assert "ends too early" in e.reason and "'='" in e.reason


def test_expression_has_no_equals():
    e = error(E, "a = b")
    caret_at(e, "a = b", 2)


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_error_empty(text):
    e = error(Q, text)
    assert "empty" in str(e)


@pytest.mark.parametrize("text, column", [
    (r"\foo", 0),
    (r"dL/dW = \foo(x)", 8),
    (r"dL/dW = a \oddot b", 10),
])
def test_error_unknown_latex_command(text, column):
    e = error(Q, text) if "=" in text else error(E, text)
    caret_at(e, text, column)
    assert "unexpected '\\\\'" in e.reason


def test_unknown_wrapped_name_is_a_product():
    r"""\operatorname{foo}(y) is not one of the functions: the name foo times (y), as
    \mathbf{W}(h + b) is W times (h + b), and with a product's precedence:
    -\mathbf{W} (W) is (-W) W. Binding it to a model then names foo unknown."""
    assert Q(r"x = \operatorname{foo}(y)").rhs == BinOp(" ", Name("foo"), Name("y"))
    assert Q(r"x = -\mathbf{W} (W)").rhs == BinOp(" ", Neg(Name("W")), Name("W"))
    assert Q(r"x = \operatorname{diag}(y)").rhs == Call("diag", Name("y"))
    assert Q(r"x = \mathrm{sigma}(y)").rhs == Call("sigmoid", Name("y"))


def test_error_prime_on_another_function():
    text = "x = exp'(a)"
    e = error(Q, text)
    caret_at(e, text, 4)
    assert "only phi, tanh, sigmoid and relu" in e.reason


@pytest.mark.parametrize("text, func", [("tanh'(a)", "tanh_prime"), (r"\tanh'(a)", "tanh_prime"),
                                        ("sigmoid'(a)", "sigmoid_prime"),
                                        (r"\sigma'(a)", "sigmoid_prime"),
                                        ("tanh_prime(a)", "tanh_prime"),
                                        ("phi'(a)", "phi_prime")])
def test_primes(text, func):
    """Seed 004 writes tanh'(...); seed 001 writes sigma' for the gates."""
    assert Q("x = " + text).rhs == Call(func, Name("a"))


@pytest.mark.parametrize("text, column", [
    ("dL/dh[t+] = 0", 8),            # the index ends early: under its closing ']'
    ("x = dL/dh[t+]", 12),
    ("dL/dh[t@] = 0", 7),            # under the '@', counted in the whole formula
    ("x = dl[t]/dh[t+t+]", 17),
    ("x = dl[t*]/dh[t]", 8),
])
def test_error_bad_index_inside_derivative(text, column):
    """A derivative's index is read separately; its error is reported at the column of
    the whole formula, not of the index alone."""
    e = error(Q, text)
    caret_at(e, text, column)
    assert "index" in e.reason


def test_error_bad_latex_index():
    text = "x = h_{t+}"
    caret_at(error(Q, text), text, 9)


def test_error_nesting_limit():
    ok = "x = " + "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert Q(ok).rhs == N("a")
    text = "x = " + "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    e = error(Q, text)
    assert "deeper than" in e.reason
    caret_at(e, text, 4 + MAX_DEPTH)             # under the first bracket too many
    mixed = "x = " + "([{" * 21 + "a" + "}])" * 21
    assert "deeper than" in error(Q, mixed).reason


def test_error_long_number():
    text = "x = " + "1" * 40
    e = error(Q, text)
    assert f"more than {MAX_DIGITS} digits" in e.reason
    caret_at(e, text, 4)
    assert Q("x = " + "9" * MAX_DIGITS).rhs == Num(Fraction(int("9" * MAX_DIGITS)))
    assert "digits" in str(error(Q, "x = h[" + "1" * 40 + "]"))
    assert "digits" in str(error(I, "1" * 40))


def test_error_too_long():
    text = "x = " + " + ".join(["a"] * 1250)          # 5000 characters
    assert len(text) > MAX_LENGTH
    e = error(Q, text)
    assert f"at most {MAX_LENGTH}" in str(e)


def test_long_valid_formula_within_the_limit_parses():
    """A 140-term sum is read whole."""
    text = "x = " + " + ".join(["a"] * 140)
    rhs = Q(text).rhs
    depth = 0
    while isinstance(rhs, BinOp):
        rhs, depth = rhs.left, depth + 1
    assert depth == 139


@pytest.mark.parametrize("terms", [300, 500, 900])
def test_too_long_a_chain_is_a_formula_error(terms):
    """Past MAX_TREE_DEPTH operations inside one another the formula is refused with
    its own error (the tree is built without recursion, so no RecursionError escapes),
    well under MAX_LENGTH characters. Found by this suite (a 500-term sum once raised
    RecursionError)."""
    text = "x = " + " + ".join(["a"] * terms)
    assert len(text) < MAX_LENGTH
    with pytest.raises(FormulaError, match="too long a chain"):
        Q(text)


@pytest.mark.parametrize("value", [None, b"x = 1", 3, 2.5, ["x = 1"], object()])
@pytest.mark.parametrize("func", [parse_equation, parse_expression, parse_index])
def test_error_not_text(func, value):
    e = error(func, value)
    assert "expected text" in str(e)


def test_error_multiline_has_no_caret_line_but_a_column():
    e = error(Q, "x = y\n+ (")
    assert "ends too early" in str(e)
    assert "^" not in str(e)
    assert e.column is not None


@pytest.mark.parametrize("text", [
    "x = sum(t=1..T x)", "x = diag(", r"x = \frac{\partial L}{\partial}", "x = W^",
    "x = h[t]]", "x = a ) b", "x = 1.", "x = .5", "x = a..b", "x = W.T.", "x = a'",
    "x = prod(j=i+1..t)", r"x = \sum_{t=1}^{T}", "x = h[1.5]", "x = $", "x = W.Tx",
    "x = sum(t=1..T, )", "x = ()", "= x", "x =", "x = \\", "x = dL/", "x = /dW",
])
def test_error_always_has_caret_and_expected(text):
    e = error(Q, text)
    caret_at(e, text, e.column)
    assert 0 <= e.column <= len(text)
    assert "expected" in e.reason or "ends too early" in e.reason


def test_error_attributes():
    e = error(Q, "a = b = c")
    assert e.text == "a = b = c"
    assert e.reason.startswith("cannot read the formula at column 7")


def test_what_names_the_formula_in_messages():
    e = error(lambda s: parse_equation(s, "the claim"), "a = = b")
    assert "cannot read the claim" in e.reason
    e = error(lambda s: parse_expression(s, "the definition"), "")
    assert "the definition is empty" in str(e)


def test_the_package_never_evaluates_text():
    """No eval, exec, sympify or parse_expr anywhere in symbptt/'s code (names in strings
    and comments aside, read with tokenize): user text reaches only the grammar."""
    import io
    import tokenize
    from pathlib import Path

    import symbptt
    root = Path(symbptt.__file__).resolve().parent
    for path in root.rglob("*.py"):
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
                  if t.type in (tokenize.NAME, tokenize.OP)]
        for tok, nxt in zip(tokens, tokens[1:] + tokens[-1:]):
            called = tok.string in ("eval", "exec") and nxt.string == "("
            assert not called and tok.string not in ("sympify", "parse_expr"), \
                f"{path.name}:{tok.start[0]}: {tok.line.strip()}"


# issue 14 (3): ^ reads to the right, as in mathematics and Python (x^3^2 is x^9, not x^6)
@pytest.mark.parametrize("text, exponent", [("x^3^2", 9), ("x^2^3^2", 512), ("x^{3}^2", 9),
                                            ("x^(-1)^2", 1), ("x^3^2^1", 9)])
def test_power_chains_read_to_the_right(text, exponent):
    assert parse_expression(text) == Power(N("x"), Idx.of(exponent))


def test_brackets_end_a_power_chain():
    assert parse_expression("(x^3)^2") == Power(Power(N("x"), Idx.of(3)), Idx.of(2))
    tree = Power(Power(N("x"), Idx.of(3)), Idx.of(2))
    assert show(tree) == "(x^3)^2" and parse_expression(show(tree)) == tree


@pytest.mark.parametrize("text", ["x^(t)^2", "W^(T-i)^2", "x^2^(-1)", "x^10^10"])
def test_power_chains_that_are_no_whole_number(text):
    with pytest.raises(FormulaError, match="reads to the right"):
        parse_expression(text)


# --------------------------------------------------------------------------- issue 18

@pytest.mark.parametrize("text", ["dL/dW = 1e400 * W", "dL/dW = 2.5E-3 W",
                                  "dL/dW = 3e2 W"])
def test_e_notation_is_refused_never_read_as_a_name(text):
    """1e400 read as 1 times a name e400 (and the error blamed an unknown name)."""
    with pytest.raises(FormulaError, match="no e-notation"):
        parse_equation(text)


def test_a_name_with_digits_and_e_is_still_a_name():
    parse_equation("dL/dW1e2 = W1e2")


def test_nested_sums_are_bounded():
    deep = "sum(i=1..3, " * 25 + "W" + ")" * 25
    with pytest.raises(FormulaError, match="nests 25 sums or products"):
        parse_equation(f"dL/dW = {deep}")
    parse_equation("dL/dW = " + "sum(i=1..3, " * 4 + "W" + ")" * 4)
