"""The symbptt command line. Errors end here: one line on stderr, exit 2."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Sequence

from .. import __version__
from ..errors import SymbpttError
from ..model.spec import DIM_NAMES, DIM_RANGE, Dims, ModelSpec, resolve_activation
from ..model.zoo import models

EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT = 0, 1, 2
T_MAX = 10_000


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not a usage block."""

    def error(self, message: str):  # noqa: D401 - argparse's signature
        raise SymbpttError(f"{self.prog}: {message} (see {self.prog} --help)")


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


def _add_render_build(sub) -> None:
    p = sub.add_parser("render", help="a derivation document (tex, md or pdf)")
    _add_model(p)
    _add_dims(p)
    p.add_argument("--format", default="md", help="tex | md | pdf (default md)")
    p.add_argument("--out", default=None, help="file to write (default: stdout; MODEL.pdf)")
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
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("prove", help="prove direct = recursive = closed form, exactly")
    _add_model(p, T_required=False)
    _add_dims(p)
    p.add_argument("--kind", default="both", choices=("unrolled", "inductive", "both"),
                   help="unrolled: every entry at this T; inductive: the per-step rules, "
                        "for every T; both (default)")
    p.add_argument("--mutate", default=None, metavar="SLIP",
                   help="replace one rule by a classic slip (missing-transpose, "
                        "shifted-index, h_t-for-h_{t-1}, lost-1/T, ...) to see it caught")
    p.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                   help="refuse requests estimated to take longer (default 600)")
    p.add_argument("--force", action="store_true", help="run even past the budget")

    p = sub.add_parser("grad", help="exact loss and gradients at given values, all three forms")
    _add_model(p)
    p.add_argument("--values", required=True, metavar="FILE.json",
                   help="params, inputs, targets as numbers or strings like \"3/2\"")

    p = sub.add_parser("crosscheck", help="every symbolic form and engine algorithm on the "
                                          "same random numbers")
    _add_model(p)
    _add_dims(p)
    p.add_argument("--seed", type=_whole("--seed", 0, 2**63 - 1), default=0)
    p.add_argument("--batch", type=_whole("--batch", 1, 4096), default=1)
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="float32 computes in float32 (default: float64)")
    p.add_argument("--tau", type=_whole("--tau", -10**9, 10**9), default=None,
                   help="truncation window (default T; tau < T is an estimate, shown apart)")
    p.add_argument("--pi", type=float, default=None,
                   help="also run randomized truncation with keep probability pi in (0, 1]")

    p = sub.add_parser("bench", help="proof times against the plain SymPy path")
    p.add_argument("--json", action="store_true")
    p.add_argument("--T-max", dest="T_max", type=_whole("--T-max", 2, 12), default=8)
    p.add_argument("--limit", type=float, default=60.0, metavar="SECONDS",
                   help="time limit per run; a curve stops at the first run past it")
    p.add_argument("--part", choices=("all", "proofs", "numeric", "inductive", "check",
                                      "custom"), default="all")
    _add_render_build(sub)
    _add_check(sub)
    _add_analyze(sub)
    p = sub.add_parser("recheck", help="recompute a saved crosscheck --json fixture with the "
                                       "engine: do its gradients still hold?")
    p.add_argument("fixture", metavar="FILE.json", help="the output of symbptt crosscheck "
                                                        "--json, saved")
    p.add_argument("--model", default=None, help="the model (name or file), when the "
                                                 "fixture's model file has moved")
    p.add_argument("--json", action="store_true")
    return parser


def _add_analyze(sub) -> None:
    from ..analyze import PARTS, Settings
    d = Settings("")
    p = sub.add_parser("analyze", help="gradient dynamics: vanishing and exploding, "
                                       "truncation, clipping, cost, attention's shortcut")
    p.add_argument("model", help="a zoo model with a numeric engine, or a model file "
                                 "(its clip and cost parts)")
    p.add_argument("--T", type=_whole("--T", 2, 2000), default=d.T,
                   help=f"sequence length (default {d.T})")
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
    p.add_argument("--plot-format", default="svg", choices=("svg", "pdf"))
    p.add_argument("--json", action="store_true", help="machine-readable output: the series "
                                                       "behind every figure")


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
    p.add_argument("--force", action="store_true",
                   help="check at a --T-max past the estimated time limit")
    p.add_argument("--convention", default="column", choices=("column", "row"),
                   help="row: dL/dh[t] is a row vector (default column)")
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


