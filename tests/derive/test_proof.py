"""symbptt derive end to end: every zoo model and example model file, each formula proven
by check; a derivation that goes wrong is caught (exit 3), never printed as correct."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import symbptt
from symbptt.derive import rules
from symbptt.derive.proof import derive
from symbptt.model.registry import get_model
from symbptt.model.zoo import names

from ..cli_helpers import assert_bad_input, run

MODELS = sorted(str(p) for p in (Path(symbptt.__file__).parent / "examples" / "models")
                .glob("*.toml"))


@pytest.mark.slow
@pytest.mark.parametrize("model", list(names()) + MODELS)
def test_every_derived_formula_is_proven(model):
    d = derive(get_model(model))
    assert d.correct, [(f.text, f.problem) for f in d.formulas if f.verdict != "correct"]
    roles = {f.role for f in d.formulas}
    assert {"recursion", "base case", "gradient"} <= roles
    # a recursion or a per-step sum is proven for every T where the model has windows
    if model != "attention":
        assert all(f.scope == "every T" for f in d.formulas
                   if f.role in ("recursion", "gradient", "adjoint") and model != "generic")


def test_a_wrong_rule_is_caught_and_exits_3(monkeypatch, capsys):
    """tanh's slope written as 1 - h (not 1 - h * h): check refuses what derive made of it."""
    from symbptt.formula.tree import BinOp, Name, Num
    right = rules._slope

    def slipped(call, out):
        if call.func == "tanh" and isinstance(out, Name):
            return BinOp("-", Num(1), out)
        return right(call, out)
    monkeypatch.setattr(rules, "_slope", slipped)
    d = derive(get_model("elman_softmax"))
    assert not d.correct
    bad = [f for f in d.formulas if f.verdict != "correct"]
    assert bad and all("1 - h[" in f.text for f in bad) and all(f.problem for f in bad)
    code, out, err = run(capsys, ["derive", "elman_softmax"])
    assert code == 3 and "BUG" in err and "WRONG (a bug of derive)" in out


def test_the_command_line_prints_text_latex_and_json(capsys):
    code, out, _ = run(capsys, ["derive", "elman"])
    assert code == 0
    assert "dL/dh[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ dL/dh[t+1]" in out
    assert "[proven for every T]" in out and "all proven by check" in out
    code, out, _ = run(capsys, ["derive", "d2l_linear", "--format", "latex"])
    assert code == 0 and out.startswith("\\documentclass") and "\\begin{align*}" in out
    code, out, _ = run(capsys, ["derive", "lstm", "--json"])
    data = json.loads(out)
    assert data["correct"] and data["model"] == "lstm"
    assert {"role", "formula", "latex", "verdict", "scope", "T"} <= set(data["formulas"][0])
    assert any(f["formula"].endswith("f[t+1] * dL/dc[t+1]") for f in data["formulas"])


def test_bad_input_is_one_line_and_exit_2(capsys):
    for argv in (["derive", "no_such_model"], ["derive", "elman", "--format", "pdf"],
                 ["derive", "elman", "--hidden", "0"],
                 ["derive", "lstm", "--activation", "sigmoid"]):
        assert_bad_input(*run(capsys, argv))


def test_the_api_returns_plain_data_a_notebook_shows():
    d = symbptt.derive("elman", activation="sigmoid")
    assert d.correct and d.options == {"activation": "sigmoid"}
    assert "\\begin{align*}" in d._repr_latex_()
    with pytest.raises(symbptt.SymbpttError):
        symbptt.derive("elman", T_max=0)


def test_a_check_that_runs_out_of_time_is_not_proven_and_says_so(monkeypatch, capsys):
    """Each formula's check runs in a child with a time limit: past it, K - 1 (down to 2),
    then "not proven" with the reason, exit 1: never a hang, never a false proven."""
    from symbptt.derive import proof
    monkeypatch.setattr(proof, "FORMULA_LIMIT", 1e-4)
    d = derive(get_model("linear_half_square"))
    assert not d.correct and not d.wrong
    assert all(f.verdict == "undecided" and "more than" in f.problem for f in d.formulas)
    code, out, err = run(capsys, ["derive", "linear_half_square"])
    assert code == 1 and "NOT PROVEN" in out and "BUG" not in err
