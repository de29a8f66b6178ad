"""The unrolled certificate: proven for every symbolic zoo model, never for a wrong rule."""
from __future__ import annotations

import pytest
import symengine as se
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symbptt.errors import TooExpensive
from symbptt.model.spec import Dims
from symbptt.symbolic import direct
from symbptt.symbolic.backend import SYMENGINE, SYMPY
from symbptt.symbolic.certificate import Certificate, Failure, Group, prove
from symbptt.symbolic.inductive import prove_inductive
from symbptt.symbolic.mutations import mutated_cell, mutations
from symbptt.symbolic.zero import Counterexample
from symbptt.model.registry import get_model
from symbptt.model.zoo import models

from .helpers import unrolled

# (model, activation, T, dims): n != d != q wherever the model has them
PROVEN = [
    ("scalar_linear", None, 4, Dims()),
    ("linear_half_square", None, 3, Dims(3, 2)),
    ("d2l_linear", None, 2, Dims(3, 2, 4)),
    ("elman", "tanh", 3, Dims(3, 2)),
    ("elman", "sigmoid", 3, Dims(3, 2)),
    ("elman", "identity", 3, Dims(3, 2)),
    ("elman_softmax", None, 2, Dims(3, 2, 4)),
    ("residual", None, 3, Dims(3, 2)),
    ("generic", None, 3, Dims()),
    ("gru", None, 2, Dims(2, 3)),
    ("gru_torch", None, 2, Dims(2, 3)),
    ("lstm", None, 2, Dims(2, 3)),
    ("attention", None, 2, Dims(2, 3, 2)),
]


@pytest.mark.parametrize("model,activation,T,dims", PROVEN)
def test_every_symbolic_zoo_model_is_proven(model, activation, T, dims):
    spec = get_model(model)
    cert = prove(spec, T, dims, activation)
    assert cert.proven, cert.failures[:3]
    assert cert.kind == "unrolled" and cert.T == T
    assert cert.forms == ("recursive", "closed_form")
    per_input = T * len(list(_entries(dims.shape(spec.input_shape))))
    paths = 3 if model == "attention" else 1     # total, recurrent path, shortcut
    expected = sum(len(list(_entries(dims.shape(p.shape)))) for p in spec.params) \
        + paths * per_input
    assert cert.entries == expected
    assert all(g.proven == g.entries for g in cert.groups)
    assert "expand" in cert.method
    assert "exactly" in cert.claim


def _entries(shape):
    if not shape:
        return [()]
    if len(shape) == 1:
        return [(i,) for i in range(shape[0])]
    return [(i, j) for i in range(shape[0]) for j in range(shape[1])]


def test_the_zoo_has_all_eleven_models_and_all_are_symbolic():
    names = [s.name for s in models()]
    assert names == ["scalar_linear", "linear_half_square", "d2l_linear", "elman",
                     "elman_softmax", "generic", "residual", "gru", "gru_torch", "lstm",
                     "attention"]
    assert {s.name for s in models() if s.symbolic} == {m for m, *_ in PROVEN}


MUTATIONS = [(model, name) for model in
             ("scalar_linear", "linear_half_square", "d2l_linear", "elman", "elman_softmax",
              "residual", "generic", "gru", "gru_torch", "lstm", "attention")
             for name in mutations(model)]
GATED_DIMS = {"gru": Dims(2, 3), "gru_torch": Dims(2, 3), "lstm": Dims(2, 3),
              "attention": Dims(2, 3, 2)}


@pytest.mark.parametrize("model,name", MUTATIONS)
def test_a_wrong_rule_is_never_proven(model, name):
    spec = get_model(model)
    dims = GATED_DIMS.get(model, Dims(3, 2, 4))
    T = 2 if model in ("d2l_linear", "elman_softmax", *GATED_DIMS) else 3
    cert = prove(spec, T, dims, cell=mutated_cell(model, name))
    assert not cert.proven
    assert cert.failures
    f = cert.failures[0]
    assert f.T == T and f.entry and f.form in ("recursive", "closed_form")
    cx = f.counterexample
    if model == "generic":
        assert cx.difference and cx.difference != "0"
    else:
        assert cx.point and cx.expected != cx.got
    assert "differs" in cert.claim


def test_the_mutations_cover_the_classic_slips():
    assert {"missing-transpose", "shifted-index", "h_t-for-h_{t-1}"} <= set(mutations("elman"))
    assert "lost-1/T" in mutations("d2l_linear")
    assert "lost-factor-2" in mutations("scalar_linear")


def test_missing_transpose_spoils_the_recursion_not_the_closed_form():
    # the closed form uses the Jacobian rule J_t, the recursion the VJP rule: the
    # certificate says which one is wrong
    cert = prove(get_model("elman"), 3, Dims(3, 2), cell=mutated_cell("elman", "missing-transpose"))
    assert {f.form for f in cert.failures} == {"recursive"}


