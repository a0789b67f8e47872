"""The isolation verdict's decision rules: three outcomes from intervals, the looks' error rate, noise, more time.

Each part of the verdict is an interval against a bound.  PASS needs the whole interval within the bound,
FAIL needs the whole interval beyond it, anything else is INCONCLUSIVE: an interval that reaches both sides
cannot tell, and saying FAIL there is crying wolf.  The slow-down part has two bounds, the tolerance on the
p95 ratio and the minimum effect on the p95 rise in milliseconds: it passes when either shows the victim
unharmed (ratio's top within the tolerance, or rise's top under the minimum effect) and fails only when both
show harm (ratio's bottom beyond the tolerance and rise's bottom beyond the minimum effect).

Several looks at growing data would each get a chance to cry wolf, so the adaptive check fixes its maximum
number of looks K before it starts and judges every look at confidence ``1 - alpha / K`` (Bonferroni).  By
the union bound the chance that any look's interval misses the truth is at most alpha, whatever the
dependence between looks (nested data makes them strongly dependent, where Pocock's or O'Brien-Fleming's
boundaries, derived for normal statistics with independent increments, would need assumptions a bootstrap
interval of a p95 does not give); a FAIL of an unharmed victim needs a miss on the low side, so it stays
below alpha / 2 over all looks.  The price is intervals a little wider than Pocock's (98.75% rather than
about 98.2% for four looks).  No Locust import.
"""

from __future__ import annotations

import math
from typing import Literal

from bigday.runfolder.enums import Status
from bigday.runfolder.load_verdicts import Interval, IsolationPart, VictimNoise

# Fewer victim samples than this in either condition and the slow-down is not judged at all.
MIN_SAMPLES = 30


def per_look_confidence(confidence: float, looks: int) -> float:
    """Bonferroni: each of ``looks`` looks spends an equal share of the error rate ``1 - confidence``."""
    return 1.0 - (1.0 - confidence) / max(1, looks)


def resamples_for(confidence: float, minimum: int) -> int:
    """Enough bootstrap resamples that each tail of the interval rests on at least 50 of them."""
    tail = (1.0 - confidence) / 2
    return max(minimum, math.ceil(50 / tail - 1e-9))


def _iv(i: Interval, fmt: str, unit: str = "") -> str:
    return f"{i.estimate:{fmt}}{unit} [{i.low:{fmt}}, {i.high:{fmt}}]"


def judge_slowdown(
    ratio: Interval, rise: Interval, tolerance: float, min_effect_ms: float, aggressor: str, enough: bool
) -> IsolationPart:
    """The victim's p95 beside the spike against its p95 alone (``enough``: both conditions have samples)."""

    def part(status: Status, reason: str) -> IsolationPart:
        return IsolationPart(
            part="slowdown",
            condition="both",
            status=status,
            reason=reason,
            value=ratio,
            bound=tolerance,
            unit="ratio",
            rise_ms=rise,
            min_effect_ms=min_effect_ms,
        )

    if not enough or ratio.low is None or ratio.high is None or rise.low is None or rise.high is None:
        return part(Status.INCONCLUSIVE, f"too few victim samples to compare (need {MIN_SAMPLES} in each condition)")
    r, d = _iv(ratio, ".2f", "x"), _iv(rise, "+.1f") + " ms"
    if ratio.high <= tolerance:
        return part(Status.PASS, f"victim p95 {r} beside the {aggressor} spike: within the {tolerance:g}x tolerance")
    if rise.high < min_effect_ms:
        return part(
            Status.PASS,
            f"victim p95 rise {d} beside the {aggressor} spike: under the {min_effect_ms:g} ms minimum effect",
        )
    if ratio.low > tolerance and rise.low > min_effect_ms:
        return part(
            Status.FAIL,
            f"victim p95 rose {r} beside the {aggressor} spike, beyond the {tolerance:g}x tolerance"
            + (f", by {d}, beyond the {min_effect_ms:g} ms minimum effect" if min_effect_ms else ""),
        )
    if ratio.low > tolerance:
        why = f"victim p95 rose {r}, beyond the {tolerance:g}x tolerance, but by {d}, which may be under the"
        return part(Status.INCONCLUSIVE, f"{why} {min_effect_ms:g} ms minimum effect")
    why = f"victim p95 {r} beside the {aggressor} spike reaches both sides of the {tolerance:g}x tolerance"
    if min_effect_ms:
        why += f" and its rise {d} reaches the {min_effect_ms:g} ms minimum effect"
    return part(Status.INCONCLUSIVE, why)


def judge_bound(
    part: Literal["sla", "error_rate"],
    condition: Literal["alone", "spike"],
    value: Interval,
    bound: float,
    what: str,
    shown: str,
    unit: Literal["ms", "fraction"],
) -> IsolationPart:
    """An upper bound (the SLA, the maximum error rate) against a figure's interval in one condition.

    ``what`` names the figure ("victim p95"), ``shown`` formats a value of it ("{:.0f} ms")."""

    def status(s: Status, reason: str) -> IsolationPart:
        return IsolationPart(
            part=part,
            condition=condition,
            status=s,
            reason=reason,
            value=value,
            bound=bound,
            unit=unit,
        )

    if value.estimate is None or value.low is None or value.high is None:
        return status(Status.INCONCLUSIVE, f"{what} {condition}: no samples")
    figure = (
        f"{what} {condition} {shown.format(value.estimate)} [{shown.format(value.low)}, {shown.format(value.high)}]"
    )
    limit = shown.format(bound)
    if value.high <= bound:
        return status(Status.PASS, f"{figure} within {limit}")
    if value.low > bound:
        return status(Status.FAIL, f"{figure} exceeds {limit}")
    return status(Status.INCONCLUSIVE, f"{figure} reaches both sides of {limit}")


