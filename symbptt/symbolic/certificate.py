"""prove: the three forms equal entry by entry, exactly, at one T — the unrolled certificate."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from ..errors import TooExpensive
from ..model.program import MAX_DEGREE, degree
from ..model.spec import Dims, ModelSpec
from . import closed_form, direct, recursive
from .backend import BACKENDS, SYMENGINE, SYMPY, Backend
from .cells import Cell, cell_for
from .cost import Budget, Estimate, proof_estimate, require
from .relu import has_step
from .unroll import RECURRENT, Unrolled, path_group, unroll
from .zero import Counterexample, SlopeAtoms, SoftmaxAtoms, canonical, counterexample, equal

FORMS = ("recursive", "closed_form")
DERIVE = {"recursive": recursive.gradient, "closed_form": closed_form.gradient}


@dataclass(frozen=True)
class Failure:
    """An entry where a form is not the direct gradient, with a point that shows it."""
    entry: str
    form: str
    T: int
    counterexample: Counterexample


@dataclass(frozen=True)
class Group:
    """The entries of one parameter (or of the inputs x_1..x_T)."""
    name: str
    shape: tuple
    entries: int
    proven: int
    failures: tuple = ()


@dataclass(frozen=True)
class Certificate:
    kind: str
    model: str
    options: dict = field(hash=False)
    T: int = 0
    dims: dict = field(default_factory=dict, hash=False)
    groups: tuple = ()
    forms: tuple = FORMS
    method: str = ""
    seconds: float = 0.0
    cell: str = ""
    scope: str = ""          # what the claim covers beyond the lemma, said plainly

    @property
    def failures(self) -> tuple:
        return tuple(f for g in self.groups for f in g.failures)

    @property
    def proven(self) -> bool:
        """True only when every entry of every group passed the exact zero test."""
        return all(g.proven == g.entries for g in self.groups) and not self.failures

    @property
    def entries(self) -> int:
        return sum(g.entries for g in self.groups)

    @property
    def undecided(self) -> bool:
        """Not proven, yet no failing entry has a point where the forms differ (at every
        point tried the two values agree to 15 digits or more, or are both within 1e-15
        of 0): the exact test could not decide, nothing is wrong that it could show.
        Never counted as proven."""
        return bool(self.failures) and all(_agree(f.counterexample) for f in self.failures)


    @property
    def claim(self) -> str:
        if self.kind == "inductive":
            if self.proven:
                return ("for all T >= 1: every per-step rule equals the derivative of the cell "
                        f"({self.entries} identities, h_{{t-1}} opaque); by the chain rule on "
                        "the unrolled graph the recursive form is the gradient at every T, and "
                        "the closed form is the recursion unrolled (seed 003's lemma)"
                        + (f"; {self.scope}" if self.scope else ""))
            bad = sorted({f.form for f in self.failures})
            return (f"a per-step rule is wrong ({', '.join(bad)}: {len(self.failures)} of "
                    f"{self.entries} identities fail), so no T is proven by induction")
        what = " and the ".join(_form_name(f) for f in self.forms)
        if self.undecided:
            n = len({f.entry for f in self.failures})
            return (f"at T = {self.T}, undecided: the exact zero test could not show {n} of "
                    f"{self.entries} entries equal (a rational function the expansion does "
                    f"not cancel), and found no counterexample: at every point tried, "
                    f"{_agreements([f.counterexample for f in self.failures])}")
        if self.proven:
            return (f"at T = {self.T}, the {what} equal the direct gradient (diff of "
                    f"the unrolled loss) in all {self.entries} entries, exactly")
        per_form = []
        for form in self.forms:
            bad = len({f.entry for f in self.failures if f.form == form})
            per_form.append(f"the {_form_name(form)} differs from the direct gradient in "
                            f"{bad} of {self.entries} entries" if bad else
                            f"the {_form_name(form)} agrees")
        return f"at T = {self.T}, " + "; ".join(per_form)


AGREE_DIGITS = 15        # a relative agreement this close is no counterexample
NEAR_ZERO = Decimal("1e-15")   # nor two values both this close to 0 (the values are 100-bit
                               # evaluations: a true 0 comes out as +-1e-30 or so)


def _agree(cx: Counterexample) -> bool:
    """Both values at the point agree to 15 digits or more, or are both within 1e-15 of 0;
    exactly the two cases the claim then names (a floor max(1, |a|, |b|) would let 1.7e-28
    and 3.1e-73 "agree to 15 digits": they agree in none)."""
    return _agreement(cx) is not None


def _agreement(cx: Counterexample) -> tuple | None:
    """("digits", k): the values agree to k >= 15 significant digits (k = 20 when they
    print the same: every digit shown); ("zero", a, b): both within 1e-15 of 0, not
    agreeing to 15 digits; None: they differ (or there are no numbers)."""
    if not cx.point:
        return None
    try:                      # Decimal: the 20 printed digits exactly (a float keeps 17)
        a, b = Decimal(cx.expected), Decimal(cx.got)
    except (InvalidOperation, ValueError):
        return None
    if not (a.is_finite() and b.is_finite()):
        return None
    k = 20 if cx.expected == cx.got else min(_digits_in_common(a, b), 20)
    if k >= AGREE_DIGITS:
        return "digits", k
    if max(abs(a), abs(b)) <= NEAR_ZERO:
        return "zero", a, b
    return None


def _agreements(cxs: list) -> str:
    """What is true of the values at the points, said per kind: the fewest digits any
    pair agrees to, and the pairs that only agree by being both within 1e-15 of 0."""
    kinds = [_agreement(cx) for cx in cxs]
    digits = [k[1] for k in kinds if k and k[0] == "digits"]
    zeros = [k for k in kinds if k and k[0] == "zero"]
    of = f"of {len(kinds)} comparisons"
    parts = []
    if digits and min(digits) >= 20:
        parts.append(f"{len(digits)} {of} print the same 20 significant digits")
    elif digits:
        parts.append(f"{len(digits)} {of} agree to {min(digits)} significant digits or more")
    if zeros:
        _, a, b = max(zeros, key=lambda z: max(abs(z[1]), abs(z[2])))
        k = _digits_in_common(a, b)
        parts.append(f"{len(zeros)} {of} give two values both within 1e-15 of 0 (the largest "
                     f"pair: {float(a):.2g} and {float(b):.2g}, which agree in "
                     f"{f'{k} digits' if k > 0 else 'no digit'})")
    return " and ".join(parts)


def _digits_in_common(a: Decimal, b: Decimal) -> int:
    top = max(abs(a), abs(b))
    if a == b or top == 0:
        return 20
    return int((top / abs(a - b)).log10().to_integral_value(rounding=ROUND_FLOOR))


def _form_name(form: str) -> str:
    return {"recursive": "recursive form", "closed_form": "closed form"}.get(form, form)


def backend_for(cell: Cell) -> Backend:
    return SYMENGINE if "symengine" in cell.backends else SYMPY


def softmax_atoms(u: Unrolled) -> SoftmaxAtoms | None:
    """The softmax rows of the unrolled model (one per step), if its cell has any."""
    if u.cell.softmax is None:
        return None
    return SoftmaxAtoms([st.vals[u.cell.softmax] for st in u.steps])


def method_of(u: Unrolled, fast: SlopeAtoms | None, decided: int, total: int) -> str:
    if u.backend.name == "sympy":
        return ("sympy expand: equal canonical polynomials in the entries and the atoms "
                "(activations; undefined f, g, l and their derivatives)")
    first = str(u.losses[0])            # step 1 shows which atoms the model has
    atoms = (["tanh(a)"] if "tanh(" in first else []) + \
        ([f"the softmax probabilities of {u.cell.softmax} (sum 1)"] if u.cell.softmax else []) + \
        (["the ReLU slopes s = relu'(a) (s^2 = s; relu'(0) = 0)"]
         if any(has_step(loss) for loss in u.losses) else [])
    text = "symengine expand: equal canonical polynomials in the entries"
    text += f" and the atoms {', '.join(atoms)}" if atoms else ""
    if fast is not None and fast.atoms:
        text += (f"; each slope 1 - tanh(a)^2 one free atom (a normal form) in {decided} of "
                 f"{total} comparisons")
    return text


def check_budget(spec: ModelSpec, T: int, dims: Dims, budget: Budget | None, force: bool,
                 activation: str | None = None) -> Estimate:
    """The estimate of an unrolled proof at T, or TooExpensive past the budget (time or
    memory) unless `force`; a cell that multiplies out past MAX_DEGREE is refused first."""
    if spec.program is not None and not force:
        grown = degree(spec.program, T)
        if grown > MAX_DEGREE:
            raise TooExpensive(
                f"unrolled to T={T}, {spec.name} multiplies out to degree "
                f"{grown if grown < 10 ** 6 else 'over a million'} in its inputs (at most "
                f"{MAX_DEGREE}: the expansion would not end); try --kind inductive, a "
                f"smaller --T, or --force")
    est = proof_estimate(spec, T, dims, activation)
    if force:
        return est
    return require(est, budget or Budget(), f"an unrolled proof of {spec.name} at T={T}",
                   "try --kind inductive (every T, at a cost independent of T), a smaller "
                   "--T or sizes")


def prove(spec: ModelSpec, T: int, dims: Dims, activation: str | None = None,
          cell: Cell | None = None, backend: str | None = None,
          budget: Budget | None = None, force: bool = False,
          progress=None) -> Certificate:
    """Unroll at T, derive the three forms and compare every entry exactly (refused up
    front past the budget unless `force`: check_budget). `progress(done, total)` is
    called as the entries are compared."""
    if not force:
        check_budget(spec, T, dims, budget, force, activation)
    start = time.perf_counter()
    cell = cell or cell_for(spec, activation)
    be = BACKENDS[backend] if backend else backend_for(cell)
    u = unroll(spec, cell, T, dims, be, split=True)
    truth = direct.gradient(u)
    forms = {name: derive(u) for name, derive in DERIVE.items()}
    fast = SlopeAtoms(softmax_atoms(u)) if be.name == "symengine" else None
    decided_fast = 0
    groups = []
    names = [(p.name, dims.shape(p.shape)) for p in spec.params]
    names.append(("x", (T,) + dims.shape(spec.input_shape)))
    if cell.shortcut is not None:     # dL/dx_k = recurrent path + shortcut, each proven
        names += [(RECURRENT, names[-1][1]), (path_group(cell.shortcut), names[-1][1])]
    labelled = [(name, shape, [e.label for e in u.entries if e.param == name])
                 for name, shape in names]
    total, done = sum(len(labels) for *_, labels in labelled), 0
    for name, shape, labels in labelled:
        failures = []
        proven = 0
        for label in labels:
            if progress is not None:
                progress(done, total)
            done += 1
            ok = True
            expected = None
            for form, grads in forms.items():
                if fast is not None:       # a normal form: its "not equal" is final
                    same = fast.equal(truth[label], grads[label])
                    decided_fast += same
                else:
                    expected = canonical(be, truth[label]) if expected is None else expected
                    same = equal(be, expected, canonical(be, grads[label]))
                if not same:
                    ok = False
                    failures.append(Failure(label, form, T, counterexample(
                        be, truth[label], grads[label], u.symbols, u.tied)))
            proven += ok
        groups.append(Group(name, shape, len(labels), proven, tuple(failures)))
    options = {"activation": activation or "tanh"} if spec.option("activation") else {}
    return Certificate("unrolled", spec.name, options, T, dims.as_dict(spec.dims_used),
                       tuple(groups), FORMS,
                       method_of(u, fast, decided_fast, len(forms) * len(u.entries)),
                       time.perf_counter() - start,
                       cell.name)

