"""The scenario: the app under test and what good looks like, parsed once into frozen typed objects.

The models are pydantic dataclasses: pydantic validates the YAML (unknown keys refused, strict numbers, units
through ``bigday.settings.units``) while the objects stay ordinary frozen dataclasses that code can build
positionally and that refuse assignment with ``AttributeError``. Every error is one line naming the file, the
key path (``thresholds[2].bound``) and what is expected.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import types
import typing
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

from bigday.errors import ConfigError
from bigday.metrics import FIELD_METRICS, METRICS, Direction, Unit
from bigday.settings.access import Auth, SignIn, Tenancy, credential_problem
from bigday.settings.base import CONFIG, Text, UrlPath
from bigday.settings.insights import InsightPolicy
from bigday.settings.journeys import Journey, JourneyRequest, ThinkTime
from bigday.settings.limits import (
    MAX_PAGES,
    MAX_SCENARIO_BYTES,
    MAX_TENANT_CLIENTS,
    MAX_TENANTS,
    MAX_TOLERANCE,
    MAX_UNITLESS,
    MAX_USERS,
    in_range,
)
from bigday.settings.rum import RumPolicy
from bigday.settings.steps import STEP_ACTIONS, InteractionStep, step_keys_problem
from bigday.settings.templates import BUILTIN_NAMES, check_known, env_refs
from bigday.settings.units import (
    DurationMs,
    Percent,
    PositiveSeconds,
    SizeBytes,
    describe_value,
    parse_duration_ms,
    parse_size_bytes,
)

__all__ = [
    "AGGREGATES",
    "DEFAULT_SCENARIO",
    "LEVELS",
    "STEP_ACTIONS",
    "AlertBand",
    "Auth",
    "Budget",
    "InteractionStep",
    "IsolationPolicy",
    "Journey",
    "JourneyRequest",
    "LoadShape",
    "LoadStage",
    "Page",
    "RegressionPolicy",
    "Scenario",
    "SignIn",
    "Tenancy",
    "Tenant",
    "ThinkTime",
    "Threshold",
    "load_scenario",
    "parse_duration_ms",
    "parse_scenario",
    "parse_size_bytes",
]

Aggregate = Literal["median", "p75", "p95", "p99", "mean", "min", "max"]
Level = Literal["warn", "error"]
AGGREGATES: tuple[str, ...] = typing.get_args(Aggregate)
LEVELS: tuple[str, ...] = typing.get_args(Level)
# The example scenario ships inside the package (scenarios/wedsync.yaml in a checkout links to it).
DEFAULT_SCENARIO = Path(str(resources.files("bigday") / "scenarios" / "wedsync.yaml"))

_CONFIG = CONFIG
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")


def _slug(pattern: str, allowed: str) -> AfterValidator:
    """Names that become parts of URLs, headers and file names: lower case, from ``allowed`` only."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"expected a lower-case slug ({allowed}), got {value!r}")
        return value

    return AfterValidator(check)


PageName = Annotated[Text, _slug(r"[a-z0-9][a-z0-9_-]*", "letters, digits, - and _")]
TenantId = Annotated[Text, _slug(r"[a-z0-9][a-z0-9-]*", "letters, digits, -")]


def _known_metric(value: Any, info: ValidationInfo) -> Any:
    # A scenario file names a metric of the registry; code (Lighthouse budgets) may also derive its own.
    if info.context is not None and isinstance(value, str) and value not in METRICS:
        raise ValueError(f"unknown metric {value!r}; expected one of {', '.join(sorted(METRICS))}")
    return value


def _in_metric_unit(raw: Any, info: ValidationInfo) -> Any:
    """A bound in the metric's own unit: durations for ms metrics, sizes for byte metrics, else a number."""
    metric = info.data.get("metric")
    if raw is None or metric not in METRICS:
        return raw
    unit = METRICS[metric].unit
    if unit is Unit.MS:
        return parse_duration_ms(raw)
    if unit is Unit.BYTES:
        return float(parse_size_bytes(raw))
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise ValueError(f"a plain number for {metric}, got {describe_value(raw)}")
    low, high = _UNIT_RANGE.get(unit, (0.0, MAX_UNITLESS))
    return float(in_range(raw, low, high, metric))


# The physical range of a bound in each unit that has no unit syntax of its own.
_UNIT_RANGE = {Unit.SCORE: (0.0, 100.0), Unit.RATIO: (0.0, 1.0), Unit.UNITLESS: (0.0, MAX_UNITLESS)}


def _metric_direction(given: Any, info: ValidationInfo) -> Any:
    if given is not None:
        return given
    metric = info.data.get("metric")
    return METRICS[metric].direction if metric in METRICS else Direction.LOWER_IS_BETTER


# The fields of a bound on one metric (thresholds, alert bands). The bounds and the direction read the
# ``metric`` field, so it comes first; a direction left out in the file is the metric's.
MetricName = Annotated[Text, BeforeValidator(_known_metric)]
InMetricUnit = Annotated[float, BeforeValidator(_in_metric_unit)]
MetricDirection = Annotated[Direction, BeforeValidator(_metric_direction)]


# ---------------------------------------------------------------- model


