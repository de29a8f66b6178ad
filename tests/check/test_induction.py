"""Claims proven for every T by induction over windows of steps (symbptt/induction.py), and
the honest scope of what is not: checked at T = 1..K, searched past K.

Each "every T" verdict here is one a person can confirm from the seed; each trap is a
claim right at small T only, which must never be called correct for every T.
"""
from __future__ import annotations

import pytest

from symbptt.check.verdict import check
from symbptt.check.outcome import EVERY_T, UP_TO_K, ClaimInput
from symbptt.model.spec import Dims

ELMAN_DELTA = ("delta[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ delta[t+1]",
               "delta[T+1] = 0")


def _one(model, claim, where=(), **kw):
    T_max = kw.pop("T_max", None)
    dims = kw.pop("dims", None)
    budget = kw.pop("budget", 20.0)
    return check(model, [ClaimInput(claim, tuple(where), **kw)], None, dims, T_max,
                 budget=budget).claims[0]


# ---- proven for every T ----------------------------------------------------------------------

def test_seed001_elman_recursion_and_gradient_for_every_T():
    # 001_1e08c73fd0114278.txt: delta_t = dl/dh_t + W^T diag(phi'(a_{t+1})) delta_{t+1},
    # dL/dW = sum_t (diag(phi'(a_t)) delta_t) h_{t-1}^T
    r = _one("elman", "dL/dW = sum(t=1..T, (diag(phi_prime(a[t])) @ delta[t]) @ h[t-1].T)",
             ELMAN_DELTA)
    assert r.correct and r.scope == EVERY_T
    assert r.proof.lemmas == ("delta[t] = dL/dh[t]",)
    assert set(range(1, r.proof.T_from)) <= set(r.Ts)      # the rest checked exactly
    r = _one("elman", "dL/dh[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ dL/dh[t+1]")
    assert r.correct and r.scope == EVERY_T


def test_lstm_carousel_for_every_T():
    # 001_1e08c73fd0114278.txt: the constant error carousel, total dL/dc_t
    r = _one("lstm", "dL/dc[t] = o[t] * (1 - tanh(c[t]) * tanh(c[t])) * dL/dh[t] "
                     "+ f[t+1] * dL/dc[t+1]", dims=Dims(2, 2, 2))
    assert r.correct and r.scope == EVERY_T


def test_d2l_gradients_with_one_over_T_for_every_T():
    # 003_6832bb59d1aaefdb.txt: dL/dW_qh = sum_t dL/do_t h_t^T, dL/do_t = (o_t - y_t) / T
    r = _one("d2l_linear", "dL/dW_qh = 1/T * sum(t=1..T, (o[t] - y[t]) @ h[t].T)")
    assert r.correct and r.scope == EVERY_T
    # a lost 1/T is wrong, and never proven
    assert not _one("d2l_linear", "dL/dW_qh = sum(t=1..T, (o[t] - y[t]) @ h[t].T)").correct


def test_forward_sensitivity_recursion_for_every_T():
    # 003_6832bb59d1aaefdb.txt: dh_t/dw_h = df_t/dw_h + df_t/dh_{t-1} dh_{t-1}/dw_h, on
    # seed 004's scalar model: z_t = h_{t-1} + W_hh z_{t-1}, z_0 = 0
    r = _one("scalar_linear", "dL/dW_hh = sum(t=1..T, 2 * (yhat[t] - y[t]) * W_hy * z[t])",
             ("z[t] = h[t-1] + W_hh * z[t-1]", "z[0] = 0"))
    assert r.correct and r.scope == EVERY_T
    assert r.proof.lemmas == ("z[t] = dh[t]/dW_hh",)


def test_per_step_sum_with_a_vanishing_first_term():
    # h_0 = 0: the t = 1 summand of dL/dW is 0, so the sum may start at 2
    r = _one("elman", "dL/dW = sum(t=2..T, (diag(phi_prime(a[t])) @ dL/dh[t]) @ h[t-1].T)")
    assert r.correct and r.scope == EVERY_T


# ---- not provable by windows: the honest scope -------------------------------------------

def test_closed_form_is_checked_up_to_K_and_searched():
    # 002_f9c6515e77627858.txt: dL/dh_t = sum_{i=t}^T (W_hh^T)^{T-i} W_qh^T dL/do_{T+t-i}
    r = _one("d2l_linear", "dL/dh[t] = sum(i=t..T, (W_hh.T)^(T-i) @ W_qh.T @ dL/do[T+t-i])",
             budget=2.0)
    assert r.correct and r.scope == UP_TO_K and r.Ts == (1, 2, 3, 4)
    assert "grows with t or T" in r.proof.reason
    assert r.searched > 4


def test_claims_own_T_list_is_its_scope():
    # 004_62ba402ad1754453.txt's worked example is at T = 2
    r = _one("scalar_linear", "dL/dh[2] = 2 * (yhat[2] - y[2]) * W_hy", Ts=(2,))
    assert r.correct and r.scope == "T = 2" and r.searched == 0


# ---- traps: right at small T only -------------------------------------------------------

WINDOW = ["g1[t] = dl[t]/dh[t]"] + [
    f"g{k}[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ g{k - 1}[t+1]"
    for k in range(2, 7)] + [f"g{k}[T] = dl[T]/dh[T]" for k in range(2, 7)]


@pytest.mark.parametrize("k", [4, 5, 6])
def test_truncated_window_is_wrong_past_k(k):
    """A recursion that keeps paths of at most k - 1 steps is the gradient while T <= k;
    checked at T = 1..4, the search finds T = k + 1 (and it is never proven)."""
    r = _one("elman", f"dL/dh[t] = g{k}[t]", WINDOW[:k] + WINDOW[6:6 + k - 1])
    assert not r.correct
    assert r.counterexample.T == k + 1
    assert r.found_by == ("search" if k >= 4 else "")


def test_a_boundary_value_inside_the_sequence_is_seen():
    """delta[5] = 0 is harmless while T < 5 (delta[5] is never read) and wrong from T = 5:
    the windows must stand at t = 5 too, not read it as a step well inside."""
    r = _one("elman", "dL/dh[t] = delta[t]", ELMAN_DELTA + ("delta[5] = 0 * delta[6]",))
    assert not r.correct and r.counterexample.T == 5


def test_lstm_two_step_carousel_is_wrong():
    r = _one("lstm", "dL/dc[t] = o[t] * (1 - tanh(c[t]) * tanh(c[t])) * dl[t]/dh[t] "
                     "+ f[t+1] * dl[t+1]/dc[t+1]", dims=Dims(2, 2, 2))
    assert not r.correct
