"""symbptt/modelfile.py: a user's model file (TOML) read, checked and compiled; every bad
file refused with one line naming the file (and its line and column where one applies),
through the API and through the command line (exit 2)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import symbptt
from symbptt.errors import SymbpttError
from symbptt.model.modelfile import ModelFile, is_model_file, load
from symbptt.model.program import ModelError, Program
from symbptt.model.spec import Param
from symbptt.model.registry import get_model

from ..cli_helpers import assert_bad_input, run

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"
FILE = "cell.toml"

PARAMS = '[params]\nW = "n x n"\nU = "n x d"\nb = "n"\n'
SEQUENCES = '[sequences]\nx = "d"\ny = "n"\n'
EQUATIONS = 'equations = ["h[t] = tanh(W @ h[t-1] + U @ x[t] + b)"]\n'
LOSS = 'loss = "l[t] = (h[t] - y[t]).T @ (h[t] - y[t]) / 2"\n'
GOOD = PARAMS + SEQUENCES + "[cell]\n" + EQUATIONS + LOSS


@pytest.fixture
def at(tmp_path, monkeypatch):
    """at(text) writes ./cell.toml (the working folder is a fresh one) and returns its name."""
    monkeypatch.chdir(tmp_path)

    def _write(text: str, name: str = FILE) -> str:
        (tmp_path / name).write_text(text, encoding="utf-8")
        return name
    return _write


def refused(path: str) -> str:
    with pytest.raises(ModelError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message, message
    return message


def place(text: str, needle: str) -> tuple[int, int]:
    k = text.index(needle)
    return text.count("\n", 0, k) + 1, k - (text.rfind("\n", 0, k) + 1) + 1


# --------------------------------------------------------------------------- the examples

EXPECTED = {
    "indrnn": dict(params=[("w", ("n",)), ("U", ("n", "d")), ("b", ("n",))],
                   dims=("n", "d"), target=("n",), states=("h",), equations=1),
    "mgu": dict(params=[("W_f", ("n", "n")), ("U_f", ("n", "d")), ("b_f", ("n",)),
                        ("W_h", ("n", "n")), ("U_h", ("n", "d")), ("b_h", ("n",))],
                dims=("n", "d"), target=("n",), states=("h",), equations=3),
    "elman2": dict(params=[("W1", ("n", "n")), ("U1", ("n", "d")), ("b1", ("n",)),
                           ("W2", ("n", "n")), ("V2", ("n", "n")), ("b2", ("n",))],
                   dims=("n", "d"), target=("n",), states=("h1", "h2"), equations=2),
    "readout_mean": dict(params=[("W", ("n", "n")), ("U", ("n", "d")), ("b", ("n",)),
                                 ("V", ("q", "n")), ("c", ("q",))],
                         dims=("n", "d", "q"), target=("q",), states=("h",), equations=2),
    "softmax_rnn": dict(params=[("W", ("n", "n")), ("U", ("n", "d")), ("b", ("n",)),
                                ("V", ("q", "n")), ("c", ("q",))],
                        dims=("n", "d", "q"), target=("q",), states=("h",), equations=2),
    "relu_rnn": dict(params=[("W", ("n", "n")), ("U", ("n", "d")), ("b", ("n",))],
                     dims=("n", "d"), target=("n",), states=("h",), equations=2),
    "leaky_relu_rnn": dict(params=[("W", ("n", "n")), ("U", ("n", "d")), ("b", ("n",)),
                                   ("V", ("q", "n")), ("c", ("q",))],
                           dims=("n", "d", "q"), target=("q",), states=("h",), equations=3),
}


def test_every_example_is_described_here():
    assert sorted(p.stem for p in MODELS.glob("*.toml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_example_loads(name):
    path = str(MODELS / f"{name}.toml")
    mf = load(path)
    want = EXPECTED[name]
    assert isinstance(mf, ModelFile) and isinstance(mf.program, Program)
    assert mf.path == path and mf.warnings == ()
    spec = mf.spec
    assert spec.name == name                         # the file's stem
    assert spec.params == tuple(Param(p, s) for p, s in want["params"])
    assert spec.dims_used == want["dims"]
    assert spec.input_shape == ("d",) and spec.target_shape == want["target"]
    assert spec.states == want["states"] == mf.program.states
    assert len(spec.equations) == want["equations"]
    assert all(e.split("=")[0].strip().endswith("[t]") for e in spec.equations)
    assert spec.loss.startswith("l[t] = ")
    assert spec.loss.endswith("L = (1/T) sum_t l[t]" if name == "readout_mean"
                              else "L = sum_t l[t]")
    assert mf.program.mean is (name == "readout_mean")
    assert spec.program is mf.program and spec.symbolic and spec.numeric
    assert spec.seeds == ()
    assert is_model_file(path)


def test_example_equations_and_title_are_the_files():
    spec = load(str(MODELS / "mgu.toml")).spec
    assert spec.equations == ("f[t] = sigmoid(W_f @ h[t-1] + U_f @ x[t] + b_f)",
                              "htilde[t] = tanh(W_h @ (f[t] * h[t-1]) + U_h @ x[t] + b_h)",
                              "h[t] = (1 - f[t]) * h[t-1] + f[t] * htilde[t]")
    assert spec.intermediates == ("f", "htilde", "h")
    assert spec.title.startswith("Minimal gated unit")


def test_get_model_takes_a_path():
    spec = get_model(str(MODELS / "indrnn.toml"))
    assert spec.name == "indrnn" and spec.program is not None
    assert get_model("elman").program is None


# --------------------------------------------------------------------------- good files

def test_a_minimal_file_gets_its_name_and_a_title(at):
    mf = load(at(GOOD))
    assert mf.spec.name == "cell" and FILE in mf.spec.title and FILE in mf.spec.notes
    assert mf.spec.dims_used == ("n", "d")


def test_a_custom_name_title_and_notes(at):
    mf = load(at('name = "my_cell_2"\ntitle = "Mine"\nnotes = "from a test"\n' + GOOD))
    assert (mf.spec.name, mf.spec.title, mf.spec.notes) == ("my_cell_2", "Mine",
                                                            "from a test")


def test_shape_spellings(at):
    text = ('[params]\nA = "n x d"\nB = "n,d"\nC = "n*d"\nD = "n d"\nE = "n×d"\nF = "scalar"\n'
            + SEQUENCES + "[cell]\n"
            'equations = ["h[t] = tanh((A + B + C + D + E) @ x[t] + F * h[t-1])"]\n' + LOSS)
    spec = load(at(text)).spec
    assert [p.shape for p in spec.params] == [("n", "d")] * 5 + [()]
    with pytest.raises(ModelError, match="an empty shape"):      # "" is no shorthand
        load(at(text.replace('F = "scalar"', 'F = ""')))


def test_a_model_without_a_target(at):
    text = PARAMS + '[sequences]\nx = "d"\n[cell]\n' + EQUATIONS + 'loss = "l[t] = h[t].T @ h[t]"\n'
    assert load(at(text)).spec.target_shape is None


def test_a_model_without_sizes_is_scalar(at):
    text = ('[params]\nw = "scalar"\n[sequences]\nx = "scalar"\ny = "scalar"\n[cell]\n'
            'equations = ["h[t] = tanh(w * h[t-1] + x[t])"]\nloss = "l[t] = (h[t] - y[t])^2"\n')
    spec = load(at(text)).spec
    assert spec.dims_used == () and spec.input_shape == () and spec.target_shape == ()


def test_n_is_always_a_size_once_there_are_sizes(at):
    text = ('[params]\nw = "scalar"\n[sequences]\nx = "d"\n[cell]\n'
            'equations = ["h[t] = tanh(w * h[t-1] + x[t].T @ x[t])"]\n'
            'loss = "l[t] = h[t].T @ h[t]"\n')
    assert load(at(text)).spec.dims_used == ("n", "d")


def test_is_model_file_tells_model_files_from_others(at):
    assert is_model_file(at(GOOD))
    assert not is_model_file(at('[[claim]]\nmodel = "elman"\n', "claims.toml"))
    assert not is_model_file(at("x = [\n", "broken.toml"))
    assert not is_model_file("nowhere.toml")


# --------------------------------------------------------------------------- bad files

def _without(section: str) -> str:
    return GOOD.replace(section, "")


BAD = {
    "zoo name": ('name = "elman"\n' + GOOD, "name 'elman' is a zoo model's"),
    "bad name": ('name = "2cell"\n' + GOOD, "name '2cell': letters, digits and _"),
    "not toml": (GOOD + "oops = \n", "not valid TOML"),
    "top key": ('colour = "red"\n' + GOOD, "unknown key 'colour' (a model file has cell, "
                "name, notes, params, sequences, title)"),
    "cell key": (GOOD + "bias = 1\n", "unknown key 'bias' in [cell] (it has equations, "
                 "loss, mean)"),
    "sequences key": (PARAMS + SEQUENCES + 'z = "n"\n[cell]\n' + EQUATIONS + LOSS,
                      "unknown key 'z' in [sequences] (it has x, y)"),
    "cell not a table": ('cell = 3\n' + PARAMS + SEQUENCES, "[cell] must be a table"),
    "no params": (_without(PARAMS), "[params] lists the parameters and their shapes"),
    "empty params": (GOOD.replace(PARAMS, "[params]\n"),
                     "[params] lists the parameters and their shapes"),
    "no x": (GOOD.replace('x = "d"\n', ""), "[sequences] needs x = \"d\""),
    "no sequences": (_without(SEQUENCES), "[sequences] needs x = \"d\""),
    "no equations": (_without(EQUATIONS), "[cell] equations = [\"h[t] = ...\", ...] is "
                     "missing"),
    "empty equations": (GOOD.replace(EQUATIONS, "equations = []\n"), "is missing"),
    "equations a string": (GOOD.replace(EQUATIONS, 'equations = "h[t] = W @ h[t-1]"\n'),
                           "is missing"),
    "no loss": (_without(LOSS), "[cell] loss = \"l[t] = ...\" is missing"),
    "shape n x m": (GOOD.replace('W = "n x n"', 'W = "n x m"'),
                    "params.W: shape 'n x m': sizes are n (hidden), d (input), q (output)"),
    "shape n x d x q": (GOOD.replace('W = "n x n"', 'W = "n x d x q"'),
                        "params.W: shape 'n x d x q'"),
    "shape a number": (GOOD.replace('W = "n x n"', "W = 3"),
                       "params.W: a shape is a string such as \"n\", \"n x d\" or "
                       "\"scalar\", got 3"),
    "input shape a number": (GOOD.replace('x = "d"', "x = 2"),
                             "sequences.x: a shape is a string"),
    "target shape n x m": (GOOD.replace('y = "n"', 'y = "m"'), "sequences.y: shape 'm'"),
    "mean a string": (GOOD + 'mean = "yes"\n', "[cell] mean is true or false, got 'yes'"),
    "mean a number": (GOOD + "mean = 1\n", "[cell] mean is true or false, got 1"),
    "parameter x": (GOOD.replace('b = "n"', 'b = "n"\nx = "n"'),
                    "parameter name 'x' is not allowed"),
    "parameter L": (GOOD.replace('b = "n"', 'b = "n"\nL = "n"'),
                    "parameter name 'L' is not allowed"),
    "equation a number": (GOOD.replace(EQUATIONS, "equations = [3]\n"),
                          "an equation must be a string, got 3"),
    "loss a number": (GOOD.replace(LOSS, "loss = 3\n"), "the loss must be a string, got 3"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_is_refused_with_one_line(at, case):
    text, words = BAD[case]
    message = refused(at(text))
    assert message.startswith(f"{FILE}: "), message
    assert words in message, message


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_through_the_command_line(at, capsys, case):
    text, words = BAD[case]
    code, out, err = run(capsys, ["prove", at(text), "--T", "2"])
    line = assert_bad_input(code, out, err, words)
    assert line.startswith(f"symbptt: error: {FILE}: ")


def test_a_missing_file(at, capsys):
    assert refused("nowhere.toml") == "model file nowhere.toml does not exist"
    code, out, err = run(capsys, ["prove", "nowhere.toml", "--T", "2"])
    assert_bad_input(code, out, err, "model file nowhere.toml does not exist")


def test_a_long_path_is_shortened_in_messages(tmp_path):
    folder = tmp_path / ("deep" * 25)
    folder.mkdir()
    path = folder / "m.toml"
    path.write_text(GOOD + "mean = 2\n", encoding="utf-8")
    message = refused(str(path))
    shown = message.split(": ")[0]
    assert shown.startswith("...") and len(shown) == 80 and shown.endswith("/m.toml")


def test_a_model_error_is_a_symbptt_error():
    assert issubclass(ModelError, SymbpttError)


# --------------------------------------------------------------------------- places

def test_a_parse_error_names_the_line_and_column_of_the_equation(at, capsys):
    eq = "h[t] = tanh(W @ h[t-1] + U @ x[t] + b))"
    text = PARAMS + SEQUENCES + "[cell]\nequations = [\n  \"f[t] = W @ h[t-1]\",\n" \
        f"  \"{eq}\",\n]\n" + LOSS
    message = refused(at(text))
    line, col = place(text, eq)
    extra = col + eq.index("))") + 1          # the second ')'
    assert message.startswith(f"{FILE}:{line}:{extra}: "), message
    assert "unexpected ')'" in message and repr(eq) in message
    code, out, err = run(capsys, ["prove", FILE, "--T", "2"])
    assert_bad_input(code, out, err, f"{FILE}:{line}:{extra}:")


def test_an_equation_that_ends_too_early(at):
    eq = "h[t] = tanh(W @ h[t-1] + U @ x[t] + b"
    text = GOOD.replace(EQUATIONS, f'equations = [\n\n  "{eq}"\n]\n')
    message = refused(at(text))
    line, col = place(text, eq)
    assert message.startswith(f"{FILE}:{line}:{col + len(eq)}: "), message
    assert "ends too early" in message


def test_an_error_in_the_loss_names_its_line(at):
    loss = "l[t] = h[t] - y[t]"
    text = GOOD.replace(LOSS, f'# the loss\nloss = "{loss}"\n')
    message = refused(at(text))
    line, col = place(text, loss)
    assert message.startswith(f"{FILE}:{line}:{col}: the loss l[t] is a vector (n)")


def test_an_error_in_a_literal_string_names_its_line(at):
    eq = "h[t] = tanh(W @ h[t-1] + U @ x[t] + b + Q)"
    text = GOOD.replace(EQUATIONS, f"equations = [\n  '{eq}',\n]\n")
    line, col = place(text, eq)
    assert refused(at(text)).startswith(f"{FILE}:{line}:{col + eq.index('Q')}: unknown name")


# --------------------------------------------------------------------------- warnings

UNUSED = GOOD.replace('b = "n"', 'b = "n"\nextra = "n x n"')


def test_an_unused_parameter_is_a_warning(at):
    mf = load(at(UNUSED))
    assert mf.warnings == (f"{FILE}: parameter extra is declared but never used",)
    assert [p.name for p in mf.spec.params] == ["W", "U", "b", "extra"]


@pytest.mark.parametrize("argv", [["prove", FILE, "--T", "2", "--kind", "unrolled"],
                                  ["crosscheck", FILE, "--T", "2", "--batch", "1"],
                                  ["analyze", FILE, "--T", "4", "--part", "clip"],
                                  ["render", FILE, "--T", "1"]])
def test_the_command_line_prints_the_warning_and_succeeds(at, capsys, argv):
    at(UNUSED)
    code, out, err = run(capsys, argv)
    assert code == 0, err
    assert err.splitlines() == [f"symbptt: warning: {FILE}: parameter extra is declared but "
                                f"never used"]
    assert out


# --------------------------------------------------------------------------- bugs

def test_an_equation_repeated_in_an_earlier_comment_is_placed_on_its_own_line(at):
    """The place of an equation is where its text first occurs in the file: a comment (or
    title) quoting the equation above it takes the error's line."""
    eq = "h[t] = tanh(W @ h[t-1] + U @ x[t] + b + Q)"
    text = f"# my cell: {eq}\n" + GOOD.replace(EQUATIONS, f'equations = ["{eq}"]\n')
    message = refused(at(text))
    line = text.splitlines().index(f'equations = ["{eq}"]') + 1
    assert message.startswith(f"{FILE}:{line}:"), message


