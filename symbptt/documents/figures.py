"""figures: one plot per analyze part, drawn from the part's plain data (what --json prints).

matplotlib's object API only (a Figure, no pyplot: no global figure state, no backend to
choose). The bytes are the same from run to run: no date in the metadata, a fixed SVG hash
salt, text as paths in SVG and Type 3 glyphs in PDF (a TrueType subset would carry font
timestamps), and symbptt as creator and producer.

Every symbol and number on a figure is set as math, in the notation of the dynamics
document (output/dynamics.pdf): c the slope bound and sigma = ||W||_2, tau the truncation
window, w the scalar model's weight, kappa the clip threshold. number() and bound() print
a number for both: matplotlib's mathtext and LaTeX read the same "3.395 \\times 10^{4}".
"""
from __future__ import annotations

import io
import math

from ..errors import SymbpttError
from .noise import ANGLE_NOISE, NOISE

FORMATS = ("svg", "pdf")
SIZE = (5.6, 3.4)           # inches
STYLE = {"svg.hashsalt": "symbptt", "svg.fonttype": "path", "pdf.fonttype": 3,
         "font.size": 9, "axes.titlesize": 9, "legend.fontsize": 8, "lines.linewidth": 1.4,
         "axes.grid": True, "grid.alpha": 0.3}
METADATA = {"svg": {"Date": None, "Creator": "symbptt"},
            "pdf": {"CreationDate": None, "ModDate": None, "Creator": "symbptt",
                    "Producer": "symbptt"}}
SHORT_LOG = 1000            # a log axis spanning less than this ratio gets ticks at 1, 2, 5
PRODUCT = r"$\|\,J_T \,\cdots\, J_{k+1}\|_2$"      # \prod_j would print its j under the J


def number(x: float, digits: int = 4) -> str:
    """A number as math (LaTeX or mathtext): `digits` significant digits (at most 6), a
    power of ten written out; a value that only rounds to a short one keeps its zeros
    ("1.000" for 0.99996, "32.20" for 32.2013), float noise does not ("0.9")."""
    x = float(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    text = f"{x:.{digits}g}"
    if abs(float(text) - x) > 1e-9 * abs(x):
        text = f"{x:#.{digits}g}"
    mantissa, _, exponent = text.partition("e")
    mantissa = mantissa.rstrip(".")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}" if exponent else mantissa


def bound(v: float, floor: float = NOISE) -> str:
    """A float difference as math, the same on every machine (the rule of noise.py):
    "< 10^{-14}" below the floor, else "\\le" the power of ten above it."""
    if not v >= floor:
        return f"< 10^{{{round(math.log10(floor))}}}"
    return f"\\le 10^{{{math.ceil(math.log10(v))}}}"


def require_matplotlib() -> None:
    from importlib.util import find_spec
    if find_spec("matplotlib") is None:
        raise SymbpttError("figures need matplotlib: python -m pip install matplotlib")


def _axis(ax, axis: str):
    return ax.yaxis if axis == "y" else ax.xaxis


