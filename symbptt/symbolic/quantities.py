"""The quantities a claim may use, at one T: parameters, sequences and derivatives.

Every derivative comes from the unrolled graph itself, never from the cell's VJP rules:
the graph is cut at the denominator (a fresh symbol stands where h_r, o_r or w_h was),
the numerator is rebuilt from there by the forward rules, differentiated by the backend,
and the cut is closed again by substituting the actual value. So a claim checked
against these is checked against the ground truth, as the direct form is.

Layout: the derivative of a scalar (L, l[t]) has the denominator's shape (dL/dW is n×m,
dL/dh[t] a column); of a vector by a scalar, a column; of a vector by a vector, the
Jacobian (entry [i, j] = d num_i / d den_j, so dh[t+1]/dh[t] = diag(phi'(a[t+1])) W).

Beyond the sequence (h[T+1], a[0], x[-1], ...) a quantity is an opaque symbol: a claim
may mention one only where it cancels (multiplied by a zero boundary value). L and
l[t] depend on nothing past T, so dL/dh[T+1] is 0.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import SymbpttError
from ..spec import Dims, ModelSpec
from .backend import Backend
from .cells import Cell, Step
from .linalg import total, tree_entries
from .unroll import Unrolled, unroll

LOSS, LOCAL = "L", "l"
OPAQUE = "?"            # prefix of the symbols that stand for what does not exist
# a pre-activation computed inside the step, and the bias that enters it alone and
# additively: d/da[r] is d/d(step r's own copy of that bias)
PREACTIVATION_BIAS = {"elman": {"a": "b"}, "residual": {"a": "b"},
                      "elman_softmax": {"a": "b_h", "o": "b_y"}}
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

    def __init__(self, spec: ModelSpec, cell: Cell, T: int, dims: Dims, be: Backend,
                 activation: str | None = None) -> None:
        self.spec, self.cell, self.T, self.dims, self.be = spec, cell, T, dims, be
        self.activation = activation
        self.u: Unrolled = unroll(spec, cell, T, dims, be)
        self.readouts = tuple(cell.readout(be, self.u.params, self.u.steps[0].s,
                                           self.u.xs[:1]).keys()) if cell.readout else ()
        self._memo: dict = {}
        self._opaque: dict = {}
        self.zero = be.number(Fraction(0))

    # ---- what the model has ------------------------------------------------------------
    @property
    def scalar_model(self) -> bool:
        return not self.spec.dims_used

    @property
    def step_functions(self) -> tuple[str, ...]:
        """Names of the model's undefined step/readout functions (generic: f, g)."""
        text = " ".join(self.spec.equations)
        return tuple(f for f in ("f", "g") if f"= {f}(" in text)

    def param(self, name: str) -> np.ndarray:
        return matrix(self.u.params[name])

    def sequence(self, name: str, k: int) -> np.ndarray:
        """x[k], y[k], h[k], a[k], o[k], ...: h[0] = c[0] = 0; past the ends, opaque."""
        key = ("seq", name, k)
        if key not in self._memo:
            self._memo[key] = matrix(self._sequence(name, k))
        return self._memo[key]

    def _sequence(self, name: str, k: int) -> Any:
        if name in self.spec.states and k == 0:
            return tuple(self.zero for _ in self._part(self.u.steps[0].s, name))
        if 1 <= k <= self.T:
            if name == "x":
                return self.u.xs[k - 1]
            if name == "y":
                return self.u.ys[k - 1]
            return self.u.steps[k - 1].vals[name]
        return self._opaque_vector(name, k)

    def _opaque_vector(self, name: str, k: int) -> tuple:
        size = len(_flat(self._sequence(name, min(max(k, 1), self.T))))
        if name in ("e", "alpha"):          # attention's rows grow with t
            size = max(k, 1)
        return tuple(self.opaque(f"{name}_{k}[{i}]") for i in range(size))

    def opaque(self, label: str) -> Any:
        if label not in self._opaque:
            self._opaque[label] = self.be.symbol(OPAQUE + label)
        return self._opaque[label]

    @property
    def opaque_symbols(self) -> tuple:
        return tuple(self._opaque.values())

    def _part(self, s: tuple, name: str) -> tuple:
        """The state component `name` of a flat state tuple (LSTM: h then c)."""
        m = len(s) // len(self.spec.states)
        i = self.spec.states.index(name)
        return s[i * m:(i + 1) * m]

    # ---- losses --------------------------------------------------------------------------
    def _local_loss(self, st: Step, scaled: bool) -> Any:
        """l_t as the model's equations write it; with `scaled`, as it enters L (the
        models whose L carries 1/T: l_t / T)."""
        return self.cell.loss(self.be, self.u.params, st, self.u.ys[st.t - 1],
                              self.T if scaled else 1)

    # ---- derivatives ---------------------------------------------------------------------
    def derivative(self, num: tuple[str, int | None], den: tuple[str, int | None]) -> np.ndarray:
        """d num / d den, each a (name, index or None)."""
        key = ("d", num, den)
        if key not in self._memo:
            self._memo[key] = self._derivative(num, den)
        return self._memo[key]

    def _derivative(self, num, den) -> np.ndarray:
        nname, (dname, dk) = num[0], den
        if nname in self.step_functions:
            return self._partial(num, den)
        if dname in self.u.params and dk is None:
            return self._total(num, _flat(self.u.params[dname]),
                               np.shape(self.param(dname)))
        if dname == "x":
            if not 1 <= dk <= self.T:
                return self._shaped(num, [self.zero] * len(self.u.xs[0]),
                                    (len(self.u.xs[0]), 1))
            return self._total(num, list(self.u.xs[dk - 1]), (len(self.u.xs[dk - 1]), 1))
        if dname in self.spec.states:
            return self._through_state(num, dname, dk)
        bias = PREACTIVATION_BIAS.get(self.spec.name, {}).get(dname)
        if bias is not None:
            return self._through_preactivation(num, dname, dk, bias)
        if dname in self.readouts:
            return self._through_readout(num, dname, dk)
        raise QuantityError(
            f"d{nname}/d{dname}[...] is not available: {dname}[t] is computed inside the step "
            f"(derivatives are taken w.r.t. parameters, x[t], the state "
            f"{', '.join(s + '[t]' for s in self.spec.states)}"
            + (f" or the outputs {', '.join(r + '[t]' for r in self._readout_names)}"
               if self._readout_names else "") + ")")

    @property
    def _readout_names(self) -> tuple:
        return tuple(r for r in self.readouts if r in self.spec.intermediates)

    def _numerator(self, num, steps: dict, losses: dict, scaled_losses: dict) -> list:
        """The numerator from (possibly rebuilt) steps {t: Step} and losses {t: l_t}."""
        name, k = num
        if name == LOSS:
            return [total(list(scaled_losses.values())) if scaled_losses else self.zero]
        if name == LOCAL:
            return [losses.get(k, self.zero)]
        if k in steps:
            st = steps[k]
            return list(self._part(st.s, name) if name in self.spec.states
                        else st.vals[name]) if name != "x" else list(st.x)
        return None                     # does not depend on the cut

    def _total(self, num, symbols: list, shape: tuple) -> np.ndarray:
        """Through every path: the unrolled values as they are."""
        name, k = num
        steps = {st.t: st for st in self.u.steps}
        if name not in (LOSS, LOCAL) and not 0 <= (k or 0) <= self.T:
            return self._unknown(num, str(symbols[0]).split("[")[0], len(symbols), shape)
        losses = {k: self._local_loss(steps[k], False)} if name == LOCAL and k in steps else {}
        scaled = {t: l for t, l in enumerate(self.u.losses, start=1)} if name == LOSS else {}
        values = self._numerator(num, steps, losses, scaled)
        if values is None:                         # h[0], c[0]: constants
            values = [self.zero] * len(self.sequence(name, k))
        grads = [[self.be.diff(v, s) for s in symbols] for v in values]
        return self._arrange(num, grads, shape)

    def _arrange(self, num, grads: list[list], shape: tuple) -> np.ndarray:
        """grads[i][j] = d num_i / d den_j, laid out as the module docstring says."""
        m, k = len(grads), len(grads[0]) if grads else 0
        scalar_num = m == 1 and (num[0] in (LOSS, LOCAL) or self.scalar_model)
        if scalar_num:
            out = np.empty(k, dtype=object)
            out[:] = grads[0]
            return out.reshape(shape if len(shape) == 2 else (k, 1))
        if k == 1:
            out = np.empty((m, 1), dtype=object)
            out[:, 0] = [g[0] for g in grads]
            return out
        if len(shape) == 2 and shape[1] > 1:
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
        return self._numerator_size(num)

    def _numerator_size(self, num) -> int:
        return len(_flat(self._sequence(num[0], num[1])))

    def _shaped(self, num, flat: list, shape: tuple) -> np.ndarray:
        """A derivative every row of which is `flat` (zeros)."""
        return self._arrange(num, [flat] * self._rows(num), shape)

    def _unknown(self, num, den: str, columns: int, shape: tuple) -> np.ndarray:
        """A derivative that involves what does not exist: one opaque symbol an entry."""
        label = f"d{num[0]}_{num[1]}/d{den}"
        return self._arrange(num, [[self.opaque(f"{label}[{i},{j}]") for j in range(columns)]
                                   for i in range(self._rows(num))], shape)

    def _cut(self, values: list, label: str) -> tuple[list, dict]:
        fresh = [self.be.symbol(f"{OPAQUE}cut:{label}[{i}]") for i in range(len(values))]
        return fresh, dict(zip(fresh, values))

    def _close(self, grads: list[list], back: dict) -> list[list]:
        if not back:
            return grads
        return [[g.subs(back) if hasattr(g, "subs") else g for g in row] for row in grads]

    def _rebuild(self, r: int, s_r: tuple) -> tuple[dict, dict, dict]:
        """Steps r..T with the state after step r replaced by s_r (r = 0: every step);
        the readout at r recomputed. Returns ({t: Step}, {t: l_t}, {t: l_t as in L})."""
        be, P, u = self.be, self.u.params, self.u
        steps, losses, scaled = {}, {}, {}
        if r >= 1:
            old = u.steps[r - 1]
            vals = dict(old.vals)
            for name in self.spec.states:
                vals[name] = self._part(s_r, name)
            if self.cell.readout is not None:
                vals.update(self.cell.readout(be, P, s_r, u.xs[:r]))
            steps[r] = Step(r, old.x, old.s_prev, vals, s_r)
        s = s_r
        for t in range(r + 1, self.T + 1):
            vals, s_new = self.cell.step(be, P, s, u.xs[t - 1])
            if self.cell.readout is not None:
                vals = {**vals, **self.cell.readout(be, P, s_new, u.xs[:t])}
            steps[t] = Step(t, u.xs[t - 1], s, vals, s_new)
            s = s_new
        for t, st in steps.items():
            losses[t] = self._local_loss(st, False)
            scaled[t] = self._local_loss(st, True)
        return steps, losses, scaled

    def _beyond(self, num, name: str, r: int, size: int) -> np.ndarray:
        """d num / d name[r] where one of them lies past the sequence: L and l_t depend on
        nothing there (0); anything else is an unknown."""
        if num[0] in (LOSS, LOCAL):
            return self._shaped(num, [self.zero] * size, (size, 1))
        return self._unknown(num, f"{name}_{r}", size, (size, 1))

    def _differentiate(self, num, rebuilt: tuple, fresh: list, back: dict) -> np.ndarray:
        """The numerator from the rebuilt graph, by the fresh symbols, the cut closed."""
        values = self._numerator(num, *rebuilt)
        if values is None:                  # before the cut: no dependence
            values = [self.zero] * self._numerator_size(num)
        grads = [[self.be.diff(v, f) for f in fresh] for v in values]
        return self._arrange(num, self._close(grads, back), (len(fresh), 1))

    def _past(self, num) -> bool:
        return num[0] not in (LOSS, LOCAL) and not 0 <= num[1] <= self.T

    def _through_state(self, num, name: str, r: int) -> np.ndarray:
        size = len(self._part(self.u.steps[0].s, name))
        if not 0 <= r <= self.T or self._past(num):
            return self._beyond(num, name, r, size)
        actual = self._part(self.u.steps[r - 1].s, name) if r >= 1 else \
            tuple(self.zero for _ in range(size))
        fresh, back = self._cut(list(actual), f"{name}_{r}")
        s_actual = self.u.steps[r - 1].s if r >= 1 else \
            tuple(self.zero for _ in self.u.steps[0].s)
        i = self.spec.states.index(name)
        s_r = s_actual[:i * size] + tuple(fresh) + s_actual[(i + 1) * size:]
        return self._differentiate(num, self._rebuild(r, s_r), fresh, back)

    def _through_preactivation(self, num, name: str, r: int, bias: str) -> np.ndarray:
        """d num / d a[r] (or o[r]): step r and its readout rebuilt with its bias b + eps
        (eps fresh), then the steps after it; differentiated at eps = 0."""
        size = len(self.u.params[bias])
        if not 1 <= r <= self.T or self._past(num):
            return self._beyond(num, name, r, size)
        fresh, _ = self._cut([self.zero] * size, f"{name}_{r}")
        back = {f: self.zero for f in fresh}
        be, P, u = self.be, self.u.params, self.u
        nudged = {**P, bias: tuple(b + e for b, e in zip(P[bias], fresh))}
        old = u.steps[r - 1]
        vals, s_r = self.cell.step(be, nudged, old.s_prev, old.x)
        if self.cell.readout is not None:
            vals = {**vals, **self.cell.readout(be, nudged, s_r, u.xs[:r])}
        steps, losses, scaled = self._rebuild(r, s_r)
        steps[r] = Step(r, old.x, old.s_prev, {**steps[r].vals, **vals}, s_r)
        losses[r], scaled[r] = (self._local_loss(steps[r], False),
                                self._local_loss(steps[r], True))
        return self._differentiate(num, (steps, losses, scaled), fresh, back)

    def _through_readout(self, num, name: str, r: int) -> np.ndarray:
        """d num / d o[r] (a readout output): only step r's loss reads it."""
        nname, nk = num
        size = len(self.sequence(name, max(1, min(r, self.T))))
        shape = (size, 1)
        if not 1 <= r <= self.T:
            return self._shaped(num, [self.zero] * size, shape)
        old = self.u.steps[r - 1]
        fresh, back = self._cut(list(old.vals[name]), f"{name}_{r}")
        st = Step(r, old.x, old.s_prev, {**old.vals, name: tuple(fresh)}, old.s)
        if nname in (LOSS, LOCAL):
            loss = self._loss_from(st, name, nname == LOSS)
            values = [loss] if nname == LOSS or nk == r else [self.zero]
        elif nname == name and nk == r:
            values = list(fresh)
        elif nname in self.readouts and nk == r:
            raise QuantityError(f"d{nname}/d{name}[t] is not available: both are outputs of "
                                f"step t's readout; write it through the state (d{nname}[t]/dh[t]) "
                                "or by a parameter")
        else:       # the readout feeds nothing but the loss: other steps do not see it
            values = [self.zero] * self._numerator_size(num)
        grads = [[self.be.diff(v, f) for f in fresh] for v in values]
        return self._arrange(num, self._close(grads, back), shape)

    def _loss_from(self, st: Step, name: str, scaled: bool):
        """l_t written from the readout output `name` (elman_softmax's loss is written from
        o; from yhat it is -y . log yhat, the same function on the softmax's image)."""
        loss = self._local_loss(st, scaled)
        fresh = st.vals[name]
        if any(self.be.diff(loss, f) != 0 for f in fresh):
            return loss
        written = LOSS_FROM.get((self.spec.name, name))
        if written is None:
            others = [r for r in self._readout_names if r != name]
            raise QuantityError(
                f"d{LOCAL}/d{name}[t] is not available for {self.spec.name}: its loss is "
                f"written from {', '.join(o + '[t]' for o in others)}, not from {name}[t]")
        return written(self.be, fresh, self.u.ys[st.t - 1])

    def _partial(self, num, den) -> np.ndarray:
        """df[t]/d(w_h | h[t-1] | x[t]), dg[t]/d(w_o | h[t]): one step, its arguments
        held as independent (D2L's partial derivatives of f and g)."""
        (fname, t), (dname, dk) = num, den
        be, P, u = self.be, dict(self.u.params), self.u
        if not 1 <= t <= self.T:
            raise QuantityError(f"{fname}[{t}] is outside 1..T (T = {self.T})")
        st = u.steps[t - 1]
        s_prev, x, s = st.s_prev, st.x, st.s
        where = {"f": {"h": t - 1, "x": t}, "g": {"h": t}}[fname]
        if dname in P and dk is None:
            fresh, back = self._cut(_flat(P[dname]), dname)
            P[dname] = fresh[0] if not isinstance(P[dname], tuple) else tuple(fresh)
        elif dname == "h" and dk == where.get("h"):
            fresh, back = self._cut(list(s_prev if fname == "f" else s), f"h_{dk}")
            s_prev, s = (tuple(fresh), s) if fname == "f" else (s_prev, tuple(fresh))
        elif dname == "x" and dk == where.get("x"):
            fresh, back = self._cut(list(x), f"x_{dk}")
            x = tuple(fresh)
        else:
            args = "x[t], h[t-1], w_h" if fname == "f" else "h[t], w_o"
            raise QuantityError(f"{fname}[t] = {fname}({args}): its partial derivatives are "
                                f"w.r.t. those arguments, not {dname}"
                                + (f"[{dk}]" if dk is not None else ""))
        if fname == "f":
            value = self.cell.step(be, P, s_prev, x)[1]
        else:
            value = tuple(self.cell.readout(be, P, s, u.xs[:t])["o"])
        grads = [[be.diff(v, f) for f in fresh] for v in value]
        return self._arrange((fname, t), self._close(grads, back), (len(fresh), 1))
