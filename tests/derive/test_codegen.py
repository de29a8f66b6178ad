"""derive --format numpy: bptt(P, X, Y) generated from the proven formulas agrees with the
engine and with torch autograd, and reads as the formulas (each one a comment above its
line). Its speed beside the engine is `symbptt bench --part derive`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import symbptt
from symbptt.derive.codegen import CodegenError, numpy_code
from symbptt.derive.derivation import derive_cell
from symbptt.derive.equations import cell_equations
from symbptt.model.registry import get_model
from symbptt.model.spec import Dims
from symbptt.model.zoo import names
from symbptt.numeric import engine
from symbptt.numeric.cells import cell_for
from symbptt.numeric.data import draw

from ..cli_helpers import assert_bad_input, run

FILES = sorted(str(p) for p in (Path(symbptt.__file__).parent / "examples" / "models")
               .glob("*.toml"))
COVERED = [m for m in names() if m != "generic"] + FILES


def _bptt(model: str, activation=None):
    ce = cell_equations(get_model(model))
    source = numpy_code(ce, derive_cell(ce), activation)
    space: dict = {}
    exec(compile(source, f"<bptt of {model}>", "exec"), space)
    return space["bptt"], source


def _rel(a, b) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.mark.parametrize("model", COVERED)
def test_the_generated_code_agrees_with_the_engine(model):
    bptt, source = _bptt(model)
    spec = get_model(model)
    pb = draw(spec, 6, Dims(3, 2, 4), 1, batch=3)
    g = engine.full(cell_for(spec), pb.params, pb.X, pb.Y)
    loss, grads = bptt(pb.params, pb.X, pb.Y)
    assert loss == pytest.approx(g.loss, rel=1e-12)
    assert set(grads) == set(g.params)
    for p in g.params:
        assert _rel(grads[p], g.params[p]) <= 1e-12, p


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "identity"])
def test_elmans_activation_is_the_generated_phi(activation):
    bptt, source = _bptt("elman", activation)
    spec = get_model("elman")
    pb = draw(spec, 5, Dims(3, 2, 2), 2, batch=2)
    g = engine.full(cell_for(spec, activation), pb.params, pb.X, pb.Y)
    _, grads = bptt(pb.params, pb.X, pb.Y)
    assert all(_rel(grads[p], g.params[p]) <= 1e-12 for p in g.params)
    assert f"# phi = {activation}" in source


@pytest.mark.parametrize("model", ["elman", "lstm", "gru", "gru_torch", "attention"])
def test_the_generated_code_agrees_with_torch_autograd(model):
    torch = pytest.importorskip("torch")
    from ..numeric.cells.test_gated import torch_forward, torch_leaves
    bptt, _ = _bptt(model)
    spec = get_model(model)
    pb = draw(spec, 5, Dims(4, 3, 2), 3, batch=2)
    loss, grads = bptt(pb.params, pb.X, pb.Y)
    Pt, Xt = torch_leaves(torch, pb.params, pb.X)
    if model == "elman":                                  # nn.RNN's cell, written out
        h = torch.zeros(2, 4, dtype=torch.float64)
        ref = 0.0
        for t in range(5):
            h = torch.tanh(h @ Pt["W"].T + Xt[:, t] @ Pt["U"].T + Pt["b"])
            ref = ref + 0.5 * ((h - torch.tensor(pb.Y[:, t])) ** 2).sum()
    else:
        ref, _ = torch_forward(torch, model, Pt, Xt, torch.tensor(pb.Y))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    for p, v in Pt.items():
        assert _rel(grads[p], v.grad.numpy()) <= 1e-12, p


def test_the_code_is_standalone_and_shows_each_formula():
    _, source = _bptt("lstm")
    assert "symbptt" not in source.split('"""', 2)[2]       # only numpy is imported
    for f in derive_cell(cell_equations(get_model("lstm"))):
        if f.role in ("recursion", "adjoint", "gradient", "local loss"):
            assert f"# {f.text}" in source, f.text


def test_a_cell_it_does_not_cover_is_bad_input(capsys):
    with pytest.raises(CodegenError, match="generic"):
        _bptt("generic")
    assert_bad_input(*run(capsys, ["derive", "generic", "--format", "numpy"]))
    code, out, _ = run(capsys, ["derive", "elman", "--format", "numpy"])
    assert code == 0 and "def bptt(P, X, Y):" in out
    compile(out, "<printed>", "exec")


# found attacking derive: Python words as names, a division by a number that reads the
# state, binary cross-entropy (a number minus a vector), a row transposed back
HOSTILE = sorted(str(p) for p in (Path(__file__).parent.parent / "models")
                 .glob("derive_*.toml"))


@pytest.mark.parametrize("model", HOSTILE)
def test_what_the_red_team_wrote_is_derived_proven_and_generated(model):
    from symbptt.derive.proof import derive
    d = derive(get_model(model))
    assert d.correct, [(f.text, f.problem) for f in d.formulas if f.verdict != "correct"]
    space: dict = {}
    exec(compile(d.numpy, model, "exec"), space)
    spec = get_model(model)
    pb = draw(spec, 5, Dims(3, 2, 4), 4, batch=3)
    g = engine.full(cell_for(spec), pb.params, pb.X, pb.Y)
    loss, grads = space["bptt"](pb.params, pb.X, pb.Y)
    assert loss == pytest.approx(g.loss, rel=1e-12)
    assert all(_rel(grads[p], g.params[p]) <= 1e-12 for p in g.params)


def test_no_code_from_formulas_that_are_not_proven(monkeypatch, capsys):
    from symbptt.derive import rules
    from symbptt.formula.tree import BinOp, Name, Num
    right = rules._slope
    monkeypatch.setattr(rules, "_slope", lambda call, out: BinOp("-", Num(1), out)
                        if call.func == "tanh" and isinstance(out, Name) else right(call, out))
    code, out, err = run(capsys, ["derive", "elman_softmax", "--format", "numpy"])
    assert code == 3 and "def bptt" not in out and "BUG" in err


def test_a_K_derive_cannot_afford_is_refused(capsys):
    assert_bad_input(*run(capsys, ["derive", "elman", "--T-max", "1"]))
    _, _, err = run(capsys, ["derive", "gru", "--T-max", "12"])
    assert "could take" in err and "--force" in err
