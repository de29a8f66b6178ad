"""The symbolic gradients as NumPy callables, built once per (model, activation, T, dims)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache, reduce
from typing import Any, Callable

import numpy as np
import symengine as se
import sympy as sp

from ..model.spec import Dims, ModelSpec
from . import closed_form, direct, recursive, relu
from .backend import SYMENGINE
from .cells import cell_for
from .unroll import unroll
from .zero import index_logit, peel_logits

FORMS = ("direct", "recursive", "closed_form")
ROWMAX = "rowmax"          # the largest logit of a softmax row, elementwise over a batch
NUMPY = [{"sigmoid": lambda a: 0.5 * (1.0 + np.tanh(0.5 * a)),
          ROWMAX: lambda *xs: reduce(np.maximum, xs),
          relu.NAME: lambda a: np.greater(a, 0.0) * 1.0},       # relu'(0) = 0
         "numpy"]


@dataclass(frozen=True)
class Compiled:
    """Callables of (params, X, Y) for the loss and each form's gradient entries."""
    model: str
    T: int
    dims: Dims
    scalar_input: bool = False
    scalar_target: bool = False
    entries: tuple = ()                  # Entry per gradient component, in order
    args: tuple = ()                     # the symbols, in the order the callables take them
    loss: Callable = None
    forms: dict = field(default_factory=dict, hash=False)   # form -> callable -> list


@lru_cache(maxsize=32)
def compile_model(spec: ModelSpec, activation: str | None, T: int, dims: Dims) -> Compiled:
    """sympy.lambdify of the loss and of every form's gradient.

    The forms are built and differentiated in SymEngine, whose C++ cse finds the shared
    intermediates (h_t, delta_t, the path products) in milliseconds; SymPy's lambdify then
    prints that straight-line program, given as its `cse`. Lambdifying the substituted
    expressions with SymPy's own cse takes seconds to minutes, growing with T.
    """
    # symbols named as plain identifiers ("W[0,1]" is none), so lambdify need not rename
    # them: renaming rebuilds every shared subexpression of the DAG once per use
    be = replace(SYMENGINE, symbol=lambda name: se.Symbol(identifier(name)))
    u = unroll(spec, cell_for(spec, activation), T, dims, be)
    args = tuple(_to_sympy(a) for a in u.symbols)
    grads = {"direct": direct.gradient(u), "recursive": recursive.gradient(u),
             "closed_form": closed_form.gradient(u)}
    fns = {form: _program(args, [g[e.label] for e in u.entries]) for form, g in grads.items()}
    return Compiled(spec.name, T, dims, not spec.input_shape, not spec.target_shape,
                    tuple(u.entries), tuple(u.symbols),
                    _program(args, [u.loss]), fns)


def identifier(name: str) -> str:
    """ "W[0,1]" -> "W__0_1": a Python identifier, one to one on the zoo's names."""
    return name.replace("[", "__").replace(",", "_").replace("]", "")


def _to_sympy(e: Any) -> Any:
    return sp.Integer(e) if isinstance(e, int) else e._sympy_()


def _program(args: tuple, exprs: list) -> Callable:
    exprs = stable([se.S(0) + e for e in exprs])
    replacements, reduced = se.cse(exprs)
    program = ([(_to_sympy(a), _to_sympy(b)) for a, b in replacements],
               [_to_sympy(e) for e in reduced])
    return sp.lambdify(args, program[1], modules=NUMPY, cse=lambda _: program, dummify=False)


def _arguments(c: Compiled, params: dict, X: np.ndarray, Y: np.ndarray | None) -> list:
    """Each symbol's value: a scalar for a parameter entry, a (B,) array for data."""
    values = {}
    for name, arr in params.items():
        arr = np.asarray(arr)
        for index in np.ndindex(arr.shape):
            values[identifier(_label(name, index))] = arr[index]
    B, T, d = X.shape
    scalar_input = c.scalar_input
    for t in range(1, T + 1):
        for i in range(d):
            values[identifier(f"x_{t}" if scalar_input else f"x_{t}[{i}]")] = X[:, t - 1, i]
    if Y is not None:
        scalar_target = c.scalar_target
        for t in range(1, T + 1):
            for k in range(Y.shape[2]):
                values[identifier(f"y_{t}" if scalar_target else f"y_{t}[{k}]")] = Y[:, t - 1, k]
    return [values[str(s)] for s in c.args]


