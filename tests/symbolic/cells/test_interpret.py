"""symbptt/symbolic/cells/interpret.py: a user cell's symbolic rule table (reverse-mode VJP rules
per operation of its program). Every example model file is proven, unrolled and
inductively; a wrong rule (tanh' without its 1 - h^2) is caught by both certificates; the
IndRNN proofs meet the issue's speed target."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

import symbptt
from symbptt.model.modelfile import load
from symbptt.model.spec import Dims
from symbptt.symbolic.cells import interpret
from symbptt.symbolic.cells import cell_for
from symbptt.symbolic.certificate import prove
from symbptt.symbolic.inductive import prove_inductive
from symbptt.errors import SymbpttError

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"
EXAMPLES = sorted(p.stem for p in MODELS.glob("*.toml"))
# mgu unrolled at T = 3 takes ~25 s: T = 2 for it
T_FOR = {"mgu": 2}
SMALL = Dims(2, 2, 2)


def spec_of(name):
    return load(str(MODELS / f"{name}.toml")).spec


def n_entries(spec, T, dims):
    def size(shape):
        k = 1
        for s in dims.shape(shape):
            k *= s
        return k
    return sum(size(p.shape) for p in spec.params) + T * size(spec.input_shape)


def test_the_examples_are_found():
    assert {"indrnn", "mgu", "elman2", "readout_mean", "softmax_rnn"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_is_proven_unrolled(name):
    spec = spec_of(name)
    T = T_FOR.get(name, 3)
    cert = prove(spec, T, SMALL, None)
    assert cert.proven, cert.failures[:3]
    assert cert.kind == "unrolled" and cert.T == T
    assert cert.forms == ("recursive", "closed_form")
    assert cert.entries == n_entries(spec, T, SMALL)
    assert all(g.proven == g.entries for g in cert.groups)
    assert [g.name for g in cert.groups][:len(spec.params)] == [p.name for p in spec.params]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_is_proven_inductively(name):
    cert = prove_inductive(spec_of(name), SMALL, None)
    assert cert.proven, cert.failures[:3]
    assert cert.kind == "inductive"
    assert all(g.proven == g.entries for g in cert.groups)
    assert {"jacobian", "vjp state", "vjp params", "loss params"} <= {g.name for g in
                                                                      cert.groups}


def test_the_symbolic_cell_of_a_model_file_is_the_interpreted_one():
    cell = cell_for(spec_of("indrnn"))
    assert cell.name == "indrnn"
    assert cell.rules == ("the VJP of every operation of the program, in reverse",)
    assert cell.readout is None and cell.softmax is None
    ro = cell_for(spec_of("readout_mean"))
    assert ro.readout is not None and ro.softmax is None
    assert cell_for(spec_of("softmax_rnn")).softmax == "o"


def test_a_cell_using_every_operation_is_proven(tmp_path):
    """Row @ column, outer product, matrix @ matrix, row @ matrix, transposes, softmax,
    diag, the power of a scalar, a broadcast scalar, division, exp, log, sigmoid, a scalar
    parameter, two states and a mean loss: every VJP rule of the interpreter."""
    path = tmp_path / "every_op.toml"
    path.write_text("""
[params]
W = "n x n"
U = "n x d"
b = "n"
w = "n"
a = "scalar"
[sequences]
x = "d"
y = "n"
[cell]
equations = [
  "s[t] = h[t-1].T @ h[t-1]",
  "o[t] = h[t-1] @ h[t-1].T",
  "m[t] = W @ W",
  "r[t] = h[t-1].T @ W",
  "p[t] = softmax(W @ h[t-1])",
  "g[t] = diag(w) @ p[t]",
  "c[t] = sigmoid(U @ x[t]) * c[t-1] + exp(-g[t]) / 3",
  "h[t] = tanh(a * s[t]^2 * (o[t] @ w) + m[t] @ h[t-1] + r[t].T + (1 - g[t]) * b + c[t-1] - x[t].T @ U.T @ h[t-1] * b / 2)",
]
loss = "l[t] = (h[t] - y[t]).T @ (h[t] - y[t]) / 2 + log(1 + c[t].T @ c[t])"
mean = true
""", encoding="utf-8")
    spec = load(str(path)).spec
    assert spec.states == ("h", "c")
    unrolled = prove(spec, 2, SMALL, None)
    assert unrolled.proven, unrolled.failures[:3]
    inductive = prove_inductive(spec, SMALL, None)
    assert inductive.proven, inductive.failures[:3]


# --------------------------------------------------------------------------- a wrong rule

@pytest.fixture
def tanh_without_its_slope(monkeypatch):
    """tanh's VJP as g instead of g * (1 - h*h): the classic dropped derivative."""
    right = interpret._Run.rule

    def wrong(self, op, g, y):
        if op.kind == "call" and op.name == "tanh":
            return [(op.args[0], g)]
        return right(self, op, g, y)
    monkeypatch.setattr(interpret._Run, "rule", wrong)


