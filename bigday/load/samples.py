"""Request samples per (tenant, user kind, endpoint, phase) in bounded memory, mergeable across Locust processes.

Locust's own statistics round response times into buckets of about two significant digits and know nothing
of tenants.  Keeping every request instead grows with the run (a one-hour soak at 2,000 requests a second is
seven million samples a process), so each key keeps, in memory that does not grow with the run:

- exact counts (requests, successes, error kinds), the sum and the largest response time;
- an HDR histogram at three significant digits (``bigday.stats.histogram``), which merges exactly;
- a uniform reservoir of at most ``capacity`` requests (start time, response time, outcome; Algorithm R,
  seeded) for what needs samples: the isolation verdict's windows by start time, its bootstraps and rank
  tests.  While a key has no more requests than the reservoir holds, it holds them all and every figure is
  exact, as before.

``TimelineBook`` keeps one histogram per tenant per second of the run, for the charts over time.  Workers
drain what they gathered since their last report into it (``report_to_master`` / ``worker_report``): counts
and histograms add up, and the master joins reservoirs so its own stays a uniform sample of the whole run
(``merge_reservoirs``).  No Locust import: the master's merge and the summaries run in plain Python too.
"""

from __future__ import annotations

import math
import random
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bigday import stats
from bigday.runfolder.load_samples import LoadSamples, SampleKey
from bigday.stats.histogram import LatencyHistogram, join_sparse, merge_reservoirs, sparse_counts

Key = SampleKey  # tenant, user_kind, endpoint, phase
# A few thousand samples a key: a 20 s window of the isolation check's victim (about 120 requests a second)
# fits whole, and a bootstrap over 4,096 samples takes milliseconds. 4,096 keys' reservoirs take 53 MB.
RESERVOIR_CAPACITY = 4096
DEFAULT_SEED = 20261201
# Response times wait this many to a batch before they are counted into a dense histogram in one vectorised
# step (the master, a single process); a worker keeps those since its last report (every 3 s) and ships them
# as sparse counts, folding them into a dense histogram only if this many wait (a worker that cannot report).
DENSE_FOLD_AT = 512
WORKER_FOLD_AT = 65_536


