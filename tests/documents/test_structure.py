"""symbptt.documents.structure and graph: what each step reads, found from the step itself
(issue 17: the LSTM's graph had no x_t -> c_t edge, and a model file's graph was drawn as if it
were an LSTM), with the parameters as shared boxes."""
from __future__ import annotations

from pathlib import Path

import pytest

from symbptt.documents.document import compact_unroll
from symbptt.documents.graph import mermaid, tikz, unrolled_graph
from symbptt.documents.structure import structure
from symbptt.model.registry import get_model
from symbptt.model.spec import Dims
from symbptt.symbolic.cells import cell_for

EXAMPLES = Path(__file__).resolve().parents[2] / "symbptt" / "examples" / "models"


def step_of(name: str):
    spec = get_model(name)
    return structure(compact_unroll(spec, cell_for(spec), 2,
                                    Dims(2, 2, 2) if spec.dims_used else Dims()))


def test_elman_reads_its_state_and_input_and_shares_w_u_b():
    st = step_of("elman")
    assert st.states == ("h",) and set(st.reads) == {("h", 1, "h"), ("x", 0, "h")}
    assert st.loss_reads == ("h",) and not st.loss_reads_inputs
    assert st.params == (("W, U, b", ("h",)),)


def test_lstm_cell_reads_the_input_and_the_hidden_state_through_its_gates():
    st = step_of("lstm")
    assert set(st.reads) == {("h", 1, "h"), ("c", 0, "h"), ("x", 0, "h"),
                             ("c", 1, "c"), ("h", 1, "c"), ("x", 0, "c")}
    assert st.loss_reads == ("h",)
    g = unrolled_graph(st, 2)
    assert ("x2", "c2") in g.edges and ("c2", "h2") in g.edges and ("h1", "c2") in g.edges
    assert ("c1", "h1") in g.edges and ("h2", "l2") in g.edges and ("c2", "l2") not in g.edges


def test_a_stacked_model_file_reads_the_lower_layer_in_the_same_step():
    st = step_of(str(EXAMPLES / "elman2.toml"))
    assert set(st.reads) == {("h1", 1, "h1"), ("x", 0, "h1"), ("h2", 1, "h2"),
                             ("h1", 0, "h2")}
    assert st.loss_reads == ("h2",)
    assert st.params == (("W^{(1)}, U^{(1)}, b^{(1)}", ("h1",)),
                         ("W^{(2)}, V^{(2)}, b^{(2)}", ("h2",)))


def test_attention_loss_reads_every_input_so_far():
    st = step_of("attention")
    assert st.loss_reads_inputs
    g = unrolled_graph(st, 3)
    assert {("x1", "l3"), ("x2", "l3"), ("x3", "l3"), ("x1", "l1")} <= set(g.edges)
    assert ("x2", "l1") not in g.edges                  # no loss reads a later input
    labels = [label for _, label, _, _ in g.params]
    assert labels == ["W, U, b", "W_{a}, W_{o}, V_{o}"]


@pytest.mark.parametrize("T", [1, 2, 3, 5])
def test_every_parameter_box_feeds_every_step(T):
    st = step_of("elman_softmax")
    g = unrolled_graph(st, T)
    for node, _, _, _ in g.params:
        targets = {b for a, b in g.param_edges if a == node}
        assert len(targets) == T                        # shared: one edge to each step
    text = tikz(g)
    assert text.count(r"\node[par]") == 2 * len(g.params)     # drawn, then over the edges
    assert "W_{xh}, W_{hh}, b_{h}" in text and "p0 -.->" not in mermaid(g).split("\n")[1]


def test_a_box_sits_between_two_columns_never_under_an_input():
    st = step_of("lstm")
    for T in (2, 3, 4):
        g = unrolled_graph(st, T)
        for _, _, col, _ in g.params:
            assert col != int(col) or col < 0 or col > T
