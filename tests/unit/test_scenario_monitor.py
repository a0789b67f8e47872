"""The scenario's monitor block: defaults, what a rule resolves to, and one-line errors naming the key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bigday.errors import ConfigError
from bigday.settings.scenario import DEFAULT_SCENARIO, load_scenario, parse_scenario


def _parse(monitor: object) -> object:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["monitor"] = monitor
    return parse_scenario(yaml.safe_dump(data), Path("s.yaml"))


def test_the_bundled_block_and_rules() -> None:
    m = load_scenario().monitor
    assert (m.every_s, m.schedules["dashboard"].every_s, m.sla.availability, m.sla.window_s) == (
        900.0,
        300.0,
        99.0,
        2592000.0,
    )
    sc = _parse(
        {
            "alerts": {
                "open_after": 4,
                "rules": [{"pages": ["dashboard"], "metrics": ["lcp"], "open_after": 2, "severity": "high"}],
            }
        }
    )
    a = sc.monitor.alerts  # type: ignore[attr-defined]
    assert (a.for_("dashboard", "lcp").open_after, a.for_("dashboard", "lcp").severity) == (2, "high")
    assert (a.for_("clients", "lcp").open_after, a.for_("clients", "availability").severity) == (4, "critical")


def test_maintenance_times_are_utc_and_cron_windows_parse() -> None:
    sc = _parse(
        {
            "maintenance": [
                {"from": "2026-12-06T02:00:00", "to": "2026-12-06T04:00:00+01:00"},
                {"cron": "0 3 * * 0", "duration": "1h"},
            ]
        }
    )
    once, weekly = sc.monitor.maintenance  # type: ignore[attr-defined]
    assert once.start == datetime(2026, 12, 6, 2, tzinfo=UTC) and weekly.duration_s == 3600.0


@pytest.mark.parametrize(
    ("monitor", "message"),
    [
        ({"every": "0s"}, "monitor.every: expected a positive duration"),
        ({"bogus": 1}, "monitor.bogus: unknown key; expected one of: accessibility, alerts"),
        ({"schedules": {"nope": {"every": "5m"}}}, "monitor.schedules.nope: unknown page 'nope'"),
        (
            {"schedules": {"dashboard": {"cron": "61 * * * *"}}},
            "monitor.schedules.dashboard.cron: expected a 5-field cron",
        ),
        ({"schedules": {"dashboard": {}}}, "monitor.schedules.dashboard: expected exactly one of every or cron"),
        ({"alerts": {"rules": [{"metrics": ["xyz"]}]}}, "monitor.alerts.rules[0].metrics: unknown metric 'xyz'"),
        ({"alerts": {"open_after": 0}}, "monitor.alerts.open_after: expected a number >= 1"),
        ({"maintenance": [{"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}]}, "must come after from"),
        (
            {"maintenance": [{"from": "tuesday", "to": "2026-01-01T00:00:00Z"}]},
            "monitor.maintenance[0].from: expected an ISO 8601",
        ),
        ({"maintenance": [{"cron": "0 3 * * 0"}]}, "monitor.maintenance[0]: expected both cron and duration"),
        ({"sla": {"availability": "100%"}}, "monitor.sla.availability: expected a percentage above 0% and below 100%"),
        (
            {"email": {"host": "127.0.0.1", "to": ["nobody"], "from": "a@b.test"}},
            "monitor.email.to: expected e-mail addresses",
        ),
        ({"jitter": "-2s"}, "monitor.jitter: expected a duration between 0ms and 366d"),
        (
            {"field": {"thresholds": [{"metric": "tbt", "aggregate": "p75", "bound": 200}]}},
            "monitor.field.thresholds[0].metric: expected a metric field beacons carry (lcp, inp, cls, fcp, ttfb, fid)",
        ),
        (
            {"field": {"thresholds": [{"metric": "lcp", "aggregate": "p95", "bound": "2.5s"}]}},
            "monitor.field.thresholds[0].aggregate: the field is judged at p75, as CrUX does; got 'p95'",
        ),
        (
            {"field": {"thresholds": [{"metric": "lcp", "aggregate": "p75", "bound": "2.5s", "pages": ["nope"]}]}},
            "monitor.field.thresholds[0].pages: unknown page 'nope'",
        ),
        ({"field": {"days": 29}}, "monitor.field.days: expected a number <= 28"),
    ],
)
def test_bad_monitor_settings_are_one_line_errors(monitor: object, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        _parse(monitor)
    text = str(e.value)
    assert text.startswith("s.yaml: ") and message in text and "\n" not in text
