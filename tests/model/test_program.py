"""symbptt/program.py: a cell's equations compiled to shaped operations, and every error
with the file, line and column of the equation (and of the offending name) and its reason.

Each test writes a small model file to a temporary folder (the working folder, so the
messages start with the plain file name) and loads it with symbptt.model.modelfile.load.
"""
from __future__ import annotations

import re
from fractions import Fraction

import pytest

from symbptt.errors import SymbpttError
from symbptt.formula.parse import parse_equation
from symbptt.model.modelfile import load
from symbptt.model.program import ModelError, Source, compile_cell, declared_unused, shape_text

PARAMS = {"W": "n x n", "U": "n x d", "b": "n", "w": "n", "V": "q x n", "c": "q",
          "s": "scalar"}
ELMAN = "h[t] = tanh(W @ h[t-1] + U @ x[t] + b)"
HALF = "l[t] = (h[t] - y[t]).T @ (h[t] - y[t]) / 2"
FILE = "cell.toml"


def model_text(equations, loss=HALF, params=None, x="d", y="n", extra_cell="") -> str:
    params = PARAMS if params is None else params
    lines = ["[params]"] + [f'{p} = "{s}"' for p, s in params.items()]
    lines += ["[sequences]", f'x = "{x}"'] + ([f'y = "{y}"'] if y is not None else [])
    lines += ["[cell]", "equations = ["] + [f'  "{e}",' for e in equations] + ["]"]
    lines += [f'loss = "{loss}"'] + ([extra_cell] if extra_cell else [])
    return "\n".join(lines) + "\n"


@pytest.fixture
def write(tmp_path, monkeypatch):
    """write(equations, ...) -> the file's text (the file is ./cell.toml)."""
    monkeypatch.chdir(tmp_path)

    def _write(*args, **kw):
        text = model_text(*args, **kw)
        (tmp_path / FILE).write_text(text, encoding="utf-8")
        return text
    return _write


def compiled(write, *args, **kw):
    write(*args, **kw)
    return load(FILE)


def failure(write, *args, **kw) -> tuple[str, str]:
    """(the message, the file's text) of a file that must not compile."""
    text = write(*args, **kw)
    with pytest.raises(ModelError) as info:
        load(FILE)
    message = str(info.value)
    assert "\n" not in message, message
    assert isinstance(info.value, SymbpttError)
    return message, text


def place(text: str, needle: str) -> tuple[int, int]:
    """1-based (line, column) of the first character of needle in the file."""
    k = text.index(needle)
    return text.count("\n", 0, k) + 1, k - (text.rfind("\n", 0, k) + 1) + 1


def location(message: str) -> tuple[int, int]:
    m = re.match(rf"^{re.escape(FILE)}:(\d+):(\d+): ", message)
    assert m, f"no {FILE}:LINE:COL: at the start of {message!r}"
    return int(m.group(1)), int(m.group(2))


def assert_at(message: str, text: str, needle: str, exact_column: bool = True):
    """The message names the line of `needle`; the column is needle's own (exact_column)
    or at least one on that line."""
    line, col = location(message)
    want_line, want_col = place(text, needle)
    assert line == want_line, (message, want_line)
    if exact_column:
        assert col == want_col, (message, want_col)
    else:
        assert 1 <= col <= len(text.splitlines()[line - 1]), message


def shape_of(mf, name):
    p = mf.program
    return p.ops[p.sequences[name]].shape


# --------------------------------------------------------------------------- shapes

def test_products_of_rows_columns_and_matrices(write):
    mf = compiled(write, [
        "r[t] = h[t-1].T @ h[t-1]",           # row @ column: a scalar
        "o[t] = h[t-1] @ h[t-1].T",           # column @ row: an outer product
        "m[t] = W @ W",                       # matrix @ matrix
        "v[t] = h[t-1].T @ W",                # row @ matrix: a row
        "h[t] = tanh(r[t] * (o[t] @ w) + m[t] @ h[t-1] + v[t].T + U @ x[t] + b)",
    ])
    assert shape_of(mf, "r") == ()
    assert shape_of(mf, "o") == ("n", "n")
    assert shape_of(mf, "m") == ("n", "n")
    assert shape_of(mf, "v") == ("1", "n")
    assert shape_of(mf, "h") == ("n",)
    ops = mf.program.ops
    # o[t] @ w: a matrix times a column is a column
    mv = [op for op in ops if op.kind == "matmul" and op.args[0] == mf.program.sequences["o"]]
    assert [op.shape for op in mv] == [("n",)]


