"""The worked example of seed note 004, in the seed's own form: the scalar linear RNN at
T = 2 by hand (forward table, loss, dl_t/dyhat_t, delta_t = dL/dh_t, each gradient as a sum
of per-step terms), every number exact from symbptt's own objects (the unrolled model, its
rule table, grad's report) with its decimal beside it; then the seed's second part, the
tanh RNN with softmax output and cross-entropy, its gradient formulas checked by check
(worked_general.py)."""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from importlib import resources
from pathlib import Path

import sympy as sp

from ..errors import SymbpttError
from ..model.registry import get_model
from ..model.values import load
from ..model.zoo import SEED, source
from ..symbolic import recursive
from ..symbolic.backend import SYMPY
from ..symbolic.cells import cell_for
from ..symbolic.evaluate import evaluate
from ..symbolic.unroll import Unrolled, unroll
from .notation import equation_latex, symbol_latex
from .worked_general import checked, softmax_part

SEED_FILE = SEED["004"]
MODEL, T = "scalar_linear", 2
COMMAND = "symbptt grad scalar_linear --T 2 --values symbptt/examples/seed004.json"

# The rules the hand computation uses, in the seed's order of factors (scalars: * is the
# plain product); each is checked by `check` and shown with its verdict
SLOPE_RULE = "dl[t]/dyhat[t] = 2 * (yhat[t] - y[t])"
DELTA_RULE = "dL/dh[t] = dl[t]/dyhat[t] * W_hy + dL/dh[t+1] * W_hh"
# parameter -> (its rule, the two factors of step t's term as LaTeX, in the seed?)
GRADIENTS = (
    ("W_hy", "dL/dW_hy = sum(t=1..T, dl[t]/dyhat[t] * h[t])",
     (r"\frac{{\partial l_{{{t}}}}}{{\partial \hat{{y}}_{{{t}}}}}", r"h_{{{t}}}"), True),
    ("W_hh", "dL/dW_hh = sum(t=1..T, dL/dh[t] * h[t-1])",
     (r"\delta_{{{t}}}", r"h_{{{p}}}"), True),
    ("W_xh", "dL/dW_xh = sum(t=1..T, dL/dh[t] * x[t])",
     (r"\delta_{{{t}}}", r"x_{{{t}}}"), False),
)

# ---- numbers -------------------------------------------------------------------------

