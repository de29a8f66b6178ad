"""The non-gated numeric models (and elman's activations), shared by the engine tests."""

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
