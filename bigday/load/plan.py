"""Building the load plan: one rehearsal's resolved parameters (scenario + overrides), shared by bigday and Locust.

A plan is plain data (its model is the run folder's ``plan.json``, bigday.runfolder.plan): ``bigday load``
resolves it once, writes it to the run folder and hands it to Locust; the master forwards it to every worker,
so workers on other machines need no scenario file.  This module never imports Locust (importing Locust
monkey-patches the interpreter with gevent).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from bigday.errors import ConfigError
from bigday.runfolder.plan import DEFAULT_PHOTO_SIZES_KB as DEFAULT_PHOTO_SIZES_KB
from bigday.runfolder.plan import IsolationPlan as IsolationPlan
from bigday.runfolder.plan import LoadPlan as LoadPlan
from bigday.runfolder.plan import RehearsalKind
from bigday.runfolder.plan import Stage as Stage
from bigday.runfolder.plan import TenantShare as TenantShare
from bigday.runfolder.plan import window_condition as window_condition
from bigday.settings.scenario import Scenario, parse_duration_ms
from bigday.settings.templates import env_refs, secret

KINDS = ("saturday", "isolation")
ISOLATION_PHASES = ("warmup", "alone", "spike", "recovery")
# --time-scale shortens the isolation phases too, but not below this: a shorter phase, less its settling
# second and a half, holds too few victim samples for a verdict.
MIN_SCALED_PHASE_S = 6.0
ADAPTIVE_WARMUP_S = 5.0


@dataclass(frozen=True)
class PlanOverrides:
    """Command-line adjustments to the scenario's load section (None: keep the scenario's value)."""

    peak_users: int | None = None
    time_scale: float | None = None
    stages: str | None = None
    user_classes: tuple[str, ...] = ()
    think_time: str | None = None
    max_duration: str | None = None
    photo_sizes_kb: tuple[int, ...] | None = None
    batch_size: tuple[int, int] | None = None
    spike_p95_sla: str | None = None
    spike_max_error_rate: float | None = None
    phase: str | None = None
    recovery: str | None = None
    warmup: str | None = None
    victim_users: int | None = None
    victim_rps_per_user: float | None = None
    aggressor_users: int | None = None
    tolerance: float | None = None
    min_effect: str | None = None
    # None: the library's fixed phases; `bigday load` asks for the adaptive check unless --no-adaptive.
    adaptive: bool | None = None
    max_phase_time: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- parsing helpers for overrides

_STAGE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_-]*)\s*:\s*([^:]+?)\s*:\s*(\d+)\s*$")


def parse_stages(spec: str, peak_users: int | None = None) -> tuple[Stage, ...]:
    """``"baseline:30s:100,spike:1m:1000"`` to stages; ConfigError names the bad stage."""
    items = [s for s in spec.split(",") if s.strip()]
    if not items:
        raise ConfigError(f"--stages: expected stages like baseline:30s:100,spike:1m:1000, got {spec!r}")
    stages = []
    for i, item in enumerate(items):
        m = _STAGE.match(item)
        if not m:
            raise ConfigError(
                f"--stages: stage {i + 1} {item.strip()!r}: expected NAME:DURATION:USERS like spike:2m:1000"
            )
        name, dur, users = m.group(1), m.group(2), int(m.group(3))
        seconds = parse_seconds(f"--stages: stage {i + 1} {name!r}: duration", dur)
        if peak_users is not None and users > peak_users:
            raise ConfigError(f"--stages: stage {i + 1} {name!r}: {users} users exceeds peak_users ({peak_users})")
        stages.append(Stage(name, seconds, users))
    return tuple(stages)


def parse_seconds(option: str, value: str) -> float:
    try:
        seconds = parse_duration_ms(value, default_unit="s") / 1000.0
    except ValueError as e:
        raise ConfigError(f"{option}: expected {e}") from None
    if seconds <= 0:
        raise ConfigError(f"{option}: expected a positive duration, got {value!r}")
    return seconds


def _min_effect_ms(value: str) -> float:
    try:
        return parse_duration_ms(value, default_unit="ms")
    except ValueError as e:
        raise ConfigError(f"--min-effect: expected {e}") from None


def parse_think_time(value: str) -> tuple[float, float]:
    """``"2s:8s"`` (or a single ``"0"`` for no think time) to (min, max) seconds."""
    parts = value.split(":")
    try:
        lo, hi = (parse_duration_ms(parts[0], "s") / 1000.0, parse_duration_ms(parts[-1], "s") / 1000.0)
    except ValueError as e:
        raise ConfigError(f"--think-time: expected MIN:MAX like 2s:8s, {e}") from None
    if len(parts) > 2 or lo < 0 or hi < lo:
        raise ConfigError(f"--think-time: expected MIN:MAX with 0 <= MIN <= MAX, got {value!r}")
    return lo, hi


# ---------------------------------------------------------------- building a plan


def default_saturday(peak: int) -> tuple[Stage, ...]:
    """The Saturday shape when a scenario names only its peak: baseline, ramp, spike plateau, ramp down."""
    return (
        Stage("baseline", 120.0, max(1, peak // 10)),
        Stage("ramp", 180.0, peak),
        Stage("spike", 300.0, peak),
        Stage("ramp-down", 120.0, max(1, peak // 20)),
    )


def _tenant_shares(scenario: Scenario) -> tuple[TenantShare, ...]:
    return tuple(
        TenantShare(t.id, t.key, float(max(t.clients, 1)), float(max(t.concurrent_weddings, 0)), dict(t.credentials))
        for t in scenario.tenants
    )


def _scaled_stages(scenario: Scenario, o: PlanOverrides) -> tuple[Stage, ...]:
    load = scenario.load
    if o.stages is not None:
        stages = parse_stages(o.stages)
    elif load.stages:
        stages = tuple(Stage(s.name, s.duration_s, s.users) for s in load.stages)
    else:
        stages = default_saturday(load.peak_users)
    if o.peak_users is not None:
        if o.peak_users < 1:
            raise ConfigError(f"--peak-users: expected a whole number >= 1, got {o.peak_users}")
        top = max(s.users for s in stages) or 1
        stages = tuple(replace(s, users=math.ceil(s.users * o.peak_users / top)) for s in stages)
    if o.time_scale is not None:
        if not o.time_scale > 0:
            raise ConfigError(f"--time-scale: expected a positive factor, got {o.time_scale}")
        stages = tuple(replace(s, duration_s=s.duration_s * o.time_scale) for s in stages)
    if max(s.users for s in stages) < 1:
        raise ConfigError("stages: every stage has 0 users; expected at least one stage with users")
    return stages


def _user_mix(scenario: Scenario, o: PlanOverrides) -> tuple[tuple[str, float], ...]:
    load = scenario.load
    if not load.journeys:
        raise ConfigError(
            f"{scenario.source}: load.journeys: missing; the Saturday rehearsal needs the users' journeys"
            " (see docs/real-app.md)"
        )
    mix = load.mix
    if not o.user_classes:
        if not any(w > 0 for w in mix.values()):
            raise ConfigError(f"{scenario.source}: load.user_mix: expected at least one journey with a weight > 0")
        return tuple(mix.items())
    # A journey by its name; "PlannerUser" (the old class names) still finds "planner".
    by_name = {k.lower(): k for k in load.journeys} | {f"{k.lower()}user": k for k in load.journeys}
    chosen = []
    for name in o.user_classes:
        kind = by_name.get(name.lower())
        if kind is None:
            known = ", ".join(load.journeys)
            raise ConfigError(f"--user-class: unknown user class {name!r}; expected a journey: {known}")
        chosen.append(kind)
    weights = {k: (mix.get(k, 0.0) or 1.0) for k in chosen}
    return tuple(weights.items())


def _scaled_phase(seconds: float, o: PlanOverrides) -> float:
    if o.time_scale is None:
        return seconds
    if not o.time_scale > 0:
        raise ConfigError(f"--time-scale: expected a positive factor, got {o.time_scale}")
    return max(seconds * o.time_scale, min(seconds, MIN_SCALED_PHASE_S))


def _isolation_journeys(scenario: Scenario) -> tuple[str, str]:
    iso, journeys = scenario.load.isolation, scenario.load.journeys
    assert iso is not None
    for key, name in (("victim_journey", iso.victim_journey), ("aggressor_journey", iso.aggressor_journey)):
        if name not in journeys:
            raise ConfigError(
                f"{scenario.source}: load.isolation.{key}: no journey {name!r} in load.journeys;"
                " the isolation check needs the victim's and the aggressor's requests"
            )
    return iso.victim_journey, iso.aggressor_journey


def _storage_state(scenario: Scenario) -> str | None:
    given = scenario.auth.storage_state
    if not given:
        return None
    path = Path(given).expanduser()
    return str(path if path.is_absolute() else scenario.folder / path)


def _sla_ms(value: str | None) -> float:
    if value is None:
        return LoadPlan.spike_p95_sla_ms
    try:
        ms = parse_duration_ms(value)
    except ValueError as e:
        raise ConfigError(f"--p95-sla: expected {e}") from None
    if ms <= 0:
        raise ConfigError(f"--p95-sla: expected a positive duration, got {value!r}")
    return ms


def _default_warmup(o: PlanOverrides) -> float:
    # The adaptive check compares its first alone window with its second: a start-up transient there would
    # read as victim noise, so it waits longer before it.
    return ADAPTIVE_WARMUP_S if o.adaptive else IsolationPlan.warmup_s


def _check_isolation(iso: IsolationPlan, o: PlanOverrides) -> None:
    if iso.tolerance < 1.0:
        raise ConfigError(f"--tolerance: expected a slow-down factor >= 1.0, got {iso.tolerance}")
    if iso.victim_users < 1 or iso.aggressor_users < 1:
        raise ConfigError("--victim-users/--aggressor-users: expected whole numbers >= 1")
    if not iso.victim_rps_per_user > 0:
        raise ConfigError(f"--victim-rps: expected a positive rate, got {iso.victim_rps_per_user}")
    if not iso.adaptive:
        return
    if o.recovery:
        raise ConfigError(
            "--recovery: the adaptive check's windows are all --phase long; add --no-adaptive for fixed phases"
        )
    if iso.max_phase_s < 4 * iso.phase_s:
        raise ConfigError(
            f"--max-phase-time: {iso.max_phase_s:g}s holds fewer than the four {iso.phase_s:g}s windows of the first"
            f" look (alone, alone, spike, alone); expected at least {4 * iso.phase_s:g}s or a shorter --phase"
        )


def build_plan(scenario: Scenario, kind: str, overrides: PlanOverrides | None = None) -> LoadPlan:
    """Resolve a rehearsal's plan: overrides > scenario ``load`` section > defaults; ConfigError when invalid."""
    o = overrides or PlanOverrides()
    if kind not in KINDS:
        raise ConfigError(f"unknown rehearsal {kind!r}; expected one of {', '.join(KINDS)}")
    load = scenario.load
    max_duration = parse_seconds("--run-time", o.max_duration) if o.max_duration else load.max_duration_s
    think = parse_think_time(o.think_time) if o.think_time is not None else load.think_time_s
    sizes = o.photo_sizes_kb if o.photo_sizes_kb is not None else DEFAULT_PHOTO_SIZES_KB
    if not sizes or any(s < 1 for s in sizes):
        raise ConfigError(f"--photo-sizes: expected sizes in KB >= 1, got {','.join(map(str, sizes))}")
    batch = o.batch_size or (2, 5)
    if batch[0] < 1 or batch[1] < batch[0]:
        raise ConfigError(f"--batch-size: expected MIN:MAX with 1 <= MIN <= MAX, got {batch[0]}:{batch[1]}")
    isolation = None
    if kind == "isolation":
        if load.isolation is None:
            raise ConfigError(f"{scenario.source}: load.isolation: missing; name a victim and an aggressor tenant")
        iso = load.isolation
        victim_journey, aggressor_journey = _isolation_journeys(scenario)
        isolation = IsolationPlan(
            victim=iso.victim,
            aggressor=iso.aggressor,
            tolerance=o.tolerance if o.tolerance is not None else iso.tolerance,
            min_effect_ms=_min_effect_ms(o.min_effect) if o.min_effect is not None else iso.min_effect_ms,
            victim_p95_sla_ms=iso.victim_p95_sla_ms,
            victim_max_error_rate=iso.victim_max_error_rate,
            phase_s=parse_seconds("--phase", o.phase) if o.phase else _scaled_phase(iso.phase_s, o),
            recovery_s=parse_seconds("--recovery", o.recovery) if o.recovery else None,
            warmup_s=parse_seconds("--warmup", o.warmup) if o.warmup else _default_warmup(o),
            victim_users=o.victim_users if o.victim_users is not None else IsolationPlan.victim_users,
            victim_rps_per_user=(
                o.victim_rps_per_user if o.victim_rps_per_user is not None else IsolationPlan.victim_rps_per_user
            ),
            aggressor_users=o.aggressor_users if o.aggressor_users is not None else IsolationPlan.aggressor_users,
            victim_journey=victim_journey,
            aggressor_journey=aggressor_journey,
            adaptive=bool(o.adaptive),
            max_phase_s=(parse_seconds("--max-phase-time", o.max_phase_time) if o.max_phase_time else iso.max_phase_s),
        )
        _check_isolation(isolation, o)
        stages = isolation.stages
        user_mix: tuple[tuple[str, float], ...] = ((aggressor_journey, 1.0),)
    else:
        stages = _scaled_stages(scenario, o)
        user_mix = _user_mix(scenario, o)
    plan = LoadPlan(
        kind=cast(RehearsalKind, kind),  # one of KINDS, checked above
        scenario_name=scenario.name,
        scenario_path=str(scenario.source),
        scenario_sha256=scenario.sha256,
        tenants=_tenant_shares(scenario),
        stages=stages,
        user_mix=user_mix,
        think_time_s=think,
        max_duration_s=max_duration,
        allow_hosts=load.allow_hosts,
        photo_sizes_kb=tuple(sizes),
        batch_size=batch,
        spike_p95_sla_ms=_sla_ms(o.spike_p95_sla),
        spike_max_error_rate=(
            o.spike_max_error_rate if o.spike_max_error_rate is not None else LoadPlan.spike_max_error_rate
        ),
        isolation=isolation,
        journeys=dict(load.journeys),
        sign_in=load.sign_in,
        tenancy=scenario.tenancy,
        headers=dict(scenario.auth.headers),
        cookies=dict(scenario.auth.cookies),
        storage_state=_storage_state(scenario),
    )
    if plan.total_duration_s > plan.max_duration_s:
        raise ConfigError(
            f"the {kind} rehearsal lasts {plan.total_duration_s:g}s but the hard limit (load.max_duration / --run-time)"
            f" is {plan.max_duration_s:g}s; shorten the stages or raise the limit"
        )
    return plan


