"""The cost estimate: monotone, and large where a proof would hang the machine."""
from __future__ import annotations

import pytest

from symbptt.spec import Dims
from symbptt.symbolic.cost import describe, estimate_seconds
from symbptt.zoo import models


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
