"""Raw request samples per (tenant, user kind, endpoint, phase), mergeable across Locust processes.

Locust's own statistics round response times into buckets of about two significant digits and know nothing
of tenants; verdicts here need exact per-tenant percentiles, so every process keeps each request's start time,
response time and outcome in compact arrays, and workers ship what they gathered to the master in their
regular reports (``report_to_master`` / ``worker_report``).  No Locust import: the master's merge and the
summaries run in plain Python too.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from bigday.runfolder.load_samples import LoadSamples, SampleKey

Key = SampleKey  # tenant, user_kind, endpoint, phase


class Series:
    """One key's samples: start time (epoch s), response time (ms), success flag, and error kinds."""

    __slots__ = ("t", "rt", "ok", "errors")

    def __init__(self) -> None:
        self.t = array("d")
        self.rt = array("f")
        self.ok = bytearray()
        self.errors: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.rt)

    def add(self, start: float, response_ms: float, error: str | None) -> None:
        self.t.append(start)
        self.rt.append(response_ms)
        if error is None:
            self.ok.append(1)
        else:
            self.ok.append(0)
            self.errors[error] += 1

    def extend(self, t: bytes, rt: bytes, ok: bytes, errors: dict[str, int]) -> None:
        self.t.frombytes(t)
        self.rt.frombytes(rt)
        self.ok.extend(ok)
        self.errors.update(errors)


class SampleBook:
    """All samples of one process (or, on the master, of the whole run)."""

    def __init__(self) -> None:
        self.series: dict[Key, Series] = {}
        # The request hook's shortcut: (tenant, kind, method, name, phase) straight to its Series, so the hot
        # path builds no endpoint string and does one dictionary lookup per request.
        self._by_request: dict[tuple[str, str, str, str, str], Series] = {}

    def __len__(self) -> int:
        return sum(len(s) for s in self.series.values())

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
        # Calling Series.add costs ~40 ns a request over appending here (benchmarks/sample_book.py), of the
        # ~300 us a request of bigday's users costs the generator (benchmarks/load_overhead.py): about 0.01%.
        s.add(start, response_ms, error)

    def record(self, key: Key, start: float, response_ms: float, error: str | None) -> None:
        self._series(key).add(start, response_ms, error)

    def _series(self, key: Key) -> Series:
        s = self.series.get(key)
        if s is None:
            s = self.series[key] = Series()
        return s

    def drain(self) -> list[list[Any]]:
        """Hand over everything gathered so far as msgpack-friendly rows and start afresh (worker side)."""
        rows = [
            [*key, s.t.tobytes(), s.rt.tobytes(), bytes(s.ok), dict(s.errors)]
            for key, s in self.series.items()
            if len(s)
        ]
        self.series = {}
        self._by_request = {}
        return rows

    def merge(self, rows: list[list[Any]]) -> None:
        """Take in a worker's drained rows (master side)."""
        for tenant, kind, endpoint, phase, t, rt, ok, errors in rows:
            self._series((str(tenant), str(kind), str(endpoint), str(phase))).extend(t, rt, ok, errors)

    def arrays(self, key: Key) -> SampleArrays:
        s = self.series[key]
        return SampleArrays(
            np.frombuffer(s.t, dtype=np.float64).copy(),
            np.frombuffer(s.rt, dtype=np.float32).astype(np.float64),
            np.frombuffer(bytes(s.ok), dtype=np.uint8).astype(bool),
            dict(s.errors),
        )

    def columns(self, t0: float) -> LoadSamples:
        """Every raw sample, key by key, with times in seconds from ``t0`` (the run folder's raw samples)."""
        return LoadSamples.from_groups(
            (
                key,
                np.frombuffer(s.t, dtype=np.float64) - t0,
                np.frombuffer(s.rt, dtype=np.float32),
                np.frombuffer(bytes(s.ok), dtype=np.uint8),
            )
            for key, s in sorted(self.series.items())
        )


@dataclass(frozen=True)
class SampleArrays:
    """One key's samples as numpy arrays, for summaries and the bootstrap."""

    t: np.ndarray
    rt: np.ndarray
    ok: np.ndarray
    errors: dict[str, int]
