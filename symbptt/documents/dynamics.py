"""The gradient-dynamics document (output/dynamics.md, .tex, .pdf) and its figures.

Three `analyze` runs, fixed here, give every number and figure of the document:

    elman               T = 30, n = 8, d = 4, W at spectral norm 0.9 (c sigma < 1: vanishing)
    linear_half_square  T = 20, n = 4, d = 3, W at spectral radius 1.2 (exploding)
    attention           T = 20, n = 4, d = 3, random weights

Every formula the document displays is a Formula here. A gradient formula carries its
claims in check's formula language (a test runs `symbptt.api.check` on each: the document
cannot state a gradient formula that check rejects); the others (a bound, a definition,
a statement about expectations) say how they are established instead.

The measured times of the cost part change from run to run, so the document shows its
deterministic counts (paths, step VJPs) and leaves the times to `symbptt analyze`.

One symbol, one meaning, in the text and the figures alike (figures.py): a_t the
pre-activation, c the slope bound and sigma = ||W||_2, w the scalar model's weight, tau the
truncation window, q_t = dh_t/dw_h with beta_t, gamma_t its coefficients, kappa the clip
threshold, r_t attention's context, eta the random vector of section 2, v its eigenvector.
The seed notes write s, a, k, c and D2L a_t, b_t, c_t for some of these.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..analyze.parts import analyze
from ..analyze.settings import Analysis, Settings
from .noise import ANGLE_NOISE
from .figures import bound, figure, number as num
from .render import tex_text
from ..model.spec import Dims
from ..model.registry import get_model
from ..model.zoo import SEED, source

RUNS = (
    Settings("elman", T=30, dims=Dims(8, 4, 2), seed=0, weights="norm", scale=0.9,
             parts=("jacobians", "residual", "cost")),
    Settings("linear_half_square", T=20, dims=Dims(4, 3, 2), seed=0, weights="radius",
             scale=1.2, parts=("jacobians", "eigen", "orthogonal", "truncation",
                               "randomized", "clip")),
    Settings("attention", T=20, dims=Dims(4, 3, 2), seed=0, parts=("attention",)),
)
COMMANDS = {
    "elman": "symbptt analyze elman --T 30 --hidden 8 --input 4 --norm 0.9",
    "linear_half_square": "symbptt analyze linear_half_square --T 20 --radius 1.2",
    "attention": "symbptt analyze attention --T 20",
}
WEIGHTS = {"norm": "$W$ rescaled to spectral norm $\\|W\\|_2 = {}$",
           "radius": "$W_h$ rescaled to spectral radius ${}$",
           "random": "random weights"}
CITED = ("000", "001", "002")          # the seed notes this document cites
EVERY_T, UP_TO_K = "every T", "T <= K"  # check's scopes (check/outcome.py)
SCALAR = {"n": 1, "d": 1}              # the scalar linear model: linear_half_square at n = d = 1


@dataclass(frozen=True)
class Formula:
    """A displayed formula. `claims` (check's language, all on `model` at `dims`) make it
    a checked gradient formula with the scope check gives it; else `how` says how the
    document establishes it."""
    name: str
    latex: str
    claims: tuple[str, ...] = ()
    model: str = ""
    dims: dict | None = None
    scope: str = ""
    how: str = ""
    each: str = ""       # several claims: what varies between them ("k = 1, 2, 3, 4")
    shown: int = 0       # the claim the document's command shows
    shown_text: str = ""  # which one that is ("k = 2")


JACOBIAN = "diag(phi_prime(a[{j}])) @ W"


def bias_claim(k: int) -> str:
    """dL/dw = g_tau + bias_tau on the scalar linear model, at window tau = k, in check's
    language (g_tau: each l_s differentiated with h_{s-tau} held; no hold while s <= tau)."""
    term = "W_h^(s-t) @ h[s] @ h[t-1].T"
    return (f"dL/dW_h = sum(s=1..{k}, dl[s]/dW_h) + sum(s={k + 1}..T, (dl[s]/dW_h | h[s-{k}]))"
            f" + sum(s={k + 1}..T, sum(t=1..s-{k}, {term}))")


def formulas(windows, window: int | None = None) -> tuple[Formula, ...]:
    """Every formula the document displays, in the order it displays them; `windows` are
    the truncation windows checked, `window` the one whose command is shown."""
    window = windows[0] if window is None else window
    dl = "\\frac{{\\partial l_{}}}{{\\partial {}}}".format
    return (
        Formula("jacobian", "J_j = \\frac{\\partial h_j}{\\partial h_{j-1}} = "
                "\\operatorname{diag}(\\phi'(a_j))\\, W",
                ("dh[j]/dh[j-1] = " + JACOBIAN.format(j="j"),), "elman", scope=EVERY_T),
        Formula("one_loss", f"{dl('T', 'h_k')} = (J_T J_{{T-1}} \\cdots J_{{k+1}})^\\top "
                f"{dl('T', 'h_T')}",
                (f"dl[T]/dh[k] = prod(j=k+1..T, {JACOBIAN.format(j='j')}).T @ dl[T]/dh[T]",),
                "elman", scope=UP_TO_K),
        Formula("recursion", f"\\delta_k = \\frac{{\\partial L}}{{\\partial h_k}} = "
                f"{dl('k', 'h_k')} + J_{{k+1}}^\\top \\delta_{{k+1}}, \\quad \\delta_{{T+1}} = 0",
                (f"dL/dh[k] = dl[k]/dh[k] + ({JACOBIAN.format(j='k+1')}).T @ dL/dh[k+1]",),
                "elman", scope=EVERY_T),
        Formula("all_losses", f"\\delta_k = \\sum_{{i=k}}^{{T}} (J_i J_{{i-1}} \\cdots "
                f"J_{{k+1}})^\\top {dl('i', 'h_i')}",
                (f"dL/dh[k] = sum(i=k..T, prod(j=k+1..i, {JACOBIAN.format(j='j')}).T @ "
                 f"dl[i]/dh[i])",), "elman", scope=UP_TO_K),
        Formula("bound", "\\lVert J_T \\cdots J_{k+1} \\rVert_2 \\le \\prod_{j=k+1}^{T} "
                "\\lVert \\operatorname{diag}(\\phi'(a_j)) \\rVert_2 \\, \\lVert W \\rVert_2 "
                "\\le (c \\sigma)^{T-k}",
                how="submultiplicativity of the norm; both inequalities are checked at "
                    "every lag of every run"),
        Formula("linear", f"{dl('T', 'h_{T-m}')} = (W_h^\\top)^m {dl('T', 'h_T')}",
                ("dl[T]/dh[T-m] = (W_h.T)^m @ dl[T]/dh[T]",), "linear_half_square",
                scope=UP_TO_K),
        Formula("residual", "J_t = \\frac{\\partial h_t}{\\partial h_{t-1}} = I + "
                "\\operatorname{diag}(\\tanh'(a_t))\\, W",
                ("dh[t]/dh[t-1] = I + diag(tanh'(a[t])) @ W",), "residual", scope=EVERY_T),
        Formula("truncated", "g_\\tau = \\sum_{s=1}^{\\tau} \\frac{\\partial l_s}{\\partial w}"
                " + \\sum_{s=\\tau+1}^{T} \\left.\\frac{\\partial l_s}{\\partial w}"
                "\\right|_{h_{s-\\tau}}",
                how="the definition of truncated BPTT with window tau (seed note 001)"),
        Formula("per_loss", "\\frac{\\partial l_s}{\\partial w} = h_s \\sum_{t=1}^{s} "
                "w^{s-t} h_{t-1}",
                ("dl[s]/dW_h = sum(t=1..s, W_h^(s-t) @ h[s] @ h[t-1].T)",),
                "linear_half_square", SCALAR, UP_TO_K),
        Formula("bias", "\\mathrm{bias}_\\tau = \\frac{\\partial L}{\\partial w} - g_\\tau = "
                "\\sum_{s=\\tau+1}^{T} h_s \\sum_{t=1}^{s-\\tau} w^{s-t} h_{t-1}",
                tuple(bias_claim(k) for k in windows), "linear_half_square", SCALAR, UP_TO_K,
                each=f"\\tau = {', '.join(map(str, windows))}",
                shown=list(windows).index(window), shown_text=f"\\tau = {window}"),
        Formula("forward", "q_t = \\frac{\\partial h_t}{\\partial w_h} = \\beta_t + "
                "\\gamma_t q_{t-1}, \\quad \\beta_t = \\frac{\\partial f_t}{\\partial w_h}, "
                "\\quad \\gamma_t = \\frac{\\partial f_t}{\\partial h_{t-1}}, \\quad q_0 = 0",
                ("dh[t]/dw_h = df[t]/dw_h + df[t]/dh[t-1] * dh[t-1]/dw_h",), "generic",
                scope=EVERY_T),
        Formula("randomized", "z_t = \\beta_t + \\xi_t \\gamma_t z_{t-1}, \\quad z_0 = 0",
                how="the estimator's definition (seed note 002)"),
        Formula("variance", "E[z_t^2] = \\beta_t^2 + 2 \\beta_t \\gamma_t q_{t-1} + "
                "\\frac{\\gamma_t^2}{\\pi_t} E[z_{t-1}^2]",
                how="summed over every outcome of the xi's, exactly, at T = 5"),
        Formula("clip", "\\tilde g = \\min\\Bigl(1, \\frac{\\kappa}{\\lVert g \\rVert}\\Bigr)\\, g",
                how="the definition of norm clipping (seed note 001)"),
        Formula("attention", "\\frac{\\partial l_T}{\\partial x_k} = U^\\top "
                "\\operatorname{diag}(1 - h_k \\odot h_k)\\, \\frac{\\partial l_T}{\\partial h_k}"
                " + \\left.\\frac{\\partial l_T}{\\partial x_k}\\right|_{h_k}",
                ("dl[T]/dx[k] = U.T @ diag(1 - h[k] * h[k]) @ dl[T]/dh[k] + "
                 "(dl[T]/dx[k] | h[k])",), "attention", scope=UP_TO_K),
    )


def check_command(f: Formula) -> str:
    """The `symbptt check` command a reader runs to check a formula (its shown claim)."""
    sizes = "".join(f" --{flag} {f.dims[k]}" for k, flag in (("n", "hidden"), ("d", "input"))
                    if f.dims and k in f.dims)
    return f'symbptt check {f.model} --claim "{f.claims[f.shown]}"{sizes}'


def command_tex(command: str) -> str:
    """A command as LaTeX text: escaped, its quote straight (not a closing quote)."""
    return tex_text(command).replace("'", "\\textquotesingle{}")


def scope_text(f: Formula) -> str:
    """What check concludes, in words."""
    each = f"At each ${f.each}$ (the command shows ${f.shown_text}$): " if f.each else ""
    if f.scope == EVERY_T:
        return each + "correct for every $T$, proven by induction"
    return each + ("correct, exactly at $T = 1, \\dots, 4$; check has no induction for it, "
                   "and a numerical search past 4 finds no counterexample")


def formula_context(f: Formula) -> dict:
    return {"name": f.name, "latex": f.latex, "claims": list(f.claims), "model": f.model,
            "dims": f.dims, "scope": f.scope, "how": f.how,
            "command": check_command(f) if f.claims else "",
            "command_tex": command_tex(check_command(f)) if f.claims else "",
            "verdict": scope_text(f) if f.claims else ""}


def figure_name(model: str, part: str) -> str:
    return f"figures/dynamics-{model}-{part}"


def g(x: float, digits: int = 4) -> str:
    """A number for plain text (tables): fixed significant digits, no float noise."""
    return f"{x:.{digits}g}"


def run_all() -> dict[str, Analysis]:
    return {s.model: analyze(get_model(s.model), s) for s in RUNS}


def figures(results: dict[str, Analysis], formats=("svg", "pdf")) -> dict[str, bytes]:
    """figures/dynamics-MODEL-PART.svg and .pdf for every part of every run."""
    out = {}
    for model, r in results.items():
        for part, data in r.parts.items():
            for fmt in formats:
                out[f"{figure_name(model, part)}.{fmt}"] = figure(part, data, fmt, model)
    return out


def run_text(s: Settings) -> str:
    """A run's settings for the reader: T, sizes, weights."""
    weights = WEIGHTS[s.weights].format(num(s.scale)) if s.scale else WEIGHTS[s.weights]
    return f"$T = {s.T}$, $n = {s.dims.n}$, $d = {s.dims.d}$, {weights}"


def regime(cs: float) -> str:
    """What seed note 001's bound says for this c sigma, in words (math inline)."""
    if cs < 1 - 1e-12:
        return ("$c \\sigma < 1$: the bound $(c \\sigma)^{T-k}$ goes to 0 as the lag grows, "
                "and takes the product with it: the gradient vanishes")
    if cs <= 1 + 1e-12:
        return "$c \\sigma = 1$: the bound stays at 1: the product cannot grow"
    return ("$c \\sigma > 1$: the bound grows with the lag, so it allows exploding but does "
            "not force it")


def _jacobians(model: str, s: Settings, j: dict) -> dict:
    lag = j["lags"][-1]
    return {"model": model, "run": run_text(s), "figure": figure_name(model, "jacobians"),
            "c": num(j["c"]), "sigma": num(j["s"]), "cs": num(j["cs"]),
            "regime": regime(j["cs"]),
            "last_lag": lag, "from_step": s.T, "to_step": s.T - lag,
            "last_norm": num(j["norms"][-1]), "last_tight": num(j["slope_bound"][-1]),
            "last_loose": num(j["cs_bound"][-1]), "rate": num(j["rate"]),
            "factor": num(math.exp(j["rate"])), "bound_rate": num(j["bound_rate"]),
            "grows": j["rate"] > 0,
            "radius": num(s.scale) if s.weights == "radius" else ""}


def _residual(s: Settings, r: dict) -> dict:
    return {"figure": figure_name("elman", "residual"), "last_lag": r["lags"][-1],
            "from_step": s.T, "to_step": s.T - r["lags"][-1],
            "elman": num(r["elman"][-1]), "residual": num(r["residual"][-1]),
            "elman_rate": num(r["elman_rate"]), "residual_rate": num(r["residual_rate"]),
            "residual_factor": num(math.exp(r["residual_rate"]))}


def _eigen(e: dict) -> dict:
    return {"figure": figure_name("linear_half_square", "eigen"),
            "eigenvalue": g(e["eigenvalue"]), "factor": g(e["fitted_factor"], 6),
            "holds": e["holds"], "steps": e["steps"][-1]}


def _orthogonal(o: dict) -> dict:
    return {"figure": figure_name("linear_half_square", "orthogonal"),
            "deviation": bound(o["max_deviation"]), "steps": o["steps"][-1],
            "scaled": num(o["scaled_1.1"][-1]), "proven_steps": o["rotation_proven_steps"],
            "proven": o["rotation_proven"], "scaled_proven": o["scaled_rotation_proven"]}


def _truncation(tr: dict) -> dict:
    i5, i9 = tr["a"].index(0.5), tr["a"].index(0.9)
    rows = [{"k": k, "bias_05": num(tr["bias"][str(k)][i5]),
             "bias_09": num(tr["bias"][str(k)][i9]),
             "proven": tr["proofs"][str(k)]["closed_form_proven"],
             "cut": tr["proofs"][str(k)]["cut_inputs"],
             "cut_zero": tr["proofs"][str(k)]["cut_inputs_zero"]} for k in tr["windows"]]
    return {"figure": figure_name("linear_half_square", "truncation"), "T": tr["T"],
            "windows": tr["windows"], "windows_text": ", ".join(map(str, tr["windows"])),
            "rows": rows, "engine": bound(tr["engine_max_rel_diff"]),
            "points": len(tr["a"]), "a_min": g(min(tr["a"])), "a_max": g(max(tr["a"])),
            "inputs": sorted(set(tr["inputs"]))}


def error_bars(rz: dict) -> list[dict]:
    """The figure's bars, at each pi where the estimator varies: the sample mean +- 2 s.e.
    from the sample variance (lo, hi, covers: whether it reaches dL/dw), and the half-width
    the exact variance gives (exact_half, exact_covers)."""
    out = []
    for p, m, v, ev, n in zip(rz["pi"], rz["mc_mean"], rz["mc_variance"],
                              rz["exact_variance"], rz["mc_draws"]):
        if ev > 0:
            half, exact_half = 2 * (v / n) ** 0.5, 2 * (ev / n) ** 0.5
            out.append({"pi": p, "lo": m - half, "hi": m + half, "exact_half": exact_half,
                        "covers": abs(m - rz["full"]) <= half,
                        "exact_covers": abs(m - rz["full"]) <= exact_half})
    return out


def missed_text(bars: list[dict]) -> str:
    """The sample bars that miss dL/dw, in words with their verb (math inline): "the bar
    $[99.07, 113.0]$ at $\\pi = 0.2$ misses"; "" if none does."""
    missed = [b for b in bars if not b["covers"]]
    if not missed:
        return ""
    each = ", ".join(f"$[{num(b['lo'])}, {num(b['hi'])}]$ at $\\pi = {g(b['pi'])}$"
                     for b in missed)
    return f"the bars {each} miss" if len(missed) > 1 else f"the bar {each} misses"


def _randomized(rz: dict) -> dict:
    chosen = rz["pi"].index(rz["chosen_pi"])
    smallest = min(rz["pi"])
    rare = smallest ** (rz["T"] - 1)
    bars = error_bars(rz)
    missed = [b for b in bars if not b["covers"]]
    return {"figure": figure_name("linear_half_square", "randomized"),
            "proof_T": rz["proof_T"], "outcomes": 2 ** (rz["proof_T"] - 1),
            "unbiased": rz["unbiased_proven"], "variance_proven": rz["variance_closed_form_proven"],
            "e_xi": rz["expectation_of_xi"], "w": num(float(Fraction(rz["a"]))), "T": rz["T"],
            "pi": g(rz["chosen_pi"]), "full": num(rz["full"], 6),
            "exact_mean": num(rz["exact_mean"], 6),
            "mean_exact": abs(rz["exact_mean"] - rz["full"]) <= 1e-12 * abs(rz["full"]),
            "missed": missed_text(bars),
            "missed_pi": g(missed[0]["pi"]) if missed else "",
            "missed_exact_half": num(missed[0]["exact_half"]) if missed else "",
            "exact_covers": all(b["exact_covers"] for b in missed),
            "exact_variance": num(rz["exact_variance"][chosen]),
            "mc_mean": num(rz["mc_mean"][chosen]), "mc_variance": num(rz["mc_variance"][chosen]),
            "draws": rz["mc_draws"][chosen], "grid_draws": rz["draws_per_grid_pi"],
            "smallest_pi": g(smallest), "rare": num(rare, 2),
            "rare_expected": num(rare * rz["draws_per_grid_pi"], 2),
            "smallest_exact": num(rz["exact_variance"][0]),
            "smallest_mc": num(rz["mc_variance"][0])}


def _clip(cl: dict) -> dict:
    return {"figure": figure_name("linear_half_square", "clip"),
            "norm": num(cl["norm_before"]), "kappa": num(cl["threshold"]),
            "after": num(cl["norm_after"]), "factor": num(cl["factor"]),
            "angle": bound(cl["angle_degrees"], ANGLE_NOISE), "entries": cl["entries"],
            "thresholds": len(cl["thresholds"]),
            "largest_angle": bound(max(cl["angles_degrees"]), ANGLE_NOISE),
            "unchanged": cl["unchanged_thresholds"], "unchanged_all": cl["unchanged_all"]}


def _cost(s: Settings, cost: dict) -> dict:
    rows = [{"T": T, "paths": p, "formula": f, "bptt": b, "path_sum": ps}
            for T, p, f, b, ps in zip(cost["T"], cost["paths"], cost["formula"],
                                      cost["bptt_vjp_calls"], cost["path_sum_vjp_calls"])]
    return {"figure": figure_name("elman", "cost"), "rows": rows, "same": cost["same_gradient"],
            "n": s.dims.n, "d": s.dims.d}


def _attention(s: Settings, a: dict) -> dict:
    lag = a["taus"][-1]
    return {"figure": figure_name("attention", "attention"), "run": run_text(s),
            "t": a["t"], "lag": lag, "k": a["t"] - lag,
            "recurrent": num(a["recurrent"][-1]), "shortcut": num(a["shortcut"][-1]),
            "recurrent_rate": num(a["recurrent_rate"]),
            "recurrent_factor": num(math.exp(a["recurrent_rate"])),
            "shortcut_rate": num(a["shortcut_rate"]),
            "shortcut_factor": num(math.exp(a["shortcut_rate"]))}


def context(results: dict[str, Analysis]) -> dict:
    """What the templates show: the numbers as text, the figures by name, the formulas."""
    settings = {m: results[m].settings for m in results}
    el, lin, att = (results[m].parts for m in ("elman", "linear_half_square", "attention"))
    shown = formulas(lin["truncation"]["windows"], lin["truncation"]["window"])
    return {
        "commands": COMMANDS,
        "settings": settings,
        "sources": {n: source(SEED[n]) for n in CITED},
        "formulas": {f.name: formula_context(f) for f in shown},
        "checked": [formula_context(f) for f in shown if f.claims],
        "jacobians": [_jacobians(m, settings[m], results[m].parts["jacobians"])
                      for m in ("elman", "linear_half_square")],
        "residual": _residual(settings["elman"], el["residual"]),
        "eigen": _eigen(lin["eigen"]),
        "orthogonal": _orthogonal(lin["orthogonal"]),
        "truncation": _truncation(lin["truncation"]),
        "randomized": _randomized(lin["randomized"]),
        "clip": _clip(lin["clip"]),
        "cost": _cost(settings["elman"], el["cost"]),
        "attention": _attention(settings["attention"], att["attention"]),
    }
