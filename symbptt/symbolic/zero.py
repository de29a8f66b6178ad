"""The exact zero test, and a counterexample point when it fails.

Every gradient here is a polynomial (a rational function for softmax) in the activation
atoms tanh(a_{t,i}) and relu slopes s = 1[a > 0] (s^2 = s, applied here), the parameters,
the inputs and the targets: the activations' own derivative rules keep it so. Two forms
are equal when their expansions are; expansion is exact algebra, so "equal" here is a
proof, never a sample.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import symengine as se
import sympy as sp

from .backend import Backend
from .linalg import any_node
from .relu import LeakyAtoms, has_step, idempotent, is_step


def canonical(be: Backend, expr: Any) -> Any:
    """The expanded (canonical) form of a form's entry."""
    return be.expand(expr)


class SlopeAtoms:
    """Expansion in the atoms tau = tanh(X) and s_X = 1 - tanh(X)^2, tau-degree at most 1.

    Every power tau^k (k >= 2) is rewritten tau^(k mod 2) (1 - s_X)^(k // 2), and a
    product of factors in one tau that expands to c (1 - tau^2) (the logistic slope
    sigma (1 - sigma) written from sigma = (1 + tanh(X/2)) / 2) becomes c s_X. Both are
    identities, so nothing is assumed. The result is a normal form: a polynomial A + tau B
    with s_X free equals another iff they agree at s_X = 1 - tau^2 (compare the parts even
    and odd in tau). Why bother: a slope is one atom instead of two terms, so an expanded
    product of T Jacobians has about n^T terms instead of (2n)^T — at T = 6, n = 3,
    sixty times fewer. One instance per proof: it remembers what it rewrote.
    """

    def __init__(self, softmax: SoftmaxAtoms | None = None) -> None:
        self.atoms: dict = {}
        self.memo: dict = {}
        self.softmax = softmax
        self.leaky = LeakyAtoms()        # a leaky ReLU's slope, one atom (symbolic/relu.py)

    def equal(self, a: Any, b: Any, cancel: bool = True) -> bool:
        """a == b, exactly. Most pairs are already equal after rewriting and expanding;
        only if not are the powers that expansion made reduced (the normal form), and then
        a softmax's sum_k alpha_k = 1 used; with `cancel`, last, SymPy's cancel of a small
        difference with a denominator."""
        if self.softmax is not None:
            a, b = self.softmax.rewrite(a), self.softmax.rewrite(b)
        ea, eb = se.expand(self.rewrite(a)), se.expand(self.rewrite(b))
        if ea == eb:
            return True
        diff = se.expand(self._reduce_powers(ea) - self._reduce_powers(eb))
        if diff == 0:
            return True
        if self.softmax is not None and self.softmax.sum_to_one(diff) == 0:
            return True
        if self.leaky.of:               # sigma = 1 + r s written out: s^2 = s decides
            diff = se.expand(idempotent(se.expand(diff.subs(self.leaky.back()))))
            if diff == 0:
                return True
        if not cancel:
            return False
        # the slope atoms back to 1 - tau^2 (an identity), for cancel to see through them
        back = {atom: 1 - tau ** 2 for tau, atom in self.atoms.items()}
        return _cancels(diff.subs(back) if back else diff)

    def atom(self, tau: Any) -> Any:
        found = self.atoms.get(tau)
        if found is None:
            found = self.atoms[tau] = se.Symbol(f"_slope{len(self.atoms)}")
        return found

    def rewrite(self, e: Any) -> Any:
        done = self.memo.get(e)
        if done is not None:
            return done
        out = e
        power = _exp_of_log(e)
        leaky = self.leaky.factor(e)
        if leaky is not None:
            out = leaky
        elif power is not None:
            out = self.rewrite(power[0]) ** power[1]
        elif isinstance(e, se.Pow) and isinstance(e.args[0], se.tanh) and _even_split(e.args[1]):
            k = int(e.args[1])
            out = e.args[0] ** (k % 2) * (1 - self.atom(e.args[0])) ** (k // 2)
        elif isinstance(e, se.Mul):
            out = se.Mul(*self._slopes_in_product([self.rewrite(a) for a in e.args]))
        elif isinstance(e, (se.Add, se.Pow)):
            out = e.func(*[self.rewrite(a) for a in e.args])
        self.memo[e] = out
        return out

    def _slopes_in_product(self, factors: list) -> list:
        """Factors in a single tau whose product expands to c (1 - tau^2) become c s."""
        groups: dict = {}
        rest = []
        for f in factors:
            tau = _tanh_poly(f)
            if tau is None or f == tau:
                rest.append(f)
            else:
                groups.setdefault(tau, []).append(f)
        for tau, fs in groups.items():
            poly = se.expand(se.Mul(*fs))
            c = _slope_coefficient(poly, tau)
            rest.extend([c * self.atom(tau)] if c is not None else fs)
        return rest

    def _reduce_powers(self, poly: Any) -> Any:
        if isinstance(poly, se.Pow) and isinstance(poly.args[0], se.tanh) \
                and _even_split(poly.args[1]):
            return self.rewrite(poly)
        if isinstance(poly, se.Pow) and is_step(poly.args[0]) and _even_split(poly.args[1]):
            return poly.args[0]             # a relu's slope: s^k = s
        if isinstance(poly, se.Pow) and poly.args[0] in self.leaky.of \
                and _even_split(poly.args[1]):
            return self.leaky.power(poly.args[0], int(poly.args[1]))
        if isinstance(poly, (se.Add, se.Mul)):
            return poly.func(*[self._reduce_powers(a) for a in poly.args])
        return poly


class SoftmaxAtoms:
    """A softmax's exps and denominators as the probabilities alpha_{r,k} themselves.

    SymEngine writes exp(u) as E**u, merges exp(u) exp(v) into exp(u + v) and expands
    1/Z^2 into 1/(expanded square): two equal forms may hold the same softmax in different
    shapes. Given each softmax row's logits (e_{r,1..m}), every exp(sum c_{r,k} e_{r,k}) is
    rewritten prod (alpha_{r,k} Z_r)^c and every 1/(sum_k exp(e_{r,k}))^j as Z_r^-j (both
    identities, with alpha = exp(e) / Z); a softmax is homogeneous of degree 0 in the exps,
    so the Z_r cancel and the forms become polynomials in the alphas. What is left to know
    is sum_k alpha_{r,k} = 1, applied (last alpha of each row eliminated: a normal form)
    only when the plain comparison fails. An exp that is not such a combination is left
    as it is (then the test may say "not equal", never a false "equal").
    """

    def __init__(self, rows, forms=()) -> None:
        """rows: each softmax row's logits; forms: the same rows written other ways (a
        state as a symbol or written out), each row's forms sharing its alphas."""
        self.alpha = [[se.Symbol(f"_alpha{r}_{k}") for k in range(len(row))]
                      for r, row in enumerate(rows)]
        self.z = [se.Symbol(f"_Z{r}") for r in range(len(rows))]
        self.logits: dict = {}    # (row, k, form) -> {monomial: coefficient} of its logit
        self.owners: dict = {}    # monomial -> the logits it occurs in (a bias: in every row)
        seen: set = set()
        for f, form in enumerate([rows, *forms]):
            for r, row in enumerate(form):
                if (r, tuple(row)) in seen:
                    continue
                seen.add((r, tuple(row)))
                for k, e in enumerate(row):
                    index_logit(self.logits, self.owners, (r, k, f), e)
        self.powers = {se.expand(se.Add(*[a * z for a in row]) ** j): (r, j)
                       for r, (row, z) in enumerate(zip(self.alpha, self.z)) for j in range(1, 5)}
        self.memo: dict = {}

    def rewrite(self, e: Any) -> Any:
        done = self.memo.get(e)
        if done is not None:
            return done
        out = e
        power = _exp_of_log(e)
        if power is not None:
            out = self.rewrite(power[0]) ** power[1]
        elif isinstance(e, se.Pow) and e.args[0] == se.E:
            out = self._exp(e.args[1])
            out = e if out is None else out
        elif isinstance(e, se.Pow) and isinstance(e.args[0], se.Add) and e.args[1].is_Integer \
                and e.args[1] < 0:
            base = se.expand(self.rewrite(e.args[0]))
            hit = self.powers.get(base)
            out = (self.z[hit[0]] ** hit[1] if hit else base) ** e.args[1]
        elif isinstance(e, (se.Add, se.Mul, se.Pow)):
            out = e.func(*[self.rewrite(a) for a in e.args])
        self.memo[e] = out
        return out

    def _exp(self, arg: Any) -> Any:
        """exp(arg) as prod (alpha_{r,k} Z_r)^c when arg = sum c_{r,k} e_{r,k} exactly (the
        logits peeled off one at a time, each found by a monomial only it has), else None."""
        peeled = peel_logits(arg, self.logits, self.owners)
        if peeled is None:
            return None
        out = se.Integer(1)
        for (r, k, _), c in peeled:
            out = out * (self.alpha[r][k] * self.z[r]) ** c
        return out

    def sum_to_one(self, e: Any) -> Any:
        """e with alpha_{r,last} = 1 - sum of the others in each row, after multiplying
        by the alphas' denominators (a 1/yhat_k; the alphas are positive, so e = 0 iff
        the product is: no identity is lost or made)."""
        e = self._clear_denominators(e)
        last = {row[-1]: 1 - se.Add(*row[:-1]) for row in self.alpha if row}
        return se.expand(e.subs(last))

    def _clear_denominators(self, e: Any) -> Any:
        atoms = {a for row in self.alpha for a in row}
        need: dict = {}
        for term in (e.args if isinstance(e, se.Add) else (e,)):
            for f in (term.args if isinstance(term, se.Mul) else (term,)):
                if isinstance(f, se.Pow) and f.args[0] in atoms and f.args[1].is_Integer \
                        and f.args[1] < 0:
                    need[f.args[0]] = max(need.get(f.args[0], 0), -int(f.args[1]))
        if not need:
            return e
        return se.expand(e * se.Mul(*[a ** k for a, k in need.items()]))


def _exp_of_log(e: Any) -> tuple | None:
    """(u, c) when e is exp(c log u), c an integer: e is u^c wherever log u is defined
    (u > 0), which is where e is; else None."""
    if not (isinstance(e, se.Pow) and e.args[0] == se.E):
        return None
    arg = e.args[1]
    c, rest = se.Integer(1), arg
    if isinstance(arg, se.Mul) and len(arg.args) == 2 and arg.args[0].is_Integer:
        c, rest = arg.args
    if isinstance(rest, se.log) and c.is_Integer:
        return rest.args[0], c
    return None


def monomials(e: Any) -> dict:
    """{monomial: coefficient} of e expanded (its constant term left out)."""
    return {m: se.Integer(c) if isinstance(c, int) else c
            for m, c in se.expand(e).as_coefficients_dict().items() if c != 0 and m != 0}


def index_logit(logits: dict, owners: dict, key: Any, e: Any) -> None:
    """Add the logit e under `key`: logits[key] its monomials, owners[m] the keys of the
    logits each monomial m occurs in (a bias: in every row)."""
    logits[key] = monomials(e)
    for m in logits[key]:
        owners.setdefault(m, []).append(key)


def peel_logits(arg: Any, logits: dict, owners: dict) -> list | None:
    """[(key, c), ...] with arg = sum c logits[key] exactly (the logits peeled off one at a
    time, each found by a monomial only it has), else None. `logits` and `owners` as
    index_logit fills them."""
    rest = dict(monomials(arg))
    peeled = []
    for _ in range(4 * len(logits) + 4):
        if not rest:
            return peeled
        found = None
        for key in owners.get(next(iter(rest)), ()):
            logit = logits[key]
            probe = next((m for m in logit if len(owners[m]) == 1), None)
            probe = probe if probe is not None else next(iter(logit))
            if probe in rest:
                found = key, rest[probe] / logit[probe]
                break
        if found is None:
            return None
        key, c = found
        for m, c0 in logits[key].items():
            v = rest.get(m, 0) - c * c0
            if v == 0:
                rest.pop(m, None)
            else:
                rest[m] = v
        peeled.append(found)
    return None


def _even_split(k: Any) -> bool:
    return k.is_Integer and int(k) >= 2


def _tanh_poly(e: Any, depth: int = 3) -> Any:
    """The one tanh atom of a small polynomial in it with numeric coefficients, else None."""
    if isinstance(e, se.tanh):
        return e
    if depth == 0 or not isinstance(e, (se.Add, se.Mul, se.Pow)):
        return None
    found = None
    for a in e.args:
        if a.is_Number:
            continue
        t = _tanh_poly(a, depth - 1)
        if t is None or (found is not None and t != found):
            return None
        found = t
    return found


def _slope_coefficient(poly: Any, tau: Any) -> Any:
    """c when poly == c (1 - tau^2), else None."""
    if not isinstance(poly, se.Add) or len(poly.args) != 2:
        return None
    const = [a for a in poly.args if a.is_Number]
    if len(const) != 1:
        return None
    c = const[0]
    return c if se.expand(poly - c * (1 - tau ** 2)) == 0 else None


def equal(be: Backend, a: Any, b: Any) -> bool:
    """Exact: two expanded forms are equal when they are the same canonical polynomial,
    or, failing that, when their difference expands to 0."""
    if a == b:
        return True
    diff = be.expand(a - b)
    if diff == 0:
        return True
    if be.name == "symengine" and has_step(diff):      # s^2 = s for a relu's slope s
        diff = se.expand(idempotent(diff))
        if diff == 0:
            return True
    if be.name == "sympy" and diff.has(sp.Pow):
        return sp.cancel(sp.together(diff)) == 0
    return False


@dataclass(frozen=True)
class Counterexample:
    """A point (all free symbols at small rationals) where two forms differ."""
    point: dict          # symbol name -> "p/q"
    expected: str        # the direct form there
    got: str             # the other form there
    difference: str      # the expanded difference (shortened) when no number can be had


def point_value(k: int) -> Fraction:
    # small, varied, nonzero rationals: 1/2, -1/3, 3/4, -2/5, ...
    num = (k % 4) + 1
    den = (k % 5) + 2
    return Fraction(num if k % 2 == 0 else -num, den)


def _show(be: Backend, value: Any) -> str:
    """An exact rational as p/q; anything else to 20 significant digits."""
    if value.is_Rational:
        return str(value)
    if be.name == "symengine":
        if not value.free_symbols:
            try:
                return _digits(str(value.n(100, real=True)))
            except (RuntimeError, TypeError, ValueError):
                return str(value)
        return str(value)
    if value.free_symbols or value.atoms(sp.core.function.AppliedUndef):
        return str(value)
    return _digits(str(sp.N(value, 25)))


def _digits(text: str, keep: int = 20) -> str:
    try:
        return f"{float(text):.{keep}g}" if "e" in text.lower() else _trim(text, keep)
    except ValueError:
        return text


def _trim(text: str, keep: int) -> str:
    head, _, tail = text.partition(".")
    return head + ("." + tail[:max(1, keep - len(head.lstrip("-")))] if tail else "")


def counterexample(be: Backend, expected: Any, got: Any, symbols: tuple,
                   tied: dict | None = None) -> Counterexample:
    """Evaluate both forms at small rationals given to `symbols` (the same point for every
    entry), trying a few points until they differ; with undefined functions (no
    numbers), show the expanded difference instead. `tied` maps a symbol to the one whose
    value it takes (an input's copy read by attention: the model's own point first)."""
    expected, got = (be.number(Fraction(v)) if isinstance(v, int) else v
                     for v in (expected, got))
    if be.name == "sympy" and (expected - got).atoms(sp.core.function.AppliedUndef):
        text = str(be.expand(expected - got))
        return Counterexample({}, _short(str(expected)), _short(str(got)), _short(text))
    tied = tied or {}
    free = [s for s in symbols if s not in tied]
    for shift in range(8):
        values = {s: point_value(k + shift) for k, s in enumerate(free)}
        if shift >= 4:          # the copies free too: the two paths apart
            values.update({s: point_value(len(free) + k) for k, s in enumerate(tied)})
        point = {s: be.number(v) for s, v in values.items()}
        point.update({s: point[x] for s, x in tied.items() if s not in point})
        a, b = _show(be, expected.subs(point)), _show(be, got.subs(point))
        if a != b:
            break
    return Counterexample({str(s): str(v) for s, v in values.items()}, a, b, "")


def _short(text: str, keep: int = 200) -> str:
    return text if len(text) <= keep else text[:keep] + " ..."


CANCEL_NODES = 600           # distinct subexpressions: a bigger difference is not worth
#                              SymPy's cancel (seconds to minutes, where a wrong claim
#                              makes many); about the old 20,000 characters of text


def _cancels(diff: Any) -> bool:
    """The last resort for a difference with a denominator: a / a, as the derivative of a
    log makes it (d log(sigma(z)) = sigma (1 - sigma) / sigma), is no polynomial identity.
    SymPy's cancel decides it, exactly; only small differences with a denominator are
    tried (a wrong rule makes many big ones, and a polynomial one cannot cancel)."""
    if not _has_denominator(diff):
        return False
    if node_count(diff) > CANCEL_NODES:
        return False
    import sympy as sp
    return sp.cancel(sp.together(diff._sympy_())) == 0


def node_count(e: Any) -> int:
    """The number of distinct subexpressions of e, a SymEngine or a SymPy expression (a
    form is a DAG: a tree count can be huge)."""
    todo, seen = [e], set()
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(n.args)
    return len(seen)


def _has_denominator(e: Any) -> bool:
    """A negative power anywhere in e."""
    return any_node(e, lambda n: isinstance(n, se.Pow) and n.args[1].is_Number
                    and n.args[1] < 0)