def _log(ax, axis: str = "y") -> None:
    """A log axis; one that spans less than SHORT_LOG (where the decades alone would give
    one or two labels) gets labelled ticks at 1, 2 and 5 times each power of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log", nonpositive="mask")
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    ticks = _axis(ax, axis)
    ticks.set_minor_formatter(NullFormatter())
    if hi < SHORT_LOG * lo:
        ticks.set_major_locator(LogLocator(subs=(1, 2, 5)))
        ticks.set_major_formatter(FuncFormatter(lambda v, _: f"${number(v, 3)}$"))


def _integer(ax, axis: str = "x") -> None:
    """Integer ticks only (a lag, a number of steps)."""
    from matplotlib.ticker import MaxNLocator
    _axis(ax, axis).set_major_locator(MaxNLocator(integer=True))


def _curves(ax, x, curves, xlabel: str, title: str, log: str = "y", ylabel: str = "",
            legend: dict | None = None) -> None:
    """Curves (y, format, label) against one x; log: "y", "xy" or "" (linear axes)."""
    for y, fmt, label in curves:
        ax.plot(x, y, fmt, ms=3, label=label)
    for axis in log:
        _log(ax, axis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(**(legend or {}))


def _jacobians(fig, p: dict, model: str) -> None:
    ax = fig.subplots()
    _curves(ax, p["lags"], [
        (p["norms"], "o-", PRODUCT),
        (p["slope_bound"], "--", r"$\|\mathrm{diag}\,\phi'(a_T)\|_2 \,\cdots\, "
                                 r"\|\mathrm{diag}\,\phi'(a_{k+1})\|_2\;\sigma^{T-k}$"),
        (p["cs_bound"], ":", r"$(c\sigma)^{T-k}$")], "lag $T - k$",
        f"{model}: $c\\sigma = {number(p['cs'], 3)}$; log-norm slope "
        f"${number(p['rate'], 3)}$, bound $\\log c\\sigma = {number(p['bound_rate'], 3)}$",
        ylabel="norm")
    _integer(ax)


def _residual(fig, p: dict, model: str) -> None:
    ax = fig.subplots()
    _curves(ax, p["lags"], [
        (p["elman"], "o-", r"Elman: $J_t = \mathrm{diag}(\tanh'(a_t))\, W$"),
        (p["residual"], "s-", r"residual: $J_t = I + \mathrm{diag}(\tanh'(a_t))\, W$")],
        "lag $T - k$",
        f"the same $W$ ($\\|W\\|_2 = {number(p['s'], 3)}$): residual against Elman",
        ylabel=PRODUCT)
    _integer(ax)


def _eigen(fig, p: dict, model: str) -> None:
    lam, first = abs(p["eigenvalue"]), p["components"][0]
    ax = fig.subplots()
    _curves(ax, p["steps"], [
        (p["components"], "o", r"$|v^\top (W_h^\top)^m \eta|$, $v$ the top eigenvector"),
        ([first * lam ** m for m in p["steps"]], "-",
         rf"$|\lambda|^m$ from $m = 0$, $|\lambda| = {number(lam, 3)}$")], "steps back $m$",
        f"symmetric $W_h$: fitted factor ${number(p['fitted_factor'], 4)}$ a step",
        ylabel="component along $v$")
    _integer(ax)


def _orthogonal(fig, p: dict, model: str) -> None:
    ax = fig.subplots()
    _curves(ax, p["steps"], [(p["orthogonal"], "o-", "orthogonal $W_h$"),
                             (p["scaled_1.1"], "s-", "$1.1\\, W_h$")], "steps back $m$",
            f"orthogonal $W_h$: $|\\mathrm{{ratio}} - 1| {bound(p['max_deviation'])}$ "
            f"($2 \\times 2$ rotation: proven for $m \\leq {p['rotation_proven_steps']}$)",
            log="", ylabel=r"$\|(W_h^\top)^m \eta\|_2 \,/\, \|\eta\|_2$")
    _integer(ax)


def _truncation(fig, p: dict, model: str) -> None:
    _curves(fig.subplots(), p["a"],
            [([abs(b) for b in p["bias"][str(k)]], "-", f"$\\tau = {k}$") for k in p["windows"]],
            "$w$", f"truncated BPTT's bias: $h_t = w\\, h_{{t-1}} + x_t$, $T = {p['T']}$",
            ylabel=r"$|\partial L/\partial w - g_\tau|$", legend={"title": "window"})


def _errors(p: dict, variances: list) -> list:
    """The half-width of each mean's two-standard-error bar."""
    return [2 * (v / n) ** 0.5 for v, n in zip(variances, p["mc_draws"])]


def _randomized(fig, p: dict, model: str) -> None:
    left, right = fig.subplots(1, 2)
    left.axhline(p["full"], color="k", lw=1, label=r"$\partial L/\partial w$ (exact)")
    left.errorbar(p["pi"], p["mc_mean"], yerr=_errors(p, p["exact_variance"]), fmt="none",
                  ecolor="0.8", elinewidth=5, label="$\\pm 2$ s.e. (exact variance)")
    left.errorbar(p["pi"], p["mc_mean"], yerr=_errors(p, p["mc_variance"]), fmt="o", ms=4,
                  capsize=2, label="mean of the draws $\\pm 2$ s.e. (their variance)")
    left.set_xlabel(r"$\pi$")
    left.set_ylabel(r"estimate of $\partial L/\partial w$")
    left.set_title("mean: unbiased")
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    keep = [i for i, v in enumerate(p["exact_variance"]) if v > 0]   # pi = 1: exactly 0
    pis = [p["pi"][i] for i in keep]
    _curves(right, pis, [([p["exact_variance"][i] for i in keep], "-", "exact"),
                         ([p["mc_variance"][i] for i in keep], "o", "of the draws")],
            r"$\pi$", "variance", ylabel="variance of the estimate")
    w = number(_fraction(p["a"]), 3)
    fig.suptitle(f"randomized truncation, $w = {w}$, $T = {p['T']}$", fontsize=9)