class Series:
    """One key: exact counts, a histogram, and a reservoir (``t`` epoch s, ``rt`` ms, ``ok``) of its requests."""

    __slots__ = (
        "n",
        "ok_n",
        "errors",
        "sum_ms",
        "max_ms",
        "hist",
        "_pending",
        "t",
        "rt",
        "ok",
        "capacity",
        "fold_at",
        "_rng",
        "_w",
        "_next",
    )

    def __init__(
        self, capacity: int = RESERVOIR_CAPACITY, rng: random.Random | None = None, fold_at: int = 512
    ) -> None:
        self.n = 0
        self.ok_n = 0
        self.errors: Counter[str] = Counter()
        self.sum_ms = 0.0
        self.max_ms = 0.0
        # Dense (190 KB) only where it is kept for the run: a worker ships its pending response times as sparse
        # counts instead, and holds no dense histogram unless this many wait (a worker that cannot report).
        self.hist: LatencyHistogram | None = None
        self.fold_at = fold_at
        self._pending = array("d")
        self.t = array("d")
        self.rt = array("f")
        self.ok = bytearray()
        self.capacity = capacity
        self._rng = rng or random.Random(DEFAULT_SEED)
        # Algorithm L: once the reservoir is full, the index of the next request to take in (and the weight that
        # draws the skip after it), so the requests skipped cost a comparison each, not a random number.
        self._w = 1.0
        self._next = -1

    def __len__(self) -> int:
        """Every request seen, not only the ones the reservoir holds."""
        return self.n

    @property
    def complete(self) -> bool:
        """The reservoir holds every request of the key."""
        return len(self.rt) == self.n

    def add(self, start: float, response_ms: float, error: str | None) -> None:
        n = self.n
        self.n = n + 1
        if error is None:
            self.ok_n += 1
        else:
            self.errors[error] += 1
        pending = self._pending
        pending.append(response_ms)
        if len(pending) >= self.fold_at:
            self.flush()
        if n < self.capacity:
            self.t.append(start)
            self.rt.append(response_ms)
            self.ok.append(error is None)
            if n + 1 == self.capacity:
                self._w = 1.0
                self._skip(n)
            return
        if n == self._next:
            j = int(self._rng.random() * self.capacity)
            self.t[j] = start
            self.rt[j] = response_ms
            self.ok[j] = error is None
            self._skip(n)

    def _skip(self, n: int) -> None:
        """Draw the next request to take in after request ``n`` (Li's Algorithm L: uniform over the stream)."""
        rng, k = self._rng, self.capacity
        self._w *= math.exp(math.log(1.0 - rng.random()) / k)
        if self._w >= 1.0:  # only if the draw was exactly 1 - 0: take the next one
            self._next = n + 1
            return
        self._next = n + int(math.log(1.0 - rng.random()) / math.log1p(-self._w)) + 1

    def _take_pending(self) -> np.ndarray:
        """The waiting response times, counted into the sum and maximum (one step a batch) and cleared."""
        values = np.frombuffer(self._pending, dtype=np.float64)
        if values.size:
            self.sum_ms += float(values.sum())
            self.max_ms = max(self.max_ms, float(values.max()))
            self._pending = array("d")
        return values

    def flush(self) -> None:
        """Count the waiting response times into the dense histogram."""
        values = self._take_pending()
        if values.size:
            if self.hist is None:
                self.hist = LatencyHistogram()
            self.hist.record_ms(values)

    def histogram(self) -> LatencyHistogram:
        self.flush()
        if self.hist is None:
            self.hist = LatencyHistogram()
        return self.hist

    def drained(self, key: Key) -> list[Any]:
        """This key as one msgpack-friendly row (what a worker ships): its histogram as sparse counts."""
        where, counts = sparse_counts(self._take_pending())
        if self.hist is not None:
            where, counts = join_sparse((where, counts), self.hist.sparse())
        return [
            *key,
            self.n,
            self.ok_n,
            dict(self.errors),
            self.sum_ms,
            self.max_ms,
            where.tobytes(),
            counts.tobytes(),
            self.t.tobytes(),
            self.rt.tobytes(),
            bytes(self.ok),
        ]

    def take(self, row: list[Any], rng: np.random.Generator) -> None:
        """Merge a drained row of the same key (master side): counts and histograms add, reservoirs join."""
        n, ok_n, errors, sum_ms, max_ms, where, counts, t, rt, ok = row[4:]
        self.histogram().add_sparse(np.frombuffer(where, dtype=np.int32), np.frombuffer(counts, dtype=np.uint64))
        their_t, their_rt = array("d"), array("f")
        their_t.frombytes(t)
        their_rt.frombytes(rt)
        keep_mine, keep_theirs = merge_reservoirs(self.n, len(self.rt), int(n), len(their_rt), self.capacity, rng)
        if len(keep_mine) < len(self.rt):
            self.t = array("d", np.frombuffer(self.t, dtype=np.float64)[keep_mine].tobytes())
            self.rt = array("f", np.frombuffer(self.rt, dtype=np.float32)[keep_mine].tobytes())
            self.ok = bytearray(np.frombuffer(bytes(self.ok), dtype=np.uint8)[keep_mine].tobytes())
        if len(keep_theirs) == len(their_rt):
            self.t.extend(their_t)
            self.rt.extend(their_rt)
            self.ok.extend(ok)
        else:
            self.t.frombytes(np.frombuffer(their_t, dtype=np.float64)[keep_theirs].tobytes())
            self.rt.frombytes(np.frombuffer(their_rt, dtype=np.float32)[keep_theirs].tobytes())
            self.ok.extend(np.frombuffer(bytes(ok), dtype=np.uint8)[keep_theirs].tobytes())
        self.n += int(n)
        self.ok_n += int(ok_n)
        self.errors.update({str(k): int(v) for k, v in dict(errors).items()})
        self.sum_ms += float(sum_ms)
        self.max_ms = max(self.max_ms, float(max_ms))


@dataclass(frozen=True)
class Distribution:
    """Some keys' response times together: exact from the reservoirs when they hold every request, else from
    the merged histograms (mean and max are exact either way)."""

    n: int
    ok_n: int
    errors: Counter[str]
    exact_ms: np.ndarray | None
    hist: LatencyHistogram | None
    sum_ms: float
    max_ms: float

    @property
    def exact(self) -> bool:
        return self.exact_ms is not None

    def quantiles(self, qs: tuple[float, ...]) -> list[float]:
        if self.exact_ms is not None:
            return stats.quantiles(self.exact_ms, qs)
        assert self.hist is not None
        return self.hist.quantiles(qs)

    @property
    def max(self) -> float:
        return float(self.exact_ms.max()) if self.exact_ms is not None else self.max_ms

    @property
    def mean(self) -> float:
        return float(self.exact_ms.mean()) if self.exact_ms is not None else self.sum_ms / self.n