@dataclass(frozen=True, config=_CONFIG)
class Page:
    """A critical path of the app and the interaction performed on it after load."""

    name: PageName
    path: UrlPath
    interaction: tuple[InteractionStep, ...] = ()
    tenant: StrictStr | None = None
    # The probe's settle wait on this page: at least settle_min after navigation start, at most settle_max
    # from the load event (None: the probe's defaults, no minimum and 10 s).
    settle_min_ms: DurationMs | None = Field(default=None, ge=0, validation_alias="settle_min")
    settle_max_ms: DurationMs | None = Field(default=None, gt=0, validation_alias="settle_max")

    @model_validator(mode="before")
    @classmethod
    def _steps_named(cls, data: Any) -> Any:
        # Checked here rather than in the step, so the message can name the page.
        if isinstance(data, dict) and isinstance(data.get("interaction"), list):
            for i, raw in enumerate(data["interaction"]):
                problem = step_keys_problem(raw)
                if problem:
                    raise ValueError(f"interaction[{i}]: {problem} (page {data.get('name')!r})")
        return data


@dataclass(frozen=True, config=_CONFIG)
class Tenant:
    """A studio using the app: its size, how the app names it (``key``), and how it signs in (``credentials``)."""

    id: TenantId
    plan: Literal["premium", "small"] = "small"
    clients: Annotated[StrictInt, Field(ge=1, le=MAX_TENANT_CLIENTS)] = 1
    name: StrictStr = Field(default="", validate_default=True)  # left out in the file: the id
    concurrent_weddings: Annotated[StrictInt, Field(ge=0, le=MAX_TENANT_CLIENTS)] = 1
    # The tenant's identifier in the app (header or query value, subdomain, path segment); left out: the id.
    key: StrictStr = Field(default="", validate_default=True)
    # Values for {placeholders} of sign-in steps, headers and requests; secrets as ${VAR} only.
    credentials: dict[StrictStr, StrictStr] = Field(default_factory=dict)

    @field_validator("name", "key", mode="after")
    @classmethod
    def _default_name(cls, v: str, info: ValidationInfo) -> str:
        return v or str(info.data.get("id", ""))

    @field_validator("credentials")
    @classmethod
    def _secrets_named(cls, v: dict[str, str]) -> dict[str, str]:
        for name, value in v.items():
            problem = credential_problem(name, value)
            if problem:
                raise ValueError(problem)
        return v

    def values(self) -> dict[str, str]:
        """The tenant's placeholder values, credentials still as written (``${VAR}`` unresolved)."""
        return {**self.credentials, "tenant": self.id, "tenant_key": self.key}

    @field_validator("clients")
    @classmethod
    def _small_studio(cls, v: int, info: ValidationInfo) -> int:
        if info.data.get("plan") == "small" and v > 1000:
            raise ValueError(f"expected at most 1000 clients for a small studio, got {v}")
        return v


@dataclass(frozen=True, config=_CONFIG)
class Threshold:
    """A bound on one aggregate of one metric, for some or all pages (``pages`` empty: every page)."""

    metric: MetricName
    aggregate: Aggregate
    bound: InMetricUnit
    level: Level = "error"
    direction: MetricDirection = Field(default=None, validate_default=True)
    pages: tuple[StrictStr, ...] = ()
    # Whose measurements it judges: bigday's own, or Lighthouse's (--engine lighthouse); None: the run's
    # primary engine (bigday's when it measured, else Lighthouse's).
    engine: Literal["bigday", "lighthouse"] | None = None

    @field_validator("pages", mode="before")
    @classmethod
    def _all_pages(cls, v: Any) -> Any:
        if v == "all" or v is None:
            return ()
        if not isinstance(v, (list, tuple)) or not all(isinstance(p, str) for p in v):
            raise ValueError(f"expected 'all' or a list of page names, got {describe_value(v)}")
        return v

    def applies_to(self, page: str) -> bool:
        return not self.pages or page in self.pages

    def breached_by(self, value: float) -> bool:
        if self.direction is Direction.HIGHER_IS_BETTER:
            return value < self.bound
        return value > self.bound


@dataclass(frozen=True, config=_CONFIG)
class AlertBand:
    """Where a metric's alert severity turns high (warning) and critical."""

    metric: MetricName
    warning: InMetricUnit | None = None
    critical: InMetricUnit | None = None
    direction: MetricDirection = Field(default=None, validate_default=True)


@dataclass(frozen=True, config=_CONFIG)
class Budget:
    """A size budget in bytes on one JS chunk (or ``total`` for all JS)."""

    chunk: Text
    max_bytes: Annotated[SizeBytes, Field(validation_alias="max")]
    level: Level = "error"


@dataclass(frozen=True, config=_CONFIG)
class RegressionPolicy:
    """Minimum effect sizes for a regression verdict against a baseline."""

    timing_pct: Percent = Field(default=10.0, validation_alias="timing")
    cls_abs: StrictFloat = Field(default=0.02, ge=0, le=MAX_UNITLESS, validation_alias="cls")
    score_points: StrictFloat = Field(default=5.0, ge=0, le=100)
    alpha: StrictFloat = Field(default=0.05, gt=0, lt=1)


@dataclass(frozen=True, config=_CONFIG)
class LoadStage:
    """One stage of the Saturday shape: reach ``users`` over ``duration_s`` seconds."""

    name: Text
    duration_s: Annotated[PositiveSeconds, Field(validation_alias="duration")]
    users: Annotated[StrictInt, Field(ge=0, le=MAX_USERS)]


