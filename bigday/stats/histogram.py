"""Latency histograms: HDR histograms at three significant digits that merge exactly, and uniform reservoirs.

A load run at thousands of requests a second cannot keep every response time: ``LatencyHistogram`` counts
them instead, in the buckets of an HdrHistogram (the ``hdrhistogram`` package) over microseconds from 0 to an
hour, each bucket no wider than a thousandth of its value, so two histograms merge by adding their counts
and nothing is lost in the merge.  Counting is vectorised here (numpy over the package's own counts array):
the package's ``record_value`` costs microseconds a call in pure Python.  Histograms travel and are stored in
the package's V2 encoding (compressed, base64), which any HdrHistogram implementation reads.

Quantiles follow bigday's one definition (``bigday.stats.quantile``, linear between order statistics), with
each order statistic read as the middle of its bucket: within half a bucket of the exact value, 0.05% of it.

``merge_reservoirs`` joins two uniform samples of disjoint streams into a uniform sample of their union, so
workers can ship a bounded sample of what they saw since their last report and the master keep one of the
whole run (the rank tests and bootstrap intervals need samples, not counts).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from hdrh.histogram import HdrHistogram
from numpy.typing import NDArray

SIGNIFICANT_FIGURES = 3
LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # an hour: longer responses are counted as an hour (no request timeout is longer)


@dataclass(frozen=True)
class _Layout:
    """Where each microsecond value falls among the counts, and what each count stands for."""

    unit_magnitude: int
    sub_bucket_half_count_magnitude: int
    sub_bucket_half_count: int
    sub_bucket_mask: int
    counts_len: int
    middle_us: NDArray[np.float64]  # the middle of each count's range of values
    lowest_us: NDArray[np.int64]  # the lowest value each count stands for


@functools.cache
def _layout() -> _Layout:
    h = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)
    index = np.arange(h.counts_len, dtype=np.int64)
    shcm, half = h.sub_bucket_half_count_magnitude, h.sub_bucket_half_count
    bucket = (index >> shcm) - 1
    sub = (index & (half - 1)) + half
    first = bucket < 0
    sub = np.where(first, sub - half, sub)
    bucket = np.where(first, 0, bucket)
    lowest = sub << (bucket + h.unit_magnitude)
    width = np.left_shift(np.int64(1), bucket + h.unit_magnitude)
    middle = lowest + (width >> 1)
    return _Layout(
        h.unit_magnitude,
        shcm,
        half,
        h.sub_bucket_mask,
        h.counts_len,
        middle.astype(np.float64),
        lowest.astype(np.int64),
    )


def _indices(us: NDArray[np.int64]) -> NDArray[np.int64]:
    """The counts index of each value (HdrHistogram's own arithmetic, vectorised)."""
    lay = _layout()
    _, bits = np.frexp((us | lay.sub_bucket_mask).astype(np.float64))  # bit length; exact below 2**53
    bucket = bits.astype(np.int64) - lay.unit_magnitude - (lay.sub_bucket_half_count_magnitude + 1)
    sub = us >> (bucket + lay.unit_magnitude)
    index: NDArray[np.int64] = ((bucket + 1) << lay.sub_bucket_half_count_magnitude) + sub - lay.sub_bucket_half_count
    return index


def to_microseconds(ms: NDArray[np.float64] | Sequence[float]) -> NDArray[np.int64]:
    us = np.rint(np.asarray(ms, dtype=np.float64) * 1000.0)
    out: NDArray[np.int64] = np.clip(np.nan_to_num(us, nan=0.0), 0, HIGHEST_US).astype(np.int64)
    return out


def sparse_counts(values_ms: NDArray[np.float64] | Sequence[float]) -> tuple[NDArray[np.int32], NDArray[np.uint64]]:
    """The histogram of some response times as its non-zero buckets: (bucket indices, counts), ascending.

    What a Locust worker ships: a few kilobytes for the requests since its last report, where a dense
    histogram is 190 KB a key; ``LatencyHistogram.add_sparse`` merges it exactly."""
    us = to_microseconds(values_ms)
    where, how_many = np.unique(_indices(us), return_counts=True)
    return where.astype(np.int32), how_many.astype(np.uint64)


def join_sparse(
    a: tuple[NDArray[np.int32], NDArray[np.uint64]], b: tuple[NDArray[np.int32], NDArray[np.uint64]]
) -> tuple[NDArray[np.int32], NDArray[np.uint64]]:
    """Two sparse histograms as one (counts of the same bucket added)."""
    where = np.concatenate([a[0], b[0]])
    counts = np.concatenate([a[1], b[1]])
    joined, inverse = np.unique(where, return_inverse=True)
    summed = np.zeros(joined.size, dtype=np.uint64)
    np.add.at(summed, inverse, counts)
    return joined.astype(np.int32), summed


class LatencyHistogram:
    """Response times (ms) counted at three significant digits; ``add`` merges another one exactly."""

    __slots__ = ("_hdr", "counts")

    def __init__(self, hdr: HdrHistogram | None = None) -> None:
        self._hdr = hdr if hdr is not None else HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)
        # A view of the package's own counters: what numpy adds here, its encoder compresses.
        self.counts: NDArray[np.uint64] = np.ctypeslib.as_array(self._hdr.counts)

    @property
    def count(self) -> int:
        return int(self._hdr.total_count)

    def record_ms(self, values_ms: NDArray[np.float64] | Sequence[float]) -> None:
        us = to_microseconds(values_ms)
        if us.size == 0:
            return
        where, how_many = np.unique(_indices(us), return_counts=True)
        self.counts[where] += how_many.astype(self.counts.dtype)
        self._note(int(us.size), int(us.min()), int(us.max()))

    def add_sparse(self, where: NDArray[np.int32], counts: NDArray[np.uint64]) -> None:
        """Merge a histogram given as its non-zero buckets (``sparse_counts``)."""
        if where.size == 0:
            return
        if int(where.min()) < 0 or int(where.max()) >= self.counts.size:
            raise ValueError("a bucket index outside bigday's histogram layout")
        self.counts[where] += counts.astype(self.counts.dtype)
        lowest = _layout().lowest_us
        self._note(int(counts.sum()), int(lowest[int(where.min())]), int(lowest[int(where.max())]))

    def sparse(self) -> tuple[NDArray[np.int32], NDArray[np.uint64]]:
        where = np.flatnonzero(self.counts)
        return where.astype(np.int32), self.counts[where].astype(np.uint64)

    def _note(self, n: int, low_us: int, high_us: int) -> None:
        h = self._hdr
        h.total_count += n
        h.min_value = min(h.min_value, low_us)
        h.max_value = max(h.max_value, high_us)

    def add(self, other: LatencyHistogram) -> None:
        if other.count == 0:
            return
        self.counts += other.counts
        self._note(other.count, int(other._hdr.min_value), int(other._hdr.max_value))

    def reset(self) -> None:
        self.counts[:] = 0
        self._hdr.total_count = 0
        self._hdr.min_value = sys.maxsize  # the package's "none yet"
        self._hdr.max_value = 0

    def encode(self) -> str:
        """The HdrHistogram V2 encoding (compressed, base64)."""
        encoded = self._hdr.encode()
        return encoded.decode("ascii") if isinstance(encoded, bytes) else str(encoded)

    @classmethod
    def decode(cls, encoded: str) -> LatencyHistogram:
        """From ``encode``'s text; ValueError when it is not one of bigday's histograms."""
        try:
            hdr = HdrHistogram.decode(encoded.encode("ascii"))
        except Exception as e:  # the package raises its own cookie/length errors, zlib's and binascii's
            raise ValueError(f"not an HdrHistogram encoding ({type(e).__name__})") from None
        if (hdr.lowest_trackable_value, hdr.highest_trackable_value, hdr.significant_figures) != (
            LOWEST_US,
            HIGHEST_US,
            SIGNIFICANT_FIGURES,
        ):
            raise ValueError(
                f"a histogram of {hdr.lowest_trackable_value}..{hdr.highest_trackable_value} us at"
                f" {hdr.significant_figures} digits; bigday's are {LOWEST_US}..{HIGHEST_US} us at {SIGNIFICANT_FIGURES}"
            )
        out = cls(hdr)
        if int(out.counts.sum()) != out.count:
            raise ValueError("its counts do not add up to its total")
        return out

    def count_above_ms(self, ms: float) -> int:
        """Requests slower than ``ms``: the buckets whose middle is above it, as ``quantiles`` reads them."""
        return int(self.counts[_layout().middle_us > ms * 1000.0].sum())

    def quantiles(self, qs: Sequence[float]) -> list[float]:
        """Quantiles in ms by bigday's definition, each order statistic at the middle of its bucket."""
        n = self.count
        if n == 0:
            raise ValueError("no values to take the quantiles of")
        cumulative = np.cumsum(self.counts)
        middle = _layout().middle_us
        out = []
        for q in qs:
            h = (n - 1) * float(q)
            lo = int(np.floor(h))
            hi = min(lo + 1, n - 1)
            i_lo, i_hi = np.searchsorted(cumulative, [lo, hi], side="right")
            x_lo, x_hi = middle[i_lo], middle[i_hi]
            out.append(float(x_lo + (h - lo) * (x_hi - x_lo)) / 1000.0)
        return out


