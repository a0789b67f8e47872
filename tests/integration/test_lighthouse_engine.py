"""``--engine both``: the pinned Lighthouse beside bigday's probe in one run folder and store, with
thresholds on either engine, and no screenshot of Lighthouse's in the samples or the store."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from bigday.cli.common import app_under_test
from bigday.compare.engine import CompareOptions, compare_run
from bigday.probe.runner import ProbeOptions, probe_app
from bigday.runfolder import RunFolder, read_lighthouse_report, read_probe_summary
from bigday.settings.scenario import parse_scenario
from bigday.store.engine import open_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GATES = """
thresholds:
  - {metric: performance_score, aggregate: median, bound: 95, level: error}
  - {metric: accessibility_score, aggregate: median, bound: 98, level: error, engine: lighthouse}
  - {metric: si, aggregate: median, bound: 5000ms, level: warn, engine: lighthouse}
"""


def test_lighthouse_beside_the_probe(tmp_path, bigday_browser, bigday_scenario):
    text_ = bigday_scenario.source.read_text()
    head, _, rest = text_.partition("\nthresholds:\n")
    path = tmp_path / "s.yaml"
    path.write_text(head + GATES + "\nalert_bands:" + rest.partition("\nalert_bands:")[2])
    scenario = parse_scenario(path.read_text(), path)
    with app_under_test(None, scenario) as app:
        options = ProbeOptions(
            scenario=scenario,
            results_dir=tmp_path / "results",
            runs=1,
            pages=("dashboard",),
            knobs=(("a11y", "1"),),
            profile="lighthouse-desktop",
            engine="both",
        )
        outcome = probe_app(options, app, browser=bigday_browser)
    assert outcome.complete, outcome.missing
    folder = RunFolder.open(outcome.folder.path)
    samples = folder.read("samples.json")["samples"]
    assert [s["engine"] for s in samples] == ["bigday", "lighthouse"]
    ours, theirs = samples
    report = read_lighthouse_report(folder, theirs["details"]["report"])
    assert report["lighthouseVersion"] == "12.2.3"
    assert report["configSettings"]["throttlingMethod"] == "devtools"
    assert report["configSettings"]["throttling"]["requestLatencyMs"] == 0  # the desktop preset, exactly
    # Lighthouse's report keeps its screenshots; nothing of them reaches samples.json.
    assert "data:image" in json.dumps(
        report["audits"].get("screenshot-thumbnails") or report["audits"]["final-screenshot"]
    )
    assert "data:image" not in json.dumps(samples) and "base64" not in json.dumps(samples)
    for name in ("performance_score", "accessibility_score", "lcp", "fcp", "si", "tbt", "cls"):
        assert theirs["metrics"][name] is not None, name
    # The injected violations: both engines fail the same audits and so give the same score.
    assert ours["metrics"]["accessibility_score"] == theirs["metrics"]["accessibility_score"] < 98
    failed = {a["audit"] for a in theirs["details"]["accessibility"]["failed_audits"]}
    assert failed == {a["audit"] for a in ours["details"]["accessibility"]["failed_audits"]}
    assert {"image-alt", "button-name", "color-contrast"} <= failed
    summary = read_probe_summary(folder)
    assert summary.engines is not None and "dashboard" in summary.engines["lighthouse"]
    assert summary.accessibility is not None and summary.accessibility["dashboard"].engine == "bigday"

    store_path = tmp_path / "store.sqlite"
    with open_store(str(store_path)) as store:
        verdicts = compare_run(store, folder.path, scenario, CompareOptions(notify=False))
        with store.begin() as conn:
            engines = {r[0] for r in conn.execute(text("SELECT DISTINCT engine FROM samples"))}
    assert engines == {"bigday", "lighthouse"}
    assert b"data:image" not in store_path.read_bytes()
    by = {(c.metric, c.engine): c for c in verdicts.checks if c.kind == "threshold" and c.source == "scenario"}
    assert by[("accessibility_score", "lighthouse")].status == "fail"  # Lighthouse's own value gates
    assert by[("accessibility_score", "lighthouse")].actual == theirs["metrics"]["accessibility_score"]
    assert by[("performance_score", None)].actual == ours["metrics"]["performance_score"]
    assert by[("si", "lighthouse")].status == "pass"
