"""The unrolled model as a graph of steps, each state after each step a symbol of its own.

Step k computes its named quantities from the state symbols eta_{k-1} (and x_k, the
parameters); each state it computes is *defined* there (D_k) and stands as the symbol
eta_k from then on, in the rest of step k too (the LSTM's h_t = o_t tanh(c_t) reads the
symbol of c_t). Derivatives are taken by the chain rule on this graph, each step
differentiated by the backend: the ground truth, as `diff` of the fully nested unrolled
loss is, but its results are polynomials in the state symbols and the steps' own atoms
instead of in every atom of every earlier step. So the zero test compares small
expansions: the gradient of one GRU weight at T = 4 has 6 thousand terms here, 2.5
million written out (and 12 GB of memory to expand them).

A derivative here is *total*: d num / d q perturbs q and recomputes everything computed
from it, the later quantities of q's own step (through `put`, cells.keep) and every later
step. A partial is a total with some quantities `held` at their values.

The same graph serves a window of steps (check/frames.py): it may start from an
opaque state (any value, written sigma) and end before the sequence does, the later steps'
part of dL/ds_last an opaque cotangent (gamma), with T a symbol.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

from ..errors import SymbpttError
from ..model.spec import Dims, ModelSpec
from .backend import Backend
from .cells import Cell, Step
from .linalg import total, tree_entries
from .relu import output_of
from .unroll import _symbol_array, entry_label, target_vector

MEAN_LOSS = ("d2l_linear", "generic")      # zoo models whose L carries 1/T


class NotInGraph(SymbpttError):
    """A quantity the graph does not hold (a window asked past its steps)."""


def mean_loss(spec: ModelSpec) -> bool:
    """L = (1/T) sum_t l_t (else L = sum_t l_t)."""
    program = spec.program
    return spec.name in MEAN_LOSS if program is None else bool(program.mean)


@dataclass(frozen=True)
class Span:
    """The steps a graph holds: the state at `first` (0 and zero: h_0 = 0; else an opaque
    state), steps first+1..last, and whether steps follow `last` (their share of
    dL/ds_last an opaque cotangent). `label(k)` names position k in symbol names."""
    first: int
    last: int
    zero_start: bool = True
    future: bool = False
    label: Callable[[int], str] = str
    tangents: tuple[str, ...] = ()     # parameters whose d(start state)/dp is opaque


def _flat(v) -> list:
    return [e for _, e in tree_entries(v)] if isinstance(v, tuple) else [v]


class StepGraph:
    """The steps of `span` (see the module docstring) with their named values, state
    definitions, readouts and losses, and derivatives by the chain rule over them."""

    def __init__(self, spec: ModelSpec, cell: Cell, dims: Dims, be: Backend, span: Span,
                 T: Any) -> None:
        self.spec, self.cell, self.dims, self.be, self.span = spec, cell, dims, be, span
        self.T = T                                     # an int, or a symbol (windows)
        self.zero = be.number(Fraction(0))
        self.one = be.number(Fraction(1))
        self.P = {p.name: _symbol_array(be, p.name, dims.shape(p.shape)) for p in spec.params}
        self.scale = (self.one / T if not isinstance(T, int) else be.number(Fraction(1, T))) \
            if mean_loss(spec) else self.one
        self.m = dims.n if spec.dims_used else 1         # entries of one state
        self._x: dict = {}
        self._y: dict = {}
        self.opaque: dict = {}                         # label -> symbol
        self.eta: dict = {}                            # (k, state) -> symbols
        self.defs: dict = {}                           # (k, state) -> definition exprs
        self.order: dict = {}                          # k -> states in computation order
        self.vals: dict = {}                           # k -> named values of step k
        self.outs: dict = {}                           # k -> readout values at k
        self.losses: dict = {}                         # k -> l_k as written (unscaled)
        first, last = span.first, span.last
        # the start state is a symbol too: with h_0 = 0 it is set to 0 in what the graph
        # gives out (`at_zero`), after the derivatives by it are taken
        prefix = "eta" if span.zero_start else "sigma"
        for name in spec.states:
            self.eta[first, name] = tuple(self.symbol(f"{prefix}:{name}_{span.label(first)}[{i}]")
                                          for i in range(self.m))
        self.at_zero = {e: self.zero for name in spec.states for e in self.eta[first, name]} \
            if span.zero_start else {}
        for k in range(first + 1, last + 1):
            self._run_step(k)
        self.gamma = {name: tuple(self.symbol(f"gamma:{name}_{span.label(last)}[{i}]")
                                  for i in range(self.m)) for name in spec.states} \
            if span.future else {}
        self._adjoints: dict | None = None
        self._atom_states: dict = {}
        self._relu_slopes: dict = {}

    # ---- symbols --------------------------------------------------------------------------
    def symbol(self, label: str) -> Any:
        if label not in self.opaque:
            self.opaque[label] = self.be.symbol(label)
        return self.opaque[label]

    def x(self, k: int) -> tuple:
        if k not in self._x:
            shape = self.dims.shape(self.spec.input_shape)
            self._x[k] = _vec(_symbol_array(
                self.be, "x", shape, lambda _, i, k=k: _seq(f"x_{self.span.label(k)}", i)))
        return self._x[k]

    def y(self, k: int) -> tuple:
        if k not in self._y:
            if self.spec.target_shape is None:
                self._y[k] = ()
            else:
                self._y[k] = _relabel(self, target_vector(self.spec, self.be, k, self.dims), k)
        return self._y[k]

    def state(self, k: int) -> tuple:
        """s_k: the states' symbols at k, laid end to end (LSTM: h then c)."""
        return tuple(e for name in self.spec.states for e in self.eta[k, name])

    @property
    def eta_symbols(self) -> list:
        """Every state symbol after a step (they have definitions), in step order."""
        return [e for k in range(self.span.first + 1, self.span.last + 1)
                for name in self.order[k] for e in self.eta[k, name]]

    def holds(self, k: int) -> bool:
        return self.span.first <= k <= self.span.last

    # ---- the steps ----------------------------------------------------------------------------
    def _run(self, k: int, overrides: dict | None = None, record: bool = False):
        """Step k (and its readout and loss) with named values replaced as `overrides`
        says: (values, definitions, order, readout values, l_k)."""
        be, P, states = self.be, self.P, self.spec.states
        overrides = overrides or {}
        vals: dict = {}
        defs: dict = {}
        order: list = []

        def put(name, value):
            if name in states:
                defs[name] = tuple(value)
                order.append(name)
                out = self.eta[k, name] if not record else self._new_eta(k, name)
            else:
                out = overrides.get(name, value)
            vals[name] = tuple(out) if isinstance(out, tuple) else (out,)
            return out

        s_prev = self.state(k - 1)
        step_vals, _ = self.cell.step(be, P, s_prev, self.x(k), put=put)
        vals.update({n: v for n, v in step_vals.items() if n not in vals})
        s_k = self.state(k) if not record else tuple(
            e for name in states for e in self.eta[k, name])
        outs = {}
        if self.cell.readout is not None:
            if self.cell.shortcut is not None and (not self.span.zero_start or
                                                   self.span.future):
                raise NotInGraph(f"{self.spec.name}'s readout reads every input so far: it "
                                 "has no window of a few steps")
            xs = tuple(self.x(j) for j in range(max(1, self.span.first + 1), k + 1))

            def put_out(name, value):
                out = overrides.get(name, value)
                outs[name] = tuple(out) if isinstance(out, tuple) else (out,)
                return out
            outs = {**self.cell.readout(be, P, s_k, xs, put=put_out), **outs}
        st = Step(k, self.x(k), s_prev, {**vals, **outs, **{n: self.eta[k, n] for n in states}},
                  s_k)
        loss = self.cell.loss(be, P, st, self.y(k), 1)
        return vals, defs, order, outs, loss

    def _new_eta(self, k: int, name: str) -> tuple:
        sym = tuple(self.be.symbol(f"eta:{name}_{self.span.label(k)}[{i}]")
                    for i in range(self.m))
        self.eta[k, name] = sym
        return sym

    def _run_step(self, k: int) -> None:
        vals, defs, order, outs, loss = self._run(k, record=True)
        self.vals[k], self.defs[k], self.order[k] = vals, defs, tuple(order)
        self.outs[k], self.losses[k] = outs, loss

    # ---- values -----------------------------------------------------------------------------
    def value(self, name: str, k: int) -> tuple:
        """A named quantity at step k: a state's symbols, an intermediate or an output."""
        if name in self.spec.states:
            return self.eta[k, name]
        if k in self.vals and name in self.vals[k]:
            return self.vals[k][name]
        if k in self.outs and name in self.outs[k]:
            return self.outs[k][name]
        raise KeyError(name)

    def names_at(self, k: int) -> tuple[str, ...]:
        return tuple(self.vals.get(k, {})) + tuple(self.outs.get(k, {}))

    @property
    def loss(self) -> Any:
        """L as the graph sees it: (1/T) sum l_k (or sum l_k) over its steps, plus the later
        steps' share, gamma . s_last, when steps follow."""
        terms = [self.scale * self.losses[k] for k in sorted(self.losses)]
        for name, g in self.gamma.items():
            terms += [gi * e for gi, e in zip(g, self.eta[self.span.last, name])]
        return total(terms) if terms else self.zero

    def atom_states(self, k: int) -> dict:
        """{state symbol: its definition} for step k's states defined as an activation's
        atom (tanh(u), exp, log), or c0 + c1 times one (a sigmoid, (1 + tanh(u/2)) / 2):
        written as the atom, 1 - h^2 is one slope atom to the zero test (SlopeAtoms)
        instead of two terms, and a claim's h[t+1] meets the derivative's tanh(a[t+1])."""
        if k not in self._atom_states:
            out = {}
            for name in self.order.get(k, ()):
                for e, d in zip(self.eta[k, name], self.defs[k][name]):
                    atom, _, _ = _affine_atom(d)
                    if atom is not None:
                        out[e] = d.subs(self.at_zero) if self.at_zero and \
                            k == self.span.first + 1 else d
            self._atom_states[k] = out
        return self._atom_states[k]

    def relu_slopes(self, k: int) -> dict:
        """{relu_step(state symbol): relu_step(u)} for step k's states defined as relu(u)
        or leaky_relu(u, l): their sign is u's, so a claim's relu'(h[t]), the slope read
        from the output, meets the derivative's relu'(a[t])."""
        if k not in self._relu_slopes:
            out = {}
            for name in self.order.get(k, ()):
                for e, d in zip(self.eta[k, name], self.defs[k][name]):
                    u = output_of(d)
                    if u is not None:
                        if self.at_zero and k == self.span.first + 1:
                            u = u.subs(self.at_zero)
                        out[self.be.step(e)] = self.be.step(u)
            self._relu_slopes[k] = out
        return self._relu_slopes[k]

    def point(self, value_of: Callable[[Any], float]) -> dict:
        """Float values at a point: each free symbol value_of(it), each state symbol the
        value its step gives it there (its start state's too, 0 when h_0 = 0)."""
        out = dict(self.at_zero)
        self.adjoints()

        def num(e):
            free = getattr(e, "free_symbols", ())
            if free:
                e = e.subs({s: out[s] if s in out else value_of(s) for s in free})
            return float(e)
        for k in range(self.span.first + 1, self.span.last + 1):
            for name in self.order[k]:
                for e, d in zip(self.eta[k, name], self.defs[k][name]):
                    out[e] = num(d)
        for key in reversed(self.adjoint_order()):      # adjoints: latest first
            for e, d in zip(self._adjoints[key], self.adjoint_defs[key]):
                out[e] = num(d)
        return out

    # ---- derivatives: the chain rule over the graph ----------------------------------------
    def _deps(self, k: int, name: str) -> list[tuple[tuple, int, Any]]:
        """((k', state), i, symbol) for every state symbol D_k[name] may read: the states at
        k-1 and those step k computed before `name`."""
        out = [((k - 1, s), i, e) for s in self.spec.states
               for i, e in enumerate(self.eta[k - 1, s])]
        for s in self.order[k]:
            if s == name:
                break
            out += [((k, s), i, e) for i, e in enumerate(self.eta[k, s])]
        return out

    def adjoints(self) -> dict:
        """dL/d(state symbol) for every state in the graph, as symbols of their own
        (delta:h_t[i]), each defined (`adjoint_defs`) by reverse accumulation over the
        steps, latest first, each step's definition differentiated by the backend, from the
        symbols of the states after it. Like a state, an adjoint written as its symbol keeps
        expansions small: dL/dW is then a sum over t of local terms, and a claim written
        with dL/dh[t+1] compares with dL/dh[t] once that is written one step out."""
        if self._adjoints is not None:
            return self._adjoints
        be = self.be
        # the loss's own part of each adjoint: only the terms that read a state (a step's
        # loss reads that step's states: differentiating the whole sum by each state
        # symbol would be quadratic in T)
        where = {e: (key, i) for key, sym in self.eta.items() for i, e in enumerate(sym)}
        A = {key: [self.zero] * len(sym) for key, sym in self.eta.items()}
        terms = [self.scale * self.losses[k] for k in sorted(self.losses)]
        for name, g in self.gamma.items():
            terms += [gi * e for gi, e in zip(g, self.eta[self.span.last, name])]
        for term in terms:
            for e in getattr(term, "free_symbols", ()):
                if e in where:
                    key, i = where[e]
                    A[key][i] = A[key][i] + be.diff(term, e)
        sym = {key: tuple(self.symbol(f"delta:{key[1]}_{self.span.label(key[0])}[{i}]")
                          for i in range(len(v))) for key, v in self.eta.items()}
        for k in range(self.span.last, self.span.first, -1):
            for name in reversed(self.order[k]):
                a, D = sym[k, name], self.defs[k][name]
                for key, j, e in self._deps(k, name):
                    terms = [ai * be.diff(di, e) for ai, di in zip(a, D)]
                    A[key][j] = total([A[key][j]] + [t for t in terms if t != 0])
        zero = self.at_zero          # h_0 = 0 once the derivatives by it are taken
        self.adjoint_defs = {key: tuple(e.subs(zero) if zero and hasattr(e, "subs") else e
                                        for e in v) for key, v in A.items()}
        self._adjoints = sym
        return sym

    def adjoint_order(self) -> list:
        """The adjoint symbols' keys, earliest first: each is defined from later ones (and,
        in one step, from the states computed after it)."""
        self.adjoints()
        return [(k, name) for k in range(self.span.first, self.span.last + 1)
                for name in (self.order[k] if k > self.span.first else self.spec.states)]

    def tangents(self, init: dict, frm: int, seed: Callable | None = None,
                 held: frozenset = frozenset(), defs: Callable | None = None) -> dict:
        """Forward accumulation of a perturbation: (k, state) -> rows (one per entry, each a
        list over the perturbation's columns) for every state it reaches.

        `init` holds the tangents given (the perturbed state itself, or an opaque start's);
        steps frm.. are followed, each state's tangent the sum over the symbols its
        definition reads of d D / d symbol times theirs, plus seed(k, name, D) (the direct
        part: d D / d p for a parameter, or None). `held` states keep a tangent of 0;
        defs(k) gives step k's definitions (a step re-run with something held), else its
        own."""
        be = self.be
        Tg = dict(init)
        for k in range(frm, self.span.last + 1):
            step_defs = defs(k) if defs is not None else self.defs[k]
            for name in self.order[k]:
                if (k, name) in held or (k, name) in init:
                    continue
                D = step_defs[name]
                direct = seed(k, name, D) if seed is not None else None
                rows = [list(r) for r in direct] if direct is not None else None
                for key, j, sym in self._deps(k, name):
                    col = Tg[key][j] if key in Tg else None
                    if col is None or all(c == 0 for c in col):
                        continue
                    for i, di in enumerate(D):
                        d = be.diff(di, sym)
                        if d == 0:
                            continue
                        if rows is None:
                            rows = [[self.zero] * len(col) for _ in D]
                        rows[i] = [r + d * c for r, c in zip(rows[i], col)]
                if rows is not None:
                    Tg[k, name] = rows
        return Tg

    def chain(self, expr: Any, Tg: dict, width: int) -> list:
        """d expr / d seed through the state symbols: sum over symbols of
        d expr / d symbol times the symbol's tangent (a row over the seed's columns)."""
        out = [self.zero] * width
        for (k, name), rows in Tg.items():
            for e, row in zip(self.eta[k, name], rows):
                d = self.be.diff(expr, e)
                if d != 0:
                    out = [o + d * r for o, r in zip(out, row)]
        return out


