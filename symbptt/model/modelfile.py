"""Your own cell: a model file (TOML) with its parameters, equations and loss.

    name = "indrnn"                      # optional: the file's stem
    title = "IndRNN: h_t = tanh(w * h_{t-1} + U x_t + b)"
    [params]                             # shapes in the sizes n (hidden), d (input), q (output)
    w = "n"
    U = "n x d"
    b = "n"
    [sequences]
    x = "d"                              # the input's shape ("scalar" for a scalar model)
    y = "n"                              # the target's shape (leave out when there is none)
    [cell]
    equations = ["h[t] = tanh(w * h[t-1] + U @ x[t] + b)"]
    loss = "l[t] = (h[t] - y[t]).T @ (h[t] - y[t]) / 2"
    mean = false                         # true: L = (1/T) sum_t l_t

Every equation is parsed by our grammar (symbptt/formula) and compiled (symbptt/program.py);
an error names the file, line and column. The sequences read at t-1 are the states (h_0 = 0);
each is a vector of size n (a scalar in a model with no sizes).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from ..formula.parse import FormulaError, parse_equation
from .program import (MAX_DEGREE, ModelError, Program, Source, compile_cell, declared_unused,
                      degree)
from .spec import DIM_NAMES, ModelSpec, Param
from .zoo import names as zoo_names

KEYS = {"name", "title", "params", "sequences", "cell", "notes"}
CELL_KEYS = {"equations", "loss", "mean"}
SEQUENCE_KEYS = {"x", "y"}
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RESERVED = re.compile(r"^[xy]_")         # x_2, y_1[0]: the inputs' and targets' entries


@dataclass(frozen=True)
class ModelFile:
    spec: ModelSpec
    program: Program
    path: str
    warnings: tuple[str, ...] = ()


MAX_EQUATIONS = 200      # equations of one cell


def is_model_file(path: str) -> bool:
    """A TOML file with a [cell] table (a claim file has [[claim]] tables instead)."""
    try:
        return "cell" in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def toml_error(path: str) -> str | None:
    """The TOML error of an existing file that is not valid TOML (None otherwise)."""
    try:
        tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        return str(err)
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _shape(text, where: str) -> tuple[str, ...]:
    if not isinstance(text, str):
        raise ModelError(f"{where}: a shape is a string such as \"n\", \"n x d\" or "
                         f"\"scalar\", got {text!r}")
    parts = [p for p in re.split(r"\s*(?:x|,|\*|×)\s*|\s+", text.strip()) if p]
    if parts == ["scalar"]:
        return ()
    if not parts:
        raise ModelError(f"{where}: an empty shape; write \"scalar\", \"n\" or \"n x d\"")
    bad = [p for p in parts if p not in DIM_NAMES]
    if bad or len(parts) > 2:
        raise ModelError(f"{where}: shape {text!r}: sizes are n (hidden), d (input), "
                         f"q (output), at most two of them (\"n x d\"), or \"scalar\"")
    return tuple(parts)


def _escaped(s: str) -> tuple[str, list[int]]:
    """s as a TOML basic string writes it (backslashes and quotes escaped), and where each
    character of s lands in that text."""
    out, where, at = [], [], 0
    for ch in s:
        where.append(at)
        out.append({"\\": "\\\\", '"': '\\"'}.get(ch, ch))
        at += len(out[-1])
    return "".join(out), where


def _lines(text: str, strings) -> dict:
    """Where each string sits in the file: (line, column of its first character, and the
    column of each of its characters), found as a quoted TOML string outside comments."""
    out = {}
    lines = text.splitlines()
    for s in strings:
        for written, where in ((s, list(range(len(s)))), _escaped(s)):
            for n, line in enumerate(lines, start=1):
                if line.lstrip().startswith("#"):
                    continue
                for quote in ('"', "'"):
                    k = line.find(quote + written + quote)
                    if k >= 0 and s not in out:
                        out[s] = (n, k + 1, tuple(k + 1 + w for w in where))
            if s in out:
                break
    return out
def _equation(text, src: Source, what: str):
    if not isinstance(text, str):
        raise ModelError(f"{src.file}: {what} must be a string, got {text!r}")
    try:
        return parse_equation(text, what)
    except FormulaError as err:
        where = src.at_column(text, err.column or 0)
        reason = re.sub(r" at column \d+", "", err.reason)
        shown = text if len(text) <= 100 else text[:60] + " ... " + text[-20:]
        raise ModelError(f"{where}: {reason} (in {shown!r})") from None


def load(path: str) -> ModelFile:
    """Read, check and compile a model file."""
    shown = path if len(path) <= 80 else "..." + path[-77:]
    try:
        raw = Path(path).read_text(encoding="utf-8-sig")        # a BOM is no TOML error
    except FileNotFoundError:
        raise ModelError(f"model file {shown} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ModelError(f"model file {shown} cannot be read: {err}") from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as err:
        raise ModelError(f"{shown}: not valid TOML: {err}") from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise ModelError(f"{shown}: unknown key {unknown[0]!r} (a model file has "
                         f"{', '.join(sorted(KEYS))})")
    for table, keys in (("cell", CELL_KEYS), ("sequences", SEQUENCE_KEYS)):
        if not isinstance(data.get(table, {}), dict):
            raise ModelError(f"{shown}: [{table}] must be a table")
        extra = sorted(set(data.get(table, {})) - keys)
        if extra:
            raise ModelError(f"{shown}: unknown key {extra[0]!r} in [{table}] (it has "
                             f"{', '.join(sorted(keys))})")
    for key in ("title", "notes"):
        if key in data and not isinstance(data[key], str):
            raise ModelError(f"{shown}: {key} must be a string, got {data[key]!r}")
    name = data.get("name", Path(path).stem)
    if not isinstance(name, str) or not NAME.match(name):
        raise ModelError(f"{shown}: name {name!r}: letters, digits and _, starting with a "
                         f"letter")
    if name in zoo_names():
        raise ModelError(f"{shown}: name {name!r} is a zoo model's; give yours another "
                         f"(name = \"...\")")
    params = data.get("params")
    if not isinstance(params, dict) or not params:
        raise ModelError(f"{shown}: [params] lists the parameters and their shapes "
                         f"(e.g. W = \"n x n\")")
    shapes = {}
    for p, text in params.items():
        if not NAME.match(p) or p in ("x", "y", "t", "T", "I", "l", "L") or RESERVED.match(p):
            raise ModelError(f"{shown}: parameter name {p!r} is not allowed (x, y, t, T, I, "
                             f"l, L and names starting x_ or y_ are symbptt's own)")
        shapes[p] = _shape(text, f"{shown}: params.{p}")
    seqs = data.get("sequences", {})
    if "x" not in seqs:
        raise ModelError(f"{shown}: [sequences] needs x = \"d\" (the input's shape)")
    x_shape = _shape(seqs["x"], f"{shown}: sequences.x")
    y_shape = _shape(seqs["y"], f"{shown}: sequences.y") if "y" in seqs else None
    for key, shape in (("x", x_shape), ("y", y_shape)):
        if shape is not None and len(shape) > 1:
            raise ModelError(f"{shown}: sequences.{key} = {seqs[key]!r}: an input or a target "
                             f"is a vector (\"d\", \"n\", \"q\") or \"scalar\"")
    cell = data.get("cell", {})
    eqs = cell.get("equations")
    if not isinstance(eqs, list) or not eqs:
        raise ModelError(f"{shown}: [cell] equations = [\"h[t] = ...\", ...] is missing")
    if len(eqs) > MAX_EQUATIONS:
        raise ModelError(f"{shown}: {len(eqs)} equations in one cell (at most {MAX_EQUATIONS}: "
                         f"a step's chain of quantities is differentiated as a whole)")
    if "loss" not in cell:
        raise ModelError(f"{shown}: [cell] loss = \"l[t] = ...\" is missing")
    mean = cell.get("mean", False)
    if not isinstance(mean, bool):
        raise ModelError(f"{shown}: [cell] mean is true or false, got {mean!r}")
    src = Source(shown, _lines(raw, [e for e in eqs if isinstance(e, str)] +
                               ([cell["loss"]] if isinstance(cell["loss"], str) else [])))
    equations = tuple(_equation(e, src, "an equation") for e in eqs)
    loss = _equation(cell["loss"], src, "the loss")
    used = sorted({s for sh in list(shapes.values()) + [x_shape, y_shape or ()] for s in sh},
                  key="ndq".index)
    if used and "n" not in used:
        used = ["n"] + used
    state_shape = ("n",) if used else ()
    program = compile_cell(shapes, x_shape, y_shape, state_shape, equations, loss, mean, src)
    one_step = degree(program, 1)
    if one_step > MAX_DEGREE:
        raise ModelError(f"{shown}: one step of this cell multiplies out to degree "
                         f"{one_step if one_step < 10 ** 6 else 'over a million'} in its inputs "
                         f"(at most {MAX_DEGREE}): too large to expand exactly")
    warnings = tuple(f"{shown}: parameter {p} is declared but never used"
                     for p in declared_unused(program, shapes))
    spec = ModelSpec(
        name=name, title=str(data.get("title", f"{name} (user-defined, {shown})")),
        params=tuple(Param(p, s) for p, s in shapes.items()),
        equations=tuple(e.text for e in equations), loss=loss.text + (
            ", L = (1/T) sum_t l[t]" if mean else ", L = sum_t l[t]"),
        seeds=(), dims_used=tuple(used), input_shape=x_shape, target_shape=y_shape,
        intermediates=tuple(program.sequences), states=program.states,
        notes=str(data.get("notes", f"a user-defined model, from the model file {Path(shown).name}")))
    return ModelFile(replace(spec, program=program, source=path), program, path, warnings)
