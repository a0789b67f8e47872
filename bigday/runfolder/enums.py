"""The closed vocabularies of the run folder: run kinds, check statuses and kinds, baseline labels."""

from __future__ import annotations

from enum import StrEnum


class RunKind(StrEnum):
    PROBE = "probe"
    LOAD = "load"


class Status(StrEnum):
    """A check's (and a verdict's) status; a run fails on any FAIL and warns on any WARN.

    INCONCLUSIVE: the evidence could not decide between pass and fail (too few samples, intervals that reach
    both sides). It is not a pass: the run's outcome is INCONCLUSIVE unless something FAILed, and a strict
    gate treats it as a failure."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"
    INCONCLUSIVE = "inconclusive"


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