@dataclass(frozen=True, config=_CONFIG)
class IsolationPolicy:
    """Which tenants play victim and aggressor, and how much slow-down is tolerated."""

    victim: Text
    aggressor: Text
    tolerance: StrictFloat = Field(default=1.25, ge=1.0, le=MAX_TOLERANCE)
    victim_p95_sla_ms: DurationMs = Field(default=500.0, validation_alias="victim_p95_sla")
    victim_max_error_rate: StrictFloat = Field(default=0.01, ge=0, le=1)
    phase_s: PositiveSeconds = Field(default=20.0, validation_alias="phase")
    # The adaptive check's bound on its windows (alone and spike together), which fixes its number of looks.
    max_phase_s: PositiveSeconds = Field(default=180.0, validation_alias="max_phase_time")
    # A victim slow-down counts only when its p95 rise could also reach this many ms (0: the ratio alone).
    min_effect_ms: DurationMs = Field(default=0.0, validation_alias="min_effect")
    # The journeys (load.journeys) the victim's and the aggressor's users follow.
    victim_journey: Text = "victim"
    aggressor_journey: Text = "aggressor"


@dataclass(frozen=True, config=_CONFIG)
class LoadShape:
    """Load rehearsal parameters."""

    peak_users: StrictInt = Field(default=10_000, ge=1, le=MAX_USERS)
    stages: tuple[LoadStage, ...] = ()
    # Journey name -> weight; left out: every journey alike (those of the isolation pair aside).
    user_mix: dict[StrictStr, float] = Field(default_factory=dict)
    think_time: ThinkTime = ThinkTime(1.0, 5.0)
    max_duration_s: PositiveSeconds = Field(default=1800.0, validation_alias="max_duration")
    allow_hosts: tuple[StrictStr, ...] = ()
    isolation: IsolationPolicy | None = None
    journeys: dict[StrictStr, Journey] = Field(default_factory=dict)
    sign_in: tuple[JourneyRequest, ...] = ()  # requests every load user sends once, before its first task

    @field_validator("user_mix", mode="before")
    @classmethod
    def _weights(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for kind, w in v.items():
                if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w <= MAX_UNITLESS:
                    raise ValueError(f"{kind}: expected a weight >= 0, got {describe_value(w)}")
            if v and sum(v.values()) <= 0:
                raise ValueError("expected at least one positive weight")
        return v

    @field_validator("allow_hosts")
    @classmethod
    def _hosts(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for h in v:
            if not h.strip() or "/" in h:
                raise ValueError(f"expected host names, got {h!r}")
        return v

    @property
    def think_time_s(self) -> tuple[float, float]:
        return (self.think_time.min, self.think_time.max)

    @property
    def mix(self) -> dict[str, float]:
        """The Saturday mix: ``user_mix``, or every journey alike but the isolation pair's."""
        if self.user_mix:
            return dict(self.user_mix)
        pair = {self.isolation.victim_journey, self.isolation.aggressor_journey} if self.isolation else set()
        return {name: 1.0 for name in self.journeys if name not in pair}


# ---------------------------------------------------------------- the long-running side (bigday monitor, sla)

Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_NAMES: tuple[str, ...] = typing.get_args(Severity)
AVAILABILITY = "availability"  # the "metric" of availability alerts and rules
DAY_S = 86_400.0


def _all_or_names(v: Any) -> Any:
    if v == "all" or v is None:
        return ()
    if not isinstance(v, (list, tuple)) or not all(isinstance(p, str) for p in v):
        raise ValueError(f"expected 'all' or a list of names, got {describe_value(v)}")
    return v


def _valid_cron(expr: str) -> str:
    from croniter import croniter  # only a scenario with a cron schedule pays for the import

    if len(expr.split()) != 5 or not croniter.is_valid(expr):
        raise ValueError(f"expected a 5-field cron expression like '*/15 * * * *', got {expr!r}")
    return expr


def _utc(v: Any) -> Any:
    """A naive time in the scenario is UTC, like every time bigday stores."""
    if isinstance(v, str):
        try:
            v = datetime.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"an ISO 8601 time like 2026-12-01T02:00:00Z, got {v!r}") from None
    if isinstance(v, datetime):
        return v if v.tzinfo is not None else v.replace(tzinfo=UTC)
    return v


@dataclass(frozen=True, config=_CONFIG)
class PageSchedule:
    """When one page is checked: ``every: 5m`` (slots on a grid from the epoch) or ``cron: "*/5 * * * *"`` (UTC)."""

    every_s: Annotated[PositiveSeconds | None, Field(validation_alias="every")] = None
    cron: StrictStr | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        return _valid_cron(v) if v is not None else v

    @model_validator(mode="after")
    def _one_of(self) -> PageSchedule:
        if (self.every_s is None) == (self.cron is None):
            raise ValueError("expected exactly one of every or cron")
        return self


@dataclass(frozen=True, config=_CONFIG)
class AlertRule:
    """Opening and closing rules for some pages and metrics (``availability`` is a metric here); the first
    rule that matches a page and metric wins, and what it leaves out comes from the alert policy."""

    pages: tuple[StrictStr, ...] = ()
    metrics: tuple[StrictStr, ...] = ()
    open_after: Annotated[StrictInt, Field(ge=1)] | None = None
    open_after_time_s: Annotated[PositiveSeconds | None, Field(validation_alias="open_after_time")] = None
    resolve_after: Annotated[StrictInt, Field(ge=1)] | None = None
    remind_every_s: Annotated[PositiveSeconds | None, Field(validation_alias="remind_every")] = None
    severity: Severity | None = None

    @field_validator("pages", "metrics", mode="before")
    @classmethod
    def _all(cls, v: Any) -> Any:
        return _all_or_names(v)

    def matches(self, page: str, metric: str) -> bool:
        return (not self.pages or page in self.pages) and (not self.metrics or metric in self.metrics)


@dataclass(frozen=True)
class AlertSettings:
    """The rules in force for one page and metric, the policy's defaults filled in."""

    open_after: int
    open_after_time_s: float | None
    resolve_after: int
    remind_every_s: float
    severity: str | None


@dataclass(frozen=True, config=_CONFIG)
class AlertPolicy:
    """When a monitored problem opens an alert, reminds, and resolves by itself."""

    open_after: Annotated[StrictInt, Field(ge=1)] = 3  # consecutive failing checks
    open_after_time_s: Annotated[PositiveSeconds | None, Field(validation_alias="open_after_time")] = None
    resolve_after: Annotated[StrictInt, Field(ge=1)] = 3  # consecutive passing checks
    remind_every_s: Annotated[PositiveSeconds, Field(validation_alias="remind_every")] = 3600.0
    availability_severity: Severity = "critical"
    rules: tuple[AlertRule, ...] = ()

    def for_(self, page: str, metric: str) -> AlertSettings:
        rule = next((r for r in self.rules if r.matches(page, metric)), None)

        def pick(name: str) -> Any:
            own = getattr(rule, name) if rule is not None else None
            return own if own is not None else getattr(self, name, None)

        severity = rule.severity if rule is not None and rule.severity else None
        if severity is None and metric == AVAILABILITY:
            severity = self.availability_severity
        return AlertSettings(
            pick("open_after"), pick("open_after_time_s"), pick("resolve_after"), pick("remind_every_s"), severity
        )


@dataclass(frozen=True, config=_CONFIG)
class MaintenanceSpec:
    """A maintenance window: once (``from``/``to``) or recurring (``cron`` start, ``duration``), for some
    pages or all. Checks keep measuring; alerts are muted and the time is left out of the SLA."""

    start: Annotated[datetime | None, Field(validation_alias="from")] = None
    end: Annotated[datetime | None, Field(validation_alias="to")] = None
    cron: StrictStr | None = None
    duration_s: Annotated[PositiveSeconds | None, Field(validation_alias="duration")] = None
    pages: tuple[StrictStr, ...] = ()
    reason: StrictStr = ""

    @field_validator("start", "end", mode="before")
    @classmethod
    def _times(cls, v: Any) -> Any:
        return _utc(v)

    @field_validator("start", "end", mode="after")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        return v if v is None or v.tzinfo is not None else v.replace(tzinfo=UTC)

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        return _valid_cron(v) if v is not None else v

    @field_validator("pages", mode="before")
    @classmethod
    def _all(cls, v: Any) -> Any:
        return _all_or_names(v)

    @model_validator(mode="after")
    def _shape(self) -> MaintenanceSpec:
        once = self.start is not None or self.end is not None
        recurring = self.cron is not None or self.duration_s is not None
        if once == recurring:
            raise ValueError("expected either from and to, or cron and duration")
        if once and (self.start is None or self.end is None):
            raise ValueError("expected both from and to")
        if recurring and (self.cron is None or self.duration_s is None):
            raise ValueError("expected both cron and duration")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"to ({self.end.isoformat()}) must come after from ({self.start.isoformat()})")
        return self


