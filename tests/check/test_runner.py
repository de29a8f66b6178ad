"""check/runner.py: each claim in a child process under a time limit, never a hang.

The slow step is put in by hand (the child is forked from this process, so a patched
function is the child's too): a claim stopped there keeps the verdict it had, with its
scope, and says what was left undone. Issue 18: claims that ran 400 s at 4 GB, and one
that aborted the process (std::bad_alloc)."""
import json
import os
import time

import pytest

from symbptt.check import report as report_mod
from symbptt.check import runner, verdict
from symbptt.check.outcome import ClaimInput
from symbptt.check.verdict import check
from symbptt.errors import SymbpttError
from symbptt.formula.tree import show

# elman's closed form: right, but not a recursion (no proof for every T: exact at 1..K)
CLOSED = ("dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ sum(k=t..T, prod(j=t+1..k, "
          "diag(phi_prime(a[j])) @ W).T @ dl[k]/dh[k]) @ h[t-1].T)")
# the same gradient through the recursion: proven for every T
RECURSIVE = "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ dL/dh[t] @ h[t-1].T)"
SIMPLE = "dL/dh[T] = dl[T]/dh[T]"


def _slow_at(monkeypatch, T: int, act, only: str = "prod("):
    """verdict's exact test runs `act` at T (in the child) instead of finishing, for the
    claims whose formula holds `only`."""
    real = verdict.first_failure

    def first_failure(model, bound, Ts, assumed=None):
        if tuple(Ts) == (T,) and only in show(bound.equation):
            act()
        return real(model, bound, Ts, assumed)
    monkeypatch.setattr(verdict, "first_failure", first_failure)


def _claims(*texts):
    return [ClaimInput(t, name=f"c{k}") for k, t in enumerate(texts)]


def test_a_claim_past_its_time_limit_is_undecided_with_the_T_it_was_shown_at(monkeypatch):
    _slow_at(monkeypatch, 3, lambda: time.sleep(600))
    start = time.perf_counter()
    r = check("elman", _claims(CLOSED, SIMPLE), time_limit=3, budget=0)
    assert time.perf_counter() - start < 60
    slow, after = r.claims
    assert slow.verdict == "undecided" and slow.Ts == (1, 2)
    assert "the exact check at T = 3 was stopped after 3 s" in slow.stopped
    assert "--time-limit" in slow.stopped
    assert after.correct and not after.stopped           # a new child goes on
    text = report_mod.check_text([r])
    assert "UNDECIDED: the exact check at T = 3 was stopped after 3 s" in text
    assert "equal exactly at T = 1..2; nothing is claimed past it" in text
    out = report_mod.check_json([r])
    assert out["verdict"] == "undecided"
    assert out["groups"][0]["claims"][0]["stopped"].startswith("the exact check at T = 3")
    json.dumps(out)


def test_a_claim_stopped_before_any_T_says_so(monkeypatch):
    _slow_at(monkeypatch, 1, lambda: time.sleep(600))
    (c,) = check("elman", _claims(CLOSED), time_limit=2, budget=0).claims
    assert c.verdict == "undecided" and c.Ts == ()
    assert "not shown equal exactly at any T" in "\n".join(report_mod.claim_text(c))


def test_a_proven_claim_keeps_its_verdict_when_a_confirmation_runs_long(monkeypatch):
    """Past the T the induction needs, the exact checks only confirm it: they get
    CONFIRM_LIMIT seconds, and the verdict stands, with the T checked listed."""
    monkeypatch.setattr(runner, "CONFIRM_LIMIT", 1.0)
    _slow_at(monkeypatch, 4, lambda: time.sleep(600), only="dL/dh[t]")
    (c,) = check("elman", _claims(RECURSIVE), time_limit=120).claims
    assert c.correct and c.scope == "every T" and c.proof.proven
    assert 4 not in c.Ts and set(range(1, c.proof.T_from)) <= set(c.Ts)
    assert "the exact check at T = 4 was left after 1 s" in c.stopped
    assert c.seconds < 60


