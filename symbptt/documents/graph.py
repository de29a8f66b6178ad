"""The unrolled computational graph of a model at T: nodes and edges, as TikZ and Mermaid.

Forward edges: what each step reads (documents.structure: h_{t-1} -> h_t, x_t -> h_t,
h_t -> l_t; for the LSTM c_{t-1} -> c_t -> h_t, h_{t-1} -> c_t and x_t -> c_t; x_k -> l_t for
k <= t for attention), and an edge from each parameter node to every step that reads it. The gradient
flows back along every one: a parameter's gradient is the sum of what flows back to it.
"""
from __future__ import annotations

from dataclasses import dataclass

from .notation import base_latex
from .structure import Structure


@dataclass(frozen=True)
class Graph:
    nodes: tuple      # (id, LaTeX label, column, row)
    edges: tuple      # (from id, to id)
    params: tuple = ()        # (id, LaTeX label, column, row): parameter nodes
    param_edges: tuple = ()   # (parameter id, to id)


def unrolled_graph(st: Structure, T: int) -> Graph:
    """The graph of a model at T, from what one step reads (documents.structure)."""
    states = tuple(sorted(st.states, key=lambda s: s in st.loss_reads))   # read ones on top
    nodes = [(f"{s}0", f"{_label(s)}_0", 0, 1 + k) for k, s in enumerate(states)]
    edges = []
    top = 1 + len(states)
    for t in range(1, T + 1):
        nodes.append((f"x{t}", f"x_{{{t}}}", t, 0))
        for k, s in enumerate(states):
            nodes.append((f"{s}{t}", f"{_label(s)}_{{{t}}}", t, 1 + k))
        nodes.append((f"l{t}", f"l_{{{t}}}", t, top))
        for source, lag, state in st.reads:
            edges.append((f"x{t}" if source == "x" else f"{source}{t - lag}", f"{state}{t}"))
        edges.extend((f"{s}{t}", f"l{t}") for s in st.loss_reads)
        if st.loss_reads_inputs:
            edges.extend((f"x{k}", f"l{t}") for k in range(1, t + 1))
    params, param_edges = [], []
    below = [p for p in st.params if "l" not in p[1]]
    above = [p for p in st.params if "l" in p[1]]
    for row, group in ((-1.0, below), (top + 0.95, above)):
        for j, (label, targets) in enumerate(group):   # side by side, under no x_t
            node = f"p{len(params)}"
            col = T // 2 + 0.5 + 1.7 * (j - (len(group) - 1) / 2)
            params.append((node, label, col, row))
            for t in range(1, T + 1):
                param_edges.extend((node, f"{q}{t}") for q in targets)
    return Graph(tuple(nodes), tuple(edges), tuple(params), tuple(param_edges))


def _label(state: str) -> str:
    return base_latex(state)


def tikz(g: Graph) -> str:
    """The graph as TikZ: forward edges solid, the gradient flow dashed red beside each; an
    edge that would cross a node of its column (x_t -> h_t past c_t, an input read by the
    loss) bends round it; the nodes are drawn again over the edges, so no line crosses one."""
    lines = [r"\begin{tikzpicture}[x=2.1cm,y=1.3cm,every node/.style={circle,draw,"
             r"fill=white,minimum size=8mm,inner sep=1pt},"
             r"fwd/.style={-{Stealth},thick},"
             r"bwd/.style={-{Stealth},dashed,red!70!black,bend right=25},"
             r"par/.style={rectangle,rounded corners,fill=black!5,font=\footnotesize},"
             r"pfwd/.style={-{Stealth},black!40},"
             r"pbwd/.style={-{Stealth},dashed,red!40,bend left=22}]"]
    at = {node: (col, row) for node, _, col, row in g.nodes + g.params}
    shown = [rf"\node ({node}) at ({col},{row}) {{${label}$}};"
             for node, label, col, row in g.nodes]
    shown += [rf"\node[par] ({node}) at ({col},{row}) {{${label}$}};"
              for node, label, col, row in g.params]
    lines += shown
    for a, b in g.param_edges:
        lines.append(rf"\draw[pfwd] ({a}) to[bend right=8] ({b});")
        lines.append(rf"\draw[pbwd] ({b}) to ({a});")
    for a, b in g.edges:
        bend = _bend(at[a], at[b], _shortcut(a, b))
        lines.append(rf"\draw[fwd] ({a}) to[bend left={bend}] ({b});" if bend
                     else rf"\draw[fwd] ({a}) -- ({b});")
        lines.append(rf"\draw[bwd] ({b}) to[bend left={bend}] ({a});" if bend
                     else rf"\draw[bwd] ({b}) to ({a});")
    lines += shown                          # over the edges
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _bend(a: tuple, b: tuple, shortcut: bool) -> int:
    """Degrees an edge bends: 0 for neighbours, 40 past a node of its column or for an input
    the loss reads directly."""
    if shortcut:
        return 40
    return 40 if a[0] == b[0] and abs(a[1] - b[1]) > 1 else 0


def _shortcut(a: str, b: str) -> bool:
    return a.startswith("x") and b.startswith("l")


def mermaid(g: Graph) -> str:
    lines = ["graph LR"]
    for node, text, _, _ in g.nodes:
        lines.append(f'  {node}["{_plain(text)}"]')
    for node, text, _, _ in g.params:
        lines.append(f'  {node}[/"{_plain(text)}"/]')
    for a, b in g.edges + g.param_edges:
        lines.append(f"  {a} --> {b}")
    for a, b in g.edges + g.param_edges:
        lines.append(f"  {b} -.-> {a}")
    return "\n".join(lines)


def _plain(text: str) -> str:
    """A LaTeX label as Mermaid text: W_{hh} -> W_hh, l_{1} -> l_1."""
    for a, b in (("{", ""), ("}", ""), ("\\tilde ", "~"), ("\\", "")):
        text = text.replace(a, b)
    return text
