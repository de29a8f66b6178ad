"""symbptt/numeric/cells/interpret.py: a user cell's NumPy rule table (batched). Full BPTT over
it agrees with central finite differences of its own loss for every example model file;
the module imports no SymPy (nor SymEngine)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symbptt
from symbptt.model.modelfile import load
from symbptt.numeric import engine
from symbptt.numeric.cells import cell_for
from symbptt.numeric.data import draw
from symbptt.model.spec import Dims

from ..cases import central_differences

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"
EXAMPLES = sorted(p.stem for p in MODELS.glob("*.toml"))
RTOL = 1e-6


def rel_err(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


def engine_loss(cell, P, X, Y):
    """The loss from the engine's own forward pass (no gradient code involved)."""
    steps = engine.forward(cell, P, X)
    return sum(cell.loss(P, s, None if Y is None else Y[:, s.t - 1], len(steps))
               for s in steps)


def problem(path, T, dims, seed, batch=3):
    spec = load(str(path)).spec
    pb = draw(spec, T, dims, seed, batch)
    return spec, cell_for(spec), pb.params, pb.X, pb.Y


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("T,dims,seed", [(3, Dims(3, 2, 4), 0), (4, Dims(2, 3, 2), 7)])
def test_full_bptt_matches_central_finite_differences(name, T, dims, seed):
    spec, cell, P, X, Y = problem(MODELS / f"{name}.toml", T, dims, seed)
    assert X.dtype == np.float64 and X.shape[0] == 3
    g = engine.full(cell, P, X, Y)
    assert g.loss == pytest.approx(engine_loss(cell, P, X, Y), rel=1e-12)
    assert {k: v.shape for k, v in g.params.items()} == {k: v.shape for k, v in P.items()}
    loss = lambda: engine_loss(cell, P, X, Y)                             # noqa: E731
    for p in P:
        fd = central_differences(loss, P[p])
        assert rel_err(g.params[p], fd) <= RTOL, (p, rel_err(g.params[p], fd))
    fd_x = central_differences(loss, X)
    assert g.inputs.shape == X.shape
    assert rel_err(g.inputs, fd_x) <= RTOL, rel_err(g.inputs, fd_x)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_algorithm_agrees_with_full_bptt(name):
    _, cell, P, X, Y = problem(MODELS / f"{name}.toml", 4, Dims(3, 2, 2), 1)
    ref = engine.full(cell, P, X, Y)
    for g in (engine.path_sum(cell, P, X, Y), engine.forward_mode(cell, P, X, Y),
              engine.truncated(cell, P, X, Y, tau=4)):
        assert g.loss == pytest.approx(ref.loss, rel=1e-12)
        for p in P:
            assert rel_err(g.params[p], ref.params[p]) <= 1e-10, p


