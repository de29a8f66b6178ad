"""A relu model file's derivation document: its equations as \\operatorname{relu}, relu'
as \\operatorname{relu}' in the matrix-level formulas, the convention relu'(0) = 0 stated
where the derivation reads relu' (and not for a model without a relu), the worked
appendix's slopes as indicators 1[a > 0]."""
from __future__ import annotations

from pathlib import Path

import symbptt

from ..cli_helpers import run

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"


def render(capsys, name: str, fmt: str = "md") -> str:
    code, out, err = run(capsys, ["render", MODELS / f"{name}.toml", "--T", "2",
                                  "--format", fmt])
    assert code == 0, err
    return out


def test_the_markdown_states_the_convention(capsys):
    out = render(capsys, "relu_rnn")
    assert r"h_{t} = \operatorname{relu}\left(a_{t}\right)" in out
    assert r"\operatorname{relu}'\left(a_{t}\right)" in out
    assert r"$\operatorname{relu}'(0) = 0$, PyTorch's convention" in out
    assert r"\mathbf{1}\left[" in out                 # the appendix's slopes


def test_the_latex_states_it_too(capsys):
    out = render(capsys, "leaky_relu_rnn", "tex")
    assert r"\operatorname{leaky\_relu}\left(a_{t}, 0.1\right)" in out
    assert r"$\operatorname{relu}'(0) = 0$" in out


def test_no_convention_without_a_relu(capsys):
    assert "relu" not in render(capsys, "indrnn")
