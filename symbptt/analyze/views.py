"""An analysis as plain data for --json (non-finite numbers as strings), and as text:
a few lines a part, with the seed each part checks."""
from __future__ import annotations

import numpy as np

from .settings import Analysis, Settings


def _finite(x):
    """Plain JSON: a rate with nothing to fit (NaN) or of a vanished product (-inf) is null."""
    if isinstance(x, float):
        return x if np.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def analysis_json(r: Analysis) -> dict:
    s = r.settings
    return _finite({"model": s.model, "T": s.T, "dims": {"n": s.dims.n, "d": s.dims.d, "q": s.dims.q},
            "seed": s.seed, "activation": s.activation,
            "weights": {"kind": s.weights, "value": s.scale, "values_file": s.values},
            "lag": s.last_lag, "window": s.window, "clip": s.clip, "pi": s.pi,
            "parts": r.parts, "seconds": r.seconds})


def _g(x: float) -> str:
    return "none (too few points to fit)" if x != x else f"{x:.4g}"


def _text(name: str, p: dict, s: Settings) -> list[str]:
    if name == "jacobians":
        last = len(p["norms"]) - 1
        return [f"c = {_g(p['c'])}, s = ||W||_2 = {_g(p['s'])}, c s = {_g(p['cs'])}; "
                f"{p['regime']}",
                f"||prod J|| at lag {p['lags'][last]}: measured {_g(p['norms'][last])} <= "
                f"bound with each step's slopes {_g(p['slope_bound'][last])} <= "
                f"seed 001's (c s)^lag {_g(p['cs_bound'][last])} (checked at every lag)",
                f"rate per step: measured {_g(p['rate'])}, bound log(c s) = "
                f"{_g(p['bound_rate'])}"]
    if name == "residual":
        return [f"same W (||W|| = {_g(p['s'])}): ||prod J|| at lag {p['lags'][-1]}: elman "
                f"{_g(p['elman'][-1])}, residual {_g(p['residual'][-1])}",
                f"rate per step: elman {_g(p['elman_rate'])}, residual "
                f"{_g(p['residual_rate'])}"]
    if name == "eigen":
        return [f"normal W, top eigenvalue {_g(p['eigenvalue'])}: the component grows by "
                f"{_g(p['fitted_factor'])} a step (fit), |lambda| = {_g(abs(p['eigenvalue']))}"
                f" ({'as predicted' if p['holds'] else 'NOT as predicted'})"]
    if name == "orthogonal":
        return [f"orthogonal W: ||(W^T)^m g|| / ||g|| within {p['max_deviation']:.1e} of 1 "
                f"for m <= {p['steps'][-1]}; 1.1 W: {_g(p['scaled_1.1'][-1])} at "
                f"m = {p['steps'][-1]}",
                f"2x2 rotation by a symbolic angle: norm kept, proven for m <= "
                f"{p['rotation_proven_steps']}: {'yes' if p['rotation_proven'] else 'NO'}; "
                f"a 1.1-scaled rotation fails that proof: "
                f"{'yes' if not p['scaled_rotation_proven'] else 'NO'}"]
    if name == "truncation":
        k = str(p["window"])
        pr = p["proofs"][k]
        i9 = p["a"].index(0.9)
        return [f"h_t = a h_(t-1) + x_t, T = {p['T']}, window k = {k}: bias = "
                f"sum_(s>k) h_s sum_(t<=s-k) a^(s-t) h_(t-1) proven: "
                f"{'yes' if pr['closed_form_proven'] else 'NO'}",
                "bias at a = 0.9: " + ", ".join(f"k = {w}: {_g(p['bias'][str(w)][i9])}"
                                                  for w in p["windows"]),
                f"{pr['cut_inputs']} gradients to inputs k or more steps back: all exactly 0: "
                f"{'yes' if pr['cut_inputs_zero'] else 'NO'}; engine's truncated BPTT "
                f"matches to {p['engine_max_rel_diff']:.1e}"]
    if name == "randomized":
        return [f"E[z_t] = dh_t/dw_h proven over every xi outcome at T = {p['proof_T']}: "
                f"{'yes' if p['unbiased_proven'] else 'NO'}; E[xi] = "
                f"{p['expectation_of_xi']}; variance closed form proven: "
                f"{'yes' if p['variance_closed_form_proven'] else 'NO'}",
                f"estimator of dL/da (a = {p['a']}, T = {p['T']}, pi = {p['chosen_pi']}): "
                f"exact mean {_g(p['exact_mean'])} = dL/da {_g(p['full'])}, exact variance "
                f"{_g(p['chosen_exact_variance'])}; engine, {p['draws']} draws: mean "
                f"{_g(p['chosen_mc_mean'])}, variance {_g(p['chosen_mc_variance'])}"]
    if name == "clip":
        kept = "unchanged (||g|| <= c)" if not p["clipped"] else \
            f"scaled by {_g(p['factor'])}"
        return [f"||g|| = {_g(p['norm_before'])} ({p['entries']} entries), c = "
                f"{_g(p['threshold'])}: {kept}; ||g~|| = {_g(p['norm_after'])}, angle "
                f"{p['angle_degrees']:.1e} degrees"]
    if name == "cost":
        rows = [f"T = {T}: {paths} paths (T(T+1)/2 = {f}), path sum "
                f"{ps * 1e3:.2f} ms against BPTT {b * 1e3:.2f} ms"
                for T, paths, f, ps, b in zip(p["T"], p["paths"], p["formula"],
                                             p["path_sum_s"], p["bptt_s"])]
        return rows + [f"same gradient: {'yes' if p['same_gradient'] else 'NO'}"]
    if name == "attention":
        return [f"dl_{p['t']}/dx_(t-tau) at tau = {p['taus'][-1]}: recurrent path "
                f"{_g(p['recurrent'][-1])}, shortcut {_g(p['shortcut'][-1])}",
                f"rate per step: recurrent {_g(p['recurrent_rate'])}, shortcut "
                f"{_g(p['shortcut_rate'])}"]
    raise KeyError(name)


TITLES = {"jacobians": "Jacobian products (seed 001)",
          "residual": "residual against Elman, same weights (seed 001)",
          "eigen": "exploding along an eigenvector, normal W (seed 001)",
          "orthogonal": "orthogonal W keeps the norm (seed 001)",
          "truncation": "truncated BPTT's bias (seeds 000, 001)",
          "randomized": "randomized truncation is unbiased (seed 002)",
          "clip": "norm clipping (seed 001)",
          "cost": "naive path sum against BPTT (seed 000)",
          "attention": "attention's shortcut (seed 001)"}


def analysis_text(r: Analysis) -> str:
    s = r.settings
    how = {"random": f"random weights (seed {s.seed})",
           "orthogonal": f"orthogonal W (seed {s.seed})",
           "norm": f"W scaled to spectral norm {_g(s.scale or 0)} (seed {s.seed})",
           "radius": f"W scaled to spectral radius {_g(s.scale or 0)} (seed {s.seed})"}
    given = f"weights from {s.values}" + (", " if s.weights != "random" else "")
    lines = [f"{s.model}, T = {s.T}, " + (given if s.values else "") +
             ("" if s.values and s.weights == "random" else how[s.weights])]
    for name, p in r.parts.items():
        lines.append(f"\n{name}: {TITLES[name]}")
        lines += [f"  {line}" for line in _text(name, p, s)]
    lines.append(f"\n{len(r.parts)} part(s) in {r.seconds:.1f} s")
    return "\n".join(lines)