def _model(name: str) -> ModelSpec:
    """A zoo model, or a model file (its warnings, such as an unused parameter, on stderr:
    one line each)."""
    import warnings

    from ..api import load_model
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = load_model(name)
    for w in caught:
        print(f"symbptt: warning: {w.message}", file=sys.stderr)
    return spec


def _symbolic_model(name: str) -> ModelSpec:
    spec = _model(name)
    if not spec.symbolic:
        built = ", ".join(s.name for s in models() if s.symbolic)
        raise SymbpttError(f"the symbolic side of {spec.name} is not built yet; "
                           f"models with it: {built}")
    return spec


def _emit(args: argparse.Namespace, data: dict, text: str) -> None:
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(text)


def cmd_models(args: argparse.Namespace) -> int:
    from ..check.report import model_json, models_text
    specs = models()
    _emit(args, {"models": [model_json(s) for s in specs]}, models_text(specs))
    return EXIT_OK


def cmd_prove(args: argparse.Namespace) -> int:
    from ..check.report import certificate_json, certificate_text
    from ..symbolic.certificate import prove
    from ..symbolic.mutations import mutated_cell
    spec = _symbolic_model(args.model)
    dims = resolve_dims(spec, args)
    activation = resolve_activation(spec, args.activation)
    cell = mutated_cell(spec.name, args.mutate, activation) if args.mutate else None
    if args.budget is not None and not (math.isfinite(args.budget) and args.budget > 0):
        raise SymbpttError(f"--budget must be a positive number of seconds, got {args.budget}")
    if args.kind != "inductive" and args.T is None:
        raise SymbpttError(f"--T is needed for the {args.kind} certificate "
                           f"(or ask for --kind inductive, which holds for every T)")
    certs = []
    if args.kind in ("unrolled", "both"):
        certs.append(prove(spec, args.T, dims, activation, cell=cell, budget=args.budget,
                           force=args.force))
    if args.kind in ("inductive", "both"):
        from ..symbolic.inductive import prove_inductive
        certs.append(prove_inductive(spec, dims, activation, cell=cell))
    proven = all(c.proven for c in certs)
    data = certificate_json(certs[0]) if len(certs) == 1 else \
        {"kind": "both", "model": spec.name, "proven": proven,
         "certificates": [certificate_json(c) for c in certs]}
    _emit(args, data, "\n\n".join(certificate_text(c) for c in certs))
    return EXIT_OK if proven else EXIT_MISMATCH


def cmd_grad(args: argparse.Namespace) -> int:
    from ..model import values
    from ..check.report import grad_json, grad_text
    from ..symbolic.certificate import check_budget
    from ..symbolic.evaluate import evaluate
    spec = _symbolic_model(args.model)
    activation = resolve_activation(spec, args.activation)
    if not spec.numeric:
        raise SymbpttError(f"{spec.name} has undefined functions (f, g, l): there are no "
                           f"values to put in; try: symbptt prove {spec.name} --T {args.T}")
    vals, dims = values.load(args.values, spec, args.T)
    check_budget(spec, args.T, dims, None, False, activation)
    report = evaluate(spec, args.T, vals, dims, activation)
    _emit(args, grad_json(report), grad_text(report))
    return EXIT_OK if report.agree else EXIT_MISMATCH


def cmd_crosscheck(args: argparse.Namespace) -> int:
    from ..crosscheck import crosscheck, report_json, report_text
    spec = _model(args.model)
    if not spec.numeric:
        raise SymbpttError(f"{spec.name} has undefined functions (f, g, l): there are no "
                           f"numbers to check; try: symbptt prove {spec.name} --T {args.T}")
    dims = resolve_dims(spec, args)
    activation = resolve_activation(spec, args.activation)
    report = crosscheck(spec, args.T, dims, args.seed, args.batch, args.dtype, activation,
                        args.tau, args.pi)
    _emit(args, report_json(report, spec), report_text(report))
    return EXIT_OK if report.agree else EXIT_MISMATCH