def stage_at(stages: tuple[Stage, ...], t: float) -> tuple[int, Stage, int] | None:
    """The stage running ``t`` seconds into the shape, its index and the users it starts from; None when done."""
    start, prev_users = 0.0, 0
    for i, stage in enumerate(stages):
        if t < start + stage.duration_s:
            return i, stage, prev_users
        start += stage.duration_s
        prev_users = stage.users
    return None


def phase_at(stages: tuple[Stage, ...], t: float) -> str:
    """The phase name for a request started ``t`` seconds in (the last stage's name once the shape is over)."""
    found = stage_at(stages, t)
    if found is not None:
        return found[1].name
    return stages[-1].name if stages else "run"


def with_locust_options(
    plan: LoadPlan, users: int | None, spawn_rate: float | None, run_time_s: float | None
) -> LoadPlan:
    """Plain Locust's ``-u``/``-r``/``-t`` on a Saturday plan, honoured rather than ignored for the shape.

    ``-u N`` replaces the stages with a ramp to N users at ``-r`` a second (without ``-r``: all within the
    first second) and a steady stage at N until ``-t`` (without ``-t``: as long as the scenario's stages);
    ``-t`` alone cuts the scenario's stages there. ConfigError when they do not make a run."""
    if users is None and spawn_rate is None and run_time_s is None:
        return plan
    if plan.kind == "isolation":
        raise ConfigError(
            "-u/--users, -r/--spawn-rate and -t/--run-time do not apply to the isolation check, whose users and"
            " phases are fixed; use --phase (bigday load isolation also takes --victim-users/--aggressor-users)"
        )
    total = run_time_s if run_time_s is not None else plan.total_duration_s
    if not total > 0:
        raise ConfigError(f"-t/--run-time: expected a positive duration, got {run_time_s}")
    if users is None:
        if spawn_rate is not None:
            raise ConfigError("-r/--spawn-rate: give -u/--users too (the scenario's stages set their own pace)")
        stages = _cut(plan.stages, total)
    else:
        if users < 1:
            raise ConfigError(f"-u/--users: expected a whole number >= 1, got {users}")
        ramp = users / spawn_rate if spawn_rate else min(1.0, total)
        if ramp >= total:
            stages = (Stage("ramp", total, max(1, math.floor(users * total / ramp))),)
        else:
            stages = (Stage("ramp", ramp, users), Stage("steady", total - ramp, users))
    if total > plan.max_duration_s:
        raise ConfigError(
            f"-t/--run-time: {total:g}s is beyond the hard limit (load.max_duration) of {plan.max_duration_s:g}s"
        )
    return replace(plan, stages=stages)


