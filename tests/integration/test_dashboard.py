"""The dashboard in headless Chromium: real runs of the real CLI, opened from disk.

Each dashboard must load with no console error and no request but the file itself, every section present must
hold a chart with data points (counted in the ECharts option), and no value axis of a non-negative metric may
start below zero.  Also: the janky page's NO-GO, hostile names staying text, and a tenant's view holding
nothing of the other tenants.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser

from bigday.compare.engine import CompareOptions, compare_run
from bigday.runfolder import RunFolder, read_alerts, read_answer
from bigday.settings.scenario import load_scenario
from bigday.store.engine import open_store
from bigday.store.synthetic import write_probe_run
from tests.conftest import run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = ["<img src=x onerror=alert(1)>", '"onmouseover=alert(2) x="', "</script><script>alert(3)</script>"]
CHART_SECTIONS = ("pages", "under-load", "trends", "load-saturday", "load-isolation", "isolation", "capacity")


@pytest.fixture(scope="module")
def browser(bigday_browser: Browser) -> Browser:
    # The session's Chromium: a second sync Playwright cannot start on this thread once the session's runs.
    return bigday_browser


def open_dashboard(browser: Browser, path: Path) -> dict:
    """Load the file; what it logged, requested and drew."""
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.absolute().as_uri())
    # A selector, not a JavaScript predicate: polling a predicate evals it, which the page's CSP forbids.
    page.wait_for_selector("body[data-all-rendered]", state="attached", timeout=20_000)
    assert page.evaluate("window.bigdayCharts.every(c => c.chart && c.el.dataset.drawn === '1')")
    page.mouse.move(400, 300)  # hover the first chart: tooltips are built then
    drawn = page.evaluate(
        """() => ({
          sections: [...document.querySelectorAll('section.section')].map(s => s.id),
          charts: window.bigdayCharts.map(c => ({section: c.section, points: c.points})),
          lowest: window.bigdayCharts.map(c => {
            const m = c.chart.getModel(); const out = [];
            for (const kind of ['xAxis', 'yAxis']) {
              (m.getComponent(kind) ? m.queryComponents({mainType: kind}) : []).forEach(ax => {
                if (ax.get('type') === 'value') out.push(ax.axis.scale.getExtent()[0]);
              });
            }
            return out;
          }),
          text: document.body.innerText,
        })"""
    )
    page.close()
    return {"errors": errors, "requests": requests, "dialogs": dialogs, **drawn}


def assert_sound(d: dict, path: Path, expect: tuple[str, ...]) -> None:
    assert d["errors"] == [], d["errors"]
    assert d["requests"] == [path.absolute().as_uri()], d["requests"]
    assert d["dialogs"] == []
    for section in expect:
        assert section in d["sections"], (section, d["sections"])
    for section in d["sections"]:
        if section in CHART_SECTIONS:
            charts = [c for c in d["charts"] if c["section"] == section]
            assert charts and all(c["points"] > 0 for c in charts), (section, charts)
    # The answer's chart is signed by design (how far past its bound, 0 = the bound; an inconclusive reason may sit
    # inside it); every other value axis holds a non-negative metric.
    for chart, lows in zip(d["charts"], d["lowest"], strict=True):
        assert chart["section"] == "answer" or all(lo >= 0 for lo in lows), (chart, d["lowest"])


def _run(tmp: Path, *args: str) -> tuple[int, str, Path]:
    r = run_cli("run", "--results-dir", str(tmp), "--store", str(tmp / "s.sqlite"), *args)
    assert r.returncode in (0, 1, 3), r.stderr
    m = re.search(r"^dashboard: (.+)$", r.stdout, re.MULTILINE)
    assert m, r.stdout
    return r.returncode, r.stdout, Path(m.group(1))


def test_a_probe_run_with_a_baseline(browser: Browser, tmp_path: Path) -> None:
    env_args = ("--pages", "dashboard", "--runs", "3", "--accessibility", "off")
    _run(tmp_path, *env_args)
    code, out, dash = _run(tmp_path, *env_args)
    lines = out.strip().splitlines()
    assert lines[-2].startswith("bigday: ") and lines[-1] == f"dashboard: {dash}"  # the answer, then the path
    answer = read_answer(RunFolder(dash.parent))
    assert answer is not None and answer.decision.label in lines[-2]
    d = open_dashboard(browser, dash)
    assert_sound(d, dash, ("pages", "trends", "environment"))
    assert "baseline median" in d["text"]


def test_a_failing_janky_run_is_no_go_with_a_high_alert(browser: Browser, tmp_path: Path) -> None:
    args = ("--pages", "dashboard", "--runs", "3", "--knob", "jank=200", "--knob", "jank_every=100")
    code, out, dash = _run(tmp_path, *args, "--accessibility", "off")
    assert code == 1
    assert "bigday: NO-GO" in out
    alerts = read_alerts(RunFolder(dash.parent))
    assert alerts is not None
    # At least high: the busy loop's FID lands in the high band on a quiet machine, past critical on a busy one.
    assert any(a.type == "threshold_breach" and a.severity in ("high", "critical") for a in alerts.alerts), alerts
    d = open_dashboard(browser, dash)
    assert_sound(d, dash, ("answer", "pages", "alerts"))
    # -q and --json are about the output's shape: one janky run each is NO-GO too, and half the page time.
    one = (*args[:2], "--runs", "1", *args[4:], "--accessibility", "off")
    quiet = run_cli("run", "--results-dir", str(tmp_path), "--store", str(tmp_path / "s.sqlite"), *one, "-q")
    assert quiet.returncode == 1 and quiet.stdout.count("\n") == 1 and quiet.stdout.startswith("bigday: NO-GO")
    doc = run_cli("run", "--results-dir", str(tmp_path), "--store", str(tmp_path / "s.sqlite"), *one, "--json")
    assert json.loads(doc.stdout)["answer"]["decision"] == "no-go"


@pytest.mark.load
def test_a_load_rehearsal_run_and_the_history(browser: Browser, tmp_path: Path) -> None:
    code, out, dash = _run(
        tmp_path, "--pages", "dashboard", "--runs", "3", "--accessibility", "off",
        "--load", "--rehearsal", "--time-scale", "0.05", "--peak-users", "20",
    )  # fmt: skip
    answer = read_answer(RunFolder(dash.parent))
    assert answer is not None and {r.role for r in answer.runs} == {"probe", "saturday", "isolation", "under_load"}
    d = open_dashboard(browser, dash)
    assert_sound(d, dash, ("pages", "under-load", "load-saturday", "load-isolation", "isolation", "environment"))
    assert "Locust's own report" in d["text"]

    # The history of the same store, and a tenant's view of it and of the run.
    hist = run_cli("dashboard", "--results-dir", str(tmp_path), "--store", str(tmp_path / "s.sqlite"),
                   "--out", str(tmp_path / "site"))  # fmt: skip
    assert hist.returncode == 0, hist.stderr
    page = tmp_path / "site" / "dashboard.html"
    h = open_dashboard(browser, page)
    assert_sound(h, page, ("trends", "runs"))
    trends = run_cli("trends", "--results-dir", str(tmp_path), "--store", str(tmp_path / "s.sqlite"))
    assert trends.returncode == 0 and "dashboard" in trends.stdout and "lcp" in trends.stdout

    r = run_cli("report", str(dash.parent), "--format", "html", "--tenant", "lumen")
    assert r.returncode == 0, r.stderr
    lumen = Path(r.stdout.strip())
    text = lumen.read_text()
    for other in ("everafter", "Everafter", "petal", "Petal"):
        assert other not in text
    assert_only_lumen_numbers(text, tmp_path, dash.parent, tmp_path.parent / (tmp_path.name + "-copy"))
    assert_sound(open_dashboard(browser, lumen), lumen, ("isolation",))


def _embedded_data(html: str) -> object:
    match = re.search(r'<script id="bigday-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the dashboard embeds its data"
    return json.loads(match[1])


def _skew_other_tenants(results: Path, others: tuple[str, ...]) -> None:
    """Change every figure the other tenants' requests produced, in place: their stats rows and raw samples."""
    for folder in results.iterdir():
        stats_file = folder / "load_stats.json"
        if not stats_file.is_file():
            continue
        doc = json.loads(stats_file.read_text())
        for row in doc["stats"]:
            if row["tenant"] in others:
                row["count"] = int(row["count"] * 1.37) + 3
                row["error_rate"] = row["error_rate"] * 0.5
                for key in ("rps", "p50", "p95", "p99", "max", "mean"):
                    if isinstance(row.get(key), (int, float)):
                        row[key] = row[key] * 1.37 + 3
        for verdict in doc.get("verdicts", []):
            if isinstance(verdict.get("aggressor_requests_in_spike"), int):
                verdict["aggressor_requests_in_spike"] = int(verdict["aggressor_requests_in_spike"] * 1.37) + 3
        stats_file.write_text(json.dumps(doc))
        samples = folder / "load_samples.csv.gz"
        if samples.is_file():
            with gzip.open(samples, "rt", newline="") as f:
                rows = list(csv.reader(f))
            col = rows[0].index("response_ms")
            for r in rows[1:]:
                if r[0] in others:
                    r[col] = f"{float(r[col]) * 1.37 + 3:.3f}"
            with gzip.open(samples, "wt", newline="") as f:
                csv.writer(f).writerows(rows)


