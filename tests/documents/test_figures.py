"""symbptt/figures.py: one figure per analyze part, the same bytes every time."""
from __future__ import annotations

import pytest

from symbptt.analyze.parts import analyze
from symbptt.analyze.settings import Settings
from symbptt.errors import SymbpttError
from symbptt.documents.figures import DRAW, FORMATS, figure
from symbptt.model.registry import get_model


@pytest.fixture(scope="module")
def parts():
    """One small analysis per part."""
    out = {}
    for model, kw in (("linear_half_square", dict(weights="radius", scale=1.2, draws=200)),
                      ("elman", {}), ("attention", {})):
        r = analyze(get_model(model), Settings(model, T=8, **kw))
        out.update({name: (model, p) for name, p in r.parts.items()})
    return out


def test_every_part_has_a_figure(parts):
    assert set(parts) == set(DRAW)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_figure_is_the_same_bytes_twice(parts, fmt):
    for name, (model, p) in parts.items():
        a, b = figure(name, p, fmt, model), figure(name, p, fmt, model)
        assert a == b, name
        if fmt == "svg":
            text = a.decode("utf-8")
            assert text.startswith("<?xml") and "<dc:date>" not in text, name
        else:
            assert a.startswith(b"%PDF") and b"CreationDate" not in a, name
            assert b"/Producer (symbptt)" in a and b"/Creator (symbptt)" in a, name


def test_a_figure_shows_its_data(parts):
    """Different numbers, different picture: the figure is drawn from the data given."""
    model, p = parts["eigen"]
    changed = dict(p, components=[2 * c for c in p["components"]])
    assert figure("eigen", p, "svg", model) != figure("eigen", changed, "svg", model)


def test_no_font_timestamp_warning(parts, capfd):
    model, p = parts["jacobians"]
    figure("jacobians", p, "pdf", model)
    assert "timestamp" not in capfd.readouterr().err


def test_unknown_format_is_bad_input(parts):
    model, p = parts["cost"]
    with pytest.raises(SymbpttError, match="unknown figure format 'png'"):
        figure("cost", p, "png", model)
