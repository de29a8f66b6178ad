"""symbptt.documents.worked: the worked example of seed note 004 (seed004.tex/.md/.pdf).

The seed file is 004_62ba402ad1754453.txt (a lecture): a scalar linear RNN worked by hand at
T = 2 with W_xh = 0.5, W_hh = 1.5, W_hy = 1.0, x = (1, 2), y = (2, 5), h_0 = 0 and squared
error, then a tanh RNN with biases, softmax output and cross-entropy (formulas only).
"""
from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

import pytest

import numpy as np

import symbptt.documents.worked_general as general_module
from symbptt.check import audit
from symbptt.documents.render import compile_pdf, environment, have_tex, overfull
from symbptt.documents.worked import both, decimal, worked_example
from symbptt.model.zoo import SEED, source

SEED_FILE = "004_62ba402ad1754453.txt"

# Every number the seed writes for the scalar example (004_62ba402ad1754453.txt, section 3),
# as (its decimal, the exact fraction): the forward pass, the loss, dl_t/dyhat_t,
# dL/dh_2 and dL/dh_1, each per-step contribution and each total gradient.
FORWARD = [("0.5", "1/2"),            # h_1 = yhat_1
           ("1.75", "7/4"),           # h_2 = yhat_2
           ("2.25", "9/4"),           # Loss_1
           ("10.5625", "169/16"),     # Loss_2
           ("12.8125", "205/16")]     # L = Loss_1 + Loss_2
BACKWARD = [("-6.5", "-13/2"),        # dLoss_2/dyhat_2, and dL/dh_2 = -6.5 * 1.0
            ("-12.75", "-51/4")]      # dL/dh_1 = -3.0 + (-6.5 * 1.5)
# the seed's per-step contributions: to dL/dW_hy -11.375 (t = 2) and -1.5 (t = 1); to
# dL/dW_hh -3.25 (t = 2) and 0 (t = 1)
CONTRIBUTIONS = [("-11.375", "-91/8"), ("-1.5", "-3/2"), ("-3.25", "-13/4")]
GRADIENTS = [("-12.875", "-103/8"),   # dL/dW_hy = -11.375 + (-1.5)
             ("-3.25", "-13/4")]      # dL/dW_hh = 0 + (-3.25)
SEED_NUMBERS = FORWARD + BACKWARD + CONTRIBUTIONS + GRADIENTS


@pytest.fixture(scope="module")
def example():
    return worked_example()


@pytest.fixture(scope="module")
def rendered(example):
    env = environment()
    return {fmt: env.get_template(f"seed004.{fmt}.j2").render(**example) for fmt in ("md", "tex")}


# --------------------------------------------------------------------------- the numbers

def test_worked_example_reproduces_seed_004(example):
    # 004_62ba402ad1754453.txt works this example by hand: W_xh = 1/2, W_hh = 3/2, W_hy = 1,
    # x = (1, 2), y = (2, 5), h_0 = 0, L = sum_t (yhat_t - y_t)^2.
    ex = example["exact"]
    assert example["agree"] is True
    assert example["values"]["params"] == {"W_xh": Fraction(1, 2), "W_hh": Fraction(3, 2),
                                           "W_hy": Fraction(1)}
    assert ex["L"] == Fraction(205, 16)
    assert ex["grads"]["W_hy"] == Fraction(-103, 8)
    assert ex["grads"]["W_hh"] == Fraction(-13, 4)
    assert ex["grads"]["W_xh"] == Fraction(-103, 4)    # not in the seed: delta_1 x_1 + delta_2 x_2
    assert ex["h"] == {1: Fraction(1, 2), 2: Fraction(7, 4)}
    assert ex["delta"] == {1: Fraction(-51, 4), 2: Fraction(-13, 2)}     # dL/dh_1, dL/dh_2
    assert ex["loss"] == {1: Fraction(9, 4), 2: Fraction(169, 16)}
    assert ex["slope"] == {1: Fraction(-3), 2: Fraction(-13, 2)}          # dLoss_t/dyhat_t


def test_worked_example_matches_a_hand_computation(example):
    """The same numbers from eight lines of Fraction arithmetic (no symbptt involved)."""
    W_xh, W_hh, W_hy = Fraction(1, 2), Fraction(3, 2), Fraction(1)
    xs, ys = [Fraction(1), Fraction(2)], [Fraction(2), Fraction(5)]
    hs, h = [Fraction(0)], Fraction(0)
    for x in xs:
        h = W_xh * x + W_hh * h
        hs.append(h)
    g = [2 * (W_hy * hs[t] - ys[t - 1]) for t in (1, 2)]      # dL/dyhat_t
    d2 = W_hy * g[1]
    d1 = W_hy * g[0] + W_hh * d2
    want = {"loss": sum((W_hy * hs[t] - ys[t - 1]) ** 2 for t in (1, 2)),
            "W_hy": g[0] * hs[1] + g[1] * hs[2], "W_hh": d1 * hs[0] + d2 * hs[1],
            "W_xh": d1 * xs[0] + d2 * xs[1]}
    ex = example["exact"]
    assert ex["L"] == want["loss"]
    for name in ("W_hy", "W_hh", "W_xh"):
        assert ex["grads"][name] == want[name], name
    assert [ex["delta"][t] for t in (1, 2)] == [d1, d2]
    assert [ex["h"][t] for t in (1, 2)] == hs[1:]
    assert ex["terms"]["W_hy"] == {1: g[0] * hs[1], 2: g[1] * hs[2]}
    assert ex["terms"]["W_hh"] == {1: d1 * hs[0], 2: d2 * hs[1]}