def test_transpose_turns_columns_rows_and_matrices(write):
    mf = compiled(write, [
        "k[t] = x[t].T @ U.T",                # (1 x d) @ (d x n): a row
        "h[t] = tanh(W.T @ h[t-1] + k[t].T + b)",
    ])
    shapes = {(op.kind, mf.program.ops[op.args[0]].kind, mf.program.ops[op.args[0]].name):
              op.shape for op in mf.program.ops if op.kind == "transpose"}
    assert shapes[("transpose", "x", "")] == ("1", "d")
    assert shapes[("transpose", "param", "U")] == ("d", "n")
    assert shapes[("transpose", "param", "W")] == ("n", "n")
    assert shape_of(mf, "k") == ("1", "n")
    # the row k[t] transposed back is a column
    back = [op for op in mf.program.ops
            if op.kind == "transpose" and op.args == (mf.program.sequences["k"],)]
    assert [op.shape for op in back] == [("n",)]


def test_elementwise_with_a_broadcast_scalar(write):
    mf = compiled(write, [
        "f[t] = sigmoid(W @ h[t-1] + U @ x[t] + b)",
        "h[t] = (1 - f[t]) * h[t-1] + s * f[t] + f[t] / 2",
    ])
    ops = mf.program.ops
    one = next(i for i, op in enumerate(ops) if op.kind == "const" and op.value == 1)
    assert ops[one].shape == ()
    minus = [op for op in ops if op.kind == "sub" and op.args[0] == one]
    assert [op.shape for op in minus] == [("n",)]               # 1 - f[t]: a vector
    scaled = [op for op in ops if op.kind == "mul"
              and ops[op.args[0]].kind == "param" and ops[op.args[0]].name == "s"]
    assert [op.shape for op in scaled] == [("n",)]              # s * f[t]
    halves = [ops[i] for i in mf.program.step if ops[i].kind == "div"]
    assert [op.shape for op in halves] == [("n",)]              # f[t] / 2
    assert shape_of(mf, "f") == shape_of(mf, "h") == ("n",)


def test_diag_softmax_and_the_power_of_a_scalar(write):
    mf = compiled(write, [
        "p[t] = softmax(W @ h[t-1])",
        "g[t] = diag(w) @ p[t]",
        "e[t] = (h[t-1].T @ h[t-1])^2",
        "h[t] = tanh(e[t] * g[t] + U @ x[t] + b)",
    ])
    ops = mf.program.ops
    calls = {op.name: op.shape for op in ops if op.kind == "call"}
    assert calls == {"softmax": ("n",), "diag": ("n", "n"), "tanh": ("n",)}
    power = [op for op in ops if op.kind == "power"]
    assert len(power) == 1 and power[0].shape == () and power[0].value == Fraction(2)
    assert shape_of(mf, "g") == ("n",) and shape_of(mf, "e") == ()


def test_a_scalar_model_has_a_scalar_state(write):
    mf = compiled(write, ["h[t] = tanh(s * h[t-1] + x[t])"], loss="l[t] = (h[t] - y[t])^2",
                  params={"s": "scalar"}, x="scalar", y="scalar")
    assert shape_of(mf, "h") == () and mf.spec.dims_used == ()
    assert mf.spec.input_shape == () and mf.spec.target_shape == ()


def test_step_readout_states_and_loss_of_a_program(write):
    mf = compiled(write, ["h[t] = tanh(W @ h[t-1] + U @ x[t] + b)", "o[t] = V @ h[t] + c"],
                  loss="l[t] = (o[t] - y[t]).T @ (o[t] - y[t])", y="q",
                  extra_cell="mean = true")
    p = mf.program
    assert p.states == ("h",) and p.mean is True
    assert p.sequences["h"] in p.step and p.sequences["o"] in p.readout
    assert p.sequences["o"] not in p.step and p.loss in p.readout
    assert p.ops[p.loss].shape == ()
    assert not any(p.ops[i].kind == "y" for i in p.step)
    for ids in (p.step, p.readout):
        for i in ids:
            assert all(a < i for a in p.ops[i].args)    # operands come first


