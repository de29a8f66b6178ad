"""The zoo registry keeps the DESIGN.md contract: names, parameters, shapes, seeds."""
from __future__ import annotations

import pytest

from symbptt.errors import UnknownModel
from symbptt.model.registry import get_model
from symbptt.model.zoo import models

# (model, {parameter: shape}) from DESIGN.md's zoo table
CONTRACT = [
    ("scalar_linear", {"W_xh": (), "W_hh": (), "W_hy": ()}),
    ("linear_half_square", {"W_h": ("n", "n"), "W_x": ("n", "d")}),
    ("d2l_linear", {"W_hx": ("n", "d"), "W_hh": ("n", "n"), "W_qh": ("q", "n")}),
    ("elman", {"W": ("n", "n"), "U": ("n", "d"), "b": ("n",)}),
    ("elman_softmax", {"W_xh": ("n", "d"), "W_hh": ("n", "n"), "b_h": ("n",),
                       "W_hy": ("q", "n"), "b_y": ("q",)}),
    ("generic", {"w_h": (), "w_o": ()}),
    ("residual", {"W": ("n", "n"), "U": ("n", "d"), "b": ("n",)}),
    ("gru", {**{f"W_{g}": ("n", "n") for g in "zrh"}, **{f"U_{g}": ("n", "d") for g in "zrh"},
             **{f"b_{g}": ("n",) for g in "zrh"}}),
    ("gru_torch", {**{f"W_i{g}": ("n", "d") for g in "rzn"}, **{f"W_h{g}": ("n", "n") for g in "rzn"},
                   **{f"b_{k}": ("n",) for k in ("ir", "iz", "in", "hr", "hz", "hn")}}),
    ("lstm", {**{f"W_{g}": ("n", "n") for g in "fioc"}, **{f"U_{g}": ("n", "d") for g in "fioc"},
              **{f"b_{g}": ("n",) for g in "fioc"}}),
    ("attention", {"W": ("n", "n"), "U": ("n", "d"), "b": ("n",), "W_a": ("n", "d"),
                   "W_o": ("q", "n"), "V_o": ("q", "d")}),
]


@pytest.mark.parametrize("name,params", CONTRACT)
def test_parameters_and_shapes_follow_the_contract(name, params):
    spec = get_model(name)
    assert {p.name: p.shape for p in spec.params} == params
    assert spec.seeds and all(s.endswith(".txt") for s in spec.seeds)
    assert spec.equations and spec.loss.startswith("L =")


def test_the_registry_lists_eleven_models_in_order():
    assert [s.name for s in models()] == [name for name, _ in CONTRACT]


def test_an_unknown_model_lists_the_known_ones():
    with pytest.raises(UnknownModel, match="elman_softmax"):
        get_model("elmann")


def test_only_elman_has_an_activation_option():
    assert [s.name for s in models() if s.option("activation")] == ["elman"]
    assert get_model("elman").option("activation") == (("tanh", "sigmoid", "identity"), "tanh")
