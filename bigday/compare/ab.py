"""Judging an A/B experiment: B against A per page x metric, at one look of a fixed or sequential design.

The comparison is the baseline comparison's (``compare_samples``: Mann-Whitney U, the bootstrap interval on
the change of medians, the scenario's minimum effect and absolute floor), asked two-sided ("is B different?")
and controlled for the number of comparisons by Benjamini-Hochberg over the comparisons still open at the
look. A comparison is decided

- **different** (B better or B worse) when its q is at most the design's level for this look (alpha for a
  fixed number of runs; the O'Brien-Fleming boundary in ``bigday.stats.sequential`` for ``--runs auto``) and
  the change is at least the minimum effect;
- **no difference** when the interval of the change lies inside the minimum effect (an equivalence stop: a
  difference larger than that is ruled out at this n), which lets an A/A experiment stop early too;

and stays open otherwise. A decided comparison keeps the verdict of the look that decided it; measuring stops
when every gated comparison is decided or the last look is reached, where the open ones are inconclusive, with an
estimate of the runs they would need.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from math import ceil
from statistics import NormalDist

import numpy as np

from bigday.compare.checks import fmt
from bigday.compare.effects import MIN_SAMPLES, Comparison, compare_samples, effect_rule
from bigday.compare.regression import GATED_METRICS, _floor, achievable_q, runs_phrase
from bigday.metrics import METRICS, Direction, Unit, base_metric, direction_of
from bigday.runfolder import AbFinding, AbRun, AbVerdict, Status
from bigday.settings.scenario import RegressionPolicy
from bigday.stats import benjamini_hochberg
from bigday.stats.sequential import SequentialDesign, min_rank_p

# What an experiment compares unless told: the loading and stability metrics and the score. INP and FID need
# the page's interaction and spread widely between runs (30-45 % robust CV measured beside a busy machine), so
# an experiment that waited for them would rarely stop early: they are compared when named (--metrics).
DEFAULT_METRICS = ("lcp", "fcp", "ttfb", "cls", "tbt", "performance_score")
# More runs than this is "far more than is practical": the estimate is shown as a floor.
RUNS_CAP = 1000

Samples = Mapping[tuple[str, str], np.ndarray]


@dataclass(frozen=True)
class _Open:
    key: tuple[str, str]
    c: Comparison
    p: float  # two-sided
    n_a: int
    n_b: int


def _two_sided(c: Comparison) -> float:
    return 1.0 if c.constant else min(1.0, 2 * min(c.p_greater, c.p_less))


def _margin(c: Comparison, metric: str) -> float:
    """The smallest change that counts: the minimum effect, and for a ratio the absolute floor as a ratio."""
    if c.kind == "ratio" and c.median_baseline > 0:
        return max(c.minimum, _floor(metric) / c.median_baseline)
    return c.minimum


def _amount(value: float, kind: str, metric: str) -> str:
    if kind == "ratio":
        return f"{value:.0%}" if abs(value) >= 0.1 else f"{value:.1%}"
    spec = METRICS.get(base_metric(metric))
    if spec is not None and spec.unit is Unit.SCORE:
        return f"{value:.1f} points"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:,.1f}"


def _is_score(metric: str) -> bool:
    spec = METRICS.get(base_metric(metric))
    return spec is not None and spec.unit is Unit.SCORE


def _better_word(metric: str, worse: bool) -> str:
    spec = METRICS.get(base_metric(metric))
    if spec is not None and spec.unit is Unit.MS:
        return "slower" if worse else "faster"
    return "worse" if worse else "better"


def _more_runs(o: _Open, margin: float, alpha: float) -> int:
    """About how many more runs per side would decide an open comparison, by the rate its evidence grows."""
    n = min(o.n_a, o.n_b)
    c = o.c
    lo, hi = c.interval
    if abs(c.effect) >= margin:
        z_seen = NormalDist().inv_cdf(1 - max(o.p, 1e-300) / 2) if o.p < 1 else 0.0
        z_need = NormalDist().inv_cdf(1 - alpha / 2)
        need = ceil(n * (z_need / z_seen) ** 2) if z_seen > 0 else RUNS_CAP
        # At least enough runs for the rank test to be able to reach alpha at all.
        while need < RUNS_CAP and min_rank_p(need, need) * 2 > alpha:
            need += 1
    else:
        room = margin - abs(c.effect)
        half = (hi - lo) / 2 if np.isfinite(hi - lo) else float("inf")
        need = ceil(n * (half / room) ** 2) if room > 0.1 * margin and np.isfinite(half) else RUNS_CAP
    return int(min(max(need - n, 1), RUNS_CAP))


def _finding(o: _Open, verdict: AbVerdict, q: float, bound: float, look: int | None, words: str = "") -> AbFinding:
    page, metric = o.key
    c = o.c
    lo, hi = c.interval
    runs = runs_phrase(o.n_b, o.n_a).replace(" vs ", " (B) vs ") + ("" if o.n_a == o.n_b else " (A)")
    medians = f"median {fmt(metric, c.median_current)} vs {fmt(metric, c.median_baseline)}"
    status = Status.PASS
    if verdict in (AbVerdict.B_BETTER, AbVerdict.B_WORSE):
        worse = verdict is AbVerdict.B_WORSE
        bounds = sorted((abs(lo), abs(hi))) if (lo > 0) == (hi > 0) else sorted((lo, hi))
        text = (
            f"B {_better_word(metric, worse)} by {_amount(abs(c.effect), c.kind, metric)} "
            f"[{_amount(bounds[0], c.kind, metric)}, {_amount(bounds[1], c.kind, metric)}]"
        )
        if worse:
            status = Status.FAIL if base_metric(metric) in GATED_METRICS else Status.WARN
    elif verdict is AbVerdict.NO_DIFFERENCE:
        text = f"no difference larger than {_amount(_margin(c, metric), c.kind, metric)} at this n"
    else:
        text = f"inconclusive: {words}" if words else "inconclusive"
        status = Status.INCONCLUSIVE
    detail = f"{medians}, change {_signed(c.effect, c.kind)} [{_signed(lo, c.kind)}, {_signed(hi, c.kind)}]"
    return AbFinding(
        page=page,
        metric=metric,
        verdict=verdict,
        status=status,
        message=f"{page} {metric}: {text} ({detail}, q={q:.3g}, {runs})",
        runs_a=o.n_a,
        runs_b=o.n_b,
        median_a=c.median_baseline,
        median_b=c.median_current,
        effect=c.effect,
        effect_kind=c.kind,
        interval=(lo, hi) if np.isfinite(lo) and np.isfinite(hi) else None,
        min_effect=_margin(c, metric),
        p_value=o.p,
        q_value=q,
        bound=bound,
        look=look,
    )


def _signed(value: float, kind: str) -> str:
    if not np.isfinite(value):
        return "?"
    return f"{value:+.1%}" if kind == "ratio" else f"{value:+.3g}"


def _can_rule_out(o: _Open, alpha: float) -> bool:
    """Samples too small for the rank test to ever show a difference cannot rule one out either (a bootstrap
    interval from 3 runs is far narrower than the truth)."""
    return 2 * min_rank_p(o.n_b, o.n_a) <= alpha


def judge_look(
    a: Samples,
    b: Samples,
    policy: RegressionPolicy,
    design: SequentialDesign,
    look: int,
    decided: Mapping[tuple[str, str], AbFinding],
) -> dict[tuple[str, str], AbFinding]:
    """The findings after look ``look`` (0-based) of ``design``: those ``decided`` before, those this look
    decides, and, at the last look, every open comparison as inconclusive."""
    out = dict(decided)
    final = look == len(design.looks) - 1
    bound = design.nominal[look]
    opened: list[_Open] = []
    for key in sorted(k for k in a if k in b and k not in decided):
        xa, xb = np.asarray(a[key], dtype=float), np.asarray(b[key], dtype=float)
        if len(xa) < MIN_SAMPLES or len(xb) < MIN_SAMPLES:
            continue
        seed = zlib.crc32(f"{key[0]}/{key[1]}/{look}".encode())
        c = compare_samples(xb, xa, effect_rule(key[1], policy), 1 - policy.alpha, seed)
        opened.append(_Open(key, c, _two_sided(c), len(xa), len(xb)))
    family = [o for o in opened if not o.c.constant]
    family_p = [o.p for o in family]
    qs = dict(zip((o.key for o in family), benjamini_hochberg(family_p), strict=True))
    for o in opened:
        page, metric = o.key
        c, q = o.c, qs.get(o.key, 1.0)
        margin = _margin(c, metric)
        lo, hi = c.interval
        big_enough = abs(c.effect) >= c.minimum and (
            c.kind == "difference" or abs(c.median_current - c.median_baseline) >= _floor(metric)
        )
        if big_enough and q <= bound and not c.constant:
            lower = direction_of(metric) is Direction.LOWER_IS_BETTER
            worse = c.effect > 0 if lower else c.effect < 0
            out[o.key] = _finding(o, AbVerdict.B_WORSE if worse else AbVerdict.B_BETTER, q, bound, look + 1)
        elif _can_rule_out(o, policy.alpha) and (c.constant or (np.isfinite(lo) and -margin < lo and hi < margin)):
            out[o.key] = _finding(o, AbVerdict.NO_DIFFERENCE, q, bound, look + 1)
        elif final:
            index = family.index(o) if o in family else len(family_p)
            p_all = family_p if o in family else [*family_p, o.p]
            out[o.key] = _inconclusive(o, q, bound, margin, policy.alpha, p_all, index)
    return out


def _inconclusive(
    o: _Open, q: float, bound: float, margin: float, alpha: float, family_p: list[float], index: int
) -> AbFinding:
    more = _more_runs(o, margin, alpha)
    need = f"about {more} more runs needed" if more < RUNS_CAP else f"more than {RUNS_CAP} more runs needed"
    floor = 2 * min_rank_p(o.n_b, o.n_a)  # two-sided: the rank test's floor doubles
    if floor >= alpha:
        need = f"too few runs to show any change ({runs_phrase(o.n_b, o.n_a)}); {need}"
    elif achievable_q(family_p, index, floor, alpha) > alpha:
        need = f"too few runs to show a change of this comparison alone ({runs_phrase(o.n_b, o.n_a)}); {need}"
    return dataclasses.replace(_finding(o, AbVerdict.INCONCLUSIVE, q, bound, None, need), more_runs=more)


def all_decided(findings: Mapping[tuple[str, str], AbFinding], keys: set[tuple[str, str]]) -> bool:
    """Whether every comparison of ``keys`` has a verdict other than inconclusive."""
    return all(k in findings and findings[k].verdict is not AbVerdict.INCONCLUSIVE for k in keys)


def outcome_of_findings(findings: list[AbFinding]) -> Status:
    statuses = {f.status for f in findings}
    for worst in (Status.FAIL, Status.INCONCLUSIVE, Status.WARN):
        if worst in statuses:
            return worst
    return Status.PASS if findings else Status.INCONCLUSIVE


def samples_of(runs: list[AbRun] | tuple[AbRun, ...], metrics: tuple[str, ...]) -> tuple[Samples, Samples]:
    """A's and B's measured values per page x metric, from the experiment's successful page runs."""
    sides: dict[str, dict[tuple[str, str], list[float]]] = {"a": defaultdict(list), "b": defaultdict(list)}
    for r in runs:
        if r.ok:
            for m in metrics:
                if r.metrics.get(m) is not None:
                    sides[r.side][(r.page, m)].append(float(r.metrics[m]))
    a, b = ({k: np.asarray(v, dtype=float) for k, v in sides[s].items()} for s in ("a", "b"))
    return a, b