def test_a_counterexample_is_a_real_difference():
    # evaluate both sides at the reported point independently of the certificate
    spec = get_model("scalar_linear")
    cert = prove(spec, 2, Dims(), cell=mutated_cell("scalar_linear", "lost-factor-2"))
    f = next(f for f in cert.failures if f.entry == "W_hy")
    u = unrolled("scalar_linear", 2)
    point = {se.Symbol(k): se.Rational(*map(int, (v + "/1").split("/")[:2]))
             for k, v in f.counterexample.point.items()}
    assert str(direct.gradient(u)["W_hy"].subs(point)) == f.counterexample.expected
    assert f.counterexample.expected != f.counterexample.got


def test_no_certificate_says_proven_with_an_unproven_entry():
    group = Group("W", (2, 2), entries=4, proven=3)
    cert = Certificate("unrolled", "elman", {}, 2, {"n": 2}, (group,))
    assert not cert.proven


def test_sympy_and_symengine_differentiate_alike():
    # both engines derive the direct form on their own; they must agree
    a, b = unrolled("elman", 2, 2, 2, backend=SYMPY), unrolled("elman", 2, 2, 2, backend=SYMENGINE)
    da, db = direct.gradient(a), direct.gradient(b)
    for label in da:
        other = sp.sympify(db[label])
        other = other.xreplace({s: sp.Symbol(s.name, real=True) for s in other.free_symbols})
        assert sp.expand(da[label] - other) == 0


def test_the_sympy_backend_proves_too():
    cert = prove(get_model("elman"), 2, Dims(2, 2), "sigmoid", backend="sympy")
    assert cert.proven and cert.method.startswith("sympy")


def test_an_absurd_request_is_refused_with_the_estimate():
    with pytest.raises(TooExpensive, match="--force"):
        prove(get_model("elman"), 200, Dims(3, 2))


@settings(max_examples=12, deadline=None)
@given(model=st.sampled_from(["scalar_linear", "linear_half_square", "elman", "residual",
                              "d2l_linear", "elman_softmax"]),
       T=st.integers(1, 3), n=st.integers(1, 3), d=st.integers(1, 3), q=st.integers(2, 3))
def test_three_way_agreement_over_small_T_and_dims(model, T, n, d, q):
    if model in ("d2l_linear", "elman_softmax") and T == 3:
        T = 2                                   # keep the expansion small
    cert = prove(get_model(model), T, Dims(n, d, q))
    assert cert.proven


# ---- the inductive certificate (issue 4): the per-step rules, for every T ----------------

@pytest.mark.parametrize("spec", [s for s in models() if s.symbolic], ids=lambda s: s.name)
def test_every_symbolic_model_is_proven_for_every_T(spec):
    cert = prove_inductive(spec, Dims(3, 2, 4))
    assert cert.proven, cert.failures[:3]
    assert cert.kind == "inductive" and "for all T >= 1" in cert.claim
    names = {g.name for g in cert.groups}
    assert {"jacobian", "vjp state", "vjp params", "loss state", "closed-form step"} <= names


@pytest.mark.parametrize("model,name", MUTATIONS)
def test_a_wrong_rule_fails_the_inductive_certificate_too(model, name):
    cert = prove_inductive(get_model(model), Dims(2, 3, 4), cell=mutated_cell(model, name))
    assert not cert.proven and cert.failures
    f = cert.failures[0]
    assert f.entry and f.form
    if model != "generic":
        assert f.counterexample.expected != f.counterexample.got


def test_every_gated_model_has_three_slips():
    for model in ("gru", "gru_torch", "lstm", "attention"):
        assert len(mutations(model)) >= 3
        assert "missing-transpose" in mutations(model)


def test_the_inductive_cost_does_not_grow_with_T():
    # it has no T at all: the same identities whatever the sequence length
    a = prove_inductive(get_model("elman"), Dims(3, 2))
    assert a.T == 0 and a.entries == prove_inductive(get_model("elman"), Dims(3, 2)).entries


