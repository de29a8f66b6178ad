"""symbptt.documents.document: each formula a document shows is the proven expression it claims to show.

The explicit entries at T = 2 are printed from a "compact" unroll (every intermediate of step t
a symbol defined by the step before, delta_{t+1} a symbol in delta_t). Substituted back
(delta_T first, then the definitions) they must be, exactly, the recursive deltas and the
direct gradient of the plain unroll; and a formula changed in any way must fail that test.
Comparisons run in SymEngine: se.expand(a - b) == 0, or the slope/softmax normal form of
symbptt.symbolic.zero where tanh and softmax identities are needed (never sampling).
"""
from __future__ import annotations


import pytest
import symengine as se
import sympy as sp

from symbptt.documents.document import (
    Compact,
    build,
    compact_unroll,
    expand_definitions,
    explicit_deltas,
)
from symbptt.documents.notation import broken, symbol_latex
from symbptt.model.spec import Dims
from symbptt.symbolic import direct, recursive
from symbptt.symbolic.activations import sigmoid
from symbptt.symbolic.backend import SYMENGINE, SYMPY, to_symengine
from symbptt.symbolic.cells import cell_for
from symbptt.symbolic.unroll import unroll
from symbptt.symbolic.zero import SlopeAtoms, SoftmaxAtoms
from symbptt.model.registry import get_model

MODELS = ["scalar_linear", "elman", "gru", "lstm", "attention"]
T = 2


def dims_for(spec) -> Dims:
    return Dims(2, 2, 2) if spec.dims_used else Dims()


def to_se(expr):
    """A SymPy expression as SymEngine, the logistic function written as the SYMENGINE
    backend writes it, sigma(a) = (1 + tanh(a/2)) / 2 (SymEngine cannot differentiate or
    see into SymPy's own sigmoid)."""
    expr = sp.sympify(expr)
    if expr.has(sigmoid):
        expr = expr.replace(sigmoid, lambda a: (1 + sp.tanh(a / 2)) / 2)
    return to_symengine(expr)


def canon(e, memo: dict):
    """e with the arguments of every function (tanh, exp, ...) expanded: the same
    function value, written one way whichever order the substitutions ran in."""
    done = memo.get(e)
    if done is None:
        args = e.args
        done = memo[e] = e if not args else e.func(*[se.expand(canon(a, memo)) for a in args])
    return done


@pytest.fixture(scope="module", params=MODELS)
def case(request):
    """The document of a model at T = 2 and the references it must agree with."""
    spec = get_model(request.param)
    cell = cell_for(spec)
    dims = dims_for(spec)
    doc = build(spec, T, dims)
    fast = unroll(spec, cell, T, dims, SYMENGINE)
    if cell.softmax:        # attention: its SymPy unroll takes ~10 s to convert
        ref_deltas = recursive.deltas(fast)
    else:                   # the deltas of the SymPy unroll the documents print from
        ref_deltas = [tuple(to_se(e) for e in d)
                      for d in recursive.deltas(unroll(spec, cell, T, dims, SYMPY))]
    softmax = SoftmaxAtoms([st.vals[cell.softmax] for st in fast.steps]) if cell.softmax \
        else None
    return {"spec": spec, "cell": cell, "dims": dims, "doc": doc, "ref_deltas": ref_deltas,
            "ref_grads": direct.gradient(fast), "softmax": softmax, "memo": {}}


def equal(case, a, b) -> bool:
    """a == b exactly: expansion (function arguments expanded too), else the normal form
    in the tanh slopes and softmax probabilities of symbptt.symbolic.zero."""
    a, b = canon(a, case["memo"]), canon(b, case["memo"])
    if se.expand(a - b) == 0:
        return True
    return SlopeAtoms(case["softmax"]).equal(a, b)


def se_compact(c: Compact, exprs: dict | None = None) -> Compact:
    """The compact unroll's definitions in SymEngine (exprs: definitions shown instead)."""
    shown = exprs if exprs is not None else c.definitions
    defs = {to_symengine(s): to_se(shown[s]) for s in c.order}
    return Compact(c.u, defs, tuple(to_symengine(s) for s in c.order))


