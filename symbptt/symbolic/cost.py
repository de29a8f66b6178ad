"""A rough estimate of what an unrolled proof costs, to refuse what would hang the machine.

The expanded gradient is a sum over paths, so its size grows geometrically in T with a
rate that grows with n; for scalar models it grows like a power of T. The constants were
measured with `symbptt prove` on this project's 2-core machines; the estimate is meant to
be right within a factor of a few, enough to tell "a minute" from "a century".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import TooExpensive
from ..model.program import MAX_DEGREE, degree
from ..model.spec import Dims, ModelSpec

# seconds = base * entries * rate^T, rate = max(1.8, per_n * (n - 1) + offset)
GEOMETRIC = {
    ("elman", "tanh"): (5e-6, 1.0, 2.0),          # n = 3: T = 8 in 11 s
    ("elman", "sigmoid"): (8e-6, 1.0, 2.0),
    ("elman", "identity"): (3.7e-6, 5.0, 2.0),    # linear: no slope atom, the W's multiply out
    ("elman_softmax", None): (5.6e-5, 1.0, 2.0),
    ("residual", None): (3.6e-6, 2.0, 2.0),
    ("linear_half_square", None): (1.85e-6, 5.0, 2.0),
    ("d2l_linear", None): (8.4e-6, 7.0, 3.0),
    # gated cells, n = 2, d = 3: T = 2 in 0.4 s; T = 3 in 72 s (gru), 85 s (gru_torch), 22 s (lstm)
    ("gru", None): (4.8e-7, 100.0, 50.0),
    ("gru_torch", None): (5.5e-7, 100.0, 60.0),
    ("lstm", None): (3.1e-6, 30.0, 20.0),
    # attention, n = 2, d = 3, q = 2: T = 2 in 1.9 s, T = 3 in 14 s
    ("attention", None): (6.2e-4, 4.0, 3.5),
}
# seconds = base * T^power, for the scalar models
POLYNOMIAL = {"scalar_linear": (7.9e-6, 3.6), "generic": (0.022, 2.0)}
DEFAULT_BUDGET = 600.0
GiB = 2 ** 30
DEFAULT_MEMORY = 4 * GiB

# memory: what the work adds to what the process holds (the budget is of that, as
# limits.py enforces it). An expanded
# term of the direct gradient costs about 700 bytes with the other two forms beside it
# (lstm-like and mgu model files at T = 3: 350-420 peak; issue 18's coupled states past
# 2 GB at 3.2 million terms); for a fitted time, about 4 MB a second of expansion (gru at
# T = 3: 2.3, an lstm model file: 11)
BYTES_PER_TERM = 700
BYTES_PER_SECOND = 4 * 2 ** 20
# seconds a term of the probed expansion costs the whole certificate (three forms
# expanded and compared), growing with the size (hash tables, caches): term^1.35.
# Measured: an lstm-like model file at T = 3 (184,000 terms) 7 s, mgu (391,000) 17.6 s,
# two coupled states at T = 2 (13,700) 0.94 s and at T = 3 (3.2 million) 1240 s, 2.1 GB
SECONDS_PER_TERM = 5e-5
TERMS_SCALE = 1e5


@dataclass(frozen=True)
class Budget:
    """What a request may cost: seconds and bytes (--budget, --memory)."""
    seconds: float = DEFAULT_BUDGET
    bytes: int = DEFAULT_MEMORY

    @staticmethod
    def of(seconds: float | None = None, memory: float | None = None) -> "Budget":
        """From the options: seconds, and memory in GiB (None: the default)."""
        return Budget(DEFAULT_BUDGET if seconds is None else seconds,
                      DEFAULT_MEMORY if memory is None else int(memory * GiB))


@dataclass(frozen=True)
class Estimate:
    """What the cost model expects a request to take."""
    seconds: float
    bytes: float

    @staticmethod
    def of_seconds(seconds: float) -> "Estimate":
        """A fitted time, its memory from the expansion rate."""
        return Estimate(seconds, min(seconds, 1e300 / BYTES_PER_SECOND) * BYTES_PER_SECOND)

    @staticmethod
    def of_terms(terms: float) -> "Estimate":
        """An expansion of `terms` terms (probe.py)."""
        terms = min(terms, 1e200)
        slower = max(1.0, terms / TERMS_SCALE) ** 0.35
        return Estimate(terms * SECONDS_PER_TERM * slower, terms * BYTES_PER_TERM)

    def over(self, budget: Budget) -> str:
        """What of the budget this estimate passes, said; empty when it fits."""
        parts = []
        if self.seconds > budget.seconds:
            parts.append(f"{about(self.seconds)} (budget {describe(budget.seconds)}, "
                         f"--budget SECONDS)")
        if self.bytes > budget.bytes:
            parts.append(f"about {describe_bytes(self.bytes)} of memory (budget "
                         f"{describe_bytes(budget.bytes)}, --memory GIB)")
        return " and ".join(parts)


def require(est: Estimate, budget: Budget, what: str, instead: str = "") -> Estimate:
    """The estimate, or TooExpensive naming what passes the budget, the options that move
    it and `instead` (a cheaper request)."""
    over = est.over(budget)
    if over:
        raise TooExpensive(f"{what} would take {over}; "
                           f"{instead + ', ' if instead else ''}raise the budget, or --force")
    return est


def describe_bytes(n: float) -> str:
    if n >= 2 ** 80:
        return "more than a million EiB"
    for unit, size in (("EiB", 2 ** 60), ("TiB", 2 ** 40), ("GiB", GiB), ("MiB", 2 ** 20)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n / 1024:.3g} KiB"


def entry_count(spec: ModelSpec, T: int, dims: Dims) -> int:
    params = sum(math.prod(dims.shape(p.shape)) for p in spec.params)
    return params + T * math.prod(dims.shape(spec.input_shape))


def estimate_seconds(spec: ModelSpec, T: int, dims: Dims, activation: str | None = None) -> float:
    """The seconds of an unrolled proof at T (proof_estimate's time)."""
    return proof_estimate(spec, T, dims, activation).seconds


def proof_estimate(spec: ModelSpec, T: int, dims: Dims,
                   activation: str | None = None) -> Estimate:
    """What an unrolled proof at T costs: a zoo model's fitted time; a model file's
    expansion measured at small T and carried on (probe.py)."""
    if spec.name in POLYNOMIAL:
        base, power = POLYNOMIAL[spec.name]
        return Estimate.of_seconds(base * T ** power)
    if spec.program is not None:               # a user cell: its expansion, measured
        if degree(spec.program, T) > MAX_DEGREE:
            return Estimate(math.exp(700.0), math.exp(700.0))  # it never ends
        from .probe import curve
        acc = 1.7 if _gates(spec.program) else 0.85
        return Estimate.of_terms(curve(spec, dims, activation, T, acc).at(T, acc))
    key = (spec.name, activation or "tanh") if spec.option("activation") else \
        (spec.name, None)
    base, per_n, offset = GEOMETRIC[key]
    rate = max(1.8, per_n * (dims.n - 1) + offset)
    log_est = math.log(base * entry_count(spec, T, dims)) + T * math.log(rate)
    return Estimate.of_seconds(math.exp(min(log_est, 700.0)))


# ---- the inductive certificate: one step's rules at the sizes, whatever T -----------------
#
# seconds = a * k^p, k the largest size: measured at k = n = d (= q) = 2..16 on this
# project's machines (attention: 1.7 s at k = 4, 142 s at 8; gru 1.6-3.7 s at 12, lstm
# 3-7 s at 16). A model file: about 2.5e-4 s per operation at k^2.2 (an lstm-like,
# mgu, elman2, softmax and two coupled states model files at k = 16: 1.8-7 s).
INDUCTIVE_FIT = {"attention": (2.5e-4, 6.4), "gru": (1.5e-3, 2.96),
                 "gru_torch": (1.5e-3, 2.96), "lstm": (0.012, 2.15)}
INDUCTIVE_DEFAULT = (2e-3, 2.5)


def inductive_estimate(spec: ModelSpec, dims: Dims) -> Estimate:
    k = max([dims.size(d) for d in spec.dims_used] or [1])
    if spec.program is not None:
        a, p = 2.5e-4 * len(spec.program.ops), 2.2
    else:
        a, p = INDUCTIVE_FIT.get(spec.name, INDUCTIVE_DEFAULT)
    return Estimate.of_seconds(a * k ** p)


def _gates(program) -> int:
    """Products of two things that both read the previous state (outside any
    activation): each step multiplies the paths through it, so the growth grows."""
    reads_state: set = set()
    for i in program.step:
        op = program.ops[i]
        if op.kind == "prev" or any(a in reads_state for a in op.args):
            reads_state.add(i)
    return sum(program.ops[i].kind == "mul" and all(a in reads_state for a in
                                                      program.ops[i].args)
               for i in program.step)


def about(seconds: float) -> str:
    """'about 3 min', or 'over a million years' (never 'about over')."""
    text = describe(seconds)
    return text if text.startswith("over") else f"about {text}"


def describe(seconds: float) -> str:
    if seconds >= 3.15e7 * 1e6:
        return "over a million years"
    for unit, size in (("years", 3.15e7), ("days", 86400.0), ("hours", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


# ---- check: the exact checks at T = 1..K ----------------------------------------------------
#
# What `check` costs at one T is the exact zero test of a claim that shares none of the
# model's structure (a closed form, a recursion not yet shown to be a quantity): every
# adjoint written out, the states expanded (check.reference_check, timed by `symbptt bench
# --part check`). seconds = s1 * r^(T-1) * acc^((T-1)(T-2)/2): s1 the cost at T = 1, r the
# growth from T = 1 to 2, acc how fast the growth itself grows (a gate multiplying the
# state: each step multiplies the number of paths through it). Fitted to the reference's
# times at n = 3, d = 2, q = 4 (T = 1..6, or as far as 100 s) on this project's 2-core
# machines; within 1.6x of every measured time. A gate's growth grows too (jerk: the
# growth of acc, a fourth constant): gru, lstm and mgu take 1 s at T = 3, 90-100 s at T = 4.
CHECK_FIT = {
    "scalar_linear": (0.010, 1.05, 1.0),
    "linear_half_square": (0.0093, 1.27, 1.03),
    "d2l_linear": (0.013, 1.52, 1.17),
    ("elman", "tanh"): (0.0083, 1.95, 1.09),
    ("elman", "sigmoid"): (0.0083, 1.95, 1.09),
    ("elman", "identity"): (0.013, 1.52, 1.17),
    "elman_softmax": (0.024, 2.11, 1.34),
    "generic": (0.031, 1.26, 1.0),
    "residual": (0.012, 1.38, 1.17),
    "gru": (0.022, 3.76, 2.65, 4.55),         # T = 3: 0.8 s, T = 4: 99 s
    "gru_torch": (0.025, 4.06, 6.56, 4.55),   # T = 3: 2.7 s, T = 4: past 300 s
    "lstm": (0.025, 4.96, 2.08, 3.73),        # T = 3: 1.3 s, T = 4: 103 s
    "attention": (0.023, 14.6, 1.0),          # T = 3: 4.8 s
}
CHECK_REFERENCE = Dims(n=3, d=2, q=4)


def check_seconds(spec: ModelSpec, T: int, dims: Dims, activation: str | None = None) -> float:
    """The estimated seconds of check's exact test at one T for the costliest common
    claim (see CHECK_FIT); a model file's constants come from its cell's structure
    (check_growth). Other sizes: scaled by the number of gradient entries and, per step,
    by n / 3 (each step's Jacobian is n x n)."""
    if spec.program is not None:
        if degree(spec.program, T) > MAX_DEGREE:
            return math.exp(700.0)             # it multiplies out past any budget
        s1, r, acc, jerk = (*check_growth(spec.program), 1.0)[:4]
    else:
        key = (spec.name, activation or "tanh") if spec.option("activation") else spec.name
        s1, r, acc, jerk = (*CHECK_FIT[key], 1.0)[:4]
    log_s = (math.log(s1) + (T - 1) * math.log(r) + (T - 1) * (T - 2) / 2 * math.log(acc)
             + (T - 1) * (T - 2) * (T - 3) / 6 * math.log(jerk)
             + math.log(entry_count(spec, T, dims) / entry_count(spec, T, CHECK_REFERENCE)))
    if spec.dims_used and "n" in spec.dims_used:
        log_s += (T - 1) * math.log(max(dims.n, 1) / CHECK_REFERENCE.n)
    return math.exp(min(log_s, 700.0))


def check_growth(program) -> tuple:
    """(s1, r, acc) or, for a gate, (s1, r, acc, jerk) of a model file's cell, from its
    structure: the matmuls that carry the state from step to step (each adds paths), a
    gate (a product of two things that both read the state: the growth itself grows, as
    in a GRU), a softmax readout (a rational function: slower). Fitted to the example
    model files' measured times (within 1.6x of each at T = 1..6, or as far as 100 s)."""
    reads_state: set = set()
    for i in program.step:
        op = program.ops[i]
        if op.kind == "prev" or any(a in reads_state for a in op.args):
            reads_state.add(i)
    ops = [program.ops[i] for i in program.step]
    carried = sum(op.kind == "matmul" and any(a in reads_state for a in op.args) for op in ops)
    gates = sum(op.kind == "mul" and all(a in reads_state for a in op.args) for op in ops)
    softmax = any(op.kind == "call" and op.name == "softmax" for op in program.ops)
    s1 = 0.9e-3 * len(program.ops) * (1.5 if softmax else 1.0)
    if gates:
        return s1, 3.3, 2.86, 5.6
    if carried == 0:
        return s1, 1.29, 1.0
    return (s1, 2.0 + 0.43 * (carried - 1) + 0.85 * softmax,
            1.23 + 0.035 * (carried - 1) + 0.03 * softmax)
