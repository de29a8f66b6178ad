"""The bench's plumbing (not its figures: those are measured by `symbptt bench`)."""
from __future__ import annotations

from symbptt.bench.proofs import BenchResult, Run, bench_json, bench_text, targets, timed


def test_a_run_reports_its_time_and_its_verdict():
    run = timed("ours", 2, limit=120)
    assert run.seconds is not None and run.proven and run.entries == 18 + 4
    for kind in ("plain", "symengine"):
        plain = timed(kind, 2, limit=120)
        assert plain.proven and plain.entries == 18


def test_a_run_past_the_limit_is_stopped():
    run = timed("plain", 8, limit=0.5)
    assert run.seconds is None


def test_the_report_names_the_targets_and_marks_the_stops():
    r = BenchResult(60.0, (Run(4, 0.05, 26, True), Run(5, 0.2, 28, True), Run(6, 0.7, 30, True),
                           Run(7, None)),
                    (Run(4, 7.0, 18, True), Run(5, None)), (Run(4, 0.05, 18, True),),
                    {"cpus": 2})
    text = bench_text(r)
    assert "> 60" in text and "140x" in text
    met = {t: m for t, m, _ in targets(r)}
    assert met["T = 5 proven in under 10 s"] and met["T = 6 proven in under 60 s"]
    assert all(m is not False for m in met.values())
    data = bench_json(r)
    assert data["ours"][-1] == {"T": 7, "seconds": None, "entries": 0, "proven": None}
    assert data["targets"][-1]["measured"] == "14.0"


def test_forward_mode_keeps_less_memory_than_full_bptt_at_T1000():
    # the O(T n) vs O(n P) trade-off, measured with tracemalloc (a size, not a time)
    from symbptt.bench.numeric import memory
    m = memory()
    assert m["T"] == 1000 and m["forward_mode_bytes"] < m["full_bytes"]


def test_the_fitted_exponent_of_a_power_law():
    from symbptt.bench.numeric import _fit_exponent
    assert abs(_fit_exponent([10, 100, 1000], [3e-4, 3e-2, 3.0]) - 2.0) < 1e-9


def test_check_bench_times_one_claim_and_the_audit(monkeypatch):
    """The check part: both elman claims at K = 4 with their verdicts; the seed audit and
    the gallery are timed file by file (here with one small file standing for each)."""
    from symbptt.check import audit
    from symbptt.bench import check as bench
    from symbptt.bench.check import check_bench, check_text
    small = audit.examples_dir() / "elman_check.toml"
    monkeypatch.setattr(audit, "seed_files", lambda: [small])
    monkeypatch.setattr(audit, "gallery_file", lambda: small)
    mgu = str(audit.examples_dir() / "models" / "mgu.toml")
    monkeypatch.setattr(bench, "_model_list", lambda: ["elman", mgu])
    r = check_bench(limit=20.0, T_max=2)
    # the cost model beside the measured time: each run (in a child) timed, 2 T's a model
    assert [(row["model"], row["T"]) for row in r["cost"]] == \
        [("elman", 1), ("elman", 2), ("mgu.toml", 1), ("mgu.toml", 2)]
    assert all(row["run"] and row["proven"] and row["measured"] > 0 for row in r["cost"])
    # a textbook claim of each model at the default K = 4
    assert [(a["model"], a["verdict"], a["K"]) for a in r["at_K"]] == \
        [("elman", "correct", 4), ("mgu.toml", "correct", 4)]
    assert r["claims"]["correct"]["verdict"] == "correct"
    wrong = r["claims"]["missing transpose (with diagnosis)"]
    assert wrong["verdict"] == "wrong" and wrong["fixes"] == ["replace `W` by `W.T`"]
    assert r["seed_audit"]["elman_check.toml"]["claims"] == 4
    text = check_text(r)
    assert "target: one claim under 5 s" in text and "seed audit, all files" in text
    assert "runs within 3x of the estimate" in text and "mgu.toml" in text


def test_custom_bench_measures_the_indrnn_model_file():
    """Issue 8's speed target: the IndRNN model file, n = 3, d = 2: the unrolled proof at
    T = 4 and the inductive proof (each under 10 s, measured here, asserted loosely)."""
    from symbptt.bench.custom import custom_bench, custom_text
    r = custom_bench()
    assert r["unrolled"][4]["proven"] and r["inductive"]["proven"] and r["crosscheck_agree"]
    assert set(r["examples"]) >= {"indrnn", "mgu", "elman2", "readout_mean", "softmax_rnn"}
    assert all(x["proven"] for x in r["examples"].values())
    assert r["target_met"]
    text = custom_text(r)
    assert text.startswith("custom cell: indrnn") and "met)" in text


def test_every_models_textbook_claim_is_correct_at_the_default_K():
    """bench --part check times one textbook claim of every model at K = 4: each must be
    right (a wrong one, or one the checker refuses, would time the wrong thing)."""
    from symbptt.bench.check import CLAIMS_AT_K, _model_list, claims_at_K
    rows = claims_at_K()
    assert {r["model"] for r in rows} == set(CLAIMS_AT_K) and len(rows) == len(_model_list())
    for r in rows:
        assert (r["verdict"], r["K"]) == ("correct", 4), r
    assert {r["model"] for r in rows if r["scope"] == "every T"} >= set(CLAIMS_AT_K) - {"attention"}


def test_derive_bench_times_the_generated_code_beside_the_engine():
    """bench --part derive (issue 16): each model derived, proven, its generated bptt
    timed against the engine (here at a small size) and agreeing with it."""
    from symbptt.bench.derive import DERIVE_MODELS, derive_bench, derive_text
    r = derive_bench(size=(2, 3, 2, 5), repeat=1)
    assert [row["model"] for row in r["rows"]] == list(DERIVE_MODELS)
    assert all(row["proven"] and row["rel_err"] <= 1e-12 for row in r["rows"])
    text = derive_text(r)
    assert text.startswith("derive: the generated NumPy BPTT") and "target" in text
