"""A load run's own verdicts, as ``load_stats.json`` carries them: tenant isolation and the Saturday spike.

``bigday.load.verdict`` computes them; compare turns each into a check whose kind follows the verdict's
type.  Every verdict names itself (``name``, the tag of the union), says pass or fail (the isolation verdict
also inconclusive), whether its evidence can be trusted, and why.  The figures behind it are always written by
bigday; a reader also accepts a verdict without them (None: not recorded), as files of format 1 have them.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field
from pydantic.dataclasses import dataclass

from bigday.runfolder.document import FORBID, Record, omitted
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


IsolationPartName = Literal["slowdown", "sla", "error_rate"]


@dataclass(frozen=True, config=FORBID, kw_only=True)
class IsolationPart(Record):
    """One part of the isolation verdict: a figure's interval against its bound.

    ``slowdown`` is the victim's p95 beside the spike over its p95 alone (``value``, a ratio, against the
    tolerance in ``bound``) with the rise in milliseconds beside it (``rise_ms`` against ``min_effect_ms``);
    ``sla`` the victim's p95 in one condition against its SLA (ms); ``error_rate`` its error rate in one
    condition against its maximum (a fraction). Each passes when the whole interval is within its bound, fails
    only when the whole interval is beyond it, and is inconclusive otherwise (``reason`` says which)."""

    part: IsolationPartName
    condition: Literal["alone", "spike", "both"]
    status: Status
    reason: str
    value: Interval
    bound: float
    unit: Literal["ratio", "ms", "fraction"]
    rise_ms: Interval | None = None
    min_effect_ms: float | None = None


@dataclass(frozen=True, config=FORBID, kw_only=True)
class VictimNoise(Record):
    """The victim's own variation between two alone windows before any spike: the second's p95 over the first's.

    ``beyond_tolerance``: the whole ratio interval is beyond the tolerance (either way) and the whole difference
    beyond the minimum effect, so the check cannot resolve a slow-down at the tolerance: its slow-down part is
    inconclusive."""

    first: str
    second: str
    first_p95_ms: float | None
    second_p95_ms: float | None
    ratio: Interval
    difference_ms: Interval
    beyond_tolerance: bool


@dataclass(frozen=True, config=FORBID, kw_only=True)
class IsolationLook(Record):
    """One look of the sequential rule: the verdict on the windows whose samples had all arrived."""

    index: int  # 1-based
    at_s: float  # seconds into the run when it was judged
    alone_windows: tuple[str, ...]
    spike_windows: tuple[str, ...]
    alone_n: int
    spike_n: int
    confidence: float  # of this look's intervals
    status: Status
    p95_ratio: Interval
    p95_increase_ms: Interval
    reason: str
    stopped: bool = False  # this look ended the run: decided, or the victim too noisy for the tolerance


@dataclass(frozen=True, config=FORBID, kw_only=True)
class SequentialRule(Record):
    """How the looks share the error rate: a fixed maximum number of looks, each at ``1 - alpha / planned_looks``
    (Bonferroni), so a false alarm over all the looks together stays below ``alpha / 2`` (one side of the
    two-sided intervals), whatever the dependence between looks."""

    method: Literal["bonferroni"] = "bonferroni"
    adaptive: bool
    planned_looks: int
    alpha: float
    per_look_confidence: float
    window_s: float
    max_phase_time_s: float | None = None


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
    """Did the aggressor tenant's spike slow the victim tenant beyond tolerance or past its SLA?

    ``status`` is FAIL when harm is shown (some part fails), PASS when every part passes, INCONCLUSIVE
    otherwise; ``reason`` says why in one line, ``reasons`` lists each part that did not pass, and
    ``extra_phase_time_s`` estimates how much more phase time would likely decide an inconclusive verdict
    (None when more time would not, e.g. a victim noisier than the tolerance)."""

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
    reason: str = ""
    parts: tuple[IsolationPart, ...] = ()
    noise: VictimNoise | None = None
    rule: SequentialRule | None = None
    looks: tuple[IsolationLook, ...] = ()
    alone_windows: tuple[str, ...] = ()
    spike_windows: tuple[str, ...] = ()
    phase_time_s: float | None = None  # the alone and spike windows judged, together
    extra_phase_time_s: float | None = None
    decided_at_s: float | None = None  # seconds into the run of the look that gave the status
    name: Literal["tenant_isolation"] = "tenant_isolation"
    kind: Literal["load"] = "load"


@dataclass(frozen=True, config=FORBID, kw_only=True)
class SoakDrift(Record):
    """A soak stage (hours at one level) judged for drift: its windows' p95 and error rate, and the trend over
    the hold as Sen's slope with its interval, expressed as the change over the whole soak (p95: relative to
    its median window; errors: in rate points). FAIL when the interval's lower end is past the bound, PASS when
    its upper end is within it, INCONCLUSIVE otherwise (or with too few windows)."""

    phase: str
    windows: int
    window_s: float
    p95_ms: tuple[float | None, ...]
    error_rate: tuple[float, ...]
    p95_drift: Interval
    error_rate_drift: Interval
    max_drift: float
    max_error_rate: float
    status: Status
    reason: str


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
    soak: SoakDrift | None = omitted()  # a plan with a soak stage: its drift verdict, folded into ``status``
    name: Literal["saturday_spike"] = "saturday_spike"
    kind: Literal["load"] = "load"


LoadVerdict = Annotated[IsolationVerdict | SpikeVerdict, Field(discriminator="name")]
