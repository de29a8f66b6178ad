"""A model's cell as equations: what derive starts from, for a zoo model or a model file.

A zoo model's equations sit next to its rule table (symbolic/cells, `equations_for`); a
model file's are its own [cell]. Either way derive reads the equations, never the rules,
and check then proves what it derived against the rules (or the model file's program).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SymbpttError
from ..formula.parse import parse_equation
from ..formula.tree import Equation, Idx, Name, names
from ..model.spec import ModelSpec
from ..symbolic.cells import equations_for
from .rules import Opaque, Shapes

T = Idx.var("t")


def _generic() -> tuple:
    """generic (seeds 002, 003): h[t] = f(x[t], h[t-1], w_h), o[t] = g(h[t], w_o),
    l[t] = l(y[t], o[t]) with f, g and l undefined: their partials are the atoms."""
    x, h1, h, o, y = (Name("x", T), Name("h", T.shift(-1)), Name("h", T), Name("o", T),
                      Name("y", T))
    eqs = (Equation(h, Opaque("f", (x, h1, Name("w_h"))), "h[t] = f(x[t], h[t-1], w_h)"),
           Equation(o, Opaque("g", (h, Name("w_o"))), "o[t] = g(h[t], w_o)"))
    return eqs, Equation(Name("l", T), Opaque("l", (y, o)), "l[t] = l(y[t], o[t])"), True


@dataclass(frozen=True)
class CellEquations:
    model: str
    equations: tuple[Equation, ...]     # name[t] = ..., in the order they compute
    loss: Equation                      # l[t] = ...
    mean: bool                          # L = (1/T) sum_t l[t]
    states: tuple[str, ...]             # the sequences read at t-1
    shapes: Shapes
    simplex_targets: bool = False       # y[t] sums to 1

    @property
    def defined(self) -> tuple[str, ...]:
        return tuple(e.lhs.name for e in self.equations)


def _attention(spec: ModelSpec) -> CellEquations:
    """attention (seed 001): the context c[t] = sum(k=1..t, alpha[t,k] x[k]), alpha[t] =
    softmax(h[t].T @ W_a @ x[k], k <= t), reads every input so far: the language writes
    it through its partials dc[t]/dh[t] and (dc[t]/dx[k] | h[t])."""
    h, h1, x, o, c, y = (Name("h", T), Name("h", T.shift(-1)), Name("x", T), Name("o", T),
                         Name("c", T), Name("y", T))
    p = lambda s: parse_equation(s, "attention's equation")  # noqa: E731
    eqs = (p("h[t] = tanh(W @ h[t-1] + U @ x[t] + b)"),
           Equation(c, Opaque("c", (h, Name("W_a")), ("d",), every_k=("x",), loss_only=True),
                    "c[t] = sum(k=1..t, alpha[t,k] * x[k]), alpha[t] = "
                    "softmax(h[t].T @ W_a @ x[k], k = 1..t)"),
           p("o[t] = W_o @ h[t] + V_o @ c[t]"))
    loss = p("l[t] = (o[t] - y[t]).T @ (o[t] - y[t]) / 2")
    params = {q.name: tuple(q.shape) for q in spec.params}
    shapes = Shapes(params, {"x": ("d",), "y": ("q",), "h": ("n",), "c": ("d",),
                             "o": ("q",)})
    del h1, x, o, y
    return CellEquations(spec.name, eqs, loss, False, ("h",), shapes)


def cell_equations(spec: ModelSpec) -> CellEquations:
    """The cell of a zoo model or a model file as parsed equations with their shapes."""
    if spec.program is None and spec.name == "attention":
        return _attention(spec)
    if spec.program is None and spec.name == "generic":
        equations, loss_eq, mean = _generic()
        shapes = Shapes({"w_h": (), "w_o": ()}, {"x": (), "y": (), "h": (), "o": ()})
        return CellEquations(spec.name, equations, loss_eq, mean, ("h",), shapes)
    if spec.program is not None:
        texts = spec.equations
        loss = spec.loss.rsplit(", L = ", 1)[0]
        mean, simplex = spec.program.mean, False
    else:
        found = equations_for(spec.name)
        if found is None:
            raise SymbpttError(f"derive does not cover {spec.name} yet: its cell is not "
                               f"written as equations of the formula language")
        texts, loss, mean, simplex = found.equations, found.loss, found.mean, \
            found.simplex_targets
    equations = tuple(parse_equation(t, f"{spec.name}'s equation") for t in texts)
    loss_eq = parse_equation(loss, f"{spec.name}'s loss")
    states = tuple(dict.fromkeys(n.name for e in equations for n in names(e.rhs)
                                 if n.index == T.shift(-1)))
    params = {p.name: tuple(p.shape) for p in spec.params}
    state_shape = ("n",) if "n" in spec.dims_used else ()
    seqs = {"x": tuple(spec.input_shape)}
    if spec.target_shape is not None:
        seqs["y"] = tuple(spec.target_shape)
    seqs.update({s: state_shape for s in states})
    shapes = Shapes(params, seqs)
    for e in equations:
        if not isinstance(e.lhs, Name) or e.lhs.index != T:
            raise SymbpttError(f"{spec.name}: an equation defines name[t]: {e.text}")
        shapes.sequences[e.lhs.name] = shapes.of(e.rhs)
    return CellEquations(spec.name, equations, loss_eq, mean, states, shapes, simplex)
