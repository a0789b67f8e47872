"""What bigday's Locust users may import, read from the source (nothing imported: Locust patches with gevent).

The runtime (listeners, results) builds on the users, never the reverse: users, their state and the dispatcher
reach the runtime's state through Locust's environment.  Cycles anywhere in bigday are test_layers.py's.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bigday

LOAD = Path(bigday.__file__).resolve().parent / "load"


def bigday_imports(path: Path) -> set[str]:
    """Every bigday module ``path`` imports anywhere in its body, late imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m.startswith("bigday")}


@pytest.mark.parametrize("module", ["users", "runtime_state", "dispatch"])
def test_below_the_runtime(module):
    assert "bigday.load.locust_runtime" not in bigday_imports(LOAD / f"{module}.py")


def test_the_reading_sees_late_imports(tmp_path):
    source = tmp_path / "late.py"
    source.write_text("def f():\n    from bigday.load import locust_runtime\n")
    assert "bigday.load.locust_runtime" in bigday_imports(source)
