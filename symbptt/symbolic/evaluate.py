"""grad: the loss and the gradient in all three forms, exactly, at given values."""
from __future__ import annotations

import math

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

import symengine as se
import sympy as sp

from ..errors import SymbpttError
from ..model.spec import Dims, ModelSpec
from . import closed_form, direct, recursive
from .activations import sigmoid
from .backend import SYMPY, as_sympy, to_symengine
from .cells import cell_for
from .interval import NoInterval, enclose, excludes_zero
from .linalg import tree_entries
from .unroll import Unrolled, is_input, seq_label, unroll
from .zero import node_count

FORMS = ("direct", "recursive", "closed_form")


@dataclass(frozen=True)
class Value:
    """An exact value (a rational, or an expression in tanh/exp of rationals), a float
    (inf past the float range) and its decimal to 12 digits (any size: 5e+399)."""
    exact: str
    approx: float
    decimal: str = ""


@dataclass(frozen=True)
class GradReport:
    model: str
    T: int
    dims: dict = field(hash=False)
    options: dict = field(hash=False)
    loss: Value = None
    states: dict = field(default_factory=dict, hash=False)    # "h_t" -> [Value]
    grads: dict = field(default_factory=dict, hash=False)     # form -> name -> nested Values
    deltas: dict = field(default_factory=dict, hash=False)    # form -> "dL/dh_t" -> [Value]
    agree: bool = True
    mismatches: tuple = ()      # "form entry": proven different (and the undecided, marked)
    undecided: tuple = ()       # "form entry": neither shown equal nor shown different


def value(expr: Any) -> Value:
    """The exact value, and a float evaluated from it (by SymEngine's MPFR, 100 bits:
    SymPy's evalf re-evaluates every shared subexpression of a nested tanh)."""
    expr = as_sympy(expr)
    if expr.is_Rational:
        with localcontext() as ctx:
            ctx.prec = 30
            exact = Decimal(int(expr.p)) / Decimal(int(expr.q))
        return Value(str(expr), _float(exact), _decimal(exact))
    # order="none": the default printer sorts the terms of a sum by evaluating each one
    text = sp.sstr(expr, order="none")
    try:
        digits = str(to_symengine(expr.rewrite(sp.tanh) if expr.has(sigmoid) else expr)
                     .n(100, real=True))
    except (RuntimeError, TypeError, ValueError, AttributeError):
        digits = str(sp.N(expr, 30))
    try:
        exact = Decimal(digits)
    except ArithmeticError:
        return Value(text, float("nan"), "nan")
    return Value(text, _float(exact), _decimal(exact))


def _float(d: Decimal) -> float:
    return float(d)          # inf past the float range: the decimal says how far


def _decimal(d: Decimal) -> str:
    """12 significant digits, as a float prints them; past the float range, as a Decimal."""
    f = float(d)
    return f"{f:.12g}" if math.isfinite(f) and (f != 0 or d == 0) else f"{d.normalize():.12g}"


def _substitution(u: Unrolled, values: dict) -> dict:
    """symbol -> exact value, for every parameter, input and target symbol."""
    pairs = []
    for name, arr in u.params.items():
        pairs += zip(_flat(arr), _flat(_tuple(values["params"][name])))
    pairs += zip(_flat(u.xs), _flat(_tuple(values["inputs"])))
    if values.get("targets") is not None:
        pairs += zip(_flat(u.ys), _flat(_tuple(values["targets"])))
    sub = {sym: sp.Rational(v.numerator, v.denominator) for sym, v in pairs if sym.is_Symbol}
    sub.update({copy: sub[x] for copy, x in u.tied.items()})   # attention reads x itself
    return sub


def _tuple(a: Any) -> Any:
    """JSON lists as the nested tuples the unrolled symbols use (scalars stay scalars)."""
    return tuple(_tuple(x) for x in a) if isinstance(a, list) else a


def _flat(a: Any) -> list:
    return [v for _, v in tree_entries(a if isinstance(a, tuple) else (a,))]


def _nest(entries: list[tuple[tuple, Any]], shape: tuple[int, ...]) -> Any:
    table = dict(entries)
    if not shape:
        return table[()]
    if len(shape) == 1:
        return [table[(i,)] for i in range(shape[0])]
    return [[table[(i, j)] for j in range(shape[1])] for i in range(shape[0])]


EQUAL, DIFFERENT, UNDECIDED = "equal", "different", "undecided"
CANCEL_NODES = 5_000      # distinct subexpressions: past this, together may run for minutes


def compare(a: Any, b: Any) -> str:
    """Two exact values, compared exactly: EQUAL only with an exact reason (the same
    expression, an expansion to 0, or the numerator of the difference over a common
    denominator expanding to 0), DIFFERENT only when an interval enclosure of a - b
    excludes 0 (rigorous: outward rounding), else UNDECIDED. expand alone says "not 0"
    of equal forms with a division (u / v - w / v expands to two terms): the common
    denominator decides those."""
    if a == b:
        return EQUAL
    if _apart(a, b):
        return DIFFERENT
    diff = _generic(a - b)
    if diff == 0:
        return EQUAL
    if not _has_denominator(diff):
        return EQUAL if se.expand(to_symengine(diff)) == 0 else UNDECIDED
    if node_count(diff) <= CANCEL_NODES:
        # over one denominator (together: no expansion), the difference is 0 iff its
        # numerator expands to 0: the same as cancel's verdict, in SymEngine's time
        numerator, _ = sp.fraction(sp.together(diff))
        if se.expand(to_symengine(numerator)) == 0:
            return EQUAL
    return UNDECIDED


