"""Forecast and anomaly detectors on seeded synthetic 60-day histories: accuracy and false-alarm rates.

.venv/bin/python benchmarks/monitor_detectors.py [--histories 100] [--per-day 24] [--seed 1]

Each history is ``--per-day`` checks a day for 60 days, each check a log-normal draw (sigma 0.10, about the
spread of one page's LCP on the reference target) around the day's level; the forecast reads the daily p75,
as the monitor does (bigday.monitor.history.daily_aggregates), with the monitor's defaults (60-day window,
at least 7 days, 30-day horizon, 95% slope interval).
- rise: the level grows 1% a day (compounding) so the daily p75 crosses the 2,000 ms threshold on day 70;
  the forecast made on day 59 is judged against day 70 (bar: within +-3 days). A 1%-of-day-0 straight rise is
  printed beside it.
- flat: the level stays at 1,500 ms (threshold 2,000 ms); a forecast raised is a false alarm, and so is an
  anomaly: each check of days 14-59 is judged against the 14 days before it, the reference refreshed hourly,
  with the monitor's defaults (6 robust sigmas, 10% minimum effect, 50 checks). Bar: at most 5 of 100
  histories raise either. Gaussian noise of the same spread is printed beside the log-normal one.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bigday.metrics import Direction
from bigday.monitor.detectors import forecast_crossing, judge_anomaly, reference

DAYS = 60
BOUND = 2000.0
SIGMA = 0.10
SPREAD, MIN_EFFECT, MIN_CHECKS = 6.0, 10.0, 50


def checks(rng: np.random.Generator, levels: np.ndarray, per_day: int, gaussian: bool) -> np.ndarray:
    noise = rng.normal(0, SIGMA, (len(levels), per_day))
    return levels[:, None] * (1 + noise if gaussian else np.exp(noise))


def p75_per_day(values: np.ndarray) -> np.ndarray:
    return np.quantile(values, 0.75, axis=1)


def forecast_day(values: np.ndarray) -> float | None:
    f = forecast_crossing(np.arange(DAYS), p75_per_day(values), BOUND, Direction.LOWER_IS_BETTER)
    return None if f is None else DAYS - 1 + f.days


def anomalies(values: np.ndarray, per_day: int) -> int:
    flat = values.ravel()
    history = 14 * per_day
    refresh = max(1, per_day // 24)  # hourly
    found = 0
    ref = None
    for i in range(history, flat.size):
        if ref is None or (i - history) % refresh == 0:
            ref = reference(flat[i - history : i], "lcp", SPREAD)
        assert ref is not None
        v = judge_anomaly(float(flat[i]), ref, "lcp", SPREAD, MIN_EFFECT, MIN_CHECKS)
        found += bool(v and v.anomalous)
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--histories", type=int, default=100)
    ap.add_argument("--per-day", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t0 = time.monotonic()
    days = np.arange(DAYS)
    # The p75 of a log-normal draw sits exp(0.6745 sigma) above its median: set levels so the p75 crosses.
    p75_factor = np.exp(0.6745 * SIGMA)
    rises = {
        "compounding 1%/day": BOUND / p75_factor / 1.01**70 * 1.01**days,
        "straight 1%/day of day 0": BOUND / p75_factor / 1.70 * (1 + 0.01 * days),
    }
    print(f"{args.histories} histories x {DAYS} days x {args.per_day} checks/day, seed {args.seed}")
    for name, levels in rises.items():
        errors = []
        missed = 0
        for h in range(args.histories):
            rng = np.random.default_rng(args.seed * 1_000_003 + h)
            day = forecast_day(checks(rng, levels, args.per_day, gaussian=False))
            if day is None:
                missed += 1
            else:
                errors.append(day - 70)
        e = np.asarray(errors)
        within = int(np.sum(np.abs(e) <= 3)) if e.size else 0
        print(
            f"rise ({name}): forecast crossing day - 70: median {np.median(e):+.2f}, p5..p95 "
            f"{np.quantile(e, 0.05):+.1f}..{np.quantile(e, 0.95):+.1f}, within +-3 days {within}/{args.histories}, "
            f"no forecast {missed}"
        )
    for gaussian in (False, True):
        forecasts = raised = total = 0
        for h in range(args.histories):
            rng = np.random.default_rng(args.seed * 7_000_001 + h + (10_000 if gaussian else 0))
            values = checks(rng, np.full(DAYS, 1500.0), args.per_day, gaussian)
            forecasts += forecast_day(values) is not None
            n = anomalies(values, args.per_day)
            raised += n > 0
            total += n
        noise = "gaussian" if gaussian else "log-normal"
        print(
            f"flat ({noise} noise): histories with a forecast {forecasts}/{args.histories} "
            f"({100 * forecasts / args.histories:.1f}%), with an anomaly {raised}/{args.histories} "
            f"({100 * raised / args.histories:.1f}%; {total} anomalous checks of "
            f"{args.histories * (DAYS - 14) * args.per_day})"
        )
    print(f"({time.monotonic() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