def assert_only_lumen_numbers(lumen_html: str, results: Path, run: Path, tmp: Path) -> None:
    """No figure that only the other tenants' requests produce is in lumen's file: rendered again from a copy of
    the results in which every one of their figures is changed, lumen's file carries the very same data."""
    copy = tmp / "skewed"
    shutil.copytree(results, copy, ignore=shutil.ignore_patterns("*.sqlite*"))
    _skew_other_tenants(copy, ("everafter", "petal"))
    r = run_cli("report", str(copy / run.name), "--format", "html", "--tenant", "lumen", "--output", "-")
    assert r.returncode == 0, r.stderr
    strip = {"run_dir", "path", "generated_at"}

    def comparable(value: object) -> object:
        if isinstance(value, dict):
            return {k: comparable(v) for k, v in value.items() if k not in strip}
        if isinstance(value, list):
            return [comparable(v) for v in value]
        return value

    assert comparable(_embedded_data(r.stdout)) == comparable(_embedded_data(lumen_html))
    # The skew does reach what the whole-run dashboard shows, so the equality above can fail.
    whole = [
        run_cli("report", str(folder / run.name), "--format", "html", "--output", "-").stdout
        for folder in (results, copy)
    ]
    assert comparable(_embedded_data(whole[0])) != comparable(_embedded_data(whole[1]))