def test_a_loss_that_reads_earlier_inputs_is_proven_through_its_shortcut():
    # the plumbing attention needs: a readout that sees x_1..x_t and a loss rule that
    # returns dl_t/dx_k for earlier k. Toy: l_t = 1/2 ||h_t - y_t||^2 + (sum_k x_k[0]) h_t[0]
    import dataclasses

    from symbptt.symbolic.activations import ACTIVATIONS
    from symbptt.symbolic.cells import elman_cell
    from symbptt.symbolic.linalg import total

    base = elman_cell(ACTIVATIONS["tanh"])

    def readout(be, P, s, xs):
        return {"m": total([x[0] for x in xs]), "xs": tuple(xs)}

    def loss(be, P, st, y, T):
        return base.loss(be, P, st, y, T) + st.vals["m"] * st.s[0]

    def loss_vjp(be, P, st, y, T):
        g_s, params = base.loss_vjp(be, P, st, y, T)
        g_s = (g_s[0] + st.vals["m"],) + tuple(g_s[1:])
        d = len(st.vals["xs"][0])
        shortcut = {k: (st.s[0],) + (0,) * (d - 1) for k in range(1, len(st.vals["xs"]) + 1)}
        return g_s, params, shortcut

    cell = dataclasses.replace(base, name="elman+shortcut", loss=loss, loss_vjp=loss_vjp,
                               readout=readout)
    cert = prove(get_model("elman"), 3, Dims(2, 2), cell=cell)
    assert cert.proven, cert.failures[:2]
    wrong = dataclasses.replace(cell, loss_vjp=lambda be, P, st, y, T: loss_vjp(be, P, st, y, T)[:2])
    assert not prove(get_model("elman"), 3, Dims(2, 2), cell=wrong).proven


@pytest.mark.slow
@pytest.mark.parametrize("model", ["gru", "gru_torch", "lstm", "attention"])
def test_gated_cells_unrolled_at_T3(model):
    # issue 4: unrolled proofs at n = 2, d = 3 (q = 2), T = 3 (15-90 s each on 2 cores)
    dims = GATED_DIMS[model]
    cert = prove(get_model(model), 3, dims, force=True)
    assert cert.proven, cert.failures[:2]
    paths = 3 if model == "attention" else 1
    assert cert.T == 3 and cert.entries == sum(
        len(_entries(dims.shape(p.shape))) for p in get_model(model).params) + paths * 3 * 3


def test_attention_reports_both_input_paths_each_proven():
    cert = prove(get_model("attention"), 2, Dims(2, 3, 2))
    by_name = {g.name: g for g in cert.groups}
    assert {"x", "x:recurrent", "x:attention"} <= set(by_name)
    assert all(by_name[n].proven == by_name[n].entries == 6 for n in
               ("x", "x:recurrent", "x:attention"))


def test_attention_inductive_states_its_scope():
    cert = prove_inductive(get_model("attention"), Dims(2, 3, 2))
    assert cert.proven
    names = {g.name for g in cert.groups}
    assert {"loss attention", "softmax lemma"} <= names
    assert "t = 1, 2, 3" in cert.claim and "every length" in cert.claim


def test_a_wrong_softmax_rule_is_caught_with_the_attention_point():
    cert = prove(get_model("attention"), 2, Dims(2, 3, 2),
                 cell=mutated_cell("attention", "dropped-shortcut"))
    bad = {f.entry for f in cert.failures}
    assert "x_1[0]" in bad and "x_1[0] attention" in bad and "x_1[0] recurrent" not in bad
    # the point is the model's own: the readout's copy of x_k is x_k itself
    assert not any(k.startswith("attention:") for k in cert.failures[0].counterexample.point)


# ---- what an undecided certificate says (issue 14, item 5) --------------------------------

def _undecided(*pairs):
    """A certificate whose failing entries show these (expected, got) values."""
    failures = tuple(Failure(f"W[0,{k}]", "recursive", 2,
                             Counterexample({"W[0,0]": "1/2"}, a, b, ""))
                     for k, (a, b) in enumerate(pairs))
    return Certificate("unrolled", "elman", {}, 2, {"n": 2, "d": 2},
                       (Group("W", (2, 2), 4, 4 - len(pairs), failures),))


def test_two_tiny_values_are_not_said_to_agree_to_15_digits():
    # 1.7e-28 and 3.1e-73 have no digit in common; the claim said "agree to 15 digits"
    cert = _undecided(("1.7e-28", "3.1e-73"))
    assert cert.undecided and not cert.proven
    assert "15 digits" not in cert.claim
    assert "both within 1e-15 of 0" in cert.claim and "no digit" in cert.claim
    assert "1.7e-28" in cert.claim and "3.1e-73" in cert.claim


def test_the_claim_counts_the_digits_that_agree():
    cert = _undecided(("0.12345678901234567891", "0.12345678901234567891"),
                      ("1.2345678901234567", "1.2345678901234569"))
    assert cert.undecided
    assert "2 of 2 comparisons agree to 15 significant digits or more" in cert.claim
    assert "within 1e-15 of 0" not in cert.claim
    same = _undecided(("-1.5067236519613724273", "-1.5067236519613724273"))
    assert "1 of 1 comparisons print the same 20 significant digits" in same.claim


def test_values_that_agree_neither_way_are_a_counterexample():
    # 3e-16 and 1.2e-15 are 9e-16 apart, which a floor of max(1, |a|, |b|) passed; but
    # 1.2e-15 is not within 1e-15 of 0, and they agree in no digit: it differs
    for pair in (("3e-16", "1.2e-15"), ("0.5", "0.5000000000001")):
        cert = _undecided(pair)
        assert not cert.undecided and not cert.proven
        assert "differs" in cert.claim
