"""Claims checked under a time limit: each in a child process, never a hang.

What an exact check costs depends on the claim far more than on the model (a recursion
written with the model's own quantities: a second; a claim the floats cannot tell from the
truth at a ReLU cell, or one that divides by a state: minutes, gigabytes). So the claims
of a check run in a forked child, which tells the parent its verdict as it stands before
each step that may take long (check_claim's `tell`). A claim still running at its limit is
stopped, and reported with that verdict and what was left undone: "undecided: the exact
check at T = 4 was stopped after 180 s" says exactly what is proven (the T before it).
A child that dies (a C++ allocation failure aborts the process; the memory budget of
limits.py) is reported the same way. The child goes on with the next claim; a stopped one
is replaced by a new child (forked from the parent, so it starts from what the parent holds).

Past what a proof needs (exact checks that only confirm an induction) a claim gets
CONFIRM_LIMIT more seconds, not its whole limit: the verdict is already proven there.
"""
from __future__ import annotations

import faulthandler
import multiprocessing as mp
import os
import pickle
import signal
import time
from dataclasses import replace

from ..errors import SymbpttError
from .outcome import ClaimInput, ClaimReport

CLAIM_LIMIT = 180.0          # seconds one claim may take (check --time-limit)
CONFIRM_LIMIT = 15.0         # seconds for what only confirms a proven verdict


def run_claims(claims: list[ClaimInput], check_one, limit: float | None = CLAIM_LIMIT,
               report_errors: bool = False) -> tuple[ClaimReport, ...]:
    """Each claim's report, in order, from check_one(claim, tell) (verdict.check_claim
    with its model). `limit` None: in this process, with no limit. A claim that raises
    (bad input) stops the lot with its error, or, with `report_errors`, is reported
    undecided with the error as what stopped it (derive's own formulas)."""
    if limit is None:
        return tuple(check_one(ci, quiet) for ci in claims)
    reports: list[ClaimReport] = []
    while len(reports) < len(claims):
        reports += _in_child(claims[len(reports):], check_one, limit, report_errors)
    return tuple(reports)


def quiet(report: ClaimReport, doing: str = "", confirming: bool = False) -> None:
    """No one listening."""


class _Child:
    """A forked child (os.fork, not multiprocessing.Process: a daemonic caller, such as
    a multiprocessing.Pool worker, may not start a Process, but may fork)."""

    def __init__(self, work, *args) -> None:
        self.conn, theirs = mp.Pipe(duplex=False)
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:                   # the child: work, then leave at once
            try:
                _die_with_parent(parent)
                self.conn.close()
                work(*args, theirs)
            finally:
                os._exit(0)
        theirs.close()
        self.code: int | None = None

    def wait(self, seconds: float | None = None) -> int | None:
        """The exit code (-signal when killed), once the child has ended."""
        end = None if seconds is None else time.perf_counter() + seconds
        while self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG if end is not None else 0)
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
            elif time.perf_counter() > end:
                break
            else:
                time.sleep(0.01)
        return self.code

    def stop(self) -> None:
        if self.code is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait()
        self.conn.close()


def _die_with_parent(parent: int) -> None:
    """Linux: the child is killed when its parent dies (a parent killed with SIGKILL
    cannot stop it, and an orphan would go on computing for nobody)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)               # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:                      # it died before prctl took hold
        os._exit(1)


def _in_child(claims: list[ClaimInput], check_one, limit: float,
              report_errors: bool) -> list[ClaimReport]:
    """The reports of the claims one child finished, then of the one it was stopped on."""
    child = _Child(_child, claims, check_one, report_errors)
    out: list[ClaimReport] = []
    try:
        for ci in claims:
            report, going = _one(child, ci, limit)
            out.append(report)
            if not going:
                break
    finally:
        child.stop()
    return out


def _one(child: _Child, ci: ClaimInput, limit: float) -> tuple[ClaimReport, bool]:
    """One claim's report from the child (its final one, or the last it told, stopped),
    and whether the child goes on."""
    start = time.perf_counter()
    deadline = start + limit
    last: tuple | None = None               # (report, doing, confirming)
    conn = child.conn
    while True:
        wait = deadline - time.perf_counter()
        if wait <= 0 or not conn.poll(wait):
            why = (f"was left after {CONFIRM_LIMIT:g} s: the verdict does not need it"
                   if last is not None and last[2] else
                   f"was stopped after {limit:g} s (--time-limit SECONDS allows more)")
            return _stopped(ci, last, start, why), False
        try:
            kind, *body = conn.recv()
        except (EOFError, OSError):
            return _stopped(ci, last, start, _death(child.wait(5))), False
        if kind == "done":
            return body[0], True
        if kind == "error":
            raise body[0]
        if kind == "failed":
            return _stopped(ci, last, start, body[0]), True
        if kind == "memory":
            return _stopped(ci, last, start, "grew past the memory budget and was stopped "
                            "(--memory GIB allows more)"), False
        last = tuple(body)
        if last[2]:                         # past what the proof needs
            deadline = min(deadline, time.perf_counter() + CONFIRM_LIMIT)


def _death(code: int | None) -> str:
    if code == -signal.SIGABRT:
        return "ran out of memory (the C++ algebra could not allocate, and aborted)"
    if code == -signal.SIGKILL:
        return "was killed (out of memory?)"
    return f"ended its process (exit {code})"


def _stopped(ci: ClaimInput, last: tuple | None, start: float, why: str) -> ClaimReport:
    """The verdict as the child last told it, with what was left undone."""
    seconds = time.perf_counter() - start
    if last is None:
        return ClaimReport(ci, ci.claim, tuple(ci.where), "undecided", (),
                           stopped=f"reading the claim {why}", seconds=seconds)
    report, doing, _ = last
    return replace(report, stopped=f"{doing} {why}", seconds=seconds)


def _child(claims: list[ClaimInput], check_one, report_errors: bool, conn) -> None:
    """In the child: each claim in turn, telling the parent as it goes."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    faulthandler.disable()
    # the child speaks through the pipe only: a C++ abort's "terminate called after
    # throwing std::bad_alloc" becomes the parent's one-line reason
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)

    def tell(report: ClaimReport, doing: str = "", confirming: bool = False) -> None:
        conn.send(("tell", report, doing, confirming))
    try:
        for ci in claims:
            try:
                conn.send(("done", check_one(ci, tell)))
            except SymbpttError as e:
                if not report_errors:
                    raise
                conn.send(("failed", f"failed: {e}"))
    except MemoryError:
        conn.send(("memory",))
    except Exception as e:                  # bad input, or a bug: the parent raises it
        try:
            pickle.loads(pickle.dumps(e))
        except Exception:
            e = (SymbpttError if isinstance(e, SymbpttError) else RuntimeError)(
                f"{type(e).__name__}: {e}")
        conn.send(("error", e))
    finally:
        conn.close()