def noise_beyond_tolerance(ratio: Interval, difference_ms: Interval, tolerance: float, min_effect_ms: float) -> bool:
    """Is the victim's p95 shown to move between two alone windows by more than the check must resolve?

    Shown by the intervals, as harm is: the whole ratio interval beyond the tolerance (either way) and the whole
    difference beyond the minimum effect. An estimate alone would flag sampling noise: two p95s of 100 samples
    each differ by more than 1.25x about one time in six with no drift at all."""
    if None in (ratio.low, ratio.high, difference_ms.low, difference_ms.high):
        return False
    assert ratio.low is not None and ratio.high is not None
    assert difference_ms.low is not None and difference_ms.high is not None
    swings = ratio.low > tolerance or ratio.high < 1.0 / tolerance
    matters = difference_ms.low > min_effect_ms or difference_ms.high < -min_effect_ms
    return swings and matters


def noise_suspected(ratio: Interval, tolerance: float) -> bool:
    """The estimate alone is beyond the tolerance: worth a note, not a verdict."""
    return ratio.estimate is not None and ratio.estimate > 0 and max(ratio.estimate, 1 / ratio.estimate) > tolerance


def noise_reason(noise: VictimNoise, tolerance: float, min_effect_ms: float) -> str:
    beyond = f"the {tolerance:g}x tolerance" + (
        f" and the {min_effect_ms:g} ms minimum effect" if min_effect_ms else ""
    )
    return (
        f"the victim's own p95 moved {_iv(noise.ratio, '.2f', 'x')} ({noise.first_p95_ms:.1f} -> "
        f"{noise.second_p95_ms:.1f} ms) between two alone windows ({noise.first}, {noise.second}), more than {beyond}:"
        " the tolerance is tighter than the victim's noise, so no slow-down at the tolerance can be told apart"
    )


def combine(parts: tuple[IsolationPart, ...] | list[IsolationPart]) -> Status:
    """FAIL when any part shows harm, PASS when every part is within its bound, else INCONCLUSIVE."""
    statuses = {p.status for p in parts}
    if Status.FAIL in statuses:
        return Status.FAIL
    if statuses <= {Status.PASS}:
        return Status.PASS
    return Status.INCONCLUSIVE


def _factor(estimate: float, low: float, high: float, bound: float) -> float:
    """How many times the samples it would take the interval to clear ``bound`` on the estimate's side, if its
    half-width shrinks as one over the square root of the samples; inf when the estimate sits on the bound."""
    if estimate < bound:
        return ((high - estimate) / (bound - estimate)) ** 2
    if estimate > bound:
        return ((estimate - low) / (estimate - bound)) ** 2
    return math.inf


def _slowdown_factor(p: IsolationPart) -> float:
    ratio, rise = p.value, p.rise_ms
    if ratio.estimate is None or ratio.low is None or ratio.high is None or rise is None or rise.estimate is None:
        return math.inf
    assert rise.low is not None and rise.high is not None
    e, lo, hi = (math.log(max(x, 1e-9)) for x in (ratio.estimate, ratio.low, ratio.high))
    by_ratio = _factor(e, lo, hi, math.log(p.bound))
    me = p.min_effect_ms or 0.0
    by_rise = _factor(rise.estimate, rise.low, rise.high, me)
    tol = math.log(p.bound)
    # Unharmed is shown by either figure, harm only by both.
    unharmed = [f for f, side in ((by_ratio, e < tol), (by_rise, rise.estimate < me)) if side]
    harmed = max(by_ratio, by_rise) if e > tol and rise.estimate > me else math.inf
    return min(min(unharmed, default=math.inf), harmed)


def more_samples_factor(p: IsolationPart, errors: int | None = None) -> float:
    """For an inconclusive part, roughly how many times its samples would decide it (inf: no amount would)."""
    if p.part == "slowdown":
        return _slowdown_factor(p)
    v = p.value
    if v.estimate is None or v.low is None or v.high is None:
        return math.inf
    if p.part == "error_rate" and errors == 0 and v.high > p.bound:
        # With no error at all the exact interval's top falls as one over the samples, not its square root.
        return v.high / p.bound
    return _factor(v.estimate, v.low, v.high, p.bound)


def extra_phase_time(phase_time_s: float, factors: list[float]) -> float | None:
    """Seconds of alone and spike windows beyond ``phase_time_s`` that would likely decide every open part."""
    if not factors:
        return None
    f = max(factors)
    if not math.isfinite(f):
        return None
    return round(max(f - 1.0, 0.0) * phase_time_s, 1)
