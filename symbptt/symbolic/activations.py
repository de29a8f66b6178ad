"""Activations as functions that know their derivative in terms of themselves.

SymPy's own tanh already has fdiff = 1 - tanh^2. The logistic function gets the same
treatment here, so every gradient stays a polynomial in activation atoms and the zero
test is expansion, never simplify().
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import sympy as sp


class sigmoid(sp.Function):
    """The logistic function sigma(x) = 1 / (1 + exp(-x)), with sigma' = sigma (1 - sigma)."""

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))

    def _eval_rewrite_as_tanh(self, arg, **kwargs):
        return (1 + sp.tanh(arg / 2)) / 2

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        out = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return out if exp is None else r"%s^{%s}" % (out, exp)


@dataclass(frozen=True)
class Activation:
    """phi and phi' written from phi's output, as a BPTT backward pass uses it."""
    name: str
    apply: Callable[[Any, Any], Any]          # (backend, a) -> phi(a)
    slope_from_output: Callable[[Any], Any]   # h -> phi'(a) where h = phi(a)
    formula: str


ACTIVATIONS = {
    "tanh": Activation("tanh", lambda be, a: be.tanh(a), lambda h: 1 - h * h,
                       "phi'(a) = 1 - tanh(a)^2"),
    "sigmoid": Activation("sigmoid", lambda be, a: be.sigmoid(a), lambda h: h * (1 - h),
                          "phi'(a) = sigma(a) (1 - sigma(a))"),
    "identity": Activation("identity", lambda be, a: a, lambda h: 1, "phi'(a) = 1"),
}
