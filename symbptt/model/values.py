"""Read a values file: exact numbers for parameters, inputs and targets."""
from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import BadValues
from .spec import DIM_RANGE, Dims, ModelSpec


# a decimal with an exponent of at most 3 digits, optionally over a whole denominator:
# Fraction alone would happily build 10**999999999 from "1e999999999"
NUMBER = re.compile(r"[+-]?(\d{1,60}(\.\d{0,60})?|\.\d{1,60})([eE][+-]?\d{1,3})?(/[+-]?\d{1,60})?")


MAX_NUMBER_TEXT = 60                          # characters of one number: past float range
_EXPONENT = re.compile(r"[eE][+-]?0*[0-9]{4,}|[eE][+-]?0*[3-9][0-9]{2}")   # |e| >= 300


def exact(value: Any, where: str) -> Fraction:
    """A JSON number or a string like "3/2", "-0.25", "1e-3" as an exact rational."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadValues(f"{where}: expected a number or a string like \"3/2\", got {value!r}"[:200])
    if isinstance(value, float) and not math.isfinite(value):
        raise BadValues(f"{where}: {value} is not a finite number")
    text = str(value).strip()
    if len(text) > MAX_NUMBER_TEXT or _EXPONENT.search(text):
        raise BadValues(f"{where}: {text[:40]!r} is too large a number to compute with "
                        f"(at most {MAX_NUMBER_TEXT} characters, an exponent under 300)")
    if not NUMBER.fullmatch(text):
        raise BadValues(f"{where}: cannot read {text[:40]!r} as a number "
                        f"(use 3, 0.5, 1e-3 or \"3/2\")")
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise BadValues(f"{where}: cannot read {text[:40]!r} as a number (a zero denominator?)") \
            from None


def _array(value: Any, depth: int, where: str) -> Any:
    """A scalar (depth 0), list (1) or list of lists (2) of exact numbers."""
    if depth == 0:
        return exact(value, where)
    if not isinstance(value, list) or not value:
        kind = {1: "a list", 2: "a list of lists"}[depth]
        raise BadValues(f"{where}: expected {kind} of numbers, got {value!r}"[:200])
    rows = [_array(v, depth - 1, f"{where}[{i}]") for i, v in enumerate(value)]
    if depth == 2 and len({len(r) for r in rows}) != 1:
        raise BadValues(f"{where}: rows have different lengths")
    return rows


def _shape_of(arr: Any, depth: int) -> tuple[int, ...]:
    return () if depth == 0 else (len(arr),) if depth == 1 else (len(arr), len(arr[0]))


def _bind(sizes: dict, symbols: tuple[str, ...], shape: tuple[int, ...], where: str) -> None:
    for sym, size in zip(symbols, shape):
        if sizes.setdefault(sym, size) != size:
            raise BadValues(f"{where}: size {size} along {sym}, but {sym} = {sizes[sym]} "
                            f"elsewhere in the file")


def load(path: str, spec: ModelSpec, T: int) -> tuple[dict, Dims]:
    """Parse and check a values file for `spec` at sequence length T.

    Returns ({"params": {name: array}, "inputs": [...], "targets": [...]}, dims), every
    number a Fraction; the dims are read off the shapes in the file.
    """
    shown = path if len(path) <= 80 else path[:77] + "..."
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadValues(f"values file {shown} does not exist") from None
    except UnicodeDecodeError:
        raise BadValues(f"values file {shown} is not valid JSON: not UTF-8 text") from None
    except OSError as err:
        raise BadValues(f"values file {shown} cannot be read: {err.strerror or err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise BadValues(f"values file {shown} is not valid JSON: {err}") from None
    except (ValueError, RecursionError) as err:     # a 5000-digit number, 10^5 brackets
        raise BadValues(f"values file {shown} cannot be read: "
                        f"{_unreadable(err)}"
                        ) from None
    return from_data(data, spec, T, shown)


def from_data(data: Any, spec: ModelSpec, T: int, shown: str = "given") -> tuple[dict, Dims]:
    """The same checks on values already read: {"params": ..., "inputs": ..., "targets": ...}
    (the Python API passes a dict)."""
    if not isinstance(data, dict):
        raise BadValues(f"values file {shown}: expected an object with params, inputs, targets")
    unknown = set(data) - {"params", "inputs", "targets", "comment"}
    if unknown:
        raise BadValues(f"values file {shown}: unknown key(s) {', '.join(sorted(unknown))} "
                        f"(expected params, inputs, targets)")
    params = data.get("params")
    if not isinstance(params, dict):
        raise BadValues(f"values file {shown}: missing \"params\" object")
    names = [q.name for q in spec.params]
    missing = [n for n in names if n not in params]
    if missing:
        raise BadValues(f"values file {shown}: params lacks {', '.join(missing)} "
                        f"({spec.name} has {', '.join(names)})")
    extra = sorted(set(params) - set(names))
    if extra:
        raise BadValues(f"values file {shown}: {spec.name} has no parameter {extra[0]} "
                        f"(it has {', '.join(names)})")
    sizes: dict[str, int] = {}
    out_params = {}
    for q in spec.params:
        arr = _array(params[q.name], len(q.shape), f"params.{q.name}")
        _bind(sizes, q.shape, _shape_of(arr, len(q.shape)), f"params.{q.name}")
        out_params[q.name] = arr
    if "inputs" not in data:
        raise BadValues(f"values file {shown}: missing \"inputs\" (T = {T} rows)")
    inputs = _array(data["inputs"], 1 + len(spec.input_shape), "inputs")
    if len(inputs) != T:
        raise BadValues(f"values file {shown}: inputs has {len(inputs)} rows, but --T is {T}")
    _bind(sizes, spec.input_shape, _shape_of(inputs[0], len(spec.input_shape)), "inputs[0]")
    targets = None
    if spec.target_shape is not None:
        if "targets" not in data:
            raise BadValues(f"values file {shown}: missing \"targets\" (T = {T} rows)")
        targets = _array(data["targets"], 1 + len(spec.target_shape), "targets")
        if len(targets) != T:
            raise BadValues(f"values file {shown}: targets has {len(targets)} rows, but --T is {T}")
        _bind(sizes, spec.target_shape, _shape_of(targets[0], len(spec.target_shape)),
              "targets[0]")
        if spec.name == "elman_softmax":
            for t, row in enumerate(targets, start=1):
                if sum(row) != 1 or min(row) < 0:
                    why = f"entry {min(row)} is negative" if min(row) < 0 else \
                        f"its entries sum to {sum(row)}"
                    raise BadValues(f"targets[{t - 1}]: y_{t} must be a probability vector "
                                    f"(one-hot in the seed); {why}")
    elif "targets" in data:
        raise BadValues(f"values file {shown}: {spec.name} has no targets ({spec.loss})")
    for sym, size in sizes.items():
        if not DIM_RANGE[0] <= size <= DIM_RANGE[1]:
            raise BadValues(f"values file {shown}: {sym} = {size} is out of range "
                            f"{DIM_RANGE[0]}..{DIM_RANGE[1]}")
    dims = Dims(**{k: sizes.get(k, 1) for k in ("n", "d", "q")})
    return {"params": out_params, "inputs": inputs, "targets": targets}, dims


def _unreadable(err: BaseException) -> str:
    """Why json could not read a file that is valid JSON: 10^5 nested brackets, or an
    integer past Python's 4300 digits."""
    return "nested too deeply" if isinstance(err, RecursionError) else "a number too long"
