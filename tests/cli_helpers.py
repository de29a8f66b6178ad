"""Shared by the CLI tests: run main() in-process, and the exit-2 contract."""
from __future__ import annotations

from symbptt.cli import main


def run(capsys, argv):
    """main(argv) -> (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_bad_input(code, out, err, contains=None):
    """Exit 2, exactly one 'symbptt: error:' line on stderr, no traceback, empty stdout."""
    assert code == 2, (code, out, err)
    assert out == "", f"stdout must be empty on exit 2, got {out!r}"
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.splitlines()
    assert len(lines) == 1, f"expected exactly one stderr line, got {lines!r}"
    assert err.endswith("\n")
    assert lines[0].startswith("symbptt: error:"), lines[0]
    if contains is not None:
        assert contains in lines[0], f"{contains!r} not in {lines[0]!r}"
    return lines[0]
