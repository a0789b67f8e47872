"""The import graph of bigday/: no cycles, and layers point one way (docs/architecture.md).

Every import counts, including those inside functions and under TYPE_CHECKING: a lazy import hides a cycle
from the interpreter, not from a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "bigday"

# Lowest first. A module may import its own layer's foundations and any lower layer, never a higher one.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bigday", "bigday.errors", "bigday.metrics", "bigday.stats", "bigday.settings", "bigday.runfolder"),
    ("bigday.store",),
    ("bigday.probe", "bigday.load", "bigday.compare", "bigday.report"),
    ("bigday.present",),
    ("bigday.monitor", "bigday.serve"),
    ("bigday.cli", "bigday.pytest_plugin", "bigday.__main__"),
)
# The stages of layer 2 are peers: they exchange run folders and typed results, never each other's code.
PEERS = LAYERS[2]
# The reference app is a separate program: it imports only the foundations, and only the command line,
# the pytest plugin (which may start it), tests and benchmarks import it.
TARGET = "bigday.target"
TARGET_MAY_IMPORT = ("bigday", "bigday.errors", "bigday.settings", "bigday.stats")
MAY_IMPORT_TARGET = ("bigday.cli", "bigday.pytest_plugin", TARGET)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("bigday"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.startswith("bigday"):
                out.add(name)
                out.update(f"{name}.{a.name}" for a in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        # "from bigday.x import y" names a module bigday.x.y only when that module exists.
        graph[name] = {i for i in _imports(path, name) if i in modules and i != name}
    return graph


def _unit(module: str, units: tuple[str, ...]) -> str | None:
    """The longest of ``units`` that ``module`` is or lies inside."""
    best = None
    for u in units:
        if (module == u or module.startswith(u + ".")) and (best is None or len(u) > len(best)):
            best = u
    return best


ALL_UNITS = tuple(u for layer in LAYERS for u in layer) + (TARGET,)


def _layer(module: str) -> int | None:
    unit = _unit(module, ALL_UNITS)
    for i, layer in enumerate(LAYERS):
        if unit in layer:
            return i
    return None


def test_every_module_has_a_place() -> None:
    unplaced = sorted(m for m in _graph() if _unit(m, ALL_UNITS) in (None, "bigday") and m != "bigday")
    assert not unplaced, f"modules in no layer (add them to LAYERS and docs/architecture.md): {unplaced}"


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_layers_point_one_way() -> None:
    wrong = []
    for module, imports in sorted(_graph().items()):
        here, unit = _layer(module), _unit(module, ALL_UNITS)
        for imported in sorted(imports):
            there, other = _layer(imported), _unit(imported, ALL_UNITS)
            if other == TARGET or unit == TARGET:
                continue  # judged below
            if here is not None and there is not None and there > here:
                wrong.append(f"{module} (layer {here}) imports {imported} (layer {there})")
            elif unit in PEERS and other in PEERS and unit != other:
                wrong.append(f"{module} imports its peer stage {imported}")
    assert not wrong, "\n".join(wrong)


def test_the_reference_target_stands_apart() -> None:
    wrong = []
    for module, imports in sorted(_graph().items()):
        unit = _unit(module, ALL_UNITS)
        for imported in imports:
            other = _unit(imported, ALL_UNITS)
            if other == TARGET and _unit(module, MAY_IMPORT_TARGET) is None:
                wrong.append(f"{module} imports the reference target ({imported})")
            if unit == TARGET and other != TARGET and other not in TARGET_MAY_IMPORT:
                wrong.append(f"the reference target's {module} imports {imported}")
    assert not wrong, "\n".join(wrong)


def test_library_code_never_imports_the_command_line() -> None:
    wrong = [
        f"{m} imports {i}"
        for m, imports in sorted(_graph().items())
        if _unit(m, ALL_UNITS) not in ("bigday.cli", "bigday.__main__", "bigday.pytest_plugin")
        for i in imports
        if _unit(i, ALL_UNITS) == "bigday.cli"
    ]
    assert not wrong, "\n".join(wrong)