def _fraction(text: str) -> float:
    """"9/10" (how the analysis reports the weight) as 0.9."""
    top, _, bottom = str(text).partition("/")
    return float(top) / float(bottom or 1)


def _clip_ticks(ax, norm: float) -> None:
    """Both log axes ticked at fractions and multiples of ||g||, the one scale shown."""
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator
    ticks = [(0.1, r"$\|g\|/10$"), (0.2, r"$\|g\|/5$"), (0.5, r"$\|g\|/2$"),
             (1, r"$\|g\|$"), (2, r"$2\|g\|$")]
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(FixedLocator([f * norm for f, _ in ticks]))
        axis.set_major_formatter(FixedFormatter([t for _, t in ticks]))
        axis.set_minor_locator(NullLocator())


def _clip(fig, p: dict, model: str) -> None:
    ax = fig.subplots()
    ax.axhline(p["norm_before"], color="k", lw=0.8, ls="--", label=r"$\|g\|$ (before)")
    angle = bound(max(p["angles_degrees"], default=0), ANGLE_NOISE)
    _curves(ax, p["thresholds"], [(p["norms_after"], "-", r"$\|\tilde g\|$ (clipped)"),
                                  (p["thresholds"], ":", r"$\kappa$")], r"threshold $\kappa$",
            f"{model}: clipping, $\\|g\\| = {number(p['norm_before'])}$; largest angle "
            f"${angle}$ degrees", log="xy" if p["thresholds"] else "", ylabel="norm")
    if p["norm_before"] > 0 and p["thresholds"]:
        _clip_ticks(ax, p["norm_before"])


def _cost(fig, p: dict, model: str) -> None:
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter
    ax = fig.subplots()
    _curves(ax, p["T"], [(p["paths"], "o-", "paths, $T(T+1)/2$"),
                         (p["path_sum_vjp_calls"], "s-", "path sum: step VJPs"),
                         (p["bptt_vjp_calls"], "^-", "BPTT: step VJPs")], "$T$",
            f"{model}: the naive path sum against BPTT", log="xy", ylabel="count")
    ax.xaxis.set_major_locator(FixedLocator(p["T"]))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(NullLocator())


def _attention(fig, p: dict, model: str) -> None:
    T, ax = p["t"], fig.subplots()
    _curves(ax, p["taus"], [
        (p["recurrent"], "o-", f"recurrent path, through $h_k, \\dots, h_{{{T}}}$"),
        (p["shortcut"], "s-", rf"shortcut through $\alpha_{{{T},k}}$")], f"lag ${T} - k$",
        f"attention: the two paths from $l_{{{T}}}$ back to an input $x_k$",
        ylabel=rf"$\|\partial l_{{{T}}} / \partial x_k\|_2$, by path")
    _integer(ax)


DRAW = {"jacobians": _jacobians, "residual": _residual, "eigen": _eigen,
        "orthogonal": _orthogonal, "truncation": _truncation, "randomized": _randomized,
        "clip": _clip, "cost": _cost, "attention": _attention}


def figure(part: str, data: dict, fmt: str = "svg", model: str = "") -> bytes:
    """The part's figure as SVG or PDF bytes."""
    require_matplotlib()
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    if fmt not in FORMATS:
        raise SymbpttError(f"unknown figure format {fmt!r}; choose {', '.join(FORMATS)}")
    with rc_context(STYLE):
        fig = Figure(figsize=SIZE, layout="constrained")
        DRAW[part](fig, data, model)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata=METADATA[fmt])
    return buf.getvalue()