def _label(name: str, index: tuple) -> str:
    return name if not index else f"{name}[{','.join(map(str, index))}]"


def gradients(c: Compiled, form: str, params: dict, X: np.ndarray,
              Y: np.ndarray | None) -> tuple[dict, np.ndarray]:
    """(dL/dp for every parameter, summed over the batch; dL/dx, shape (B, T, d))."""
    B = X.shape[0]
    out = c.forms[form](*_arguments(c, params, X, Y))
    grads = {name: np.zeros(np.shape(v)) for name, v in params.items()}
    gx = np.zeros(X.shape)
    for e, value in zip(c.entries, out):
        per_example = np.broadcast_to(np.asarray(value, dtype=float), (B,))
        if e.param == "x":
            t, i = (e.index[0], e.index[1]) if len(e.index) > 1 else (e.index[0], 0)
            gx[:, t - 1, i] = per_example
        else:
            grads[e.param][e.index] = per_example.sum()
    return grads, gx


def loss(c: Compiled, params: dict, X: np.ndarray, Y: np.ndarray | None) -> float:
    value = c.loss(*_arguments(c, params, X, Y))[0]
    return float(np.sum(np.broadcast_to(np.asarray(value, dtype=float), (X.shape[0],))))



# ---- a stable softmax in every numeric form ------------------------------------------

def stable(exprs: list) -> list:
    """The same functions, written so that float64 evaluates their softmaxes as the
    engine does (shifted by the largest logit), not as written.

    A differentiated softmax holds exp(e_k), sums Z = sum_k exp(e_k), their powers and
    products (Z^-2 exp(e_j + e_k), Z / exp(e_k)) and log Z. Evaluated as written these
    leave float64's range long before the probabilities do (exp(e)^2 overflows past 354,
    exp(e) past 709, and a product of an underflowed term with a huge one is 0, inf or
    NaN where the true value is a probability): crosscheck's reference was off by 34 in
    290 at logits of +-300. So each softmax row r (found as a sum of two or more exps:
    the zoo's softmaxes and a model file's alike) gets its largest logit m_r =
    rowmax(e_r1, ..., e_rK), evaluated numerically, and every exp(arg) with arg a sum
    of the rows' logits, sum c_rk e_rk, is written exp(arg - sum_r d_r m_r) prod_r
    M_r^d_r, with d_r = sum_k c_rk and M_r = exp(m_r): an identity. The factors M_r^d are
    carried through symbolically (a product adds degrees, a power multiplies them,
    log(M^d u) = d m_r + log u since M > 0, a sum whose terms share a degree keeps it);
    a softmax is homogeneous of degree 0 in its row's exps, so in a softmax-derived
    expression they cancel and exp(m_r) is never evaluated. Where terms of different
    degrees meet (none in the zoo), the factor is multiplied back in: exact, only as
    safe as the naive form. Nothing symbolic changes (the proofs never see this): these
    are the same exact formulas, evaluated as a log-sum-exp is.
    """
    rows = _softmax_rows(exprs)
    if not rows:
        return exprs
    st = _Stable(rows)
    return [st(e) for e in exprs]


def _is_exp(e: Any) -> bool:
    return isinstance(e, se.Pow) and e.args[0] == se.E


def _softmax_rows(exprs: list) -> list[tuple]:
    """The logits of every sum of two or more exps in the expressions (each row once)."""
    rows, seen, todo = {}, set(), list(exprs)
    while todo:
        e = todo.pop()
        if e in seen:
            continue
        seen.add(e)
        if isinstance(e, se.Add) and len(e.args) > 1 and all(_is_exp(a) for a in e.args):
            logits = tuple(a.args[1] for a in e.args)
            rows.setdefault(frozenset(logits), logits)
        todo.extend(e.args)
    return list(rows.values())


