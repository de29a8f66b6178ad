"""The seed audit and the gallery of mistakes (symbptt/check/audit.py, output/seed-audit.md).

Every gradient formula of the five seeds is a claim in symbptt/examples/seeds/NNN.toml,
written as the seed writes it, with the verdict a reading by hand records (`expect`).
These tests check each one: every correct seed formula is accepted, every wrong one is
rejected with a counterexample (or a shape error), and nothing is silently skipped.
"""
from __future__ import annotations

import re

import pytest

from symbptt.check import claimfile
from symbptt.check.audit import (SIGNIFICANT, agrees, context, edit_parts, entry_tex,
                                 formula_lines, gallery_file, labels, note_parts, number_tex,
                                 point_lines, quote_context, rounded, run, seed_files,
                                 shape_parts, shown_values, sizes, skipped_label,
                                 title_parts, zoo_tex)
from symbptt.documents.render import environment, templates_dir
from symbptt.model.zoo import source

SEEDS = {"000": "000_34d5c3a04c2f29d4.txt", "001": "001_1e08c73fd0114278.txt",
         "002": "002_f9c6515e77627858.txt", "003": "003_6832bb59d1aaefdb.txt",
         "004": "004_62ba402ad1754453.txt"}


def test_one_file_per_seed():
    assert [p.stem for p in seed_files()] == sorted(SEEDS)


@pytest.fixture(scope="module")
def audited():
    return {p.stem: run(p) for p in seed_files()}


@pytest.mark.slow
@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_every_seed_formula_gets_its_recorded_verdict(audited, seed):
    # 000_34d5c3a04c2f29d4.txt, 001_1e08c73fd0114278.txt, 002_f9c6515e77627858.txt,
    # 003_6832bb59d1aaefdb.txt, 004_62ba402ad1754453.txt: every gradient formula
    checked = audited[seed]
    assert checked.file.source == SEEDS[seed]
    assert checked.claims, seed
    for c in checked.claims:
        assert c.input.expect in ("correct", "wrong"), c.input.name
        assert agrees(c), (c.input.name, c.verdict, c.counterexample, c.shape_error)
        assert c.input.source.startswith(SEEDS[seed] + ":"), c.input.name
        assert c.input.quote, c.input.name
        if c.verdict == "wrong":
            assert c.counterexample is not None or c.shape_error, c.input.name
    for s in checked.file.skipped:
        assert s.reason and s.source.startswith(SEEDS[seed]), s


@pytest.fixture(scope="module")
def audit_text(audited):
    ctx = context([audited[k] for k in sorted(audited)])
    return ctx, environment().get_template("seed-audit.md.j2").render(**ctx)


@pytest.mark.slow
def test_audit_document_lists_every_claim(audited, audit_text):
    ctx, text = audit_text
    assert ctx["claims"] == sum(len(a.claims) for a in audited.values())
    assert ctx["as_recorded"] == ctx["recorded"] == ctx["claims"]
    for checked in audited.values():
        for (label, title), c in zip(labels([c.input.name for c in checked.claims]),
                                     checked.claims):
            assert f"\n### {label} {title}\n" in text, c.input.name
        for s in checked.file.skipped:
            assert s.reason.replace("|", "\\|") in text
    assert "⚠" not in text                  # no verdict differs from the record


@pytest.mark.slow
def test_audit_document_numbers_each_formula_once_the_same_in_tables_and_headings(audit_text):
    _, text = audit_text
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        rows = re.findall(r"^\| \[([^\]]+)\]\(#([^)]+)\) \|", section, re.M)
        headings = re.findall(r'^<a id="([^"]+)"></a>\n\n### (\S+) ', section, re.M)
        assert rows and [r[0] for r in rows] == [h[1] for h in headings]
        assert all(label == anchor for label, anchor in rows)
        assert all(anchor == label for anchor, label in headings)
        assert len(set(h[1] for h in headings)) == len(headings)
        assert all(re.fullmatch(r"\d{3}-\d{2}[a-z]?(/\d{2})*(\.\d+)?", h[1]) for h in headings)
    # no running number per table, no NNN.k heading beside the formula's own number
    assert not re.search(r"^\| \d+ \|", text, re.M)
    assert not re.search(r"^### \d{3}\.\d+ ", text, re.M)


