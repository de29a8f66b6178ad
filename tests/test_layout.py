"""The package's import graph (issue 15): no import circle between modules of symbptt/,
imports inside functions included (a lazy import hides a circle, it does not break it), and
no layer importing one above it (README, Layout):

    cli (cli/, bench/) -> api (api, testing) -> verbs (check/, documents/, analyze/,
    crosscheck, recheck) -> engines (symbolic/, numeric/) -> model/ -> formula/ -> errors

The examples (symbptt/examples/: code for users to copy) stand outside the layers."""
from __future__ import annotations

import ast
from pathlib import Path

import symbptt

PACKAGE = Path(symbptt.__file__).resolve().parent


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set) -> set:
    """The modules of symbptt that the file imports (a name imported from a package that
    is itself a module counts as that module)."""
    here = _module(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level \
                else node.module or ""
            for a in node.names:
                if f"{target}.{a.name}" in modules:
                    found.add(f"{target}.{a.name}")
                elif target in modules:
                    found.add(target)
    return found - {here}


def _graph() -> dict:
    paths = [p for p in PACKAGE.rglob("*.py")]
    modules = {_module(p) for p in paths}
    return {_module(p): _imports(p, modules) for p in paths}


def _circles(graph: dict) -> list:
    """Every strongly connected set of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                out.append(sorted(part))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


LAYERS = ("errors", "formula", "model", "engines", "verbs", "api", "cli")


def layer(module: str) -> int:
    """The layer of a module of symbptt (every module not named here is a verb's)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top == "errors":
        return 0
    if top == "formula":
        return 1
    if top == "model":
        return 2
    if top in ("symbolic", "numeric"):
        return 3
    if top in ("api", "testing"):
        return 5
    if top in ("cli", "__main__", "bench", ""):
        return 6
    return 4


def test_no_layer_imports_one_above_it():
    upward = [f"{m} ({LAYERS[layer(m)]}) imports {d} ({LAYERS[layer(d)]})"
              for m, deps in sorted(_graph().items()) if not m.startswith("symbptt.examples")
              for d in sorted(deps) if layer(d) > layer(m)]
    assert upward == []


def test_the_layer_rule_sees_an_upward_import():
    assert layer("symbptt.symbolic.zero") < layer("symbptt.check.verdict") < layer("symbptt.api")
    assert layer("symbptt.model.registry") < layer("symbptt.numeric.engine")
    assert layer("symbptt.formula.parse") < layer("symbptt.model.modelfile")


def test_no_import_circle_between_modules():
    assert _circles(_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = _graph()
    assert "symbptt.symbolic.cells.rule" in graph["symbptt.symbolic.cells.gated"]     # it reads imports
    assert "symbptt.model.registry" in graph["symbptt.check.verdict"]


MAX_LINES = 450


def test_every_module_fits_in_a_readers_head():
    """One concept a module (issue 15): none over MAX_LINES lines."""
    long = {_module(p): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_package_of_the_source_is_installed():
    """pyproject.toml names every package of symbptt/ (a folder left out installs
    without its modules: the installed command then fails where the checkout works)."""
    import tomllib
    data = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(data["tool"]["setuptools"]["packages"])
    folders = {_module(p.parent / "__init__.py") for p in PACKAGE.rglob("__init__.py")}
    assert folders - listed == set()