def merged(histograms: Sequence[LatencyHistogram]) -> LatencyHistogram:
    out = LatencyHistogram()
    for h in histograms:
        out.add(h)
    return out


def merge_reservoirs(
    seen_a: int, held_a: int, seen_b: int, held_b: int, capacity: int, rng: np.random.Generator
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Which rows to keep of two uniform samples of disjoint streams: ``held_a`` rows drawn from ``seen_a``
    items and ``held_b`` from ``seen_b`` (each ``min(capacity, seen)``) become a uniform sample of at most
    ``capacity`` of all ``seen_a + seen_b``.  The number kept from the first is hypergeometric, as in a uniform
    draw from the union; within each sample a uniform subset is kept, in order.  Returns the row positions."""
    if seen_a + seen_b <= capacity:
        return np.arange(held_a), np.arange(held_b)
    from_a = int(rng.hypergeometric(seen_a, seen_b, capacity)) if seen_a and seen_b else min(seen_a, capacity)
    from_b = capacity - from_a
    return _subset(held_a, from_a, rng), _subset(held_b, from_b, rng)


def _subset(held: int, keep: int, rng: np.random.Generator) -> NDArray[np.intp]:
    if keep >= held:
        return np.arange(held)
    return np.sort(rng.choice(held, keep, replace=False))
