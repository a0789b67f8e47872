"""The load plan: scenario + overrides resolve to one plan; bad stages, classes and limits fail in one line."""

from __future__ import annotations

import pytest

from bigday.errors import ConfigError
from bigday.load.plan import (
    LoadPlan,
    PlanOverrides,
    Stage,
    build_plan,
    default_saturday,
    parse_stages,
    parse_think_time,
    phase_at,
    stage_at,
)
from bigday.settings.scenario import load_scenario


@pytest.fixture(scope="module")
def scenario():
    return load_scenario()


def test_saturday_plan_follows_the_scenario(scenario):
    plan = build_plan(scenario, "saturday")
    assert [s.name for s in plan.stages] == ["baseline", "ramp", "spike", "ramp-down"]
    assert plan.peak_users == 10_000 and plan.total_duration_s == 720
    assert dict(plan.user_mix) == {"photographer": 0.5, "planner": 0.3, "couple": 0.2}
    assert plan.think_time_s == (2.0, 8.0) and plan.max_duration_s == 1800
    shares = {t.tenant: t for t in plan.tenants}
    # The premium studio with 200 weddings today dominates the photographers, who follow the weddings.
    assert plan.journeys["photographer"].tenants == "weddings"
    weddings = sum(t.weight("weddings") for t in plan.tenants)
    assert shares["everafter"].weight("weddings") / weddings > 0.9
    assert shares["everafter"].weight("clients") == 2000 and shares["lumen"].weight("equal") == 1.0
    assert plan.tenancy.describe() == "query tenant" and shares["lumen"].key == "lumen"


def test_peak_and_time_scale_rescale_every_stage(scenario):
    plan = build_plan(scenario, "saturday", PlanOverrides(peak_users=50, time_scale=0.01))
    assert [s.users for s in plan.stages] == [5, 50, 50, 3]
    assert [round(s.duration_s, 2) for s in plan.stages] == [1.2, 1.8, 3.0, 1.2]


def test_plan_survives_json(scenario):
    plan = build_plan(scenario, "isolation", PlanOverrides(phase="9s", victim_users=7))
    again = LoadPlan.from_json(__import__("json").loads(plan.dumps()))
    assert again == plan
    assert [s.name for s in again.stages] == ["warmup", "alone", "spike", "recovery"]
    assert again.isolation is not None and again.isolation.phase_s == 9 and again.stages[2].users == 7 + 16


def test_stage_clock():
    stages = (Stage("a", 2, 10), Stage("b", 3, 20))
    assert stage_at(stages, 0) == (0, stages[0], 0)
    assert stage_at(stages, 2.5) == (1, stages[1], 10)
    assert stage_at(stages, 5.0) is None
    assert phase_at(stages, 1.9) == "a" and phase_at(stages, 99) == "b"


def test_default_shape_when_the_scenario_names_only_a_peak():
    stages = default_saturday(10_000)
    assert max(s.users for s in stages) == 10_000
    assert [s.name for s in stages] == ["baseline", "ramp", "spike", "ramp-down"]


def test_user_classes_pick_kinds(scenario):
    plan = build_plan(scenario, "saturday", PlanOverrides(user_classes=("PlannerUser", "couple")))
    assert plan.user_kinds == ("planner", "couple")


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        (PlanOverrides(user_classes=("DJUser",)), ["unknown user class 'DJUser'", "photographer"]),
        (PlanOverrides(stages="spike:2m"), ["stage 1", "NAME:DURATION:USERS"]),
        (PlanOverrides(stages="ramp:soon:100"), ["stage 1 'ramp'", "duration"]),
        (PlanOverrides(stages="ramp:0s:100"), ["positive duration"]),
        (PlanOverrides(stages="idle:1m:0"), ["0 users"]),
        (PlanOverrides(max_duration="1m"), ["hard limit", "60s"]),
        (PlanOverrides(think_time="8s:2s"), ["--think-time"]),
        (PlanOverrides(peak_users=0), ["--peak-users"]),
        (PlanOverrides(time_scale=-1), ["--time-scale"]),
        (PlanOverrides(photo_sizes_kb=()), ["--photo-sizes"]),
        (PlanOverrides(batch_size=(3, 1)), ["--batch-size"]),
        (PlanOverrides(spike_p95_sla="fast"), ["--p95-sla"]),
    ],
)
def test_bad_overrides_fail_in_one_line(scenario, overrides, fragments):
    with pytest.raises(ConfigError) as e:
        build_plan(scenario, "saturday", overrides)
    msg = str(e.value)
    assert "\n" not in msg
    for f in fragments:
        assert f in msg


