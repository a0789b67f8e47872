"""What compare produces: checks (one per threshold, budget or baseline comparison) and the run's verdicts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bigday.errors import EXIT_OK, EXIT_VERDICT_FAILED

# A check's status; a run fails on any "fail", warns on any "warn".
PASS, WARN, FAIL, SKIPPED = "pass", "warn", "fail", "skipped"
# Baseline comparison labels.
IMPROVEMENT, NEUTRAL, REGRESSION = "improvement", "neutral", "regression"


@dataclass(frozen=True)
class Check:
    """One judged bound: a threshold, a budget, a baseline comparison or a load verdict."""

    kind: str  # threshold | budget | regression | isolation | load
    page: str
    metric: str
    status: str
    message: str
    source: str = "scenario"  # scenario | budget.json | lighthouserc | baseline | load_stats
    aggregate: str | None = None
    level: str | None = None
    bound: float | None = None
    actual: float | None = None
    n: int | None = None
    typical: float | None = None  # the median of the samples: where the alert bands place the severity
    # Baseline comparisons only.
    label: str | None = None
    baseline: float | None = None
    effect: float | None = None  # relative (0.15 = 15 % worse... in the metric's direction sign) or absolute
    effect_kind: str | None = None  # "ratio" | "difference"
    interval: tuple[float, float] | None = None
    min_effect: float | None = None
    p_value: float | None = None
    q_value: float | None = None
    n_baseline: int | None = None
    gated: bool | None = None  # regression checks: can this comparison fail the run?

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["interval"] = list(self.interval) if self.interval else None
        return {k: v for k, v in d.items() if v is not None}


@dataclass(frozen=True)
class BaselineInfo:
    """Which run was the baseline, how it was chosen, and where its environment differs."""

    spec: str
    run_id: str | None
    started_at: str | None = None
    environment_differences: tuple[str, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "run_id": self.run_id,
            "started_at": self.started_at,
            "environment_differences": list(self.environment_differences),
            "note": self.note,
        }


@dataclass(frozen=True)
class ChangePointFinding:
    """A step in a page x metric daily trend series."""

    page: str
    metric: str
    day: str
    before: float
    after: float
    change: float  # relative
    p_value: float
    worse: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdicts:
    """The outcome of comparing one run."""

    run_id: str
    kind: str
    outcome: str  # pass | warn | fail
    checks: tuple[Check, ...]
    baseline: BaselineInfo | None = None
    unsupported: tuple[str, ...] = ()
    change_points: tuple[ChangePointFinding, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def exit_code(self) -> int:
        return EXIT_VERDICT_FAILED if self.outcome == FAIL else EXIT_OK

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(1 for c in self.checks if c.status == s) for s in (PASS, WARN, FAIL, SKIPPED)}
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "counts": counts,
            "baseline": self.baseline.to_json() if self.baseline else None,
            "unsupported": list(self.unsupported),
            "notes": list(self.notes),
            "change_points": [c.to_json() for c in self.change_points],
            "checks": [c.to_json() for c in self.checks],
        }


def outcome_of(checks: list[Check] | tuple[Check, ...]) -> str:
    statuses = {c.status for c in checks}
    return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS
