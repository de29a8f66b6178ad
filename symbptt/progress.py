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


class Ticker:
    """A progress(done, total) callback for the engines (which may not import this
    module): the bar is made at the first call, when the total is known."""

    def __init__(self, what: str, estimate: str = "") -> None:
        self.what, self.estimate, self.bar, self.done = what, estimate, None, 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = bar(total, self.what, self.estimate)
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