def shown(case):
    """What the document shows, as SymEngine: (compact with the shown definitions, the
    delta symbols per t, the shown delta expressions per t, the shown gradient by label)."""
    doc = case["doc"]
    c = doc.context["compact"]
    defs = doc.context["definitions"] + doc.context["adjoints"]
    listed = [s for s in c.order if not str(s).startswith("y_")]   # a target: in the text
    assert len(defs) == len(listed)
    for sym, f in zip(listed, defs):        # each line is "symbol = its definition"
        assert f.tex.startswith(f"{symbol_latex(str(sym))} &= "), (sym, f.tex[:60])
        assert f.tex == broken(symbol_latex(str(sym)), f.expr)
    exprs = {s: f.expr for s, f in zip(listed, defs)}
    sc = se_compact(c, {s: exprs.get(s, c.definitions[s]) for s in c.order})
    _, syms = explicit_deltas(c)
    flat = [s for per_t in reversed(syms) for s in per_t]      # printed from t = T back
    formulas = doc.context["explicit_deltas"]
    assert len(formulas) == len(flat)
    for sym, f in zip(flat, formulas):
        assert f.tex.startswith(f"{symbol_latex(str(sym))} &= "), (sym, f.tex[:60])
    m = len(syms[0])
    deltas = [[to_se(f.expr) for f in formulas[k * m:(k + 1) * m]]
              for k in range(len(syms))][::-1]
    grads = {e.label: to_se(f.expr)
             for e, f in zip(c.u.param_entries, doc.context["explicit_grads"])}
    assert len(grads) == len(doc.context["explicit_grads"]) == len(c.u.param_entries)
    return sc, [[to_symengine(s) for s in per_t] for per_t in syms], deltas, grads


def substitute(sc: Compact, delta_syms, deltas, expr):
    """expr with delta_T, delta_{T-1}, ... put back (each in the ones after it), then every
    intermediate replaced by its definition: an expression in the model's own symbols."""
    back: dict = {}
    for t in range(len(deltas) - 1, -1, -1):
        back.update({s: e.xreplace(back) for s, e in zip(delta_syms[t], deltas[t])})
    return expand_definitions(sc, expr.xreplace(back))


def explicit_deltas_agree(case, sc, delta_syms, deltas) -> bool:
    ok = True
    for t, (syms, ref) in enumerate(zip(delta_syms, case["ref_deltas"]), start=1):
        for i, (s, r) in enumerate(zip(syms, ref)):
            ok &= equal(case, substitute(sc, delta_syms, deltas, s), r)
    return ok


def explicit_grads_agree(case, sc, delta_syms, deltas, grads) -> bool:
    ref = case["ref_grads"]
    return all(equal(case, substitute(sc, delta_syms, deltas, g), ref[label])
               for label, g in grads.items())


# --------------------------------------------------------------------------- the claims

def test_explicit_deltas_are_the_recursive_deltas(case):
    sc, syms, deltas, _ = shown(case)
    assert len(deltas) == T
    assert explicit_deltas_agree(case, sc, syms, deltas)


def test_explicit_gradient_is_the_direct_gradient(case):
    sc, syms, deltas, grads = shown(case)
    params = {e.label for e in case["doc"].context["compact"].u.param_entries}
    assert set(grads) == params and params <= set(case["ref_grads"])
    assert explicit_grads_agree(case, sc, syms, deltas, grads)


def test_a_wrong_delta_fails(case):
    sc, syms, deltas, _ = shown(case)
    wrong = [list(d) for d in deltas]
    wrong[-1][0] = 2 * wrong[-1][0]                 # delta_T[0] doubled
    assert not explicit_deltas_agree(case, sc, syms, wrong)
    wrong = [list(d) for d in deltas]
    wrong[0][-1] = wrong[0][-1] + syms[1][0]        # delta_1: delta_2 counted twice
    assert not explicit_deltas_agree(case, sc, syms, wrong)


def test_a_wrong_gradient_entry_fails(case):
    sc, syms, deltas, grads = shown(case)
    label = next(iter(grads))
    assert not explicit_grads_agree(case, sc, syms, deltas, {label: 2 * grads[label]})
    last = list(grads)[-1]
    assert not explicit_grads_agree(case, sc, syms, deltas,
                                    {last: grads[last] + syms[0][0]})


def test_a_wrong_definition_fails(case):
    """h_1[0] (an intermediate every later line reads) shown wrong, plus one: the gradient
    no longer agrees."""
    sc, syms, deltas, grads = shown(case)
    h1 = to_symengine(case["doc"].context["compact"].u.steps[0].s[0])
    assert h1 in sc.definitions
    bad = Compact(sc.u, {**sc.definitions, h1: sc.definitions[h1] + 1}, sc.order)
    assert explicit_grads_agree(case, sc, syms, deltas, grads)
    assert not explicit_grads_agree(case, bad, syms, deltas, grads)


def test_definitions_only_use_earlier_symbols(case):
    """Each intermediate is defined in the model's own symbols and the intermediates before
    it, so a reader can check the lines in order (and expand_definitions terminates)."""
    c = case["doc"].context["compact"]
    own = set(c.u.symbols)                  # parameters, inputs, targets
    assert c.order and set(c.order) == set(c.definitions)
    defined: set = set()
    for sym in c.order:
        stray = c.definitions[sym].free_symbols - defined - own
        assert not stray, (sym, stray)
        defined.add(sym)


def test_compact_state_expands_to_the_unrolled_state(case):
    """expand_definitions undoes compact_unroll: h_T of the compact unroll, expanded, is the
    SymPy unroll's h_T, structurally."""
    spec, cell, dims = case["spec"], case["cell"], case["dims"]
    c = compact_unroll(spec, cell, T, dims)
    full = unroll(spec, cell, T, dims, SYMPY)
    for got, want in zip(c.u.steps[-1].s, full.steps[-1].s):
        assert expand_definitions(c, got) == want


