"""Raw samples: workers' drained rows merge losslessly, and summaries use exact percentiles per tenant and phase."""

from __future__ import annotations

import gzip

import msgpack
import numpy as np
import pytest

from bigday.load.samples import SampleBook
from bigday.load.stats import PhaseSpan, endpoint_stats, find
from bigday.runfolder import RunFile, RunFolder, write_load_samples, write_load_stats_csv


def _book(rng: np.random.Generator, n: int, tenants=("everafter", "lumen"), phase="alone", t0=1000.0) -> SampleBook:
    book = SampleBook()
    for i in range(n):
        tenant = tenants[i % len(tenants)]
        err = "HTTP 503" if i % 50 == 0 else None
        book.record((tenant, "photographer", "POST /api/photos", phase), t0 + i * 0.01, float(rng.gamma(2, 30)), err)
    return book


def test_worker_rows_survive_msgpack_and_merge():
    rng = np.random.default_rng(1)
    w1, w2 = _book(rng, 500), _book(rng, 300, phase="spike")
    expected = {k: list(s.rt) for k, s in w1.series.items()}
    master = SampleBook()
    for worker in (w1, w2):
        # What Locust does to report_to_master data on its way over ZeroMQ.
        rows = msgpack.unpackb(msgpack.packb(worker.drain()), raw=False)
        master.merge(rows)
    assert len(w1) == 0 and len(w2) == 0  # drained
    assert len(master) == 800
    for k, rts in expected.items():
        assert list(master.series[k].rt) == rts
    key = ("everafter", "photographer", "POST /api/photos", "alone")
    assert master.series[key].errors["HTTP 503"] == 10  # i = 0, 50, ... 450 are all even: everafter


def test_percentiles_are_exact_not_bucketed():
    book = SampleBook()
    values = [101.0, 102.0, 103.0, 104.0, 1234.5]
    for i, v in enumerate(values):
        book.record(("lumen", "planner", "GET /dashboard", "alone"), 10.0 + i, v, None)
    rows = endpoint_stats(book, [PhaseSpan("alone", 10.0, 15.0)], PhaseSpan("*", 10.0, 15.0))
    row = find(rows, tenant="lumen", phase="alone")
    assert row is not None
    assert row.p50 == 103.0  # Locust would report 100 (two significant digits)
    assert row.max == 1234.5 and row.p99 == pytest.approx(np.percentile(values, 99), abs=1e-3)
    assert row.rps == 1.0 and row.error_rate == 0.0


def test_rollups_per_tenant_endpoint_phase(tmp_path):
    rng = np.random.default_rng(2)
    book = _book(rng, 400)
    for k, s in _book(rng, 200, phase="spike").series.items():
        for t, rt, ok in zip(s.t, s.rt, s.ok, strict=True):
            book.record(k, t, rt, None if ok else "HTTP 503")
    phases = [PhaseSpan("alone", 1000.0, 1004.0), PhaseSpan("spike", 1004.0, 1006.0)]
    rows = endpoint_stats(book, phases, PhaseSpan("*", 1000.0, 1006.0))
    fine = find(rows, "lumen", "photographer", "POST /api/photos", "spike")
    tenant_phase = find(rows, tenant="lumen", phase="spike")
    whole = find(rows)
    assert fine is not None and tenant_phase is not None and whole is not None
    assert fine.count == tenant_phase.count == 100
    assert tenant_phase.rps == 50.0  # 100 requests over the 2 s spike phase
    assert whole.count == 600 and whole.errors == {"HTTP 503": 12}
    assert whole.error_rate == pytest.approx(12 / 600)
    folder = RunFolder(tmp_path)
    write_load_stats_csv(folder, rows)
    head = folder.file(RunFile.LOAD_STATS_CSV).read_text().splitlines()
    assert head[0].startswith("tenant,user_kind,endpoint,phase,count,rps,p50,p95,p99,max")
    write_load_samples(folder, book.columns(1000.0))
    with gzip.open(folder.file(RunFile.LOAD_SAMPLES), "rt") as f:
        assert sum(1 for _ in f) == 601


def test_the_request_hook_shortcut_files_samples_like_record():
    book = SampleBook()
    book.record_request("lumen", "planner", "GET", "/dashboard", "alone", 1.0, 12.5, None)
    book.record_request("lumen", "planner", "GET", "/dashboard", "alone", 2.0, 40.0, "HTTP 503")
    book.record(("lumen", "planner", "GET /dashboard", "alone"), 3.0, 7.0, None)
    s = book.series[("lumen", "planner", "GET /dashboard", "alone")]
    assert list(s.rt) == [12.5, 40.0, 7.0] and list(s.ok) == [1, 0, 1] and s.errors == {"HTTP 503": 1}
    rows = book.drain()
    book.record_request("lumen", "planner", "GET", "/dashboard", "alone", 4.0, 1.0, None)  # after a drain
    assert len(rows) == 1 and len(book) == 1