def test_two_states_in_order_of_reading(write):
    mf = compiled(write, ["c[t] = sigmoid(W @ h[t-1]) * c[t-1] + U @ x[t]",
                          "h[t] = tanh(c[t]) + b"], loss="l[t] = h[t].T @ h[t]", y=None,
                  params={"W": "n x n", "U": "n x d", "b": "n"})
    assert mf.program.states == ("h", "c")
    assert mf.spec.states == ("h", "c") and mf.spec.target_shape is None


def test_compile_cell_directly_without_a_file():
    eq = parse_equation(ELMAN, "an equation")
    loss = parse_equation(HALF, "the loss")
    params = {"W": ("n", "n"), "U": ("n", "d"), "b": ("n",), "unused": ("n",)}
    prog = compile_cell(params, ("d",), ("n",), ("n",), (eq,), loss, False, Source("mem"))
    assert prog.states == ("h",) and prog.ops[prog.sequences["h"]].shape == ("n",)
    assert declared_unused(prog, params) == ["unused"]
    bad = parse_equation("h[t] = tanh(W @ h[t-1] + U + b)", "an equation")
    with pytest.raises(ModelError, match=r"^mem: \+ of a vector \(n\) and a matrix"):
        compile_cell(params, ("d",), ("n",), ("n",), (bad,), loss, False, Source("mem"))


def test_declared_unused_lists_the_parameters_no_operation_reads(write):
    mf = compiled(write, [ELMAN])
    shapes = {p.name: p.shape for p in mf.spec.params}
    assert declared_unused(mf.program, shapes) == ["w", "V", "c", "s"]
    assert mf.warnings == tuple(f"{FILE}: parameter {p} is declared but never used"
                                for p in ("w", "V", "c", "s"))
    used = compiled(write, [ELMAN], params={"W": "n x n", "U": "n x d", "b": "n"})
    assert used.warnings == ()
    assert declared_unused(used.program, {"W": 0, "U": 0, "b": 0}) == []


def test_shape_text_names_every_kind_of_shape():
    assert shape_text(()) == "a scalar"
    assert shape_text(("n",)) == "a vector (n)"
    assert shape_text(("1", "d")) == "a row vector (1 x d)"
    assert shape_text(("q", "n")) == "a matrix (q x n)"


# --------------------------------------------------------------------------- shape errors

def test_matmul_with_different_inner_sizes(write):
    msg, text = failure(write, ["h[t] = tanh(W @ h[t-1] + U @ x[t] + b + s * (U @ h[t-1]))"])
    assert "@ of a matrix (n x d) and a vector (n): the inner sizes d and n differ" in msg
    assert_at(msg, text, "h[t] = tanh", exact_column=False)


def test_a_column_times_a_column_is_not_a_product(write):
    msg, _ = failure(write, ["h[t] = tanh(W @ h[t-1] + U @ x[t] + b @ b)"])
    assert "@ of a vector (n) and a vector (n)" in msg and "differ" in msg


def test_plus_of_different_shapes(write):
    msg, text = failure(write, ["h[t] = tanh(W @ h[t-1] + U + b)"])
    assert "+ of a vector (n) and a matrix (n x d): the shapes differ" in msg
    assert_at(msg, text, "h[t] = tanh", exact_column=False)


def test_minus_of_different_shapes(write):
    msg, _ = failure(write, [ELMAN], loss="l[t] = (h[t] - c).T @ (h[t] - c)")
    assert "- of a vector (n) and a vector (q): the shapes differ" in msg


def test_elementwise_product_of_different_shapes(write):
    msg, text = failure(write, ["h[t] = tanh(W @ h[t-1] + U @ x[t] + b * c)"])
    assert "* of a vector (n) and a vector (q): elementwise needs equal shapes" in msg
    assert "a matrix product is @" in msg
    assert_at(msg, text, "h[t] = tanh", exact_column=False)


def test_division_by_a_vector_of_another_shape(write):
    msg, _ = failure(write, ["h[t] = tanh(W @ h[t-1] + U @ x[t] + b / c)"])
    assert "/ by a vector (q)" in msg


def test_matmul_of_a_scalar(write):
    msg, text = failure(write, ["h[t] = tanh(s @ h[t-1] + U @ x[t] + b)"])
    assert "@ of a scalar: scale with * instead" in msg
    assert_at(msg, text, "h[t] = tanh", exact_column=False)


