"""Generated JS: chunk sizes within the scenario's budgets, exact extra_js padding, code that really runs."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from bigday.settings.scenario import load_scenario
from bigday.target.jsgen import CHUNKS, build_chunks, padding


def test_chunks_fit_the_scenario_budgets_with_room():
    budgets = {b.chunk: b.max_bytes for b in load_scenario().budgets}
    chunks = build_chunks()
    assert set(CHUNKS) == {"main", "vendor", "forms", "dashboard"}
    for name, chunk in chunks.items():
        assert 0.4 * budgets[name] < len(chunk.source) < 0.8 * budgets[name], (name, len(chunk.source))
    per_page = max(
        len(chunks["main"].source) + len(chunks["vendor"].source) + len(chunks[c].source)
        for c in ("forms", "dashboard")
    )
    assert per_page < budgets["total"]


@pytest.mark.parametrize("kb", [1, 7, 250])
def test_padding_is_exactly_n_kilobytes(kb):
    assert len(padding(kb)) == kb * 1000
    assert padding(0) == b""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_generated_code_runs_without_errors(tmp_path):
    chunks = build_chunks()
    (tmp_path / "vendor.js").write_bytes(chunks["vendor"].source)
    (tmp_path / "pad.js").write_bytes(padding(40))
    script = tmp_path / "run.js"
    script.write_text(
        "global.window = global; global.requestIdleCallback = (f) => setTimeout(f, 0);\n"
        f"require({str(tmp_path / 'vendor.js')!r}); require({str(tmp_path / 'pad.js')!r});\n"
        "setTimeout(() => { const m = window.__bigdayModules; "
        "console.log(JSON.stringify({ran: m.__ran, errors: m.__errors, fns: Object.keys(m).length - 2})); }, 500);\n"
    )
    out = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60, check=True).stdout
    result = json.loads(out)
    # Each module defines its functions at two-space indent, plus its own `run` helper.
    defined = sum(src.count(b"\n  function ") - 1 for src in (chunks["vendor"].source, padding(40)))
    assert result["errors"] == 0
    assert result["ran"] == defined > 500  # every generated function was called once
