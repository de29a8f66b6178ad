"""The cost estimate: monotone, and large where a proof would hang the machine."""
from __future__ import annotations

import pytest

from symbptt.model.spec import Dims
from symbptt.symbolic.cost import describe, estimate_seconds
from symbptt.model.zoo import models


@pytest.mark.parametrize("spec", models(), ids=lambda s: s.name)
def test_the_estimate_grows_with_T(spec):
    est = [estimate_seconds(spec, T, Dims(3, 2, 4)) for T in (2, 4, 8, 16)]
    assert est == sorted(est) and est[0] < est[-1]


def test_the_estimate_grows_with_n():
    spec = next(s for s in models() if s.name == "elman")
    assert estimate_seconds(spec, 6, Dims(2, 2)) < estimate_seconds(spec, 6, Dims(4, 2))


def test_the_seed_examples_are_cheap_and_T200_is_not():
    elman = next(s for s in models() if s.name == "elman")
    assert estimate_seconds(elman, 3, Dims(2, 2)) < 1
    assert estimate_seconds(elman, 200, Dims(2, 2)) > 1e6
    assert "years" in describe(estimate_seconds(elman, 200, Dims(2, 2)))


def test_check_seconds_grows_fastest_for_a_gate():
    from symbptt.api import load_model
    from symbptt.check.audit import examples_dir
    from symbptt.symbolic.cost import check_growth, check_seconds
    from symbptt.model.registry import get_model
    files = examples_dir() / "models"
    mgu, indrnn, elman2 = (load_model(str(files / f"{m}.toml")) for m in ("mgu", "indrnn", "elman2"))
    # a gate multiplies two things that read the state: the growth itself grows
    assert check_growth(mgu.program)[2] > 2 > check_growth(elman2.program)[2]
    # no matmul carries IndRNN's state (u * h elementwise): slow growth
    assert check_growth(indrnn.program)[1] < check_growth(elman2.program)[1]
    dims = Dims(3, 2, 4)
    for spec in (mgu, indrnn, elman2, get_model("gru"), get_model("elman")):
        est = [check_seconds(spec, T, dims) for T in range(1, 7)]
        assert est == sorted(est)
    # measured (bench --part check): gru T = 3 0.8 s, lstm 1.3 s, elman T = 6 0.7 s
    assert 0.3 < check_seconds(get_model("gru"), 3, dims) < 3
    assert 0.3 < check_seconds(get_model("elman"), 6, dims, "tanh") < 3
    assert check_seconds(get_model("gru"), 4, Dims(2, 2, 2)) < check_seconds(get_model("gru"), 4, dims)
