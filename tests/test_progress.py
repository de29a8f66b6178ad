"""symbptt.progress: a bar on a terminal, nothing elsewhere (logs and tests keep their bytes)."""
from __future__ import annotations

import io
import sys

from symbptt.progress import bar


def test_off_a_terminal_nothing_is_printed(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    shown = bar(3, "work")
    for _ in range(3):
        shown.update()
    shown.close()
    assert sys.stderr.getvalue() == ""


def test_on_a_terminal_a_bar_counts_the_steps(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    shown = bar(2, "symbptt build", "45 s on two cores")
    shown.update()
    shown.update()
    shown.close()
    assert "symbptt build (about 45 s on two cores)" in term.getvalue()
