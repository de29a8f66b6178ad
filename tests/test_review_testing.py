"""Review: symbptt.testing.assert_gradients_match."""
from __future__ import annotations

import numpy as np
import pytest

from symbptt.testing import assert_gradients_match, reference_gradients

DIMS = {"n": 3, "d": 2}


def test_nan_gradients_do_not_pass():
    def nan_grads(params, X, Y):
        return {k: np.full(np.shape(v), np.nan) for k, v in params.items()}
    try:
        assert_gradients_match("elman", nan_grads, T=3, dims=DIMS)
    except AssertionError:
        return
    pytest.fail("a gradient function returning all-NaN arrays passed assert_gradients_match "
                "(|nan - ref| > tol is False)")


def test_bfloat16_numpy_is_refused_or_works():
    ref = reference_gradients("elman", 3, DIMS)
    try:
        assert_gradients_match("elman", lambda P, X, Y: dict(ref.grads), T=3, dims=DIMS,
                               dtype="bfloat16")
    except (AssertionError, ImportError):
        pass
    except Exception as err:                          # noqa: BLE001
        from symbptt.errors import SymbpttError
        assert isinstance(err, SymbpttError), \
            f"dtype='bfloat16' (listed in TOLERANCES) raised {type(err).__name__}: {err}"
