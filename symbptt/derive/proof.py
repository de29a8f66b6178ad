"""Every derived formula fed back to check, the tool's own prover.

A formula derive prints is a claim like any other: check must find it correct for every
T (by induction over windows of steps) where its shape allows, and exactly at T = 1..K
otherwise. A derived formula check does not find correct is a bug of derive: the
derivation says so (`correct` False) and the command exits 3; it is never printed as
correct.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..check.compare import ClaimModel
from ..check.outcome import ClaimInput
from ..check.runner import run_claims
from ..check.verdict import CHECK_DIMS, T_MAX, check_claim, within_budget
from ..formula.latex import latex
from ..model.registry import get_model
from ..model.spec import Dims, ModelSpec
from .codegen import CodegenError, numpy_code
from .derivation import ROLES, derive_cell
from .equations import cell_equations

SEARCH_BUDGET = 0.5          # seconds check may search past K for each formula


@dataclass(frozen=True)
class DerivedFormula:
    role: str                # recursion | base case | local loss | adjoint | gradient | ...
    text: str                # the formula language: what check reads back
    latex: str
    verdict: str             # correct | wrong | undecided
    scope: str               # "every T" | "T <= K" (with K in the derivation)
    T: tuple[int, ...]       # the T checked exactly
    seconds: float
    problem: str = ""        # what check found, when not correct


@dataclass(frozen=True)
class Derivation:
    model: str
    options: dict
    equations: tuple[str, ...]
    loss: str
    mean: bool
    formulas: tuple[DerivedFormula, ...]
    seconds: float
    numpy: str = ""          # bptt(P, X, Y) generated from the formulas ("" if not covered)
    numpy_problem: str = ""  # why there is no code

    @property
    def correct(self) -> bool:
        return all(f.verdict == "correct" for f in self.formulas)

    @property
    def wrong(self) -> bool:
        """A formula check finds wrong (or malformed): a bug of derive."""
        return any(f.verdict == "wrong" or (f.verdict != "correct" and "shape" in f.problem)
                   for f in self.formulas)

    def _repr_latex_(self) -> str:
        return derivation_latex(self, standalone=False)


def _problem(c) -> str:
    if c.shape_error:
        return c.shape_error
    ce = c.counterexample
    if ce is not None:
        return (f"at T = {ce.T}, {ce.at}{ce.entry}: expected {ce.expected}, the formula "
                f"gives {ce.got}")
    return c.stopped or c.search_note or ""


FORMULA_LIMIT = 30.0         # seconds one formula's check may take at a K before K - 1


def _checked(target: str, inputs: list, activation, dims: Dims, K: int) -> dict:
    """Each formula's (verdict, scope, T, seconds, problem) at K, checked in a child
    process (check/runner.py); None for one whose check was stopped at FORMULA_LIMIT
    before its verdict was proven."""
    spec = get_model(target)
    model = ClaimModel(spec, activation if spec.option("activation") else None, dims)
    reports = run_claims([ci for _, ci in inputs],
                         lambda ci, tell: check_claim(model, ci, K, SEARCH_BUDGET, tell),
                         FORMULA_LIMIT, report_errors=True)
    return {i: None if c.stopped and not c.correct and " failed: " not in c.stopped else
            (c.verdict, c.scope, c.Ts, c.seconds, "" if c.correct else _problem(c))
            for (i, _), c in zip(inputs, reports)}


def derive(spec: ModelSpec, activation: str | None = None, dims: Dims | None = None,
           T_max: int | None = None) -> Derivation:
    """The formulas of the model's cell, each with check's verdict. Each formula is
    checked exactly at T = 1..K (K = 4, or T_max); one whose check takes more than
    FORMULA_LIMIT seconds is checked again at K - 1, down to 2, and says so."""
    start = time.perf_counter()
    ce = cell_equations(spec)
    found = derive_cell(ce)
    target = spec.name if spec.program is None else (spec.source or spec.name)
    dims = dims or CHECK_DIMS
    if T_max is not None:
        within_budget(spec, T_max, dims, activation, False)
    opt = spec.option("activation")
    options = {"activation": activation or opt[1]} if opt else {}
    K = T_max or T_MAX
    inputs = [(i, ClaimInput(f.text, name=f.role)) for i, f in enumerate(found)]
    results: dict = {}
    while inputs:
        got = _checked(target, inputs, activation, dims, K)
        results.update({i: r for i, r in got.items() if r is not None})
        late = [(i, ci) for i, ci in inputs if got.get(i) is None]
        if not late:
            break
        if K <= 2:
            for i, _ in late:
                results[i] = ("undecided", "", (), FORMULA_LIMIT,
                              f"check took more than {FORMULA_LIMIT:g} s even at T = 1..2")
            break
        K -= 1
        inputs = late
    formulas = tuple(DerivedFormula(f.role, f.text, latex(f.equation), *results[i])
                     for i, f in enumerate(found))
    code, why = "", ""
    if all(f.verdict == "correct" for f in formulas):     # code only from proven formulas
        try:
            code = numpy_code(ce, found, activation or options.get("activation"))
        except CodegenError as e:
            why = str(e)
    else:
        why = "not every formula is proven"
    return Derivation(spec.name, options, tuple(e.text for e in ce.equations),
                      ce.loss.text, ce.mean, formulas, time.perf_counter() - start, code, why)


HEADINGS = {"recursion": "the recursion of each state (delta[t] = dL/dh[t])",
            "base case": "its base case, at T",
            "local loss": "the loss's own part",
            "adjoint": "the adjoint of each named quantity",
            "gradient": "the gradient of each parameter",
            "input": "the gradient of the input",
            "jacobian": "the Jacobian of one step",
            "closed form": "the closed form: a sum over paths of products of Jacobians",
            "forward": "forward mode: the state's derivative by each parameter, step by step"}


def grouped(d: Derivation) -> list[tuple[str, list[DerivedFormula]]]:
    return [(role, [f for f in d.formulas if f.role == role]) for role in ROLES
            if any(f.role == role for f in d.formulas)]


def reads_relu_prime(d: Derivation) -> bool:
    """Whether a formula of the derivation reads relu' (its convention at 0 is stated)."""
    return any("relu_prime(" in f.text for f in d.formulas)


