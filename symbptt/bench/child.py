"""One run in a child process with a time limit, so a curve can stop where it explodes
without hanging the machine."""
from __future__ import annotations

import multiprocessing as mp


def in_child(target, args: tuple, limit: float) -> tuple | None:
    """target(*args, conn) in a forked child, which sends one tuple on conn; that tuple,
    or None when the child is still running after `limit` seconds (it is stopped)."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(*args, child))
    proc.start()
    child.close()
    if parent.poll(limit):
        sent = parent.recv()
        proc.join()
        return sent
    proc.terminate()
    proc.join()
    return None
