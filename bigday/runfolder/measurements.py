"""A run's measurements as (page, metric) series: what the store keeps and what compare judges.

Probe runs: every metric of every successful page run.  Load runs: per endpoint row of ``load_stats.json``
its latency percentiles (``latency_p50`` ... ``latency_max``), error rate and rate, and from the raw
samples a seeded random subset of each tenant x endpoint x phase's successful response times as metric
``latency``, so a later run can be compared with it sample against sample (rank test, interval, minimum
effect) rather than one p95 against another.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import NamedTuple

import numpy as np

from bigday.runfolder.contents import RunContents
from bigday.runfolder.load_samples import LoadSamples
from bigday.runfolder.load_stats import LoadStats
from bigday.runfolder.manifest import Manifest
from bigday.runfolder.probe import ProbeSamples

LOAD_STAT_COLUMNS = ("p50", "p95", "p99", "max")
RAW_LATENCY_PER_KEY = 200


class Measurement(NamedTuple):
    """One value of one (page, metric) series, with what the store records about where it came from."""

    page: str
    metric: str
    value: float
    recorded_at: datetime
    run_index: int | None = None
    warm: bool | None = None
    tenant: str | None = None
    device: str | None = None
    profile: str | None = None
    connection: str | None = None
    browser: str | None = None
    engine: str | None = None  # probe runs: bigday or lighthouse


def measurements(contents: RunContents) -> list[Measurement]:
    if contents.probe_samples is not None:
        return probe_measurements(contents.probe_samples)
    out: list[Measurement] = []
    if contents.load_stats is not None:
        out += load_stat_measurements(contents.manifest, contents.load_stats)
    if contents.load_samples is not None:
        out += load_latency_measurements(contents.manifest, contents.load_samples)
    return out


def probe_measurements(samples: ProbeSamples) -> list[Measurement]:
    """One value per successful page run per measured metric; unmeasured metrics carry none."""
    out = []
    for s in samples.samples:
        if not s.ok:
            continue
        for metric, value in s.metrics.items():
            if value is not None:
                out.append(
                    Measurement(
                        s.page,
                        metric,
                        float(value),
                        s.started_at,
                        s.run_index,
                        s.warm,
                        s.tenant,
                        s.device,
                        s.profile,
                        s.connection,
                        s.browser_version or s.browser,
                        s.engine,
                    )
                )
    return out


def _recorded_at(manifest: Manifest) -> datetime:
    return manifest.finished_at or manifest.started_at


def load_stat_measurements(manifest: Manifest, stats: LoadStats) -> list[Measurement]:
    """Per endpoint row: latency_p50 ... latency_max, error_rate and rps (page: the endpoint)."""
    at = _recorded_at(manifest)
    out = []
    for r in stats.stats:
        values = {f"latency_{c}": getattr(r, c) for c in LOAD_STAT_COLUMNS}
        values |= {"error_rate": r.error_rate, "rps": r.rps}
        for metric, value in values.items():
            if value is not None:
                out.append(
                    Measurement(r.endpoint, metric, float(value), at, None, None, r.tenant, r.user_kind, r.phase)
                )
    return out


def load_latency_label(endpoint: str, tenant: str, phase: str) -> str:
    """The ``page`` under which one tenant's raw latencies of one endpoint in one phase are kept."""
    return f"{endpoint} [{tenant}, {phase}]"[:200]


def load_latency_measurements(manifest: Manifest, samples: LoadSamples) -> list[Measurement]:
    """Up to RAW_LATENCY_PER_KEY successful response times per tenant x endpoint x phase, as ``latency``."""
    groups = sorted({(t, e, p) for t, _, e, p in samples.keys})
    group_of_key = np.asarray([groups.index((t, e, p)) for t, _, e, p in samples.keys], dtype=np.intp)
    row_group = group_of_key[samples.key_index][samples.ok] if len(samples) else np.empty(0, dtype=np.intp)
    ok_ms = samples.response_ms[samples.ok]
    order = np.argsort(row_group, kind="stable")  # grouped, each group's values still in file order
    bounds = np.searchsorted(row_group[order], np.arange(len(groups) + 1))
    at = _recorded_at(manifest)
    out: list[Measurement] = []
    for g, (tenant, endpoint, phase) in enumerate(groups):
        arr = ok_ms[order[bounds[g] : bounds[g + 1]]]
        if arr.size > RAW_LATENCY_PER_KEY:
            # Seeded by run and key: reading the same folder again gives the same subset.
            rng = np.random.default_rng(zlib.crc32(f"{manifest.run_id}/{tenant}/{endpoint}/{phase}".encode()))
            arr = rng.choice(arr, RAW_LATENCY_PER_KEY, replace=False)
        page = load_latency_label(endpoint, tenant, phase)
        out.extend(
            Measurement(page, "latency", float(v), at, None, None, tenant, None, phase[:40]) for v in arr.tolist()
        )
    return out
