"""The model zoo (DESIGN.md contract): one small factory per model, one registry."""
from __future__ import annotations

from .spec import ModelSpec, Param

SEED = {
    "000": "000_34d5c3a04c2f29d4.txt",
    "001": "001_1e08c73fd0114278.txt",
    "002": "002_f9c6515e77627858.txt",
    "003": "003_6832bb59d1aaefdb.txt",
    "004": "004_62ba402ad1754453.txt",
}
# What a reader can find: each seed note by its title (seed notes are indexed 000-004 in the
# seeds' README; 002 is D2L's own section, 8.7 in the Chinese edition, 9.7 in the English one)
SOURCE = {
    SEED["000"]: "the study note \u201cBackpropagation through time\u201d (seed note 000, its section 6)",
    SEED["001"]: "seed note 001, an essay on training RNNs (BPTT, vanishing gradients, GRU, LSTM, "
                 "attention)",
    SEED["002"]: "D2L \u00a79.7 \u201cBackpropagation Through Time\u201d (seed note 002)",
    SEED["003"]: "the reading note \u201cD2L-55: Backpropagation through time\u201d (seed note 003)",
    SEED["004"]: "seed note 004, a lecture's worked example of BPTT by hand (scalar, T = 2)",
}


def source(seed_file: str) -> str:
    """A seed note as a reader can find it (its title), not by our file name."""
    return SOURCE.get(seed_file, seed_file)


HALF_SQUARE = "L = sum_t 1/2 ||h_t - y_t||^2"
ACTIVATION = (("activation", ("tanh", "sigmoid", "identity"), "tanh"),)


def _gates(prefix: str, gates: str, shape: tuple[str, ...]) -> tuple[Param, ...]:
    return tuple(Param(f"{prefix}_{g}", shape) for g in gates)


def scalar_linear() -> ModelSpec:
    return ModelSpec(
        name="scalar_linear", title="Scalar linear RNN with squared error (seed 004 worked example)",
        params=(Param("W_xh"), Param("W_hh"), Param("W_hy")),
        equations=("h_t = W_xh x_t + W_hh h_{t-1}", "yhat_t = W_hy h_t"),
        loss="L = sum_t (yhat_t - y_t)^2", seeds=(SEED["004"],), dims_used=(),
        input_shape=(), target_shape=(), intermediates=("h", "yhat"))


def linear_half_square() -> ModelSpec:
    return ModelSpec(
        name="linear_half_square", title="Linear RNN with a half-square loss on the state (seed 000, T = 10)",
        params=(Param("W_h", ("n", "n")), Param("W_x", ("n", "d"))),
        equations=("h_t = W_h h_{t-1} + W_x x_t",),
        loss="L = sum_t 1/2 ||h_t||^2", seeds=(SEED["000"],), dims_used=("n", "d"),
        input_shape=("d",), target_shape=None)


def d2l_linear() -> ModelSpec:
    return ModelSpec(
        name="d2l_linear", title="D2L's linear RNN with an output layer (seeds 002, 003)",
        params=(Param("W_hx", ("n", "d")), Param("W_hh", ("n", "n")), Param("W_qh", ("q", "n"))),
        equations=("h_t = W_hx x_t + W_hh h_{t-1}", "o_t = W_qh h_t"),
        loss="L = (1/T) sum_t 1/2 ||o_t - y_t||^2", seeds=(SEED["002"], SEED["003"]),
        dims_used=("n", "d", "q"), input_shape=("d",), target_shape=("q",),
        intermediates=("h", "o"))


def elman() -> ModelSpec:
    return ModelSpec(
        name="elman", title="Elman RNN with bias, loss on the hidden states (seed 001)",
        params=(Param("W", ("n", "n")), Param("U", ("n", "d")), Param("b", ("n",))),
        equations=("a_t = W h_{t-1} + U x_t + b", "h_t = phi(a_t)"),
        loss=HALF_SQUARE, seeds=(SEED["001"],), dims_used=("n", "d"),
        input_shape=("d",), target_shape=("n",), options=ACTIVATION, intermediates=("a", "h"))


def elman_softmax() -> ModelSpec:
    return ModelSpec(
        name="elman_softmax", title="tanh RNN with softmax output and cross-entropy (seeds 004, 000)",
        params=(Param("W_xh", ("n", "d")), Param("W_hh", ("n", "n")), Param("b_h", ("n",)),
                Param("W_hy", ("q", "n")), Param("b_y", ("q",))),
        equations=("a_t = W_xh x_t + W_hh h_{t-1} + b_h", "h_t = tanh(a_t)",
                   "o_t = W_hy h_t + b_y", "yhat_t = softmax(o_t)"),
        loss="L = -sum_t y_t . log yhat_t", seeds=(SEED["004"], SEED["000"]),
        dims_used=("n", "d", "q"), input_shape=("d",), target_shape=("q",),
        intermediates=("a", "h", "o", "yhat"),
        notes="y_t is a probability vector (one-hot in the seed): its last entry is "
              "1 - (sum of the others), so dL/do_t = yhat_t - y_t holds exactly.")


