"""The BPTT equations of a cell at matrix level, derived from its equations.

Reverse mode (derive/rules.py) over each equation gives what every quantity it reads
receives. A quantity q[t] is read by later equations of its own step, by the next step
(as q[t-1]) and by the loss, so its total adjoint is

    dL/dq[t] = (the loss's part) + sum over readers r[t] + sum over readers r[t+1]

one line per named quantity ("adjoint"). For a state, the quantities on the way to the
next state (a[t+1], the gates, ...) are then written out, giving the textbook recursion
in the adjoints of the states alone ("recursion"), with the loss's part as dl[t]/dq[t]
("local loss"); its value at T, where nothing comes from t+1, is the "base case". Each
parameter's gradient is a sum over t ("gradient"), the input's a line ("input"). A model
of one state also gets its Jacobian dh[t]/dh[t-1] and the closed form of dL/dh[t] as a
sum over paths of products of Jacobians ("jacobian", "closed form", seeds 002/003).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..formula.tree import (BinOp, Call, Deriv, Equation, Idx, Name, Power, Reduce, Transpose,
                            show)
from . import algebra as al
from .equations import CellEquations
from .rules import back

T_VAR, LOSS = "t", "L"
t0 = Idx.var("t")
ROLES = ("recursion", "base case", "local loss", "adjoint", "gradient", "input", "jacobian",
         "closed form", "forward")


@dataclass(frozen=True)
class Formula:
    role: str
    equation: Equation

    @property
    def text(self) -> str:
        return show(self.equation)


def _adj(name: str, idx: Idx = t0):
    return Deriv(Name(LOSS), Name(name, idx))


def _local(name: str, idx: Idx = t0):
    return Deriv(Name("l", idx), Name(name, idx))


class _Derivation:
    def __init__(self, ce: CellEquations):
        self.ce, self.sh = ce, ce.shapes
        self.reads: dict[str, dict] = {}            # reader -> {leaf text: (leaf, Expr)}
        for e in ce.equations:
            out: dict = {}
            name = e.lhs.name
            back(self.sh, e.rhs, al.of(_adj(name), self.sh.sequences[name]), out, e.lhs)
            self.reads[name] = out
        self.seed = al.number(Fraction(1))
        if ce.mean:
            self.seed = al.over(self.seed, Name("T"))
        self.loss_reads = self._loss(self.seed)
        self.loss_plain = self._loss(al.number(Fraction(1)))     # dl[t]/d..., no 1/T

    def _loss(self, seed) -> dict:
        out: dict = {}
        back(self.sh, self.ce.loss.rhs, seed, out)
        return out

    def _got(self, reads: dict, leaf: Name) -> al.Expr:
        found = reads.get(show(leaf))
        return found[1] if found else ()

    # ---- one line per quantity --------------------------------------------------------
    def loss_part(self, q: str, plain: bool = False) -> al.Expr:
        return self._got(self.loss_plain if plain else self.loss_reads, Name(q, t0))

    def step_part(self, q: str) -> al.Expr:
        return al.add(*[self._got(self.reads[r], Name(q, t0)) for r in self.ce.defined])

    def next_part(self, q: str) -> al.Expr:
        return al.shifted(al.add(*[self._got(self.reads[r], Name(q, t0.shift(-1)))
                                   for r in self.ce.defined]), T_VAR, 1)

    def adjoint(self, q: str) -> al.Expr:
        return al.add(self.loss_part(q), self.step_part(q), self.next_part(q))

    def loss_only(self) -> tuple[str, ...]:
        """The outputs only the loss reads (yhat[t]): their adjoints are written out in
        their readers' lines, so that dL/do[t] reads yhat[t] - y[t]."""
        read = {n.name for e in self.ce.equations for n in _names(e.rhs)}
        return tuple(q for q in self.ce.defined if q not in read and q not in self.ce.states)

    def adjoint_line(self, q: str) -> al.Expr:
        e = self.adjoint(q)
        defs = {x.lhs.name: x.rhs for x in self.ce.equations}
        for r in self.loss_only():
            own = defs[r]                  # r = softmax(q): q's line reads y and yhat
            if isinstance(own, Call) and own.arg == Name(q, t0) and al.reads(e, _adj(r)):
                e = _substitute(e, _adj(r), self.adjoint(r))
        if self.ce.simplex_targets:
            e = al.sums_to_one(e, Name("y", t0))
        return e

    def param(self, p: str) -> al.Expr:
        return al.add(self._got(self.loss_reads, Name(p)),
                      *[self._got(self.reads[r], Name(p)) for r in self.ce.defined])

    def input(self) -> al.Expr:
        return al.add(self._got(self.loss_reads, Name("x", t0)),
                      *[self._got(self.reads[r], Name("x", t0)) for r in self.ce.defined])

    # ---- the quantities written out ----------------------------------------------------
    def on_the_way(self) -> tuple[str, ...]:
        """The named quantities, not states, that a state of the same step reads (directly
        or through others): written out in the recursion. The others (outputs such as o[t],
        yhat[t]) keep their own adjoint."""
        deps = {e.lhs.name: {n.name for n in _names(e.rhs) if n.index == t0}
                for e in self.ce.equations}
        found: set = set()
        todo = [s for s in self.ce.states if s in deps]
        while todo:
            for d in deps.get(todo.pop(), ()):
                if d not in found and d in deps:
                    found.add(d)
                    todo.append(d)
        return tuple(q for q in self.ce.defined if q in found and q not in self.ce.states)

    def written_out(self, e: al.Expr, keep: tuple = ()) -> al.Expr:
        """e with every adjoint of a quantity on the way replaced by its own line, until
        only the adjoints of states (and outputs) remain."""
        inline = [q for q in self.on_the_way() if q not in keep]
        for _ in range(4 * len(self.ce.defined) + 4):
            changed = False
            for q in inline:
                for k in (0, 1):
                    target = _adj(q, t0.shift(k))
                    if al.reads(e, target):
                        e = _substitute(e, target, al.shifted(self.adjoint(q), T_VAR, k))
                        changed = True
            if not changed:
                return e
        return e

    def recursion(self, q: str) -> tuple[al.Expr, al.Expr, bool]:
        """(the parts of dL/dq[t] from its own step, from t+1, whether the loss reads q
        itself): the state's textbook recursion is dl[t]/dq[t] (scaled 1/T for a mean
        loss) + the first + the second."""
        direct = bool(self.loss_part(q))
        own = self.written_out(self.step_part(q))
        later = self.written_out(self.next_part(q))
        return own, later, direct

    def local_term(self, q: str) -> al.Expr:
        node = _local(q)
        e = al.of(node, self.sh.sequences[q])
        return al.over(e, Name("T")) if self.ce.mean else e


