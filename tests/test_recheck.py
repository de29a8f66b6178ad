"""symbptt recheck: a saved crosscheck --json fixture, recomputed by the engine."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import symbptt

from .cli_helpers import assert_bad_input, run

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"


def _fixture(capsys, tmp_path, argv, name="fx.json"):
    code, out, err = run(capsys, ["crosscheck", *argv, "--json"])
    assert code == 0, err
    path = tmp_path / name
    path.write_text(out)
    return path


@pytest.mark.parametrize("argv", [["elman", "--T", "4", "--batch", "3"],
                                  ["scalar_linear", "--T", "3"],
                                  ["lstm", "--T", "2", "--seed", "5"],
                                  ["elman", "--T", "3", "--activation", "sigmoid"]])
def test_a_fresh_fixture_holds(capsys, tmp_path, argv):
    path = _fixture(capsys, tmp_path, argv)
    code, out, err = run(capsys, ["recheck", path])
    assert (code, err) == (0, "") and "HOLDS" in out
    code, out, err = run(capsys, ["recheck", path, "--json"])
    data = json.loads(out)
    assert data["holds"] and data["reference"] == "direct" and data["loss_now"] == \
        pytest.approx(data["loss_saved"], rel=1e-12)


def test_a_changed_gradient_differs_and_names_the_parameter(capsys, tmp_path):
    path = _fixture(capsys, tmp_path, ["elman", "--T", "4"])
    data = json.loads(path.read_text())
    data["grads"]["direct"]["U"][1][0] += 1e-6
    path.write_text(json.dumps(data))
    code, out, err = run(capsys, ["recheck", path])
    assert code == 1 and "DIFFERS" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("U "))
    assert line.endswith("DIFFERS")
    assert next(x for x in out.splitlines() if x.strip().startswith("W ")).endswith("holds")


def test_a_model_file_fixture_follows_its_file(capsys, tmp_path, monkeypatch):
    model = tmp_path / "mine.toml"
    shutil.copy(MODELS / "indrnn.toml", model)
    monkeypatch.chdir(tmp_path)
    path = _fixture(capsys, tmp_path, ["mine.toml", "--T", "3"])
    assert json.loads(path.read_text())["model_file"] == "mine.toml"
    assert run(capsys, ["recheck", path])[0] == 0
    # the model changes (tanh -> sigmoid): the saved gradients no longer hold
    model.write_text(model.read_text().replace("h[t] = tanh(", "h[t] = sigmoid("))
    code, out, _ = run(capsys, ["recheck", path])
    assert code == 1 and "DIFFERS" in out
    # moved away: --model names it
    moved = tmp_path / "sub"
    moved.mkdir()
    shutil.move(str(path), moved / "fx.json")
    monkeypatch.chdir(moved)
    assert_bad_input(*run(capsys, ["recheck", "fx.json"]), "its model file mine.toml is not found")
    assert run(capsys, ["recheck", "fx.json", "--model", str(MODELS / "indrnn.toml")])[0] == 0


@pytest.mark.parametrize("content, message", [
    ("{", "is not valid JSON"),
    ('{"model": "elman"}', "not a symbptt crosscheck --json output (missing T"),
    ("[1, 2]", "not a symbptt crosscheck --json output"),
])
def test_bad_fixtures_are_one_line(capsys, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert_bad_input(*run(capsys, ["recheck", path]), message)


def test_spoilt_fixture_fields(capsys, tmp_path):
    path = _fixture(capsys, tmp_path, ["elman", "--T", "3"])
    good = json.loads(path.read_text())
    for change, message in (
            (lambda d: d["params"].pop("b"), "params lacks b"),
            (lambda d: d["params"].update(W=[[1, 2]]), "params.W has shape (1, 2)"),
            (lambda d: d["params"].update(W="many"), "params.W is not an array of numbers"),
            (lambda d: d.update(T=0), "T and batch must be whole numbers"),
            (lambda d: d.update(model="nosuch"), "unknown model 'nosuch'")):
        data = json.loads(json.dumps(good))
        change(data)
        path.write_text(json.dumps(data))
        assert_bad_input(*run(capsys, ["recheck", path]), message)
    assert_bad_input(*run(capsys, ["recheck", tmp_path / "none.json"]), "does not exist")


def test_a_gradient_that_is_zero_everywhere_is_not_failed_by_float_noise(capsys, tmp_path):
    # issue 14 (5): with one output class every true gradient is 0; a relative test alone
    # fails the engine on 1e-17 of noise. The tolerance has an absolute part, scaled by the
    # problem (the whole gradient, the inputs, the parameters); a real change still fails.
    path = _fixture(capsys, tmp_path, ["elman_softmax", "--T", "3", "--output", "1"])
    data = json.loads(path.read_text())
    ref = data["grads"][data["reference"]]
    ref["W_hh"][0][0] += 5e-17
    path.write_text(json.dumps(data))
    code, out, err = run(capsys, ["recheck", path])
    assert (code, err) == (0, "") and "HOLDS" in out
    ref["W_hh"][0][0] += 1e-6
    path.write_text(json.dumps(data))
    code, out, _ = run(capsys, ["recheck", path])
    assert code == 1 and "W_hh" in out


# ---- symbptt recheck on edited fixtures.

@pytest.fixture
def fixture(capsys, tmp_path):
    code, out, err = run(capsys, ["crosscheck", "elman", "--T", "3", "--batch", "2", "--json"])
    assert code == 0, err
    return json.loads(out)


def _recheck(capsys, tmp_path, data):
    path = tmp_path / "fx.json"
    path.write_text(json.dumps(data))
    try:
        return run(capsys, ["recheck", path])
    except Exception as err:                          # noqa: BLE001
        pytest.fail(f"recheck raised {type(err).__name__}: {err} (a traceback, not exit 2)")


def test_a_fixture_with_no_saved_gradients_does_not_hold(capsys, tmp_path, fixture):
    fixture["grads"] = {"direct": {}}
    code, out, err = _recheck(capsys, tmp_path, fixture)
    assert code != 0, f"nothing was compared, yet recheck says (exit {code}): {out.strip()!r}"


@pytest.mark.parametrize("edit", [
    ("batch", 1), ("T", 6), ("tolerance", "tight"), ("params", 5), ("grads", [1]),
    ("options", {"activation": "relu"}), ("dims", {"n": "x"}),
])
def test_malformed_fixture_is_one_line_exit_2(capsys, tmp_path, fixture, edit):
    key, value = edit
    fixture[key] = value
    code, out, err = _recheck(capsys, tmp_path, fixture)
    assert_bad_input(code, out, err)