def test_hostile_names_stay_text(browser: Browser, tmp_path: Path) -> None:
    source = yaml.safe_load(Path(load_scenario().source).read_text())
    source["tenants"][0]["name"] = " ".join(HOSTILE)
    source["pages"] = [dict(source["pages"][0], path="/dashboard?q=" + "".join(HOSTILE).replace("#", ""))]
    # The one page loads no forms chunk: a budget on it could never be judged, and compare would refuse it.
    source["budgets"] = [b for b in source["budgets"] if b["chunk"] != "forms"]
    scenario = tmp_path / "hostile.yaml"
    scenario.write_text(yaml.safe_dump(source))
    code, out, dash = _run(tmp_path, "--scenario", str(scenario), "--runs", "3", "--accessibility", "off")
    d = open_dashboard(browser, dash)
    assert_sound(d, dash, ("pages",))
    assert "<img src=x onerror=alert(1)>" in d["text"]  # shown as text
    html = dash.read_text()
    assert "<img src=x" not in html and "</script><script>alert" not in html
    synthetic = write_probe_run(
        tmp_path,
        {HOSTILE[0]: {"lcp": [2600.0] * 3}, HOSTILE[2]: {"lcp": [900.0] * 3}},
        run_id="hostile-" + HOSTILE[1].replace('"', "").replace(" ", "_").replace("=", "-"),
    )
    with open_store(str(tmp_path / "s.sqlite")) as store:
        compare_run(store, synthetic, load_scenario(), CompareOptions(notify=False))
    r = run_cli("report", str(synthetic), "--format", "html")
    assert r.returncode == 0, r.stderr
    page = Path(r.stdout.strip())
    d = open_dashboard(browser, page)
    assert_sound(d, page, ("pages",))
    assert HOSTILE[0] in d["text"] and HOSTILE[2] in d["text"]
    assert "<img src=x" not in page.read_text()
    for fmt in ("md", "junit"):
        r = run_cli("report", str(synthetic), "--format", fmt, "-o", "-")
        assert r.returncode == 0
        assert "<img src=x" not in r.stdout and "<script>" not in r.stdout
    for fmt in ("md", "junit"):
        r = run_cli("report", str(dash.parent), "--format", fmt, "-o", "-")
        assert r.returncode == 0
        assert "<img src=x" not in r.stdout and "<script>" not in r.stdout


