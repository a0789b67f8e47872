"""Current run vs baseline, per page x metric: rank test, bootstrap interval, minimum effect, FDR control."""

from __future__ import annotations

import zlib

import numpy as np

from bigday.compare.checks import fmt
from bigday.compare.effects import MIN_SAMPLES, Comparison, compare_samples, effect_rule
from bigday.metrics import METRICS, Direction, Unit, base_metric, direction_of
from bigday.runfolder import BaselineComparison, Check, CheckKind, RegressionLabel, Status
from bigday.settings.scenario import RegressionPolicy
from bigday.stats import benjamini_hochberg
from bigday.stats.sequential import detectable_change, min_rank_p

# Below these a relative change is not worth a verdict whatever its size: 10 % of a 3 ms TTFB on
# loopback is 0.3 ms, which no user sees and which the harness's own jitter produces.
ABSOLUTE_FLOOR = {Unit.MS: 10.0, Unit.BYTES: 1000.0}


# What the regression policy gates on (DESIGN §3: "more than 10 % worse than baseline on LCP/FID/CLS, or
# more than 5 points of score"; INP is FID's successor in Core Web Vitals). Other metrics are compared and
# labelled too, in their own FDR family, but only warn.
GATED_METRICS = frozenset({"lcp", "fid", "inp", "cls", "performance_score", "accessibility_score"})


def _floor(metric: str) -> float:
    spec = METRICS.get(metric.split("_p")[0])
    return ABSOLUTE_FLOOR.get(spec.unit, 0.0) if spec else 0.0


def _describe(effect: float, kind: str, metric: str) -> str:
    if kind == "ratio":
        return f"{effect:+.1%}"
    return f"{effect:+.3g}" if abs(effect) < 1 else f"{effect:+,.1f}"


def achievable_q(family_p: list[float], index: int, p_floor: float, alpha: float) -> float:
    """The q-value comparison ``index`` of an FDR family would get at its sample sizes' smallest p-value,
    the rest of the family as observed: the most this comparison could show in this run. Where the answer
    to "is it above alpha?" follows from BH's bounds (p <= q <= p m), a bound is returned instead."""
    m = len(family_p)
    if p_floor * m <= alpha or p_floor > alpha:
        return p_floor * m if p_floor * m <= alpha else p_floor
    best = list(family_p)
    best[index] = min(best[index], p_floor)
    return benjamini_hochberg(best)[index]


def runs_phrase(n_current: int, n_baseline: int) -> str:
    return f"{n_current} runs" if n_current == n_baseline else f"{n_current} vs {n_baseline} runs"


def too_few_runs(
    cur: np.ndarray, base: np.ndarray, family_p: list[float], index: int, alpha: float, minimum: float, kind: str
) -> str | None:
    """Words for a comparison that its n cannot decide: None when a change of the minimum effect could be shown.

    "too few runs to show any change" when even the most extreme ordering of the samples cannot bring p below
    alpha; "too few runs to show a change of this comparison alone" when it can, but FDR control over the
    family (the rest as observed) keeps q above alpha; "N runs cannot show a change below ~X%" when the rank
    test could fire but would need a change larger than the minimum effect to do so with 80 % power."""
    runs = runs_phrase(len(cur), len(base))
    floor = min_rank_p(len(cur), len(base))
    if floor >= alpha:
        return f"too few runs to show any change ({runs}: the rank test's p cannot go below {floor:.2g})"
    if achievable_q(family_p, index, floor, alpha) > alpha:
        # The family could still flag a change many comparisons share (a slower server on every page).
        return (
            f"too few runs to show a change of this comparison alone ({runs}, {len(family_p)} comparisons "
            f"in its FDR family: q could not go below alpha {alpha:g}; try --runs auto)"
        )
    center = float(np.median(base)) if kind == "ratio" else 0.0
    detectable = detectable_change(cur, base, alpha, center)
    if detectable > minimum:
        shown = f"{detectable:.0%}" if kind == "ratio" else f"{detectable:.3g}"
        return f"{runs} cannot show a change below ~{shown}"
    return None


def _starved(
    tested: list[tuple[tuple[str, str], Comparison]],
    current: dict[tuple[str, str], np.ndarray],
    baseline: dict[tuple[str, str], np.ndarray],
    lower: list[bool],
    gated: list[bool],
    q_worse: list[float],
    alpha: float,
) -> dict[int, str]:
    """Words for the comparisons their n could not decide, by index into ``tested``."""
    out: dict[int, str] = {}
    for in_gate in (True, False):
        family = [i for i, (_, c) in enumerate(tested) if not c.constant and gated[i] is in_gate]
        family_p = [tested[i][1].p_worse(lower[i]) for i in family]
        for j, i in enumerate(family):
            key, c = tested[i]
            if q_worse[i] > alpha:
                words = too_few_runs(current[key], baseline[key], family_p, j, alpha, c.minimum, c.kind)
                if words:
                    out[i] = words
    return out


