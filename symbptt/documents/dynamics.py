"""The gradient-dynamics document (output/dynamics.md, .tex, .pdf) and its figures.

Three `analyze` runs, fixed here, give every number and figure of the document:

    elman               T = 30, n = 8, d = 4, W at spectral norm 0.9 (c s < 1: vanishing)
    linear_half_square  T = 20, n = 4, d = 3, W at spectral radius 1.2 (exploding)
    attention           T = 20, n = 4, d = 3, random weights

The measured times of the cost part change from run to run, so the document shows its
deterministic counts (paths, step VJPs) and leaves the times to `symbptt analyze`.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..analyze.parts import analyze
from ..analyze.settings import Analysis, Settings
from .noise import ANGLE_NOISE, bound_text
from .figures import figure
from ..model.spec import Dims
from ..model.registry import get_model

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


@dataclass(frozen=True)
class Figure:
    name: str            # figures/dynamics-MODEL-PART (no suffix)
    caption: str


def figure_name(model: str, part: str) -> str:
    return f"figures/dynamics-{model}-{part}"


def g(x: float, digits: int = 4) -> str:
    """A number for the document: fixed significant digits, no float noise."""
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


def context(results: dict[str, Analysis]) -> dict:
    """What the templates show: the numbers as text, the figures by name."""
    el, lin, att = (results[m].parts for m in ("elman", "linear_half_square", "attention"))
    j_el, j_lin = el["jacobians"], lin["jacobians"]
    tr, rz, cl = lin["truncation"], lin["randomized"], lin["clip"]
    i9 = tr["a"].index(0.9)
    i5 = tr["a"].index(0.5)
    chosen = rz["pi"].index(rz["chosen_pi"])
    cost = el["cost"]
    return {
        "commands": COMMANDS,
        "settings": {m: results[m].settings for m in results},
        "jacobians": [
            {"model": m, "figure": figure_name(m, "jacobians"), "c": g(j["c"]), "s": g(j["s"]),
             "cs": g(j["cs"]), "rate": g(j["rate"]), "bound_rate": g(j["bound_rate"]),
             "last_lag": j["lags"][-1], "last_norm": g(j["norms"][-1]),
             "last_tight": g(j["slope_bound"][-1]), "last_loose": g(j["cs_bound"][-1]),
             "regime": j["regime"]}
            for m, j in (("elman", j_el), ("linear_half_square", j_lin))],
        "residual": {"figure": figure_name("elman", "residual"),
                     "elman": g(el["residual"]["elman"][-1]),
                     "residual": g(el["residual"]["residual"][-1]),
                     "elman_rate": g(el["residual"]["elman_rate"]),
                     "residual_rate": g(el["residual"]["residual_rate"]),
                     "last_lag": el["residual"]["lags"][-1]},
        "eigen": {"figure": figure_name("linear_half_square", "eigen"),
                  "eigenvalue": g(lin["eigen"]["eigenvalue"]),
                  "factor": g(lin["eigen"]["fitted_factor"], 6),
                  "holds": lin["eigen"]["holds"]},
        "orthogonal": {"figure": figure_name("linear_half_square", "orthogonal"),
                       "deviation": bound_text(lin['orthogonal']['max_deviation']),
                       "steps": lin["orthogonal"]["steps"][-1],
                       "scaled": g(lin["orthogonal"]["scaled_1.1"][-1]),
                       "proven_steps": lin["orthogonal"]["rotation_proven_steps"],
                       "proven": lin["orthogonal"]["rotation_proven"],
                       "scaled_proven": lin["orthogonal"]["scaled_rotation_proven"]},
        "truncation": {"figure": figure_name("linear_half_square", "truncation"),
                       "T": tr["T"], "windows": tr["windows"],
                       "rows": [{"k": k, "bias_05": g(tr["bias"][str(k)][i5]),
                                 "bias_09": g(tr["bias"][str(k)][i9]),
                                 "proven": tr["proofs"][str(k)]["closed_form_proven"],
                                 "cut": tr["proofs"][str(k)]["cut_inputs"],
                                 "cut_zero": tr["proofs"][str(k)]["cut_inputs_zero"]}
                                for k in tr["windows"]],
                       "engine": bound_text(tr['engine_max_rel_diff']), "points": len(tr["a"])},
        "randomized": {"figure": figure_name("linear_half_square", "randomized"),
                       "proof_T": rz["proof_T"], "unbiased": rz["unbiased_proven"],
                       "variance_proven": rz["variance_closed_form_proven"],
                       "e_xi": rz["expectation_of_xi"], "a": rz["a"], "T": rz["T"],
                       "pi": g(rz["chosen_pi"]), "full": g(rz["full"]),
                       "exact_mean": g(rz["exact_mean"]),
                       "exact_variance": g(rz["exact_variance"][chosen]),
                       "mc_mean": g(rz["mc_mean"][chosen]),
                       "mc_variance": g(rz["mc_variance"][chosen]),
                       "draws": rz["mc_draws"][chosen],
                       "grid_draws": rz["draws_per_grid_pi"]},
        "clip": {"figure": figure_name("linear_half_square", "clip"),
                 "norm": g(cl["norm_before"]), "c": g(cl["threshold"]),
                 "after": g(cl["norm_after"]), "factor": g(cl["factor"]),
                 "angle": bound_text(cl['angle_degrees'], ANGLE_NOISE), "entries": cl["entries"],
                 "largest_angle": bound_text(max(cl['angles_degrees']), ANGLE_NOISE),
                 "unchanged": cl["unchanged_thresholds"], "unchanged_all": cl["unchanged_all"]},
        "cost": {"figure": figure_name("elman", "cost"),
                 "rows": [{"T": T, "paths": p, "formula": f, "bptt": b, "path_sum": ps}
                          for T, p, f, b, ps in zip(cost["T"], cost["paths"], cost["formula"],
                                                    cost["bptt_vjp_calls"],
                                                    cost["path_sum_vjp_calls"])],
                 "same": cost["same_gradient"]},
        "attention": {"figure": figure_name("attention", "attention"),
                      "t": att["attention"]["t"], "tau": att["attention"]["taus"][-1],
                      "recurrent": g(att["attention"]["recurrent"][-1]),
                      "shortcut": g(att["attention"]["shortcut"][-1]),
                      "recurrent_rate": g(att["attention"]["recurrent_rate"]),
                      "shortcut_rate": g(att["attention"]["shortcut_rate"])},
    }
