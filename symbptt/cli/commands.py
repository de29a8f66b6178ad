"""One function a verb: run it, print its text (or --json), return the exit code.

0: done, and everything checked holds; 1: something checked does not hold (a proof, a
crosscheck, a claim, a recheck); errors raise SymbpttError, which main() turns into one
line on stderr and exit 2."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

from ..errors import SymbpttError
from ..model.spec import Dims, ModelSpec, resolve_activation
from ..model.zoo import models
from ..symbolic.cost import Budget
from .options import resolve_dims

EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT, EXIT_BUG = 0, 1, 2, 3


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
    from .views import model_json, models_text
    specs = models()
    _emit(args, {"models": [model_json(s) for s in specs]}, models_text(specs))
    return EXIT_OK


def cmd_prove(args: argparse.Namespace) -> int:
    from .views import certificate_json, certificate_text
    from ..symbolic.certificate import prove
    from ..symbolic.mutations import mutated_cell
    spec = _symbolic_model(args.model)
    dims = resolve_dims(spec, args)
    activation = resolve_activation(spec, args.activation)
    cell = mutated_cell(spec.name, args.mutate, activation) if args.mutate else None
    if args.budget is not None and not args.budget > 0:
        raise SymbpttError(f"--budget must be a positive number of seconds, got {args.budget}")
    budget = Budget.of(args.budget, args.memory)
    if args.kind != "inductive" and args.T is None:
        raise SymbpttError("--T is needed for the unrolled certificate"
                           + (" (--kind both, the default, includes it)" if args.kind == "both"
                              else "") + "; --kind inductive needs no T: it holds for every T")
    certs = []
    if args.kind in ("unrolled", "both"):
        from ..symbolic.certificate import check_budget
        from ..progress import Ticker
        from ..symbolic.cost import about
        est = check_budget(spec, args.T, dims, budget, args.force, activation)
        if est.seconds > 10 and sys.stderr.isatty():   # a long run says so up front
            print(f"symbptt: proving {spec.name} at T = {args.T}: {about(est.seconds)}",
                  file=sys.stderr, flush=True)
        ticker = Ticker(f"{spec.name} at T = {args.T}: entries compared")
        try:
            certs.append(prove(spec, args.T, dims, activation, cell=cell, budget=budget,
                               force=True, progress=ticker))
        finally:
            ticker.close()
    if args.kind in ("inductive", "both"):
        from ..symbolic.inductive import prove_inductive
        certs.append(prove_inductive(spec, dims, activation, cell=cell, budget=budget,
                                     force=args.force))
    proven = all(c.proven for c in certs)
    data = certificate_json(certs[0]) if len(certs) == 1 else \
        {"kind": "both", "model": spec.name, "proven": proven,
         "certificates": [certificate_json(c) for c in certs]}
    _emit(args, data, "\n\n".join(certificate_text(c) for c in certs))
    return EXIT_OK if proven else EXIT_MISMATCH


def cmd_grad(args: argparse.Namespace) -> int:
    from ..model import values
    from .views import grad_json, grad_text
    from ..symbolic.certificate import check_budget
    from ..symbolic.evaluate import evaluate
    spec = _symbolic_model(args.model)
    activation = resolve_activation(spec, args.activation)
    if not spec.numeric:
        raise SymbpttError(f"{spec.name} has undefined functions (f, g, l): there are no "
                           f"values to put in; try: symbptt prove {spec.name} --T {args.T}")
    vals, dims = values.load(args.values, spec, args.T)
    check_budget(spec, args.T, dims, Budget.of(None, args.memory), False, activation)
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
                        args.tau, args.pi, Budget.of(args.budget, args.memory), args.force)
    _emit(args, report_json(report, spec), report_text(report))
    return EXIT_OK if report.agree else EXIT_MISMATCH


def cmd_bench(args: argparse.Namespace) -> int:
    from ..bench import check as checks, cost, custom, derive, numeric, proofs
    if not (math.isfinite(args.limit) and args.limit > 0):
        raise SymbpttError(f"--limit must be a positive number of seconds, got {args.limit}")
    progress = None if args.json else lambda line: print(line, flush=True)
    parts = {     # a part: (run it, its --json, its text), in the order they print
        "proofs": (lambda: proofs.run_bench(T_max=args.T_max, limit=args.limit,
                                            progress=progress),
                   proofs.bench_json, proofs.bench_text),
        "numeric": (lambda: numeric.numeric_bench(progress), None, numeric.numeric_text),
        "inductive": (lambda: proofs.inductive_bench(args.limit, progress), None,
                      proofs.inductive_text),
        "check": (lambda: checks.check_bench(progress), None, checks.check_text),
        "custom": (lambda: custom.custom_bench(progress), None, custom.custom_text),
        "derive": (lambda: derive.derive_bench(progress), None, derive.derive_text),
        "cost": (lambda: cost.cost_bench(args.limit, progress), None, cost.cost_text),
    }
    data, texts = {}, []
    for name, (run, as_json, as_text) in parts.items():
        if args.part in ("all", name):
            found = run()
            data[name] = as_json(found) if as_json else found
            texts.append(as_text(found))
    _emit(args, data, "\n\n".join(texts))
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..documents.render import FORMATS, render
    from ..output import check_file, write_atomic
    if args.format not in FORMATS:
        raise SymbpttError(f"unknown format {args.format!r}; choose one of {', '.join(FORMATS)}")
    spec = _symbolic_model(args.model)
    dims = resolve_dims(spec, args)
    activation = resolve_activation(spec, args.activation)
    out = Path(args.out) if args.out else None
    if out is None and args.format == "pdf":
        out = Path(f"{spec.name}.pdf")
    if out is not None:
        check_file(out)                        # before the proofs, not after
    from ..symbolic.certificate import check_budget
    check_budget(spec, args.T, dims, Budget.of(None, args.memory), False, activation)
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

    from ..documents.build import build_all, default_output, names, overfull_boxes, stale, write
    from ..documents.render import OVERFULL_LIMIT, require_tex
    from ..output import check_folder
    out = Path(args.out) if args.out else default_output()
    pdf = not args.no_pdf
    if pdf:
        require_tex(" (or --no-pdf)")
    check_folder(out, () if args.check else names())     # before the minutes of work
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    built = build_all(pdf=pdf, progress=progress)
    timing = (f"documents in {built.seconds_text:.1f} s"
              + (f", PDFs in {built.seconds_pdf:.1f} s" if pdf else ", PDFs skipped (--no-pdf)"))
    wide = overfull_boxes(built)
    for line in wide:
        print(f"OVERFULL: {line}")
    if args.check:
        bad = stale(built, out)
        if wide:
            print(f"{len(wide)} overfull box(es) over {OVERFULL_LIMIT:g} pt in the PDFs: a "
                  f"document runs past its margin; {timing}")
            return EXIT_MISMATCH
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
    """check's search budget (seconds past K) and its memory budget (bytes)."""
    return {**({} if args.budget is None else {"budget": args.budget}),
            **({} if getattr(args, "time_limit", None) is None else
               {"time_limit": args.time_limit}),
            "memory": Budget.of(None, args.memory).bytes}