def test_power_of_a_vector(write):
    msg, _ = failure(write, ["h[t] = tanh(W @ h[t-1] + U @ x[t] + b^2)"])
    assert "^ of a vector (n): write a square elementwise as v * v" in msg


@pytest.mark.parametrize("func,arg,shape", [("softmax", "W", "a matrix (n x n)"),
                                            ("diag", "W", "a matrix (n x n)"),
                                            ("softmax", "s", "a scalar")])
def test_softmax_and_diag_take_a_vector(write, func, arg, shape):
    msg, _ = failure(write, [f"h[t] = tanh(W @ h[t-1] + U @ x[t] + b) + {func}({arg}) @ b"])
    assert f"{func} of {shape}: it takes a vector" in msg


def test_a_state_must_be_a_vector_of_size_n(write):
    msg, text = failure(write, [ELMAN, "g[t] = U.T @ h[t-1]", "k[t] = g[t-1].T @ g[t-1]"])
    assert "the state g[t] is a vector (d); a state is a vector (n)" in msg
    assert_at(msg, text, "g[t] = U.T")


# --------------------------------------------------------------------------- name errors

def test_unknown_name(write):
    msg, text = failure(write, ["h[t] = tanh(Z @ h[t-1] + U @ x[t] + b)"])
    assert "unknown name 'Z': not a declared parameter" in msg and "W, U, b" in msg
    assert_at(msg, text, "Z @ h")


def test_a_parameter_written_with_a_time_index(write):
    msg, text = failure(write, ["h[t] = tanh(W[t] @ h[t-1] + U @ x[t] + b)"])
    assert "W is a parameter: it has no time index" in msg
    assert_at(msg, text, "W[t]")


def test_the_input_at_t_minus_1(write):
    msg, text = failure(write, ["h[t] = tanh(W @ h[t-1] + U @ x[t-1] + b)"])
    assert "x[t-1]: the cell reads x at step t only" in msg
    assert_at(msg, text, "x[t-1]")


@pytest.mark.parametrize("index", ["t-2", "t+1"])
def test_a_sequence_read_further_than_one_step_back(write, index):
    msg, text = failure(write, [f"h[t] = tanh(W @ h[{index}] + U @ x[t] + b)"])
    assert f"h[{index}]: a cell reads its sequences at t or t-1 only" in msg
    assert_at(msg, text, f"h[{index}]")


def test_a_sequence_without_an_index(write):
    msg, text = failure(write, ["h[t] = tanh(W @ h + U @ x[t] + b)"])
    assert "h is a sequence: write h[t] or h[t-1]" in msg
    assert_at(msg, text, "h + U")


def test_an_unknown_sequence(write):
    msg, text = failure(write, ["h[t] = tanh(W @ k[t-1] + U @ x[t] + b)"])
    assert "unknown sequence k[t]: no equation defines it" in msg
    assert_at(msg, text, "k[t-1]")


def test_the_target_when_none_is_declared(write):
    msg, _ = failure(write, [ELMAN], y=None)
    assert "y[t]: the model declares no target" in msg


def test_a_sequence_defined_twice(write):
    msg, text = failure(write, [ELMAN, "h[t] = W @ h[t-1]"])
    assert "h[t] is defined twice" in msg
    assert_at(msg, text, "h[t] = W @ h[t-1]")          # the second definition


@pytest.mark.parametrize("lhs,words", [
    ("h[t-1]", "an equation defines name[t] (e.g. h[t] = ...), not h[t-1]"),
    ("W[t]", "W is a parameter or a reserved name"),
    ("x[t]", "x is a parameter or a reserved name"),
])
def test_the_left_side_of_an_equation(write, lhs, words):
    msg, text = failure(write, [ELMAN, f"{lhs} = W @ h[t-1]"])
    assert words in msg
    assert_at(msg, text, f"{lhs} = W")


# --------------------------------------------------------------------------- structure

def test_a_sequence_reading_itself_at_t(write):
    msg, text = failure(write, ["h[t] = tanh(W @ h[t] + U @ x[t] + b)"])
    assert "h[t] -> h[t]: a recursion with no base" in msg
    assert "only h[t-1] may look back" in msg
    assert_at(msg, text, "h[t] = tanh")


def test_two_sequences_reading_each_other_at_t(write):
    msg, text = failure(write, ["u[t] = W @ v[t] + W @ h[t-1]", "v[t] = tanh(u[t])",
                                "h[t] = v[t] + U @ x[t]"])
    assert "u[t] -> v[t] -> u[t]: a recursion with no base" in msg
    assert_at(msg, text, "u[t] = W")