@pytest.mark.slow
def test_audit_document_has_no_internal_references(audit_text):
    _, text = audit_text
    assert not re.search(r"\bissues?\b", text, re.I)
    assert not re.search(r"_[0-9a-f]{16}\.txt", text)
    for seed_file in SEEDS.values():
        assert f"Source: {source(seed_file)}." in text
        assert source(seed_file) != seed_file


@pytest.mark.slow
def test_audit_counterexamples_are_one_based_with_six_digits(audit_text):
    _, text = audit_text
    lines = [line for line in text.splitlines() if line.startswith("- counterexample")]
    assert len(lines) >= 10
    for line in lines:
        assert not re.search(r"\[\d", line), line            # no W[0,1], dL/dh[1][0]
        assert "_{0" not in line and ",0}" not in line, line
        for number in re.findall(r"\d+\.\d+", line):
            assert significant_digits(number) <= SIGNIFICANT, (number, line)


@pytest.mark.slow
def test_quoted_seed_math_renders_as_math(audited, audit_text):
    # a seed's display formula, quoted without its $$, showed as raw LaTeX in a viewer
    _, text = audit_text
    bare = sum(1 for a in audited.values() for c in a.claims if quote_context(c.input.quote)["math"])
    assert bare >= 70
    assert text.count("> $$\n> ") == bare
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("> ") and line != "> $$" and "\\" in line:
            inside = lines[k - 1] == "> $$" and lines[k + 1] == "> $$"
            assert inside or "$" in line or "`" in line, line


@pytest.mark.slow
def test_table_shows_each_claim_as_math_under_an_honest_heading(audit_text):
    _, text = audit_text
    assert "formula (as in the seed)" not in text
    assert text.count("| No. | claim, as checked |") == 5
    rows = re.findall(r"^\| \[\d{3}-[^|]*\]\([^)]*\) \| (.*?) \| \d", text, re.M)
    assert len(rows) >= 150
    assert all(r.startswith("$") for r in rows), [r for r in rows if not r.startswith("$")][:3]
    assert not re.search(r"`\\\\frac", text)                     # no LaTeX source in code


@pytest.mark.slow
def test_sizes_are_stated_per_file_from_checks_reports(audited, audit_text):
    _, text = audit_text
    assert "n = 3, d = 2, q = 4 unless" not in text
    sections = dict(re.findall(r'<a id="seed-(\d{3})"></a>\n\n(.*?)(?=<a id="seed-|\Z)', text,
                               re.S))
    for stem, checked in audited.items():
        assert checked.reports
        for r in checked.reports:
            if r.dims:
                assert f"checked at {sizes(r.model, r.dims)['words']}" in sections[stem], stem
    # seed 000 runs at n = 2, d = 3: its counterexamples say so and show 2×2 W_hh
    section = sections["000"]
    assert "$n = 2$ (the state $h_t$), $d = 3$ (the input $x_t$)" in section
    ce = re.search(r"^### 000-02\.3 .*?^- counterexample(.*?)^- ", section, re.S | re.M)[1]
    assert "(sizes $n = 2, d = 3, q = 4$)" in ce
    assert "W_{hh} = \\begin{pmatrix} 1 & -1 \\\\ \\tfrac{1}{5} & -\\tfrac{1}{3} \\end{pmatrix}" in ce


