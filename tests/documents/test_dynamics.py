"""The gradient-dynamics document (output/dynamics.md, .tex, .pdf), made by
symbptt/documents/dynamics.py from three `symbptt analyze` runs.

Every gradient formula the document displays goes through `symbptt.api.check` here, from
the context's data (not from its rendered LaTeX): the document cannot state a formula that
check rejects, such as seed note 001's single Jacobian product for the whole loss. The
runs take ~3 s and are made once per module; the figures (~5 s) only for the PDF test.
"""
from __future__ import annotations

import re

import pytest

import symbptt
from symbptt.documents import dynamics
from symbptt.documents.render import compile_pdf, environment, have_tex, overfull, tex_text
from symbptt.model.zoo import SEED, source

SLOW = {"attention"}          # its claim has no induction window: check searches for 20 s
CHECKED = [pytest.param(f.name, marks=[pytest.mark.slow] if f.name in SLOW else [])
           for f in dynamics.formulas((1,)) if f.claims]


@pytest.fixture(scope="module")
def results():
    return dynamics.run_all()


@pytest.fixture(scope="module")
def ctx(results):
    return dynamics.context(results)


@pytest.fixture(scope="module")
def rendered(ctx):
    env = environment()
    return {fmt: env.get_template(f"dynamics.{fmt}.j2").render(**ctx) for fmt in ("md", "tex")}


# --------------------------------------------------------------------------- formulas

@pytest.mark.parametrize("name", CHECKED)
def test_every_gradient_formula_the_document_states_is_correct_by_check(ctx, name):
    f = ctx["formulas"][name]
    [report] = symbptt.check(f["model"], f["claims"], dims=f["dims"])
    assert [c.verdict for c in report.claims] == ["correct"] * len(f["claims"]), name
    assert {c.scope for c in report.claims} == {f["scope"]}, name      # as the document says


def test_the_checked_formulas_are_the_ones_the_document_lists_with_their_commands(ctx, rendered):
    checked = [f for f in ctx["formulas"].values() if f["claims"]]
    assert [f["name"] for f in ctx["checked"]] == [f["name"] for f in checked]
    assert len(ctx["formulas"]["bias"]["claims"]) == len(ctx["truncation"]["windows"])
    for f in checked:
        assert f["model"] and f["scope"] in (dynamics.EVERY_T, dynamics.UP_TO_K)
        assert f["command"].startswith(f"symbptt check {f['model']} --claim ")
        assert f"`{f['command']}`" in rendered["md"]
        assert f["command_tex"] in rendered["tex"]
        assert f["command_tex"].replace("\\textquotesingle{}", "'") == tex_text(f["command"])
    for f in ctx["formulas"].values():
        assert f["claims"] or f["how"], f["name"]       # a bound or definition says how


def test_every_displayed_formula_is_a_listed_formula(ctx, rendered):
    """A formula displayed by hand in a template, outside the checked list, fails here."""
    listed = {f["latex"] for f in ctx["formulas"].values()}
    md = re.findall(r"\$\$(.+?)\$\$", rendered["md"], re.S)
    tex = [x.strip() for x in re.findall(r"\\\[(.+?)\\\]", rendered["tex"], re.S)]
    assert md and set(md) <= listed and set(tex) == set(md)


def test_the_single_jacobian_product_is_stated_for_one_loss_only(ctx, rendered):
    """Seed note 001's delta_k = (prod J)^T delta_T is wrong for L = sum_s l_s: check
    rejects it; the document states it for l_T alone and delta_k as a sum over s."""
    wrong = "dL/dh[k] = prod(j=k+1..T, diag(phi_prime(a[j])) @ W).T @ dL/dh[T]"
    [report] = symbptt.check("elman", [wrong])
    assert report.claims[0].verdict == "wrong"
    one, full = ctx["formulas"]["one_loss"], ctx["formulas"]["all_losses"]
    assert one["claims"][0].startswith("dl[T]/dh[k] = ") and "dl[T]/dh[T]" in one["claims"][0]
    assert one["latex"].startswith("\\frac{\\partial l_T}{\\partial h_k}")
    assert full["claims"][0].startswith("dL/dh[k] = sum(i=k..T, ")
    assert "\\delta_T" not in rendered["md"] and "\\delta_T" not in rendered["tex"]


def test_truncation_is_described_as_computed_and_set_apart_from_split_point_detach(ctx,
                                                                                   rendered):
    """The analysis holds h_{s-k} for each l_s (a sliding window, seed note 001); detach()
    at fixed split points (D2L's training code) is another scheme and is said to be."""
    assert all(f"| h[s-{k}])" in c for k, c in zip(ctx["truncation"]["windows"],
                                                   ctx["formulas"]["bias"]["claims"]))
    assert "\\right|_{h_{s-\\tau}}" in ctx["formulas"]["truncated"]["latex"]
    for text in rendered.values():
        assert "makes it" not in text
        assert "fixed split points" in text and "sliding window" in text
        assert "is not measured here" in text


# --------------------------------------------------------------------------- presentation

def test_sources_are_cited_by_title_never_by_file_name(ctx, rendered):
    names = set(SEED.values())
    for n, text in ctx["sources"].items():
        assert text == source(SEED[n]) and text not in names
    for fmt, text in rendered.items():
        assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt", text), fmt
        assert not re.search(r"\bissues?\s*#?\d", text, re.I), fmt
        for cited in ctx["sources"].values():
            assert (cited if fmt == "md" else tex_text(cited)) in text, (fmt, cited)


