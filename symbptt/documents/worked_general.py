"""The second part of seed note 004's worked example (seed004.tex/.md): the tanh RNN with
softmax output and cross-entropy, for which the seed gives formulas only. Each formula is
written in symbptt's formula language and checked by `check`; the documents print check's
verdicts, never their own. Also here: how every rule of the document is checked (`checked`),
used by the scalar part (worked.py) too.

Two of the seed's formulas need a reading, and the seed audit (examples/seeds/004.toml)
checks both readings of each; this part takes those very claims from the claim file, so the
two documents give one reading: the one-step Jacobian tanh'(...) . W_hh (004-28: as written,
a column times a matrix; with the slopes on a diagonal) and the sum over t of
dL/dh_t dh_t/dW_hh (004-29, with dh_t/dW_hh total: the classic trap)."""
from __future__ import annotations

from ..check import claimfile
from ..check.audit import (entry_tex, examples_dir, labels, number_tex, shape_parts,
                           shown_values, sizes)
from ..check.outcome import ClaimInput
from ..check.verdict import check
from ..formula.lines import lines
from ..model.zoo import zoo_model
from .notation import equation_latex

SOFTMAX_MODEL = "elman_softmax"

# The seed's second part (elman_softmax), claim by claim: (what the seed writes, formulas)
SOFTMAX_GROUPS = (
    ("A shared weight's gradient is the sum of every step's: the seed's "
     r"$\partial L/\partial W = \sum_{t=1}^{T} \partial L_t/\partial W$, for each of the three "
     "weights.",
     ("dL/dW_xh = sum(t=1..T, dl[t]/dW_xh)", "dL/dW_hh = sum(t=1..T, dl[t]/dW_hh)",
      "dL/dW_hy = sum(t=1..T, dl[t]/dW_hy)")),
    ("The output layer. The seed writes "
     r"$\sum_t \frac{\partial L_t}{\partial \hat y_t} \frac{\partial \hat y_t}{\partial W_{hy}}$; "
     "softmax and cross-entropy together leave the prediction minus the target "
     r"(as $y_t$ sums to 1: one-hot in the seed).",
     ("dL/do[t] = yhat[t] - y[t]", "dL/dW_hy = sum(t=1..T, (yhat[t] - y[t]) @ h[t].T)")),
    (r"The $\delta$ recursion: $h_k$ reaches every later loss, and the seed splits "
     r"$\partial L/\partial h_k$ into the direct effect on $L_k$ and what comes back "
     "from the future; written out, with the slope of tanh.",
     ("dL/dh[k] = sum(t=k..T, dl[t]/dh[k])",
      "dL/dh[k] = dl[k]/dh[k] + (dh[k+1]/dh[k]).T @ dL/dh[k+1]",
      "dL/dh[k] = W_hy.T @ (yhat[k] - y[k]) + W_hh.T @ diag(1 - h[k+1] * h[k+1]) "
      "@ dL/dh[k+1]")),
    (r"The tanh slope: $\tanh' = 1 - \tanh^2$, so $h_t$ gives the slope $1 - h_t^2$, and "
     r"the gradient reaches the pre-activation $a_t$ entry by entry.",
     ("dL/da[t] = (1 - h[t] * h[t]) * dL/dh[t]",)),
    (r"The recurrent and input weights: the seed's "
     r"$\sum_t \frac{\partial L}{\partial h_t} \frac{\partial h_t}{\partial W_{hh}}$ "
     r"with $\partial h_t/\partial W_{hh}$ the step's own partial ($h_{t-1}$ held), and "
     "\u201clikewise\u201d for $W_{xh}$.",
     ("dL/dW_hh = sum(t=1..T, diag(1 - h[t] * h[t]) @ dL/dh[t] @ h[t-1].T)",
      "dL/dW_xh = sum(t=1..T, diag(1 - h[t] * h[t]) @ dL/dh[t] @ x[t].T)")),
)
# The seed audit's claims this part shows (by their number in seed-audit.md): the
# Jacobian as written and with diag, and dL/dW_hh with dh_t/dW_hh read as the total
LITERAL, DIAGONAL, TRAP = "004-28.1", "004-28.2", "004-29.2"
# the diagonal reading again, with the slope from h_{k+1} as in the groups above
SLOPE_FROM_H = "dh[k+1]/dh[k] = diag(1 - h[k+1] * h[k+1]) @ W_hh"


def seed_claims() -> dict:
    """The seed audit's claims of seed note 004, by their number (004-28.1, ...)."""
    cf = claimfile.load(examples_dir() / "seeds" / "004.toml")
    return {label: ci for (label, _), ci in zip(labels([c.name for c in cf.order]), cf.order)}


# ---- what check says -----------------------------------------------------------------