def test_the_monitors_history_with_a_maintenance_window_shaded(browser: Browser, tmp_path: Path) -> None:
    from datetime import timedelta

    from bigday.monitor import maintenance
    from bigday.monitor.synthetic import HistorySpec, write_history
    from bigday.runfolder import utc_now

    scenario = load_scenario()
    with open_store(str(tmp_path / "s.sqlite")) as store:
        write_history(store, scenario, HistorySpec(start=utc_now() - timedelta(days=4), days=4, every_s=3600))
        start = utc_now() - timedelta(days=2)
        maintenance.add_window(store, start, start + timedelta(hours=3), ("dashboard",), "db move", "ops", scenario)
    r = run_cli("dashboard", "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "site"))
    assert r.returncode == 0, r.stderr
    page = tmp_path / "site" / "dashboard.html"
    d = open_dashboard(browser, page)
    assert_sound(d, page, ("trends", "runs"))
    text = page.read_text()
    # Every trend chart carries the window (the monitor's checks are a probe run's pages too).
    payload = json.loads(re.search(r'id="bigday-data" type="application/json">(.*?)</script>', text).group(1))  # type: ignore[union-attr]
    metrics = payload["trends"]["metrics"]
    assert metrics and all(
        [w[2:] for w in m["maintenance"]] == [[["dashboard"], "maintenance: db move"]] for m in metrics
    )


def test_a_capacity_searchs_dashboard_charts_p95_and_errors_against_the_load(browser: Browser, tmp_path: Path) -> None:
    """The search's own folder (as `bigday load capacity` writes it; the search itself runs for real in
    test_locust_runs.py): its dashboard charts every step's plateau p95, p99 and errors against the level, with
    the SLA, the error bound and the bracket, and the other formats carry the same steps."""
    from dataclasses import replace
    from datetime import timedelta

    from bigday.load.capacity import write_search
    from bigday.load.rehearsal import LoadOptions
    from bigday.runfolder import CapacityResult, CapacityStep, Status, utc_now

    def step(rate: float, status: Status, p95: float, errors: float) -> CapacityStep:
        return CapacityStep(
            users=int(4 * rate), arrival_rate=rate, run_id=f"step-{rate:g}", status=status, trustworthy=True,
            count=1000, rps=2 * rate, p95_ms=p95, p99_ms=1.5 * p95, error_rate=errors,
            reasons=() if status is Status.PASS else ("plateau p95 1,480 ms exceeds the SLA of 1000 ms",),
        )  # fmt: skip

    steps = (
        step(10, Status.PASS, 120, 0),
        step(15, Status.PASS, 240, 0.001),
        step(22.5, Status.FAIL, 1480, 0.02),
        step(18.8, Status.PASS, 610, 0.004),
        replace(step(18.8, Status.PASS, 590, 0.003), run_id="step-18.8-again", rechecks="step-18.8"),
    )
    result = CapacityResult(
        status=Status.PASS, reason="holds 18.8/s and breaks by 22.5/s (...)", p95_sla_ms=1000.0,
        max_error_rate=0.01, steps=steps, by="arrival_rate", holds_users=75, breaks_users=90, holds_rate=18.8,
        breaks_rate=22.5, stopped_because="a plateau broke", elapsed_s=131.0,
    )  # fmt: skip
    folder = write_search(load_scenario(), LoadOptions(results_dir=tmp_path), result, utc_now() - timedelta(minutes=3))
    r = run_cli("report", str(folder.path), "--format", "html")
    assert r.returncode == 0, r.stderr
    page = Path(r.stdout.strip())
    assert page == folder.path / "dashboard.html"
    d = open_dashboard(browser, page)
    assert_sound(d, page, ("capacity", "environment"))
    (chart,) = [c for c in d["charts"] if c["section"] == "capacity"]
    assert chart["points"] == 3 * len(steps)  # p95, p99 and errors at every level
    assert "PASS" in d["text"] and "holds 18.8/s and breaks by 22.5/s" in d["text"]
    # The table lists the levels in order, and which step tried each.
    assert d["text"].index("18.8 (75)") < d["text"].index("22.5 (90)") and "step 4" in d["text"]
    assert "step 5 (re-measure of step-18.8)" in d["text"]  # the held level run once more
    md = run_cli("report", str(folder.path), "--format", "md", "-o", "-")
    assert md.returncode == 0 and "| 4 | 18.8/s \\(75 users\\) | PASS | 610 ms |" in md.stdout, md.stdout
    assert "| 5 | 18.8/s \\(75 users\\) | PASS \\(re-measure of step-18.8\\) | 590 ms |" in md.stdout, md.stdout
    doc = run_cli("report", str(folder.path), "--format", "json", "-o", "-")
    assert json.loads(doc.stdout)["holds_rate"] == 18.8
    for args, message in (
        (("--tenant", "lumen"), "--tenant: "),
        (("--format", "junit"), "--format junit: a capacity search's answer is a level"),
    ):
        bad = run_cli("report", str(folder.path), *args, "-o", "-")
        assert bad.returncode == 2 and message in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
