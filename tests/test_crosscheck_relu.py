"""crosscheck of the relu examples: every lambdified form and every engine algorithm agree
(`symbptt crosscheck FILE.toml --T 4`), at several seeds and a batch, dead units and all."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import symbptt

from .cli_helpers import run

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"


@pytest.mark.parametrize("name", ["relu_rnn", "leaky_relu_rnn"])
@pytest.mark.parametrize("seed", [0, 3])
def test_every_method_agrees(capsys, name, seed):
    code, out, err = run(capsys, ["crosscheck", MODELS / f"{name}.toml", "--T", "4",
                                  "--batch", "3", "--seed", str(seed), "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["agree"] is True and data["T"] == 4
    assert {"engine_full", "engine_path_sum", "engine_forward_mode", "direct", "recursive",
            "closed_form"} <= set(data["grads"])


def test_the_text_says_agree(capsys):
    code, out, err = run(capsys, ["crosscheck", MODELS / "relu_rnn.toml", "--T", "4"])
    assert code == 0, err
    assert "AGREE" in out and "DISAGREE" not in out
