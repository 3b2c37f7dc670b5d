"""Layering: the integration's modules import each other without cycles.

A lower layer never imports a higher one (the central system imports sessions, controls and
solar loops; they reach it only through `host.py`'s protocols), TYPE_CHECKING imports
included: a cycle there is still a cycle in the design.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "custom_components" / "ocpp_central"


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = [part for part in relative.parts if part != "__init__"]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Modules of the package that `path` imports (relative imports, resolved)."""
    module = _module_name(path)
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    if module == "":
        package = []
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names = (
                [target]
                if node.module
                else [f"{target}.{alias.name}".strip(".") for alias in node.names]
            )
            found.update(name for name in names if name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for target in _imports(path):
            # "from . import X" may name a module or an attribute of the package.
            if target in modules:
                edges.add(target)
            elif target.rsplit(".", 1)[0] in modules:
                edges.add(target.rsplit(".", 1)[0])
        edges.discard(name)
        graph[name] = edges
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_import_cycles_between_the_lower_layers() -> None:
    """Central ↔ session ↔ control ↔ solar loop: no cycle, not even for type checking."""
    graph = _graph()
    # The package's __init__ (entry points) and the platforms sit on top; everything they
    # import must form no cycle below them.
    lower = {
        name: edges
        for name, edges in graph.items()
        if (name and "." not in name) or name.startswith("protocol")
    }
    cycle = _cycle({name: edges & lower.keys() for name, edges in lower.items()})
    assert cycle is None, " -> ".join(cycle or [])
    for part in ("control", "session", "solar_runtime", "store", "model", "validation", "host"):
        assert "central" not in graph[part], f"{part} imports the central system"
