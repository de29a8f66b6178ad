"""What symbptt check reports: a claim as a person writes it, and its verdict.

Plain data: a claim's input (ClaimInput), where it fails (Mismatch), the edits that make
it right (Fix), a claim's verdict with its scope (ClaimReport) and a model's claims
together (CheckReport). check/report.py turns them into text and JSON."""
from __future__ import annotations

from dataclasses import dataclass, field

from .induction import Induction


@dataclass(frozen=True)
class ClaimInput:
    """One claim as a person writes it, with what the report should carry along."""
    claim: str
    where: tuple[str, ...] = ()
    name: str = ""
    Ts: tuple[int, ...] = ()           # empty: 1..T_max
    convention: str = "column"
    source: str = ""
    quote: str = ""
    expect: str = ""                   # "correct" | "wrong" | "" (the seed audit's record)
    fix: str = ""                      # the edit the diagnosis should name (the gallery's)
    note: str = ""


@dataclass(frozen=True)
class Mismatch:
    """Where a claim fails: T, its free index, the entry, and a point that shows it."""
    T: int
    at: str                  # the left side at that index: "dL/dh[2]"
    entry: str               # "[0, 1]" ("" for a scalar)
    point: dict              # symbol -> "p/q"
    expected: str
    got: str


@dataclass(frozen=True)
class Fix:
    """A single edit that makes the claim right, and how far that was proven."""
    kind: str
    edit: str
    where: str
    formula: str             # the edited equation
    proven: bool             # exactly, at every T checked (else: at the float points only)


EVERY_T, UP_TO_K = "every T", "T <= K"


@dataclass(frozen=True)
class ClaimReport:
    input: ClaimInput
    formula: str
    where: tuple[str, ...]
    verdict: str             # "correct" | "wrong" | "undecided" (equal at every point
    #                          tried, but the exact test could not show it)
    Ts: tuple[int, ...]      # the T checked exactly
    shape_error: str = ""
    counterexample: Mismatch | None = None
    fixes: tuple[Fix, ...] = ()
    tried: int = 0           # single edits tried
    seconds: float = 0.0
    # what a correct verdict covers: EVERY_T (proven by induction over windows of steps,
    # check/induction.py), UP_TO_K (exactly at Ts, nothing claimed past them) or "T = ..." (the
    # claim's own list of T)
    scope: str = ""
    proof: Induction | None = None
    searched: int = 0        # no counterexample at Ts[-1] < T <= searched (numerically)
    search_note: str = ""    # why the search stopped
    found_by: str = ""       # "search" when the counterexample lies past the exact range
    first: bool = True       # every T in range below the counterexample's shown right exactly
    stopped: str = ""        # what was left undone, and why (check/runner.py: a time limit)

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"

    @property
    def as_expected(self) -> bool:
        """The verdict a claim file records for it (expect = "wrong" for a slip put in on
        purpose), or correct when it records none."""
        return self.verdict == self.input.expect if self.input.expect else self.correct


@dataclass(frozen=True)
class CheckReport:
    model: str
    options: dict = field(hash=False)
    dims: dict = field(hash=False)
    claims: tuple[ClaimReport, ...] = ()
    seconds: float = 0.0

    @property
    def correct(self) -> bool:
        return all(c.correct for c in self.claims)

    @property
    def as_expected(self) -> bool:
        return all(c.as_expected for c in self.claims)
