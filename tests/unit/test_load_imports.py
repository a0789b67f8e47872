"""bigday.load's import graph, read from the source (nothing imported, so Locust's gevent patching never runs).

Import cycles are what once forced the users module to import the runtime late: with state on Locust's
environment no module of bigday.load needs another that needs it back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bigday

PACKAGE = Path(bigday.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every bigday module and the bigday modules it imports anywhere in its body (late imports included)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
                found.add(base)
                # `from bigday.load import users` imports a module, not a name
                found.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles_through(graph: dict[str, set[str]], prefix: str) -> list[list[str]]:
    """Import cycles that pass through a module whose name starts with ``prefix``."""
    found: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == path[0]:
                found.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:  # each cycle once, from its smallest module
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    return [c for c in found if any(m.startswith(prefix) for m in c)]


def test_the_graph_sees_late_imports():
    graph = import_graph()
    assert "bigday.load.locust_runtime" in graph["bigday.load.locustfiles.saturday_spike"]
    assert "bigday.target.server" in graph["bigday.load.rehearsal"]  # imported inside a function


def test_no_import_cycle_in_bigday_load():
    assert cycles_through(import_graph(), "bigday.load") == []


def test_users_do_not_import_the_runtime():
    graph = import_graph()
    assert "bigday.load.locust_runtime" not in graph["bigday.load.users"]
    assert "bigday.load.locust_runtime" not in graph["bigday.load.runtime_state"]