def _names(node) -> list[Name]:
    """The names a tree reads (an opaque function's: its arguments)."""
    from ..formula.tree import names
    from .rules import Opaque
    return list(node.args) if isinstance(node, Opaque) else names(node)


def _substitute(e: al.Expr, target, value: al.Expr) -> al.Expr:
    """e with the factor (or scalar) `target` replaced by the expression `value`."""
    key = show(target)
    out = []
    for term in e:
        spot = next((i for i, f in enumerate(term.factors) if show(f.node) == key), None)
        if spot is not None:
            before = al.Expr((al.Term(term.coef, term.scalars, term.factors[:spot]),))
            after = al.Expr((al.Term(Fraction(1), (), term.factors[spot + 1:]),))
            out.append(al.matmul(al.matmul(before, value), after))
            continue
        s = next((i for i, (n, p) in enumerate(term.scalars) if show(n) == key and p == 1),
                 None)
        if s is not None:
            rest = al.Term(term.coef, term.scalars[:s] + term.scalars[s + 1:], term.factors)
            out.append(al.times_scalar((rest,), value))
            continue
        out.append((term,))
    return al.add(*out)


def _split_later(e: al.Expr, state: str) -> tuple[al.Expr, al.Expr | None]:
    """A recursion's part from t+1 as J^T (so that the part is J^T @ dL/dq[t+1]), or None
    when it reads other adjoints too."""
    key = show(_adj(state, t0.shift(1)))
    coef = []
    for term in e:
        if term.factors and show(term.factors[-1].node) == key:
            coef.append(al.Term(term.coef, term.scalars, term.factors[:-1]))
        elif any(show(n) == key for n, p in term.scalars):
            coef.append(al.Term(term.coef, tuple(x for x in term.scalars if show(x[0]) != key),
                                term.factors))
        else:
            return e, None
    return e, tuple(coef)


def derive_cell(ce: CellEquations) -> tuple[Formula, ...]:
    d = _Derivation(ce)
    out: list[Formula] = []
    T = Idx.var("T")
    single = len(ce.states) == 1
    for q in ce.states:
        own, later, direct = d.recursion(q)
        local = d.local_term(q) if direct else ()
        rec = al.add(local, own, later)
        out.append(Formula("recursion", Equation(_adj(q), al.tree(rec))))
        base = al.substituted(al.add(local, own), T_VAR, T)
        out.append(Formula("base case", Equation(_adj(q, T), al.tree(base))))
        if direct:
            out.append(Formula("local loss", Equation(_local(q),
                                                      al.tree(d.loss_part(q, plain=True)))))
        if single:
            out += _closed_form(d, q, al.add(local, own), later)
            out += _forward(d, q)
    for q in ce.defined:
        if q in ce.states:
            continue
        out.append(Formula("adjoint", Equation(_adj(q), al.tree(d.adjoint_line(q)))))
    for p in ce.shapes.params:
        g = d.written_out(d.param(p))
        if g:
            out.append(Formula("gradient", Equation(Deriv(Name(LOSS), Name(p)),
                                                    _sum_over_t(al.tree(g)))))
    out += _input(d)
    return tuple(out)