def _fraction_target(v: float) -> float:
    if not 0 < v < 100:
        raise ValueError(f"expected a percentage above 0% and below 100%, got {v:g}%")
    return v


@dataclass(frozen=True, config=_CONFIG)
class SlaPolicy:
    """Service level objectives: the share of checks that load, and of checks within every threshold."""

    availability: Percent = 99.0
    within_thresholds: Percent = 99.0
    window_s: Annotated[PositiveSeconds, Field(validation_alias="window")] = 30 * DAY_S
    # Burn-rate alerts wait for this many checks in their long window, so one failed first check is no page.
    min_checks: Annotated[StrictInt, Field(ge=1)] = 6

    @field_validator("availability", "within_thresholds")
    @classmethod
    def _target(cls, v: float) -> float:
        return _fraction_target(v)


@dataclass(frozen=True, config=_CONFIG)
class AnomalyPolicy:
    """A check far outside the robust spread (median, MAD) of the last ``history`` of checks."""

    history_s: Annotated[PositiveSeconds, Field(validation_alias="history")] = 14 * DAY_S
    spread: StrictFloat = Field(default=6.0, gt=0)  # robust z (MADs scaled to sigma) beyond which a check is odd
    min_checks: Annotated[StrictInt, Field(ge=3)] = 50
    refresh_s: Annotated[PositiveSeconds, Field(validation_alias="refresh")] = 3600.0


@dataclass(frozen=True, config=_CONFIG)
class ForecastPolicy:
    """A robust trend of the daily aggregate that will cross a threshold within ``horizon``."""

    min_days: Annotated[StrictInt, Field(ge=3)] = 7
    window_s: Annotated[PositiveSeconds, Field(validation_alias="window")] = 60 * DAY_S
    horizon_s: Annotated[PositiveSeconds, Field(validation_alias="horizon")] = 30 * DAY_S
    every_s: Annotated[PositiveSeconds, Field(validation_alias="every")] = 6 * 3600.0
    confidence: StrictFloat = Field(default=0.95, gt=0.5, lt=1)