def test_the_batch_is_the_sum_of_its_rows():
    _, cell, P, X, Y = problem(MODELS / "elman2.toml", 3, Dims(2, 3), 4)
    whole = engine.full(cell, P, X, Y)
    rows = [engine.full(cell, P, X[b:b + 1], Y[b:b + 1]) for b in range(3)]
    assert whole.loss == pytest.approx(sum(r.loss for r in rows), rel=1e-12)
    for p in P:
        np.testing.assert_allclose(whole.params[p], sum(r.params[p] for r in rows),
                                   rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(whole.inputs, np.concatenate([r.inputs for r in rows]),
                               rtol=1e-12, atol=1e-14)


def test_the_mean_loss_is_the_sum_over_T(tmp_path):
    text = (MODELS / "readout_mean.toml").read_text(encoding="utf-8")
    summed = tmp_path / "readout_sum.toml"
    summed.write_text(text.replace("mean = true", "mean = false"), encoding="utf-8")
    T = 5
    _, c_mean, P, X, Y = problem(MODELS / "readout_mean.toml", T, Dims(2, 2, 3), 2)
    _, c_sum, _, _, _ = problem(summed, T, Dims(2, 2, 3), 2)
    m, s = engine.full(c_mean, P, X, Y), engine.full(c_sum, P, X, Y)
    assert m.loss == pytest.approx(s.loss / T, rel=1e-12)
    for p in P:
        np.testing.assert_allclose(m.params[p], s.params[p] / T, rtol=1e-12, atol=1e-15)


def test_a_scalar_model_and_two_states(tmp_path):
    """Shapes the examples do not have: a scalar cell, and a cell with two states (c read
    at t-1) whose step uses exp, log, diag, a row @ column and an outer product."""
    scalar = tmp_path / "scalar_cell.toml"
    scalar.write_text('[params]\nw = "scalar"\nu = "scalar"\n[sequences]\nx = "scalar"\n'
                      'y = "scalar"\n[cell]\nequations = ["h[t] = tanh(w * h[t-1] + u * x[t])"]'
                      '\nloss = "l[t] = (h[t] - y[t])^2 / 2"\n', encoding="utf-8")
    two = tmp_path / "two_states.toml"
    two.write_text('[params]\nW = "n x n"\nU = "n x d"\nw = "n"\n[sequences]\nx = "d"\n'
                   '[cell]\nequations = [\n'
                   '  "c[t] = sigmoid(W @ h[t-1]) * c[t-1] + U @ x[t]",\n'
                   '  "h[t] = exp(-c[t] * c[t]) + log(1 + h[t-1] * h[t-1]) + '
                   '(h[t-1] @ h[t-1].T) @ w / 4 + diag(w) @ c[t-1]",\n]\n'
                   'loss = "l[t] = h[t].T @ h[t] + (c[t].T @ c[t])^2 / 3"\n', encoding="utf-8")
    for path, dims in ((scalar, Dims()), (two, Dims(3, 2))):
        _, cell, P, X, Y = problem(path, 4, dims, 3)
        g = engine.full(cell, P, X, Y)
        loss = lambda: engine_loss(cell, P, X, Y)                         # noqa: E731
        for p in P:
            assert rel_err(g.params[p], central_differences(loss, P[p])) <= RTOL, (path, p)
        assert rel_err(g.inputs, central_differences(loss, X)) <= RTOL, path


def test_numeric_interpret_imports_no_sympy():
    code = ("import sys, symbptt.numeric.cells.interpret, symbptt.model.modelfile, symbptt.numeric.cells; "
            "bad = [m for m in ('sympy', 'symengine') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_numeric_interpret_alone_leaves_sympy_out():
    done = subprocess.run([sys.executable, "-c", "import symbptt.numeric.cells.interpret, sys; "
                           "print('sympy' in sys.modules)"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_whole_numeric_run_of_a_model_file_leaves_sympy_out():
    code = ("import sys; from symbptt.model.modelfile import load; "
            "from symbptt.numeric import engine; from symbptt.numeric.cells import cell_for; "
            "from symbptt.numeric.data import draw; from symbptt.model.spec import Dims; "
            f"spec = load({str(MODELS / 'mgu.toml')!r}).spec; "
            "pb = draw(spec, 3, Dims(2, 2), 0, 2); "
            "engine.full(cell_for(spec), pb.params, pb.X, pb.Y); "
            "print([m for m in ('sympy', 'symengine') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_finite_differences_catch_a_wrong_numeric_rule(monkeypatch):
    """The check above has teeth: sigmoid' as y instead of y (1 - y) is seen in mgu."""
    from symbptt.numeric.cells import interpret
    right = interpret._vjp_rule

    def wrong(kind, g, y, a):
        return (g * y,) if kind == "sigmoid" else right(kind, g, y, a)
    monkeypatch.setattr(interpret, "_vjp_rule", wrong)
    _, cell, P, X, Y = problem(MODELS / "mgu.toml", 3, Dims(2, 2), 0)
    g = engine.full(cell, P, X, Y)
    loss = lambda: engine_loss(cell, P, X, Y)                             # noqa: E731
    assert rel_err(g.params["W_f"], central_differences(loss, P["W_f"])) > 1e-3