def cmd_bench(args: argparse.Namespace) -> int:
    from ..bench import (bench_json, bench_text, check_bench, check_text, inductive_bench,
                        inductive_text, numeric_bench, numeric_text, run_bench)
    if not (math.isfinite(args.limit) and args.limit > 0):
        raise SymbpttError(f"--limit must be a positive number of seconds, got {args.limit}")
    progress = None if args.json else lambda line: print(line, flush=True)
    data, texts = {}, []
    if args.part in ("all", "proofs"):
        result = run_bench(T_max=args.T_max, limit=args.limit, progress=progress)
        data["proofs"] = bench_json(result)
        texts.append(bench_text(result))
    if args.part in ("all", "numeric"):
        numbers = numeric_bench(progress)
        data["numeric"] = numbers
        texts.append(numeric_text(numbers))
    if args.part in ("all", "inductive"):
        found = inductive_bench(args.limit, progress)
        data["inductive"] = found
        texts.append(inductive_text(found))
    if args.part in ("all", "check"):
        found = check_bench(progress)
        data["check"] = found
        texts.append(check_text(found))
    if args.part in ("all", "custom"):
        from ..bench import custom_bench, custom_text
        found = custom_bench(progress)
        data["custom"] = found
        texts.append(custom_text(found))
    _emit(args, data, "\n\n".join(texts))
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..documents.render import FORMATS, render, write_atomic
    if args.format not in FORMATS:
        raise SymbpttError(f"unknown format {args.format!r}; choose one of {', '.join(FORMATS)}")
    spec = _symbolic_model(args.model)
    dims = resolve_dims(spec, args)
    activation = resolve_activation(spec, args.activation)
    out = Path(args.out) if args.out else None
    if out is None and args.format == "pdf":
        out = Path(f"{spec.name}.pdf")
    if out is not None and (out.is_dir() or not out.parent.resolve().is_dir()):
        raise SymbpttError(f"cannot write {out}: not a file in an existing folder")
    from ..symbolic.certificate import check_budget
    check_budget(spec, args.T, dims, None, False, activation)
    if args.json and args.format == "pdf" and args.out is None:
        raise SymbpttError("--json prints the document as text: use --format md or tex "
                           "(or --out FILE.pdf)")
    data = render(spec, args.T, dims, args.format, activation)
    meta = {"model": spec.name, "T": args.T, "dims": dims.as_dict(spec.dims_used),
            "format": args.format}
    if out is None:
        if args.json:
            print(json.dumps({**meta, "document": data.decode("utf-8")}, ensure_ascii=False))
        else:
            sys.stdout.write(data.decode("utf-8"))
    else:
        write_atomic(out, data)
        _emit(args, {**meta, "file": str(out), "bytes": len(data)},
              f"wrote {out} ({len(data)} bytes)")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..documents.build import build_all, default_output, stale, write
    from ..documents.render import require_tex
    out = Path(args.out) if args.out else default_output()
    pdf = not args.no_pdf
    if pdf:
        require_tex(" (or --no-pdf)")
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    built = build_all(pdf=pdf, progress=progress)
    timing = (f"documents in {built.seconds_text:.1f} s"
              + (f", PDFs in {built.seconds_pdf:.1f} s" if pdf else ", PDFs skipped (--no-pdf)"))
    if args.check:
        bad = stale(built, out)
        if bad:
            print(f"STALE: {len(bad)} file(s) in {out} differ from what the code makes now: "
                  f"{', '.join(bad)} (run symbptt build); {timing}")
            return EXIT_MISMATCH
        print(f"up to date: {len(built.files)} files in {out}; {timing}")
        return EXIT_OK
    write(built, out)
    print(f"wrote {len(built.files)} files to {out}; {timing}")
    return EXIT_OK


def _budget(args: argparse.Namespace) -> dict:
    return {} if args.budget is None else {"budget": args.budget}