@dataclass(frozen=True, config=_CONFIG)
class RegressionWatch:
    """The last ``recent`` of checks against the ``baseline`` before it, with compare's statistics."""

    recent_s: Annotated[PositiveSeconds, Field(validation_alias="recent")] = 3600.0
    baseline_s: Annotated[PositiveSeconds, Field(validation_alias="baseline")] = 7 * DAY_S
    every_s: Annotated[PositiveSeconds, Field(validation_alias="every")] = 3600.0


@dataclass(frozen=True, config=_CONFIG)
class FieldWatch:
    """Real users' p75 against thresholds of its own: each page's route and tenant, over the last ``days`` UTC
    days of field beacons (today included), judged every ``every`` after a check of the page; a p75 of fewer
    than ``min_count`` values says nothing. Thresholds take the same form as the scenario's, at p75."""

    thresholds: tuple[Threshold, ...] = ()
    every_s: Annotated[PositiveSeconds, Field(validation_alias="every")] = 900.0
    days: Annotated[StrictInt, Field(ge=1, le=28)] = 1
    min_count: Annotated[StrictInt, Field(ge=1, le=10_000_000)] = 50


@dataclass(frozen=True, config=_CONFIG)
class EmailChannel:
    """Alert e-mail over SMTP; the user name and password come from BIGDAY_SMTP_USER / BIGDAY_SMTP_PASSWORD."""

    host: Text
    to: tuple[Text, ...]
    sender: Annotated[Text, Field(validation_alias="from")]
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 25
    security: Literal["none", "starttls", "ssl"] = "starttls"
    timeout_s: Annotated[PositiveSeconds, Field(validation_alias="timeout")] = 10.0

    @field_validator("to", mode="before")
    @classmethod
    def _addresses(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [v]
        if isinstance(v, (list, tuple)):
            for a in v:
                if not isinstance(a, str) or "@" not in a:
                    raise ValueError(f"expected e-mail addresses, got {a!r}")
        return v


@dataclass(frozen=True, config=_CONFIG)
class MonitorPolicy:
    """``bigday monitor``: schedules, check settings, alert rules, maintenance windows, SLOs and detectors."""

    every_s: Annotated[PositiveSeconds, Field(validation_alias="every")] = 900.0
    jitter_ms: Annotated[DurationMs | None, Field(validation_alias="jitter")] = None  # None: 10% of the interval
    schedules: dict[StrictStr, PageSchedule] = Field(default_factory=dict)  # page -> its own schedule
    attempts: Annotated[StrictInt, Field(ge=1, le=5)] = 2
    timeout_s: Annotated[PositiveSeconds, Field(validation_alias="timeout")] = 30.0
    accessibility: Literal["every", "off"] = "every"
    alerts: AlertPolicy = AlertPolicy()
    maintenance: tuple[MaintenanceSpec, ...] = ()
    sla: SlaPolicy = SlaPolicy()
    anomaly: AnomalyPolicy = AnomalyPolicy()
    forecast: ForecastPolicy = ForecastPolicy()
    regression: RegressionWatch = RegressionWatch()
    field: FieldWatch = FieldWatch()
    email: EmailChannel | None = None

    @field_validator("jitter_ms")
    @classmethod
    def _jitter(cls, v: float | None) -> float | None:
        if v is not None and v < 0:
            raise ValueError(f"expected a duration >= 0, got {v:g} ms")
        return v


@dataclass(frozen=True, config=_CONFIG)
class Scenario:
    """The app under test and what good looks like; ``source`` and ``sha256`` say which file it came from."""

    name: Text
    tenants: tuple[Tenant, ...]
    pages: tuple[Page, ...]
    version: StrictInt = 1
    base_url: StrictStr | None = None
    tenancy: Tenancy = Tenancy()
    auth: Auth = Auth()
    thresholds: tuple[Threshold, ...] = ()
    alert_bands: dict[str, AlertBand] = Field(default_factory=dict)  # metric -> its band
    budgets: tuple[Budget, ...] = ()
    regression: RegressionPolicy = RegressionPolicy()
    load: LoadShape = LoadShape()
    monitor: MonitorPolicy = MonitorPolicy()
    rum: RumPolicy = RumPolicy()
    insights: InsightPolicy = InsightPolicy()
    source: Path = Field(default=Path("<scenario>"), exclude=True)
    sha256: str = Field(default="", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _from_file(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or info.context is None:
            return data
        for key in ("source", "sha256"):  # set from the file itself, never written in it
            if key in data:
                raise ValueError(f"{key}: unknown key; it is not a scenario setting")
        out = {**data, "source": info.context["source"], "sha256": info.context["sha256"]}
        bands = data.get("alert_bands")
        if isinstance(bands, dict):  # each band learns its metric from its key, to read bounds in its unit
            out["alert_bands"] = {k: {"metric": k, **v} if isinstance(v, dict) else v for k, v in bands.items()}
        return out

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v != 1:
            raise ValueError(f"expected scenario format version 1, got {v}")
        return v

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"expected an http(s) URL like https://app.example.com, got {v!r}")
        return v.rstrip("/")

    def page(self, name: str) -> Page:
        for p in self.pages:
            if p.name == name:
                return p
        raise ConfigError(f"{self.source}: no page named {name!r}; pages are {', '.join(p.name for p in self.pages)}")

    def tenant(self, tenant_id: str) -> Tenant:
        for t in self.tenants:
            if t.id == tenant_id:
                return t
        raise ConfigError(
            f"{self.source}: no tenant {tenant_id!r}; tenants are {', '.join(t.id for t in self.tenants)}"
        )

    @property
    def default_tenant(self) -> Tenant:
        return self.tenants[0]

    @property
    def folder(self) -> Path:
        """Where files the scenario names (storage states, uploads) are found: the scenario file's folder."""
        return self.source.parent.absolute()

    def secret_names(self) -> tuple[str, ...]:
        """Every environment variable the scenario names for a secret, sorted (the manifest records these)."""
        texts = [*self.auth.templates(), *(v for t in self.tenants for v in t.credentials.values())]
        for r in self.load.sign_in:
            texts.extend(r.templates())
        for j in self.load.journeys.values():
            texts.extend(x for task in j.tasks for r in task.requests for x in r.templates())
        return tuple(sorted({name for t in texts for name in env_refs(t)}))


_SCENARIO = TypeAdapter(Scenario)


# ---------------------------------------------------------------- cross-references


class _Refused(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _unique(items: tuple[Any, ...], attr: str, section: str, what: str) -> None:
    seen: set[str] = set()
    if not items:
        raise _Refused(section, f"expected at least one {what}")
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value in seen:
            raise _Refused(f"{section}[{i}].{attr}", f"duplicate {what} {attr if attr != 'id' else 'id'} {value!r}")
        seen.add(value)


def _check_references(s: Scenario) -> None:
    """What one section says about another: tenants and pages named elsewhere exist, stages fit the peak,
    every placeholder has a value for every tenant."""
    _check_pages(s)
    _check_bands(s)
    _check_load(s)
    _check_placeholders(s)
    _check_journeys(s)
    _check_monitor(s)
    _check_rum(s)


def _tenant_names(s: Scenario) -> set[str]:
    """Placeholders every tenant has a value for: the built-ins and the credentials all tenants share."""
    shared = set.intersection(*(set(t.credentials) for t in s.tenants)) if s.tenants else set()
    return shared | set(BUILTIN_NAMES)


def _refuse_unknown(path: str, texts: Any, known: set[str]) -> None:
    for text in texts:
        problem = check_known(text, known)
        if problem:
            raise _Refused(path, problem)


def _check_placeholders(s: Scenario) -> None:
    known = _tenant_names(s)
    for i, p in enumerate(s.pages):
        _refuse_unknown(f"pages[{i}].path", (p.path,), known)
        for j, step in enumerate(p.interaction):
            _refuse_unknown(f"pages[{i}].interaction[{j}]", step.templates(), known)
    auth = s.auth
    for key, text in [
        *(("headers." + k, v) for k, v in auth.headers.items()),
        *(("cookies." + k, v) for k, v in auth.cookies.items()),
    ]:
        _refuse_unknown(f"auth.{key}", (text,), known)
    if auth.storage_state:
        _refuse_unknown("auth.storage_state", (auth.storage_state,), known)
    if auth.sign_in is not None:
        _refuse_unknown("auth.sign_in.page", (auth.sign_in.page,), known)
        for j, step in enumerate(auth.sign_in.steps):
            _refuse_unknown(f"auth.sign_in.steps[{j}]", step.templates(), known)
        _refuse_unknown("auth.sign_in.success", auth.sign_in.success.templates(), known)


def _check_requests(path: str, requests: tuple[JourneyRequest, ...], known: set[str]) -> set[str]:
    """Each request may use what the ones before it captured; returns the names known after the last."""
    names = set(known)
    for i, r in enumerate(requests):
        _refuse_unknown(f"{path}[{i}]", r.templates(), names | set(r.choose))
        names |= set(r.capture)
    return names


def _check_journeys(s: Scenario) -> None:
    load = s.load
    signed_in = _check_requests("load.sign_in", load.sign_in, _tenant_names(s))
    for name, journey in load.journeys.items():
        if not _SLUG.fullmatch(name):
            raise _Refused(f"load.journeys.{name}", "expected a lower-case name (letters, digits, - and _)")
        for t, task in enumerate(journey.tasks):
            _check_requests(f"load.journeys.{name}.tasks[{t}].requests", task.requests, signed_in)
    known = ", ".join(sorted(load.journeys)) or "none"
    for kind in load.user_mix:
        if kind not in load.journeys:
            raise _Refused(f"load.user_mix.{kind}", f"unknown journey; load.journeys declares: {known}")
    iso = load.isolation
    if iso is not None and load.journeys:
        for key, name in (("victim_journey", iso.victim_journey), ("aggressor_journey", iso.aggressor_journey)):
            if name not in load.journeys:
                raise _Refused(f"load.isolation.{key}", f"unknown journey {name!r}; load.journeys declares: {known}")
    if s.auth.sign_in is not None and load.journeys and not load.sign_in:
        raise _Refused(
            "load.sign_in",
            "missing: probes sign in (auth.sign_in) but load users would not; add the sign-in requests",
        )


def _check_pages(s: Scenario) -> None:
    _unique(s.tenants, "id", "tenants", "tenant")
    _unique(s.pages, "name", "pages", "page")
    tenant_ids = {t.id for t in s.tenants}
    known_tenants = ", ".join(sorted(tenant_ids))
    page_names = {p.name for p in s.pages}
    for i, p in enumerate(s.pages):
        if p.tenant is not None and p.tenant not in tenant_ids:
            raise _Refused(f"pages[{i}].tenant", f"unknown tenant {p.tenant!r}; tenants are {known_tenants}")
    for i, t in enumerate(s.thresholds):
        for name in t.pages:
            if name not in page_names:
                raise _Refused(
                    f"thresholds[{i}].pages", f"unknown page {name!r}; pages are {', '.join(sorted(page_names))}"
                )


def _check_bands(s: Scenario) -> None:
    for metric, band in s.alert_bands.items():
        if band.warning is None and band.critical is None:
            raise _Refused(f"alert_bands.{metric}", "expected a warning and/or critical bound")
        if band.warning is not None and band.critical is not None:
            lower = band.direction is not Direction.HIGHER_IS_BETTER
            if not (band.warning <= band.critical if lower else band.warning >= band.critical):
                raise _Refused(
                    f"alert_bands.{metric}.critical",
                    f"warning ({band.warning:g}) must come before critical ({band.critical:g})"
                    f" for a {'lower' if lower else 'higher'}-is-better metric",
                )


def _check_load(s: Scenario) -> None:
    load = s.load
    for i, st in enumerate(load.stages):
        if st.users > load.peak_users:
            raise _Refused(
                f"load.stages[{i}].users", f"expected at most peak_users ({load.peak_users}), got {st.users}"
            )
    if load.think_time.min > load.think_time.max:
        raise _Refused("load.think_time.min", f"min ({load.think_time.min}s) exceeds max ({load.think_time.max}s)")
    iso = load.isolation
    if iso is not None:
        tenant_ids = {t.id for t in s.tenants}
        for key, tid in (("victim", iso.victim), ("aggressor", iso.aggressor)):
            if tid not in tenant_ids:
                known = ", ".join(sorted(tenant_ids))
                raise _Refused(f"load.isolation.{key}", f"unknown tenant {tid!r}; tenants are {known}")
        if iso.victim == iso.aggressor:
            raise _Refused("load.isolation.aggressor", "victim and aggressor must be different tenants")


def _check_monitor(s: Scenario) -> None:
    pages = {p.name for p in s.pages}
    known = ", ".join(sorted(pages))
    m = s.monitor
    for name in m.schedules:
        if name not in pages:
            raise _Refused(f"monitor.schedules.{name}", f"unknown page {name!r}; pages are {known}")
    for i, rule in enumerate(m.alerts.rules):
        for name in rule.pages:
            if name not in pages:
                raise _Refused(f"monitor.alerts.rules[{i}].pages", f"unknown page {name!r}; pages are {known}")
        for metric in rule.metrics:
            if metric != AVAILABILITY and metric not in METRICS:
                raise _Refused(
                    f"monitor.alerts.rules[{i}].metrics",
                    f"unknown metric {metric!r}; expected {AVAILABILITY} or one of {', '.join(sorted(METRICS))}",
                )
    for i, w in enumerate(m.maintenance):
        _known_pages(f"monitor.maintenance[{i}].pages", w.pages, pages)
    _check_field_thresholds(m.field.thresholds, pages)


def _known_pages(key: str, names: tuple[str, ...], pages: set[str]) -> None:
    for name in names:
        if name not in pages:
            raise _Refused(key, f"unknown page {name!r}; pages are {', '.join(sorted(pages))}")


def _check_field_thresholds(thresholds: tuple[Threshold, ...], pages: set[str]) -> None:
    for i, t in enumerate(thresholds):
        key = f"monitor.field.thresholds[{i}]"
        if t.metric not in FIELD_METRICS:
            raise _Refused(f"{key}.metric", f"expected a metric field beacons carry ({', '.join(FIELD_METRICS)})")
        if t.aggregate != "p75":
            raise _Refused(f"{key}.aggregate", f"the field is judged at p75, as CrUX does; got {t.aggregate!r}")
        if t.engine is not None:
            raise _Refused(f"{key}.engine", "a field threshold judges real users' beacons; leave engine out")
        _known_pages(f"{key}.pages", t.pages, pages)


def _check_rum(s: Scenario) -> None:
    tenant_ids = {t.id for t in s.tenants}
    keys: set[str] = set()
    for i, site in enumerate(s.rum.sites):
        if site.tenant not in tenant_ids:
            known = ", ".join(sorted(tenant_ids))
            raise _Refused(f"rum.sites[{i}].tenant", f"unknown tenant {site.tenant!r}; tenants are {known}")
        if site.key in keys:
            raise _Refused(f"rum.sites[{i}].key", "this key is already another site's; each site needs its own")
        keys.add(site.key)


# ---------------------------------------------------------------- errors as one line


# A key path as validators write it at the start of a message: ``steps[3]``, ``headers.Authorization``.
_KEY_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\[\d+\])?(\.[A-Za-z_][A-Za-z0-9_-]*(\[\d+\])?)*")


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "top level"


def _field_types(cls: Any) -> dict[str, Any]:
    """A pydantic dataclass's fields by the name the file uses (the alias, where there is one)."""
    fields = getattr(cls, "__pydantic_fields__", {})
    return {
        (f.validation_alias if isinstance(f.validation_alias, str) else name): f.annotation
        for name, f in fields.items()
        if name not in ("source", "sha256")
    }


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) in (typing.Union, types.UnionType, Annotated):
        args = typing.get_args(tp)
        tp = args[0] if typing.get_origin(tp) is Annotated else next(a for a in args if a is not type(None))
    return tp


def _model_at(loc: tuple[int | str, ...]) -> Any:
    """The dataclass that the mapping at ``loc`` is validated as (for listing its known keys)."""
    current: Any = Scenario
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, str) and dataclasses.is_dataclass(current):
            current = _field_types(current).get(part)
        else:  # an index into a tuple, or a key into a mapping: the element's type
            args = [a for a in typing.get_args(current) if a is not Ellipsis]
            current = args[-1] if args else None
    return _unwrap(current)


