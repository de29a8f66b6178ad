"""Review: the Python API with odd arguments must raise SymbpttError."""
from __future__ import annotations

import pytest

import symbptt
from symbptt.errors import SymbpttError

CASES = {
    "prove T=0": lambda: symbptt.prove("elman", T=0),
    "prove T='3'": lambda: symbptt.prove("elman", T="3"),
    "prove dims n=0": lambda: symbptt.prove("elman", T=2, dims={"n": 0}),
    "prove budget='1'": lambda: symbptt.prove("elman", T=2, budget="1"),
    "crosscheck batch=0": lambda: symbptt.crosscheck("elman", T=2, batch=0),
    "crosscheck T=0": lambda: symbptt.crosscheck("elman", T=0),
    "crosscheck dtype='float16'": lambda: symbptt.crosscheck("elman", T=2, dtype="float16"),
    "crosscheck seed=-1": lambda: symbptt.crosscheck("elman", T=2, seed=-1),
    "render T='2'": lambda: symbptt.render("elman", T="2"),
    "check claims=3": lambda: symbptt.check("elman", 3),
    "analyze foo=1": lambda: symbptt.analyze("elman", foo=1),
    "analyze T='5'": lambda: symbptt.analyze("elman", T="5", parts=("jacobians",)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_argument_raises_symbptt_error(name):
    try:
        CASES[name]()
    except SymbpttError:
        return
    except Exception as err:                          # noqa: BLE001
        pytest.fail(f"{name}: raised {type(err).__name__}: {err}, not SymbpttError")
    pytest.fail(f"{name}: accepted")