class Judge:
    """The experiment's judging across looks: call ``after_round`` after every round; it says when to stop."""

    def __init__(self, policy: RegressionPolicy, design: SequentialDesign, metrics: tuple[str, ...]) -> None:
        self.policy, self.design, self.metrics = policy, design, metrics
        self.findings: dict[tuple[str, str], AbFinding] = {}
        self.looks_taken = 0
        self.stopped = ""

    def after_round(self, rounds: int, runs: list[AbRun] | tuple[AbRun, ...]) -> bool:
        """Take the design's look after ``rounds`` rounds, if one is planned; True: stop measuring."""
        look = self.design.look_of(rounds)
        if look is None:
            return rounds >= self.design.max_runs
        a, b = samples_of(runs, self.metrics)
        self.findings = judge_look(a, b, self.policy, self.design, look, self.findings)
        self.looks_taken = look + 1
        keys = {k for k in a if k in b and len(a[k]) >= MIN_SAMPLES and len(b[k]) >= MIN_SAMPLES}
        # The gated comparisons decide when to stop (they decide the exit code); the others are judged at the
        # looks taken and are inconclusive if still open at the last one. Without gated metrics, all decide.
        # Scores are left out: they are computed from the measured metrics (a slower LCP moves the performance
        # score by a few points, near its 5-point minimum effect, which kept such experiments to --max-runs).
        gate = {k for k in keys if base_metric(k[1]) in GATED_METRICS and not _is_score(k[1])} or keys
        if gate and all_decided(self.findings, gate) and look < len(self.design.looks) - 1:
            self.stopped = f"every gated comparison decided at look {look + 1} of {len(self.design.looks)}"
            self.findings = self._close(a, b, look)
            return True
        if look == len(self.design.looks) - 1:
            self.stopped = f"the last look ({rounds} runs per side)"
            return True
        return False

    def _close(self, a: Samples, b: Samples, look: int) -> dict[tuple[str, str], AbFinding]:
        """Stopping early: the comparisons still open become inconclusive at this look's figures."""
        last = SequentialDesign(
            self.design.looks[: look + 1], self.design.alpha, self.design.nominal[: look + 1], self.design.z_bounds
        )
        return judge_look(a, b, self.policy, last, look, self.findings)

    def result(self) -> list[AbFinding]:
        return [self.findings[k] for k in sorted(self.findings)]
