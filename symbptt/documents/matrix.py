"""The derivation at matrix level that a document leads with: symbptt derive's formulas,
each proven by check, grouped as the notes present them, a sentence each, and the one
entry that matters in the model pointed out where it appears."""
from __future__ import annotations

from ..derive.proof import Derivation, derive, reads_relu_prime
from ..formula.lines import lines
from ..model.spec import ModelSpec

SAY = {
    "recursion": "A state's adjoint $\\partial L/\\partial h_t$ (the total derivative: every "
                 "path from $h_t$ to the loss) is what its own step's loss sends plus what "
                 "step $t+1$ sends back through the Jacobian.",
    "base case": "At $T$ nothing comes back from a later step.",
    "local loss": "The loss's own part, at one step.",
    "adjoint": "The adjoint of each quantity the step names, from the quantities that read it.",
    "gradient": "A parameter is shared by every step, so its gradient is a sum over $t$ of what "
                "each step sends it.",
    "input": "What reaches the input of a step.",
    "jacobian": "One step's Jacobian: each step back multiplies $\\delta$ by it (by its "
                "transpose, for a vector state).",
    "closed form": "Unrolled, the recursion is a sum over paths (seed 003's lemma "
                   "$u_t = v_t + c_t u_{t-1} \\Rightarrow u_t = v_t + \\sum_{i<t} "
                   "(\\prod_{j=i+1}^{t} c_j) v_i$, its $a, b$ renamed $u, v$ here): one product of Jacobians per path from "
                   "step $i$ back to step $t$. A product of matrices $\\prod_{j=t+1}^{i}$ runs "
                   "with the latest step on the left ($J_i \\cdots J_{t+1}$), as the chain "
                   "rule multiplies.",
    "forward": "Forward mode: the state's derivative by a parameter, carried step by step.",
}
HEADINGS = {"recursion": "The recursion", "base case": "Its base case",
            "local loss": "The loss at one step", "adjoint": "The named quantities",
            "gradient": "The gradients", "input": "The input", "jacobian": "The Jacobian",
            "closed form": "The closed form", "forward": "Forward mode"}
MATTERS = {
    "elman": "Every step back multiplies $\\delta$ by $W^\\top "
             "\\operatorname{diag}(\\varphi'(a_{t+1}))$: the norms of $W$ and of "
             "$\\varphi'$ decide whether gradients vanish or explode (seed 001).",
    "residual": "The Jacobian is $I + \\operatorname{diag}(\\tanh'(a_t))\\, W$: the identity "
                "keeps a path on which the gradient does not shrink (seed 001).",
    "lstm": "The carousel: $\\partial L/\\partial c_t$ receives "
            "$f_{t+1} \\odot \\partial L/\\partial c_{t+1}$, scaled by the forget gate alone, "
            "with no weight matrix and no squashing slope: while $f \\approx 1$ the gradient "
            "neither vanishes nor explodes along the cell state (seed 001).",
    "gru": "The term $(1 - z_{t+1}) \\odot \\delta_{t+1}$ is the GRU's highway: where the "
           "update gate is near 0 the gradient passes a step unchanged (seed 001).",
    "gru_torch": "The term $z_{t+1} \\odot \\delta_{t+1}$ (PyTorch's convention: $z$ keeps the "
                 "old state) is the GRU's highway (seed 001).",
    "d2l_linear": "$J = W_{hh}$: $\\delta_t$ sums $(W_{hh}^\\top)^{i-t} W_{qh}^\\top\\, "
                  "\\partial L/\\partial o_i$, so the eigenvalues of $W_{hh}$ decide how far "
                  "back a loss reaches (seed 002).",
    "linear_half_square": "$J = W_h$: a loss $i - t$ steps later reaches $h_t$ through "
                          "$(W_h^\\top)^{i-t}$ (seed 000).",
    "elman_softmax": "$\\partial L/\\partial o_t = \\hat y_t - y_t$: softmax and cross-entropy "
                     "together leave the prediction minus the target, as the target sums to 1 "
                     "(seed 004).",
    "scalar_linear": "With scalars every product commutes: $\\delta_t$ sums "
                     "$W_{hh}^{i-t}$ times what step $i$'s loss sends (seed 004).",
    "generic": "Seed 003's forward recursion $\\partial h_t/\\partial w_h = "
               "\\partial f_t/\\partial w_h + \\partial f_t/\\partial h_{t-1}\\, "
               "\\partial h_{t-1}/\\partial w_h$ appears as the last line.",
    "attention": "The shortcut: $x_k$ receives, from every later step $t \\ge k$, "
                 "$(\\partial c_t/\\partial x_k)^\\top \\partial L/\\partial c_t$ without "
                 "passing through the recurrence (seed 001).",
}


def scope_tex(f) -> str:
    if f.verdict != "correct":
        return "not proven"
    if f.scope == "every T":
        return "proven for every $T$"
    return f"checked at $T = 1..{f.T[-1]}$" if f.T else "proven"


def matrix_context(spec: ModelSpec, activation: str | None) -> dict:
    """What the document's matrix-level section shows: groups of (heading, sentence,
    [(latex left, latex right, scope, formula text)]) and the remark for the model."""
    d: Derivation = derive(spec, activation)
    groups = []
    for role in HEADINGS:
        fs = [f for f in d.formulas if f.role == role]
        if fs:
            rows = []
            for f in fs:
                parts = lines(f.text)
                if not spec.dims_used:           # numbers: a product, never a Hadamard one
                    parts = [(left, right.replace(r" \odot ", " ")) for left, right in parts]
                rows += [(left, right, scope_tex(f) if k == len(parts) - 1 else "", f.text)
                         for k, (left, right) in enumerate(parts)]
            groups.append({"heading": HEADINGS[role], "say": SAY[role], "rows": rows})
    matters = MATTERS.get(spec.name, "") or (RELU_SAY if reads_relu_prime(d) else "")
    return {"groups": groups, "matters": matters, "derivation": d, "scope_say": SCOPE_SAY}


RELU_SAY = ("The ReLU's derivative is an indicator, $\\operatorname{relu}'(a) = "
            "\\mathbf{1}[a > 0]$ elementwise, and at the kink we take "
            "$\\operatorname{relu}'(0) = 0$, PyTorch's convention (a leaky ReLU of slope $l$ "
            "then has slope $l$ at 0). To the proofs each slope is an atom $s$ with "
            "$s^2 = s$; the numeric engine uses the same convention.")


SCOPE_SAY = ("*Proven for every $T$*: `check` proved the formula by induction over $T$. "
             "*Checked at $T = 1..4$*: proven exactly at each of these $T$ (`check` has no "
             "induction for the formula's form), with a numeric search past 4 finding no "
             "counterexample; the inductive certificate below proves, for every $T$, the "
             "per-step rules the formula is built from.")
