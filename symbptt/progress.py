"""Progress on stderr for the long runs (build, bench), when stderr is a terminal.

A bar from tqdm, a well-kept library; nothing at all when stderr is a file or a pipe (CI
logs, tests), so outputs and logs stay the same bytes.
"""
from __future__ import annotations

import sys


class _Quiet:
    """What a bar offers, doing nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def bar(total: int, what: str, estimate: str = ""):
    """A progress bar on stderr over `total` steps, or a quiet stand-in off a terminal."""
    if not sys.stderr.isatty():
        return _Quiet()
    from tqdm import tqdm
    return tqdm(total=total, desc=what + (f" (about {estimate})" if estimate else ""),
                file=sys.stderr, leave=False, unit="step")
