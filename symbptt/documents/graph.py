"""The unrolled computational graph of a model at T: nodes and edges, as TikZ and Mermaid.

Forward edges: h_{t-1} -> h_t, x_t -> h_t, h_t -> l_t (and c_{t-1} -> c_t -> h_t for the
LSTM, x_k -> l_t for k <= t for attention). The gradient flows back along every one.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model.spec import ModelSpec


@dataclass(frozen=True)
class Graph:
    nodes: tuple      # (id, LaTeX label, column, row)
    edges: tuple      # (from id, to id)


def unrolled_graph(spec: ModelSpec, T: int) -> Graph:
    states = spec.states
    nodes = [(f"{s}0", f"{s}_0", 0, 1 + k) for k, s in enumerate(states)]
    edges = []
    top = 1 + len(states)
    for t in range(1, T + 1):
        nodes.append((f"x{t}", f"x_{{{t}}}", t, 0))
        for k, s in enumerate(states):
            nodes.append((f"{s}{t}", f"{s}_{{{t}}}", t, 1 + k))
            edges.append((f"{s}{t - 1}", f"{s}{t}"))
        nodes.append((f"l{t}", rf"\ell_{{{t}}}", t, top))
        edges.append((f"x{t}", f"{states[0]}{t}"))
        if len(states) > 1:                     # lstm: c_{t-1} feeds h_t, h_{t-1} feeds c_t
            edges.append((f"{states[0]}{t - 1}", f"{states[1]}{t}"))
            edges.append((f"{states[1]}{t}", f"{states[0]}{t}"))
        edges.append((f"{states[0]}{t}", f"l{t}"))
        if spec.name == "attention":
            edges.extend((f"x{k}", f"l{t}") for k in range(1, t + 1))
    return Graph(tuple(nodes), tuple(edges))


def tikz(g: Graph) -> str:
    lines = [r"\begin{tikzpicture}[x=2.1cm,y=1.3cm,every node/.style={circle,draw,"
             r"minimum size=8mm,inner sep=1pt},"
             r"fwd/.style={-{Stealth},thick},"
             r"bwd/.style={-{Stealth},dashed,red!70!black,bend right=25}]"]
    for node, label, col, row in g.nodes:
        lines.append(rf"\node ({node}) at ({col},{row}) {{${label}$}};")
    for a, b in g.edges:
        # an input read by the loss directly (attention) goes round the states
        lines.append(rf"\draw[fwd] ({a}) to[bend left=40] ({b});" if _shortcut(a, b)
                     else rf"\draw[fwd] ({a}) -- ({b});")
    for a, b in g.edges:
        lines.append(rf"\draw[bwd] ({b}) to[bend left=40] ({a});" if _shortcut(a, b)
                     else rf"\draw[bwd] ({b}) to ({a});")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _shortcut(a: str, b: str) -> bool:
    return a.startswith("x") and b.startswith("l")


def mermaid(g: Graph) -> str:
    lines = ["graph LR"]
    for node, text, _, _ in g.nodes:
        plain = text.replace("{", "").replace("}", "").replace("\\ell", "l")
        lines.append(f'  {node}["{plain}"]')
    for a, b in g.edges:
        lines.append(f"  {a} --> {b}")
    for a, b in g.edges:
        lines.append(f"  {b} -.-> {a}")
    return "\n".join(lines)