def distribution(members: Iterable[Series]) -> Distribution:
    series = list(members)
    n = sum(s.n for s in series)
    errors: Counter[str] = Counter()
    for s in series:
        errors.update(s.errors)
    ok_n = sum(s.ok_n for s in series)
    if all(s.complete for s in series):
        rt = (
            np.concatenate([np.frombuffer(s.rt, dtype=np.float32) for s in series]).astype(np.float64)
            if series
            else np.empty(0)
        )
        return Distribution(n, ok_n, errors, rt, None, 0.0, 0.0)
    hist = LatencyHistogram()
    for s in series:
        hist.add(s.histogram())
    return Distribution(n, ok_n, errors, None, hist, sum(s.sum_ms for s in series), max(s.max_ms for s in series))


class SampleBook:
    """All keys of one process (or, on the master, of the whole run)."""

    def __init__(self, capacity: int = RESERVOIR_CAPACITY, seed: int = DEFAULT_SEED, worker: bool = False) -> None:
        self.capacity = capacity
        self.fold_at = WORKER_FOLD_AT if worker else DENSE_FOLD_AT
        self.series: dict[Key, Series] = {}
        # The request hook's shortcut: (tenant, kind, method, name, phase) straight to its Series, so the hot
        # path builds no endpoint string and does one dictionary lookup per request.
        self._by_request: dict[tuple[str, str, str, str, str], Series] = {}
        self._random = random.Random(seed)  # the reservoirs' replacements (every key draws from it)
        self._merge_rng = np.random.default_rng(seed)  # the master's joins of reservoirs

    def __len__(self) -> int:
        return sum(s.n for s in self.series.values())

    def clear(self) -> None:
        self.series = {}
        self._by_request = {}

    def record_request(
        self,
        tenant: str,
        kind: str,
        method: str,
        name: str,
        phase: str,
        start: float,
        response_ms: float,
        error: str | None,
    ) -> None:
        """``record`` for one Locust request event, keyed by method and name (endpoint ``"METHOD name"``)."""
        raw = (tenant, kind, method, name, phase)
        s = self._by_request.get(raw)
        if s is None:
            s = self._by_request[raw] = self._series((tenant, kind, f"{method} {name}", phase))
        s.add(start, response_ms, error)

    def record(self, key: Key, start: float, response_ms: float, error: str | None) -> None:
        self._series(key).add(start, response_ms, error)

    def _series(self, key: Key) -> Series:
        s = self.series.get(key)
        if s is None:
            s = self.series[key] = Series(self.capacity, self._random, self.fold_at)
        return s

    def drain(self) -> list[list[Any]]:
        """Hand over everything gathered since the last drain as msgpack-friendly rows and start afresh (worker
        side): each row a key's counts, sparse histogram and reservoir of the requests since then."""
        rows = [s.drained(key) for key, s in self.series.items() if s.n]
        self.series = {}
        self._by_request = {}
        return rows

    def merge(self, rows: list[list[Any]]) -> None:
        """Take in a worker's drained rows (master side)."""
        for row in rows:
            key = (str(row[0]), str(row[1]), str(row[2]), str(row[3]))
            self._series(key).take(row, self._merge_rng)

    def distribution(self, keys: Iterable[Key]) -> Distribution:
        return distribution(self.series[k] for k in keys)

    def complete(self) -> bool:
        return all(s.complete for s in self.series.values())

    def arrays(self, key: Key) -> SampleArrays:
        s = self.series[key]
        return SampleArrays(
            np.frombuffer(s.t, dtype=np.float64).copy(),
            np.frombuffer(s.rt, dtype=np.float32).astype(np.float64),
            np.frombuffer(bytes(s.ok), dtype=np.uint8).astype(bool),
            dict(s.errors),
        )

    def columns(self, t0: float) -> LoadSamples:
        """Every key's reservoir, key by key, with times in seconds from ``t0``: every request of a key whose
        reservoir is complete, a uniform sample of the others."""
        return LoadSamples.from_groups(
            (
                key,
                np.frombuffer(s.t, dtype=np.float64) - t0,
                np.frombuffer(s.rt, dtype=np.float32),
                np.frombuffer(bytes(s.ok), dtype=np.uint8),
            )
            for key, s in sorted(self.series.items())
        )

    def histograms(self) -> dict[Key, Series]:
        """Every key's series with its histogram up to date."""
        for s in self.series.values():
            s.flush()
        return dict(sorted(self.series.items()))


