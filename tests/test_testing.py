"""symbptt.testing: exact reference gradients for other people's tests."""
from __future__ import annotations

import numpy as np
import pytest

from symbptt.errors import SymbpttError
from symbptt.numeric import engine
from symbptt.numeric.cells import cell_for
from symbptt.testing import TOLERANCES, assert_gradients_match, reference_gradients
from symbptt.model.registry import get_model


def engine_grads(model):
    """An independent implementation (symbptt's NumPy engine) as 'the user's code'."""
    spec = get_model(model)

    def grads(params, X, Y):
        P = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
        g = engine.full(cell_for(spec), P, np.asarray(X, np.float64),
                        None if Y is None else np.asarray(Y, np.float64))
        return {**g.params, "x": g.inputs}
    return grads


def test_reference_is_the_direct_gradient_and_matches_the_engine():
    ref = reference_gradients("elman", T=4, dims={"n": 3, "d": 2}, seed=3, batch=2)
    assert ref.X.shape == (2, 4, 2) and set(ref.grads) == {"W", "U", "b", "x"}
    mine = engine_grads("elman")(ref.params, ref.X, ref.Y)
    for k in ("W", "U", "b"):
        assert np.allclose(mine[k], ref.grads[k], rtol=1e-12, atol=1e-14), k
    assert ref.loss > 0


@pytest.mark.parametrize("model", ["scalar_linear", "d2l_linear", "elman_softmax", "gru"])
@pytest.mark.parametrize("dtype", ["float64", "float32", np.float32])
def test_a_correct_implementation_passes(model, dtype):
    assert_gradients_match(model, engine_grads(model), T=3, dtype=dtype, batch=2)


def _elman_bptt(params, X, Y, slip=None):
    W, U, b = params["W"], params["U"], params["b"]
    B, T, _ = X.shape
    h = [np.zeros((B, W.shape[0]), dtype=X.dtype)]
    for t in range(T):
        h.append(np.tanh(h[-1] @ W.T + X[:, t] @ U.T + b))
    g = {"W": np.zeros_like(W), "U": np.zeros_like(U), "b": np.zeros_like(b)}
    delta = np.zeros_like(h[0])
    for t in range(T, 0, -1):
        delta = delta + (h[t] - Y[:, t - 1])
        g_a = (1 - h[t] ** 2) * delta
        g["W"] += g_a.T @ (h[t] if slip == "h_t for h_{t-1}" else h[t - 1])
        g["U"] += g_a.T @ X[:, t - 1]
        g["b"] += g_a.sum(axis=0)
        delta = g_a @ (W.T if slip == "missing transpose" else W)
    return g


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_hand_written_bptt_passes(dtype):
    assert_gradients_match("elman", _elman_bptt, T=5, dims={"n": 3, "d": 2}, dtype=dtype,
                           batch=3, seed=2)


@pytest.mark.parametrize("slip", ["missing transpose", "h_t for h_{t-1}"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_planted_bug_is_caught_with_parameter_entry_values_and_seed(slip, dtype):
    with pytest.raises(AssertionError) as err:
        assert_gradients_match("elman", lambda P, X, Y: _elman_bptt(P, X, Y, slip), T=5,
                               dims={"n": 3, "d": 2}, dtype=dtype, seed=7)
    text = str(err.value)
    assert text.startswith("dL/dW[") or text.startswith("dL/dU[") or text.startswith("dL/db[")
    assert "yours " in text and "reference " in text and "seed 7" in text and dtype in text


def test_the_tolerance_follows_the_dtype():
    """A float32-sized error passes at float32 and fails at float64."""
    def nudged(P, X, Y):
        g = _elman_bptt({k: np.asarray(v, np.float64) for k, v in P.items()},
                        np.asarray(X, np.float64), np.asarray(Y, np.float64))
        g["W"] = g["W"] * (1 + 1e-6)
        return g
    assert_gradients_match("elman", nudged, T=4, dtype="float32")
    with pytest.raises(AssertionError, match=r"dL/dW\[0,0\].*float64"):
        assert_gradients_match("elman", nudged, T=4, dtype="float64")
    assert TOLERANCES["float32"] > TOLERANCES["float64"]


def test_wrong_returns_are_named():
    with pytest.raises(AssertionError, match="no gradient for b"):
        assert_gradients_match("elman", lambda P, X, Y: {"W": 0 * P["W"], "U": 0 * P["U"]})
    with pytest.raises(AssertionError, match="dL/dW has shape"):
        assert_gradients_match("elman", lambda P, X, Y: {**_elman_bptt(P, X, Y),
                                                         "W": np.zeros(3)})
    with pytest.raises(AssertionError, match="V is not a parameter of elman"):
        assert_gradients_match("elman", lambda P, X, Y: {**_elman_bptt(P, X, Y), "V": 0})
    with pytest.raises(AssertionError, match="not a dict"):
        assert_gradients_match("elman", lambda P, X, Y: [1, 2])
    with pytest.raises(SymbpttError, match="dtype 'int8'"):
        assert_gradients_match("elman", _elman_bptt, dtype="int8")


def test_torch_tensors_in_and_out():
    torch = pytest.importorskip("torch")
    seen = {}

    def grads(params, X, Y):
        seen["types"] = {type(v).__name__ for v in params.values()} | {type(X).__name__}
        seen["dtype"] = X.dtype
        P = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        h = torch.zeros(X.shape[0], P["W"].shape[0], dtype=X.dtype)
        loss = 0
        for t in range(X.shape[1]):
            h = torch.tanh(h @ P["W"].T + X[:, t] @ P["U"].T + P["b"])
            loss = loss + 0.5 * ((h - Y[:, t]) ** 2).sum()
        loss.backward()
        return {k: v.grad for k, v in P.items()}
    assert_gradients_match("elman", grads, T=4, dtype=torch.float32, batch=2)
    assert seen == {"types": {"Tensor"}, "dtype": torch.float32}


# ---- symbptt.testing.assert_gradients_match.

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
