"""symbptt/figures.py: one figure per analyze part, the same bytes every time."""
from __future__ import annotations

import re

import pytest

from symbptt.analyze.parts import analyze
from symbptt.analyze.settings import Settings
from symbptt.errors import SymbpttError
from symbptt.documents.figures import DRAW, FORMATS, SIZE, STYLE, bound, figure, number
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


# --------------------------------------------------------------------------- what a reader sees

def drawn(name: str, parts):
    """The part's figure as a matplotlib Figure (what figure() saves)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    model, p = parts[name]
    with rc_context(STYLE):
        fig = Figure(figsize=SIZE, layout="constrained")
        DRAW[name](fig, p, model)
    return fig


def shown(axis, limits) -> list:
    """The ticks an axis shows (inside its limits): (position, label)."""
    lo, hi = sorted(limits)
    return [(t.get_position()[axis.axis_name == "y"], t.get_text())
            for t in axis.get_majorticklabels()
            if lo <= t.get_position()[axis.axis_name == "y"] <= hi]


def texts(fig) -> list[str]:
    """Every text of a figure: titles, axis labels, legends, tick labels."""
    out = [fig._suptitle.get_text()] if fig._suptitle else []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t for _, t in shown(ax.xaxis, ax.get_xlim()) + shown(ax.yaxis, ax.get_ylim())]
    for legend in [ax.get_legend() for ax in fig.axes] + list(fig.legends):
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()] + [legend.get_title().get_text()]
    return [t for t in out if t]


def test_figure_texts_are_math_not_raw_text(parts):
    """No h_(t-1), 1e-14, <=, 3.395e+04 or ||g|| typed as text; no \\prod, whose limits
    mathtext sets under the J that follows it."""
    for name in DRAW:
        for text in texts(drawn(name, parts)):
            assert not re.search(r"_\(|\de[+-]?\d|<=|>=|\|\||\\prod", text), (name, text)
            assert text.count("$") % 2 == 0, (name, text)


def test_every_axis_has_a_label(parts):
    for name in DRAW:
        for ax in drawn(name, parts).axes:
            assert ax.get_xlabel() and ax.get_ylabel(), (name, ax.get_title())


def test_lags_and_steps_get_integer_ticks(parts):
    for name in ("jacobians", "residual", "eigen", "orthogonal", "attention"):
        ax = drawn(name, parts).axes[0]
        ticks = [x for x, _ in shown(ax.xaxis, ax.get_xlim())]
        assert ticks and all(x == int(x) for x in ticks), (name, ticks)


def test_short_log_axes_show_several_labelled_ticks(parts):
    """Clipping and cost span a decade or two: their log axes label more than the powers
    of ten, and cost marks each T it measures."""
    for name in ("clip", "cost"):
        ax = drawn(name, parts).axes[0]
        for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            assert len([t for _, t in shown(axis, limits) if t]) >= 3, (name, axis.axis_name)
    model, p = parts["cost"]
    ax = drawn("cost", parts).axes[0]
    assert [x for x, _ in shown(ax.xaxis, ax.get_xlim())] == p["T"]


def test_the_attention_figure_names_the_last_loss_not_t(parts):
    model, p = parts["attention"]
    text = " ".join(texts(drawn("attention", parts)))
    assert f"l_{{{p['t']}}}" in text and f"\\alpha_{{{p['t']},k}}" in text
    assert "t-\\tau" not in text and "_{t," not in text and "\\tau" not in text


def test_the_randomized_legend_is_off_the_error_bars(parts):
    """The mean panel's legend sits below both panels, not on the bars at small pi."""
    fig = drawn("randomized", parts)
    left, right = fig.axes
    assert left.get_legend() is None and len(fig.legends) == 1
    assert right.get_ylabel()


def test_number_keeps_significant_zeros_and_writes_powers_as_math():
    assert number(32.20128415) == "32.20" and number(195.114) == "195.1"
    assert number(33951.2) == "3.395 \\times 10^{4}" and number(0.9000000000000002) == "0.9"
    assert bound(1e-16) == "< 10^{-14}" and bound(3e-5) == "\\le 10^{-4}"