def _generic(diff: Any) -> Any:
    """Every function application (tanh, sigmoid, exp, log of a number) as a symbol of
    its own. An identity of rational functions in independent symbols holds at any values
    of them, so "0" stays a proof; and SymPy no longer orders the terms of a sum of
    constants by evaluating each one (most of expand's time on grad's values)."""
    atoms = diff.atoms(sp.Function)
    if not atoms:
        return diff
    return diff.xreplace({f: sp.Dummy("atom") for f in atoms})


def _has_denominator(expr: Any) -> bool:
    """A power with a negative exponent of something that is not a number."""
    return any(e.exp.is_negative and not e.base.is_Number for e in expr.atoms(sp.Pow))


def _apart(a: Any, b: Any) -> bool:
    """True when an interval enclosure of a - b (symbolic/interval.py: outward rounding,
    256 bits) excludes 0: a proof that they differ. The atoms of a grad value are tanh,
    sigmoid (as tanh), exp and log of rationals; anything else gives False."""
    diff = a - b
    if diff.has(sigmoid):                  # sigma(x) = (1 + tanh(x / 2)) / 2
        diff = diff.replace(sigmoid, lambda x: (1 + sp.tanh(x / 2)) / 2)
    try:
        return excludes_zero(enclose(to_symengine(diff), {}))
    except (NoInterval, ZeroDivisionError, ValueError, TypeError, RuntimeError):
        return False


def evaluate(spec: ModelSpec, T: int, values: dict, dims: Dims,
             activation: str | None = None) -> GradReport:
    """Exact loss, states, dL/dh_t and gradients (parameters and inputs) in all three forms."""
    if not spec.numeric:
        raise SymbpttError(f"{spec.name} has undefined functions (f, g, l): there is nothing "
                           f"to evaluate; use 'symbptt prove {spec.name}'")
    cell = cell_for(spec, activation)
    u = unroll(spec, cell, T, dims, SYMPY, split=True)
    sub = _substitution(u, values)
    at = lambda e: as_sympy(e).xreplace(sub)  # noqa: E731
    forms = {"direct": direct.gradient(u), "recursive": recursive.gradient(u),
             "closed_form": closed_form.gradient(u)}
    deltas = {"recursive": recursive.deltas(u), "closed_form": closed_form.deltas(u)}
    exact = {form: {label: at(g) for label, g in grads.items()} for form, grads in forms.items()}
    verdicts = {(form, label): compare(exact["direct"][label], exact[form][label])
                for form in FORMS[1:] for label in exact["direct"]}
    undecided = tuple(f"{form} {label}" for (form, label), v in verdicts.items()
                      if v == UNDECIDED)
    # an undecided entry is no agreement, and no proven mismatch: it says so
    mismatches = tuple(f"{form} {label}" + (" (undecided: not shown equal exactly, not "
                                             "shown different)" if v == UNDECIDED else "")
                       for (form, label), v in verdicts.items() if v != EQUAL)
    # seq_label keeps the names of the JSON and the documents: h_1, dL/dh_2
    states = {seq_label("h", st.t, ()): [value(at(v)) for v in st.s] for st in u.steps}
    report_grads = {}
    for form in FORMS:
        per = {}
        for p in spec.params:
            entries = [(e.index, value(exact[form][e.label]))
                       for e in u.param_entries if e.param == p.name]
            per[p.name] = _nest(entries, dims.shape(p.shape))
        for group in dict.fromkeys(e.param for e in u.entries if is_input(e.param)):
            per[group] = [_row(exact[form], u, t, group) for t in range(1, T + 1)]
        report_grads[form] = per
    report_deltas = {form: {f"dL/d{seq_label('h', t, ())}": [value(at(v)) for v in d]
                            for t, d in enumerate(ds, start=1)} for form, ds in deltas.items()}
    options = {"activation": activation or "tanh"} if spec.option("activation") else {}
    return GradReport(spec.name, T, dims.as_dict(spec.dims_used), options, value(at(u.loss)),
                      states, report_grads, report_deltas, not mismatches, mismatches,
                      undecided)


def _row(grads: dict, u: Unrolled, t: int, group: str = "x") -> Any:
    """dL/dx_t (group "x"), or its part along one path ("x:recurrent", "x:attention")."""
    entries = [e for e in u.entries if e.param == group and e.index[0] == t]
    vals = [value(grads[e.label]) for e in entries]
    return vals if u.spec.input_shape else vals[0]


def fraction(v: Value) -> Fraction:
    """The exact value as a Fraction (only for rational results)."""
    return Fraction(v.exact)