def verdict_text(c) -> str:
    """A claim's verdict and scope as check returns them (words with $math$, for \\text{})."""
    if c.verdict == "wrong":
        if c.shape_error:
            return "wrong: a shape error"
        return f"wrong at $T = {c.counterexample.T}$" if c.counterexample else "wrong"
    if c.verdict != "correct":
        return c.verdict
    if c.scope == "every T":
        return "correct for every $T$"
    return f"correct at $T = {c.Ts[0]}..{c.Ts[-1]}$" if c.scope == "T <= K" \
        else f"correct at ${c.scope}$"


def shown_rule(text: str, scalar: bool) -> list[tuple[str, str]]:
    """A checked formula as align lines, printed from its parse (a scalar model's * is the
    plain product, shown by juxtaposition)."""
    parts = lines(text)
    return [(left, right.replace(r" \odot ", " ") if scalar else right)
            for left, right in parts]


def _part(text: str = "", math: str = "") -> dict:
    return {"text": text, "math": math, "code": ""}


def problem_parts(c) -> list[dict]:
    """Why check finds a claim wrong, in words with math: its shape error, or where its
    counterexample fails ([] when it is not wrong)."""
    if c.correct:
        return []
    if c.shape_error:
        return shape_parts(c.shape_error)
    m = c.counterexample
    if m is None:
        return []
    expected, got = shown_values(m.expected, m.got)
    return [_part("at "), _part(math=f"T = {m.T}"), _part(" the entry "),
            _part(math=entry_tex(m.at, m.entry) or m.at), _part(" is "),
            _part(math=number_tex(expected) or expected), _part(" on the unrolled model and "),
            _part(math=number_tex(got) or got), _part(" by the formula")]


def checked(model: str, claims: list, scalar: bool = False) -> tuple[dict, dict]:
    """check's verdict on each claim (a formula, or a claim file's ClaimInput): its text ->
    {lines, verdict, scope, text, correct, problem}; and the sizes it checked at."""
    inputs = [c if isinstance(c, ClaimInput) else ClaimInput(c) for c in claims]
    report = check(model, inputs)
    out = {}
    for c in report.claims:
        out[c.input.claim] = {"lines": shown_rule(c.formula, scalar), "verdict": c.verdict,
                              "scope": c.scope, "text": verdict_text(c),
                              "correct": c.correct, "problem": problem_parts(c),
                              "T": c.counterexample.T if c.counterexample else None,
                              "shape_error": bool(c.shape_error)}
    return out, report.dims


def summary(verdicts: list[dict]) -> str:
    """How many of the formulas check finds correct, and for which T when they agree."""
    right = [v for v in verdicts if v["correct"]]
    scopes = {v["text"] for v in right}
    text = f"{len(right)} of these {len(verdicts)} formulas correct"
    if len(scopes) == 1 and len(right) == len(verdicts):
        text += ", each " + scopes.pop().removeprefix("correct ")
    return text


def softmax_part() -> dict:
    """The seed's tanh/softmax/cross-entropy RNN: the zoo model's equations, each of the
    seed's gradient formulas in symbptt's formula language with check's verdict; the
    seed's Jacobian in both readings, and the total-derivative trap, as the audit has them."""
    spec = zoo_model(SOFTMAX_MODEL)
    seed = seed_claims()
    jacobian = [seed[LITERAL], seed[DIAGONAL], SLOPE_FROM_H]
    claims = [c for _, group in SOFTMAX_GROUPS for c in group] + jacobian + [seed[TRAP]]
    verdicts, dims = checked(SOFTMAX_MODEL, claims)
    literal, diagonal, from_h = (verdicts[getattr(c, "claim", c)] for c in jacobian)
    trap = verdicts[seed[TRAP].claim]
    return {"model": SOFTMAX_MODEL, "title": spec.title,
            "equations": [equation_latex(e) for e in spec.equations],
            "loss": equation_latex(spec.loss),
            "sizes": ", ".join(f"{k} = {v}" for k, v in dims.items()),
            "size_words": sizes(SOFTMAX_MODEL, dims)["words"],
            "groups": [{"say": say, "claims": [verdicts[c] for c in group]}
                       for say, group in SOFTMAX_GROUPS],
            "summary": summary([verdicts[c] for _, group in SOFTMAX_GROUPS for c in group]),
            "jacobian": {"literal": literal, "readings": [diagonal, from_h],
                         # check rules as the documents explain: ill-typed as written,
                         # right with the slopes on a diagonal
                         "as_explained": literal["shape_error"] and diagonal["correct"]
                         and from_h["correct"]},
            "trap": trap, "labels": {"literal": LITERAL, "diagonal": DIAGONAL, "trap": TRAP}}
