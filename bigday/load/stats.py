"""Summaries of raw load samples: per tenant, user kind, endpoint and phase, with roll-ups marked ``*``.

Percentiles are exact (bigday.stats, over every sample) while the keys' reservoirs hold every request, and
from their merged HDR histograms (within 0.05%) once they do not; never from Locust's two-digit buckets.
Latency percentiles include failed requests, as Locust's do, so a fast error cannot make a run look quicker
without also showing up in the error rate beside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bigday.load.samples import Distribution, Key, SampleBook
from bigday.runfolder.load_stats import EndpointStats as EndpointStats

ALL = "*"
# Which key fields each roll-up keeps (the rest become "*"): fine grain first, whole run last.
ROLLUPS: tuple[tuple[bool, bool, bool, bool], ...] = (
    (True, True, True, True),
    (True, False, True, True),
    (True, False, False, True),
    (True, False, False, False),
    (False, False, True, True),
    (False, False, False, True),
    (False, False, False, False),
)


@dataclass(frozen=True)
class PhaseSpan:
    """When a phase (a shape stage) ran, in epoch seconds."""

    name: str
    start: float
    end: float

    @property
    def duration_s(self) -> float:
        return max(self.end - self.start, 1e-9)


def _percentiles(d: Distribution) -> tuple[float | None, ...]:
    if d.n == 0:
        return (None, None, None, None, None)
    p50, p95, p99 = d.quantiles((0.5, 0.95, 0.99))
    return (round(p50, 3), round(p95, 3), round(p99, 3), round(d.max, 3), round(d.mean, 3))


def _group(book: SampleBook, keep: tuple[bool, bool, bool, bool]) -> dict[Key, list[Key]]:
    groups: dict[Key, list[Key]] = {}
    for key in book.series:
        rolled: Key = tuple(v if k else ALL for v, k in zip(key, keep, strict=True))  # type: ignore[assignment]
        groups.setdefault(rolled, []).append(key)
    return groups


def endpoint_stats(book: SampleBook, phases: Iterable[PhaseSpan], run_span: PhaseSpan) -> list[EndpointStats]:
    """Every roll-up of the book; rps divides by the phase's wall duration (the whole run for phase ``*``)."""
    durations = {p.name: p.duration_s for p in phases}
    rows: list[EndpointStats] = []
    seen: set[Key] = set()
    for keep in ROLLUPS:
        for rolled, members in sorted(_group(book, keep).items()):
            if rolled in seen:
                continue
            seen.add(rolled)
            d = book.distribution(members)
            count, ok_count, errors = d.n, d.ok_n, d.errors
            phase = rolled[3]
            duration = run_span.duration_s if phase == ALL else durations.get(phase, run_span.duration_s)
            p50, p95, p99, mx, mean = _percentiles(d)
            rows.append(
                EndpointStats(
                    *rolled,
                    count=count,
                    rps=round(count / duration, 3),
                    p50=p50,
                    p95=p95,
                    p99=p99,
                    max=mx,
                    mean=mean,
                    error_rate=round((count - ok_count) / count, 6) if count else 0.0,
                    errors=dict(sorted(errors.items())),
                )
            )
    return rows


def find(
    rows: list[EndpointStats], tenant: str = ALL, user_kind: str = ALL, endpoint: str = ALL, phase: str = ALL
) -> EndpointStats | None:
    for r in rows:
        if (r.tenant, r.user_kind, r.endpoint, r.phase) == (tenant, user_kind, endpoint, phase):
            return r
    return None
