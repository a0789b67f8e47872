"""``verdicts.json``: what compare found, one check per threshold, budget, baseline comparison or load verdict.

A check has the fields every kind shares; a baseline comparison adds its figures as ``comparison``.  In the
file a check stays one flat object (the comparison's keys beside the common ones, absent keys meaning "not
applicable"), as reports and CI tools have always read it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator
from pydantic.dataclasses import dataclass

from bigday.errors import EXIT_OK, EXIT_VERDICT_FAILED
from bigday.runfolder.document import FORBID, Record, read_document, write_document
from bigday.runfolder.enums import CheckKind, RegressionLabel, RunKind, Status
from bigday.runfolder.folder import RunFile, RunFolder

EffectKind = Literal["ratio", "difference"]


@dataclass(frozen=True, config=FORBID, kw_only=True)
class BaselineComparison(Record):
    """This run against the baseline run's samples: label, effect with its interval, and test figures."""

    label: RegressionLabel | None = None  # None: not compared (too few samples)
    baseline: float | None = None  # the baseline's median
    effect: float | None = None  # relative (0.15: 15 % in the worse-or-better direction of the sign) or absolute
    effect_kind: EffectKind | None = None
    interval: tuple[float, float] | None = None
    min_effect: float | None = None
    p_value: float | None = None
    q_value: float | None = None
    n_baseline: int
    gated: bool | None = None  # can this comparison fail the run?


_COMPARISON_KEYS = tuple(BaselineComparison.__dataclass_fields__)


@dataclass(frozen=True, config=FORBID, kw_only=True)
class Check(Record):
    """One judged bound: a threshold, a budget, a baseline comparison or a load verdict."""

    kind: CheckKind
    page: str
    metric: str
    status: Status
    message: str
    source: str = "scenario"  # scenario | alert_bands | budget.json | lighthouserc:<file> | baseline | load_stats
    aggregate: str | None = None
    level: str | None = None
    bound: float | None = None
    actual: float | None = None
    n: int | None = None
    typical: float | None = None  # the median of the samples: where the alert bands place the severity
    comparison: BaselineComparison | None = None
    engine: str | None = None  # a threshold on one engine's measurements (bigday or lighthouse)

    @model_validator(mode="before")
    @classmethod
    def _nest_comparison(cls, data: Any) -> Any:
        if isinstance(data, dict) and "comparison" not in data and any(k in data for k in _COMPARISON_KEYS):
            flat = dict(data)
            return flat | {"comparison": {k: flat.pop(k) for k in _COMPARISON_KEYS if k in flat}}
        return data

    @model_serializer(mode="wrap")
    def _flat(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        d: dict[str, Any] = handler(self)
        d |= d.pop("comparison") or {}
        return {k: v for k, v in d.items() if v is not None}


@dataclass(frozen=True, config=FORBID)
class BaselineInfo(Record):
    """Which run was the baseline, how it was chosen, and where its environment differs."""

    spec: str
    run_id: str | None
    started_at: str | None = None
    environment_differences: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, config=FORBID)
class ChangePointFinding(Record):
    """A step in a page x metric daily trend series."""

    page: str
    metric: str
    day: str
    before: float
    after: float
    change: float  # relative
    p_value: float
    worse: bool


def outcome_of(checks: list[Check] | tuple[Check, ...]) -> Status:
    statuses = {c.status for c in checks}
    for worst in (Status.FAIL, Status.INCONCLUSIVE, Status.WARN):
        if worst in statuses:
            return worst
    return Status.PASS


def exit_code_of(outcome: Status, strict: bool = False) -> int:
    """1 for a FAIL (and, for a strict gate, for an INCONCLUSIVE: "could not tell" is not a pass), else 0."""
    gating = (Status.FAIL, Status.INCONCLUSIVE) if strict else (Status.FAIL,)
    return EXIT_VERDICT_FAILED if outcome in gating else EXIT_OK


@dataclass(frozen=True, config=FORBID, kw_only=True)
class Verdicts(Record):
    """The outcome of comparing one run.  ``exit_code`` and ``counts`` follow from the checks: the file
    carries them for other tools, and they are recomputed (never trusted) when it is read back."""

    run_id: str
    kind: RunKind
    outcome: Status
    baseline: BaselineInfo | None = None
    unsupported: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    change_points: tuple[ChangePointFinding, ...] = ()
    checks: tuple[Check, ...]
    # What the caller should tell the user now (a failed notification); also among the notes, never written.
    warnings: tuple[str, ...] = Field(default=(), exclude=True)

    @property
    def exit_code(self) -> int:
        """The exit code without ``--strict`` (the one the file carries)."""
        return exit_code_of(self.outcome)

    def exit_code_for(self, strict: bool) -> int:
        return exit_code_of(self.outcome, strict)

    @property
    def counts(self) -> dict[Status, int]:
        # INCONCLUSIVE is counted when it happens, so files of runs without it keep their shape.
        counts = {s: sum(1 for c in self.checks if c.status is s) for s in Status}
        if not counts[Status.INCONCLUSIVE]:
            del counts[Status.INCONCLUSIVE]
        return counts

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status is Status.FAIL]

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in ("exit_code", "counts")}
        return data

    @model_serializer(mode="wrap")
    def _with_derived(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        d: dict[str, Any] = handler(self)
        head = {k: d.pop(k) for k in ("run_id", "kind", "outcome")}
        return head | {"exit_code": self.exit_code, "counts": {str(s): n for s, n in self.counts.items()}} | d


def read_verdicts(folder: RunFolder) -> Verdicts:
    return read_document(folder.file(RunFile.VERDICTS), RunFile.VERDICTS, Verdicts)


def write_verdicts(folder: RunFolder, verdicts: Verdicts) -> None:
    write_document(folder, RunFile.VERDICTS, verdicts)