def cmd_derive(args: argparse.Namespace) -> int:
    from ..check.verdict import CHECK_DIMS
    from ..derive.proof import derive
    from ..derive.proof import derivation_latex
    from ..derive.views import derivation_json, derivation_text
    spec = _symbolic_model(args.model)
    given = {"n": args.hidden, "d": args.input, "q": args.output}
    resolve_dims(spec, args)                # a size the model lacks is an error
    dims = Dims(**{k: v if v is not None else getattr(CHECK_DIMS, k) for k, v in given.items()})
    activation = resolve_activation(spec, args.activation) if args.activation else None
    if args.format == "numpy" and args.json:
        raise SymbpttError("--format numpy prints Python source; drop --json")
    d = derive(spec, activation, dims, args.T_max)
    if args.format == "numpy" and d.correct and not d.numpy:
        raise SymbpttError(d.numpy_problem)
    if args.format == "numpy" and not d.correct:        # no code from unproven formulas
        text = derivation_text(d)
    else:
        text = {"latex": derivation_latex, "numpy": lambda x: x.numpy}.get(
            args.format, derivation_text)(d)
    _emit(args, derivation_json(d), text.rstrip("\n"))
    if d.wrong:
        print("symbptt: BUG: derive printed a formula check finds wrong (marked above)",
              file=sys.stderr)
        return EXIT_BUG
    return EXIT_OK if d.correct else EXIT_MISMATCH


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
    # a claim file's slips put in on purpose (expect = "wrong") are as they should be
    return EXIT_OK if all(r.as_expected for r in reports) else EXIT_MISMATCH


def _values_length(path: str | None) -> int | None:
    """T of a values file: how many inputs it holds (None without one, or when it cannot
    be read: the values' own check then says why)."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.loads(f.read())
        inputs = data.get("inputs") if isinstance(data, dict) else None
        return len(inputs) if isinstance(inputs, list) and inputs else None
    except (OSError, ValueError, RecursionError):
        return None


DRAW_SECONDS = 4.6e-5     # one randomized-truncation draw, one step, the pi grid included
#                           (50,000 draws at T = 20 in 13.7 s: T_MOMENTS = 6 steps)
DRAW_BUDGET = 120.0


def cmd_analyze(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..analyze.parts import analyze
    from ..analyze.settings import Settings
    from ..analyze.views import analysis_json, analysis_text
    from ..numeric.dynamics import BoundViolated
    spec = _model(args.model)
    resolve_dims(spec, args)
    if args.T is None:                         # the values' own length, else the default
        args.T = _values_length(args.values) or Settings("").T
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
    from ..analyze.settings import PARTS, T_MOMENTS
    randomized = spec.name in PARTS["randomized"] and (not args.part or
                                                       "randomized" in args.part)
    est = args.draws * min(args.T, T_MOMENTS) * DRAW_SECONDS
    if randomized and est > DRAW_BUDGET:
        raise SymbpttError(f"--draws {args.draws} at T={args.T} would take about {est:.0f} s "
                           f"for the randomized estimator (at most {DRAW_BUDGET:.0f} s): "
                           f"fewer --draws, or leave out --part randomized")
    out = Path(args.plot) if args.plot else None
    if out is not None:
        from ..output import check_folder
        check_folder(out)                      # before the analysis, not after
    if out is not None:
        from ..documents.figures import require_matplotlib
        require_matplotlib()
    try:
        result = analyze(spec, settings)
    except BoundViolated as bug:
        print(f"symbptt: BUG: {bug}", file=sys.stderr)
        return EXIT_BUG
    if out is not None:
        from ..documents.figures import figure
        from ..output import write_folder
        write_folder(out, {f"{spec.name}-{name}.{args.plot_format}":
                           figure(name, part, args.plot_format, spec.name)
                           for name, part in result.parts.items()})
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
            "build": cmd_build, "check": cmd_check, "derive": cmd_derive,
            "analyze": cmd_analyze, "recheck": cmd_recheck}
