"""recheck: a saved `symbptt crosscheck --json` fixture, recomputed by today's engine.

A fixture holds the model, its numbers (params, inputs, targets) and every method's
gradients. `symbptt recheck FILE.json` reads them back, runs the engine's full BPTT on the
same numbers, and says for each parameter whether the saved gradients still hold (within
the fixture's tolerance, relative to the largest entry plus the scale of the whole problem:
|a - b| <= tol (max |saved| + s), s the largest of the whole saved gradient, the inputs and
the parameters, so that a gradient that is 0 everywhere is not failed by 1e-17 of float
noise): a check that a refactor, a new NumPy or a changed model file has not moved a
reference.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import SymbpttError
from .model.registry import load_model
from .model.spec import Dims, ModelSpec, resolve_activation

MAX_SIZE = 4096          # a fixture's n, d or q
NEEDED = ("model", "T", "dims", "batch", "params", "inputs", "grads", "tolerance")


@dataclass(frozen=True)
class Recheck:
    path: str
    model: str
    T: int
    reference: str                             # the saved method compared against
    rel_diff: dict = field(hash=False)         # name -> max |now - saved| / max |saved|
    tolerance: float = 1e-10
    loss_saved: float = 0.0
    loss_now: float = 0.0

    @property
    def holds(self) -> bool:
        return all(v <= self.tolerance for v in self.rel_diff.values())


def _fail(path: str, message: str):
    raise SymbpttError(f"fixture {path}: {message}")


def _model(data: dict, path: str, model: str | None) -> ModelSpec:
    if model is not None:
        return load_model(model)
    file = data.get("model_file")
    if file:
        for candidate in (Path(file), Path(path).parent / file):
            if candidate.is_file():
                return load_model(str(candidate))
        _fail(path, f"its model file {file} is not found (here or beside the fixture); "
                    f"give it with --model")
    return load_model(data["model"])


def _array(value, what: str, path: str) -> np.ndarray:
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(path, f"{what} is not an array of numbers")
    if not np.all(np.isfinite(a)):
        _fail(path, f"{what} holds a value that is not a finite number")
    return a


def recheck(path: str, model: str | None = None) -> Recheck:
    """Recompute the fixture; a malformed one is one SymbpttError, never a traceback."""
    try:
        return _recheck(path, model)
    except SymbpttError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as err:
        raise SymbpttError(f"fixture {path}: malformed ({type(err).__name__}: {err}); "
                           f"is it a symbptt crosscheck --json output?") from None


def _recheck(path: str, model: str | None = None) -> Recheck:
    from .numeric import engine
    from .numeric.cells import cell_for
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SymbpttError(f"fixture {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SymbpttError(f"fixture {path} cannot be read: {err}") from None
    except json.JSONDecodeError as err:
        raise SymbpttError(f"fixture {path} is not valid JSON: {err}") from None
    except (ValueError, RecursionError) as err:     # a 5000-digit number, 10^5 brackets
        raise SymbpttError(f"fixture {path} cannot be read: "
                           f"{_unreadable(err)}"
                           ) from None
    if not isinstance(data, dict) or any(k not in data for k in NEEDED):
        missing = [k for k in NEEDED if not isinstance(data, dict) or k not in data]
        _fail(path, f"not a symbptt crosscheck --json output (missing {', '.join(missing)})")
    spec = _model(data, path, model)
    T, B = data["T"], data["batch"]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (T, B)):
        _fail(path, "T and batch must be whole numbers >= 1")
    tolerance = data["tolerance"]
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or \
            not 0 <= tolerance < 1:
        _fail(path, f"tolerance must be a number in [0, 1), got {tolerance!r}")
    if not isinstance(data["params"], dict) or not isinstance(data["grads"], dict):
        _fail(path, "params and grads must be objects")
    sizes = data["dims"] if isinstance(data["dims"], dict) else {}
    for k, v in sizes.items():
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SIZE:
            _fail(path, f"dims.{k} must be a whole number in 1..{MAX_SIZE}, got {v!r}")
    dims = Dims(**{k: sizes.get(k, 1) for k in ("n", "d", "q")})
    params = {}
    for p in spec.params:
        if p.name not in data["params"]:
            _fail(path, f"params lacks {p.name} ({spec.name} has "
                        f"{', '.join(q.name for q in spec.params)})")
        params[p.name] = _array(data["params"][p.name], f"params.{p.name}", path)
        if params[p.name].shape != dims.shape(p.shape):
            _fail(path, f"params.{p.name} has shape {params[p.name].shape}, {spec.name} at "
                        f"these sizes needs {dims.shape(p.shape)}")
    X = _shaped(data["inputs"], "inputs", path, B, T, dims.shape(spec.input_shape))
    Y = None if data.get("targets") is None or spec.target_shape is None else \
        _shaped(data["targets"], "targets", path, B, T, dims.shape(spec.target_shape))
    grads = data["grads"]
    reference = data.get("reference", "direct")
    if reference not in grads or not isinstance(grads[reference], dict):
        _fail(path, f"it holds no {reference!r} gradients (it has "
                    f"{', '.join(map(str, grads)) or 'none'})")
    missing = [p.name for p in spec.params if p.name not in grads[reference]]
    if missing:
        _fail(path, f"grads.{reference} lacks {', '.join(missing)}")
    options = data.get("options") or {}
    if not isinstance(options, dict):
        _fail(path, "options must be an object")
    cell = cell_for(spec, resolve_activation(spec, options.get("activation")))
    with np.errstate(all="ignore"):
        now = engine.full(cell, params, X, Y)
    rel = {}
    every = [np.abs(_array(v, f"grads.{reference}.{k}", path)).max(initial=0.0)
             for k, v in grads[reference].items()]
    problem = max([*every, float(np.abs(X).max(initial=0.0)),
                   *(float(np.abs(v).max(initial=0.0)) for v in params.values())])
    for name in list(params) + ["x"]:
        if name not in grads[reference]:
            continue
        saved = _array(grads[reference][name], f"grads.{reference}.{name}", path)
        mine = now.params[name] if name != "x" else now.inputs
        mine = np.asarray(mine, dtype=np.float64).reshape(saved.shape) \
            if np.size(mine) == saved.size else None
        if mine is None:
            _fail(path, f"grads.{reference}.{name} has {saved.size} entries, the model "
                        f"{np.size(now.params.get(name, now.inputs))}")
        scale = max((float(np.max(np.abs(saved))) if saved.size else 0.0) + problem, 1e-300)
        rel[name] = float(np.max(np.abs(mine - saved))) / scale if saved.size else 0.0
    saved_loss = data.get("loss")
    if saved_loss is not None:
        if isinstance(saved_loss, bool) or not isinstance(saved_loss, (int, float)) \
                or not math.isfinite(saved_loss):
            _fail(path, f"loss must be a finite number, got {saved_loss!r}")
        rel["loss"] = abs(float(now.loss) - saved_loss) / max(abs(saved_loss), 1e-300)
    return Recheck(path, spec.name, T, reference, rel, float(tolerance),
                   float(saved_loss or 0.0), float(now.loss))


def _shaped(value, what: str, path: str, B: int, T: int, shape: tuple) -> np.ndarray:
    a = _array(value, what, path)
    k = int(np.prod(shape)) if shape else 1
    if a.size != B * T * k:
        _fail(path, f"{what} has {a.size} numbers; batch {B} x T {T} x {k} = {B * T * k}")
    return a.reshape(B, T, k)


def recheck_json(r: Recheck) -> dict:
    return {"fixture": r.path, "model": r.model, "T": r.T, "reference": r.reference,
            "rel_diff": r.rel_diff, "tolerance": r.tolerance, "loss_saved": r.loss_saved,
            "loss_now": r.loss_now, "holds": r.holds}


def recheck_text(r: Recheck) -> str:
    lines = [f"symbptt recheck {r.path}: {r.model}, T = {r.T}, against its saved "
             f"{r.reference.replace('_', ' ')} gradients, with the engine's full BPTT now"]
    for name, d in r.rel_diff.items():
        mark = "holds" if d <= r.tolerance else "DIFFERS"
        label = {"x": "x (inputs)", "loss": "the loss"}.get(name, name)
        lines.append(f"  {label:<12} max rel {d:.2e}  {mark}")
    lines.append(f"  loss: saved {r.loss_saved:.15g}, now {r.loss_now:.15g}")
    lines.append("HOLDS: every saved gradient is what the engine computes now, within "
                 f"{r.tolerance:g} relative" if r.holds else
                 "DIFFERS: a saved gradient is no longer what the engine computes "
                 f"(tolerance {r.tolerance:g} relative)")
    return "\n".join(lines)


def _unreadable(err: BaseException) -> str:
    """Why json could not read a file that is valid JSON: 10^5 nested brackets, or an
    integer past Python's 4300 digits."""
    return "nested too deeply" if isinstance(err, RecursionError) else "a number too long"
