"""The scenario loader: the bundled scenario parses, and bad files fail with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bigday.errors import ConfigError
from bigday.metrics import Direction
from bigday.settings.scenario import (
    DEFAULT_SCENARIO,
    load_scenario,
    parse_duration_ms,
    parse_scenario,
    parse_size_bytes,
)


def test_bundled_scenario_is_complete():
    s = load_scenario()
    assert s.name == "wedsync"
    assert s.base_url is None
    assert [p.path for p in s.pages] == ["/dashboard", "/clients", "/forms/new", "/timeline/edit", "/photos/gallery"]
    assert all(p.interaction for p in s.pages)
    premium = [t for t in s.tenants if t.plan == "premium"]
    assert premium and premium[0].concurrent_weddings == 200 and premium[0].clients == 2000
    assert all(t.clients <= 1000 for t in s.tenants if t.plan == "small")
    lcp = next(t for t in s.thresholds if t.metric == "lcp")
    assert (lcp.aggregate, lcp.bound, lcp.level, lcp.direction) == ("p95", 2000.0, "error", Direction.LOWER_IS_BETTER)
    perf = next(t for t in s.thresholds if t.metric == "performance_score")
    assert perf.direction is Direction.HIGHER_IS_BETTER and perf.breached_by(94) and not perf.breached_by(95)
    assert {b.chunk: b.max_bytes for b in s.budgets}["vendor"] == 300_000
    assert s.load.peak_users == 10_000 and s.load.isolation is not None
    assert s.load.isolation.victim == "lumen" and s.load.isolation.tolerance == 1.25
    assert s.load.isolation.min_effect_ms == 5.0 and s.load.isolation.max_phase_s == 180.0
    assert len(s.sha256) == 64


def test_objects_are_frozen():
    s = load_scenario()
    with pytest.raises(AttributeError):
        s.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.thresholds[0].bound = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "ms"),
    [(1500, 1500.0), ("1500ms", 1500.0), ("1.5s", 1500.0), ("2m", 120_000.0), (" 3 s ", 3000.0)],
)
def test_durations(raw, ms):
    assert parse_duration_ms(raw) == ms


@pytest.mark.parametrize(("raw", "n"), [(1024, 1024), ("200KB", 200_000), ("200KiB", 204_800), ("1.5MB", 1_500_000)])
def test_sizes(raw, n):
    assert parse_size_bytes(raw) == n


def _base() -> dict:
    return yaml.safe_load(DEFAULT_SCENARIO.read_text())


def _write(tmp_path: Path, data) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return p


def _mutate(fn):
    data = _base()
    fn(data)
    return data


# Each case: (id, file content or a mutation of the bundled scenario, fragments the one-line error must contain).
BAD_FILES = [
    ("not-yaml", "name: [unclosed\n  pages: {", ["not valid YAML", "line"]),
    ("empty", "", ["empty"]),
    ("top-level-list", "- a\n- b\n", ["top level", "expected a mapping"]),
    ("unknown-top-key", _mutate(lambda d: d.update(colour="blue")), ["colour", "unknown key"]),
    ("unknown-nested-key", _mutate(lambda d: d["pages"][0].update(wait=3)), ["pages[0].wait", "unknown key"]),
    ("missing-name", _mutate(lambda d: d.pop("name")), ["name", "missing required key"]),
    ("missing-page-path", _mutate(lambda d: d["pages"][1].pop("path")), ["pages[1].path", "missing"]),
    ("path-not-absolute", _mutate(lambda d: d["pages"][0].update(path="dashboard")), ["pages[0].path", "'/'"]),
    ("duplicate-page", _mutate(lambda d: d["pages"][1].update(name="dashboard")), ["pages[1].name", "duplicate"]),
    (
        "clients-not-int",
        _mutate(lambda d: d["tenants"][0].update(clients="lots")),
        ["tenants[0].clients", "whole number"],
    ),
    (
        "small-studio-too-big",
        _mutate(lambda d: d["tenants"][1].update(clients=5000)),
        ["tenants[1].clients", "at most 1000"],
    ),
    ("bad-plan", _mutate(lambda d: d["tenants"][0].update(plan="gold")), ["tenants[0].plan", "premium, small"]),
    (
        "unknown-metric",
        _mutate(lambda d: d["thresholds"][0].update(metric="lpc")),
        ["thresholds[0].metric", "'lpc'", "lcp"],
    ),
    (
        "bad-duration-unit",
        _mutate(lambda d: d["thresholds"][0].update(bound="2000 parsecs")),
        ["thresholds[0].bound", "duration"],
    ),
    ("bad-size-unit", _mutate(lambda d: d["budgets"][0].update(max="200 furlongs")), ["budgets[0].max", "size like"]),
    (
        "bad-aggregate",
        _mutate(lambda d: d["thresholds"][1].update(aggregate="p42")),
        ["thresholds[1].aggregate", "p95"],
    ),
    ("bad-level", _mutate(lambda d: d["thresholds"][1].update(level="panic")), ["thresholds[1].level", "warn, error"]),
    (
        "unknown-page-in-threshold",
        _mutate(lambda d: d["thresholds"][0].update(pages=["checkout"])),
        ["thresholds[0].pages", "checkout"],
    ),
    ("bool-as-number", _mutate(lambda d: d["load"].update(peak_users=True)), ["load.peak_users", "boolean"]),
    (
        "stage-over-peak",
        _mutate(lambda d: d["load"]["stages"][1].update(users=20000)),
        ["load.stages[1].users", "peak_users"],
    ),
    (
        "stage-bad-duration",
        _mutate(lambda d: d["load"]["stages"][0].update(duration="soon")),
        ["load.stages[0].duration", "duration"],
    ),
    (
        "unknown-user-kind",
        _mutate(lambda d: d["load"]["user_mix"].update(florist=0.1)),
        ["load.user_mix.florist", "photographer"],
    ),
    (
        "unknown-victim",
        _mutate(lambda d: d["load"]["isolation"].update(victim="nobody")),
        ["load.isolation.victim", "nobody"],
    ),
    (
        "bad-min-effect",
        _mutate(lambda d: d["load"]["isolation"].update(min_effect="tiny")),
        ["load.isolation.min_effect", "duration"],
    ),
    (
        "bad-max-phase-time",
        _mutate(lambda d: d["load"]["isolation"].update(max_phase_time="soon")),
        ["load.isolation.max_phase_time"],
    ),
    ("bad-base-url", _mutate(lambda d: d.update(base_url="ftp://example")), ["base_url", "http(s) URL"]),
    (
        "bands-out-of-order",
        _mutate(lambda d: d["alert_bands"]["lcp"].update(critical="1s")),
        ["alert_bands.lcp.critical", "warning"],
    ),
    (
        "interaction-two-actions",
        _mutate(
            lambda d: d["pages"][0].update(interaction=[{"click": "#a", "press": {"selector": "#b", "key": "Enter"}}])
        ),
        ["pages[0].interaction[0]", "exactly one"],
    ),
    (
        "regression-not-percent",
        _mutate(lambda d: d["regression"].update(timing=10)),
        ["regression.timing", "percentage"],
    ),
    ("unknown-tenant-on-page", _mutate(lambda d: d["pages"][0].update(tenant="ghost")), ["pages[0].tenant", "ghost"]),
    ("settle-min-not-duration", _mutate(lambda d: d["pages"][0].update(settle_min="soon")), ["pages[0].settle_min"]),
    ("settle-max-zero", _mutate(lambda d: d["pages"][0].update(settle_max=0)), ["pages[0].settle_max", "> 0"]),
    (
        "threshold-engine",
        _mutate(lambda d: d["thresholds"][0].update(engine="webpagetest")),
        ["thresholds[0].engine", "bigday, lighthouse"],
    ),
]


def test_page_settle_keys_and_threshold_engine(tmp_path):
    text = DEFAULT_SCENARIO.read_text().replace(
        "    path: /dashboard\n", "    path: /dashboard\n    settle_min: 1.5s\n    settle_max: 4s\n"
    )
    text = text.replace("bound: 95, level: error}", "bound: 95, level: error, engine: lighthouse}")
    s = parse_scenario(text, tmp_path / "s.yaml")
    assert (s.pages[0].settle_min_ms, s.pages[0].settle_max_ms) == (1500.0, 4000.0)
    assert s.pages[1].settle_min_ms is None
    [gate] = [t for t in s.thresholds if t.metric == "performance_score"]
    assert gate.engine == "lighthouse" and all(t.engine is None for t in s.thresholds if t is not gate)


@pytest.mark.parametrize(("content", "fragments"), [(c, f) for _, c, f in BAD_FILES], ids=[i for i, _, _ in BAD_FILES])
def test_bad_scenario_gives_one_line_naming_file_and_key(tmp_path, content, fragments):
    path = _write(tmp_path, content)
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message, message
    assert err.value.exit_code == 2


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_scenario(tmp_path)
    binary = tmp_path / "blob.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_scenario(binary)