def derivation_latex(d: Derivation, standalone: bool = True) -> str:
    """An align* block a role a group, each formula with its verdict as a tag; with
    `standalone`, a whole document that compiles on its own."""
    rows = []
    for role, fs in grouped(d):
        heading = HEADINGS[role].split(" (")[0].replace("at T", "at $T$").replace("delta[t]", "$\\delta_t$")
        rows.append("\\intertext{" + heading + "}")
        for f in fs:
            left, _, right = f.latex.partition(" = ")
            tag = "every $T$" if f.verdict == "correct" and f.scope == "every T" else \
                (f"$T \\le {f.T[-1]}$" if f.verdict == "correct" and f.T else "NOT PROVEN")
            rows.append(rf"{left} &= {right} && \text{{{tag}}} \\")
    body = "\\begin{align*}\n" + "\n".join(rows) + "\n\\end{align*}"
    if reads_relu_prime(d):
        body += ("\n\\noindent where $\\operatorname{relu}'(a) = \\mathbf{1}[a > 0]$ "
                 "elementwise, so $\\operatorname{relu}'(0) = 0$ (PyTorch's convention).\n")
    if not standalone:
        return body
    title = d.model.replace("_", r"\_")
    return ("\\documentclass[10pt]{article}\n\\usepackage{amsmath,amssymb}\n"
            "\\usepackage[margin=2cm,landscape]{geometry}\n\\begin{document}\n"
            f"\\section*{{The BPTT equations of {title}}}\n{body}\n\\end{{document}}\n")