# pydantic error types (by prefix) that mean "wrong kind of value", and what the file should hold instead.
_EXPECTED_BY_TYPE = (
    ("int_", "a whole number"),
    ("float_", "a number"),
    ("string_", "a non-empty string"),
    ("str_type", "a non-empty string"),
    ("dataclass_", "a mapping"),
    ("dict_type", "a mapping"),
    ("model_type", "a mapping"),
    ("tuple_type", "a list"),
    ("list_type", "a list"),
)


def _message(err: Any) -> tuple[str, str]:
    """(key path, what is wrong) for the first pydantic error."""
    loc: tuple[int | str, ...] = tuple(err["loc"])
    kind, value, ctx = err["type"], err["input"], err.get("ctx") or {}
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        known = ", ".join(sorted(_field_types(_model_at(loc[:-1]))))
        return _key_path(loc), f"unknown key; expected one of: {known}"
    if kind == "missing":
        return _key_path(loc), "missing required key"
    if kind == "literal_error":
        expected = ", ".join(x.strip("'") for x in re.split(r", | or ", ctx.get("expected", "")))
        what = "unknown user kind; expected" if "[key]" in loc else "expected"
        return _key_path(loc), f"{what} one of {expected}, got {value!r}"
    if kind == "value_error":
        text = str(ctx.get("error", err["msg"]))
        path = _key_path(loc)
        head, sep, rest = text.partition(": ")
        if sep and _KEY_PATH.fullmatch(head):  # a validator naming the key inside its own
            path, text = f"{path}.{head}" if loc else head, rest
        return path, f"expected {text}" if text.startswith(("a ", "an ")) else text
    for prefix, expected in _EXPECTED_BY_TYPE:
        if kind.startswith(prefix):
            return _key_path(loc), f"expected {expected}, got {describe_value(value)}"
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than": "<", "less_than_equal": "<="}[kind]
        limit = next(iter(ctx.values()), "")
        return _key_path(loc), f"expected a number {op} {limit}, got {value}"
    if kind == "enum":
        return _key_path(loc), f"expected one of {ctx.get('expected', '')}, got {value!r}"
    return _key_path(loc), str(err["msg"]).lower()