# --------------------------------------------------------------------------- the worked example

def test_generic_worked_example_reads_the_state_never_f_written_out():
    """Issue 17: generic's entries printed f(x_{t-1}, 0, w_h) for h_{t-1} (h_{t-2} = 0
    substituted) and a SymPy dummy xi_3 (D2L's xi_t is the truncation variable); at the
    document's T each step reads h_{t-1} as a symbol."""
    doc = build(get_model("generic"), 3, Dims())
    text = " ".join(f.tex for k in ("definitions", "explicit_deltas", "explicit_grads")
                    for f in doc.context[k])
    assert r"\xi" not in text and "Subs" not in text
    assert r"f{\left(x_{3},h_{2},w_{h} \right)}" in text
    assert r"f{\left(x_{2},f" not in text and r"g{\left(f" not in text
    assert [str(s) for s in doc.context["compact"].order] == ["h_1", "h_2", "h_3"]


def test_lstm_adjoints_are_named_by_their_state():
    """Issue 17: the LSTM's (h, c) deltas were delta_{t,1..4}, delta_{t,3} never defined;
    now delta^h_{t,i} = dL/dh_t[i] and delta^c_{t,i} = dL/dc_t[i], both defined in the text."""
    doc = build(get_model("lstm"), 2, Dims(2, 2, 2))
    lefts = [f.tex.split(" &= ")[0] for f in doc.context["explicit_deltas"]]
    assert lefts[:4] == [r"\delta^{h}_{2,1}", r"\delta^{h}_{2,2}", r"\delta^{c}_{2,1}",
                         r"\delta^{c}_{2,2}"]
    assert r"\delta_{2,3}" not in " ".join(lefts)
    say = doc.context["appendix_say"]
    assert r"$\delta^{h}_{t}$ and $\delta^{c}_{t}$ for the adjoints of $h_t$ and $c_t$" in say
    # delta^c_T = 0 is dL/dc_T with h_T held fixed, and the text must say so (the total
    # derivative through h_T = o_T tanh(c_T) is not 0)
    assert "held fixed" in say
    zero = [f.tex for f in doc.context["explicit_deltas"] if f.tex.endswith("&= 0")]
    assert zero == [r"\delta^{c}_{2,1} &= 0", r"\delta^{c}_{2,2} &= 0"]


def test_attention_worked_example_names_no_internal_quantity():
    """Issue 17: query_{1,1} leaked, and exp printed e^{...} beside the score e_{t,k}."""
    doc = build(get_model("attention"), 2, Dims(2, 2, 2))
    text = " ".join(f.tex for k in ("definitions", "explicit_deltas", "explicit_grads")
                    for f in doc.context[k])
    assert "query" not in text and "e^{" not in text
    assert r"\exp\left(e_{2,1}\right)" in text and "u_{2,1}" in text


def test_attention_worked_deltas_fit_in_a_few_lines():
    """Issue 17: dl_t/dh_{t,1} ran to about 65 lines of monomials; with the loss rule's
    adjoints named (o-bar, c-bar, alpha-bar, e-bar, u-bar) each delta is a few terms."""
    doc = build(get_model("attention"), 2, Dims(2, 2, 2))
    for f in doc.context["explicit_deltas"]:
        assert f.tex.count(r"\\") <= 2, f.tex
    names = {str(s).split("_")[0] for s in doc.context["compact"].adjoints}
    assert names == {"obar", "cbar", "alphabar", "ebar", "ubar"}


def test_softmax_targets_show_yhat_minus_y():
    """Issue 17: elman_softmax's yhat - y was hidden behind y_{t,1} + yhat_{t,2} - 1 (the
    probability target's last entry written as 1 minus the others, unexplained)."""
    doc = build(get_model("elman_softmax"), 2, Dims(2, 2, 2))
    deltas = " ".join(f.tex for f in doc.context["explicit_deltas"])
    assert r"- y_{2,2} + \hat{y}_{2,2}" in deltas and "- 1" not in deltas
    assert "probability vector" in doc.context["appendix_say"]
    assert r"\hat{y}_t - y_t" in doc.context["appendix_say"]


def test_a_mean_loss_keeps_one_t():
    """Issue 17: d2l_linear's rule read (o_{t,1}/2 - y_{t,1}/2), T = 2 baked into 1/T while
    the graph was at T = 3; now the matrix level keeps 1/T and the worked example says what
    1/T is at its own T."""
    doc = build(get_model("d2l_linear"), 3, Dims(2, 2, 2))
    assert r"$1/T = 1/3$" in doc.context["appendix_say"]
    matrix = " ".join(right for g in doc.context["matrix"]["groups"] for _, right, _, _ in
                      g["rows"])
    assert "T}" in matrix and "/ 2" not in matrix
