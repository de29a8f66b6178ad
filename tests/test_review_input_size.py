"""Review: a model file whose input is x = "n" (or "q") gets X drawn with d columns."""
from __future__ import annotations

import pytest

import symbptt

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