def test_the_wrong_tanh_rule_is_in_force(tanh_without_its_slope):
    from symbptt.symbolic.backend import SYMENGINE
    prog = spec_of("indrnn").program
    tanh = next(op for op in prog.ops if op.kind == "call" and op.name == "tanh")
    run = interpret._Run(SYMENGINE, prog, {}, {})
    assert run.rule(tanh, ("g",), ("y",)) == [(tanh.args[0], ("g",))]


def test_a_wrong_rule_is_not_proven_unrolled(tanh_without_its_slope):
    cert = prove(spec_of("indrnn"), 2, SMALL, None)
    assert not cert.proven
    assert cert.failures and any(g.proven < g.entries for g in cert.groups)


def test_a_wrong_rule_is_not_proven_inductively(tanh_without_its_slope):
    cert = prove_inductive(spec_of("indrnn"), SMALL, None)
    assert not cert.proven
    failed = {g.name for g in cert.groups if g.proven < g.entries}
    assert {"jacobian", "vjp params"} <= failed


def test_the_right_rule_is_proven_again_after_the_patch():
    assert prove(spec_of("indrnn"), 2, SMALL, None).proven
    assert prove_inductive(spec_of("indrnn"), SMALL, None).proven


# --------------------------------------------------------------------------- speed

def test_indrnn_proofs_meet_the_speed_target():
    """The issue's target: IndRNN proven at T = 4, n = 3, d = 2 in seconds, not minutes
    (measured precisely in the benchmark; the bound here is loose)."""
    spec = spec_of("indrnn")
    start = time.perf_counter()
    unrolled = prove(spec, 4, Dims(3, 2), None)
    t_unrolled = time.perf_counter() - start
    start = time.perf_counter()
    inductive = prove_inductive(spec, Dims(3, 2), None)
    t_inductive = time.perf_counter() - start
    print(f"indrnn T=4 n=3 d=2: unrolled {t_unrolled:.3f} s, inductive {t_inductive:.3f} s")
    assert unrolled.proven and inductive.proven
    assert unrolled.entries == 3 + 6 + 3 + 4 * 2
    assert t_unrolled < 10, t_unrolled
    assert t_inductive < 10, t_inductive


# --------------------------------------------------------------------------- bug: names

@pytest.mark.parametrize("param", ["x_1", "y_1", "s_prev"])
def test_a_parameter_named_like_an_internal_symbol(tmp_path, param):
    """A parameter may be called anything NAME allows; the symbolic side names its own
    symbols x_1[0], y_1[0], s_prev[0], ... A user parameter x_1 crashes the recursive form
    (KeyError 'x_1'), y_1 makes a correct cell NOT PROVEN (both certificates), s_prev makes
    the inductive certificate NOT PROVEN. Expected: the file refused in one line, or the
    cell proven as with any other name."""
    path = tmp_path / "named.toml"
    path.write_text(f"""
[params]
W = "n x n"
U = "n x d"
{param} = "n"
[sequences]
x = "d"
y = "n"
[cell]
equations = ["h[t] = tanh(W @ h[t-1] + U @ x[t] + {param})"]
loss = "l[t] = (h[t] - y[t]).T @ (h[t] - y[t]) / 2"
""", encoding="utf-8")
    try:
        spec = load(str(path)).spec
    except symbptt.errors.SymbpttError as err:
        assert param in str(err) and "\n" not in str(err)
        return
    unrolled = prove(spec, 2, SMALL, None)
    assert unrolled.proven, unrolled.failures[:2]
    inductive = prove_inductive(spec, SMALL, None)
    assert inductive.proven, inductive.failures[:2]


