"""The quantities a claim may use, at one T: parameters, sequences and derivatives.

Every derivative comes from the unrolled graph itself, never from the cell's VJP rules:
symbolic/stepgraph.py holds the steps, each state after each step a symbol defined by its
step, and the chain rule over them (each step differentiated by the backend) gives any
derivative. So a claim checked against these is checked against the ground truth, as the
direct form is.

A derivative is *total* (DESIGN.md, "Formula language"): d num / d q perturbs q and
recomputes everything computed from it, later quantities of q's own step included (the
LSTM's h_t reads c_t, a stacked cell's upper layer reads the lower one). With `held`
quantities it is a partial: those keep their values (the carousel dc[t]/dc[t-1] with
h[t-1] held is diag(f[t])).

Layout: the derivative of a scalar (L, l[t]) has the denominator's shape (dL/dW is n×m,
dL/dh[t] a column); of a vector by a scalar, a column; of a vector by a vector, the
Jacobian (entry [i, j] = d num_i / d den_j, so dh[t+1]/dh[t] = diag(phi'(a[t+1])) W).
What is a matrix and what a vector follows the declared shapes, never a size of 1.

Beyond the sequence (h[T+1], a[0], x[-1], ...) a quantity is an opaque symbol: a claim
may mention one only where it cancels (multiplied by a zero boundary value). L and
l[t] depend on nothing past T, so dL/dh[T+1] is 0.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import SymbpttError
from ..model.spec import Dims, ModelSpec
from ..symbolic.backend import Backend
from ..symbolic.cells import Cell
from ..symbolic.linalg import total, tree_entries
from ..symbolic.stepgraph import NotInGraph, Span, StepGraph

LOSS, LOCAL = "L", "l"
OPAQUE = "?"            # prefix of the symbols that stand for what does not exist
# a loss written from another readout output than the cell's own loss reads
LOSS_FROM = {("elman_softmax", "yhat"):
             lambda be, yhat, y: -total([yi * be.log(p) for yi, p in zip(y, yhat)])}


class QuantityError(SymbpttError):
    """A quantity the model does not have (bad input: exit 2)."""


def matrix(value: Any) -> np.ndarray:
    """A scalar, a vector (a column) or a matrix of expressions as a 2-D object array."""
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        rows, cols = len(value), len(value[0])
        out = np.empty((rows, cols), dtype=object)
        for i, row in enumerate(value):
            for j, v in enumerate(row):
                out[i, j] = v
        return out
    items = value if isinstance(value, tuple) else (value,)
    out = np.empty((len(items), 1), dtype=object)
    for i, v in enumerate(items):
        out[i, 0] = v
    return out


def _flat(value: Any) -> list:
    return [v for _, v in tree_entries(value)] if isinstance(value, tuple) else [value]


class Quantities:
    """The model unrolled at T, and every quantity a claim can name, computed on demand
    (and remembered: one instance per (model, T, dims))."""

    def __init__(self, spec: ModelSpec, cell: Cell, T: Any, dims: Dims, be: Backend,
                 activation: str | None = None, graph: StepGraph | None = None) -> None:
        """The model unrolled at T; or, given a `graph` of a window of steps
        (check/frames.py), the quantities of its steps 0..n, T then a symbol."""
        self.spec, self.cell, self.T, self.dims, self.be = spec, cell, T, dims, be
        self.activation = activation
        self.g = graph or StepGraph(spec, cell, dims, be, Span(0, T), T)
        self.n = self.g.span.last                  # the steps held: 1..n
        self.readouts = tuple(self.g.outs[1]) if self.n >= 1 and cell.readout else ()
        self._memo: dict = {}
        self.zero, self.one = be.number(Fraction(0)), be.number(Fraction(1))

    # ---- what the model has ------------------------------------------------------------
    @property
    def scalar_model(self) -> bool:
        return not self.spec.dims_used

    @property
    def step_functions(self) -> tuple[str, ...]:
        """Names of the model's undefined step/readout functions (generic: f, g)."""
        text = " ".join(self.spec.equations)
        return tuple(f for f in ("f", "g") if f"= {f}(" in text)

    def is_matrix(self, name: str) -> bool:
        """A parameter declared a matrix (whatever its sizes: n x 1 is still a matrix)."""
        return any(p.name == name and len(p.shape) == 2 for p in self.spec.params)

    @property
    def symbols(self) -> tuple:
        """The free symbols a point gives values to: parameters, inputs, targets."""
        g, out = self.g, []
        for p in self.spec.params:
            out += _flat(g.P[p.name])
        for k in range(1, self.n + 1):
            out += [e for e in g.x(k)] + [s for e in g.y(k) for s in _free(e)]
        return tuple(dict.fromkeys(s for s in out if _is_symbol(s)))

    @property
    def opaque_symbols(self) -> tuple:
        return tuple(s for label, s in self.g.opaque.items() if label.startswith(OPAQUE))

    def opaque(self, label: str) -> Any:
        return self.g.symbol(OPAQUE + label)

    @property
    def softmax_rows(self) -> list:
        """The logits of every softmax the graph computes, a row a step (for the zero test)."""
        name = self.cell.softmax
        if name is None:
            return []
        return [self.g.value(name, k) for k in range(1, self.n + 1)]

    def softmax_forms(self) -> list[list]:
        """Each softmax row's logits in every form equal_on's stages write them: with
        state symbols, unfolded, and with the steps from k on written out (k = n..1)."""
        rows = self.softmax_rows
        forms = [rows, [tuple(self.unfold(e) for e in row) for row in rows]]
        current = rows
        for k in range(self.n, 0, -1):
            current = [tuple(self.expand_states(e, k) for e in row) for row in current]
            forms.append([tuple(self.unfold(e, below=k) for e in row) for row in current])
        return forms

    def inline(self, expr: Any) -> Any:
        """expr with every state symbol replaced by its step's definition, latest first:
        the nested expression in the parameters and inputs alone (for values at a point)."""
        for key in self.g.adjoint_order():
            expr = self.expand_adjoint(expr, key)
        for k in range(self.n, 0, -1):
            expr = self.expand_states(expr, k)
        return expr

    def expand_adjoint(self, expr: Any, key: tuple) -> Any:
        """expr with the adjoint symbols of (k, state) replaced by their definitions (one
        step of the reverse accumulation written out)."""
        g = self.g
        sub = dict(zip(g.adjoints()[key], g.adjoint_defs[key]))
        if hasattr(expr, "subs") and _free(expr) & sub.keys():
            expr = expr.subs(sub)
        return expr

    def unfold(self, expr: Any, below: int | None = None) -> Any:
        """expr with each state defined as an activation's atom (StepGraph.atom_states)
        written as that atom, latest step first (so the atoms' own arguments are written
        the same way), at the steps before `below` (all by default)."""
        if not hasattr(expr, "subs"):
            return expr
        top = self.n if below is None else below - 1
        g = self.g
        for k in range(top, 0, -1):
            atoms = g.atom_states(k)
            for name in reversed(g.order[k]):     # a later state may read an earlier one
                sub = {e: atoms[e] for e in g.eta[k, name] if e in atoms}
                if sub and _free(expr) & sub.keys():
                    expr = expr.subs(sub)
        return expr

    def expand_states(self, expr: Any, k: int) -> Any:
        """expr with the states of step k replaced by their definitions (one level of the
        graph written out: what the zero test does when the symbols alone do not decide)."""
        g = self.g
        for name in reversed(g.order[k]):
            sub = dict(zip(g.eta[k, name], g.defs[k][name]))
            if hasattr(expr, "subs") and any(s in sub for s in _free(expr)):
                expr = expr.subs(sub)
        if k == 1 and g.at_zero and _free(expr) & g.at_zero.keys():
            expr = expr.subs(g.at_zero)
        return expr

    # ---- values --------------------------------------------------------------------------
    def param(self, name: str) -> np.ndarray:
        return matrix(self.g.P[name])

    def sequence(self, name: str, k: int) -> np.ndarray:
        """x[k], y[k], h[k], a[k], o[k], ...: h[0] = c[0] = 0; past the ends, opaque."""
        key = ("seq", name, k)
        if key not in self._memo:
            self._memo[key] = self._at_zero(matrix(self._sequence(name, k)))
        return self._memo[key]

    def _at_zero(self, arr: np.ndarray) -> np.ndarray:
        """h_0 = 0 (c_0 = 0) set in a value the graph computed with a symbol for it."""
        zero = self.g.at_zero
        if not zero:
            return arr
        out = np.empty(arr.shape, dtype=object)
        for idx, e in np.ndenumerate(arr):
            out[idx] = _subs(e, zero) if _free(e) & zero.keys() else e
        return out

    def _sequence(self, name: str, k: int) -> Any:
        g = self.g
        if name in self.spec.states and k == 0:
            return tuple(self.zero for _ in g.eta[0, name]) if g.span.zero_start else \
                g.eta[0, name]
        if 1 <= k <= self.n:
            if name == "x":
                return g.x(k)
            if name == "y":
                return g.y(k)
            return g.value(name, k)
        return self._opaque_vector(name, k)

    def _size(self, name: str) -> int:
        if name == "x":
            return len(self.g.x(1))
        if name == "y":
            return len(self.g.y(1))
        return len(self.g.value(name, min(max(1, self.n), self.n)))

    def _opaque_vector(self, name: str, k: int) -> tuple:
        size = max(k, 1) if name in ("e", "alpha") else self._size(name)   # attention's rows grow
        return tuple(self.opaque(f"{name}_{k}[{i}]") for i in range(size))

    # ---- derivatives ---------------------------------------------------------------------
    def derivative(self, num: tuple[str, int | None], den: tuple[str, int | None],
                   held: tuple = ()) -> np.ndarray:
        """d num / d den, each a (name, index or None); `held`: (name, index) pairs kept at
        their values (a partial derivative)."""
        key = ("d", num, den, tuple(sorted(held)))
        if key not in self._memo:
            self._memo[key] = self._at_zero(self._derivative(num, den, frozenset(held)))
        return self._memo[key]

    def _kind(self, name: str) -> str:
        if name in self.spec.states:
            return "state"
        if name == "x":
            return "x"
        if self.n >= 1 and name in self.g.vals[1]:
            return "step"
        if name in self.readouts:
            return "output"
        return ""

    def _derivative(self, num, den, held: frozenset) -> np.ndarray:
        nname, (dname, dk) = num[0], den
        self._check_held(held)
        if nname in self.step_functions:
            return self._partial(num, den)
        if dname in self.g.P and dk is None:
            entries = _flat(self.g.P[dname])
            shape = np.shape(self.param(dname))
            kind = "matrix" if self.is_matrix(dname) else "vector" if len(entries) > 1 or \
                self.spec.param(dname).shape else "scalar"
            return self._arrange(num, self._by(num, ("param", dname, entries), held), shape,
                                 kind)
        what = self._kind(dname)
        if not what:
            raise QuantityError(
                f"d{nname}/d{dname}[...] is not available: {self.spec.name} has no quantity "
                f"{dname}[t] (derivatives are taken w.r.t. parameters, x[t], the states "
                f"{', '.join(s + '[t]' for s in self.spec.states)}"
                + (f", the step's {', '.join(n + '[t]' for n in self._step_names)}"
                   if self._step_names else "")
                + (f" or the outputs {', '.join(r + '[t]' for r in self._readout_names)}"
                   if self._readout_names else "") + ")")
        size = self._size(dname) if what != "output" or dname not in ("e", "alpha") else \
            max(1, min(dk, self.n))
        lo = 0 if what == "state" else 1
        if what == "x" and not 1 <= dk <= self.n:
            return self._shaped(num, [self.zero] * size, (size, 1))
        if not lo <= dk <= self.n or self._past(num):
            return self._beyond(num, dname, dk, size)
        return self._arrange(num, self._by(num, (what, dname, dk), held), (size, 1), "vector")

    @property
    def _readout_names(self) -> tuple:
        return tuple(r for r in self.readouts if r in self.spec.intermediates)

    @property
    def _step_names(self) -> tuple:
        if self.n < 1:
            return ()
        return tuple(n for n in self.g.vals[1] if n not in self.spec.states
                     and n in self.spec.intermediates)

    def _check_held(self, held: frozenset) -> None:
        for name, k in held:
            what = self._kind(name)
            if what not in ("state", "step") or (k is None):
                raise QuantityError(f"{name}{'' if k is None else f'[{k}]'} cannot be held: "
                                    "a partial holds states or quantities of a step, at a "
                                    "time index")

    def _past(self, num) -> bool:
        return num[0] not in (LOSS, LOCAL) and num[1] is not None and \
            not 0 <= num[1] <= self.n

    # ---- the numerator ------------------------------------------------------------------------
    def _numerator(self, num) -> tuple[str, Any]:
        """("expr", [values]) of the numerator in the graph's symbols, or ("state", (k, s))."""
        name, k = num
        g = self.g
        if name == LOSS:
            return "expr", [g.loss]
        if name == LOCAL:
            return "expr", [g.losses[k] if 1 <= k <= self.n else self.zero]
        if name in self.spec.states:
            return ("state", (k, name)) if 0 <= k <= self.n else ("expr", None)
        if name == "x":
            return "expr", list(g.x(k)) if 1 <= k <= self.n else None
        if 1 <= k <= self.n:
            return "expr", list(g.value(name, k))
        return "expr", None

    def _rerun(self, k: int, overrides: dict, frozen: dict) -> tuple[dict, dict, dict, Any]:
        vals, defs, _, outs, loss = self.g._run(k, {**overrides, **frozen})
        return vals, defs, outs, loss

    def _by(self, num, den: tuple, held: frozenset) -> list[list]:
        """grads[i][j] = d num_i / d den_j (the den's entries in order)."""
        g = self.g
        kind = den[0]
        if kind == "output":
            return self._by_output(num, den[1], den[2])
        if num[0] == LOSS and not held:
            return [self._adjoint(den)]
        held_states = frozenset((k, name) for name, k in held if name in self.spec.states)
        frozen_at, thaw = self._frozen(held)
        defs = (lambda k: self._rerun(k, {}, frozen_at[k])[1] if k in frozen_at
                else g.defs[k])
        init, frm, seed, width, direct = self._perturbation(den, frozen_at)
        Tg = g.tangents(init, frm, seed, held_states, defs)
        form, value = self._numerator(num)
        if form == "state":
            k, name = value
            rows = init.get((k, name)) or Tg.get((k, name)) or \
                [[self.zero] * width for _ in g.eta[k, name]]
            return _subs_rows(direct["close"](rows), thaw)
        if value is None:
            return self._unknown_rows(num, width)
        k = num[1]
        if num[0] not in (LOSS, LOCAL) and (k in frozen_at or
                                            (kind == "step" and k == den[2])):
            over = {den[1]: direct["eps"]} if kind == "step" and k == den[2] else {}
            vals, _, outs, _ = self._rerun(k, over, frozen_at.get(k, {}))
            value = list({**vals, **outs}.get(num[0], value))
        rows = []
        for v in value:
            row = g.chain(v, Tg, width)
            d = direct["of"](v)
            rows.append([a + b for a, b in zip(row, d)] if d is not None else row)
        return _subs_rows(direct["close"](rows), thaw)

    def _perturbation(self, den: tuple, frozen_at: dict) -> tuple:
        """(init tangents, first step to follow, seed, columns, direct part) of a
        perturbation of den = (kind, name, k | entries); `frozen_at`: the held
        intermediates of each step, as symbols."""
        be, g = self.be, self.g
        kind = den[0]
        none = {"of": lambda v: None, "close": lambda rows: rows, "eps": None}
        if kind == "state":
            _, name, r = den
            m = len(g.eta[r, name])
            eye = [[self.one if i == j else self.zero for j in range(m)] for i in range(m)]
            return {(r, name): eye}, max(r, 1), None, m, none
        if kind == "param":
            _, name, entries = den
            init = {}
            if not g.span.zero_start and name in g.span.tangents:
                for s in self.spec.states:
                    init[g.span.first, s] = [[g.symbol(f"zeta:{s}[{i}]/{e}") for e in entries]
                                             for i in range(g.m)]

            def seed(k, nm, D):
                return [[be.diff(di, e) for e in entries] for di in D]
            direct = {"of": lambda v: [be.diff(v, e) for e in entries],
                      "close": lambda rows: rows, "eps": None}
            return init, g.span.first + 1, seed, len(entries), direct
        if kind == "x":
            _, _, r = den
            xs = list(g.x(r))

            def seed(k, nm, D):
                return [[be.diff(di, e) for e in xs] for di in D] if k == r else None
            direct = {"of": lambda v: [be.diff(v, e) for e in xs],
                      "close": lambda rows: rows, "eps": None}
            return {}, r, seed, len(xs), direct
        # a quantity computed inside step r: step r re-run with it replaced by eps
        _, name, r = den
        actual = g.value(name, r)
        eps = tuple(be.symbol(f"{OPAQUE}cut:{name}_{r}[{i}]") for i in range(len(actual)))
        back = dict(zip(eps, actual))
        _, new_defs, _, _ = self._rerun(r, {name: eps}, frozen_at.get(r, {}))

        def seed(k, nm, D):
            if k != r:
                return None
            return [[_subs(be.diff(di, e), back) for e in eps] for di in new_defs[nm]]
        direct = {"of": lambda v: [be.diff(v, e) for e in eps],
                  "close": lambda rows: _subs_rows(rows, back), "eps": eps}
        return {}, r, seed, len(eps), direct

    def _frozen(self, held: frozenset) -> tuple[dict, dict]:
        """(k -> {intermediate: symbols standing for its value}, symbol -> value) for the
        held intermediates: their step re-run with these, differentiated, then thawed."""
        out: dict = {}
        thaw: dict = {}
        for name, k in held:
            if name in self.spec.states or not 1 <= k <= self.n:
                continue
            value = self.g.value(name, k)
            syms = tuple(self.be.symbol(f"{OPAQUE}held:{name}_{k}[{i}]")
                         for i in range(len(value)))
            out.setdefault(k, {})[name] = syms
            thaw.update(zip(syms, value))
        return out, thaw

    def _adjoint(self, den: tuple) -> list:
        """dL/d den by the graph's reverse accumulation (no holds)."""
        be, g = self.be, self.g
        A = g.adjoints()
        kind = den[0]
        if kind == "state":
            return list(A[den[2], den[1]])
        L = g.loss
        if kind in ("param", "x"):
            syms = den[2] if kind == "param" else list(g.x(den[2]))
            steps = range(1, self.n + 1) if kind == "param" else (den[2],)
            out = []
            for e in syms:
                terms = [be.diff(L, e)]
                for k in steps:
                    for name in g.order[k]:
                        terms += [a * be.diff(d, e) for a, d in zip(A[k, name],
                                                                    g.defs[k][name])]
                out.append(total([t for t in terms if t != 0]) if any(t != 0 for t in terms)
                           else self.zero)
            return out
        # a quantity computed inside step r
        _, name, r = den
        actual = g.value(name, r)
        eps = tuple(be.symbol(f"{OPAQUE}cut:{name}_{r}[{i}]") for i in range(len(actual)))
        back = dict(zip(eps, actual))
        _, new_defs, _, _ = self._rerun(r, {name: eps}, {})
        out = []
        for e in eps:
            terms = [a * be.diff(d, e) for s in g.order[r]
                     for a, d in zip(A[r, s], new_defs[s])]
            terms = [t for t in terms if t != 0]
            out.append(_subs(total(terms), back) if terms else self.zero)
        return out

    def _by_output(self, num, name: str, r: int) -> list[list]:
        """d num / d o[r] (an output of the readout): it reaches the loss of step r only
        (and the outputs the readout computes after it)."""
        be, g = self.be, self.g
        nname, nk = num
        actual = g.value(name, r)
        eps = tuple(be.symbol(f"{OPAQUE}cut:{name}_{r}[{i}]") for i in range(len(actual)))
        back = dict(zip(eps, actual))
        vals, _, outs, loss = self._rerun(r, {name: eps}, {})
        if nname in (LOSS, LOCAL):
            loss = self._loss_from(loss, name, eps, r)
            values = [loss * (g.scale if nname == LOSS else 1)] \
                if nname == LOSS or nk == r else [self.zero]
        elif nname == name and nk == r:
            values = list(eps)
        elif nname in self.readouts and nk == r:
            values = list(outs[nname])
        else:       # the readout feeds nothing but the loss: other steps do not see it
            values = [self.zero] * len(self.sequence(nname, nk))
        return [[_subs(be.diff(v, f), back) for f in eps] for v in values]

    def _loss_from(self, loss, name: str, eps: tuple, r: int):
        """l_t written from the readout output `name` (elman_softmax's loss is written from
        o; from yhat it is -y . log yhat, the same function on the softmax's image)."""
        if any(self.be.diff(loss, f) != 0 for f in eps):
            return loss
        written = LOSS_FROM.get((self.spec.name, name))
        if written is None:
            others = [o for o in self._readout_names if o != name]
            raise QuantityError(
                f"d{LOCAL}/d{name}[t] is not available for {self.spec.name}: its loss is "
                f"written from {', '.join(o + '[t]' for o in others)}, not from {name}[t]")
        return written(self.be, eps, self.g.y(r))

    # ---- layout ---------------------------------------------------------------------------
    def _arrange(self, num, grads: list[list], shape: tuple, kind: str) -> np.ndarray:
        """grads[i][j] = d num_i / d den_j, laid out as the module docstring says; `kind`
        of the denominator: scalar, vector or matrix (as declared)."""
        m, k = len(grads), len(grads[0]) if grads else 0
        scalar_num = m == 1 and (num[0] in (LOSS, LOCAL) or self.scalar_model)
        if scalar_num:
            out = np.empty(k, dtype=object)
            out[:] = grads[0]
            return out.reshape(shape if len(shape) == 2 else (k, 1))
        if kind == "matrix":
            raise QuantityError(f"d{num[0]}/d(a matrix) is a tensor, which claims cannot use; "
                                "write it entry by entry through dL/d... or a Jacobian")
        out = np.empty((m, k), dtype=object)
        for i, row in enumerate(grads):
            out[i, :] = row
        return out

    def _rows(self, num) -> int:
        """How many entries the numerator has (1 for L, l_t and a scalar model)."""
        if num[0] in (LOSS, LOCAL) or self.scalar_model:
            return 1
        return self._size(num[0]) if num[0] not in ("e", "alpha") else max(1, num[1])

    def _shaped(self, num, flat: list, shape: tuple) -> np.ndarray:
        """A derivative every row of which is `flat` (zeros)."""
        return self._arrange(num, [flat] * self._rows(num), shape, "vector")

    def _unknown_rows(self, num, columns: int) -> list[list]:
        label = f"d{num[0]}_{num[1]}/d"
        return [[self.opaque(f"{label}[{i},{j}]") for j in range(columns)]
                for i in range(self._rows(num))]

    def _unknown(self, num, den: str, columns: int, shape: tuple) -> np.ndarray:
        """A derivative that involves what does not exist: one opaque symbol an entry."""
        label = f"d{num[0]}_{num[1]}/d{den}"
        return self._arrange(num, [[self.opaque(f"{label}[{i},{j}]") for j in range(columns)]
                                   for i in range(self._rows(num))], shape, "vector")

    def _beyond(self, num, name: str, r: int, size: int) -> np.ndarray:
        """d num / d name[r] where one of them lies past the sequence: L and l_t depend on
        nothing there (0); anything else is an unknown."""
        if num[0] in (LOSS, LOCAL):
            return self._shaped(num, [self.zero] * size, (size, 1))
        return self._unknown(num, f"{name}_{r}", size, (size, 1))

    def contribution(self, name: str, k: int) -> np.ndarray:
        """Step k's part of dL/dp: the gradient by step k's own copy of the parameter (its
        step, readout and loss); dL/dp is the sum of these over k (tied weights)."""
        be, g = self.be, self.g
        A = g.adjoints()
        out = []
        for e in _flat(g.P[name]):
            terms = [be.diff(g.scale * g.losses[k], e)]
            for s in g.order[k]:
                terms += [a * be.diff(d, e) for a, d in zip(A[k, s], g.defs[k][s])]
            terms = [t for t in terms if t != 0]
            out.append(total(terms) if terms else self.zero)
        shape = np.shape(self.param(name))
        arr = np.empty(len(out), dtype=object)
        arr[:] = out
        return self._at_zero(arr.reshape(shape))

    # ---- generic's f and g ------------------------------------------------------------------
    def _partial(self, num, den) -> np.ndarray:
        """df[t]/d(w_h | h[t-1] | x[t]), dg[t]/d(w_o | h[t]): one step, its arguments
        held as independent (D2L's partial derivatives of f and g)."""
        (fname, t), (dname, dk) = num, den
        be, g = self.be, self.g
        if not 1 <= t <= self.n:
            raise QuantityError(f"{fname}[{t}] is outside 1..T (T = {self.T})")
        where = {"f": {"h": t - 1, "x": t}, "g": {"h": t}}[fname]
        value = g.defs[t]["h"] if fname == "f" else g.outs[t]["o"]
        if dname in g.P and dk is None:
            syms = _flat(g.P[dname])
        elif dname == "h" and dk == where.get("h"):
            syms = list(g.eta[dk, "h"])
        elif dname == "x" and dk == where.get("x"):
            syms = list(g.x(dk))
        else:
            args = "x[t], h[t-1], w_h" if fname == "f" else "h[t], w_o"
            raise QuantityError(f"{fname}[t] = {fname}({args}): its partial derivatives are "
                                f"w.r.t. those arguments, not {dname}"
                                + (f"[{dk}]" if dk is not None else ""))
        grads = [[be.diff(v, s) for s in syms] for v in value]
        return self._arrange((fname, t), grads, (len(syms), 1), "vector")


