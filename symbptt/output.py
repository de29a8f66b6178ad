"""Safe output: every file symbptt writes, and every folder it fills.

A file is written to a temporary file beside its target, then renamed over it, so no reader
ever sees half a file; the temporary file is removed on any exception (an interrupt, or a
SIGTERM turned into one by `terminating`). A target that exists and is not a regular file (a
device such as /dev/null, a folder, a pipe) is refused: renaming over it would replace it. A
symlink is followed, knowingly: the file it points to is replaced and the link kept. An
existing file keeps its mode. Every path is checked before the work that fills it starts
(`check_file`, `check_folder`), so a bad --out costs nothing.
"""
from __future__ import annotations

import os
import signal
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import SymbpttError


def _target(path: Path) -> Path:
    """Where the bytes go: a symlink's target (the link is kept), else the path itself."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


def check_file(path: str | os.PathLike) -> Path:
    """The file `path` names, checked before any work: a regular file or nothing yet, in an
    existing folder. Returns where the bytes will go."""
    path = Path(path)
    target = _target(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise SymbpttError(f"cannot write {path}: {e.strerror or e}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise SymbpttError(f"cannot write {path}: it is {kind} (symbptt writes only files)")
    parent = target.parent
    if not parent.is_dir():
        raise SymbpttError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise SymbpttError(f"cannot write {path}: folder {parent} is not writable")
    return target


def check_folder(out: str | os.PathLike, files: tuple = ()) -> Path:
    """A folder to fill, checked before any work: it and every existing ancestor a folder
    (or not there yet), and none of `files` (relative names) blocked by something that is
    not a regular file, such as a folder where a file goes or a file where a folder goes."""
    out = Path(out)
    for up in [out, *out.parents]:
        if up.exists() or up.is_symlink():
            if not up.is_dir():
                raise SymbpttError(f"cannot write into {out}: {up} is not a folder")
            if not os.access(up, os.W_OK) and up == out:
                raise SymbpttError(f"cannot write into {out}: not writable")
            break
    for rel in files:
        target = out / rel
        for up in list(Path(rel).parents)[:-1]:
            if (out / up).exists() and not (out / up).is_dir():
                raise SymbpttError(f"cannot write {target}: {out / up} is not a folder")
        if target.exists() and not target.is_file():
            raise SymbpttError(f"cannot write {target}: it is not a regular file")
    return out


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename (see the module doc)."""
    path = Path(path)
    target = check_file(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask                     # a plain new file, not mkstemp's 0600
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                   suffix=".tmp")
    except OSError as e:
        raise SymbpttError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:                    # interrupts too: never a stray temp file
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise SymbpttError(f"cannot write {path}: {e.strerror or e}") from None
        raise


def write_folder(out: str | os.PathLike, files: dict) -> None:
    """Every file of `files` (relative name -> bytes) into `out`, each atomically, after the
    folder and every name were checked; nothing is written when a check fails."""
    out = check_folder(out, tuple(files))
    for name in sorted(files):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(files.items()):
        write_atomic(out / name, data)


@contextmanager
def terminating():
    """SIGTERM raises SystemExit(143) inside the block (the default would kill the process
    before a temporary file is removed); the old handler is put back after. A process
    forked inside the block exits at once on SIGTERM: raising there would unwind the
    child into its parent's code (a pytest child ran the rest of the suite)."""
    owner = os.getpid()

    def stop(signum, frame):
        if os.getpid() != owner:      # a forked child (a check run under a time limit): it
            os._exit(128 + signum)    # dies at once, as with the default, never unwinds
        raise SystemExit(128 + signum)
    try:
        old = signal.signal(signal.SIGTERM, stop)
    except ValueError:                            # not the main thread: leave it alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
