"""Claim files: a model, its definitions and several claims, in TOML.

    model = "elman"                      # a zoo model or a model file (required; a file
    #                                      is looked for as given, then beside this one)
    activation = "tanh"                  # elman only
    T_max = 4                            # claims are checked at T = 1..T_max (default 4,
                                         # less for the gated cells: see symbptt check)
    convention = "column"                # or "row": dL/dh[t] is a row (seed 000's layout)
    dims = { hidden = 3, input = 2, output = 4 }
    where = ["delta[t] = ...", "delta[T] = dl[T]/dh[T]"]   # shared by every claim

    [[claim]]
    claim = "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ delta[t] @ h[t-1].T)"
    name = "seed 001, dL/dW"             # optional, each field below too
    where = ["..."]                      # added to the shared definitions
    T = [3, 4]                           # these T only (or one number); default 1..T_max
    model = "..."; activation = "..."; convention = "..."   # this claim only
    source = "001_1e08c73fd0114278.txt:58"; quote = "..."; expect = "correct"; note = "..."
    fix = "replace `W` by `W.T`"         # a wrong claim: the edit the diagnosis must name

    [[skipped]]                          # a formula of the source that is no claim
    name = "..."; source = "..."; quote = "..."; reason = "a norm bound (analyze)"

Every key is checked: a misspelt one is an error naming the keys there are.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .verdict import CONVENTIONS
from .outcome import ClaimInput
from ..errors import SymbpttError
from ..model.spec import DIM_RANGE, Dims

TOP_KEYS = ("model", "activation", "T_max", "convention", "dims", "where", "claim", "title",
            "source", "note", "skipped")
SKIPPED_KEYS = ("name", "source", "quote", "reason")
CLAIM_KEYS = ("claim", "name", "where", "T", "model", "activation", "convention", "source",
              "quote", "expect", "fix", "note")
DIM_KEYS = {"hidden": "n", "input": "d", "output": "q"}
T_LIMIT = 12


class ClaimFileError(SymbpttError):
    pass


@dataclass(frozen=True)
class Group:
    """The claims of one (model, activation): checked together, sharing the unrolling."""
    model: str
    activation: str | None
    claims: tuple[ClaimInput, ...]


@dataclass(frozen=True)
class Skipped:
    """A formula of a source that is not a claim about a model (a norm bound, an
    expectation, ...), listed with the reason."""
    name: str
    source: str
    quote: str
    reason: str


@dataclass(frozen=True)
class ClaimFile:
    path: str
    title: str
    T_max: int | None                        # None: check's default for each model
    dims: Dims | None
    groups: tuple[Group, ...]
    source: str = ""
    note: str = ""
    order: tuple[ClaimInput, ...] = ()       # every claim, in the file's order
    skipped: tuple[Skipped, ...] = ()


def _fail(path: str, message: str) -> ClaimFileError:
    return ClaimFileError(f"{path}: {message}")


def _text(path: str, where: str, value, key: str, required: bool = False) -> str:
    if value is None:
        if required:
            raise _fail(path, f"{where}: {key} is required")
        return ""
    if not isinstance(value, str):
        raise _fail(path, f"{where}: {key} must be text, got {type(value).__name__}")
    return value


def _texts(path: str, where: str, value, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, f"{where}: {key} must be a list of formulas (text)")
    return tuple(value)


def _whole(path: str, where: str, value, key: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(path, f"{where}: {key} must be a whole number in {lo}..{hi}, got {value!r}")
    return value


def _keys(path: str, where: str, table: dict, allowed: tuple) -> None:
    for key in table:
        if key not in allowed:
            raise _fail(path, f"{where}: unknown key {key!r} (keys: {', '.join(allowed)})")


def _dims(path: str, value) -> Dims | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(path, "dims must be a table like { hidden = 3, input = 2, output = 4 }")
    _keys(path, "dims", value, tuple(DIM_KEYS))
    from .verdict import CHECK_DIMS
    given = {DIM_KEYS[k]: _whole(path, "dims", v, k, *DIM_RANGE) for k, v in value.items()}
    return Dims(**{**CHECK_DIMS.__dict__, **given})


def _Ts(path: str, where: str, value) -> tuple[int, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _fail(path, f"{where}: T is an empty list")
    return tuple(sorted({_whole(path, where, v, "T", 1, T_LIMIT) for v in items}))


def _convention(path: str, where: str, value, default: str) -> str:
    text = _text(path, where, value, "convention") or default
    if text not in CONVENTIONS:
        raise _fail(path, f"{where}: convention must be one of {', '.join(CONVENTIONS)}, "
                    f"got {text!r}")
    return text


def load(path: str | Path) -> ClaimFile:
    """Read and validate a claim file (nothing is parsed or checked yet)."""
    p = Path(path)
    name = str(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClaimFileError(f"no such claim file: {name}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ClaimFileError(f"cannot read {name}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ClaimFileError(f"{name} is not valid TOML: {e}") from None
    _keys(name, "top level", data, TOP_KEYS)
    model = _beside(name, _text(name, "top level", data.get("model"), "model", required=True))
    activation = _text(name, "top level", data.get("activation"), "activation") or None
    T_max = _whole(name, "top level", data["T_max"], "T_max", 1, T_LIMIT) \
        if "T_max" in data else None
    convention = _convention(name, "top level", data.get("convention"), "column")
    shared = _texts(name, "top level", data.get("where"), "where")
    tables = data.get("claim")
    if not isinstance(tables, list) or not tables or \
            not all(isinstance(t, dict) for t in tables):
        raise _fail(name, "no claims: add at least one [[claim]] table with claim = \"...\"")
    groups: dict[tuple, list] = {}
    order = []
    for k, t in enumerate(tables, start=1):
        where = f"claim {k}"
        _keys(name, where, t, CLAIM_KEYS)
        expect = _text(name, where, t.get("expect"), "expect")
        if expect not in ("", "correct", "wrong"):
            raise _fail(name, f"{where}: expect must be \"correct\" or \"wrong\", got {expect!r}")
        ci = ClaimInput(
            claim=_text(name, where, t.get("claim"), "claim", required=True),
            where=shared + _texts(name, where, t.get("where"), "where"),
            name=_text(name, where, t.get("name"), "name") or f"claim {k}",
            Ts=_Ts(name, where, t.get("T")),
            convention=_convention(name, where, t.get("convention"), convention),
            source=_text(name, where, t.get("source"), "source"),
            quote=_text(name, where, t.get("quote"), "quote"),
            expect=expect, fix=_text(name, where, t.get("fix"), "fix"),
            note=_text(name, where, t.get("note"), "note"))
        own = _beside(name, _text(name, where, t.get("model"), "model")) or model
        key = (own, _text(name, where, t.get("activation"), "activation")
               or (activation if own == model else None))
        groups.setdefault(key, []).append(ci)
        order.append(ci)
    return ClaimFile(name, _text(name, "top level", data.get("title"), "title"), T_max,
                     _dims(name, data.get("dims")),
                     tuple(Group(m, a, tuple(cs)) for (m, a), cs in groups.items()),
                     _text(name, "top level", data.get("source"), "source"),
                     _text(name, "top level", data.get("note"), "note"), tuple(order),
                     _skipped(name, data.get("skipped")))


def _beside(path: str, model: str) -> str:
    """A model file named in a claim file: as given, or else beside the claim file."""
    if model.endswith(".toml") and not Path(model).is_file():
        candidate = Path(path).parent / model
        if candidate.is_file():
            return str(candidate)
    return model


def _skipped(path: str, tables) -> tuple[Skipped, ...]:
    if tables is None:
        return ()
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise _fail(path, "skipped must be [[skipped]] tables (name, source, quote, reason)")
    out = []
    for k, t in enumerate(tables, start=1):
        where = f"skipped {k}"
        _keys(path, where, t, SKIPPED_KEYS)
        out.append(Skipped(*(_text(path, where, t.get(key), key, required=key == "reason")
                             for key in SKIPPED_KEYS)))
    return tuple(out)