def test_a_child_that_aborts_is_a_verdict_not_a_crash(monkeypatch):
    """A C++ allocation failure (std::bad_alloc past a catch) aborts the process."""
    _slow_at(monkeypatch, 2, os.abort)
    slow, after = check("elman", _claims(CLOSED, SIMPLE), time_limit=60, budget=0).claims
    assert slow.verdict == "undecided" and slow.Ts == (1,)
    assert "the exact check at T = 2 ran out of memory" in slow.stopped
    assert after.correct


def test_a_child_past_its_memory_is_a_verdict(monkeypatch):
    def grow():
        raise MemoryError
    _slow_at(monkeypatch, 2, grow)
    (c,) = check("elman", _claims(CLOSED), time_limit=60, budget=0).claims
    assert c.verdict == "undecided" and c.Ts == (1,)
    assert "grew past the memory budget" in c.stopped and "--memory" in c.stopped


def test_a_wrong_claim_stopped_in_its_diagnosis_stays_wrong_with_its_counterexample(
        monkeypatch):
    from symbptt.check import diagnosis
    monkeypatch.setattr(diagnosis, "holds_exactly", lambda *a: time.sleep(600))
    wrong = "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ dL/dh[t] @ h[t].T)"   # h[t-1]
    (c,) = check("elman", _claims(wrong), time_limit=5).claims
    assert c.verdict == "wrong" and c.counterexample is not None and c.first
    assert c.stopped.startswith("the diagnosis")
    text = "\n".join(report_mod.claim_text(c))
    assert "WRONG: first at T = 1" in text and "(the diagnosis (single edits) was stopped" in text


def test_bad_input_in_the_child_is_the_same_error_here():
    with pytest.raises(SymbpttError, match="nothing to check"):
        check("elman", _claims("dL/dh[t+5] = dl[t+5]/dh[t+5]"), T_max=2)


def test_no_limit_checks_in_this_process_with_the_same_verdicts():
    here = check("elman", _claims(RECURSIVE, CLOSED), time_limit=None, budget=0).claims
    child = check("elman", _claims(RECURSIVE, CLOSED), time_limit=60, budget=0).claims
    assert [(c.verdict, c.scope, c.Ts) for c in here] == \
        [(c.verdict, c.scope, c.Ts) for c in child]


@pytest.mark.parametrize("limit", [0, -1, float("nan"), 1e7])
def test_a_time_limit_out_of_range_is_refused(limit):
    with pytest.raises(SymbpttError, match="--time-limit"):
        check("elman", _claims(SIMPLE), time_limit=limit)


def _check_simple(_):
    (r,) = check("elman", _claims(SIMPLE), T_max=2, time_limit=60).claims,
    return r[0].verdict


def test_a_multiprocessing_pool_worker_can_check():
    """A Pool's workers are daemonic: they may not start a multiprocessing.Process, so the
    child is forked directly."""
    import multiprocessing
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.map(_check_simple, [0]) == ["correct"]


def test_the_api_takes_the_same_time_limit():
    import inspect

    import symbptt
    assert inspect.signature(symbptt.check).parameters["time_limit"].default == \
        runner.CLAIM_LIMIT
    (r,) = symbptt.check("elman", [SIMPLE], T_max=2, time_limit=None)
    assert r.claims[0].correct


def test_a_child_dies_with_its_parent(tmp_path):
    """A parent killed outright (SIGKILL: no finally runs) takes its child with it: an
    orphan would go on computing for nobody."""
    import signal
    import subprocess
    import sys
    code = ("import time, sys\n"
            "from symbptt.check.runner import _Child\n"
            "child = _Child(lambda conn: time.sleep(600))\n"
            "print(child.pid, flush=True)\n"
            "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(proc.stdout.readline())
        os.kill(pid, 0)                                 # the child is there
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    for _ in range(500):
        if not _running(pid):
            return
        time.sleep(0.01)
    pytest.fail(f"the child {pid} outlived its parent")


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for whoever reaps it)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return False