class _Stable:
    """The rewrite of `stable`, memoised over the expression DAG (shared subexpressions
    are rewritten once). value(e) is (e', deg) with e = e' prod_r M_r^deg_r."""

    def __init__(self, rows: list[tuple]) -> None:
        self.rows = rows
        self.logits: dict = {}     # (row, k) -> {monomial: coefficient}
        self.owners: dict = {}     # monomial -> the logits it occurs in (a bias: every row)
        for r, row in enumerate(rows):
            for k, e in enumerate(row):
                index_logit(self.logits, self.owners, (r, k), e)
        self.memo: dict = {}
        self.maxima: dict = {}

    def __call__(self, e: Any) -> Any:
        return self.plain(*self.value(e))

    def value(self, root: Any) -> tuple:
        """Post-order over the DAG without recursion (a form at large T is deep)."""
        todo = [root]
        while todo:
            e = todo[-1]
            if e in self.memo:
                todo.pop()
                continue
            missing = [a for a in self._children(e) if a not in self.memo]
            if missing:
                todo.extend(missing)
                continue
            todo.pop()
            self.memo[e] = self._visit(e)
        return self.memo[root]

    def _children(self, e: Any) -> tuple:
        if isinstance(e, se.log) and isinstance(e.args[0], se.Mul):
            return e.args[0].args                # log of a product: factor by factor
        return e.args

    def _visit(self, e: Any) -> tuple:
        if not e.args:
            return e, ()
        if _is_exp(e):
            arg = self.plain(*self.memo[e.args[1]])
            deg = self._degree(e.args[1])
            return se.exp(arg - self._shift(deg)), deg
        if isinstance(e, se.log):
            return self._log(e.args[0]), ()
        parts = [self.memo[a] for a in e.args]
        if isinstance(e, se.Mul):
            return _rebuild(e, [p for p, _ in parts]), _add_degrees(d for _, d in parts)
        if isinstance(e, se.Pow):
            (base, deg), (power, pdeg) = parts
            if deg and not pdeg and power.is_Number:
                # (M^d b)^n = M^(dn) b^n for M > 0
                return _rebuild(e, [base, power]), tuple((r, c * power) for r, c in deg)
            return _rebuild(e, [self.plain(*parts[0]), self.plain(*parts[1])]), ()
        if isinstance(e, se.Add):
            degrees = {d for _, d in parts}
            if len(degrees) == 1:
                return _rebuild(e, [p for p, _ in parts]), degrees.pop()
        return _rebuild(e, [self.plain(*p) for p in parts]), ()   # any other function

    def _log(self, u: Any) -> Any:
        """log u; the positive factors of a product apart: log(exp(a) v) = a + log v,
        log(M^d v) = d m + log v. So log softmax is a log-sum-exp, and a probability
        that underflows to 0 makes no log(0)."""
        factors = u.args if isinstance(u, se.Mul) else (u,)
        out, rest, degrees = [], [], []
        for f in factors:
            if _is_exp(f):
                out.append(self.plain(*self.memo[f.args[1]]))    # log(exp(a)) = a, a real
                continue
            value, d = self.memo[f]
            if d and _positive(f):                 # log(M^d v) = d m + log v, v > 0
                out += [self._shift(d), se.log(value)]
            else:                                  # the rest stays one log, its M^d apart
                rest.append(value)
                degrees.append(d)
        if rest:
            out += [self._shift(_add_degrees(degrees)), se.log(se.Mul(*rest))]
        return se.Add(*out)

    def plain(self, e: Any, deg: tuple) -> Any:
        """e prod_r M_r^deg_r, multiplied out: exact, only as safe as the naive form."""
        return e if not deg else e * se.exp(self._shift(deg))

    def _shift(self, deg: tuple) -> Any:
        return se.Add(*[c * self._max(r) for r, c in deg]) if deg else se.Integer(0)

    def _max(self, r: int) -> Any:
        if r not in self.maxima:
            self.maxima[r] = se.function_symbol(
                ROWMAX, *[self(e) for e in self.rows[r]])
        return self.maxima[r]

    def _degree(self, arg: Any) -> tuple:
        """The coefficient sum per row when arg is a sum of the rows' logits (peeled off one
        at a time, each found by a monomial only it has), else () (the exp left as it is)."""
        peeled = peel_logits(arg, self.logits, self.owners)
        if peeled is None:
            return ()
        return _add_degrees(((r, c),) for (r, _), c in peeled)


def _add_degrees(degrees) -> tuple:
    total: dict = {}
    for d in degrees:
        for r, c in d:
            total[r] = total.get(r, 0) + c
    return tuple(sorted((r, c) for r, c in total.items() if c != 0))


def _positive(e: Any) -> bool:
    """A sum of exps, or a power of one: positive for real arguments."""
    if isinstance(e, se.Pow) and e.args[1].is_Number:
        e = e.args[0]
    return isinstance(e, se.Add) and all(_is_exp(a) for a in e.args)


def _rebuild(e: Any, args: list) -> Any:
    return e if all(a is b or a == b for a, b in zip(args, e.args)) else e.func(*args)
