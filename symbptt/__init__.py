"""symbptt: derive, prove and check the gradients of recurrent networks (BPTT).

The Python API mirrors the command line (symbptt/api.py): load_model, prove, grad,
crosscheck, render, check, analyze; reference gradients for your own tests are in
symbptt.testing.
"""
import sys as _sys
import types as _types

__version__ = "0.1.0"

from .api import (analyze, check, crosscheck, derive, grad, load_model, prove,  # noqa: E402
                  render)
from .errors import SymbpttError  # noqa: E402

__all__ = ["analyze", "check", "crosscheck", "derive", "grad", "load_model", "prove", "render",
           "SymbpttError", "__version__"]
_VERBS = frozenset(__all__)


class _Package(_types.ModuleType):
    """Five verbs share their name with a module (symbptt/check/ is `symbptt check`'s
    machinery): importing that module must not replace the verb on the package. The
    module stays reachable as usual, from sys.modules (`from symbptt.check import ...`)."""

    def __setattr__(self, name, value):
        if name in _VERBS and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