def _cut(stages: tuple[Stage, ...], at: float) -> tuple[Stage, ...]:
    out: list[Stage] = []
    start, prev = 0.0, 0
    for s in stages:
        if start + s.duration_s >= at:
            part = at - start
            users = math.ceil(prev + (s.users - prev) * part / s.duration_s)
            if part > 0:
                out.append(Stage(s.name, part, max(users, 1) if s.users else users))
            return tuple(out)
        out.append(s)
        start += s.duration_s
        prev = s.users
    return tuple(out)


def plan_secrets(plan: LoadPlan) -> tuple[str, ...]:
    """The environment variables the plan's users read secrets from (names only)."""
    texts = [*plan.headers.values(), *plan.cookies.values(), *(v for t in plan.tenants for v in t.credentials.values())]
    texts += [x for r in plan.sign_in for x in r.templates()]
    texts += [x for j in plan.journeys.values() for task in j.tasks for r in task.requests for x in r.templates()]
    return tuple(sorted({name for t in texts for name in env_refs(t)}))


def check_secrets(plan: LoadPlan) -> None:
    """ConfigError naming the first secret's variable that this process's environment lacks."""
    for name in plan_secrets(plan):
        secret(name)


def sign_in_method(plan: LoadPlan) -> str:
    """How the plan's users sign in, for the manifest: requests, storage_state, cookies, headers or none."""
    if plan.sign_in:
        return "requests"
    if plan.storage_state:
        return "storage_state"
    return "cookies" if plan.cookies else ("headers" if plan.headers else "none")