def _input(d: _Derivation) -> list[Formula]:
    """dL/dx[t]; with a context that reads every input so far (attention), dL/dx[k] with
    the shortcut sum(t=k..T, (dc[t]/dx[k] | h[t]).T @ dL/dc[t])."""
    from .rules import Opaque
    x = d.written_out(d.input())
    wide = [e for e in d.ce.equations if isinstance(e.rhs, Opaque) and "x" in e.rhs.every_k]
    if not wide:
        return [Formula("input", Equation(_adj("x"), al.tree(x)))] if x else []
    k = Idx.var("k")
    node = al.tree(al.substituted(x, T_VAR, k)) if x else None
    for e in wide:
        c = e.lhs.name
        held = tuple(Name(n.name, t0) for n in e.rhs.args if n.index == t0)
        jac = Transpose(Deriv(Name(c, t0), Name("x", k), held=held))
        path = Reduce("sum", T_VAR, k, Idx.var("T"), BinOp("@", jac, _adj(c)))
        node = path if node is None else BinOp("+", node, path)
    return [Formula("input", Equation(_adj("x", k), node))]


def _forward(d: _Derivation, q: str) -> list[Formula]:
    """A scalar state read by nothing else of its step: dh[t]/dp = (h's equation's own
    partial by p) + J_t * dh[t-1]/dp for each scalar parameter (seed 003's recursion)."""
    eq = next(e for e in d.ce.equations if e.lhs.name == q)
    if d.sh.sequences[q] or any(n.index == t0 for n in _names(eq.rhs) if n.name != "x"):
        return []
    out: dict = {}
    back(d.sh, eq.rhs, al.number(Fraction(1)), out, eq.lhs)
    jac = out.get(show(Name(q, t0.shift(-1))), (None, ()))[1]
    found = []
    for p, shape in d.sh.params.items():
        own = out.get(show(Name(p)), (None, ()))[1]
        if shape or not own:
            continue
        before = al.of(Deriv(Name(q, t0.shift(-1)), Name(p)), ())
        rhs = al.add(own, al.times_scalar(jac, before)) if jac else own
        found.append(Formula("forward", Equation(Deriv(Name(q, t0), Name(p)), al.tree(rhs))))
    return found


def _sum_over_t(body):
    return Reduce("sum", T_VAR, Idx.of(1), Idx.var("T"), body)


def _closed_form(d: _Derivation, q: str, local: al.Expr, later: al.Expr) -> list[Formula]:
    """dq[t]/dq[t-1] = J_t, and dL/dq[t] = sum(i=t..T, prod(j=t+1..i, J_j).T @ local_i)."""
    _, jt = _split_later(later, q)
    if jt is None or not local:
        return []
    sh = d.sh.sequences[q]
    J = al.shifted(al.transpose(jt), T_VAR, -1)           # J_t, from J_{t+1}^T
    ident = not J
    if ident:
        return []
    square = bool(sh)
    out = [Formula("jacobian", Equation(Deriv(Name(q, t0), Name(q, t0.shift(-1))),
                                         al.tree(J, square)))]
    i, j = Idx.var("i"), Idx.var("j")
    loc_i = al.tree(al.substituted(local, T_VAR, i))
    constant = not any(n.index is not None for n in _names(al.tree(J, square)))
    if len(J) > 1 and not constant:        # J_j by its name: the product stays readable
        body = Deriv(Name(q, j), Name(q, j.shift(-1)))
        path = Transpose(Reduce("prod", "j", t0.shift(1), i, body)) if sh else \
            Reduce("prod", "j", t0.shift(1), i, body)
    elif constant:
        path = Power(Transpose(al.tree(J, square)) if sh else al.tree(J), i + (-t0))
    else:
        body = al.tree(al.substituted(J, T_VAR, j), square)
        path = Transpose(Reduce("prod", "j", t0.shift(1), i, body)) if sh else \
            Reduce("prod", "j", t0.shift(1), i, body)
    term = BinOp("@", path, loc_i) if sh else BinOp("*", path, loc_i)
    out.append(Formula("closed form", Equation(_adj(q), Reduce("sum", "i", t0, Idx.var("T"),
                                                                 term))))
    return out

