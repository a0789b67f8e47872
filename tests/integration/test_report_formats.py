"""The file formats against their specifications: JUnit against the Ant schema, Markdown as CommonMark with GFM
tables, the PR comment's size, the answer and its reasons, and hostile names escaped."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import xmlschema
from markdown_it import MarkdownIt

from bigday.compare.engine import CompareOptions, compare_run
from bigday.report.markdown import PR_COMMENT_MARKER
from bigday.report.render import RenderOptions, render
from bigday.runfolder import utc_now
from bigday.settings.scenario import load_scenario
from bigday.store.engine import open_store
from bigday.store.synthetic import write_probe_run

# Its module fixture is costly: every test of this file on one xdist worker, so it is built once.
pytestmark = pytest.mark.xdist_group("report_formats")

SCENARIO = load_scenario()
SCHEMA = xmlschema.XMLSchema(Path(__file__).parents[1] / "data" / "junit-ant.xsd")
HOSTILE = '<img src=x onerror=alert(1)> "onmouseover= </script>'
GITHUB_COMMENT_LIMIT = 65_536


def _pages(rng: np.random.Generator, n: int, lcp: float, runs: int) -> dict:
    return {
        f"page-{i}": {
            "lcp": list(lcp * (1 + 0.03 * rng.standard_normal(runs))),
            "fcp": list(rng.normal(500, 10, runs)),
            "ttfb": list(rng.normal(40, 2, runs)),
            "cls": [0.01] * runs,
            "tbt": list(rng.normal(30, 3, runs)),
            "inp": list(rng.normal(80, 5, runs)),
        }
        for i in range(n)
    }


@pytest.fixture(scope="module")
def twenty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A judged run of 20 pages against a baseline, some slower, one hostile page name."""
    tmp = tmp_path_factory.mktemp("twenty")
    rng = np.random.default_rng(3)
    with open_store(str(tmp / "s.sqlite")) as store:
        base = write_probe_run(tmp, _pages(rng, 20, 1000, 8), started_at=utc_now() - timedelta(days=1), run_id="base")
        compare_run(store, base, SCENARIO, CompareOptions(notify=False))
        pages = _pages(rng, 20, 1300, 8)
        pages[HOSTILE] = {"lcp": [2600.0] * 8, "cls": [0.01] * 8}
        cur = write_probe_run(tmp, pages, run_id="cur")
        compare_run(store, cur, SCENARIO, CompareOptions(notify=False))
    return cur


@pytest.fixture(scope="module")
def underpowered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three runs against three: a +60 % LCP change the rank test cannot confirm."""
    tmp = tmp_path_factory.mktemp("few")
    with open_store(str(tmp / "s.sqlite")) as store:
        base = write_probe_run(tmp, {"dashboard": {"lcp": [500.0, 900.0, 520.0]}},
                               started_at=utc_now() - timedelta(days=1), run_id="base")  # fmt: skip
        compare_run(store, base, SCENARIO, CompareOptions(notify=False))
        cur = write_probe_run(tmp, {"dashboard": {"lcp": [880.0, 510.0, 1500.0]}}, run_id="cur")
        compare_run(store, cur, SCENARIO, CompareOptions(notify=False))
    return cur


def test_junit_validates_against_the_ant_schema_with_measured_properties(twenty: Path) -> None:
    xml = render(twenty, "junit")
    SCHEMA.validate(xml)
    doc = SCHEMA.to_dict(xml)
    suite = doc["testsuite"][0]
    assert suite["@hostname"] and suite["@timestamp"] and float(suite["@time"]) >= 0
    names = {p["@name"] for suite in doc["testsuite"] for p in suite["properties"]["property"]}
    assert "bigday.answer" in names and any(n.endswith(".actual") for n in names)
    assert any(n.endswith(".interval") for n in names)
    assert "&lt;img" in xml and "<img" not in xml


def test_markdown_tables_parse_and_lead_with_the_answer(twenty: Path) -> None:
    md = render(twenty, "md")
    assert md.startswith("## bigday: ❌ NO-GO")
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    tables = [t for t in tokens if t.type == "table_open"]
    assert len(tables) >= 2
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) > 20
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "</script>" not in html


def test_the_pr_comment_is_marked_compact_and_parses(twenty: Path) -> None:
    comment = render(twenty, "md", RenderOptions(pr_comment=True))
    assert comment.startswith(PR_COMMENT_MARKER)
    assert len(comment) < GITHUB_COMMENT_LIMIT
    assert "Against the baseline" in comment and "regression" in comment
    tokens = MarkdownIt("commonmark").enable("table").parse(comment)
    assert any(t.type == "table_open" for t in tokens)


def test_a_large_change_too_few_runs_could_show_is_inconclusive_not_green(underpowered: Path) -> None:
    doc = json.loads(render(underpowered, "json"))
    assert doc["answer"]["decision"] == "inconclusive"
    reason = doc["answer"]["reasons"][0]
    assert reason["status"] == "inconclusive" and "too few runs" in reason["text"]
    md = render(underpowered, "md")
    row = next(line for line in md.splitlines() if "| regression | dashboard | lcp |" in line)
    assert "✅" not in row and "too few runs" in row


def test_numbers_carry_units_and_sane_precision(twenty: Path) -> None:
    text = render(twenty, "terminal") + render(twenty, "md")
    assert "e+0" not in text and "99999" not in text and "00000" not in text
    assert " ms" in text