# ---------------------------------------------------------------- entry points


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML that refuses a key written twice in one mapping (plain YAML keeps the last, silently)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        if key_node.value in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key_node.value!r} appears twice in one mapping", key_node.start_mark
            )
        seen.add(key_node.value)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def parse_scenario(text: str, source: Path) -> Scenario:
    """Parse scenario YAML text; ConfigError names ``source``, the key and what is expected."""
    if len(text) > MAX_SCENARIO_BYTES:
        raise ConfigError(f"{source}: {len(text)} characters; a scenario may have at most {MAX_SCENARIO_BYTES}")
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 -- a SafeLoader with one more check
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise ConfigError(f"{source}: not valid YAML at {where}: {problem}") from None
    if data is None:
        raise ConfigError(f"{source}: the file is empty; expected a scenario mapping with name, pages, tenants")
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: top level: expected a mapping, got {describe_value(data)}")
    for key, limit in (("pages", MAX_PAGES), ("tenants", MAX_TENANTS)):
        if isinstance(data.get(key), list) and len(data[key]) > limit:
            raise ConfigError(f"{source}: {key}: {len(data[key])} entries; at most {limit} are allowed")
    context = {"source": source, "sha256": hashlib.sha256(text.encode()).hexdigest()}
    try:
        scenario = _SCENARIO.validate_python(data, context=context)
        _check_references(scenario)
    except ValidationError as e:
        path, message = _message(e.errors(include_url=False)[0])
        raise ConfigError(f"{source}: {path}: {message}") from None
    except _Refused as e:
        raise ConfigError(f"{source}: {e.path}: {e.message}") from None
    return scenario


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and parse a scenario file (the bundled wedsync.yaml when ``path`` is None)."""
    source = Path(path) if path is not None else DEFAULT_SCENARIO
    try:
        if source.is_file() and source.stat().st_size > MAX_SCENARIO_BYTES:
            raise ConfigError(f"{source}: larger than {MAX_SCENARIO_BYTES} bytes; a scenario may be at most that")
        raw = source.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such scenario file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a directory; expected a scenario YAML file") from None
    except OSError as e:
        raise ConfigError(f"{source}: cannot read scenario file: {e.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text; expected a scenario YAML file") from None
    return parse_scenario(text, source)
