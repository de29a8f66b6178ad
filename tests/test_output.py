"""symbptt.output: nothing half-written, nothing replaced that is not a file (issue 18: `render
--out /dev/null`, run as root, replaced the device file with a regular file). The commands'
probes (render, build, analyze --plot) are in tests/cli/test_hostile.py."""
from __future__ import annotations

import os
import signal
import stat

import pytest

from symbptt.errors import SymbpttError
from symbptt.output import check_file, check_folder, terminating, write_atomic, write_folder


def leftovers(folder) -> list:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_fifo_is_refused_and_stays_a_fifo(tmp_path):
    """A target that is not a regular file (a device, a pipe) is never renamed over."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SymbpttError, match="not a regular file"):
        write_atomic(fifo, b"x")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and leftovers(tmp_path) == []


def test_dev_null_is_refused_before_any_work():
    with pytest.raises(SymbpttError, match="not a regular file"):
        check_file("/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(SymbpttError, match="it is a folder"):
        write_atomic(tmp_path, b"x")


def test_a_symlink_is_written_through_and_kept(tmp_path):
    real = tmp_path / "real.md"
    real.write_bytes(b"old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "doc.md"
    path.write_bytes(b"old")
    path.chmod(0o640)
    write_atomic(path, b"new")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640 and path.read_bytes() == b"new"


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit(143), RuntimeError("boom")])
def test_the_temporary_file_goes_on_any_exception(tmp_path, monkeypatch, error):
    path = tmp_path / "doc.md"
    path.write_bytes(b"old")

    def fail(*_):
        raise error
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(BaseException):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_sigterm_unwinds_inside_terminating():
    with pytest.raises(SystemExit) as done:
        with terminating():
            os.kill(os.getpid(), signal.SIGTERM)
            signal.pause() if hasattr(signal, "pause") else None
    assert done.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is not None


def test_a_folder_is_checked_whole_before_anything_is_written(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "figures").write_bytes(b"a file where a folder goes")
    files = {"a.md": b"a", "figures/f.svg": b"f"}
    with pytest.raises(SymbpttError, match="figures is not a folder"):
        write_folder(out, files)
    assert not (out / "a.md").exists()
    with pytest.raises(SymbpttError, match="is not a folder"):
        check_folder(out / "figures" / "deeper")


def test_a_child_forked_inside_terminating_dies_on_sigterm():
    """A forked child killed past its time limit must exit, not unwind into the parent's
    code (under pytest, such a child went on to run the rest of the test suite)."""
    import time
    with terminating():
        pid = os.fork()
        if pid == 0:                      # the child: wait to be killed
            try:
                time.sleep(30)
            finally:
                os._exit(0)              # reached only if SIGTERM unwound: the bug
        time.sleep(0.2)
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 128 + signal.SIGTERM
