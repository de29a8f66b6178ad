"""Every example model file (symbptt/examples/models/*.toml, found by a glob so a new one
is tested too) end to end through the command line: prove, crosscheck, render, analyze
and their --json forms; for IndRNN also check (a right and a wrong hand derivation) and
grad on given values."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import symbptt
from symbptt.model.modelfile import load

from ..cli_helpers import assert_bad_input, run

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"
FILES = sorted(MODELS.glob("*.toml"))
IDS = [p.stem for p in FILES]
INDRNN = MODELS / "indrnn.toml"

RIGHT_CLAIM = "dL/dw = sum(t=1..T, (1 - h[t]*h[t]) * delta[t] * h[t-1])"
RIGHT_DELTA = "delta[t] = dl[t]/dh[t] + w * (1 - h[t+1]*h[t+1]) * delta[t+1]"
WRONG_DELTA = "delta[t] = dl[t]/dh[t] + (1 - h[t+1]*h[t+1]) * delta[t+1]"
BASE = "delta[T+1] = 0"


def sizes(path: Path) -> list[str]:
    """Small sizes, each flag only for a size the model has (the others are refused)."""
    used = load(str(path)).spec.dims_used
    flags = {"n": ["--hidden", "2"], "d": ["--input", "2"], "q": ["--output", "2"]}
    return [a for s in used for a in flags[s]]


def test_the_examples_are_there():
    assert len(FILES) >= 5
    assert {"indrnn", "mgu", "elman2", "readout_mean", "softmax_rnn"} <= set(IDS)


# --------------------------------------------------------------------------- prove

@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_prove_both(capsys, path):
    code, out, err = run(capsys, ["prove", path, "--T", "2", "--kind", "both"] + sizes(path))
    assert code == 0, out + err
    assert err == ""
    assert out.count("PROVEN:") == 2 and "NOT PROVEN" not in out
    assert f"symbptt prove {path.stem}: unrolled certificate at T = 2" in out
    assert f"symbptt prove {path.stem}: inductive certificate for every T" in out


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_prove_json(capsys, path):
    code, out, err = run(capsys, ["prove", path, "--T", "2", "--json"] + sizes(path))
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == path.stem and data["proven"] is True
    assert [c["kind"] for c in data["certificates"]] == ["unrolled", "inductive"]


# --------------------------------------------------------------------------- crosscheck

@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_crosscheck(capsys, path):
    code, out, err = run(capsys, ["crosscheck", path, "--T", "3", "--batch", "2"])
    assert code == 0, out + err
    assert f"symbptt crosscheck {path.stem}: T = 3" in out
    assert "AGREE" in out and "DISAGREE" not in out


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_crosscheck_json(capsys, path):
    code, out, err = run(capsys, ["crosscheck", path, "--T", "3", "--batch", "2", "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == path.stem and data["agree"] is True and data["T"] == 3
    assert data["batch"] == 2
    assert data["model_file"] == str(path) and data["reference"] == "direct"
    assert {"engine_full", "direct", "recursive", "closed_form"} <= set(data["grads"])


# --------------------------------------------------------------------------- render

@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_render_markdown(capsys, path):
    code, out, err = run(capsys, ["render", path, "--T", "2", "--format", "md"]
                         + sizes(path))
    assert code == 0, err
    assert out.startswith(f"# BPTT for `{path.stem}`")
    assert path.stem in out and "\\begin{aligned}" in out


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_render_tex(capsys, path):
    code, out, err = run(capsys, ["render", path, "--T", "2", "--format", "tex"]
                         + sizes(path))
    assert code == 0, err
    assert out.startswith("\\documentclass")
    assert path.stem.replace("_", "\\_") in out
    assert out.rstrip().endswith("\\end{document}")


def test_render_to_a_file(capsys, tmp_path):
    target = tmp_path / "indrnn.md"
    code, out, err = run(capsys, ["render", INDRNN, "--T", "2", "--out", target])
    assert code == 0, err
    assert out.startswith(f"wrote {target}")
    assert target.read_text(encoding="utf-8").startswith("# BPTT for `indrnn`")


def test_render_json_is_json_or_refused(capsys):
    """render takes --json ("machine-readable output") but writes the Markdown document
    (for a zoo model too): it should print JSON, or refuse --json in one line."""
    code, out, err = run(capsys, ["render", INDRNN, "--T", "2", "--json"])
    if code == 2:
        assert_bad_input(code, out, err)
        return
    assert code == 0, err
    json.loads(out)


# --------------------------------------------------------------------------- analyze

@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_analyze_clip(capsys, path):
    code, out, err = run(capsys, ["analyze", path, "--T", "6", "--part", "clip"])
    assert code == 0, err
    assert out.startswith(f"{path.stem}, T = 6")
    assert "clip: norm clipping" in out


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_analyze_json(capsys, path):
    code, out, err = run(capsys, ["analyze", path, "--T", "6", "--part", "clip", "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == path.stem and data["T"] == 6
    assert list(data["parts"]) == ["clip"]


def test_analyze_a_part_the_model_has_not(capsys):
    code, out, err = run(capsys, ["analyze", INDRNN, "--T", "6", "--part", "jacobians"])
    assert_bad_input(code, out, err, "jacobians")


# --------------------------------------------------------------------------- IndRNN: check

def test_check_the_right_derivation(capsys):
    code, out, err = run(capsys, ["check", INDRNN, "--claim", RIGHT_CLAIM,
                                  "--where", RIGHT_DELTA, "--where", BASE])
    assert code == 0, out + err
    assert "correct" in out and "1 of 1 claims correct" in out
    assert out.startswith("check indrnn")


def test_check_a_derivation_missing_the_recurrent_weight(capsys):
    code, out, err = run(capsys, ["check", INDRNN, "--claim", RIGHT_CLAIM,
                                  "--where", WRONG_DELTA, "--where", BASE])
    assert code == 1, out + err
    assert "wrong" in out.lower() and "0 of 1 claims correct" in out
    assert "dL/dw" in out


def test_check_json(capsys):
    code, out, err = run(capsys, ["check", INDRNN, "--claim", RIGHT_CLAIM,
                                  "--where", WRONG_DELTA, "--where", BASE, "--json"])
    assert code == 1, err
    data = json.loads(out)
    assert data["verdict"] != "correct"
    assert data["groups"][0]["model"] == "indrnn"


# --------------------------------------------------------------------------- IndRNN: grad

VALUES = {"params": {"w": ["1/2", "-1/3"], "U": [["1/4", 0], [1, "-1/2"]], "b": [0, "1/5"]},
          "inputs": [[1, 0], ["1/2", -1]],
          "targets": [[0, 1], [1, 0]]}


@pytest.fixture
def values(tmp_path):
    path = tmp_path / "indrnn_values.json"
    path.write_text(json.dumps(VALUES), encoding="utf-8")
    return path


def test_grad_on_given_values(capsys, values):
    code, out, err = run(capsys, ["grad", INDRNN, "--T", "2", "--values", values])
    assert code == 0, out + err
    assert out.startswith("symbptt grad indrnn: T = 2, n = 2, d = 2 (exact)")
    assert "agree exactly" in out
    # h_1 = tanh(U x_1 + b) = (tanh(1/4), tanh(1 + 1/5))
    assert "h_1 = [tanh(1/4)" in out and "tanh(6/5)" in out


def test_grad_json_on_given_values(capsys, values):
    code, out, err = run(capsys, ["grad", INDRNN, "--T", "2", "--values", values, "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == "indrnn" and data["T"] == 2
    assert data["states"]["h_1"][0]["exact"] == "tanh(1/4)"


def test_grad_with_values_of_the_wrong_shape(capsys, tmp_path):
    bad = dict(VALUES, params=dict(VALUES["params"], w=["1/2"]))
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, out, err = run(capsys, ["grad", INDRNN, "--T", "2", "--values", path])
    assert_bad_input(code, out, err)
