"""The closed vocabularies of the run folder: run kinds, check statuses and kinds, baseline labels."""

from __future__ import annotations

from enum import StrEnum


class RunKind(StrEnum):
    PROBE = "probe"
    LOAD = "load"


class Status(StrEnum):
    """A check's (and a verdict's) status; a run fails on any FAIL and warns on any WARN."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"


class CheckKind(StrEnum):
    THRESHOLD = "threshold"
    BUDGET = "budget"
    REGRESSION = "regression"
    ISOLATION = "isolation"
    LOAD = "load"


class RegressionLabel(StrEnum):
    """What a baseline comparison found."""

    IMPROVEMENT = "improvement"
    NEUTRAL = "neutral"
    REGRESSION = "regression"