@pytest.mark.slow
def test_rows_show_the_activation_and_headings_match_claims(audited, audit_text):
    _, text = audit_text
    row = next(line for line in text.splitlines() if line.startswith("| [001-18a]"))
    assert "`elman` ($\\varphi$ = identity)" in row          # dh_t/dh_{t-1} = W: linear
    # the note's W_h, W_y are the zoo's W_hh, W_hy in elman_softmax: headings use the zoo's
    for c in audited["000"].claims:
        if "W_hh" in c.formula or "W_hy" in c.formula:
            assert not re.search(r"W_[hxy](?![a-z])", c.input.name), c.input.name
    assert "### 000-02.1 dℓ_t/dW_hh " in text


@pytest.mark.slow
def test_file_paths_only_where_the_text_says_how_to_reproduce(audit_text):
    _, text = audit_text
    paths = [line for line in text.splitlines() if "symbptt/examples/" in line]
    assert len(paths) >= 6 and all("To reproduce" in line for line in paths), paths


@pytest.mark.slow
def test_shape_errors_and_notes_are_math_not_code(audit_text):
    _, text = audit_text
    line = next(ln for ln in text.splitlines() if ln.startswith("- shape error") and "tanh" in ln)
    assert "cannot multiply $\\tanh'\\left(a_{k+1}\\right)$ ($3 \\times 1$) by $W_{hh}$" in line
    assert "tanh_prime" not in line


def test_gallery_document():
    ctx = context([run(gallery_file())])
    text = environment().get_template("mistakes.md.j2").render(**ctx)
    claims = ctx["files"][0]["claims"]
    assert text.count(": the slip put in here") == len(claims)
    assert "does not name" not in text


# ---- as the documents show it ---------------------------------------------------------------

def significant_digits(number: str) -> int:
    mantissa = number.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa)


def test_values_are_rounded_to_six_significant_digits():
    assert rounded("-1.2386178488919523872") == "-1.23862"
    assert rounded("0.00047975444401909922406") == "0.000479754"
    assert rounded("0.70500000000000000000") == "0.705"
    assert rounded("24.560410368911919726") == "24.5604"
    assert rounded("0") == "0" and rounded("-13/4") == "-13/4"
    assert rounded("1.5e-25") == "1.5e-25"
    assert rounded("f(x) - g(x)") == "f(x) - g(x)"
    assert significant_digits(rounded("0.0098814285313998974794")) == 6


def test_values_that_agree_to_six_digits_get_the_digits_that_tell_them_apart():
    assert shown_values("1.2345678", "1.2345699") == ("1.234568", "1.234570")
    assert shown_values("1.2345678", "1.5") == ("1.23457", "1.5")


def test_numbers_as_latex():
    assert number_tex("-2/3") == "-\\tfrac{2}{3}"
    assert number_tex("1.5e-7") == "1.5 \\times 10^{-7}"
    assert number_tex("-1.23862") == "-1.23862"
    assert number_tex("f_1(x) - 2") is None


def test_entries_are_one_based():
    assert entry_tex("dL/dh[1]", "[0]") == \
        "\\left(\\frac{\\partial L}{\\partial h_{1}}\\right)_{1}"
    assert entry_tex("dL/dW", "[0, 2]").endswith("\\right)_{1,3}")
    assert entry_tex("dL/dW_hy", "") == "\\frac{\\partial L}{\\partial W_{hy}}"


def test_a_long_formula_is_broken_after_whole_terms():
    short = formula_lines("dL/dh[t] = dl[t]/dh[t] + W.T @ dL/dh[t+1]")
    assert short == [(r"\frac{\partial L}{\partial h_{t}}",
                      r"\frac{\partial l_{t}}{\partial h_{t}} + W^\top "
                      r"\frac{\partial L}{\partial h_{t+1}}")]
    text = "dL/dh[1] = " + " + ".join(f"(W.T)^{k} @ diag(phi_prime(a[{k}])) @ h[{k}]"
                                      for k in range(1, 7))
    lines = formula_lines(text)
    assert len(lines) > 2 and all(left == "" for left, _ in lines[1:])
    assert all(right.startswith("\\quad + ") for _, right in lines[1:])
    assert formula_lines("dL/dW = sum(t=1..T") is None


