"""The comparator's statistics and check mapping, on numbers whose answers are known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from bigday.compare.checks import SourcedThreshold, band_severity, threshold_checks
from bigday.compare.effects import compare_samples, effect_rule
from bigday.compare.lighthouse import read_budget_json, read_lighthouserc, score_to_value
from bigday.compare.regression import regression_checks
from bigday.compare.rundata import RunData
from bigday.errors import ConfigError
from bigday.metrics import Direction
from bigday.runfolder import Manifest, RegressionLabel, RunKind, Status, utc_now
from bigday.settings.scenario import AlertBand, RegressionPolicy, Threshold, load_scenario
from bigday.stats import aggregate, benjamini_hochberg

FAIL, PASS, SKIPPED, WARN = Status.FAIL, Status.PASS, Status.SKIPPED, Status.WARN
IMPROVEMENT, NEUTRAL, REGRESSION = RegressionLabel.IMPROVEMENT, RegressionLabel.NEUTRAL, RegressionLabel.REGRESSION
POLICY = RegressionPolicy()
SCENARIO = load_scenario()


def test_benjamini_hochberg_matches_scipy() -> None:
    p = np.random.default_rng(0).uniform(0, 0.2, 40)
    assert np.allclose(benjamini_hochberg(list(p)), false_discovery_control(p, method="bh"))
    assert benjamini_hochberg([]) == []


def test_aggregates_are_named() -> None:
    v = np.arange(1.0, 101.0)
    assert aggregate(v, "median") == 50.5 and aggregate(v, "p95") == pytest.approx(95.05)
    assert aggregate(v, "max") == 100 and aggregate(v, "min") == 1 and aggregate(v, "mean") == 50.5


def test_effect_rules_follow_the_regression_policy() -> None:
    assert (effect_rule("lcp", POLICY).kind, effect_rule("lcp", POLICY).minimum) == ("ratio", 0.10)
    assert (effect_rule("cls", POLICY).kind, effect_rule("cls", POLICY).minimum) == ("difference", 0.02)
    assert (effect_rule("performance_score", POLICY).kind, effect_rule("performance_score", POLICY).minimum) == (
        "difference",
        5.0,
    )


def test_identical_constant_samples_are_neutral() -> None:
    c = compare_samples(np.full(10, 5.0), np.full(10, 5.0), effect_rule("js_bytes", POLICY))
    assert c.constant and c.p_greater == c.p_less == 1.0 and c.effect == 0.0 and c.interval == (0.0, 0.0)


def test_constant_comparisons_do_not_dilute_the_fdr_family() -> None:
    rng = np.random.default_rng(9)
    base = {("p", "lcp"): 1000 * (1 + 0.05 * rng.standard_normal(10))}
    cur = {("p", "lcp"): base[("p", "lcp")][::-1] * 1.12}
    alone = {c.metric: c for c in regression_checks(cur, base, POLICY)}["lcp"].comparison.q_value
    padded_base = base | {("p", f"c{i}"): np.zeros(10) for i in range(20)}
    padded_cur = cur | {("p", f"c{i}"): np.zeros(10) for i in range(20)}
    padded = {c.metric: c for c in regression_checks(padded_cur, padded_base, POLICY)}["lcp"].comparison.q_value
    assert padded == alone
    noisy_base = base | {(f"page{i}", "lcp"): rng.normal(1000, 50, 10) for i in range(20)}
    noisy_cur = cur | {(f"page{i}", "lcp"): rng.normal(1000, 50, 10) for i in range(20)}
    diluted = {(c.page, c.metric): c for c in regression_checks(noisy_cur, noisy_base, POLICY)}[
        ("p", "lcp")
    ].comparison.q_value
    assert diluted > alone  # real gated comparisons, on any page of the run, count towards the family
    info_base = base | {("p", f"n{i}"): rng.normal(100, 5, 10) for i in range(20)}
    info_cur = cur | {("p", f"n{i}"): rng.normal(100, 5, 10) for i in range(20)}
    checks = {c.metric: c for c in regression_checks(info_cur, info_base, POLICY)}
    assert (
        checks["lcp"].comparison.q_value == alone
        and checks["lcp"].comparison.gated
        and not checks["n0"].comparison.gated
    )


def test_only_the_policy_metrics_fail_the_run() -> None:
    base = {("p", "ttfb"): np.linspace(20, 22, 10), ("p", "lcp"): np.linspace(1000, 1020, 10)}
    cur = {("p", "ttfb"): np.linspace(40, 44, 10), ("p", "lcp"): np.linspace(1300, 1330, 10)}
    checks = {c.metric: c for c in regression_checks(cur, base, POLICY)}
    assert checks["ttfb"].comparison.label == REGRESSION and checks["ttfb"].status == WARN
    assert checks["lcp"].comparison.label == REGRESSION and checks["lcp"].status == FAIL


def _trials(shift: float, trials: int, seed: int) -> list[str]:
    """Labels of LCP comparisons of 10 vs 10 runs with 5 % noise and a relative shift (one page, 6 metrics)."""
    rng = np.random.default_rng(seed)
    labels = []
    for _ in range(trials):

        def side(k: float) -> dict[tuple[str, str], np.ndarray]:
            return {
                ("home", "lcp"): 1500 * k * (1 + 0.05 * rng.standard_normal(10)),
                ("home", "fcp"): 600 * (1 + 0.05 * rng.standard_normal(10)),
                ("home", "ttfb"): 4 * (1 + 0.3 * rng.standard_normal(10)),
                ("home", "cls"): rng.uniform(0, 0.02, 10),
                ("home", "performance_score"): np.round(97 + rng.standard_normal(10)),
                ("home", "js_bytes"): np.full(10, 420_000.0),
            }

        checks = regression_checks(side(1 + shift), side(1.0), POLICY)
        regressions = [c.metric for c in checks if c.comparison.label == REGRESSION]
        labels.append("regression" if "lcp" in regressions else ("false" if regressions else "none"))
    return labels


def test_aa_rarely_cries_wolf_and_a_15_percent_lcp_step_is_caught() -> None:
    aa = _trials(0.0, 200, seed=1)
    assert sum(x != "none" for x in aa) <= 4  # <= 2 % of A/A trials raise anything at all
    power = _trials(0.15, 200, seed=2)
    assert sum(x == "regression" for x in power) >= 190


def test_regression_labels_carry_effect_interval_and_q() -> None:
    rng = np.random.default_rng(3)
    base = {
        ("p", "lcp"): 1000 * (1 + 0.03 * rng.standard_normal(10)),
        ("p", "fcp"): 800 * (1 + 0.03 * rng.standard_normal(10)),
    }
    cur = {("p", "lcp"): base[("p", "lcp")] * 1.3, ("p", "fcp"): base[("p", "fcp")] * 0.7}
    checks = {c.metric: c for c in regression_checks(cur, base, POLICY)}
    assert checks["lcp"].comparison.label == REGRESSION and checks["lcp"].status == FAIL
    assert checks["lcp"].comparison.effect == pytest.approx(0.3, abs=0.01)
    lo, hi = checks["lcp"].comparison.interval
    assert lo <= checks["lcp"].comparison.effect <= hi and lo > 0.1
    assert checks["fcp"].comparison.label == IMPROVEMENT and checks["fcp"].status == PASS
    assert checks["lcp"].comparison.q_value is not None and checks["lcp"].comparison.q_value <= 0.05
    warn_only = {c.metric: c for c in regression_checks(cur, base, POLICY, fail_on_regression=False)}
    assert warn_only["lcp"].status == WARN


def test_a_significant_but_tiny_change_is_neutral() -> None:
    base = {("p", "lcp"): np.linspace(1000, 1010, 10)}
    cur = {("p", "lcp"): np.linspace(1040, 1050, 10)}  # +4 %: certain, but under the 10 % minimum effect
    (check,) = regression_checks(cur, base, POLICY)
    assert (
        check.comparison.label == NEUTRAL and check.comparison.p_value is not None and check.comparison.p_value < 0.001
    )


def test_too_few_samples_are_skipped_not_passed() -> None:
    (check,) = regression_checks({("p", "lcp"): np.array([1.0, 2.0])}, {("p", "lcp"): np.ones(10)}, POLICY)
    assert check.status == SKIPPED


def _run_data(values: dict[tuple[str, str], list[float]]) -> RunData:
    pages = tuple(dict.fromkeys(p for p, _ in values))
    return RunData(
        Manifest(run_id="r", kind=RunKind.PROBE, started_at=utc_now(), complete=True, status="ok"),
        {k: np.asarray(v) for k, v in values.items()},
        {},
        pages,
        0,
    )


def test_thresholds_judge_the_named_aggregate_and_skip_unmeasured() -> None:
    data = _run_data({("home", "lcp"): [1000] * 8 + [2600] * 2, ("home", "cls"): [0.01] * 10})
    ts = [
        SourcedThreshold(Threshold("lcp", "p95", 2000, "error", Direction.LOWER_IS_BETTER)),
        SourcedThreshold(Threshold("lcp", "median", 2000, "error", Direction.LOWER_IS_BETTER)),
        SourcedThreshold(Threshold("inp", "p75", 200, "warn", Direction.LOWER_IS_BETTER)),
        SourcedThreshold(Threshold("cls", "p75", 0.005, "warn", Direction.LOWER_IS_BETTER)),
    ]
    by = {(c.metric, c.aggregate): c for c in threshold_checks(data, ts)}
    assert by[("lcp", "p95")].status == FAIL and by[("lcp", "median")].status == PASS
    assert by[("inp", "p75")].status == SKIPPED and by[("cls", "p75")].status == WARN


def test_a_threshold_on_lighthouse_judges_lighthouses_values() -> None:
    ours = {("home", "performance_score"): np.array([97.0, 96.0, 98.0])}
    theirs = {("home", "performance_score"): np.array([88.0, 90.0, 91.0])}
    data = RunData(
        Manifest(run_id="r", kind=RunKind.PROBE, started_at=utc_now(), complete=True, status="ok"),
        ours,
        {},
        ("home",),
        0,
        engine="bigday",
        engine_values={"bigday": ours, "lighthouse": theirs},
    )
    bound = dict(metric="performance_score", aggregate="median", bound=95, level="error")
    mine, lh = threshold_checks(
        data,
        [
            SourcedThreshold(Threshold(**bound, direction=Direction.HIGHER_IS_BETTER)),
            SourcedThreshold(Threshold(**bound, direction=Direction.HIGHER_IS_BETTER, engine="lighthouse")),
        ],
    )
    assert mine.status == PASS and mine.engine is None
    assert lh.status == FAIL and lh.engine == "lighthouse" and "[lighthouse]" in lh.message and lh.actual == 90


def test_severity_comes_from_the_alert_bands() -> None:
    bands = dict(SCENARIO.alert_bands)
    assert band_severity("lcp", 2500, bands) == "high" and band_severity("lcp", 3100, bands) == "critical"
    assert band_severity("lcp", 1900, bands) is None and band_severity("inp", 900, bands) is None
    higher = {"performance_score": AlertBand("performance_score", 90, 50, Direction.HIGHER_IS_BETTER)}
    assert band_severity("performance_score", 80, higher) == "high"


def _write(tmp: Path, name: str, data: object) -> Path:
    p = tmp / name
    p.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return p


def test_lighthouse_budget_json_maps_timings_and_sizes(tmp_path: Path) -> None:
    budget = _write(
        tmp_path,
        "budget.json",
        [
            {
                "path": "/dashboard",
                "timings": [
                    {"metric": "largest-contentful-paint", "budget": 2500},
                    {"metric": "interactive", "budget": 5000},
                ],
                "resourceSizes": [
                    {"resourceType": "script", "budget": 300},
                    {"resourceType": "image", "budget": 500},
                    {"resourceType": "third-party", "budget": 100},
                ],
                "resourceCounts": [{"resourceType": "font", "budget": 4}],
            }
        ],
    )
    checks = read_budget_json(budget, SCENARIO.pages)
    got = {(t.threshold.metric, t.threshold.aggregate, t.threshold.bound, t.threshold.pages) for t in checks.thresholds}
    assert ("lcp", "median", 2500.0, ("dashboard",)) in got
    assert ("js_bytes", "max", 300 * 1024.0, ("dashboard",)) in got
    assert ("resource.image.bytes", "max", 500 * 1024.0, ("dashboard",)) in got
    assert ("resource.font.count", "max", 4.0, ("dashboard",)) in got
    assert any("interactive" in u for u in checks.unsupported)
    assert any("third-party" in u for u in checks.unsupported)


def test_lighthouserc_assertions_map_onto_checks(tmp_path: Path) -> None:
    rc = _write(
        tmp_path,
        "lighthouserc.json",
        {
            "ci": {
                "assert": {
                    "preset": "lighthouse:recommended",
                    "assertions": {
                        "largest-contentful-paint": [
                            "error",
                            {"maxNumericValue": 2500, "aggregationMethod": "median-run"},
                        ],
                        "cumulative-layout-shift": [
                            "warn",
                            {"maxNumericValue": 0.1, "aggregationMethod": "pessimistic"},
                        ],
                        "categories:performance": ["error", {"minScore": 0.9}],
                        "categories.accessibility": "error",
                        "first-contentful-paint": "warn",
                        "uses-webp-images": "error",
                        "unused-javascript": "off",
                    },
                    "assertMatrix": [
                        {
                            "matchingUrlPattern": "gallery",
                            "assertions": {"total-blocking-time": ["error", {"maxNumericValue": 300}]},
                        }
                    ],
                }
            }
        },
    )
    checks = read_lighthouserc(rc, SCENARIO.pages, profile="desktop")
    got = {
        (t.threshold.metric, t.threshold.aggregate, round(t.threshold.bound, 3), t.threshold.level, t.threshold.pages)
        for t in checks.thresholds
    }
    every = tuple(p.name for p in SCENARIO.pages)
    assert ("lcp", "median", 2500.0, "error", every) in got
    assert ("cls", "max", 0.1, "warn", every) in got
    assert ("performance_score", "max", 90.0, "error", every) in got  # default aggregation: optimistic, the best run
    assert ("accessibility_score", "max", 90.0, "error", every) in got  # a bare level means minScore 0.9
    assert ("fcp", "min", 934.0, "warn", every) in got  # minScore 0.9 is the desktop p10 control point
    assert ("tbt", "min", 300.0, "error", ("photo-gallery",)) in got
    assert any("uses-webp-images" in u for u in checks.unsupported)
    assert not any("unused-javascript" in u for u in checks.unsupported)
    # The preset is expanded: what bigday measures becomes checks, the rest is named in one line.
    assert ("si", "min", 1311.0, "warn", every) in got  # speed-index warn at minScore 0.9
    assert ("audit:image-alt", "max", 0.9, "error", every) in got  # an axe audit: pass (1) in the best run
    assert ("audit:color-contrast", "max", 0.9, "error", every) in got
    assert ("console_errors", "min", 0.0, "error", every) in got  # errors-in-console maxLength 0
    [note] = [u for u in checks.unsupported if "lighthouse:recommended" in u]
    assert "have no bigday equivalent" in note and "dom-size" in note and "uses-long-cache-ttl" in note
    assert "image-alt" not in note.split(":", 2)[-1].split(", ")
    # The lighthouserc's own assertion replaces the preset's of the same audit (fcp: warn at 0.9, once).
    assert sum(1 for t in checks.thresholds if t.threshold.metric == "fcp") == 1


def test_lighthouserc_unknown_preset_is_refused(tmp_path: Path) -> None:
    rc = _write(tmp_path, "lighthouserc.json", {"ci": {"assert": {"preset": "lighthouse:fast"}}})
    with pytest.raises(ConfigError, match="preset.*lighthouse:recommended"):
        read_lighthouserc(rc, SCENARIO.pages)


def test_resource_summary_assertions_map_counts_and_sizes(tmp_path: Path) -> None:
    rc = _write(
        tmp_path,
        "lighthouserc.json",
        {
            "ci": {
                "assert": {
                    "assertions": {
                        "resource-summary:script:count": ["error", {"maxNumericValue": 6}],
                        "resource-summary:image:count": ["warn", {"maxNumericValue": 12}],
                        "resource-summary:image:size": ["error", {"maxNumericValue": 400_000}],
                        "resource-summary:third-party:count": ["error", {"maxNumericValue": 0}],
                    }
                }
            }
        },
    )
    checks = read_lighthouserc(rc, SCENARIO.pages)
    got = {(t.threshold.metric, t.threshold.bound, t.threshold.level) for t in checks.thresholds}
    assert got == {
        ("resource.script.count", 6.0, "error"),
        ("resource.image.count", 12.0, "warn"),
        ("resource.image.bytes", 400_000.0, "error"),
    }
    assert any("third-party" in u for u in checks.unsupported)


def test_budget_json_applies_only_the_last_matching_entry(tmp_path: Path) -> None:
    """Lighthouse picks one budget per page, the last whose path matches: /photos/* alone judges the gallery."""
    budget = _write(
        tmp_path,
        "budget.json",
        [
            {
                "path": "/*",
                "timings": [{"metric": "largest-contentful-paint", "budget": 1500}],
                "resourceSizes": [{"resourceType": "image", "budget": 100}],
            },
            {"path": "/photos/*", "resourceSizes": [{"resourceType": "image", "budget": 2000}]},
        ],
    )
    checks = read_budget_json(budget, SCENARIO.pages)
    by_page: dict[str, set[tuple[str, float]]] = {}
    for t in checks.thresholds:
        for page in t.threshold.pages:
            by_page.setdefault(page, set()).add((t.threshold.metric, t.threshold.bound))
    assert by_page["photo-gallery"] == {("resource.image.bytes", 2000 * 1024.0)}
    others = {p.name for p in SCENARIO.pages} - {"photo-gallery"}
    assert all(by_page[p] == {("lcp", 1500.0), ("resource.image.bytes", 100 * 1024.0)} for p in others)
    # The gallery's images (~1.2 MB here) pass its own 2000 KiB budget, not the stricter /* one.
    data = _run_data({("photo-gallery", "resource.image.bytes"): [1_200_000.0]})
    [check] = [c for c in threshold_checks(data, list(checks.thresholds)) if c.page == "photo-gallery"]
    assert check.status == "pass" and "1,200.0 KB <= 2,048.0 KB" in check.message


def test_lighthouse_score_curve_inverts_the_control_points() -> None:
    assert score_to_value("lcp", 0.9, "mobile") == pytest.approx(2500)
    assert score_to_value("lcp", 0.5, "mobile") == pytest.approx(4000)
    assert score_to_value("lcp", 0.5, "desktop") == pytest.approx(2400)


@pytest.mark.parametrize(
    "content, match",
    [
        ("{not json", "not valid JSON"),
        ({"budgets": []}, "expected a list of budgets"),
        ([{"timings": [{"metric": "largest-contentful-paint", "budget": "fast"}]}], r"timings\[0\]\.budget"),
        ([{"timings": [{"metric": "time-to-coffee", "budget": 1}]}], "unknown Lighthouse timing"),
        ([{"pathz": "/*"}], "unknown key"),
    ],
)
def test_malformed_budget_json_names_file_and_key(tmp_path: Path, content: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as err:
        read_budget_json(_write(tmp_path, "budget.json", content), SCENARIO.pages)
    assert "budget.json" in str(err.value)


@pytest.mark.parametrize(
    "content, match",
    [
        ("[]", "expected a mapping"),
        ({"ci": {"collect": {}}}, r"ci\.assert"),
        ({"ci": {"assert": {"assertions": {"largest-contentful-paint": ["fatal", {}]}}}}, "level must be"),
        (
            {"ci": {"assert": {"assertions": {"largest-contentful-paint": ["error", {"aggregationMethod": "avg"}]}}}},
            "aggregationMethod",
        ),
    ],
)
def test_malformed_lighthouserc_names_file_and_key(tmp_path: Path, content: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as err:
        read_lighthouserc(_write(tmp_path, "lighthouserc.json", content), SCENARIO.pages)
    assert "lighthouserc.json" in str(err.value)