def test_a_cell_that_is_not_recurrent(write):
    msg, text = failure(write, ["h[t] = tanh(U @ x[t] + b)"])
    assert "no equation reads a sequence at t-1" in msg and "not recurrent" in msg
    assert_at(msg, text, "h[t] = tanh")


def test_a_loss_that_is_not_a_scalar(write):
    msg, text = failure(write, [ELMAN], loss="l[t] = h[t] - y[t]")
    assert "the loss l[t] is a vector (n); it must be a scalar" in msg
    assert_at(msg, text, "l[t] = h[t] - y[t]")


@pytest.mark.parametrize("loss", ["L = (h[t] - y[t]).T @ (h[t] - y[t])",
                                  "m[t] = (h[t] - y[t]).T @ (h[t] - y[t])",
                                  "l[t-1] = (h[t] - y[t]).T @ (h[t] - y[t])"])
def test_a_loss_that_is_not_l_of_t(write, loss):
    msg, text = failure(write, [ELMAN], loss=loss)
    assert "the loss is written l[t] = ..." in msg
    assert_at(msg, text, loss)


def test_a_loss_reading_an_intermediate_of_the_step(write):
    msg, text = failure(write, ["a[t] = W @ h[t-1] + U @ x[t] + b", "h[t] = tanh(a[t])"],
                        loss="l[t] = (a[t] - y[t]).T @ (a[t] - y[t])",
                        params={"W": "n x n", "U": "n x d", "b": "n"})
    assert "the loss (or an output it reads) reads a[t]" in msg
    assert "the states at t, x[t], y[t] and the parameters" in msg
    assert_at(msg, text, "l[t] = (a[t]")


def test_a_loss_reading_the_previous_state(write):
    msg, _ = failure(write, [ELMAN], loss="l[t] = (h[t-1] - y[t]).T @ (h[t] - y[t])")
    assert "reads h[t-1]" in msg


def test_the_step_reading_the_target(write):
    msg, text = failure(write, ["h[t] = tanh(W @ h[t-1] + U @ x[t] + b + y[t])"])
    assert "the step reads y[t]; targets are for the loss" in msg
    assert_at(msg, text, "h[t] = tanh", exact_column=False)


def test_a_derivative_inside_an_equation(write):
    msg, text = failure(write, ["h[t] = tanh(W @ h[t-1] + U @ x[t] + b) + dl[t]/dh[t]"])
    assert "a derivative has no place in a cell's equations" in msg
    assert_at(msg, text, "dl[t]/dh[t]")


def test_a_sum_inside_an_equation(write):
    msg, text = failure(write, ["h[t] = tanh(W @ h[t-1] + U @ x[t] + sum(k=1..t, b))"])
    assert "a sum or product over an index has no place in a cell's equations" in msg
    assert_at(msg, text, "h[t] = tanh", exact_column=False)


def test_a_function_the_grammar_knows_but_a_cell_does_not(write):
    msg, text = failure(write, ["h[t] = phi(W @ h[t-1] + U @ x[t] + b)"])
    assert "phi() has no place in a cell; functions: tanh, sigmoid, exp, log, relu, " \
           "leaky_relu, softmax, diag" in msg
    assert_at(msg, text, "h[t] = phi", exact_column=False)


def test_a_function_nobody_knows(write):
    msg, text = failure(write, ["h[t] = softplus(W @ h[t-1] + U @ x[t] + b)"])
    assert "softplus() is not a function of the formula language; functions: tanh" in msg
    assert_at(msg, text, "softplus(")
    msg, text = failure(write, ["h[t] = frobnicate(W @ h[t-1] + U @ x[t] + b)"])
    assert "unknown name 'frobnicate'" in msg


# --------------------------------------------------------------------------- bug: columns

