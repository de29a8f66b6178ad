"""Reference gradients for the tests of your own RNN code.

    from symbptt.testing import assert_gradients_match

    def my_grads(params, X, Y):          # your BPTT: arrays in, {name: dL/dname} out
        ...

    def test_my_bptt():
        assert_gradients_match("elman", my_grads, T=5, dims={"n": 3, "d": 2},
                               dtype="float32")

The reference is the derivative of the unrolled loss itself (symbptt's direct form: SymPy
differentiates the unrolled model, and the exact formula is evaluated in float64), not a
finite difference: there is no step to tune, and the tolerance depends only on the dtype
your code computes in. The inputs are drawn from a seed (as `symbptt crosscheck` draws
them: weights uniform in +-1/sqrt(fan in), data standard normal); a failure names the
parameter, the entry, both values, the tolerance and the seed, so it can be replayed.

Your function gets `params` (name -> array of the model's shapes: `symbptt models`), `X`
(B, T, d) and `Y` (B, T, k) or None, as NumPy arrays of your dtype, or as torch tensors
when the dtype is a torch dtype (torch.float32 ...). It returns {name: gradient}, NumPy
arrays or torch tensors, one per parameter; an "x" entry (B, T, d) is checked too. L is
the model's loss summed over the batch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .api import as_dims, load_model
from .errors import SymbpttError
from .model.spec import Dims, resolve_activation

# relative tolerance by dtype; an entry may differ by rtol * (|ref| + scale of its parameter)
TOLERANCES = {"float64": 1e-9, "float32": 2e-4, "float16": 2e-2, "bfloat16": 5e-2}


@dataclass(frozen=True)
class Reference:
    """Exact-formula gradients at drawn inputs (float64)."""
    model: str
    T: int
    dims: Dims
    seed: int
    params: dict = field(hash=False)          # name -> array (float64)
    X: np.ndarray = None                      # (B, T, d)
    Y: np.ndarray | None = None               # (B, T, k) or None
    loss: float = 0.0
    grads: dict = field(default_factory=dict, hash=False)   # name -> dL/dname; "x" too


def reference_gradients(model, T: int, dims=None, seed: int = 0, batch: int = 1,
                        activation=None) -> Reference:
    """The model's loss and gradients at inputs drawn from `seed`, from the direct form."""
    from .numeric import data
    from .symbolic import lambdify
    spec = load_model(model)
    if not spec.numeric:
        raise SymbpttError(f"{spec.name} has undefined functions: no numbers to compute")
    d = as_dims(spec, dims)
    act = resolve_activation(spec, activation)
    problem = data.draw(spec, T, d, seed, batch)
    compiled = lambdify.compile_model(spec, act, T, d)
    grads, g_x = lambdify.gradients(compiled, "direct", problem.params, problem.X, problem.Y)
    loss = float(np.sum(lambdify.loss(compiled, problem.params, problem.X, problem.Y)))
    return Reference(spec.name, T, d, seed, dict(problem.params), problem.X, problem.Y, loss,
                     {**{k: np.asarray(v) for k, v in grads.items()}, "x": np.asarray(g_x)})


def _dtype_name(dtype) -> tuple[str, bool]:
    """('float32', is torch) from 'float32', np.float32, torch.float32 ..."""
    text = str(dtype)
    torch = text.startswith("torch.")
    name = text.replace("torch.", "").replace("<class 'numpy.", "").rstrip("'>")
    if name not in TOLERANCES:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            pass
    if name not in TOLERANCES:
        raise SymbpttError(f"dtype {dtype!r}: one of {', '.join(TOLERANCES)} (NumPy or torch)")
    if name == "bfloat16" and not torch:
        raise SymbpttError("bfloat16 is a torch dtype: pass torch.bfloat16")
    return name, torch


def _to_user(a, name: str, torch: bool):
    if a is None:
        return None
    if torch:
        import torch as th
        return th.tensor(np.asarray(a, dtype=np.float64), dtype=getattr(th, name))
    return np.asarray(a).astype(name)


def _to_numpy(v) -> np.ndarray:
    if hasattr(v, "detach"):
        v = v.detach().cpu()
        v = v.double() if hasattr(v, "double") else v
        v = v.numpy()
    return np.asarray(v, dtype=np.float64)


def _entry(name: str, index: tuple) -> str:
    return name if not index else f"{name}[{','.join(map(str, index))}]"


def assert_gradients_match(model, my_grad_fn, T: int = 5, dims=None, dtype="float64",
                           seed: int = 0, batch: int = 1, activation=None,
                           rtol: float | None = None) -> Reference:
    """Draw inputs, call my_grad_fn(params, X, Y), compare every entry with the reference.
    Raises AssertionError naming the parameter, the entry, both values and the seed."""
    spec = load_model(model)
    ref = reference_gradients(spec, T, dims, seed, batch, activation)
    name, torch = _dtype_name(dtype)
    tol = TOLERANCES[name] if rtol is None else rtol
    params = {k: _to_user(v, name, torch) for k, v in ref.params.items()}
    got = my_grad_fn(params, _to_user(ref.X, name, torch), _to_user(ref.Y, name, torch))
    where = (f"(model {ref.model}, T = {T}, "
             + ", ".join(f"{k} = {getattr(ref.dims, k)}" for k in spec.dims_used)
             + f", batch {batch}, seed {seed}, {name}, rtol {tol:g})")
    if not isinstance(got, dict):
        raise AssertionError(f"your gradient function returned {type(got).__name__}, not a "
                             f"dict {{parameter: gradient}} {where}")
    missing = [k for k in ref.params if k not in got]
    if missing:
        raise AssertionError(f"no gradient for {', '.join(missing)} {where}")
    unknown = [k for k in got if k not in ref.grads]
    if unknown:
        raise AssertionError(f"{unknown[0]} is not a parameter of {ref.model} (it has "
                             f"{', '.join(ref.params)}) {where}")
    for k in [p for p in ref.params] + (["x"] if "x" in got else []):
        want = ref.grads[k]
        mine = _to_numpy(got[k])
        if k == "x":
            want = want.reshape(ref.X.shape)
        if mine.shape != want.shape:
            raise AssertionError(f"dL/d{k} has shape {mine.shape}, the reference "
                                 f"{want.shape} {where}")
        scale = float(np.max(np.abs(want))) if want.size else 0.0
        bad = ~(np.abs(mine - want) <= tol * (np.abs(want) + scale) + 1e-300)   # NaN is bad
        if np.any(bad):
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            worst = int(np.sum(bad))
            raise AssertionError(
                f"dL/d{_entry(k, index)}: yours {float(mine[index])!r}, reference "
                f"{float(want[index])!r} ({worst} of {want.size} entries of dL/d{k} differ) {where}")
    return ref
