"""``bigday run --runs auto``: keep probing while the comparison with the baseline is undecided.

The baseline's samples are fixed; the current run grows round by round. At each look of a group-sequential
design (``bigday.stats.sequential``; the two-sided design at 2 alpha spends alpha on the worse side, the side
the gate asks about) the run's samples so far go through ``regression_checks`` at that look's one-sided
level. Every gated comparison is decided when it is a regression at that level, or when its (1 - alpha)
interval rules out a worsening as large as the minimum effect; the probe stops at the first look where all
are. The run is then compared as usual, at the level of the look it stopped at (``judged_policy``), so the
sequential procedure's false-alarm rate, not the fixed test's, is the one the gate has.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from bigday.compare.baseline import resolve_baseline
from bigday.compare.engine import CompareOptions
from bigday.compare.regression import regression_checks
from bigday.metrics import Direction, direction_of
from bigday.runfolder import RegressionLabel, RunFolder, Status, read_manifest
from bigday.settings.scenario import RegressionPolicy
from bigday.stats.sequential import SequentialDesign
from bigday.store import repo
from bigday.store.engine import Store

Values = dict[tuple[str, str], np.ndarray]


def policy_at(policy: RegressionPolicy, alpha: float) -> RegressionPolicy:
    """``policy`` with another alpha. (``dataclasses.replace`` would validate the minimum effect's number again
    as if it were scenario text, which wants "10%".)"""
    out = copy.copy(policy)
    object.__setattr__(out, "alpha", alpha)
    return out


def gate_decided(current: Values, baseline: Values, policy: RegressionPolicy, level: float) -> bool:
    """Whether every gated comparison is a regression at ``level`` or rules one out by its (1 - alpha) interval."""
    flagged = {
        (c.page, c.metric)
        for c in regression_checks(current, baseline, policy_at(policy, level))
        if c.comparison is not None and c.comparison.label is RegressionLabel.REGRESSION
    }
    for c in regression_checks(current, baseline, policy):
        comp = c.comparison
        if c.status is Status.SKIPPED or comp is None or not comp.gated or (c.page, c.metric) in flagged:
            continue
        if comp.interval is None or comp.min_effect is None:
            return False
        lo, hi = comp.interval
        worst = hi if direction_of(c.metric) is Direction.LOWER_IS_BETTER else -lo
        if not worst < comp.min_effect:
            return False
    return True


class SequentialBaseline:
    """The looks of one adaptive run: call ``look`` after each round of the probe; it says when to stop."""

    def __init__(self, store: Store, policy: RegressionPolicy, options: CompareOptions, design: SequentialDesign):
        self.store, self.policy, self.options, self.design = store, policy, options, design
        self.baseline: Values | None = None
        self.resolved = False
        self.looks_taken = 0
        self.stopped = ""

    def _baseline(self, folder: Path) -> Values | None:
        if not self.resolved:
            manifest = read_manifest(RunFolder(folder))
            with self.store.begin("choosing the baseline") as conn:
                found, _ = resolve_baseline(conn, self.options.baseline, manifest, self.options.baseline is not None)
                self.baseline = repo.run_samples(conn, found.run_id, "bigday") if found else None
            self.resolved = True
        return self.baseline

    def level(self, look: int) -> float:
        """The one-sided level of a look: the two-sided design at 2 alpha spends alpha on each side."""
        return self.design.nominal[look] / 2

    def look(self, folder: Path, rounds: int, current: Values) -> bool:
        """After ``rounds`` rounds: True when the probe may stop."""
        index = self.design.look_of(rounds)
        if index is None:
            return rounds >= self.design.max_runs
        self.looks_taken = index + 1
        baseline = self._baseline(folder)
        if baseline is None:
            self.stopped = "no baseline to compare with: stopped at the first look"
            return True
        if index == len(self.design.looks) - 1:
            self.stopped = f"the last look ({rounds} runs)"
            return True
        if gate_decided(current, baseline, self.policy, self.level(index)):
            self.stopped = f"every gated comparison decided at look {index + 1} of {len(self.design.looks)}"
            return True
        return False

    def judged_policy(self) -> RegressionPolicy:
        """The regression policy the finished run is compared with: alpha at the look it stopped at."""
        if self.looks_taken == 0 or self.baseline is None:
            return self.policy
        return policy_at(self.policy, self.level(self.looks_taken - 1))
