"""The monitor's pure parts: slots and jitter, alert decisions, anomaly and forecast detectors, SLA arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bigday.errors import ConfigError
from bigday.metrics import Direction
from bigday.monitor.detectors import forecast_crossing, judge_anomaly, reference
from bigday.monitor.rules import Observation, OpenAlert, decide, typical_severity
from bigday.monitor.schedule import Schedule, schedules_for
from bigday.monitor.sla import BURN_WINDOWS, Counts, objectives
from bigday.settings.scenario import AlertSettings, SlaPolicy, load_scenario

T0 = datetime(2026, 6, 6, 10, 0, tzinfo=UTC)
RULE = AlertSettings(open_after=3, open_after_time_s=None, resolve_after=2, remind_every_s=3600, severity=None)


def obs(pattern: str, start: datetime = T0, every_s: float = 60, severity: str = "high") -> list[Observation]:
    """'..xx' -> passing, passing, failing, failing, one minute apart."""
    return [
        Observation(i, start + timedelta(seconds=i * every_s), ch == "x", severity if ch == "x" else "low")
        for i, ch in enumerate(pattern)
    ]


# ---------------------------------------------------------------- schedules


def test_interval_slots_sit_on_the_epoch_grid_and_jitter_is_the_same_everywhere() -> None:
    s = Schedule("dashboard", every_s=600, jitter_s=30)
    t = datetime(2026, 6, 6, 10, 17, 5, tzinfo=UTC)
    assert s.slot_at_or_before(t) == datetime(2026, 6, 6, 10, 10, tzinfo=UTC)
    assert s.next_after(datetime(2026, 6, 6, 10, 10, tzinfo=UTC)) == datetime(2026, 6, 6, 10, 20, tzinfo=UTC)
    slot = s.slot_at_or_before(t)
    assert s.jitter(slot) == Schedule("dashboard", every_s=600, jitter_s=30).jitter(slot)
    assert timedelta(0) <= s.jitter(slot) < timedelta(seconds=30)
    spread = {Schedule(p, every_s=600, jitter_s=30).jitter(slot) for p in ("a", "b", "c", "d")}
    assert len(spread) == 4  # pages do not all start at once


def test_a_stale_schedule_moves_to_the_newest_due_slot_and_counts_what_it_skipped() -> None:
    s = Schedule("dashboard", every_s=10, jitter_s=0)
    assert s.latest_due(T0, T0 + timedelta(seconds=35)) == (T0 + timedelta(seconds=30), 3)
    assert s.latest_due(T0, T0 + timedelta(seconds=5)) == (T0, 0)
    cron = Schedule("x", cron="*/5 * * * *", jitter_s=0)
    assert cron.slot_at_or_before(T0 + timedelta(minutes=7)) == T0 + timedelta(minutes=5)
    assert cron.latest_due(T0 - timedelta(hours=1), T0 + timedelta(minutes=1)) == (T0, 12)


def test_schedules_flag_over_scenario_and_bad_pages_refused() -> None:
    sc = load_scenario()
    own = schedules_for(sc)
    assert own["dashboard"].every_s == 300.0 and own["clients"].every_s == 900.0
    flagged = schedules_for(sc, ("dashboard",), every_s=10, jitter_s=0)
    assert list(flagged) == ["dashboard"] and flagged["dashboard"].spec == "every 10s jitter 0s"
    assert schedules_for(sc, ("clients",), every_s=600)["clients"].jitter_s == 60.0
    with pytest.raises(ConfigError, match="nope"):
        schedules_for(sc, ("nope",))


# ---------------------------------------------------------------- alert decisions


def test_opens_after_n_failing_checks_in_a_row_and_not_before() -> None:
    assert decide(obs("..xx"), None, RULE, T0).action == "none"
    d = decide(obs("..xxx"), None, RULE, T0)
    assert (d.action, d.streak, d.severity, d.since) == ("open", 3, "high", T0 + timedelta(minutes=2))
    assert decide(obs("xx.xx"), None, RULE, T0).action == "none"  # a passing check breaks the run


def test_opens_after_minutes_of_failing_even_with_fewer_checks() -> None:
    rule = AlertSettings(10, 300.0, 2, 3600, None)
    checks = obs("xx", every_s=200)
    assert decide(checks, None, rule, checks[-1].at).action == "none"
    assert decide(checks, None, rule, checks[0].at + timedelta(seconds=300)).action == "open"


def test_while_open_it_reminds_on_schedule_unless_acknowledged_and_escalates_on_the_typical_check() -> None:
    now = T0 + timedelta(hours=2)
    fresh = OpenAlert(1, "high", acknowledged=False, last_notified_at=now - timedelta(minutes=5))
    stale = OpenAlert(1, "high", acknowledged=False, last_notified_at=now - timedelta(hours=1, minutes=1))
    acked = OpenAlert(1, "high", acknowledged=True, last_notified_at=now - timedelta(hours=5))
    assert decide(obs("xxxx"), fresh, RULE, now).action == "update"
    assert decide(obs("xxxx"), stale, RULE, now).action == "remind"
    assert decide(obs("xxxx"), acked, RULE, now).action == "update"
    one_bad = obs("xxx") + [Observation(9, now, True, "critical")]
    assert decide(one_bad, fresh, RULE, now).action == "update"  # one critical check is not the typical one
    worse = [Observation(i, T0 + timedelta(minutes=i), True, "critical") for i in range(3)]
    d = decide(worse, fresh, RULE, now)
    assert (d.action, d.severity) == ("escalate", "critical")


def test_resolves_after_k_passing_checks() -> None:
    alert = OpenAlert(1, "high", acknowledged=True, last_notified_at=T0)
    assert decide(obs("xxx."), alert, RULE, T0).action == "none"
    d = decide(obs("xxx.."), alert, RULE, T0)
    assert (d.action, d.streak) == ("resolve", 2)


def test_the_fixed_severity_of_a_rule_wins_and_the_typical_severity_is_the_lower_median() -> None:
    rule = AlertSettings(2, None, 2, 3600, "critical")
    assert decide(obs("xx", severity="low"), None, rule, T0).severity == "critical"
    mixed = [Observation(i, T0, True, s) for i, s in enumerate(("high", "critical"))]
    assert typical_severity(mixed, 3) == "high"
    assert (
        typical_severity([Observation(i, T0, True, s) for i, s in enumerate(("low", "critical", "critical"))], 3)
        == "critical"
    )


# ---------------------------------------------------------------- detectors


def test_anomaly_needs_history_the_spread_and_the_minimum_effect() -> None:
    rng = np.random.default_rng(1)
    history = 1000 * np.exp(rng.normal(0, 0.05, 500))
    ref = reference(history, "lcp", 6.0)
    assert ref is not None and abs(ref.median - 1000) < 10
    assert judge_anomaly(1100, ref, "lcp", 6.0, 10.0, 50).anomalous is False  # type: ignore[union-attr]
    verdict = judge_anomaly(2500, ref, "lcp", 6.0, 10.0, 50)
    assert verdict is not None and verdict.anomalous and verdict.z > 6
    assert judge_anomaly(10, ref, "lcp", 6.0, 10.0, 50).anomalous is False  # type: ignore[union-attr] # better
    assert judge_anomaly(2500, ref, "lcp", 6.0, 10.0, 501) is None  # too few checks to judge by
    flat = reference(np.zeros(100), "tbt", 6.0)  # TBT 0 on a quiet page: the floor keeps jitter quiet
    assert flat is not None and not judge_anomaly(8, flat, "tbt", 6.0, 10.0, 50).anomalous  # type: ignore[union-attr]
    assert judge_anomaly(300, flat, "tbt", 6.0, 10.0, 50).anomalous  # type: ignore[union-attr]


def test_forecast_of_a_steady_rise_and_silence_on_noise_or_short_history() -> None:
    rng = np.random.default_rng(4)
    days = np.arange(60)
    rising = 2000 / 1.01**70 * 1.01**days * np.exp(rng.normal(0, 0.02, 60))
    f = forecast_crossing(days, rising, 2000, Direction.LOWER_IS_BETTER)
    assert f is not None and abs(59 + f.days - 70) <= 3 and f.earliest <= f.days <= f.latest
    assert "in about" in f.describe("lcp", "p75", "dashboard", "2,000 ms")
    flat = 1500 * np.exp(rng.normal(0, 0.05, 60))
    assert forecast_crossing(days, flat, 2000, Direction.LOWER_IS_BETTER) is None
    assert forecast_crossing(days[:6], rising[:6], 2000, Direction.LOWER_IS_BETTER) is None  # < 7 days
    falling_score = 100 - 0.5 * days + rng.normal(0, 0.3, 60)
    g = forecast_crossing(days, falling_score, 60, Direction.HIGHER_IS_BETTER, relative=False)
    assert g is not None and abs(59 + g.days - 80) <= 3


# ---------------------------------------------------------------- SLA arithmetic


def test_objectives_budget_and_multi_window_burn() -> None:
    policy = SlaPolicy(availability="99%", within_thresholds="95%", window_s=30 * 86400, min_checks=6)  # type: ignore[arg-type]
    assert [round(w.factor(policy.window_s), 3) for w in BURN_WINDOWS] == [14.4, 6.0, 1.0]
    counts = Counts(total=1000, available=995, within=960)
    hour = Counts(total=12, available=6, within=6)  # half the last hour failed
    spans = {300.0: Counts(1, 0, 0), 1800.0: Counts(6, 3, 3), 3600.0: hour, 21600.0: hour, 259200.0: counts}
    avail, within = objectives(counts, spans, policy)
    assert avail.share == 0.995 and avail.budget_used == pytest.approx(0.5) and avail.met is True
    assert within.share == 0.96 and within.budget_used == pytest.approx(0.8)
    assert avail.rates["1h"] == pytest.approx(50.0) and avail.rates["5m"] == pytest.approx(100.0)
    assert [b.window.name for b in avail.firing] == ["1h", "6h"]  # the 3d window burns 0.5x: no ticket
    quiet = objectives(counts, {**spans, 300.0: Counts(1, 1, 1)}, policy)[0]
    assert [b.window.name for b in quiet.firing] == ["6h"]  # the short window says the 1h burn is over
    too_few = objectives(counts, {k: Counts(3, 0, 0) for k in spans}, policy)[0]
    assert too_few.firing == ()  # fewer than min_checks in the long window