def regression_checks(
    current: dict[tuple[str, str], np.ndarray],
    baseline: dict[tuple[str, str], np.ndarray],
    policy: RegressionPolicy,
    fail_on_regression: bool = True,
) -> list[Check]:
    """One check per page x metric present on both sides, labelled improvement / neutral / regression.

    Gated comparisons (``GATED_METRICS``, the regression policy's metrics) can fail the run; the others are
    labelled for information and at most warn. The gate asks one question per comparison, "did it get
    worse?", so the worse-direction p-values (one-sided Mann-Whitney U) of all gated comparisons in the run
    form one Benjamini-Hochberg family, the better-direction ones another (improvement labels), and the
    informational comparisons two families of their own. Comparisons of one identical constant on both
    sides (CLS 0, an unchanged bundle) are not tests and join no family.
    """
    keys = sorted(k for k in current if k in baseline and not k[1].startswith("resource."))
    tested, out = [], []
    for page, metric in keys:
        cur, base = current[(page, metric)], baseline[(page, metric)]
        if len(cur) < MIN_SAMPLES or len(base) < MIN_SAMPLES:
            out.append(
                Check(
                    kind=CheckKind.REGRESSION,
                    page=page,
                    metric=metric,
                    status=Status.SKIPPED,
                    source="baseline",
                    message=f"{page} {metric}: too few samples to compare ({len(cur)} vs {len(base)}, "
                    f"need {MIN_SAMPLES})",
                    n=len(cur),
                    comparison=BaselineComparison(n_baseline=len(base)),
                )
            )
            continue
        seed = zlib.crc32(f"{page}/{metric}".encode())
        tested.append(((page, metric), compare_samples(cur, base, effect_rule(metric, policy), 1 - policy.alpha, seed)))
    lower = [direction_of(metric) is Direction.LOWER_IS_BETTER for (_, metric), _ in tested]
    gated = [base_metric(metric) in GATED_METRICS for (_, metric), _ in tested]
    q_worse, q_better = [1.0] * len(tested), [1.0] * len(tested)
    for in_gate in (True, False):
        family = [i for i, (_, c) in enumerate(tested) if not c.constant and gated[i] is in_gate]
        for i, q in zip(family, benjamini_hochberg([tested[i][1].p_worse(lower[i]) for i in family]), strict=True):
            q_worse[i] = q
        for i, q in zip(family, benjamini_hochberg([tested[i][1].p_better(lower[i]) for i in family]), strict=True):
            q_better[i] = q
    starved = _starved(tested, current, baseline, lower, gated, q_worse, policy.alpha)
    for i, ((page, metric), c) in enumerate(tested):
        worse = c.effect if lower[i] else -c.effect  # > 0: worse than the baseline
        big_enough = abs(c.effect) >= c.minimum and (
            c.kind == "difference" or abs(c.median_current - c.median_baseline) >= _floor(metric)
        )
        label = RegressionLabel.NEUTRAL
        if big_enough and worse > 0 and q_worse[i] <= policy.alpha:
            label = RegressionLabel.REGRESSION
        elif big_enough and worse < 0 and q_better[i] <= policy.alpha:
            label = RegressionLabel.IMPROVEMENT
        # The q shown is the one of the direction the effect points to.
        q = q_worse[i] if worse >= 0 else q_better[i]
        p_value = c.p_worse(lower[i]) if worse >= 0 else c.p_better(lower[i])
        few = starved.get(i) if label is RegressionLabel.NEUTRAL else None
        if label is not RegressionLabel.REGRESSION:
            status = Status.PASS
            # "Could not tell" is not a pass where the comparison gates: a gate whose n cannot reach significance
            # at all (3 vs 3 runs) could never have fired, and the run is undecided; one that could fire only
            # with other comparisons changing too (FDR over the family, 5 vs 5 runs) warns, so a nightly run
            # with a baseline is not undecided on every metric that did not move.
            if few and few.startswith("too few") and fail_on_regression and gated[i]:
                status = Status.INCONCLUSIVE if few.startswith("too few runs to show any") else Status.WARN
        else:
            status = Status.FAIL if fail_on_regression and gated[i] else Status.WARN
        lo, hi = c.interval
        effect_txt = _describe(c.effect, c.kind, metric)
        msg = (
            f"{page} {metric}: {label} {effect_txt} [{_describe(lo, c.kind, metric)}, "
            f"{_describe(hi, c.kind, metric)}] median {fmt(metric, c.median_current)} vs "
            f"{fmt(metric, c.median_baseline)} (q={q:.3g}, min effect {_describe(c.minimum, c.kind, metric)[1:]})"
        )
        if few:
            msg += f"; {few}"
        out.append(
            Check(
                kind=CheckKind.REGRESSION,
                page=page,
                metric=metric,
                status=status,
                message=msg,
                source="baseline",
                aggregate="median",
                actual=c.median_current,
                n=len(current[(page, metric)]),
                level="error" if fail_on_regression and gated[i] else "warn",
                comparison=BaselineComparison(
                    label=label,
                    baseline=c.median_baseline,
                    effect=c.effect,
                    effect_kind=c.kind,
                    interval=(lo, hi),
                    min_effect=c.minimum,
                    p_value=p_value,
                    q_value=q,
                    n_baseline=len(baseline[(page, metric)]),
                    gated=gated[i],
                ),
            )
        )
    return out