def test_an_equation_with_a_toml_escape_still_names_its_line(at):
    """The grammar reads LaTeX (\\tanh); in a TOML basic string the backslash is written
    \\\\, so the parsed text is not found in the raw file and the error loses its place."""
    raw_eq = "h[t] = \\\\tanh(W @ h[t-1] + U @ x[t] + b + Q)"
    text = GOOD.replace(EQUATIONS, f'equations = [\n  "{raw_eq}",\n]\n')
    message = refused(at(text))
    line = text.splitlines().index(f'  "{raw_eq}",') + 1
    assert "unknown name 'Q'" in message
    assert re.match(rf"^{re.escape(FILE)}:{line}:\d+: ", message), message


def _works_or_refused(capsys, argv):
    """A command on a file the loader accepted: it works (exit 0) or is refused in one
    line (exit 2); never a traceback."""
    code, out, err = run(capsys, argv)
    if code != 0:
        assert_bad_input(code, out, err)


@pytest.mark.parametrize("command", [["prove", "--T", "2", "--kind", "unrolled"],
                                     ["crosscheck", "--T", "2", "--batch", "1"]])
@pytest.mark.parametrize("which", ["input", "target"])
def test_a_matrix_input_or_target_is_refused_or_works(at, capsys, command, which):
    """The loader accepts x = "n x n" (or y = "n x n"): shapes may have two sizes. The
    commands then crash (a TypeError in the symbolic unroll, an AxisError or a matmul
    ValueError in NumPy) instead of working or refusing the file in one line."""
    if which == "input":
        text = ('[params]\nW = "n x n"\nb = "n"\n[sequences]\nx = "n x n"\ny = "n"\n'
                '[cell]\nequations = ["h[t] = tanh(W @ h[t-1] + x[t] @ b)"]\n' + LOSS)
    else:
        text = ('[params]\nW = "n x n"\n[sequences]\nx = "n"\ny = "n x n"\n'
                '[cell]\nequations = ["h[t] = tanh(W @ h[t-1] + x[t])"]\n'
                'loss = "l[t] = h[t].T @ y[t] @ h[t]"\n')
    at(text)
    _works_or_refused(capsys, [command[0], FILE] + command[1:])