def generic() -> ModelSpec:
    return ModelSpec(
        name="generic", title="D2L's scalar view with undefined f, g, l (seeds 002, 003)",
        params=(Param("w_h"), Param("w_o")),
        equations=("h_t = f(x_t, h_{t-1}, w_h)", "o_t = g(h_t, w_o)"),
        loss="L = (1/T) sum_t l(y_t, o_t)", seeds=(SEED["002"], SEED["003"]), dims_used=(),
        input_shape=(), target_shape=(), intermediates=("h", "o"), numeric=False,
        notes="f, g and l are undefined functions: symbolic only.")


def residual() -> ModelSpec:
    return ModelSpec(
        name="residual", title="Residual RNN: an identity path in every step's Jacobian (seed 001)",
        params=(Param("W", ("n", "n")), Param("U", ("n", "d")), Param("b", ("n",))),
        equations=("a_t = W h_{t-1} + U x_t + b", "h_t = h_{t-1} + tanh(a_t)"),
        loss=HALF_SQUARE, seeds=(SEED["001"],), dims_used=("n", "d"),
        input_shape=("d",), target_shape=("n",), intermediates=("a", "h"))


def gru() -> ModelSpec:
    return ModelSpec(
        name="gru", title="GRU in the seed's convention (seed 001)",
        params=_gates("W", "zrh", ("n", "n")) + _gates("U", "zrh", ("n", "d"))
        + _gates("b", "zrh", ("n",)),
        equations=("z_t = sigma(W_z h_{t-1} + U_z x_t + b_z)",
                   "r_t = sigma(W_r h_{t-1} + U_r x_t + b_r)",
                   "htilde_t = tanh(W_h (r_t * h_{t-1}) + U_h x_t + b_h)",
                   "h_t = (1 - z_t) * h_{t-1} + z_t * htilde_t"),
        loss=HALF_SQUARE, seeds=(SEED["001"],), dims_used=("n", "d"),
        input_shape=("d",), target_shape=("n",), intermediates=("z", "r", "htilde", "h"))


def gru_torch() -> ModelSpec:
    return ModelSpec(
        name="gru_torch", title="GRU as PyTorch's nn.GRU computes it (seed 001)",
        params=(Param("W_ir", ("n", "d")), Param("W_iz", ("n", "d")), Param("W_in", ("n", "d")),
                Param("W_hr", ("n", "n")), Param("W_hz", ("n", "n")), Param("W_hn", ("n", "n")))
        + tuple(Param(f"b_{g}", ("n",)) for g in ("ir", "iz", "in", "hr", "hz", "hn")),
        equations=("r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)",
                   "z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)",
                   "n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))",
                   "h_t = (1 - z_t) * n_t + z_t * h_{t-1}"),
        loss=HALF_SQUARE, seeds=(SEED["001"],), dims_used=("n", "d"),
        input_shape=("d",), target_shape=("n",), intermediates=("r", "z", "n", "h"))


def lstm() -> ModelSpec:
    return ModelSpec(
        name="lstm", title="LSTM with the constant error carousel (seed 001), as nn.LSTM",
        params=_gates("W", "fioc", ("n", "n")) + _gates("U", "fioc", ("n", "d"))
        + _gates("b", "fioc", ("n",)),
        equations=("f_t = sigma(W_f h_{t-1} + U_f x_t + b_f)",
                   "i_t = sigma(W_i h_{t-1} + U_i x_t + b_i)",
                   "o_t = sigma(W_o h_{t-1} + U_o x_t + b_o)",
                   "ctilde_t = tanh(W_c h_{t-1} + U_c x_t + b_c)",
                   "c_t = f_t * c_{t-1} + i_t * ctilde_t", "h_t = o_t * tanh(c_t)"),
        loss=HALF_SQUARE, seeds=(SEED["001"],), dims_used=("n", "d"),
        input_shape=("d",), target_shape=("n",),
        intermediates=("f", "i", "o", "ctilde", "c", "h"), states=("h", "c"))


def attention() -> ModelSpec:
    return ModelSpec(
        name="attention", title="RNN reading an attention context over its inputs (seed 001)",
        params=(Param("W", ("n", "n")), Param("U", ("n", "d")), Param("b", ("n",)),
                Param("W_a", ("n", "d")), Param("W_o", ("q", "n")), Param("V_o", ("q", "d"))),
        equations=("h_t = tanh(W h_{t-1} + U x_t + b)", "e_{t,k} = h_t^T W_a x_k  (k <= t)",
                   "alpha_{t,.} = softmax(e_{t,1..t})", "c_t = sum_{k<=t} alpha_{t,k} x_k",
                   "o_t = W_o h_t + V_o c_t"),
        loss="L = sum_t 1/2 ||o_t - y_t||^2", seeds=(SEED["001"],), dims_used=("n", "d", "q"),
        input_shape=("d",), target_shape=("q",), intermediates=("h", "e", "alpha", "c", "o"))


FACTORIES = (scalar_linear, linear_half_square, d2l_linear, elman, elman_softmax, generic,
             residual, gru, gru_torch, lstm, attention)


def models() -> tuple[ModelSpec, ...]:
    return tuple(f() for f in FACTORIES)


def zoo_model(name: str) -> ModelSpec | None:
    """The zoo model of that name, or None (registry.get_model also reads model files)."""
    for factory in FACTORIES:
        if factory.__name__ == name:
            return factory()
    return None


def names() -> tuple[str, ...]:
    return tuple(f.__name__ for f in FACTORIES)
