"""The symbptt command line. Errors end here: one line on stderr, exit 2.

options builds the parser (every verb and its checks), commands runs a verb, views
prints what a verb found (check/report.py: check's verdicts)."""
from __future__ import annotations

import os
import sys
from typing import Sequence

from ..errors import SymbpttError
from ..output import terminating
from .commands import COMMANDS, EXIT_BAD_INPUT, EXIT_OK
from .options import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        with terminating():             # SIGTERM unwinds: no temporary file left behind
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
    except RecursionError:              # an input nested past Python's stack
        print("symbptt: error: the input is nested too deeply to read", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:              # `symbptt models > /dev/full`: the output failed
        print(f"symbptt: error: cannot write the output: {err.strerror or err}",
              file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
