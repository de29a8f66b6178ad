"""The memory budget, enforced: a request the cost model underestimated stops with a
MemoryError (one line from the CLI) instead of taking the machine's memory.

The cost model refuses what it expects to pass the budget before the work starts; this
is the backstop for what it did not expect (a cell that grows faster than its probe
said). The work may take `budget` bytes more than the process already holds: the soft
RLIMIT_DATA (heap and private mappings, what an expansion allocates) is set for the
duration and put back after, so a caller (a test, a notebook) keeps its own limit.
symengine turns a failed allocation into MemoryError (std::bad_alloc), as Python does.
The limit counts mapped memory: a long-lived process (a notebook, pytest) reuses its freed
heap first, so there the work may take more than the budget before it stops; the CLI
starts fresh.
"""
from __future__ import annotations

import contextlib
import os
from typing import Iterator


def data_bytes() -> int | None:
    """The process's data segment now (VmData), or None where /proc is not there."""
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


@contextlib.contextmanager
def memory_limit(budget: int) -> Iterator[None]:
    """Allow `budget` more bytes of data within the block (no limit where the platform
    has none to set)."""
    try:
        import resource
    except ImportError:                     # not a Unix: the estimate is the only guard
        yield
        return
    held = data_bytes()
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = None if held is None else held + budget
    if limit is not None and hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if limit is not None and soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    if limit is None:
        yield
        return
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