def _affine_atom(d: Any) -> tuple:
    """(atom, c0, c1) when d = c0 + c1 * atom for a tanh / exp / log atom and numbers
    c0, c1 != 0; else (None, 0, 0)."""
    if _is_atom(d):
        return d, 0, 1
    args = getattr(d, "args", ())
    if not args or not hasattr(d, "is_Add"):
        return None, 0, 0
    try:
        import symengine as se
    except ImportError:          # pragma: no cover
        return None, 0, 0
    if not isinstance(d, (se.Add, se.Mul)):
        return None, 0, 0
    atoms = [a for a in _atoms_in(d) if _is_atom(a)]
    if len(atoms) != 1:
        return None, 0, 0
    tau = atoms[0]
    x = se.Symbol("_fold_probe")
    poly = se.expand(d.subs({tau: x}))
    c1 = se.diff(poly, x)
    c0 = se.expand(poly - c1 * x)
    if c1.free_symbols or c0.free_symbols or c1 == 0:
        return None, 0, 0
    return tau, c0, c1


def _is_atom(d: Any) -> bool:
    name = type(d).__name__
    return name in ("tanh", "log") or (name == "Pow" and str(d.args[0]) == "E")


def _atoms_in(d: Any) -> list:
    out, todo = [], [d]
    while todo:
        n = todo.pop()
        if _is_atom(n):
            out.append(n)
        else:
            todo.extend(getattr(n, "args", ()))
    return list(dict.fromkeys(out))


def _vec(v) -> tuple:
    return v if isinstance(v, tuple) else (v,)


def _seq(name: str, index: tuple) -> str:
    return entry_label(name, index)


def _relabel(g: StepGraph, y: tuple, k: int) -> tuple:
    """y_k's symbols named by the graph's label of position k (a window's t+1)."""
    if g.span.label is str:
        return y
    ren = {s: g.be.symbol(str(s).replace(f"y_{k}", f"y_{g.span.label(k)}", 1))
           for e in y for s in getattr(e, "free_symbols", ()) if str(s).startswith(f"y_{k}")}
    return tuple(e.subs(ren) if ren and hasattr(e, "subs") else e for e in y)
