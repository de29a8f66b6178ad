"""The derivatives of the model unrolled at T (check/quantities.py names them), each from
the unrolled graph itself, never from the cell's VJP rules: symbolic/stepgraph.py holds the
steps, each state after each step a symbol defined by its step, and the chain rule over
them (each step differentiated by the backend) gives any derivative. So a claim checked
against these is checked against the ground truth, as the direct form is.

A derivative is *total* (DESIGN.md, "Formula language"): d num / d q perturbs q and
recomputes everything computed from it, later quantities of q's own step included (the
LSTM's h_t reads c_t, a stacked cell's upper layer reads the lower one). With `held`
quantities it is a partial: those keep their values (the carousel dc[t]/dc[t-1] with
h[t-1] held is diag(f[t])).

Layout: the derivative of a scalar (L, l[t]) has the denominator's shape (dL/dW is n×m,
dL/dh[t] a column); of a vector by a scalar, a column; of a vector by a vector, the
Jacobian (entry [i, j] = d num_i / d den_j, so dh[t+1]/dh[t] = diag(phi'(a[t+1])) W).
What is a matrix and what a vector follows the declared shapes, never a size of 1.

Past the sequence L and l[t] depend on nothing, so dL/dh[T+1] is 0; any other derivative
that reaches there is opaque (one symbol an entry).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SymbpttError
from ..symbolic.linalg import total
from .forms import flat, subs, subs_rows

LOSS, LOCAL = "L", "l"
OPAQUE = "?"            # prefix of the symbols that stand for what does not exist
# a loss written from another readout output than the cell's own loss reads
LOSS_FROM = {("elman_softmax", "yhat"):
             lambda be, yhat, y: -total([yi * be.log(p) for yi, p in zip(y, yhat)])}


class QuantityError(SymbpttError):
    """A quantity the model does not have (bad input: exit 2)."""


class Derivatives:
    """d num / d den on the graph of `q` (the model's Quantities, check/quantities.py, which
    remembers them and sets h_0 = 0 in them): its parameters, sizes and sequences are q's."""

    def __init__(self, q: Any) -> None:
        self.q = q
        self.spec, self.g, self.be, self.n = q.spec, q.g, q.be, q.n
        self.zero, self.one = q.zero, q.one

    def of(self, num: tuple[str, int | None], den: tuple[str, int | None],
           held: frozenset = frozenset()) -> np.ndarray:
        """d num / d den, each a (name, index or None); `held`: (name, index) pairs kept at
        their values (a partial derivative)."""
        nname, (dname, dk) = num[0], den
        self._check_held(held)
        if nname in self.q.step_functions:
            return self._partial(num, den)
        if dname in self.g.P and dk is None:
            entries = flat(self.g.P[dname])
            shape = np.shape(self.q.param(dname))
            kind = "matrix" if self.q.is_matrix(dname) else "vector" if len(entries) > 1 or \
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
        size = self.q.size(dname) if what != "output" or dname not in ("e", "alpha") else \
            max(1, min(dk, self.n))
        lo = 0 if what == "state" else 1
        if what == "x" and not 1 <= dk <= self.n:
            return self._shaped(num, [self.zero] * size, (size, 1))
        if not lo <= dk <= self.n or self._past(num):
            return self._beyond(num, dname, dk, size)
        return self._arrange(num, self._by(num, (what, dname, dk), held), (size, 1), "vector")

    def _kind(self, name: str) -> str:
        if name in self.spec.states:
            return "state"
        if name == "x":
            return "x"
        if self.n >= 1 and name in self.g.vals[1]:
            return "step"
        if name in self.q.readouts:
            return "output"
        return ""

    @property
    def _readout_names(self) -> tuple:
        return tuple(r for r in self.q.readouts if r in self.spec.intermediates)

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
            return subs_rows(direct["close"](rows), thaw)
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
        return subs_rows(direct["close"](rows), thaw)

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
            return [[subs(be.diff(di, e), back) for e in eps] for di in new_defs[nm]]
        direct = {"of": lambda v: [be.diff(v, e) for e in eps],
                  "close": lambda rows: subs_rows(rows, back), "eps": eps}
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
            out.append(subs(total(terms), back) if terms else self.zero)
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
        elif nname in self.q.readouts and nk == r:
            values = list(outs[nname])
        else:       # the readout feeds nothing but the loss: other steps do not see it
            values = [self.zero] * len(self.q.sequence(nname, nk))
        return [[subs(be.diff(v, f), back) for f in eps] for v in values]

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
        scalar_num = m == 1 and (num[0] in (LOSS, LOCAL) or self.q.scalar_model)
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
        if num[0] in (LOSS, LOCAL) or self.q.scalar_model:
            return 1
        return self.q.size(num[0]) if num[0] not in ("e", "alpha") else max(1, num[1])

    def _shaped(self, num, row: list, shape: tuple) -> np.ndarray:
        """A derivative every row of which is `row` (zeros)."""
        return self._arrange(num, [row] * self._rows(num), shape, "vector")

    def _unknown_rows(self, num, columns: int) -> list[list]:
        label = f"d{num[0]}_{num[1]}/d"
        return [[self.q.opaque(f"{label}[{i},{j}]") for j in range(columns)]
                for i in range(self._rows(num))]

    def _unknown(self, num, den: str, columns: int, shape: tuple) -> np.ndarray:
        """A derivative that involves what does not exist: one opaque symbol an entry."""
        label = f"d{num[0]}_{num[1]}/d{den}"
        return self._arrange(num, [[self.q.opaque(f"{label}[{i},{j}]") for j in range(columns)]
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
        for e in flat(g.P[name]):
            terms = [be.diff(g.scale * g.losses[k], e)]
            for s in g.order[k]:
                terms += [a * be.diff(d, e) for a, d in zip(A[k, s], g.defs[k][s])]
            terms = [t for t in terms if t != 0]
            out.append(total(terms) if terms else self.zero)
        shape = np.shape(self.q.param(name))
        arr = np.empty(len(out), dtype=object)
        arr[:] = out
        return arr.reshape(shape)

    # ---- generic's f and g ------------------------------------------------------------------
    def _partial(self, num, den) -> np.ndarray:
        """df[t]/d(w_h | h[t-1] | x[t]), dg[t]/d(w_o | h[t]): one step, its arguments
        held as independent (D2L's partial derivatives of f and g)."""
        (fname, t), (dname, dk) = num, den
        be, g = self.be, self.g
        if t == self.n + 1 and self.n == self.q.T:      # past the sequence: an unknown,
            return self._unknown(num, f"{dname}_{dk}", 1, (1, 1))  # usable where it cancels
        if not 1 <= t <= self.n:
            raise QuantityError(f"{fname}[{t}] is outside 1..T (T = {self.q.T})")
        where = {"f": {"h": t - 1, "x": t}, "g": {"h": t}}[fname]
        value = g.defs[t]["h"] if fname == "f" else g.outs[t]["o"]
        if dname in g.P and dk is None:
            syms = flat(g.P[dname])
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
