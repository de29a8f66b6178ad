"""symbptt.documents.document: each formula a document shows is the proven expression it claims to show.

The explicit entries at T = 2 are printed from a "compact" unroll (every intermediate of step t
a symbol defined by the step before, delta_{t+1} a symbol in delta_t). Substituted back
(delta_T first, then the definitions) they must be, exactly, the recursive deltas and the
direct gradient of the plain unroll; and a formula changed in any way must fail that test.
Comparisons run in SymEngine: se.expand(a - b) == 0, or the slope/softmax normal form of
symbptt.symbolic.zero where tanh and softmax identities are needed (never sampling).
"""
from __future__ import annotations

import re

import pytest
import symengine as se
import sympy as sp

from symbptt.documents.document import (
    Compact,
    build,
    compact_unroll,
    expand_definitions,
    explicit_deltas,
    step_rules,
)
from symbptt.documents.notation import broken, latex, symbol_latex
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
    defs = doc.context["definitions"]
    assert len(defs) == len(c.order)
    for sym, f in zip(c.order, defs):       # each line is "symbol = its definition"
        assert f.tex.startswith(f"{symbol_latex(str(sym))} &= "), (sym, f.tex[:60])
        assert f.tex == broken(symbol_latex(str(sym)), f.expr)
    sc = se_compact(c, {s: f.expr for s, f in zip(c.order, defs)})
    _, syms = explicit_deltas(c)
    flat = [s for per_t in syms for s in per_t]
    formulas = doc.context["explicit_deltas"]
    assert len(formulas) == len(flat)
    for sym, f in zip(flat, formulas):
        assert f.tex.startswith(f"{symbol_latex(str(sym))} &= "), (sym, f.tex[:60])
    m = len(syms[0])
    deltas = [[to_se(f.expr) for f in formulas[k * m:(k + 1) * m]]
              for k in range(len(syms))]
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


# --------------------------------------------------------------------------- step t's rules

def _at(tex: str, t: int) -> str:
    """A formula printed for step t, read at a given t ("t+1" -> t + 1, ...)."""
    names = {"t+1": t + 1, "t-1": t - 1, "t": t}
    return re.sub(r"_\{(t\+1|t-1|t)([,}])", lambda m: f"_{{{names[m.group(1)]}{m.group(2)}",
                  tex)


_NAME = re.compile(r"((?:\\[a-z]+\{[a-z]\})|\\?[A-Za-z]+|\([^()]*\))_\{([^{}]+)\}")


def _names(tex: str) -> set:
    """The subscripted names a formula prints: h_{2,1}, \\tilde{h}_{2,1}, (W_{h})_{11}, ..."""
    return {m.group(0) for m in _NAME.finditer(tex)}


def test_recursion_rule_at_t_1_is_the_step_2_vjp_in_delta_1(case):
    """(J_{t+1}^T delta_{t+1}) read at t = 1 is what delta_1 adds to dl_1/dh_1 at T = 2:
    the VJP of step 2 applied to delta_2, in step 2's own intermediates (its slopes
    1 - h_{t+1}^2, gates z_{t+1}, ...) and the state h_t it reads."""
    cell, doc = case["cell"], case["doc"]
    c = doc.context["compact"]
    _, syms = explicit_deltas(c)
    back, _, _ = cell.vjp(SYMPY, c.u.params, c.u.steps[1], syms[1])
    assert len(doc.context["recursion"]) == len(back)
    for i, (f, e) in enumerate(zip(doc.context["recursion"], back)):
        lhs = rf"(J_{{t+1}}^\top \delta_{{t+1}})_{{{i + 1}}}"
        assert f.tex.startswith(lhs + " &= ")
        assert f.expr == e                      # the expression: the rule of step 2 ...
        body = f.tex[len(lhs + " &= "):]
        assert _names(_at(body, 1)) == _names(latex(e)), i   # ... printed as step t + 1
        assert "t-1" not in body


def test_local_and_accumulation_rules_are_printed_as_step_t(case):
    """dl_t/dh_t and what step t adds to dL/dtheta: step t's names, never t + 1."""
    doc = case["doc"]
    for f in doc.context["local"] + doc.context["accumulation"]:
        assert "t+1" not in f.tex, f.tex
    rules = step_rules(case["spec"], case["cell"], case["dims"])
    assert [f.expr for f in doc.context["local"]] == list(rules["loss"][0])
    for f in doc.context["accumulation"]:
        body = f.tex.split(r" &\mathrel{+}= ", 1)[1]
        assert _names(_at(body, 2)) == _names(latex(f.expr)), f.tex


def test_jacobian_rule_is_the_derivative_of_the_step(case):
    """(J_t)_{ij} = d s_t[i] / d s_{t-1}[j]: step 2's intermediates written out in the state
    h_1 (c_1) it reads, then differentiated by SymEngine."""
    spec, cell, dims = case["spec"], case["cell"], case["dims"]
    rules = step_rules(spec, cell, dims)
    c = compact_unroll(spec, cell, T, dims)
    st, s_prev = rules["step"], c.u.steps[0].s
    assert st.s == c.u.steps[1].s
    step2 = [s for s in c.order if re.match(r"^[A-Za-z]+(_[A-Za-z]+)*_2(\[|$)", s.name)]
    assert step2 and all(s not in step2 for s in s_prev)

    def written_out(e):
        e = sp.sympify(e)
        for s in reversed(step2):
            e = e.xreplace({s: c.definitions[s]})
        return to_se(e)

    J = rules["jacobian"]
    assert len(J) == len(st.s) and all(len(row) == len(s_prev) for row in J)
    shown = [f.expr for f in build_doc_jacobian(case)]
    assert shown == [e for row in J for e in row]
    for i, s_i in enumerate(st.s):
        out = written_out(s_i)
        for j, s_j in enumerate(s_prev):
            assert equal(case, written_out(J[i][j]), se.diff(out, to_symengine(s_j))), (i, j)
    # and a wrong entry is caught: the transpose differs for every model with n > 1
    if len(s_prev) > 1:
        out = written_out(st.s[0])
        assert not equal(case, written_out(J[1][0]), se.diff(out, to_symengine(s_prev[1])))


def build_doc_jacobian(case):
    return case["doc"].context["jacobian"]


def test_scalar_rules_are_printed_as_step_t():
    spec = get_model("scalar_linear")
    doc = build(spec, T, Dims())
    local = doc.context["local"][0].tex
    assert local.startswith(r"\frac{\partial \ell_t}{\partial h_{t}} &= "), local
    for f in doc.context["local"] + doc.context["accumulation"]:
        assert not re.search(r"_\{[12]\}", f.tex), f.tex
