"""symbptt's Python API (symbptt/api.py): the CLI's verbs, the CLI's dataclasses."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import symbptt
from symbptt.analyze.settings import Analysis
from symbptt.check.outcome import CheckReport
from symbptt.crosscheck import Report
from symbptt.model.spec import Dims, ModelSpec
from symbptt.symbolic.certificate import Certificate
from symbptt.symbolic.evaluate import GradReport
from symbptt.symbolic.proof import Proof
from symbptt.errors import SymbpttError

MODELS = Path(symbptt.__file__).resolve().parent / "examples" / "models"
INDRNN = str(MODELS / "indrnn.toml")
CLAIM = "dL/dw = sum(t=1..T, (1 - h[t]*h[t]) * delta[t] * h[t-1])"
WHERE = ["delta[t] = dl[t]/dh[t] + w * (1 - h[t+1]*h[t+1]) * delta[t+1]", "delta[T+1] = 0"]


def test_load_model_zoo_file_and_spec():
    spec = symbptt.load_model("elman")
    assert isinstance(spec, ModelSpec) and spec.name == "elman" and spec.program is None
    mine = symbptt.load_model(INDRNN)
    assert mine.name == "indrnn" and mine.program is not None and mine.source == INDRNN
    assert symbptt.load_model(mine) is mine
    with pytest.raises(symbptt.SymbpttError, match="unknown model 'nosuch'"):
        symbptt.load_model("nosuch")
    with pytest.raises(symbptt.SymbpttError, match="a model is a zoo name"):
        symbptt.load_model(3)


def test_load_model_warns_of_an_unused_parameter(tmp_path):
    f = tmp_path / "m.toml"
    f.write_text(Path(INDRNN).read_text().replace('b = "n"', 'b = "n"\nextra = "n"'))
    with pytest.warns(UserWarning, match="parameter extra is declared but never used"):
        symbptt.load_model(str(f))


def test_prove_gives_both_certificates_by_default_as_the_cli():
    p = symbptt.prove("elman", T=2)
    assert isinstance(p, Proof) and p.kind == "both" and p.model == "elman" and p.proven
    assert isinstance(p.unrolled, Certificate) and p.unrolled.kind == "unrolled"
    assert p.unrolled.T == 2 and p.unrolled.proven
    assert isinstance(p.inductive, Certificate) and p.inductive.kind == "inductive"
    assert p.certificates == (p.unrolled, p.inductive)          # the CLI's order
    u, i = p                                                    # unpacks as the old tuple
    assert (u, i) == p.certificates and list(p) == list(p.certificates)
    assert str(p) == ("elman: unrolled certificate at T = 2: PROVEN (14 entries)\n"
                      "elman: inductive certificate for every T: PROVEN (46 identities)")
    with pytest.raises(AttributeError):
        p.unrolled = None                                       # frozen: plain data


def test_prove_one_kind_gives_a_proof_with_the_other_none():
    p = symbptt.prove("elman", T=2, kind="unrolled")
    assert isinstance(p, Proof) and p.kind == "unrolled" and p.inductive is None
    assert p.certificates == (p.unrolled,) and p.proven
    [u] = p
    assert u is p.unrolled and "\n" not in str(p)
    i = symbptt.prove(INDRNN, kind="inductive", dims={"n": 3})  # no T: every T
    assert i.kind == "inductive" and i.unrolled is None and i.proven
    assert i.certificates == (i.inductive,) and i.inductive.dims["n"] == 3
    u, i = symbptt.prove(INDRNN, T=3, kind="both", dims=Dims(3, 2, 2))
    assert u.proven and i.proven and u.T == 3


def test_a_proof_with_a_wrong_rule_is_not_proven():
    """The API takes no mutation (the CLI's --mutate): a Proof of a mutated cell's
    certificate, built as prove builds it, says not proven, and its text says which."""
    from symbptt.model.registry import get_model
    from symbptt.symbolic.certificate import prove
    from symbptt.symbolic.mutations import mutated_cell
    good = symbptt.prove("elman", T=2, dims={"n": 3})
    wrong = prove(get_model("elman"), 2, Dims(3, 2), cell=mutated_cell("elman",
                                                                        "missing-transpose"))
    p = Proof(wrong, good.inductive)
    assert not p.proven and p.inductive.proven
    assert "unrolled certificate at T = 2: NOT PROVEN (" in str(p)
    assert "entries not proven)" in str(p) and "inductive certificate for every T: PROVEN" \
        in str(p)
    with pytest.raises(ValueError, match="at least one certificate"):
        Proof()
    with pytest.raises(ValueError, match="the unrolled certificate is a inductive one"):
        Proof(good.inductive)


def test_prove_errors():
    with pytest.raises(symbptt.SymbpttError, match=r"T is needed for the unrolled certificate "
                       r"\(kind 'both', the default, includes it\); kind='inductive' needs no T"):
        symbptt.prove("elman")
    with pytest.raises(symbptt.SymbpttError, match=r"T is needed for the unrolled "
                       r"certificate; kind='inductive' needs no T"):
        symbptt.prove("elman", kind="unrolled")
    with pytest.raises(symbptt.SymbpttError, match="kind is unrolled, inductive or both"):
        symbptt.prove("elman", T=2, kind="all")
    with pytest.raises(symbptt.SymbpttError, match="scalar_linear has no hidden size"):
        symbptt.prove("scalar_linear", T=2, dims={"n": 3})
    with pytest.raises(symbptt.SymbpttError, match="unknown size 'm'"):
        symbptt.prove("elman", T=2, dims={"m": 3})


def test_the_api_docstring_session_runs():
    import doctest

    import symbptt.api
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder(recurse=False).find(symbptt.api):
        runner.run(test)
    assert runner.failures == 0 and runner.tries >= 3


def test_grad_from_a_dict_and_a_file():
    values = {"params": {"W_xh": "1/2", "W_hh": "1/3", "W_hy": 2},
              "inputs": [1, 2], "targets": [0, 1]}
    r = symbptt.grad("scalar_linear", 2, values)
    assert isinstance(r, GradReport) and r.agree
    seed004 = Path(symbptt.__file__).resolve().parent / "examples" / "seed004.json"
    assert symbptt.grad("scalar_linear", 2, str(seed004)).agree
    with pytest.raises(symbptt.SymbpttError, match="params lacks W_hy"):
        symbptt.grad("scalar_linear", 2, {"params": {"W_xh": 1, "W_hh": 1}, "inputs": [1, 2],
                                          "targets": [0, 1]})


def test_crosscheck_render_check_analyze():
    r = symbptt.crosscheck(INDRNN, T=3, batch=2, seed=4)
    assert isinstance(r, Report) and r.agree and r.seed == 4
    md = symbptt.render("elman", T=2)
    assert isinstance(md, str) and md.startswith("# BPTT for `elman`")
    assert "\\begin{document}" in symbptt.render(INDRNN, T=2, format="tex")
    with pytest.raises(symbptt.SymbpttError, match="unknown format 'doc'"):
        symbptt.render("elman", T=2, format="doc")
    [rep] = symbptt.check(INDRNN, CLAIM, where=WHERE)
    assert isinstance(rep, CheckReport) and rep.correct
    [rep] = symbptt.check(INDRNN, CLAIM, where=[WHERE[0].replace("w * ", ""), WHERE[1]])
    assert not rep.correct and rep.claims[0].verdict == "wrong"
    a = symbptt.analyze("elman", T=6, parts=("clip",), dims={"n": 3})
    assert isinstance(a, Analysis) and a.parts["clip"]["entries"] == 9 + 9 + 3     # d = 3: analyze's default


def test_check_a_claim_file():
    example = Path(symbptt.__file__).resolve().parent / "examples" / "elman_check.toml"
    reports = symbptt.check(str(example))
    assert reports and all(isinstance(r, CheckReport) for r in reports)


def test_no_warning_for_a_clean_model():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        symbptt.load_model(INDRNN)


def test_the_verbs_survive_importing_their_modules():
    import importlib

    from symbptt.check.outcome import CheckReport as Imported
    assert Imported is CheckReport
    importlib.import_module("symbptt.documents.render")
    importlib.import_module("symbptt.analyze")
    importlib.import_module("symbptt.crosscheck")
    for verb in ("check", "render", "analyze", "crosscheck", "prove", "grad", "load_model"):
        assert callable(getattr(symbptt, verb)), verb
        assert getattr(symbptt, verb).__module__ == "symbptt.api", verb


def test_the_readme_session_runs(monkeypatch):
    """README's Python API session, as a doctest, from the checkout's root."""
    import doctest
    root = Path(symbptt.__file__).resolve().parent.parent
    text = (root / "README.md").read_text(encoding="utf-8")
    block = text[text.index("## Python API"):]
    code = block[block.index("```python") + len("```python"):]
    code = code[:code.index("```")]
    monkeypatch.chdir(root)
    test = doctest.DocTestParser().get_doctest(code, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 10


def test_a_claim_file_about_a_model_file():
    """symbptt/examples/indrnn_check.toml names models/indrnn.toml, found beside it."""
    example = Path(symbptt.__file__).resolve().parent / "examples" / "indrnn_check.toml"
    [report] = symbptt.check(str(example))
    assert report.model == "indrnn"
    assert [c.verdict for c in report.claims] == ["correct", "correct", "wrong"]
    assert report.claims[2].fixes and "h[t-1]" in report.claims[2].fixes[0].edit


# ---- the Python API with odd arguments must raise SymbpttError.

CASES = {
    "prove T=0": lambda: symbptt.prove("elman", T=0),
    "prove T='3'": lambda: symbptt.prove("elman", T="3"),
    "prove dims n=0": lambda: symbptt.prove("elman", T=2, dims={"n": 0}),
    "prove budget='1'": lambda: symbptt.prove("elman", T=2, budget="1"),
    "crosscheck batch=0": lambda: symbptt.crosscheck("elman", T=2, batch=0),
    "crosscheck T=0": lambda: symbptt.crosscheck("elman", T=0),
    "crosscheck dtype='float16'": lambda: symbptt.crosscheck("elman", T=2, dtype="float16"),
    "crosscheck seed=-1": lambda: symbptt.crosscheck("elman", T=2, seed=-1),
    "render T='2'": lambda: symbptt.render("elman", T="2"),
    "check claims=3": lambda: symbptt.check("elman", 3),
    "analyze foo=1": lambda: symbptt.analyze("elman", foo=1),
    "analyze T='5'": lambda: symbptt.analyze("elman", T="5", parts=("jacobians",)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_argument_raises_symbptt_error(name):
    try:
        CASES[name]()
    except SymbpttError:
        return
    except Exception as err:                          # noqa: BLE001
        pytest.fail(f"{name}: raised {type(err).__name__}: {err}, not SymbpttError")
    pytest.fail(f"{name}: accepted")


def test_crosscheck_past_its_budget_raises_and_force_is_the_way_past():
    """Issue 18: the engine's runs have a budget in the API as in the CLI."""
    from symbptt.errors import TooExpensive
    with pytest.raises(TooExpensive, match="batch 4096"):
        symbptt.crosscheck("elman", T=10000, batch=4096)
    with pytest.raises(TooExpensive, match="of memory"):
        symbptt.crosscheck("elman", T=8, batch=4096, dims={"n": 16}, budget=1e6, memory=0.125)
    assert symbptt.crosscheck("elman", T=3, budget=1e-3, force=True).agree
    with pytest.raises(SymbpttError):
        symbptt.crosscheck("elman", T=3, memory=-1)
