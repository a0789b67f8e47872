"""A load run's own verdicts, as ``load_stats.json`` carries them: tenant isolation and the Saturday spike.

``bigday.load.verdict`` computes them; compare turns each into a check whose kind follows the verdict's
type.  Every verdict names itself (``name``, the tag of the union), says pass or fail, whether its evidence
can be trusted, and why.  The figures behind it are always written by bigday; a reader also accepts a
verdict without them (None: not recorded).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field
from pydantic.dataclasses import dataclass

from bigday.runfolder.document import FORBID, Record
from bigday.runfolder.enums import CheckKind, Status


@dataclass(frozen=True, config=FORBID)
class Interval(Record):
    """A point estimate with its bootstrap confidence interval."""

    estimate: float | None
    low: float | None
    high: float | None
    confidence: float

    @classmethod
    def unknown(cls, confidence: float) -> Interval:
        """No estimate (a phase without samples)."""
        return cls(None, None, None, confidence)


@dataclass(frozen=True, config=FORBID)
class ProcessCpu(Record):
    """One load-generator process's CPU over the run (percent of one core)."""

    samples: int
    median: float
    max: float
    fraction_above_bar: float


@dataclass(frozen=True, config=FORBID)
class GeneratorHealth(Record):
    """The load generator's own CPU over the run; saturated when any process sat above the bar too long."""

    saturated: bool
    busiest_fraction: float
    cpu_pct_bar: float
    fraction_bar: float
    per_process: dict[str, ProcessCpu] = Field(default_factory=dict)


@dataclass(frozen=True, config=FORBID)
class PhaseFigures(Record):
    """The victim's figures in one phase."""

    n: int
    p50: float | None
    p95: float | None
    p99: float | None
    error_rate: float


@dataclass(frozen=True, config=FORBID, kw_only=True)
class LoadVerdictBase(Record):
    """What every load verdict says first: pass or fail, whether its evidence can be trusted, and why."""

    check_kind: ClassVar[CheckKind]

    status: Status
    trustworthy: bool
    reasons: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS


@dataclass(frozen=True, config=FORBID, kw_only=True)
class IsolationVerdict(LoadVerdictBase):
    """Did the aggressor tenant's spike slow the victim tenant beyond tolerance or past its SLA?"""

    check_kind: ClassVar[CheckKind] = CheckKind.ISOLATION

    victim: str
    aggressor: str
    tolerance: float | None = None
    victim_p95_sla_ms: float | None = None
    victim_max_error_rate: float | None = None
    alone: PhaseFigures | None = None
    spike: PhaseFigures | None = None
    p95_ratio: Interval | None = None
    p99_ratio: Interval | None = None
    error_rate_increase: Interval | None = None
    aggressor_requests_in_spike: int | None = None
    recovery: PhaseFigures | None = None
    p95_increase_ms: Interval | None = None
    p99_increase_ms: Interval | None = None
    min_effect_ms: float = 0.0
    caveats: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    name: Literal["tenant_isolation"] = "tenant_isolation"
    kind: Literal["load"] = "load"


@dataclass(frozen=True, config=FORBID, kw_only=True)
class SpikeVerdict(LoadVerdictBase):
    """Did the app hold the Saturday spike plateau: latency within SLA and errors within bounds?"""

    check_kind: ClassVar[CheckKind] = CheckKind.LOAD

    peak_users_planned: int | None = None
    peak_users_reached: int | None = None
    plateau_phases: tuple[str, ...] = ()
    plateau_count: int | None = None
    plateau_rps: float | None = None
    plateau_p95_ms: float | None = None
    plateau_p99_ms: float | None = None
    plateau_error_rate: float | None = None
    p95_sla_ms: float | None = None
    max_error_rate: float | None = None
    caveats: tuple[str, ...] = ()
    name: Literal["saturday_spike"] = "saturday_spike"
    kind: Literal["load"] = "load"


LoadVerdict = Annotated[IsolationVerdict | SpikeVerdict, Field(discriminator="name")]