def test_a_bad_toml_model_file_under_check_says_so(at, capsys):
    """`check FILE --claim ...` on a model file with a TOML typo: the file is taken for a
    claim file (is_model_file is False for bad TOML) and the message is about --claim."""
    at(GOOD + "oops = \n")
    code, out, err = run(capsys, ["check", FILE, "--claim", "dL/db = 0"])
    assert_bad_input(code, out, err, "not valid TOML")


def test_review_fixes_names_metadata_and_a_bom(at, tmp_path):
    """A sequence may not be named l or L (the loss's names); title and notes are text; a
    UTF-8 byte-order mark is no TOML error."""
    bad = GOOD.replace("h[t]", "l[t]").replace("h[t-1]", "l[t-1]")
    with pytest.raises(ModelError, match="l is a parameter or a reserved name"):
        load(at(bad))
    with pytest.raises(ModelError, match="title must be a string, got 3"):
        load(at("title = 3\n" + GOOD))
    with pytest.raises(ModelError, match="notes must be a string"):
        load(at("notes = [1, 2]\n" + GOOD))
    (tmp_path / "bom.toml").write_bytes("\ufeff".encode("utf-8") + GOOD.encode("utf-8"))
    assert load("bom.toml").spec.name == "bom"


# ---- a model file whose input is x = "n" (or "q") gets X drawn with d columns.

CELL = ('[params]\nW = "n x n"\n[sequences]\nx = "n"\n[cell]\n'
        'equations = ["h[t] = tanh(W @ h[t-1] + x[t])"]\nloss = "l[t] = h[t].T @ h[t]"\n')


@pytest.mark.parametrize("verb", ["crosscheck", "analyze"])
def test_input_of_size_n_at_n_3(tmp_path, verb):
    path = tmp_path / "xn.toml"
    path.write_text(CELL)
    try:
        if verb == "crosscheck":
            assert symbptt.crosscheck(str(path), T=3, dims={"n": 3}).agree
        else:
            symbptt.analyze(str(path), T=6)          # analyze's default sizes: n = 4, d = 3
    except Exception as err:                          # noqa: BLE001
        pytest.fail(f"{verb} of a valid cell with x = \"n\" raised {type(err).__name__}: {err} "
                    f"(numeric/data.py draws X with dims.d columns whatever the input's shape)")