@dataclass(frozen=True)
class SampleArrays:
    """One key's reservoir as numpy arrays, for summaries and the bootstrap."""

    t: np.ndarray
    rt: np.ndarray
    ok: np.ndarray
    errors: dict[str, int]


class TimelineWindow:
    """One tenant's requests that started in one second: counts, and their response times (waiting, or counted
    into a histogram)."""

    __slots__ = ("n", "errors", "hist", "_pending")

    def __init__(self) -> None:
        self.n = 0
        self.errors = 0
        self.hist: LatencyHistogram | None = None
        self._pending = array("d")

    def add(self, response_ms: float, failed: bool) -> None:
        self.n += 1
        self.errors += failed
        self._pending.append(response_ms)

    def histogram(self) -> LatencyHistogram:
        if self.hist is None:
            self.hist = LatencyHistogram()
        if self._pending:
            self.hist.record_ms(np.frombuffer(self._pending, dtype=np.float64))
            self._pending = array("d")
        return self.hist

    def sparse(self) -> tuple[np.ndarray, np.ndarray]:
        sparse = sparse_counts(np.frombuffer(self._pending, dtype=np.float64))
        return join_sparse(sparse, self.hist.sparse()) if self.hist is not None else sparse


# Seconds a window stays open (its histogram in memory) after a newer one starts; then it is kept encoded.
_OPEN_WINDOWS_S = 6


class TimelineBook:
    """Per tenant, per second of epoch time: counts and a histogram.  Where the run's timeline is kept (the
    master, a single process) a second more than a few seconds old is kept encoded (a few hundred bytes), so
    memory grows by that much a second, not by the requests; a worker keeps its response times since its last
    report and ships them as sparse counts."""

    def __init__(self, worker: bool = False) -> None:
        self.worker = worker
        self.open: dict[tuple[str, int], TimelineWindow] = {}
        self.sealed: dict[tuple[str, int], tuple[int, int, str]] = {}
        self._newest = 0

    def record(self, tenant: str, start: float, response_ms: float, failed: bool) -> None:
        second = int(start)
        w = self.open.get((tenant, second))
        if w is None:
            w = self._window((tenant, second))
        w.add(response_ms, failed)

    def _window(self, key: tuple[str, int]) -> TimelineWindow:
        sealed = self.sealed.pop(key, None)
        w = self.open[key] = TimelineWindow()
        if sealed is not None:
            w.n, w.errors = sealed[0], sealed[1]
            w.hist = LatencyHistogram.decode(sealed[2])
        if key[1] > self._newest:
            self._newest = key[1]
            if not self.worker:
                self.seal(self._newest - _OPEN_WINDOWS_S)
        return w

    def seal(self, before: int | None = None) -> None:
        """Encode the windows older than ``before`` (every window when None)."""
        for key in [k for k in self.open if before is None or k[1] < before]:
            w = self.open.pop(key)
            self.sealed[key] = (w.n, w.errors, w.histogram().encode())

    def drain(self) -> list[list[Any]]:
        """Every window since the last drain as rows ``[tenant, second, n, errors, bucket indices, counts]``
        (sparse histograms); starts afresh."""
        rows = []
        for (tenant, second), w in sorted(self.open.items()):
            where, counts = w.sparse()
            rows.append([tenant, second, w.n, w.errors, where.astype(np.int32).tobytes(), counts.tobytes()])
        for (tenant, second), (n, errors, encoded) in sorted(self.sealed.items()):
            where, counts = LatencyHistogram.decode(encoded).sparse()
            rows.append([tenant, second, n, errors, where.tobytes(), counts.tobytes()])
        self.open = {}
        self.sealed = {}
        return rows

    def merge(self, rows: list[list[Any]]) -> None:
        for tenant, second, n, errors, where, counts in rows:
            key = (str(tenant), int(second))
            w = self.open.get(key) or self._window(key)
            w.n += int(n)
            w.errors += int(errors)
            w.histogram().add_sparse(np.frombuffer(where, dtype=np.int32), np.frombuffer(counts, dtype=np.uint64))

    def windows(self) -> list[tuple[str, int, int, int, str]]:
        """Every window, sorted: tenant, epoch second, requests, errors, encoded histogram."""
        self.seal()
        return sorted((t, s, n, e, enc) for (t, s), (n, e, enc) in self.sealed.items())