def test_isolation_needs_sane_numbers(scenario):
    with pytest.raises(ConfigError, match="--tolerance"):
        build_plan(scenario, "isolation", PlanOverrides(tolerance=0.9))
    with pytest.raises(ConfigError, match="--min-effect: expected a duration"):
        build_plan(scenario, "isolation", PlanOverrides(min_effect="small"))
    assert build_plan(scenario, "isolation").isolation.min_effect_ms == 5.0
    assert build_plan(scenario, "isolation", PlanOverrides(min_effect="0")).isolation.min_effect_ms == 0.0
    assert build_plan(scenario, "isolation", PlanOverrides(min_effect="1.5s")).isolation.min_effect_ms == 1500.0
    with pytest.raises(ConfigError, match="unknown rehearsal"):
        build_plan(scenario, "sunday")


def test_stage_specs():
    assert parse_stages("a:30s:10, b:1m:20") == (Stage("a", 30, 10), Stage("b", 60, 20))
    with pytest.raises(ConfigError, match="exceeds peak_users"):
        parse_stages("a:1s:11", peak_users=10)
    assert parse_think_time("0") == (0.0, 0.0)
    assert parse_think_time("500ms:2s") == (0.5, 2.0)


def test_isolation_phases_and_recovery(scenario):
    plan = build_plan(scenario, "isolation", PlanOverrides(phase="12s", recovery="4s", warmup="1s"))
    assert [(s.name, s.duration_s) for s in plan.stages] == [
        ("warmup", 1),
        ("alone", 12),
        ("spike", 12),
        ("recovery", 4),
    ]
    assert plan.stages[1].users == 10 and plan.stages[2].users == 10 + 16


def test_the_adaptive_isolation_plan(scenario):
    plan = build_plan(scenario, "isolation", PlanOverrides(adaptive=True, phase="10s", max_phase_time="1m"))
    iso = plan.isolation
    assert iso.adaptive and iso.max_phase_s == 60 and iso.planned_looks == 2
    assert [s.name for s in plan.stages] == ["warmup", "alone-1", "alone-2", "spike-1", "alone-3", "spike-2", "alone-4"]
    assert plan.total_duration_s == 5 + 60 and plan.stages[3].users == 26
    # The library keeps the fixed phases unless asked; the scenario bounds the adaptive check's windows.
    assert not build_plan(scenario, "isolation").isolation.adaptive
    assert build_plan(scenario, "isolation", PlanOverrides(adaptive=True)).isolation.max_phase_s == 180
    again = LoadPlan.from_json(plan.to_json())
    assert again == plan and again.isolation.window_names == iso.window_names


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (PlanOverrides(adaptive=True, phase="10s", max_phase_time="30s"), "--max-phase-time: 30s holds fewer than"),
        (PlanOverrides(adaptive=True, recovery="3s"), "--recovery: the adaptive check's windows"),
        (PlanOverrides(adaptive=True, max_phase_time="soon"), "--max-phase-time: expected"),
    ],
)
def test_the_adaptive_isolation_plan_refuses_what_it_cannot_run(scenario, overrides, fragment):
    with pytest.raises(ConfigError) as err:
        build_plan(scenario, "isolation", overrides)
    assert fragment in str(err.value)
