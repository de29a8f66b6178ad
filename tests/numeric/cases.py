"""The non-gated numeric models (and elman's activations), shared by the engine tests."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

CASES = [
    ("scalar_linear", None),
    ("linear_half_square", None),
    ("d2l_linear", None),
    ("elman", "tanh"),
    ("elman", "sigmoid"),
    ("elman", "identity"),
    ("elman_softmax", None),
    ("residual", None),
]
IDS = [m if a is None else f"{m}/{a}" for m, a in CASES]


def random_shapes(test):
    """40 deterministic draws of (T, n, d, q, batch, seed) for a test taking them."""
    return settings(max_examples=40, deadline=None, derandomize=True)(given(
        T=st.integers(1, 6), n=st.integers(1, 4), d=st.integers(1, 4), q=st.integers(2, 4),
        batch=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))(test))


def central_differences(f, a, eps=1e-6):
    """d f() / d a by central differences, entry by entry (a is changed and restored)."""
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        up = f()
        a[idx] = old - eps
        down = f()
        a[idx] = old
        g[idx] = (up - down) / (2 * eps)
    return g
