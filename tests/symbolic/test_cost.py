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


# ---- one cost model: time and memory, one refusal (issue 18) -----------------------------

def _coupled(tmp_path):
    from symbptt.api import load_model
    from symbptt.bench.cost import COUPLED
    path = tmp_path / "coupled.toml"
    path.write_text(COUPLED, encoding="utf-8")
    return load_model(str(path))


def test_two_coupled_states_are_priced_by_their_measured_growth(tmp_path):
    """Issue 18: a static guess put this model file at 0.39 s for T = 3; it took over 15
    minutes and 2.5 GB. The probe measures its expansion at T = 1, 2 (x130 a step)."""
    from symbptt.symbolic.cost import proof_estimate
    spec = _coupled(tmp_path)
    t2, t3 = (proof_estimate(spec, T, Dims(2, 2)) for T in (2, 3))
    assert 0.3 < t2.seconds < 3                  # measured about 1 s
    assert t3.seconds > 100 and t3.bytes > 2 ** 30
    assert proof_estimate(spec, 4, Dims(2, 2)).seconds > 600 * 10


def test_a_proof_past_the_budget_names_the_estimate_and_the_options(tmp_path):
    from symbptt.errors import TooExpensive
    from symbptt.symbolic.certificate import check_budget
    from symbptt.symbolic.cost import Budget
    spec = _coupled(tmp_path)
    with pytest.raises(TooExpensive, match=r"--budget SECONDS.*--force"):
        check_budget(spec, 4, Dims(2, 2), None, False)
    with pytest.raises(TooExpensive, match=r"of memory \(budget 256 MiB, --memory GIB\)"):
        check_budget(spec, 3, Dims(2, 2), Budget.of(10 ** 6, 0.25), False)
    assert check_budget(spec, 3, Dims(2, 2), Budget.of(10 ** 6, 64), False).seconds > 100


def test_the_inductive_certificate_has_a_budget():
    """prove attention --kind inductive at n = d = q = 16 ran past 60 s (hours: its cost
    grows like k^6); at 4 it takes under 2 s."""
    from symbptt.errors import TooExpensive
    from symbptt.model.registry import get_model
    from symbptt.symbolic.cost import inductive_estimate
    from symbptt.symbolic.inductive import prove_inductive
    attention = get_model("attention")
    assert inductive_estimate(attention, Dims(4, 4, 4)).seconds < 10
    assert inductive_estimate(attention, Dims(16, 16, 16)).seconds > 3600
    with pytest.raises(TooExpensive, match="inductive certificate of attention at n = 16"):
        prove_inductive(attention, Dims(16, 16, 16))
    small = [inductive_estimate(get_model(m), Dims(3, 2)).seconds for m in ("elman", "gru")]
    assert max(small) < 5


def test_estimates_say_time_and_memory_plainly():
    from symbptt.symbolic.cost import Budget, Estimate, about, describe_bytes
    assert describe_bytes(3 * 2 ** 30) == "3 GiB" and describe_bytes(5 * 2 ** 20) == "5 MiB"
    assert about(1e20) == "over a million years" and about(90) == "about 1.5 min"
    assert Estimate(1.0, 2 ** 20).over(Budget()) == ""
    over = Estimate(7200.0, 2 ** 40).over(Budget())
    assert "about 2 hours" in over and "1 TiB of memory" in over
    assert Budget.of(None, 0.5) == Budget(600.0, 2 ** 29)