def equal_on(q: Quantities, same, a: Any, b: Any) -> bool:
    """a == b exactly on q's graph (`same`: the zero test): first with a symbol for each
    state (but those defined as an activation's atom, written as the atom), then with
    the states written out a step at a time, latest first (a claim may write a state its
    own way, h[t] as o[t] * tanh(c[t])); with every step written out the test is the
    plain expansion of the unrolled model. Before that, the adjoints dL/dh[t] (symbols
    too) are written out one at a time, earliest first: a recursion in dL/dh[t+1] meets
    dL/dh[t] written one step out. Each rewriting is an identity, so "equal" at any stage
    is a proof."""
    first = (q.unfold(a), q.unfold(b))
    deltas = [set(q.g.adjoints()[key]) for key in q.g.adjoint_order()]
    if _adjoint_free(q, a, deltas) == _adjoint_free(q, b, deltas) \
            and same(*first, cancel=False):
        return True             # (one side reading adjoints the other does not: not yet)
    for key, syms in zip(q.g.adjoint_order(), deltas):   # dL/dh[t] written out, earliest first
        fa, fb = _free(a) & syms, _free(b) & syms
        if not (fa or fb):
            continue
        a, b = q.expand_adjoint(a, key), q.expand_adjoint(b, key)
        if _adjoint_free(q, a, deltas) != _adjoint_free(q, b, deltas):
            continue            # one side still reads adjoints the other does not: on
        if same(q.unfold(a), q.unfold(b), cancel=False):
            return True
    for k in range(q.n, 0, -1):
        a, b = q.expand_states(a, k), q.expand_states(b, k)
        if q.g.atom_states(k) and all(e in q.g.atom_states(k) for name in q.g.order[k]
                                      for e in q.g.eta[k, name]):
            continue                    # written out already by unfold: nothing new
        if same(q.unfold(a, below=k), q.unfold(b, below=k), cancel=False):
            return True
    # last: SymPy's cancel of the difference (a / a, as the derivative of a log makes
    # it), on the smallest form, then on the plainest
    return same(*first) or same(q.unfold(a), q.unfold(b))


def _adjoint_free(q: Quantities, e: Any, deltas: list) -> bool:
    free = _free(e)
    return not any(free & d for d in deltas)


def _free(e: Any) -> set:
    return getattr(e, "free_symbols", set())


def _is_symbol(e: Any) -> bool:
    return getattr(e, "is_Symbol", False)


def _subs(e: Any, back: dict) -> Any:
    return e.subs(back) if back and hasattr(e, "subs") else e


def _subs_rows(rows: list[list], back: dict) -> list[list]:
    return [[_subs(x, back) for x in row] for row in rows] if back else rows


__all__ = ["LOCAL", "LOSS", "NotInGraph", "Quantities", "QuantityError", "matrix"]
