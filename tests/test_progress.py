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


def test_a_proof_on_a_terminal_shows_its_entries_compared(monkeypatch):
    """Issue 18: prove ran minutes with nothing on screen; the certificate reports each
    entry to a Ticker, which makes its bar once the total is known."""
    from symbptt.model.registry import get_model
    from symbptt.model.spec import Dims
    from symbptt.progress import Ticker
    from symbptt.symbolic.certificate import prove

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    seen = []
    ticker = Ticker("elman at T = 2: entries compared")

    def tick(done, total):
        seen.append((done, total))
        ticker(done, total)
    prove(get_model("elman"), 2, Dims(2, 2), progress=tick)
    ticker.close()
    assert seen[0] == (0, 14) and seen[-1] == (13, 14)     # W 4, U 4, b 2, x 4
    assert "elman at T = 2: entries compared" in term.getvalue()