def test_per_step_contributions_are_the_seeds(example):
    # 004_62ba402ad1754453.txt: dLoss_2/dW_hy = -6.5 * 1.75 = -11.375, dLoss_1/dW_hy =
    # -3.0 * 0.5 = -1.5; dL_{t=2}/dW_hh = -6.5 * 0.5 = -3.25, dL_{t=1}/dW_hh = -12.75 * 0 = 0
    terms = example["exact"]["terms"]
    assert terms["W_hy"] == {2: Fraction(-91, 8), 1: Fraction(-3, 2)}
    assert terms["W_hh"] == {2: Fraction(-13, 4), 1: Fraction(0)}
    assert terms["W_xh"] == {2: Fraction(-13), 1: Fraction(-51, 4)}    # the seed's "likewise"
    for name, per in terms.items():
        assert sum(per.values()) == example["exact"]["grads"][name], name


def test_decimals_beside_fractions():
    assert decimal(Fraction(205, 16)) == "12.8125"
    assert decimal(Fraction(-1, 20)) == "-0.05"
    assert decimal(Fraction(-3)) == "-3"
    assert decimal(Fraction(1, 3)) is None
    assert both(Fraction(205, 16)) == "12.8125 = 205/16"
    assert both(Fraction(-103, 8)) == "-12.875 = -103/8"
    assert both(Fraction(-3)) == "-3"
    assert both(Fraction(1, 3)).startswith(r"1/3 \approx 0.3333")


# --------------------------------------------------------------------------- the documents

@pytest.mark.parametrize("fmt", ["md", "tex"])
@pytest.mark.parametrize("dec, frac", SEED_NUMBERS)
def test_document_shows_each_seed_number_in_both_forms(rendered, fmt, dec, frac):
    # the numbers of 004_62ba402ad1754453.txt, each as "decimal = fraction"
    assert f"{dec} = {frac}" in rendered[fmt], (fmt, dec, frac)


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_document_lays_out_each_term(rendered, fmt):
    # 004_62ba402ad1754453.txt's lines, in its order of steps (t = 2 first)
    text = rendered[fmt]
    lines = [
        r"\frac{\partial l_{2}}{\partial \hat{y}_{2}} h_{2} &= -6.5 \cdot 1.75 = -11.375 = -91/8",
        r"\frac{\partial l_{1}}{\partial \hat{y}_{1}} h_{1} &= -3 \cdot 0.5 = -1.5 = -3/2",
        r"&= -11.375 + (-1.5) = -12.875 = -103/8",
        r"\delta_{2} h_{1} &= -6.5 \cdot 0.5 = -3.25 = -13/4",
        r"\delta_{1} h_{0} &= -12.75 \cdot 0 = 0",
        r"&= -3.25 + 0 = -3.25 = -13/4",
        r"&= -3 \cdot 1 + (-6.5) \cdot 1.5 = -3 + (-9.75) = -12.75 = -51/4",
        r"= 2(1.75 - 5) = -6.5 = -13/2",
        r"= 0.5 \cdot 2 + 1.5 \cdot 0.5 = 1 + 0.75 = 1.75 = 7/4",
        r"L = l_{1} + l_{2} = 2.25 + 10.5625 = 12.8125 = 205/16",
    ]
    for line in lines:
        assert line in text, (fmt, line)
    order = [text.index(s) for s in ("Forward pass", r"\partial \hat{y}_{2}} &= 2(",
                                     r"\delta_{2} &=", r"\delta_{1} &=", "-12.875 = -103/8",
                                     r"\delta_{2} h_{1}", r"\delta_{2} x_{2}", "softmax")]
    assert order == sorted(order)


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_document_cites_the_seed_by_its_title(rendered, fmt):
    text = rendered[fmt]
    assert source(SEED["004"]) in text
    assert "004_62ba402ad1754453" not in text.replace(r"\_", "_")


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_second_part_states_the_seed_formulas_with_checks_verdict(example, rendered, fmt):
    text = rendered[fmt]
    part = text[text.index("tanh, softmax and cross-entropy"):]
    assert "elman_softmax" in part.replace(r"\_", "_")
    assert r"\frac{\partial L}{\partial o_{t}} &= \hat{y}_{t} - y_{t}" in part   # yhat - y
    assert r"\left(1 - h_{t} \odot h_{t}\right)" in part                         # tanh slope
    assert r"\operatorname{diag}\left(1 - h_{k+1} \odot h_{k+1}\right)" in part   # delta rec.
    claims = [c for g in example["softmax"]["groups"] for c in g["claims"]]
    assert len(claims) == 11 and all(c["verdict"] == "correct" for c in claims)
    assert all(c["scope"] == "every T" for c in claims)
    assert part.count("correct for every") == 11 + 2          # and the Jacobian with diag
    assert "11 of these 11 formulas correct" in part
    assert example["softmax"]["sizes"] == "n = 3, d = 2, q = 4"
    # n, d, q are defined where they are used
    assert "the sizes $n = 3$ (the state $h_t$), $d = 2$ (the input $x_t$), $q = 4$ (the " \
           "output $o_t$, the target $y_t$)" in part


