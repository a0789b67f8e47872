"""Vitals under the Saturday spike against the same pages at rest, judged by the baseline statistics.

A probe run taken while a Saturday rehearsal held its plateau is compared with the probe run at rest of the
same ``bigday run``: per page and metric the one-sided rank test, the bootstrap interval on the change of
the median, the minimum effect and FDR control of ``bigday.compare.regression``.  A slower page under the
spike is expected to some degree, so a change warns and never fails the run; thresholds stay the run at
rest's to judge.  Page runs that started outside the plateau are left out and said so.  The run under load
is not put in the store: its samples would otherwise become the next night's baseline and trends.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np

from bigday.compare.regression import regression_checks
from bigday.compare.rundata import run_data
from bigday.runfolder import (
    BaselineInfo,
    RunFolder,
    RunKind,
    Verdicts,
    outcome_of,
    read_probe_samples,
    read_run_contents,
    write_verdicts,
)
from bigday.settings.scenario import Scenario

AT_REST_SOURCE = "at_rest"


def judge_under_load(
    at_rest: str | Path, under_load: str | Path, scenario: Scenario, plateau: tuple[datetime, datetime] | None
) -> Verdicts:
    """Compare the run under load with the run at rest; write and return the verdicts of the run under load."""
    rest = run_data(read_run_contents(at_rest))
    folder = RunFolder.open(under_load)
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    outside = 0
    for s in read_probe_samples(folder).samples:
        if not s.ok or s.warm:
            continue
        if plateau is not None and not plateau[0] <= s.started_at <= plateau[1]:
            outside += 1
            continue
        for metric, v in s.metrics.items():
            if v is not None:
                values[(s.page, metric)].append(float(v))
    current = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    checks = [
        dataclasses.replace(c, source=AT_REST_SOURCE, message=f"under the spike vs at rest: {c.message}")
        for c in regression_checks(current, rest.values, scenario.regression, fail_on_regression=False)
    ]
    notes = []
    if outside:
        notes.append(f"{outside} page run(s) started outside the spike plateau and are not compared")
    if plateau is None:
        notes.append("the plateau's times were not recorded: every page run is compared")
    verdicts = Verdicts(
        run_id=folder.run_id,
        kind=RunKind.PROBE,
        outcome=outcome_of(checks),
        baseline=BaselineInfo(spec="at rest", run_id=rest.run_id, started_at=rest.manifest.started_at.isoformat()),
        notes=tuple(notes),
        checks=tuple(checks),
    )
    write_verdicts(folder, verdicts)
    return verdicts