@pytest.mark.parametrize("equation,offending", [
    ("h[t] = tanh(W @ h[t-1] + U @ x[t] + b + s * (U @ h[t-1]))", "U @ h[t-1]"),
    ("h[t] = tanh(W @ h[t-1] + U + b)", "W @ h[t-1] + U"),
    ("h[t] = tanh(W @ h[t-1] + U @ x[t] + b * c)", "b * c"),
    ("h[t] = phi(W @ h[t-1] + U @ x[t] + b)", "phi(W @ h[t-1] + U @ x[t] + b)"),
], ids=["matmul", "plus", "times", "unknown-function"])
def test_a_shape_error_points_at_the_offending_operation(write, equation, offending):
    """program.py: 'Shapes are checked once, here, with the place of the offending node'.
    The column must fall within the offending operation, not at the start of the
    equation (BinOp and Call nodes carry no position, so every such error points at the
    equation's first character)."""
    msg, text = failure(write, [equation])
    line, col = location(msg)
    want_line, start = place(text, offending)
    assert line == want_line
    assert start <= col < start + len(offending), \
        f"{msg!r}: column {col}, the offending {offending!r} spans columns " \
        f"{start}..{start + len(offending) - 1}"


def test_power_chains_read_to_the_right_and_scalars_take_negative_powers(write):
    # issue 14 (3): x^3^2 is x^9 in a model file too, as in mathematics and Python
    mf = compiled(write, ["e[t] = (h[t-1].T @ h[t-1] + 1)^3^2",
                          "k[t] = (h[t-1].T @ h[t-1] + 1)^(-1)",
                          "h[t] = tanh(e[t] * k[t] * (W @ h[t-1]) + U @ x[t] + b)"])
    powers = sorted(op.value for op in mf.program.ops if op.kind == "power")
    assert powers == [Fraction(-1), Fraction(9)]


# --------------------------------------------------------------------------- issue 18

def _cell(tmp_path, equations, name="cell"):
    from symbptt.model.registry import get_model
    path = tmp_path / f"{name}.toml"
    quoted = ", ".join(f'"{e}"' for e in equations)
    path.write_text('[params]\nw = "scalar"\n[sequences]\nx = "scalar"\ny = "scalar"\n'
                    f'[cell]\nequations = [{quoted}]\nloss = "l[t] = (h[t] - y[t])^2"\n',
                    encoding="utf-8")
    return path, (lambda: get_model(str(path)))


def test_degree_grows_as_the_cell_multiplies(tmp_path):
    from symbptt.model.program import degree
    _, linear = _cell(tmp_path, ["h[t] = w * h[t-1] + x[t]"], "linear")
    _, square = _cell(tmp_path, ["h[t] = w * h[t-1] * h[t-1] + x[t]"], "square")
    _, squashed = _cell(tmp_path, ["h[t] = tanh(w * h[t-1] + x[t])"], "squashed")
    # the loss (h - y)^2 doubles the state's degree; the state's: 1, 2, 3 and 1, 3, 7
    assert [degree(linear().program, T) for T in (1, 2, 3)] == [2, 4, 6]
    assert [degree(square().program, T) for T in (1, 2, 3)] == [2, 6, 14]
    assert [degree(squashed().program, T) for T in (1, 5)] == [2, 2]


def test_a_cell_that_explodes_is_refused_at_load(tmp_path):
    """19 chained squarings (degree 2^19 in one step) hung prove, even --kind inductive."""
    from symbptt.model.program import ModelError
    eqs = ["a1[t] = x[t] * x[t] + h[t-1]"] + [f"a{i}[t] = a{i-1}[t] * a{i-1}[t]"
                                              for i in range(2, 20)] + ["h[t] = w * a19[t]"]
    _, load = _cell(tmp_path, eqs)
    with pytest.raises(ModelError, match="degree over a million"):
        load()


def test_too_many_equations_are_refused_at_load(tmp_path):
    """3000 chained tanh equations hung prove."""
    from symbptt.model.program import ModelError
    eqs = ["a1[t] = tanh(h[t-1] + x[t])"] + [f"a{i}[t] = tanh(a{i - 1}[t])"
                                             for i in range(2, 301)] + ["h[t] = w * a300[t]"]
    _, load = _cell(tmp_path, eqs)
    with pytest.raises(ModelError, match="301 equations in one cell"):
        load()


def test_an_unrolled_proof_that_would_not_end_is_refused_up_front(tmp_path):
    import symbptt
    from symbptt.errors import SymbpttError
    path, _ = _cell(tmp_path, ["h[t] = w * h[t-1] * h[t-1] + x[t]"])
    assert symbptt.prove(str(path), T=4, kind="unrolled").proven
    with pytest.raises(SymbpttError, match="multiplies out to degree 510"):
        symbptt.prove(str(path), T=8, kind="unrolled")