def decimal(q: Fraction) -> str | None:
    """The exact decimal of q ("-12.875"), or None when it does not terminate."""
    den, twos, fives = q.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return None
    places = max(twos, fives)
    digits = str(abs(q.numerator * 10 ** places // q.denominator)).rjust(places + 1, "0")
    sign = "-" if q < 0 else ""
    return sign + (f"{digits[:-places]}.{digits[-places:]}" if places else digits)


def fraction(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def both(q: Fraction) -> str:
    """A number as the seed writes it beside its exact fraction: "12.8125 = 205/16", "-3"."""
    if q.denominator == 1:
        return str(q.numerator)
    shown = decimal(q)
    return f"{shown} = {fraction(q)}" if shown else rf"{fraction(q)} \approx {float(q):.6g}"


def operand(q: Fraction, first: bool = True) -> str:
    """A number inside a line of arithmetic: its decimal, bracketed when negative and not
    first."""
    text = decimal(q) or fraction(q)
    return f"({text})" if q < 0 and not first else text


def chain(*steps: str) -> str:
    """The right side of a line of arithmetic: "= a = b = c"."""
    return " ".join(f"= {s}" for s in steps)


def total_line(values: list[Fraction]) -> str:
    """The sum of terms, term by term, then its value."""
    terms = " + ".join(operand(v, k == 0) for k, v in enumerate(values))
    return chain(terms, both(sum(values, Fraction(0))))


# ---- the example, from the unrolled model -------------------------------------------

def seed004_path() -> Path:
    return Path(str(resources.files("symbptt") / "examples" / "seed004.json"))


def point(u: Unrolled, vals: dict) -> dict:
    """Every parameter, input and target symbol of `u` -> its value in the seed."""
    pairs = [(u.params[name], v) for name, v in vals["params"].items()]
    pairs += [(x[0], v) for x, v in zip(u.xs, vals["inputs"])]
    pairs += [(y[0], v) for y, v in zip(u.ys, vals["targets"])]
    return {sym: sp.Rational(v.numerator, v.denominator) for sym, v in pairs}


def at(expr, where: dict) -> Fraction:
    """An expression of the unrolled model at the seed's point, as an exact Fraction."""
    v = (sp.Integer(expr) if isinstance(expr, int) else expr).xreplace(where)
    if not v.is_Rational:
        raise SymbpttError(f"worked example: {expr} is not a rational at the seed's point")
    return Fraction(int(v.p), int(v.q))


def loss_slope(u: Unrolled, st, y) -> sp.Expr:
    """dl_t/dyhat_t: the cell's own loss differentiated by its prediction."""
    yhat = sp.Symbol("yhat", real=True)
    loss = u.cell.loss(u.backend, u.params, replace(st, vals={**st.vals, "yhat": (yhat,)}),
                       y, u.T)
    return sp.diff(loss, yhat).xreplace({yhat: st.vals["yhat"][0]})


def readout_slopes(u: Unrolled, st) -> tuple[sp.Expr, sp.Expr]:
    """(dyhat_t/dh_t, dyhat_t/dW_hy) from the cell's readout."""
    h = sp.Symbol("h", real=True)
    yhat = u.cell.readout(u.backend, u.params, (h,), ())["yhat"][0]
    return sp.diff(yhat, h), sp.diff(yhat, u.params["W_hy"]).xreplace({h: st.s[0]})


def step_partials(u: Unrolled, st) -> dict:
    """dh_t/dp with h_{t-1} held (the seed's dh_2/dW_hh = h_1): the step's VJP of 1."""
    return u.cell.vjp(u.backend, u.params, st, (sp.Integer(1),))[1]


def contributions(u: Unrolled, deltas: list) -> dict:
    """Step t's term of each parameter's gradient, from the rule table: what its loss rule
    sends the parameter plus its VJP rule applied to delta_t. Parameter -> {t: term}."""
    out: dict = {}
    for (_, local, _), st, d in zip(recursive.local_gradients(u), u.steps, deltas):
        _, through, _ = u.cell.vjp(u.backend, u.params, st, d)
        for name in u.params:
            out.setdefault(name, {})[st.t] = local.get(name, 0) + through.get(name, 0)
    return out


def forward_rows(u: Unrolled, where: dict) -> list[dict]:
    """The forward table, and each h_t as the seed computes it (W_xh x_t + W_hh h_{t-1})."""
    rows = []
    for st, y, loss in zip(u.steps, u.ys, u.losses):
        partial = step_partials(u, st)
        factors = [(at(u.params[p], where), at(partial[p], where)) for p in ("W_xh", "W_hh")]
        terms = [a * b for a, b in factors]
        h, yhat, target = at(st.s[0], where), at(st.vals["yhat"][0], where), at(y[0], where)
        if sum(terms) != h:
            raise SymbpttError("worked example: h_t is not the sum of its terms (a bug)")
        rows.append({
            "t": st.t, "x": both(at(st.x[0], where)), "h": both(h), "yhat": both(yhat),
            "y": both(target), "error": both(yhat - target), "loss": both(at(loss, where)),
            "h_line": (f"h_{{{st.t}}}", f"= W_{{xh}} x_{{{st.t}}} + W_{{hh}} h_{{{st.t - 1}}} "
                       + chain(" + ".join(rf"{operand(a)} \cdot {operand(b)}"
                                          for a, b in factors),
                               " + ".join(operand(v, k == 0) for k, v in enumerate(terms)),
                               both(h)))})
    return rows


def slope_lines(u: Unrolled, where: dict) -> list[tuple[str, str]]:
    """dl_t/dyhat_t = 2 (yhat_t - y_t) with the seed's numbers, t = T down to 1."""
    out = []
    for st, y in reversed(list(zip(u.steps, u.ys))):
        slope = at(loss_slope(u, st, y), where)
        yhat, target = at(st.vals["yhat"][0], where), at(y[0], where)
        if slope != 2 * (yhat - target):
            raise SymbpttError("worked example: the loss's slope is not its proven rule (a bug)")
        t = st.t
        out.append((rf"\frac{{\partial l_{{{t}}}}}{{\partial \hat{{y}}_{{{t}}}}}",
                    rf"= 2(\hat{{y}}_{{{t}}} - y_{{{t}}}) "
                    + chain(f"2({operand(yhat)} - {operand(target)})", both(slope))))
    return out


def delta_lines(u: Unrolled, deltas: list, where: dict) -> list[tuple[str, str]]:
    """delta_t = dl_t/dyhat_t dyhat_t/dh_t + delta_{t+1} dh_{t+1}/dh_t, t = T down to 1."""
    out = []
    for k in range(u.T - 1, -1, -1):
        st, t = u.steps[k], u.steps[k].t
        g = at(loss_slope(u, st, u.ys[k]), where)
        w_hy = at(readout_slopes(u, st)[0], where)
        parts = [g * w_hy]
        symbols = rf"\frac{{\partial l_{{{t}}}}}{{\partial \hat{{y}}_{{{t}}}}} W_{{hy}}"
        numbers = rf"{operand(g)} \cdot {operand(w_hy)}"
        if k + 1 < u.T:
            later = at(deltas[k + 1][0], where)
            w_hh = at(u.cell.jacobian(u.backend, u.params, u.steps[k + 1])[0][0], where)
            parts.append(later * w_hh)
            symbols += rf" + \delta_{{{t + 1}}} W_{{hh}}"
            numbers += rf" + {operand(later, False)} \cdot {operand(w_hh)}"
        value = at(deltas[k][0], where)
        if sum(parts) != value:
            raise SymbpttError("worked example: delta_t is not the sum of its parts (a bug)")
        steps = [numbers] + ([" + ".join(operand(p, j == 0) for j, p in enumerate(parts))]
                             if len(parts) > 1 else []) + [both(value)]
        out.append((rf"\delta_{{{t}}}", f"= {symbols}"))
        out.append(("", chain(*steps)))
    return out


def gradient_terms(u: Unrolled, deltas: list, where: dict, report) -> list[dict]:
    """Each parameter's gradient as the seed writes it: one line per step (its two factors
    and their product, t = T down to 1), then the sum, which must be grad's direct value."""
    terms = contributions(u, deltas)
    out = []
    for name, rule, (first, second), in_seed in GRADIENTS:
        rows, values = [], []
        for k in range(u.T - 1, -1, -1):
            st, t = u.steps[k], u.steps[k].t
            a = at(loss_slope(u, st, u.ys[k]), where) if name == "W_hy" \
                else at(deltas[k][0], where)
            b = at(readout_slopes(u, st)[1] if name == "W_hy" else step_partials(u, st)[name],
                   where)
            value = at(terms[name][t], where)
            if a * b != value:
                raise SymbpttError(f"worked example: step {t}'s term of dL/d{name} is not "
                                   f"the product of its factors (a bug)")
            values.append(value)
            label = f"{first.format(t=t, p=t - 1)} {second.format(t=t, p=t - 1)}"
            rows.append((label, chain(rf"{operand(a)} \cdot {operand(b, False)}",
                                      both(value))))
        if Fraction(report.grads["direct"][name].exact) != sum(values):
            raise SymbpttError(f"worked example: the terms of dL/d{name} do not add up to "
                               f"its direct gradient (a bug)")
        out.append({"name": name, "rule": rule, "in_seed": in_seed, "rows": rows,
                    "total": total_line(values), "terms": [both(v) for v in values]})
    return out


def results(u: Unrolled, deltas: list, where: dict, report) -> list[tuple[str, str]]:
    """(quantity, value): the loss, each delta_t (t = T down to 1) and each gradient, from
    grad's report and the recursion."""
    out = [("L", both(Fraction(report.loss.exact)))]
    out += [(rf"\partial L/\partial h_{{{st.t}}}", both(at(d[0], where)))
            for st, d in reversed(list(zip(u.steps, deltas)))]
    out += [(rf"\partial L/\partial {symbol_latex(name)}",
             both(Fraction(report.grads["direct"][name].exact))) for name, *_ in GRADIENTS]
    return out


def exact_values(u: Unrolled, deltas: list, where: dict, report) -> dict:
    """The example's numbers as Fractions, by step t and by parameter (what tests read):
    h_t, yhat_t, l_t, dl_t/dyhat_t, delta_t, each step's term of each gradient, and the
    loss and gradients of grad's report (its direct form)."""
    return {
        "L": Fraction(report.loss.exact),
        "h": {st.t: at(st.s[0], where) for st in u.steps},
        "yhat": {st.t: at(st.vals["yhat"][0], where) for st in u.steps},
        "loss": {st.t: at(loss, where) for st, loss in zip(u.steps, u.losses)},
        "slope": {st.t: at(loss_slope(u, st, y), where) for st, y in zip(u.steps, u.ys)},
        "delta": {st.t: at(d[0], where) for st, d in zip(u.steps, deltas)},
        "terms": {name: {t: at(v, where) for t, v in per.items()}
                  for name, per in contributions(u, deltas).items()},
        "grads": {name: Fraction(report.grads["direct"][name].exact) for name in u.params},
    }


def worked_example() -> dict:
    """The template context of the seed-004 document (seed004.tex/.md): every number from
    the unrolled model and grad's report, every rule with check's verdict."""
    spec = get_model(MODEL)
    vals, dims = load(str(seed004_path()), spec, T)
    report = evaluate(spec, T, vals, dims)
    u = unroll(spec, cell_for(spec), T, dims, SYMPY)
    where = point(u, vals)
    deltas = recursive.deltas(u)
    rules, _ = checked(MODEL, [SLOPE_RULE, DELTA_RULE] + [g[1] for g in GRADIENTS], True)
    gradients = gradient_terms(u, deltas, where, report)
    for g in gradients:
        g["checked"] = rules[g["rule"]]
    forward = forward_rows(u, where)
    return {
        "source": source(SEED_FILE), "command": COMMAND, "T": T, "model": MODEL,
        "equations": [equation_latex(e) for e in spec.equations],
        "loss": equation_latex(spec.loss),
        "params": [(symbol_latex(p), both(v)) for p, v in vals["params"].items()],
        "inputs": [both(v) for v in vals["inputs"]],
        "targets": [both(v) for v in vals["targets"]],
        "forward": forward, "h_lines": [r["h_line"] for r in forward],
        "loss_line": total_line([at(loss, where) for loss in u.losses]),
        "results": results(u, deltas, where, report),
        "slope_rule": rules[SLOPE_RULE], "slopes": slope_lines(u, where),
        "delta_rule": rules[DELTA_RULE], "deltas": delta_lines(u, deltas, where),
        "gradients": gradients, "agree": report.agree,
        "exact": exact_values(u, deltas, where, report),
        "values": {"params": dict(vals["params"]), "inputs": list(vals["inputs"]),
                   "targets": list(vals["targets"])},
        "softmax": softmax_part(),
    }
