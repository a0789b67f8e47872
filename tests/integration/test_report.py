"""Every report format renders a judged run, and says what failed with its numbers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from bigday.compare.engine import CompareOptions, compare_run
from bigday.errors import ConfigError
from bigday.report.render import render
from bigday.runfolder import utc_now
from bigday.settings.scenario import load_scenario
from bigday.store.engine import open_store
from bigday.store.synthetic import write_probe_run

# Its module fixture is costly: every test of this file on one xdist worker, so it is built once.
pytestmark = pytest.mark.xdist_group("report")

SCENARIO = load_scenario()


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(1)

    def pages(lcp: float) -> dict:
        return {
            p: {
                "lcp": list(lcp * (1 + 0.03 * rng.standard_normal(10))),
                "cls": [0.01] * 10,
                "fcp": list(rng.normal(500, 10, 10)),
            }
            for p in ("dashboard", "clients")
        }

    with open_store(str(tmp / "s.sqlite")) as store:
        base = write_probe_run(tmp, pages(1000), started_at=utc_now() - timedelta(days=1), run_id="base")
        compare_run(store, base, SCENARIO, CompareOptions(notify=False))
        cur = write_probe_run(
            tmp,
            pages(1250) | {"dashboard": {"lcp": [2600.0] * 10, "cls": [0.01] * 10, "fcp": [500.0] * 10}},
            run_id="cur & <co>",
        )
        compare_run(store, cur, SCENARIO, CompareOptions(notify=False))
    return cur


def test_terminal_names_failures_with_numbers(judged: Path) -> None:
    text = render(judged, "terminal")
    assert text.startswith("bigday: NO-GO: ")
    assert "bigday compare cur & <co>: FAIL (exit 1)" in text
    assert re.search(r"FAIL \[threshold\] dashboard lcp p95 2,600 ms > 2,000 ms \(error, n=10\)", text)
    assert re.search(r"FAIL \[regression\] clients lcp: regression \+2\d\.\d% \[\+\d+\.\d%, \+\d+\.\d%\]", text)
    assert "alerts: #" in text


def test_markdown_has_a_row_per_judged_check(judged: Path) -> None:
    md = render(judged, "md")
    assert md.startswith("## bigday: ❌ NO-GO")
    assert "| ❌ | threshold | dashboard | lcp | p95 | 2,600 ms | 2,000 ms |" in md
    assert "alert(s)</summary>" in md and "Baseline branch:main: run base" in md


def test_junit_is_valid_and_counts_failures(judged: Path) -> None:
    root = ET.fromstring(render(judged, "junit"))
    verdicts = json.loads((judged / "verdicts.json").read_text())
    suites = list(root.iter("testsuite"))
    assert sum(int(x.get("failures")) for x in suites) == verdicts["counts"]["fail"] > 0
    assert sum(int(x.get("tests")) for x in suites) == len(verdicts["checks"])
    names = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert "threshold lcp p95" in names and "regression lcp median" in names


def test_json_report_bundles_manifest_verdicts_alerts(judged: Path) -> None:
    doc = json.loads(render(judged, "json"))
    assert doc["format"] == "bigday-report" and doc["verdicts"]["outcome"] == "fail"
    assert doc["manifest"]["run_id"] == "cur & <co>" and doc["alerts"]


def test_html_dashboard_is_self_contained_and_escaped(judged: Path) -> None:
    html = render(judged, "html")
    assert html.startswith("<!doctype html>") and "echarts" in html and "</html>" in html
    assert "cur &amp; &lt;co&gt;" in html and "<co>" not in html  # the data is JSON with < escaped
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no external requests
    assert "default-src 'none'" in html  # and the page's own policy forbids them


def test_cli_writes_reports_and_rejects_an_unjudged_run(judged: Path, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bigday", "report", str(judged), "--format", "html"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and Path(out.stdout.strip()) == judged / "dashboard.html"
    assert (judged / "dashboard.html").read_text().startswith("<!doctype html>")
    raw = write_probe_run(tmp_path, {"dashboard": {"lcp": [1.0]}}, run_id="unjudged")
    with pytest.raises(ConfigError, match="bigday compare"):
        render(raw, "md")
    bad = subprocess.run(
        [sys.executable, "-m", "bigday", "report", str(raw), "--format", "md"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