def test_verdicts_come_from_check_not_from_the_template(monkeypatch):
    """With check's answers turned undecided, the document says so: no verdict is typed in."""
    real = general_module.check

    def undecided(model, claims):
        r = real(model, claims)
        return replace(r, claims=tuple(replace(c, verdict="undecided", scope="",
                                               shape_error="", counterexample=None)
                                       for c in r.claims))
    monkeypatch.setattr(general_module, "check", undecided)
    ex = worked_example()
    md = environment().get_template("seed004.md.j2").render(**ex)
    assert "correct for every" not in md and "wrong" not in md
    assert md.count(r"\text{undecided}") == 5 + 11 + 3 + 1
    assert "0 of these 11 formulas correct" in md
    # the conclusions drawn from check's verdicts go with them
    assert "ill-typed read literally" not in md and "every extra term carries" not in md


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_the_seeds_jacobian_is_ruled_one_way_in_both_documents(example, rendered, fmt):
    """tanh'(...) . W_hh as written is ill-typed (a column times a matrix), and right with
    the slopes on a diagonal: the worked example shows the seed audit's very claims
    (004-28.1, 004-28.2) with check's verdicts and check's message, as math."""
    seed = general_module.seed_claims()
    jac = example["softmax"]["jacobian"]
    audited = {c.input.claim: c for c in audit.run(audit.seed_files()[4]).claims}
    literal = audited[seed["004-28.1"].claim]
    assert literal.shape_error and jac["literal"]["verdict"] == literal.verdict == "wrong"
    assert jac["literal"]["problem"] == audit.shape_parts(literal.shape_error)
    assert [r["verdict"] for r in jac["readings"]] == ["correct", "correct"]
    assert audited[seed["004-28.2"].claim].verdict == "correct"
    assert jac["as_explained"]
    text = rendered[fmt]
    part = text[text.index("The one-step Jacobian"):]
    assert "cannot multiply $\\tanh'\\left(a_{k+1}\\right)$ ($3 \\times 1$) by $W_{hh}$" in part
    assert "tanh_prime(a[k+1])" not in text.replace("\\_", "_")          # no code leaks
    assert "12 of these 12" not in text and "multiplies the column of slopes" not in text
    assert "ill-typed read literally, and right read with the diagonal" in part


def test_numpys_row_broadcast_is_the_diagonal_reading():
    # what the audit's note and the worked example say of tanh'(a)[:, None] * W_hh
    rng = np.random.default_rng(0)
    a, W = rng.normal(size=3), rng.normal(size=(3, 3))
    slope = 1 - np.tanh(a) ** 2
    assert np.allclose(slope[:, None] * W, np.diag(slope) @ W)


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_the_total_derivative_trap_is_shown_with_checks_verdict(example, rendered, fmt):
    trap = example["softmax"]["trap"]
    assert trap["verdict"] == "wrong" and trap["T"] == 3
    text = rendered[fmt]
    part = text[text.index("A trap:"):]
    assert ("wrong at $T = 3$" if fmt == "tex" else "wrong at T = 3") in part
    assert "counts every path through an earlier state more than once" in part
    assert "at $T = 3$ the entry" in part and "by the formula" in part


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_the_data_file_is_named_only_to_reproduce(rendered, fmt):
    lines = [ln for ln in rendered[fmt].splitlines() if "seed004.json" in ln]
    assert len(lines) == 1 and "To reproduce" in lines[0]


@pytest.mark.skipif(not have_tex(), reason="needs TeX Live and latexmk")
def test_pdf_compiles_with_no_overfull_box(rendered):
    pdf, log = compile_pdf(rendered["tex"], "seed004")
    assert pdf.startswith(b"%PDF")
    assert overfull(log) == []
    assert re.search(r"Output written on seed004\.pdf \((\d+) pages?", log)