def cmd_check(args: argparse.Namespace) -> int:
    from ..check.verdict import check
    from ..check.outcome import ClaimInput
    from ..check.report import check_json, check_text
    from ..model.modelfile import is_model_file, toml_error
    target = args.target
    if args.claim and toml_error(target):
        raise SymbpttError(f"{target}: not valid TOML: {toml_error(target)}")
    if (target.endswith(".toml") or os.path.isfile(target)) and not is_model_file(target):
        from ..check import claimfile
        if args.claim or args.where:
            raise SymbpttError("a claim file holds its claims and definitions: drop --claim "
                               "and --where, or give a model name instead of the file")
        cf = claimfile.load(target)
        if any(v is not None for v in (args.hidden, args.input, args.output)):
            raise SymbpttError("a claim file sets its sizes with dims = {...}; drop the "
                               "size flags")
        T_max = args.T_max or cf.T_max
        reports = [check(g.model, list(g.claims), g.activation, cf.dims, T_max, args.force,
                         **_budget(args)) for g in cf.groups]
        path = target
    else:
        spec = _symbolic_model(target)
        if not args.claim:
            raise SymbpttError("nothing to check: give --claim \"dL/d... = ...\" (or a "
                               "claim file)")
        from ..check.verdict import CHECK_DIMS
        given = {"n": args.hidden, "d": args.input, "q": args.output}
        resolve_dims(spec, args)            # a size the model lacks is an error
        dims = Dims(**{k: v if v is not None else getattr(CHECK_DIMS, k)
                       for k, v in given.items()})
        claims = [ClaimInput(c, tuple(args.where), f"claim {k}" if len(args.claim) > 1
                             else "", convention=args.convention)
                  for k, c in enumerate(args.claim, start=1)]
        model = target if spec.program is not None else spec.name    # a file: its path
        reports = [check(model, claims, resolve_activation(spec, args.activation)
                         if args.activation else None, dims, args.T_max, args.force,
                         **_budget(args))]
        path = None
    _emit(args, check_json(reports, path), check_text(reports))
    return EXIT_OK if all(r.correct for r in reports) else EXIT_MISMATCH


def cmd_analyze(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..analyze import Settings, analysis_json, analysis_text, analyze
    from ..numeric.dynamics import BoundViolated
    spec = _model(args.model)
    resolve_dims(spec, args)
    d = Settings("").dims
    dims = Dims(*(v if v is not None else getattr(d, k) for k, v in
                  (("n", args.hidden), ("d", args.input), ("q", args.output))))
    weights, scale = ("norm", args.norm) if args.norm is not None else \
        ("radius", args.radius) if args.radius is not None else \
        ("orthogonal", None) if args.orthogonal else ("random", None)
    settings = Settings(spec.name, args.T, dims, args.seed,
                        resolve_activation(spec, args.activation), weights, scale, args.values,
                        args.lag, args.window, args.clip, args.pi, args.draws,
                        tuple(dict.fromkeys(args.part)))
    out = Path(args.plot) if args.plot else None
    if out is not None and out.exists() and not out.is_dir():
        raise SymbpttError(f"--plot {out}: not a folder")
    if out is not None:
        from ..documents.figures import require_matplotlib
        require_matplotlib()
    try:
        result = analyze(spec, settings)
    except BoundViolated as bug:
        print(f"symbptt: BUG: {bug}", file=sys.stderr)
        return 3
    if out is not None:
        from ..documents.figures import figure
        from ..documents.render import write_atomic
        out.mkdir(parents=True, exist_ok=True)
        for name, part in result.parts.items():
            path = out / f"{spec.name}-{name}.{args.plot_format}"
            write_atomic(path, figure(name, part, args.plot_format, spec.name))
    _emit(args, analysis_json(result), analysis_text(result) + (
        f"\nfigures in {out}/" if out is not None else ""))
    return EXIT_OK


def cmd_recheck(args: argparse.Namespace) -> int:
    from ..recheck import recheck, recheck_json, recheck_text
    r = recheck(args.fixture, args.model)
    _emit(args, recheck_json(r), recheck_text(r))
    return EXIT_OK if r.holds else EXIT_MISMATCH


COMMANDS = {"models": cmd_models, "prove": cmd_prove, "grad": cmd_grad,
            "crosscheck": cmd_crosscheck, "bench": cmd_bench, "render": cmd_render,
            "build": cmd_build, "check": cmd_check, "analyze": cmd_analyze,
            "recheck": cmd_recheck}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except SymbpttError as err:
        print(f"symbptt: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as done:          # --help and --version: argparse's own exit
        return done.code if isinstance(done.code, int) else EXIT_OK
    except BrokenPipeError:             # output piped into `head`: stop quietly
        sys.stdout = open(os.devnull, "w")
        return EXIT_OK
    except KeyboardInterrupt:
        print("symbptt: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