def test_prose_parts():
    assert edit_parts("replace `W` by `W.T`") == [
        {"text": "replace ", "math": "", "code": ""}, {"text": "", "math": "W", "code": ""},
        {"text": " by ", "math": "", "code": ""}, {"text": "", "math": "W^\\top", "code": ""}]
    assert [p["math"] for p in note_parts("so $W^\\top$ it is")] == ["", "W^\\top", ""]
    assert [p["math"] for p in title_parts("a_t for a_{t+1}")] == ["a_t", "", "a_{t+1}"]
    assert [p["text"] for p in title_parts("A lost 1/T")] == ["A lost 1/T"]


def test_labels_number_each_formula_and_its_readings():
    names = ["000-02 first reading", "000-02 second reading", "000-03 alone",
             "001-14a a part", "001-14b another part", "004-25b x", "004-25b y",
             "001-06/07 two formulas in one claim"]
    assert [label for label, _ in labels(names)] == [
        "000-02.1", "000-02.2", "000-03", "001-14a", "001-14b", "004-25b.1", "004-25b.2",
        "001-06/07"]
    assert labels(names)[0][1] == "first reading"
    assert [label for label, _ in labels(["A missing transpose", "A lost 1/T"])] == ["1", "2"]
    assert skipped_label("000-15/17/22/24") == "000-15/17/22/24"
    assert skipped_label("N-000-a") == ""


def _loaded():
    return {p.stem: claimfile.load(p) for p in seed_files()}


def test_claim_files_have_no_internal_references():
    files = list(_loaded().values()) + [claimfile.load(gallery_file())]
    for cf in files:
        texts = [cf.title, cf.note] + [t for c in cf.order for t in (c.note, c.quote)] \
            + [t for s in cf.skipped for t in (s.reason, s.quote)]
        for t in texts:
            assert not re.search(r"\bissues?\b", t, re.I), t
            assert not re.search(r"_[0-9a-f]{16}\.txt", t), t
    for name in ("seed-audit.md.j2", "mistakes.md.j2", "mistakes.tex.j2", "index.md.j2"):
        template = (templates_dir() / name).read_text(encoding="utf-8")
        assert not re.search(r"\bissues?\b", template, re.I), name


def _numbers(label: str) -> set:
    """What a note may cite of a label: 001-06/07.2 -> itself, 001-06/07, 001-06, 001-07."""
    whole = re.sub(r"\.\d+$", "", label)
    first, *more = whole.split("/")
    parts = {first} | {first[:4] + m for m in more}
    return {label, whole} | parts | {p[:6] for p in parts}


def test_every_formula_number_a_note_cites_is_in_the_audit():
    files = _loaded()
    known = set()
    for cf in files.values():
        for label, _ in labels([c.name for c in cf.order]):
            known |= _numbers(label)
        for s in cf.skipped:
            known |= _numbers(skipped_label(s.name)) if skipped_label(s.name) else set()
    assert {"000-02.1", "000-02", "001-08/09", "001-14a", "001-14"} <= known
    for cf in files.values():
        for t in [c.note for c in cf.order] + [s.reason for s in cf.skipped]:
            for ref in re.findall(r"\b\d{3}-\d{2}[a-z]?(?:/\d{2})*(?:\.\d+)?\b", t):
                assert ref in known, (ref, t)


def test_quotes_of_bare_latex_become_math():
    assert quote_context(r"\frac{a}{b} = c")["math"] == r"\frac{a}{b} = c"
    aligned = quote_context(r"\frac{\partial L}{\partial w}& = x,\\")["math"]
    assert aligned == r"\begin{aligned}\frac{\partial L}{\partial w}& = x,\end{aligned}"
    assert quote_context("因此 $x_t$")["math"] == ""                 # prose with math: as it is
    assert quote_context("`∂L/∂h_2 = -6.5`")["math"] == ""           # the seed's code: as it is


