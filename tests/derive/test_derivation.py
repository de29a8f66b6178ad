"""symbptt derive reproduces the seeds' formulas, and check agrees both ways: each derived
formula is correct, and each seed formula is correct against the same model (so the two
say the same thing). The seed each formula comes from is named beside it."""
from __future__ import annotations

import pytest

from symbptt.check.outcome import ClaimInput
from symbptt.check.verdict import check
from symbptt.derive.derivation import derive_cell
from symbptt.derive.equations import cell_equations
from symbptt.model.registry import get_model


def _derived(model: str) -> dict:
    """The derived formulas by their left side (the closed form apart: it shares one)."""
    return {f.text.split(" = ")[0]: f.text for f in derive_cell(cell_equations(get_model(model)))
            if f.role != "closed form"}


def _correct(model: str, *claims: str, where=()) -> list[str]:
    r = check(model, [ClaimInput(c, tuple(where)) for c in claims], budget=0)
    return [c.verdict for c in r.claims]


def test_elman_gives_seed_001s_recursion_and_gradients():
    # ../shared/seeds/001: delta_t = dl_t/dh_t + W^T diag(phi'(a_{t+1})) delta_{t+1},
    # dL/dW = sum_t diag(phi'(a_t)) delta_t h_{t-1}^T (and U, b alike)
    d = _derived("elman")
    assert d["dL/dh[t]"] == \
        "dL/dh[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ dL/dh[t+1]"
    assert d["dL/dW"] == "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ dL/dh[t] @ h[t-1].T)"
    assert d["dL/dU"] == "dL/dU = sum(t=1..T, diag(phi_prime(a[t])) @ dL/dh[t] @ x[t].T)"
    assert d["dL/db"] == "dL/db = sum(t=1..T, phi_prime(a[t]) * dL/dh[t])"
    seed = ["delta[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ delta[t+1]",
            "delta[T] = dl[T]/dh[T]"]
    assert _correct("elman", "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ delta[t] @ "
                    "h[t-1].T)", "dL/dh[t] = delta[t]", where=seed) == ["correct"] * 2


def test_d2l_linear_gives_seed_002s_sum_and_003s_gradients():
    # ../shared/seeds/002: dL/dh_t = sum_{i=t}^T (W_hh^T)^{T-i} W_qh^T dL/do_{T+t-i}
    d = _derived("d2l_linear")
    assert d["dL/dh[t]"] in {"dL/dh[t] = W_qh.T @ dL/do[t] + W_hh.T @ dL/dh[t+1]"}
    assert d["dL/do[t]"] == "dL/do[t] = (o[t] - y[t]) / T"
    seed = "dL/dh[t] = sum(i=t..T, W_hh.T^(T-i) @ W_qh.T @ dL/do[T+t-i])"
    closed = [f.text for f in derive_cell(cell_equations(get_model("d2l_linear")))
              if f.role == "closed form"]
    assert _correct("d2l_linear", seed, *closed) == ["correct", "correct"]
    # ../shared/seeds/003: dL/dW_qh = sum_t dL/do_t h_t^T, dL/dW_hx = sum_t dL/dh_t x_t^T,
    # dL/dW_hh = sum_t dL/dh_t h_{t-1}^T
    assert d["dL/dW_qh"] == "dL/dW_qh = sum(t=1..T, dL/do[t] @ h[t].T)"
    assert d["dL/dW_hx"] == "dL/dW_hx = sum(t=1..T, dL/dh[t] @ x[t].T)"
    assert d["dL/dW_hh"] == "dL/dW_hh = sum(t=1..T, dL/dh[t] @ h[t-1].T)"


def test_elman_softmax_gives_seed_004s_output_gradient():
    # ../shared/seeds/004 (and 000): dL/do_t = yhat_t - y_t
    assert _derived("elman_softmax")["dL/do[t]"] == "dL/do[t] = yhat[t] - y[t]"


def test_lstm_has_the_carousel_and_gru_the_highway():
    # ../shared/seeds/001: the LSTM's constant error carousel f_{t+1} * dL/dc_{t+1}; the
    # GRU's (1 - z_t) path
    lstm = _derived("lstm")["dL/dc[t]"]
    assert lstm.endswith("+ f[t+1] * dL/dc[t+1]")
    assert "(1 - z[t+1]) * dL/dh[t+1]" in _derived("gru")["dL/dh[t]"]
    assert _correct("lstm", "dL/dc[t] = o[t] * (1 - tanh(c[t]) * tanh(c[t])) * dL/dh[t] + "
                    "f[t+1] * dL/dc[t+1]", lstm) == ["correct", "correct"]


def test_attention_has_the_shortcut_to_every_earlier_input():
    # ../shared/seeds/001 (attention in words): a path from o_t straight to x_k, k <= t
    x = _derived("attention")["dL/dx[k]"]
    assert x == ("dL/dx[k] = U.T @ diag(1 - h[k] * h[k]) @ dL/dh[k] + "
                 "sum(t=k..T, (dc[t]/dx[k] | h[t]).T @ dL/dc[t])")


def test_generic_gives_seed_003s_forward_recursion():
    # ../shared/seeds/003: dh_t/dw_h = df_t/dw_h + df_t/dh_{t-1} dh_{t-1}/dw_h
    d = _derived("generic")
    assert d["dh[t]/dw_h"] == "dh[t]/dw_h = df[t]/dw_h + df[t]/dh[t-1] * dh[t-1]/dw_h"
    assert d["dL/dw_h"] == "dL/dw_h = sum(t=1..T, df[t]/dw_h * dL/dh[t])"


def test_a_seed_formula_with_a_slip_is_not_what_derive_says():
    """Both directions mean something: the seed's form with a slip (h[t] for h[t-1]) is
    wrong where the derived one is right."""
    assert _correct("elman", "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ dL/dh[t] @ "
                    "h[t].T)") == ["wrong"]


@pytest.mark.parametrize("model", ["elman", "lstm"])
def test_every_state_has_a_recursion_and_a_base_case(model):
    fs = derive_cell(cell_equations(get_model(model)))
    states = cell_equations(get_model(model)).states
    for s in states:
        assert any(f.role == "recursion" and f.text.startswith(f"dL/d{s}[t] =") for f in fs)
        assert any(f.role == "base case" and f.text.startswith(f"dL/d{s}[T] =") for f in fs)
