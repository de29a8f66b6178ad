"""symbptt: derive, prove and check the gradients of recurrent networks (BPTT).

The Python API mirrors the command line (symbptt/api.py): load_model, prove, grad,
crosscheck, render, check, analyze; reference gradients for your own tests are in
symbptt.testing.
"""
__version__ = "0.1.0"

from .api import analyze, check, crosscheck, grad, load_model, prove, render  # noqa: E402
from .errors import SymbpttError  # noqa: E402

__all__ = ["analyze", "check", "crosscheck", "grad", "load_model", "prove", "render",
           "SymbpttError", "__version__"]
