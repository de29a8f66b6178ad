"""The command line contract: exit codes, one-line errors, and the outputs people read.

Every test calls ``symbptt.cli.main(argv)`` in-process (it returns the exit code) and reads
stdout/stderr through pytest's ``capsys``.

Exit codes: 0 success / proven / forms agree; 1 a real mismatch (not proven);
2 bad input or usage, with exactly one line on stderr starting "symbptt: error:",
no traceback anywhere and nothing on stdout.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import symbptt

from ..cli_helpers import assert_bad_input, run

EXAMPLES = Path(symbptt.__file__).resolve().parent / "examples"
SEED004 = EXAMPLES / "seed004.json"
REPO = Path(symbptt.__file__).resolve().parent.parent

ALL_MODELS = ["scalar_linear", "linear_half_square", "d2l_linear", "elman", "elman_softmax",
              "generic", "residual", "gru", "gru_torch", "lstm", "attention"]

# A valid scalar_linear file: the seed-004 worked example (W_xh, W_hh, W_hy scalars).
SCALAR_VALID = {"params": {"W_xh": 0.5, "W_hh": 1.5, "W_hy": 1.0},
                "inputs": [1, 2], "targets": [2, 5]}
ELMAN_VALID = {"params": {"W": [[1, 0], [0, 1]], "U": [[1, 0], [0, 1]], "b": [0, 0]},
               "inputs": [[1, 0], [0, 1]], "targets": [[1, 0], [0, 1]]}
SOFTMAX_VALID = {"params": {"W_xh": [[1, 0], [0, 1]], "W_hh": [[1, 0], [0, 1]], "b_h": [0, 0],
                            "W_hy": [[1, 0], [0, 1]], "b_y": [0, 0]},
                 "inputs": [[1, 0], [0, 1]], "targets": [[1, 0], [0, 1]]}


# --------------------------------------------------------------------------- helpers



def write_json(tmp_path, data, name="values.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def altered(base, edit):
    """A deep copy of base with edit(copy) applied."""
    data = copy.deepcopy(base)
    edit(data)
    return data


# --------------------------------------------------------------------------- usage errors

USAGE_ERRORS = [
    pytest.param(["prove", "nosuch", "--T", "2"], "elman", id="unknown-model-lists-known"),
    pytest.param(["prove", "nosuch", "--T", "2"], "unknown model 'nosuch'", id="unknown-model-named"),
    pytest.param(["grad", "nosuch", "--T", "2", "--values", SEED004], "scalar_linear",
                 id="grad-unknown-model"),
    pytest.param(["prove", "elman", "--T", "0"], "--T", id="T-zero"),
    pytest.param(["prove", "elman", "--T", "-3"], "--T", id="T-negative"),
    pytest.param(["prove", "elman", "--T", "2.5"], "whole number", id="T-fraction"),
    pytest.param(["prove", "elman", "--T", "abc"], "whole number", id="T-not-a-number"),
    pytest.param(["prove", "elman", "--T", "2", "--hidden", "2.5"], "--hidden",
                 id="hidden-fraction"),
    pytest.param(["prove", "elman", "--T", "2", "--hidden", "0"], "1..16", id="hidden-zero"),
    pytest.param(["prove", "elman", "--T", "2", "--hidden", "99"], "1..16", id="hidden-99"),
    pytest.param(["prove", "elman", "--T", "2", "--output", "3"], "--output",
                 id="elman-has-no-output"),
    pytest.param(["prove", "scalar_linear", "--T", "2", "--hidden", "3"], "--hidden",
                 id="scalar-has-no-hidden"),
    pytest.param(["prove", "d2l_linear", "--T", "2", "--activation", "sigmoid"], "--activation",
                 id="d2l-has-no-activation"),
    pytest.param(["prove", "elman", "--T", "2", "--activation", "relu"], "relu",
                 id="unknown-activation"),
    pytest.param(["prove", "elman", "--T", "2", "--kind", "closed"], "--kind", id="unknown-kind"),
    pytest.param(["prove", "elman", "--T", "2", "--mutate", "no-such-slip"], "no-such-slip",
                 id="unknown-mutation"),
    pytest.param([], "command", id="missing-subcommand"),
    pytest.param(["frobnicate"], "frobnicate", id="unknown-subcommand"),
    pytest.param(["prove", "elman"], "--T", id="prove-without-T"),
    pytest.param(["grad", "scalar_linear", "--T", "2"], "--values", id="grad-without-values"),
    pytest.param(["prove", "attention", "--T", "40", "--kind", "unrolled"], "--kind inductive",
                 id="attention-past-the-budget"),
    pytest.param(["prove", "lstm", "--T", "40"], "--force", id="lstm-past-the-budget"),
    pytest.param(["prove", "elman", "--T", "200"], "--force", id="cost-estimate-refuses"),
    pytest.param(["prove", "elman", "--T", "2", "--budget", "-1"], "--budget",
                 id="negative-budget"),
    pytest.param(["prove", "elman", "--T", "2", "--budget", "1e-12"], "--force",
                 id="tiny-budget-refuses"),
    pytest.param(["grad", "generic", "--T", "2", "--values", SEED004], "undefined functions",
                 id="grad-generic-no-values"),
]


@pytest.mark.parametrize("argv, contains", USAGE_ERRORS)
def test_usage_errors_exit_2_with_one_line(capsys, argv, contains):
    assert_bad_input(*run(capsys, argv), contains=contains)


def test_unknown_model_lists_every_known_model(capsys):
    line = assert_bad_input(*run(capsys, ["prove", "nosuch", "--T", "2"]))
    for name in ALL_MODELS:
        assert name in line


def test_model_lacking_option_names_its_sizes(capsys):
    line = assert_bad_input(*run(capsys, ["prove", "elman", "--T", "2", "--output", "3"]))
    assert "n, d" in line


def test_unknown_mutation_lists_known_ones(capsys):
    line = assert_bad_input(*run(capsys, ["prove", "elman", "--T", "2", "--mutate", "nope"]))
    assert "missing-transpose" in line


# --------------------------------------------------------------------------- values files

def _lacking_w_hy(d):
    del d["params"]["W_hy"]


def _extra_param(d):
    d["params"]["W_zz"] = 1


def _set_param(value):
    def edit(d):
        d["params"]["W_xh"] = value
    return edit


def _three_inputs(d):
    d["inputs"] = [1, 2, 3]


def _one_input(d):
    d["inputs"] = [1]


def _no_targets(d):
    del d["targets"]


def _wrong_targets_rows(d):
    d["targets"] = [2, 5, 7]


def _no_params(d):
    del d["params"]


def _no_inputs(d):
    del d["inputs"]


def _unknown_top_key(d):
    d["bias"] = 1


BAD_SCALAR_FILES = [
    pytest.param(altered(SCALAR_VALID, _no_params), "params", id="missing-params"),
    pytest.param(altered(SCALAR_VALID, _lacking_w_hy), "W_hy", id="params-lack-W_hy"),
    pytest.param(altered(SCALAR_VALID, _extra_param), "W_zz", id="extra-unknown-param"),
    pytest.param(altered(SCALAR_VALID, _set_param("abc")), "W_xh", id="value-string-abc"),
    pytest.param(altered(SCALAR_VALID, _set_param(True)), "W_xh", id="value-true"),
    pytest.param(altered(SCALAR_VALID, _set_param(None)), "W_xh", id="value-null"),
    pytest.param(altered(SCALAR_VALID, _set_param({"a": 1})), "W_xh", id="value-object"),
    pytest.param(altered(SCALAR_VALID, _set_param([0.5])), "W_xh", id="value-list-for-scalar"),
    pytest.param(altered(SCALAR_VALID, _set_param("1/0")), "W_xh", id="value-division-by-zero"),
    pytest.param(altered(SCALAR_VALID, _three_inputs), "3 rows", id="inputs-too-many-rows"),
    pytest.param(altered(SCALAR_VALID, _one_input), "1 rows", id="inputs-too-few-rows"),
    pytest.param(altered(SCALAR_VALID, _no_inputs), "inputs", id="missing-inputs"),
    pytest.param(altered(SCALAR_VALID, _no_targets), "targets", id="missing-targets"),
    pytest.param(altered(SCALAR_VALID, _wrong_targets_rows), "targets", id="targets-wrong-rows"),
    pytest.param(altered(SCALAR_VALID, _unknown_top_key), "bias", id="unknown-top-level-key"),
    pytest.param([1, 2], "object", id="json-list"),
    pytest.param("this is not json {", "JSON", id="not-json"),
    pytest.param('{"params": {"W_xh": NaN, "W_hh": 1, "W_hy": 1}, "inputs": [1, 2], '
                 '"targets": [2, 5]}', "W_xh", id="value-NaN"),
    pytest.param('{"params": {"W_xh": 1e400, "W_hh": 1, "W_hy": 1}, "inputs": [1, 2], '
                 '"targets": [2, 5]}', "W_xh", id="value-overflow-inf"),
]


@pytest.mark.parametrize("data, contains", BAD_SCALAR_FILES)
def test_bad_scalar_values_file(capsys, tmp_path, data, contains):
    path = write_json(tmp_path, data)
    argv = ["grad", "scalar_linear", "--T", "2", "--values", path]
    assert_bad_input(*run(capsys, argv), contains=contains)


def test_values_file_missing(capsys, tmp_path):
    missing = tmp_path / "nope.json"
    argv = ["grad", "scalar_linear", "--T", "2", "--values", missing]
    assert_bad_input(*run(capsys, argv), contains="nope.json")


def test_values_file_is_a_directory(capsys, tmp_path):
    argv = ["grad", "scalar_linear", "--T", "2", "--values", tmp_path]
    assert_bad_input(*run(capsys, argv))


def test_values_file_not_utf8(capsys, tmp_path):
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    argv = ["grad", "scalar_linear", "--T", "2", "--values", path]
    assert_bad_input(*run(capsys, argv), contains="JSON")


def test_params_lacking_a_parameter_names_all_of_them(capsys, tmp_path):
    path = write_json(tmp_path, altered(SCALAR_VALID, _lacking_w_hy))
    line = assert_bad_input(*run(capsys, ["grad", "scalar_linear", "--T", "2",
                                          "--values", path]))
    assert "W_xh" in line and "W_hh" in line


def _elman_U_3x2(d):
    d["params"]["U"] = [[1, 0], [0, 1], [1, 1]]


def _elman_ragged_W(d):
    d["params"]["W"] = [[1, 0], [0]]


def _elman_targets_size_3(d):
    d["targets"] = [[1, 0, 0], [0, 1, 0]]


def _elman_hidden_17(d):
    d["params"]["W"] = [[0] * 17 for _ in range(17)]


def _softmax_targets_sum_2(d):
    d["targets"] = [[1, 1], [0, 1]]


def _softmax_targets_negative(d):
    d["targets"] = [[2, -1], [0, 1]]


def _softmax_targets_half(d):
    d["targets"] = [[0.5, 0.25], [0, 1]]


BAD_VECTOR_FILES = [
    pytest.param("elman", altered(ELMAN_VALID, _elman_U_3x2), "params.U",
                 id="elman-W-2x2-U-3x2"),
    pytest.param("elman", altered(ELMAN_VALID, _elman_ragged_W), "params.W",
                 id="elman-ragged-W"),
    pytest.param("elman", altered(ELMAN_VALID, _elman_targets_size_3), "targets",
                 id="elman-targets-wrong-size"),
    pytest.param("elman", altered(ELMAN_VALID, _elman_hidden_17), "params.",
                 id="elman-inconsistent-17"),
    pytest.param("elman_softmax", altered(SOFTMAX_VALID, _softmax_targets_sum_2),
                 "probability", id="softmax-targets-sum-2"),
    pytest.param("elman_softmax", altered(SOFTMAX_VALID, _softmax_targets_negative),
                 "probability", id="softmax-targets-negative"),
    pytest.param("elman_softmax", altered(SOFTMAX_VALID, _softmax_targets_half),
                 "probability", id="softmax-targets-sum-3/4"),
]


@pytest.mark.parametrize("model, data, contains", BAD_VECTOR_FILES)
def test_bad_vector_values_file(capsys, tmp_path, model, data, contains):
    path = write_json(tmp_path, data)
    argv = ["grad", model, "--T", "2", "--values", path]
    assert_bad_input(*run(capsys, argv), contains=contains)


def test_values_size_out_of_range(capsys, tmp_path):
    # a consistent elman file with n = 17 > 16
    n = 17
    data = {"params": {"W": [[0] * n for _ in range(n)], "U": [[0] * 2 for _ in range(n)],
                       "b": [0] * n},
            "inputs": [[1, 0], [0, 1]], "targets": [[0] * n, [0] * n]}
    path = write_json(tmp_path, data)
    argv = ["grad", "elman", "--T", "2", "--values", path]
    assert_bad_input(*run(capsys, argv), contains="out of range")


def test_targets_given_to_a_model_without_targets(capsys, tmp_path):
    data = {"params": {"W_h": [[1, 0], [0, 1]], "W_x": [[1, 0], [0, 1]]},
            "inputs": [[1, 0], [0, 1]], "targets": [[1, 0], [0, 1]]}
    path = write_json(tmp_path, data)
    argv = ["grad", "linear_half_square", "--T", "2", "--values", path]
    assert_bad_input(*run(capsys, argv), contains="targets")


def test_grad_option_the_model_lacks(capsys):
    argv = ["grad", "scalar_linear", "--T", "2", "--activation", "sigmoid", "--values", SEED004]
    assert_bad_input(*run(capsys, argv), contains="--activation")


def test_grad_T_mismatch_with_seed_file(capsys):
    argv = ["grad", "scalar_linear", "--T", "3", "--values", SEED004]
    assert_bad_input(*run(capsys, argv), contains="--T is 3")


# --------------------------------------------------------------------------- grad: success

def _check_seed004_json(data):
    direct = data["grads"]["direct"]
    assert direct["W_hy"]["exact"] == "-103/8"
    assert direct["W_hh"]["exact"] == "-13/4"
    assert direct["W_xh"]["exact"] == "-103/4"
    assert data["loss"]["exact"] == "205/16"
    assert data["loss"]["float"] == pytest.approx(12.8125)
    recursive = data["deltas"]["recursive"]
    assert recursive["dL/dh_2"][0]["exact"] == "-13/2"
    assert recursive["dL/dh_1"][0]["exact"] == "-51/4"
    assert data["agree"] is True
    assert data["mismatches"] == []
    assert data["model"] == "scalar_linear" and data["T"] == 2


# Seed file 004_62ba402ad1754453.txt: the worked scalar example (T = 2, linear, squared
# error), whose hand-computed loss is 205/16 and dL/dW_hy = -103/8.
def test_grad_seed004_text(capsys):
    code, out, err = run(capsys, ["grad", "scalar_linear", "--T", "2", "--values", SEED004])
    assert code == 0, err
    assert err == ""
    assert "205/16" in out
    assert "-103/8" in out and "-13/4" in out and "-103/4" in out
    assert "agree" in out


# Seed file 004_62ba402ad1754453.txt, as JSON.
def test_grad_seed004_json(capsys):
    code, out, err = run(capsys, ["grad", "scalar_linear", "--T", "2", "--values", SEED004,
                                  "--json"])
    assert code == 0, err
    assert err == ""
    _check_seed004_json(json.loads(out))


def test_grad_seed004_relative_path(capsys, monkeypatch):
    # the path as written in the README: relative to the repository root
    monkeypatch.chdir(REPO)
    code, out, err = run(capsys, ["grad", "scalar_linear", "--T", "2",
                                  "--values", "symbptt/examples/seed004.json"])
    assert code == 0, err
    assert "205/16" in out


# Seed file 004_62ba402ad1754453.txt with every number written as a string ("3/2" for 1.5).
@pytest.mark.parametrize("params, inputs, targets", [
    ({"W_xh": "1/2", "W_hh": "3/2", "W_hy": "1"}, ["1", "2"], ["2", "5"]),
    ({"W_xh": "0.5", "W_hh": " 3/2 ", "W_hy": "1/1"}, [1, "4/2"], ["2.0", 5]),
    ({"W_xh": "5e-1", "W_hh": "15/10", "W_hy": 1}, [1, 2], [2, 5]),
])
def test_grad_string_values_same_as_numbers(capsys, tmp_path, params, inputs, targets):
    path = write_json(tmp_path, {"params": params, "inputs": inputs, "targets": targets})
    code, out, err = run(capsys, ["grad", "scalar_linear", "--T", "2", "--values", path,
                                  "--json"])
    assert code == 0, err
    _check_seed004_json(json.loads(out))


def test_grad_comment_key_allowed(capsys, tmp_path):
    path = write_json(tmp_path, {**SCALAR_VALID, "comment": "anything"})
    code, out, err = run(capsys, ["grad", "scalar_linear", "--T", "2", "--values", path])
    assert code == 0, err
    assert "205/16" in out


@pytest.mark.parametrize("model, data, extra", [
    ("elman", ELMAN_VALID, []),
    ("elman", ELMAN_VALID, ["--activation", "sigmoid"]),
    ("elman", ELMAN_VALID, ["--activation", "identity"]),
    ("elman_softmax", SOFTMAX_VALID, []),
])
def test_grad_vector_models_agree(capsys, tmp_path, model, data, extra):
    path = write_json(tmp_path, data)
    code, out, err = run(capsys, ["grad", model, "--T", "2", "--values", path, "--json",
                                  *extra])
    assert code == 0, err
    report = json.loads(out)
    assert report["agree"] is True
    assert report["model"] == model
    assert report["dims"]["n"] == 2


# --------------------------------------------------------------------------- models

def test_models_json(capsys):
    code, out, err = run(capsys, ["models", "--json"])
    assert code == 0 and err == ""
    data = json.loads(out)
    names = [m["name"] for m in data["models"]]
    assert len(names) == 11
    assert names == ALL_MODELS
    by_name = {m["name"]: m for m in data["models"]}
    assert by_name["elman"]["options"]["activation"]["default"] == "tanh"
    assert by_name["attention"]["symbolic"] is True
    assert by_name["gru"]["symbolic"] is True
    assert by_name["generic"]["numeric"] is False
    assert [p["name"] for p in by_name["scalar_linear"]["params"]] == ["W_xh", "W_hh", "W_hy"]


def test_models_text(capsys):
    code, out, err = run(capsys, ["models"])
    assert code == 0 and err == ""
    for name in ALL_MODELS:
        assert name in out


# --------------------------------------------------------------------------- prove

def test_prove_elman_json(capsys):
    code, out, err = run(capsys, ["prove", "elman", "--T", "2", "--kind", "unrolled", "--json"])
    assert code == 0, err
    assert err == ""
    cert = json.loads(out)
    assert cert["proven"] is True
    assert cert["kind"] == "unrolled"
    assert cert["model"] == "elman"
    assert cert["T"] == 2
    assert cert["dims"] == {"n": 2, "d": 2}
    assert cert["entries"] == 14
    assert isinstance(cert["method"], str) and cert["method"]
    assert isinstance(cert["seconds"], (int, float)) and cert["seconds"] >= 0
    assert cert["failures"] == []


def test_prove_elman_text(capsys):
    code, out, err = run(capsys, ["prove", "elman", "--T", "2"])
    assert code == 0, err
    assert "PROVEN" in out and "NOT PROVEN" not in out
    assert "T = 2" in out


@pytest.mark.parametrize("model", ["scalar_linear", "linear_half_square", "d2l_linear",
                                   "elman_softmax", "generic", "residual", "gru", "gru_torch",
                                   "lstm"])
def test_prove_every_symbolic_model(capsys, model):
    code, out, err = run(capsys, ["prove", model, "--T", "2", "--json"])
    assert code == 0, err
    assert json.loads(out)["proven"] is True


def test_prove_dims_reported(capsys):
    code, out, err = run(capsys, ["prove", "d2l_linear", "--T", "2", "--hidden", "1",
                                  "--input", "2", "--output", "3", "--kind", "unrolled", "--json"])
    assert code == 0, err
    assert json.loads(out)["dims"] == {"n": 1, "d": 2, "q": 3}


def test_prove_force_overrides_budget(capsys):
    code, out, err = run(capsys, ["prove", "elman", "--T", "2", "--budget", "1e-12", "--force"])
    assert code == 0, err


MUTANT = ["prove", "elman", "--T", "3", "--hidden", "3", "--input", "2",
          "--mutate", "missing-transpose", "--kind", "unrolled"]


def test_prove_mutation_text_exits_1(capsys):
    code, out, err = run(capsys, MUTANT)
    assert code == 1, err
    assert "Traceback" not in out + err
    assert "NOT PROVEN" in out
    assert "W[" in out
    assert "T = 3" in out


def test_prove_mutation_json(capsys):
    code, out, err = run(capsys, MUTANT + ["--json"])
    assert code == 1, err
    cert = json.loads(out)
    assert cert["proven"] is False
    assert cert["dims"] == {"n": 3, "d": 2}
    failures = cert["failures"]
    assert isinstance(failures, list) and failures
    for f in failures:
        for key in ("entry", "form", "T", "point"):
            assert key in f, (key, f)
        assert f["T"] == 3
    assert any(f["entry"].startswith("W[") for f in failures)


@pytest.mark.parametrize("model, slip", [
    ("scalar_linear", "lost-factor-2"),
    ("scalar_linear", "h_t-for-h_{t-1}"),
    ("linear_half_square", "missing-transpose"),
    ("d2l_linear", "lost-1/T"),
    ("elman", "shifted-index"),
    ("elman", "h_t-for-h_{t-1}"),
    ("elman_softmax", "missing-transpose"),
    ("generic", "lost-1/T"),
    ("residual", "dropped-identity"),
])
def test_every_slip_is_caught(capsys, model, slip):
    code, out, err = run(capsys, ["prove", model, "--T", "2", "--mutate", slip, "--json"])
    assert code == 1, err
    both = json.loads(out)
    assert both["proven"] is False
    for cert in both["certificates"]:          # unrolled at T = 2, and inductive
        assert cert["proven"] is False and cert["failures"], cert["kind"]


# --------------------------------------------------------------------------- known bugs
# Bugs found while writing this file, fixed since: each test keeps them fixed.

def test_budget_nan_is_bad_input(capsys):
    # T = 2 is cheap, so the bug shows as exit 0 instead of hanging the suite
    assert_bad_input(*run(capsys, ["prove", "elman", "--T", "2", "--budget", "nan"]),
                     contains="--budget")


def test_values_path_too_long(capsys, tmp_path):
    path = tmp_path / ("a" * 5000)
    assert_bad_input(*run(capsys, ["grad", "scalar_linear", "--T", "2", "--values", path]))


@pytest.mark.parametrize("argv", [["--version"], ["prove", "--help"]])
def test_version_and_help_return_0(capsys, argv):
    assert run(capsys, argv)[0] == 0


def test_prove_both_kinds_by_default(capsys):
    code, out, err = run(capsys, ["prove", "elman", "--T", "2", "--json"])
    assert code == 0, err
    both = json.loads(out)
    assert both["kind"] == "both" and both["proven"] is True
    kinds = [c["kind"] for c in both["certificates"]]
    assert kinds == ["unrolled", "inductive"]
    assert both["certificates"][1]["T"] == "all"


def test_prove_inductive_needs_no_T(capsys):
    code, out, err = run(capsys, ["prove", "lstm", "--kind", "inductive"])
    assert code == 0, err
    assert "for every T" in out and "PROVEN: for all T >= 1" in out


def test_a_wrong_rule_fails_both_kinds(capsys):
    code, out, err = run(capsys, ["prove", "gru", "--T", "2", "--mutate", "swapped-z",
                                  "--json"])
    assert code == 1, err
    both = json.loads(out)
    assert [c["proven"] for c in both["certificates"]] == [False, False]
    assert all(c["failures"] for c in both["certificates"])


def test_gated_unrolled_past_the_budget_hints_inductive(capsys):
    line = assert_bad_input(*run(capsys, ["prove", "gru", "--T", "8"]))
    assert "--kind inductive" in line


# --------------------------------------------------------------------------- check

ELMAN_DELTA = ["--where", "delta[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ delta[t+1]",
               "--where", "delta[T] = dl[T]/dh[T]"]
ELMAN_DW = "dL/dW = sum(t=1..T, diag(phi_prime(a[t])) @ delta[t] @ h[t-1].T)"


def test_check_correct_claim_exit_0(capsys):
    code, out, err = run(capsys, ["check", "elman", "--claim", ELMAN_DW, *ELMAN_DELTA])
    assert code == 0 and err == ""
    assert "correct for every T: equal to the derivative of the unrolled model at T = 1..4 " \
           "exactly, and proven for T >= 2" in out
    assert "by induction: delta[t] = dL/dh[t]" in out


def test_check_wrong_claim_exit_1_with_counterexample_and_diagnosis(capsys):
    code, out, err = run(capsys, ["check", "elman", "--claim", ELMAN_DW.replace("h[t-1]", "h[t]"),
                                  *ELMAN_DELTA])
    assert code == 1 and err == ""
    assert "WRONG: first at T = 1, entry dL/dW[" in out
    assert "the derivative of the unrolled model:" in out and "the claim:" in out
    assert "you replace `h[t]` by `h[t-1]` in the claim (proven exactly)" in out


def test_check_json(capsys):
    code, out, _ = run(capsys, ["check", "elman", "--claim", ELMAN_DW.replace("W.T", "W"),
                                "--claim", ELMAN_DW, *ELMAN_DELTA, "--T-max", "3", "--json"])
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "correct"
    (group,) = data["groups"]
    assert group["model"] == "elman" and group["dims"] == {"n": 3, "d": 2}
    assert [c["T"] for c in group["claims"]] == [[1, 2, 3]] * 2
    code, out, _ = run(capsys, ["check", "elman", "--claim", ELMAN_DW, "--where",
                                "delta[t] = dl[t]/dh[t] + W @ diag(phi_prime(a[t+1])) @ delta[t+1]",
                                "--where", "delta[T] = dl[T]/dh[T]", "--json"])
    data = json.loads(out)
    claim = data["groups"][0]["claims"][0]
    assert code == 1 and data["verdict"] == "wrong" and claim["verdict"] == "wrong"
    ce = claim["counterexample"]
    assert set(ce) == {"T", "at", "entry", "point", "expected", "claim"} and ce["T"] == 3
    assert claim["diagnosis"][0] == {
        "kind": "transpose", "edit": "replace `W` by `W.T`", "proven": True,
        "where": "in the definition delta[t] = dl[t]/dh[t] + W @ diag(phi_prime(a[t+1])) @ "
                 "delta[t+1]",
        "formula": "delta[t] = dl[t]/dh[t] + W.T @ diag(phi_prime(a[t+1])) @ delta[t+1]"}


def test_check_claim_file(capsys):
    code, out, err = run(capsys, ["check", EXAMPLES / "elman_check.toml"])
    # the file holds two slips on purpose, each marked expect = "wrong": as expected, exit 0
    assert code == 0 and err == ""
    assert out.count("correct for every T: equal to") == 2 and out.count("WRONG") == 2
    assert "2 of 4 claims correct" in out
    assert "4 of 4 verdicts as the file expects: every one" in out


def test_check_parse_error_shows_caret(capsys):
    code, out, err = run(capsys, ["check", "elman", "--claim",
                                  "dL/dW = sum(t=1..T, delta[t] @@ h[t-1].T)"])
    assert code == 2 and out == "" and "Traceback" not in err
    first, formula, caret = err.splitlines()
    assert first.startswith("symbptt: error: cannot read the claim at column 31: "
                            "unexpected '@'; expected a name")
    assert formula.strip() == "dL/dW = sum(t=1..T, delta[t] @@ h[t-1].T)"
    assert caret.index("^") == formula.index("@@") + 1


@pytest.mark.parametrize("argv, contains", [
    (["check", "elman", "--claim", "dL/dW = Q"], "unknown name 'Q' in elman; its names: "
                                                 "parameters W, U, b"),
    (["check", "elman", "--claim", "dL/dW = sum(t=1..T, g[t] @ h[t-1].T)"],
     "undefined sequence 'g[t]'"),
    (["check", "elman", "--claim", "dL/dW = sum(t=1..T, g[t] @ h[t-1].T)", "--where",
      "g[t] = W.T @ g[t+1]"], "g recurses without a boundary value"),
    (["check", "elman", "--claim", "dL/dV = W"], "elman has no parameter 'V'"),
    (["check", "elman"], "nothing to check"),
    (["check", "nosuchmodel", "--claim", "dL/dW = W"], "unknown model"),
    (["check", "elman", "--claim", "dL/dW = W", "--activation", "relu"], "unknown activation"),
    (["check", "elman", "--claim", "dL/dW = W", "--output", "3"], "no output size"),
    (["check", "elman", "--claim", "dL/dW = W", "--T-max", "0"], "--T-max must be in"),
    (["check", "/nonexistent/file.toml"], "no such claim file"),
    (["check", EXAMPLES / "elman_check.toml", "--claim", "dL/dW = W"], "drop --claim"),
])
def test_check_bad_input(capsys, argv, contains):
    code, out, err = run(capsys, argv)
    assert_bad_input(code, out, err, contains)


def test_check_bad_claim_file(capsys, tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('model = "elman"\n[[claim]]\nclaim = "dL/dW = W"\nexpct = "correct"\n')
    code, out, err = run(capsys, ["check", p])
    assert_bad_input(code, out, err, "unknown key 'expct'")


def test_check_never_executes_the_formula(capsys, tmp_path):
    marker = tmp_path / "pwned"
    code, out, err = run(capsys, ["check", "elman", "--claim",
                                  f"dL/dW = __import__('os').system('touch {marker}')"])
    assert code == 2 and not marker.exists()


# --------------------------------------------------------------------------- issue 18
# Its hostile and bad-input probes are in tests/cli/test_hostile.py; here, the rest.

@pytest.mark.parametrize("command", ["models", "prove", "grad", "crosscheck", "bench",
                                     "render", "build", "check", "derive", "analyze",
                                     "recheck"])
def test_every_option_has_help(capsys, command):
    """--json, --T-max and --part had no help text."""
    from symbptt.cli.options import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for action in sub.choices[command]._actions:
        assert action.help, (command, action.option_strings)


def test_prove_mutate_prints_its_point_in_lines_that_fit(capsys):
    """Issue 18: prove --mutate printed 33 values on one 450-character line."""
    code, out, err = run(capsys, ["prove", "elman", "--T", "2", "--mutate",
                                  "missing-transpose"])
    point = [line for line in out.splitlines() if "=" in line and "[" in line]
    assert point and all(len(line) <= 100 for line in out.splitlines()
                         if "counterexample point" in line or line.startswith(" " * 24))


def test_grad_prints_a_decimal_beside_an_exact_expression(capsys, tmp_path):
    """Issue 18: grad printed tanh(1) with no decimal value."""
    path = tmp_path / "v.json"
    path.write_text('{"params": {"W": [[1, 0], [0, 1]], "U": [[1, 0], [0, 1]], "b": [0, 0]}, '
                    '"inputs": [[1, 0], [0, 1]], "targets": [[0, 0], [0, 0]]}')
    code, out, err = run(capsys, ["grad", "elman", "--T", "2", "--values", path])
    assert code == 0 and "h_1 = [tanh(1) (0.761594155956), 0]" in out