def test_numbers_have_at_most_six_significant_digits_and_indices_start_at_1(ctx, rendered):
    for fmt, text in rendered.items():
        assert not re.search(r"\d\.?\d*e[+-]\d", text), fmt               # no float repr
        for m in re.findall(r"(?<![\w.])\d+\.\d+", text):
            assert len(m.replace(".", "").lstrip("0")) <= 6, (fmt, m)
        assert "_{0}" not in text and "_{-" not in text, fmt
    for j in ctx["jacobians"] + [ctx["residual"]]:
        assert j["to_step"] == 1 and j["from_step"] - j["to_step"] == j["last_lag"]
    assert ctx["attention"]["k"] == 1 and ctx["attention"]["t"] == ctx["settings"]["attention"].T


def test_num_prints_a_number_as_latex():
    assert dynamics.num(33951.2) == "3.395 \\times 10^{4}"
    assert dynamics.num(1.161e-10) == "1.161 \\times 10^{-10}"
    assert dynamics.num(0.99996) == "1.000" and dynamics.num(0.8999616) == "0.9000"
    assert dynamics.num(0.9000000000000002) == "0.9" and dynamics.num(8998.3) == "8998"
    assert dynamics.num(1.0) == "1" and dynamics.num(-0.82519973) == "-0.8252"
    assert dynamics.num(114.372548735, 6) == "114.373" and dynamics.num(32.20128) == "32.20"


@pytest.mark.skipif(not have_tex(), reason="needs TeX Live and latexmk")
def test_the_pdf_compiles_with_no_overfull_box(results, rendered):
    figures = {k: v for k, v in dynamics.figures(results, formats=("pdf",)).items()}
    pdf, log = compile_pdf(rendered["tex"], "dynamics", figures)
    assert pdf.startswith(b"%PDF")
    assert not [line for line in log.splitlines() if line.startswith("!")]
    assert overfull(log) == []


def sections(text: str, fmt: str) -> list[str]:
    """The document cut at its section headings: [preamble, section 1, ..., section 8]."""
    return re.split(r"\\section\{" if fmt == "tex" else r"(?m)^## \d", text)


def test_each_symbol_keeps_one_meaning(rendered):
    """a is the pre-activation only, c the slope bound only, tau the truncation window only:
    the scalar weight is w, dh_t/dw_h is q_t (coefficients beta_t, gamma_t), the clip
    threshold kappa, attention's context r_t, the lag of section 7 T - k; ||W||_2 is sigma,
    as s is a loss index."""
    for fmt, text in rendered.items():
        parts = sections(text, fmt)
        assert len(parts) == 9, fmt
        _, jac, expl, trunc, rand, clip, cost, att, _ = parts
        for banned in ("\\partial a", "a^{", "a_{t-1}", "c_t", "b_t", "c s", "(cs)", "s = \\|W"):
            assert banned not in text, (fmt, banned)
        assert "c \\sigma" in jac and "\\sigma = \\|W\\|_2" in jac
        assert "\\tau" not in jac + expl + rand + clip + cost + att, fmt
        assert "\\partial w" in trunc and "g_\\tau" in trunc and "\\mathrm{bias}_\\tau" in trunc
        assert "q_t" in rand and "\\beta_t" in rand and "\\gamma_t" in rand
        assert "\\kappa" in clip and "$c$" not in clip.replace("(it writes $c$)", "")
        assert "r_t = \\sum" in att and "U x_t" in att and "o_t = W_o h_t + V_o r_t" in att
        assert att.index("U x_t") < att.index("U^\\top"), fmt       # stated before it is used
        assert "\\phi'" not in expl, fmt            # the residual paragraph says tanh' only


def test_the_randomized_text_explains_a_bar_that_misses(ctx, rendered):
    """A +- 2 s.e. bar from the sample variance can miss dL/dw (a heavy-tailed estimator):
    the text names each such bar and says why."""
    rz = ctx["randomized"]
    for text in rendered.values():
        assert "heavy-tailed" in text
        if rz["missed"]:
            assert rz["missed"] in text and "grey bars" in text
    assert dynamics.missed_text([]) == ""
    bars = [{"pi": 0.2, "lo": 99.08, "hi": 113.04, "covers": False},
            {"pi": 0.5, "lo": 112.0, "hi": 116.0, "covers": True}]
    assert dynamics.missed_text(bars) == "the bar $[99.08, 113.0]$ at $\\pi = 0.2$ misses"
    assert dynamics.missed_text([bars[0], dict(bars[0], pi=0.3)]).startswith("the bars ")


def test_error_bars_from_the_sample_and_the_exact_variance():
    rz = {"pi": [0.2, 1.0], "mc_mean": [106.0, 114.0], "mc_variance": [2500.0, 0.0],
          "exact_variance": [40000.0, 0.0], "mc_draws": [100, 100], "full": 114.0}
    [bar] = dynamics.error_bars(rz)                   # pi = 1 has no variance: no bar
    assert (bar["lo"], bar["hi"], bar["exact_half"]) == (96.0, 116.0, 40.0)
    assert bar["covers"] and bar["exact_covers"]
    [bar] = dynamics.error_bars(dict(rz, mc_variance=[100.0, 0.0]))
    assert not bar["covers"] and bar["exact_covers"]


def test_plain_wording_and_table_digits(ctx, rendered):
    r = ctx["randomized"]
    for text in rendered.values():
        assert "same gradient: yes" not in text
        assert f"{r['exact_mean']}$ = \\partial L" not in text
        assert f"{r['exact_mean']} = \\partial L" not in text
    for row in ctx["truncation"]["rows"]:
        for cell in (row["bias_05"], row["bias_09"]):
            assert len(cell.replace(".", "").lstrip("0")) == 4, cell      # 32.20, not 32.2
