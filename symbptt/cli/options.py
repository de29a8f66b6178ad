"""The command line's grammar: every verb, its options and their checks (argparse).

A value out of its range is a one-line usage error (exit 2) before any work starts."""
from __future__ import annotations

import argparse

from .. import __version__
from ..errors import SymbpttError
from ..model.spec import DIM_NAMES, DIM_RANGE, Dims, ModelSpec


T_MAX = 10_000


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not a usage block."""

    def error(self, message: str):  # noqa: D401 - argparse's signature
        if self.prog == "symbptt" and "required: command" in message:     # `symbptt` alone
            message = "give a command: " + ", ".join(_commands(self))
        where = "" if self.prog == "symbptt" else f"{self.prog}: "
        raise SymbpttError(f"{where}{message} (see {self.prog} --help)")


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def _whole(name: str, lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}")
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{name} must be in {lo}..{hi}, got {value}")
        return value
    return parse


def _seconds(name: str, hi: float = 86400.0):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number of seconds, got "
                                             f"{text!r}")
        if not 0 <= value <= hi:            # NaN fails here too
            raise argparse.ArgumentTypeError(f"{name} must be in 0..{hi:g} seconds, got "
                                             f"{text}")
        return value
    return parse


def _add_dims(p: argparse.ArgumentParser, defaults: Dims = Dims()) -> None:
    for flag, sym in (("--hidden", "n"), ("--input", "d"), ("--output", "q")):
        p.add_argument(flag, type=_whole(flag, *DIM_RANGE), default=None, metavar=sym,
                       help=f"{DIM_NAMES[sym]} size {sym} (default {defaults.size(sym)})")


def _add_model(p: argparse.ArgumentParser, T_required: bool = True) -> None:
    p.add_argument("model", help="a zoo model (symbptt models lists them), or a model file "
                                 "(MODEL.toml: your own cell, see README)")
    p.add_argument("--T", type=_whole("--T", 1, T_MAX), required=T_required,
                   help="sequence length" + ("" if T_required else
                                             " (not needed for --kind inductive)"))
    p.add_argument("--activation", default=None, help="elman: tanh | sigmoid | identity")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _gib(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--memory must be a number of GiB, got {text!r}")
    if not 0.125 <= value <= 4096:          # NaN fails here too
        raise argparse.ArgumentTypeError(f"--memory must be in 0.125..4096 GiB, got {text}")
    return value


def _add_memory(p: argparse.ArgumentParser) -> None:
    p.add_argument("--memory", type=_gib, default=None, metavar="GIB",
                   help="memory the work may take, in GiB (default 4): a request estimated "
                        "past it is refused up front, one that grows past it stops")


def _add_budget(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--budget", type=_seconds("--budget", 1e9), default=None, metavar="SECONDS",
                   help=f"refuse {what} estimated to take longer (default 600)")
    _add_memory(p)
    p.add_argument("--force", action="store_true", help="run even past the budget")


def _add_render_build(sub) -> None:
    p = sub.add_parser("render", help="a derivation document (tex, md or pdf)")
    _add_model(p)
    _add_dims(p)
    p.add_argument("--format", default="md", help="tex | md | pdf (default md)")
    p.add_argument("--out", default=None, help="file to write (default: stdout; MODEL.pdf)")
    _add_memory(p)
    p = sub.add_parser("build", help="regenerate output/ (every model's documents)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when output/ differs from what the code makes")
    p.add_argument("--out", default=None, help="the folder (default: output/ of the checkout)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDFs (no TeX needed)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symbptt", description="Derive, prove and check BPTT gradients.")
    parser.add_argument("--version", action="version", version=f"symbptt {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("models", help="list the model zoo")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("prove", help="prove direct = recursive = closed form, exactly")
    _add_model(p, T_required=False)
    _add_dims(p)
    p.add_argument("--kind", default="both", choices=("unrolled", "inductive", "both"),
                   help="unrolled: every entry at this T; inductive: the per-step rules, "
                        "for every T; both (default)")
    p.add_argument("--mutate", default=None, metavar="SLIP",
                   help="replace one rule by a classic slip (missing-transpose, "
                        "shifted-index, h_t-for-h_{t-1}, lost-1/T, ...) to see it caught")
    _add_budget(p, "proofs")

    p = sub.add_parser("grad", help="exact loss and gradients at given values, all three forms")
    _add_model(p)
    p.add_argument("--values", required=True, metavar="FILE.json",
                   help="params, inputs, targets as numbers or strings like \"3/2\"")
    _add_memory(p)

    p = sub.add_parser("crosscheck", help="every symbolic form and engine algorithm on the "
                                          "same random numbers")
    _add_model(p)
    _add_dims(p)
    p.add_argument("--seed", type=_whole("--seed", 0, 2**63 - 1), default=0,
                   help="seed of the random parameters and inputs (default 0)")
    p.add_argument("--batch", type=_whole("--batch", 1, 4096), default=1,
                   help="sequences in the batch the engine runs (1..4096, default 1)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="float32 computes in float32 (default: float64)")
    p.add_argument("--tau", type=_whole("--tau", -10**9, 10**9), default=None,
                   help="truncation window (default T; tau < T is an estimate, shown apart)")
    p.add_argument("--pi", type=float, default=None,
                   help="also run randomized truncation with keep probability pi in (0, 1]")
    _add_budget(p, "runs")

    p = sub.add_parser("bench", help="proof times against the plain SymPy path")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--T-max", dest="T_max", type=_whole("--T-max", 2, 12), default=8,
                   help="the longest sequence a proof curve runs to (2..12, default 8)")
    p.add_argument("--limit", type=float, default=60.0, metavar="SECONDS",
                   help="time limit per run; a curve stops at the first run past it")
    p.add_argument("--part", choices=("all", "proofs", "numeric", "inductive", "check",
                                      "custom", "derive", "cost"), default="all",
                   help="one part of the benchmark (default all: several minutes each)")
    _add_render_build(sub)
    _add_check(sub)
    _add_derive(sub)
    _add_analyze(sub)
    p = sub.add_parser("recheck", help="recompute a saved crosscheck --json fixture with the "
                                       "engine: do its gradients still hold?")
    p.add_argument("fixture", metavar="FILE.json", help="the output of symbptt crosscheck "
                                                        "--json, saved")
    p.add_argument("--model", default=None, help="the model (name or file), when the "
                                                 "fixture's model file has moved")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _add_analyze(sub) -> None:
    from ..analyze.settings import PARTS, Settings
    d = Settings("")
    p = sub.add_parser("analyze", help="gradient dynamics: vanishing and exploding, "
                                       "truncation, clipping, cost, attention's shortcut")
    p.add_argument("model", help="a zoo model with a numeric engine, or a model file "
                                 "(its clip and cost parts)")
    p.add_argument("--T", type=_whole("--T", 2, 2000), default=None,
                   help=f"sequence length (default {d.T}, or the length of --values' inputs)")
    _add_dims(p, d.dims)
    p.add_argument("--seed", type=_whole("--seed", 0, 2**63 - 1), default=d.seed,
                   help=f"draws the weights and inputs (default {d.seed})")
    p.add_argument("--activation", default=None, help="elman: tanh | sigmoid | identity")
    w = p.add_mutually_exclusive_group()
    w.add_argument("--norm", type=float, default=None, metavar="S",
                   help="scale the recurrent W to spectral norm S")
    w.add_argument("--radius", type=float, default=None, metavar="R",
                   help="scale the recurrent W to spectral radius R (the eigen part: its "
                        "normal W's top eigenvalue, default 1.2)")
    w.add_argument("--orthogonal", action="store_true", help="a random orthogonal W")
    p.add_argument("--values", default=None, metavar="FILE.json",
                   help="given weights and inputs (the format of symbptt grad --values)")
    p.add_argument("--lag", type=_whole("--lag", -10**9, 10**9), default=None,
                   help="the last lag shown (default T - 1)")
    p.add_argument("--window", type=_whole("--window", -10**9, 10**9), default=d.window,
                   help=f"truncation window k (default {d.window})")
    p.add_argument("--clip", type=float, default=d.clip, metavar="C",
                   help=f"clip threshold (default {d.clip})")
    p.add_argument("--pi", type=float, default=d.pi,
                   help=f"randomized truncation's keep probability in (0, 1] (default {d.pi})")
    p.add_argument("--draws", type=_whole("--draws", 100, 10**7), default=d.draws,
                   help=f"Monte Carlo draws of the randomized estimator (default {d.draws})")
    p.add_argument("--part", action="append", default=[], choices=tuple(PARTS),
                   metavar="PART", help=f"run only this part (repeat): {', '.join(PARTS)} "
                                        "(default: every part that applies to the model)")
    p.add_argument("--plot", default=None, metavar="DIR",
                   help="also write each part's figure to DIR/MODEL-PART.svg")
    p.add_argument("--plot-format", default="svg", choices=("svg", "pdf"),
                   help="the figures' format with --plot (default svg)")
    _add_memory(p)
    p.add_argument("--json", action="store_true", help="machine-readable output: the series "
                                                       "behind every figure")


def _add_derive(sub) -> None:
    p = sub.add_parser("derive", help="the BPTT equations of a cell at matrix level, "
                                      "derived from its equations and proven by check")
    p.add_argument("model", metavar="MODEL|FILE.toml", help="a zoo model or a model file")
    p.add_argument("--format", default="text", choices=("text", "latex", "numpy"),
                   help="text: the formula language, one formula a line (check reads it); "
                        "latex: a document; numpy: a standalone bptt(P, X, Y) generated "
                        "from the formulas (default text)")
    p.add_argument("--activation", default=None, help="elman: tanh | sigmoid | identity")
    p.add_argument("--T-max", dest="T_max", type=_whole("--T-max", 2, 12), default=None,
                   help="check each formula exactly at T = 1..K (2..12, default 4); a "
                        "recursion or a per-step sum is proven for every T")
    from ..check.verdict import CHECK_DIMS
    _add_dims(p, CHECK_DIMS)
    _add_memory(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _add_check(sub) -> None:
    p = sub.add_parser("check", help="is a hand-derived formula right? verdict, "
                                     "counterexample, diagnosis")
    p.add_argument("target", metavar="FILE.toml|MODEL",
                   help="a claim file (see README), or a zoo model with --claim")
    p.add_argument("--claim", action="append", default=[], metavar="FORMULA",
                   help='e.g. "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ delta[t] @ '
                        'h[t-1].T)" (repeat for more claims)')
    p.add_argument("--where", action="append", default=[], metavar="DEFINITION",
                   help='a definition the claims use, e.g. "delta[T] = dl[T]/dh[T]" (repeat)')
    p.add_argument("--activation", default=None, help="elman: tanh | sigmoid | identity")
    p.add_argument("--T-max", dest="T_max", type=_whole("--T-max", 1, 12), default=None,
                   help="check exactly at T = 1..K (default 4); a claim shaped as a "
                        "recursion plus per-step terms is then proven for every T")
    p.add_argument("--budget", type=_seconds("--budget"), default=None, metavar="SECONDS",
                   help="time to search past K for a counterexample when a claim is not "
                        "proven for every T (default 20; 0: no search)")
    p.add_argument("--time-limit", dest="time_limit", type=_seconds("--time-limit", 1e6),
                   default=None, metavar="SECONDS",
                   help="stop a claim still running after this long, with the verdict it "
                        "has then (default 180)")
    p.add_argument("--force", action="store_true",
                   help="check at a --T-max past the estimated time limit")
    p.add_argument("--convention", default="column", choices=("column", "row"),
                   help="row: dL/dh[t] is a row vector (default column)")
    _add_memory(p)
    from ..check.verdict import CHECK_DIMS
    _add_dims(p, CHECK_DIMS)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def resolve_dims(spec: ModelSpec, args: argparse.Namespace) -> Dims:
    given = {"n": args.hidden, "d": args.input, "q": args.output}
    for sym, value in given.items():
        if value is not None and sym not in spec.dims_used:
            flag = {"n": "--hidden", "d": "--input", "q": "--output"}[sym]
            has = ", ".join(spec.dims_used) or "none: it is a scalar model"
            raise SymbpttError(f"{spec.name} has no {DIM_NAMES[sym]} size ({flag}); "
                               f"its sizes: {has}")
    return Dims(**{k: v if v is not None else 2 for k, v in given.items()})
