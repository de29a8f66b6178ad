"""What reads what in one step of a model: the unrolled graph's edges, found from the compact
unroll (every intermediate a symbol) rather than written per model, so a model file's graph
is as right as the zoo's: h2_t reads h1_t in a stack, the LSTM's c_t reads x_t through its
gates, attention's loss reads every input so far."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..symbolic import recursive
from .notation import symbol_latex


@dataclass(frozen=True)
class Structure:
    states: tuple               # the state names, in order (h; h, c; h1, h2)
    reads: tuple                # (source, lag, state): state_t reads source_{t-lag}; "x"
    loss_reads: tuple           # the states the loss l_t reads
    loss_reads_inputs: bool     # l_t reads x_1..x_t directly (attention's shortcut)
    params: tuple               # (LaTeX label, (the states or "l" it feeds))


def _state_of(sym) -> str | None:
    name = getattr(sym, "name", "")
    head = name.split("[")[0]
    base, _, t = head.rpartition("_")
    return base if t.isdigit() else None


def structure(c) -> Structure:
    """c: a compact unroll (documents.document.Compact) at T >= 2."""
    u = c.u
    now, before = u.steps[1], u.steps[0]
    states = tuple(dict.fromkeys(_state_of(s) for s in now.s))
    state_now = {s: _state_of(s) for s in now.s}
    state_before = {s: _state_of(s) for s in before.s}
    xs = set(now.x)
    params = {sym: p.split("[")[0] for p in u.params for sym in _leaves(u.params[p])}
    reads: dict = {}
    feeds: dict = {}
    for s in now.s:
        dst = state_now[s]
        seen: set = set()
        todo = list(c.definitions.get(s, sp.S.Zero).free_symbols)
        while todo:
            sym = todo.pop()
            if sym in seen:
                continue
            seen.add(sym)
            if sym in state_before:
                reads[(state_before[sym], 1, dst)] = True
            elif sym in state_now:
                if state_now[sym] != dst:
                    reads[(state_now[sym], 0, dst)] = True
            elif sym in xs:
                reads[("x", 0, dst)] = True
            elif sym in params:
                feeds.setdefault(params[sym], {})[dst] = True
            elif sym in c.definitions:
                todo.extend(c.definitions[sym].free_symbols)
    g_s, g_p, g_x = recursive.local_gradients(u)[1]
    loss_reads = tuple(dict.fromkeys(state_now[s] for s, g in zip(now.s, g_s) if g != 0))
    for p in g_p:
        feeds.setdefault(p, {})["l"] = True
    return Structure(states, tuple(sorted(reads, key=lambda r: (states.index(r[2]), r[1] == 0,
                                                                  r[0]))),
                     loss_reads, bool(g_x), _groups(list(u.params), feeds))


def _leaves(value) -> list:
    if isinstance(value, tuple):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value] if isinstance(value, sp.Symbol) else []


def _groups(order: list, feeds: dict) -> tuple:
    """Parameters that feed the same quantities share a node."""
    by_targets: dict = {}
    for p in order:
        if p in feeds:
            by_targets.setdefault(tuple(feeds[p]), []).append(p)
    return tuple((names_label(names), targets) for targets, names in by_targets.items())


def names_label(names: list) -> str:
    """W, U, b; past four names grouped by letter: W_{f,i,o,c}, U_{f,i,o,c}, b_{f,i,o,c}."""
    if len(names) <= 4:
        return ", ".join(symbol_latex(n) for n in names)
    heads: dict = {}
    for n in names:
        head, _, sub = n.partition("_")
        heads.setdefault(head, []).append(sub)
    return ", ".join(f"{symbol_latex(head)}_{{{','.join(subs)}}}" if any(subs)
                     else symbol_latex(head) for head, subs in heads.items())