def test_shape_messages_as_math():
    parts = shape_parts("cannot multiply diag(phi_prime(a[t])) @ dL/dh[t] (3×1) by x[t] (2×1)")
    assert [p["math"] for p in parts if p["math"]] == [
        r"\operatorname{diag}\left(\varphi'\left(a_{t}\right)\right) "
        r"\frac{\partial L}{\partial h_{t}}", r"3 \times 1", "x_{t}", r"2 \times 1"]
    assert "".join(p["text"] for p in parts) == "cannot multiply  () by  ()"
    assert shape_parts("something else (3×1)") == [{"text": "something else (3×1)",
                                                     "math": "", "code": ""}]


def test_points_are_matrices_and_vectors_in_the_models_shapes():
    point = {"W[0,0]": "1/2", "W[1,1]": "-2", "b[0]": "3", "x_1[1]": "1/3", "y_1[0]": "1"}
    out = point_lines(point, "elman", {"n": 2, "d": 2})
    assert out == [[r"W = \begin{pmatrix} \tfrac{1}{2} & \cdot \\ \cdot & -2 \end{pmatrix}",
                    r"b = \begin{pmatrix} 3 & \cdot \end{pmatrix}^\top"],
                   [r"x_{1} = \begin{pmatrix} \cdot & \tfrac{1}{3} \end{pmatrix}^\top",
                    r"y_{1} = \begin{pmatrix} 1 & \cdot \end{pmatrix}^\top"]]
    # q = 4 rows of W_qh even when only row 1 enters (a reader took q = 1 from a list)
    wide = point_lines({"W_qh[0,2]": "1"}, "d2l_linear", {"n": 3, "d": 2, "q": 4})
    assert wide[0][0].count(r"\\") == 3
    assert point_lines({"W_xh": "1/2", "x_1": "-4/5"}, "scalar_linear", {}) == [
        [r"W_{xh} = \tfrac{1}{2}"], [r"x_{1} = -\tfrac{4}{5}"]]


def test_rounded_values_keep_their_significant_zeros():
    assert rounded("-1.7547980000001") == "-1.75480"               # six digits, as promised
    assert rounded("-1.7548") == "-1.7548"                         # exact: as it is


def test_models_and_sizes_in_words():
    assert sizes("elman", {"n": 3, "d": 2})["words"] == \
        "$n = 3$ (the state $h_t$, the target $y_t$), $d = 2$ (the input $x_t$)"
    assert sizes("scalar_linear", {}) == {"tex": "", "words": ""}
    assert zoo_tex("L = sum_t 1/2 ||h_t - y_t||^2") == \
        r"L = \sum_{t} \tfrac{1}{2} \lVert h_t - y_t\rVert^2"


def test_the_seed_002_heading_cites_d2l_as_its_line_does():
    title = claimfile.load(seed_files()[2]).title
    assert "D2L §9.7 (§8.7 in the Chinese edition)" in title
    assert "§9.7" in source(SEEDS["002"])


def test_no_untranslated_chinese_in_titles_notes_or_reasons():
    """The seeds quote Chinese; our own words translate every phrase they cite (the
    Chinese kept beside it, in parentheses or after the translation)."""
    cjk = re.compile(r"[\u4e00-\u9fff]+")
    for cf in _loaded().values():
        texts = [cf.title, cf.note] + [t for c in cf.order for t in (c.name, c.note)] + \
            [s.reason for s in cf.skipped]
        for t in texts:
            if cjk.search(t):
                assert "“" in t or "(the " in t, t
                assert not re.search(r"(?<![A-Za-z])'[^']*[\u4e00-\u9fff][^']*'", t), t  # bare


def test_the_broadcast_note_says_what_numpy_does():
    cf = claimfile.load(seed_files()[4])
    note = next(c.note for c in cf.order if c.name.startswith("004-28 ") and c.expect == "wrong")
    assert "would not broadcast" not in note
    assert "[:, None]" in note and "not defined for n ≥ 2" in note
