"""figures: one plot per analyze part, drawn from the part's plain data (what --json prints).

matplotlib's object API only (a Figure, no pyplot: no global figure state, no backend to
choose). The bytes are the same from run to run: no date in the metadata, a fixed SVG hash
salt, text as paths in SVG and Type 3 glyphs in PDF (a TrueType subset would carry font
timestamps), and symbptt as creator and producer.
"""
from __future__ import annotations

import io

from ..errors import SymbpttError
from .noise import ANGLE_NOISE, bound_text

FORMATS = ("svg", "pdf")
SIZE = (5.6, 3.4)           # inches
STYLE = {"svg.hashsalt": "symbptt", "svg.fonttype": "path", "pdf.fonttype": 3,
         "font.size": 9, "axes.titlesize": 9, "legend.fontsize": 8, "lines.linewidth": 1.4,
         "axes.grid": True, "grid.alpha": 0.3}
METADATA = {"svg": {"Date": None, "Creator": "symbptt"},
            "pdf": {"CreationDate": None, "ModDate": None, "Creator": "symbptt",
                    "Producer": "symbptt"}}


def require_matplotlib() -> None:
    from importlib.util import find_spec
    if find_spec("matplotlib") is None:
        raise SymbpttError("figures need matplotlib: python -m pip install matplotlib")


def _log(ax, axis: str = "y") -> None:
    from matplotlib.ticker import NullFormatter
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log", nonpositive="mask")
    (ax.yaxis if axis == "y" else ax.xaxis).set_minor_formatter(NullFormatter())


def _curves(ax, x, curves, xlabel: str, title: str, log: str = "y", ylabel: str = "",
            legend_title: str | None = None) -> None:
    """Curves (y, format, label) against one x; log: "y", "xy" or "" (linear axes)."""
    for y, fmt, label in curves:
        ax.plot(x, y, fmt, ms=3, label=label)
    for axis in log:
        _log(ax, axis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(title=legend_title)


def _jacobians(fig, p: dict, model: str) -> None:
    _curves(fig.subplots(), p["lags"], [
        (p["norms"], "o-", r"$\|\prod_j J_j\|_2$"),
        (p["slope_bound"], "--", r"$\prod_j \|\mathrm{diag}\,\phi'(a_j)\|\,\|W\|$"),
        (p["cs_bound"], ":", r"$(cs)^{T-k}$")], "lag T - k",
        f"{model}: c s = {p['cs']:.3g}; rate {p['rate']:.3g} a step "
        f"(bound {p['bound_rate']:.3g})")


def _residual(fig, p: dict, model: str) -> None:
    _curves(fig.subplots(), p["lags"], [
        (p["elman"], "o-", r"Elman $J = \mathrm{diag}(\phi') W$"),
        (p["residual"], "s-", r"residual $J = I + \mathrm{diag}(\phi') W$")], "lag T - k",
        f"the same W (||W|| = {p['s']:.3g}): residual against Elman",
        ylabel=r"$\|\prod_j J_j\|_2$")


def _eigen(fig, p: dict, model: str) -> None:
    lam, first = abs(p["eigenvalue"]), p["components"][0]
    _curves(fig.subplots(), p["steps"], [
        (p["components"], "o", r"$|v^\top (W^\top)^m g|$"),
        ([first * lam ** m for m in p["steps"]], "-",
         rf"$|\lambda|^m$ from m = 0, $|\lambda|$ = {lam:.3g}")], "steps back m",
        f"normal W, top eigenvector: fitted factor {p['fitted_factor']:.4g} a step")


def _orthogonal(fig, p: dict, model: str) -> None:
    _curves(fig.subplots(), p["steps"], [(p["orthogonal"], "o-", "orthogonal W"),
                                         (p["scaled_1.1"], "s-", "1.1 W")], "steps back m",
            f"orthogonal W: |ratio - 1| {_at_most(bound_text(p['max_deviation']))} "
            f"(2x2: proven, m <= {p['rotation_proven_steps']})", log="",
            ylabel=r"$\|(W^\top)^m g\| / \|g\|$")


def _truncation(fig, p: dict, model: str) -> None:
    _curves(fig.subplots(), p["a"],
            [([abs(b) for b in p["bias"][str(k)]], "-", f"k = {k}") for k in p["windows"]],
            "a", f"truncated BPTT's bias: h_t = a h_(t-1) + x_t, T = {p['T']}",
            ylabel="|full - truncated|", legend_title="window")


def _randomized(fig, p: dict, model: str) -> None:
    left, right = fig.subplots(1, 2)
    left.axhline(p["full"], color="k", lw=1, label="dL/da (exact)")
    errors = [2 * (v / n) ** 0.5 for v, n in zip(p["mc_variance"], p["mc_draws"])]
    left.errorbar(p["pi"], p["mc_mean"], yerr=errors, fmt="o", ms=4, capsize=2,
                  label="engine: mean of draws, 2 s.e.")
    left.set_xlabel(r"$\pi$")
    left.set_title("mean: unbiased")
    left.legend()
    keep = [i for i, v in enumerate(p["exact_variance"]) if v > 0]   # pi = 1: exactly 0
    pis = [p["pi"][i] for i in keep]
    _curves(right, pis, [([p["exact_variance"][i] for i in keep], "-", "exact"),
                         ([p["mc_variance"][i] for i in keep], "o", "engine draws")],
            r"$\pi$", "variance")
    fig.suptitle(f"randomized truncation, a = {p['a']}, T = {p['T']}", fontsize=9)


def _at_most(bound: str) -> str:
    return bound if bound.startswith("<") else f"<= {bound}"


def _clip(fig, p: dict, model: str) -> None:
    ax = fig.subplots()
    ax.axhline(p["norm_before"], color="k", lw=0.8, ls="--", label=r"$\|g\|$")
    _curves(ax, p["thresholds"], [(p["norms_after"], "-", r"$\|\tilde g\|$"),
                                  (p["thresholds"], ":", "c")], "threshold c",
            f"{model}: clipping, ||g|| = {p['norm_before']:.4g}; largest angle "
            f"{_at_most(bound_text(max(p['angles_degrees'], default=0), ANGLE_NOISE))} deg",
            log="xy")


def _cost(fig, p: dict, model: str) -> None:
    _curves(fig.subplots(), p["T"], [(p["paths"], "o-", "paths, T(T+1)/2"),
                                     (p["path_sum_vjp_calls"], "s-", "path sum: step VJPs"),
                                     (p["bptt_vjp_calls"], "^-", "BPTT: step VJPs")], "T",
            f"{model}: the naive path sum against BPTT", log="xy")


def _attention(fig, p: dict, model: str) -> None:
    _curves(fig.subplots(), p["taus"], [
        (p["recurrent"], "o-", "recurrent path"),
        (p["shortcut"], "s-", r"shortcut through $\alpha_{t,t-\tau}$")], r"$\tau$",
        "attention: the two paths back to an input",
        ylabel=rf"$\|\partial l_{{{p['t']}}} / \partial x_{{t-\tau}}\|$")


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
