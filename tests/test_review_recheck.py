"""Review: symbptt recheck on edited fixtures."""
from __future__ import annotations

import json

import pytest

from .cli_helpers import assert_bad_input, run


@pytest.fixture
def fixture(capsys, tmp_path):
    code, out, err = run(capsys, ["crosscheck", "elman", "--T", "3", "--batch", "2", "--json"])
    assert code == 0, err
    return json.loads(out)


def _recheck(capsys, tmp_path, data):
    path = tmp_path / "fx.json"
    path.write_text(json.dumps(data))
    try:
        return run(capsys, ["recheck", path])
    except Exception as err:                          # noqa: BLE001
        pytest.fail(f"recheck raised {type(err).__name__}: {err} (a traceback, not exit 2)")


def test_a_fixture_with_no_saved_gradients_does_not_hold(capsys, tmp_path, fixture):
    fixture["grads"] = {"direct": {}}
    code, out, err = _recheck(capsys, tmp_path, fixture)
    assert code != 0, f"nothing was compared, yet recheck says (exit {code}): {out.strip()!r}"


@pytest.mark.parametrize("edit", [
    ("batch", 1), ("T", 6), ("tolerance", "tight"), ("params", 5), ("grads", [1]),
    ("options", {"activation": "relu"}), ("dims", {"n": "x"}),
])
def test_malformed_fixture_is_one_line_exit_2(capsys, tmp_path, fixture, edit):
    key, value = edit
    fixture[key] = value
    code, out, err = _recheck(capsys, tmp_path, fixture)
    assert_bad_input(code, out, err)