# ---- correct user cells that symbptt gets wrong (aliased sequences, shared
# subexpressions, an incomplete zero test).

HEAD = '[params]\nW = "n x n"\nV = "n x n"\nU = "n x d"\nv = "n"\nb = "n"\n' \
       '[sequences]\nx = "{x}"\ny = "n"\n[cell]\n'


def _write(tmp_path, name, equations, loss, x="d"):
    eqs = ", ".join(f'"{e}"' for e in equations)
    path = tmp_path / f"{name}.toml"
    path.write_text(HEAD.format(x=x) + f"equations = [{eqs}]\nloss = \"{loss}\"\n")
    return str(path)


# each a correct cell: the engine and the recursive form must match the direct gradient
ALIASED = {
    # a state that is the input itself: its adjoint is counted twice in dL/dx
    "state_is_input": (["h[t] = tanh(W @ h[t-1] + V @ s[t-1])", "s[t] = x[t]"],
                       "l[t] = (h[t] + s[t]).T @ (h[t] + s[t])", "n"),
    # two sequences with the same right side share one op: one state's seed is lost
    "twin_states": (["h[t] = tanh(W @ h[t-1] + U @ x[t])", "g[t] = tanh(W @ h[t-1] + U @ x[t])",
                     "k[t] = tanh(V @ g[t-1] + k[t-1])"],
                    "l[t] = k[t].T @ k[t] + h[t].T @ h[t]", "d"),
    # a state equal to a parameter: dL/db counted twice (and a crash at batch > 1)
    "state_is_param": (["h[t] = tanh(W @ h[t-1] + x[t] + g[t-1])", "g[t] = b"],
                       "l[t] = h[t].T @ h[t] + g[t].T @ g[t]", "n"),
}


@pytest.mark.parametrize("name", sorted(ALIASED))
def test_aliased_sequences_crosscheck_agrees(tmp_path, name):
    eqs, loss, x = ALIASED[name]
    path = _write(tmp_path, name, eqs, loss, x)
    for batch in (1, 3):
        try:
            report = symbptt.crosscheck(path, T=3, batch=batch)
        except Exception as err:        # noqa: BLE001
            pytest.fail(f"{name}: crosscheck at batch {batch} raised {type(err).__name__}: {err}")
        assert report.agree, f"{name}: a correct cell, but crosscheck (batch {batch}) DISAGREEs"


@pytest.mark.parametrize("loss", ["l[t] = (h[t] + U @ x[t] - y[t]).T @ (h[t] - y[t])",
                                  "l[t] = v.T @ W.T @ h[t]"])
def test_loss_may_reuse_a_parameter_only_subexpression(tmp_path, loss):
    """U @ x[t] and W.T depend on x and the parameters only, which the loss may read; they are
    refused only because the step computes the same expression (memoized to one op)."""
    path = _write(tmp_path, "shared", ["h[t] = tanh(W @ h[t-1] + W.T @ (U @ x[t]))"], loss)
    try:
        symbptt.load_model(path)
    except SymbpttError as err:
        pytest.fail(f"a valid cell refused: {err}")


@pytest.mark.parametrize("name,eqs,loss", [
    ("softmax_state", ["h[t] = softmax(W @ h[t-1] + U @ x[t])"], "l[t] = -y[t].T @ log(h[t])"),
    ("log_sigmoid", ["h[t] = tanh(W @ h[t-1] + U @ x[t])"], "l[t] = log(sigmoid(v.T @ h[t]))"),
])
def test_unrolled_certificate_proves_a_correct_cell(tmp_path, name, eqs, loss):
    """Both cells cross-check, and the printed counterexample shows direct = recursive to 19
    digits, yet the unrolled certificate says the recursive form 'differs'."""
    path = _write(tmp_path, name, eqs, loss)
    assert symbptt.crosscheck(path, T=2).agree
    cert = symbptt.prove(path, T=2, kind="unrolled").unrolled
    # proven (log of a sigmoid: SymPy's cancel settles a / a), or, where the difference is
    # too big to cancel (a softmax state at T = 2), undecided: never "differs"
    assert cert.proven or cert.undecided, f"{name}: NOT PROVEN on a correct cell: {cert.claim}"
    assert "differs" not in cert.claim
    if name == "log_sigmoid":
        assert cert.proven
    assert symbptt.prove(path, T=1, kind="unrolled").proven     # small enough to cancel
