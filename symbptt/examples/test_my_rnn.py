"""How to test your own BPTT against symbptt's exact reference gradients.

Copy this file next to your code. `assert_gradients_match` draws weights and data from a
seed, calls your gradient function, and compares every entry with the derivative of the
unrolled loss (no finite differences); a failure names the parameter, the entry, both
values and the seed. symbptt's CI runs this file.

The model is `elman`: a_t = W h_{t-1} + U x_t + b, h_t = tanh(a_t), h_0 = 0,
L = sum_t 1/2 ||h_t - y_t||^2, summed over the batch (symbptt models lists every model).
"""
import numpy as np
import pytest

from symbptt.testing import assert_gradients_match


def elman_bptt(params, X, Y, transpose_bug=False):
    """A hand-written BPTT, batched: X (B, T, d), Y (B, T, n)."""
    W, U, b = params["W"], params["U"], params["b"]
    B, T, _ = X.shape
    h = [np.zeros((B, W.shape[0]), dtype=X.dtype)]
    for t in range(T):
        h.append(np.tanh(h[-1] @ W.T + X[:, t] @ U.T + b))
    gW, gU, gb = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    gX = np.zeros_like(X)
    delta = np.zeros_like(h[0])                       # dL/dh_{t+1} carried back
    for t in range(T, 0, -1):
        delta = delta + (h[t] - Y[:, t - 1])          # + dl_t/dh_t
        g_a = (1 - h[t] ** 2) * delta                 # dL/da_t
        gW += g_a.T @ h[t - 1]
        gU += g_a.T @ X[:, t - 1]
        gb += g_a.sum(axis=0)
        gX[:, t - 1] = g_a @ U
        delta = g_a @ (W.T if transpose_bug else W)   # W^T g_a as rows: (g_a @ W)
    return {"W": gW, "U": gU, "b": gb, "x": gX}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_my_numpy_bptt(dtype):
    assert_gradients_match("elman", elman_bptt, T=6, dims={"n": 3, "d": 2}, dtype=dtype,
                           batch=4, seed=1)


def test_a_planted_bug_is_named():
    bad = lambda P, X, Y: elman_bptt(P, X, Y, transpose_bug=True)      # noqa: E731
    with pytest.raises(AssertionError, match=r"dL/dW\[\d,\d\]: yours .* reference .* seed 1"):
        assert_gradients_match("elman", bad, T=6, dims={"n": 3, "d": 2}, seed=1)


def test_my_torch_bptt():
    torch = pytest.importorskip("torch")

    def grads(params, X, Y):
        P = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        h = torch.zeros(X.shape[0], P["W"].shape[0], dtype=X.dtype)
        loss = 0
        for t in range(X.shape[1]):
            h = torch.tanh(h @ P["W"].T + X[:, t] @ P["U"].T + P["b"])
            loss = loss + 0.5 * ((h - Y[:, t]) ** 2).sum()
        loss.backward()
        return {k: v.grad for k, v in P.items()}

    for dtype in (torch.float64, torch.float32):
        assert_gradients_match("elman", grads, T=6, dims={"n": 3, "d": 2}, dtype=dtype)
