"""The symbptt command line. Errors end here: one line on stderr, exit 2.

options builds the parser (every verb and its checks), commands runs a verb, views
prints what a verb found (check/report.py: check's verdicts)."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Sequence

from ..errors import SymbpttError
from ..limits import memory_limit
from ..symbolic.cost import DEFAULT_MEMORY, GiB
from ..output import terminating
from .commands import COMMANDS, EXIT_BAD_INPUT, EXIT_OK
from .options import build_parser


def _memory(args: argparse.Namespace):
    """The memory budget of a verb that takes --memory (bench and build run their work in
    child processes with their own limits)."""
    if not hasattr(args, "memory"):
        return contextlib.nullcontext()
    return memory_limit(int(args.memory * GiB) if args.memory else DEFAULT_MEMORY)


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        with terminating(), _memory(args):     # SIGTERM unwinds: no temporary left
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
    except MemoryError:                 # the backstop: the estimate was too low
        given = getattr(args, "memory", None)
        print(f"symbptt: error: the work grew past its memory budget of "
              f"{given or DEFAULT_MEMORY / GiB:g} GiB and was stopped (the cost model "
              f"expected less); allow more with --memory GIB, or ask for less (a smaller "
              f"--T or sizes)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:              # an input nested past Python's stack
        print("symbptt: error: the input is nested too deeply to read", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:              # `symbptt models > /dev/full`: the output failed
        print(f"symbptt: error: cannot write the output: {err.strerror or err}",
              file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
