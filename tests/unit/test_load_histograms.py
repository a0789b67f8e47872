"""Histograms, not hoards: per-key HDR histograms merged exactly across processes, seeded uniform reservoirs,
per-second timelines, and the run-folder files that hold them."""

from __future__ import annotations

import json

import msgpack
import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from bigday import stats
from bigday.errors import ConfigError
from bigday.load.results import load_histograms
from bigday.load.samples import SampleBook, TimelineBook
from bigday.load.stats import PhaseSpan, endpoint_stats, find
from bigday.runfolder import (
    RunFile,
    RunFolder,
    SampleStream,
    read_load_histograms,
    read_load_samples,
    write_load_histograms,
)
from bigday.stats.histogram import HIGHEST_US, LatencyHistogram, _indices, merge_reservoirs

KEY = ("everafter", "photographer", "POST /api/photos", "spike")


def _over_the_wire(book: SampleBook) -> list:
    # What Locust does to report_to_master data on its way over ZeroMQ.
    return msgpack.unpackb(msgpack.packb(book.drain()), raw=False)


def test_quantiles_merged_from_three_processes_are_within_a_thousandth_of_the_exact_ones():
    """The issue's bar: 1,000,000 samples of a skewed distribution (a lognormal body with a slow tail), recorded
    by three processes, merged on the master: p50/p95/p99 within 1% of bigday's exact quantiles (HDR at three
    significant digits promises half a bucket: 0.05%)."""
    rng = np.random.default_rng(15)
    n = 1_000_000
    body = rng.lognormal(np.log(40.0), 0.5, n)
    tail = rng.lognormal(np.log(900.0), 0.7, n)
    rt = np.where(rng.random(n) < 0.06, tail, body)
    t = 1000.0 + np.arange(n) * 1e-4
    parts = np.split(np.arange(n), [300_000, 750_000])  # three processes, unequal shares
    master = SampleBook()
    for i, part in enumerate(parts):
        worker = SampleBook(seed=i, worker=True)
        for start, ms in zip(t[part].tolist(), rt[part].tolist(), strict=True):
            worker.record(KEY, start, ms, None)
        master.merge(_over_the_wire(worker))
    s = master.series[KEY]
    assert len(s) == n and s.histogram().count == n
    assert not s.complete and len(s.rt) == master.capacity  # the percentiles below come from the histogram
    rows = endpoint_stats(master, [PhaseSpan("spike", 1000.0, 1100.0)], PhaseSpan("*", 1000.0, 1100.0))
    row = find(rows, *KEY)
    assert row is not None and row.count == n
    exact = stats.quantiles(rt.astype(np.float32).astype(np.float64), (0.5, 0.95, 0.99))
    for got, want in zip((row.p50, row.p95, row.p99), exact, strict=True):
        assert got is not None
        assert abs(got - want) / want < 0.01  # the bar
        assert abs(got - want) / want < 1e-3  # what docs/load.md states
    assert row.max == pytest.approx(float(rt.astype(np.float32).max()), abs=1e-3)
    assert row.mean == pytest.approx(float(rt.mean()), abs=1e-3)


def test_counts_fall_where_hdrhistogram_puts_them_and_the_encoding_reads_back_in_it():
    rng = np.random.default_rng(2)
    us = np.concatenate([np.arange(0, 5000), rng.integers(0, HIGHEST_US, 5000)]).astype(np.int64)
    reference = HdrHistogram(1, HIGHEST_US, 3)
    assert _indices(us).tolist() == [reference._counts_index_for(int(v)) for v in us]
    h = LatencyHistogram()
    ms = rng.gamma(2.0, 30.0, 20_000)
    h.record_ms(ms)
    theirs = HdrHistogram.decode(h.encode().encode("ascii"))
    assert theirs.get_total_count() == 20_000
    # Their p99 is the top of its bucket, ours the middle: within one bucket of each other.
    assert theirs.get_value_at_percentile(99) / 1000 == pytest.approx(h.quantiles((0.99,))[0], rel=1e-3)
    with pytest.raises(ValueError, match="not an HdrHistogram encoding"):
        LatencyHistogram.decode("HISTFAAAAnotreally")
    other = HdrHistogram(1, 60_000_000, 2)
    other.record_value(1000)
    with pytest.raises(ValueError, match="bigday's are 1..3600000000 us at 3"):
        LatencyHistogram.decode(other.encode().decode())


def test_a_worker_ships_sparse_counts_and_holds_no_dense_histogram():
    worker, master = SampleBook(worker=True), SampleBook()
    for i in range(3000):
        worker.record(KEY, float(i), 1.0 + i % 300, None)
    assert worker.series[KEY].hist is None  # 190 KB a key on a worker would be most of its samples' memory
    row = worker.drain()[0]
    assert len(row[9]) < 3000  # the sparse counts: bucket indices (int32) of the 300 distinct values
    master.merge(msgpack.unpackb(msgpack.packb([row]), raw=False))
    h = master.series[KEY].histogram()
    assert h.count == 3000 and master.series[KEY].max_ms == 300.0
    assert h.quantiles((0.5,))[0] == pytest.approx(stats.quantile(1.0 + np.arange(3000) % 300, 0.5), rel=1e-3)


def test_a_reservoir_stays_a_uniform_sample_of_the_whole_run_across_reports_and_workers():
    """Worker A reports 9,000 requests in three reports, worker B 3,000 in one; the master's 1,000 are uniform
    over all 12,000: about three quarters are A's, spread over the whole run."""
    capacity = 1000
    master = SampleBook(capacity=capacity, seed=1)
    a, b = SampleBook(capacity=capacity, seed=2, worker=True), SampleBook(capacity=capacity, seed=3, worker=True)
    for report in range(3):
        for i in range(3000):
            a.record(KEY, report * 3000 + i, 10.0, None)
        master.merge(_over_the_wire(a))
    for i in range(3000):
        b.record(KEY, 100_000 + i, 20.0, "HTTP 503")
    master.merge(_over_the_wire(b))
    s = master.series[KEY]
    assert len(s) == 12_000 and len(s.rt) == capacity and s.ok_n == 9000 and s.errors == {"HTTP 503": 3000}
    t = np.frombuffer(s.t, dtype=np.float64)
    from_a = t < 100_000
    # Hypergeometric: 750 expected, standard deviation ~12.
    assert 700 <= from_a.sum() <= 800
    assert (np.frombuffer(bytes(s.ok), dtype=np.uint8) == from_a).all()  # each row's outcome kept with it
    thirds = np.histogram(t[from_a], bins=[0, 3000, 6000, 9000])[0]
    assert thirds.min() >= 0.8 * thirds.mean()
    keep_a, keep_b = merge_reservoirs(10, 10, 5, 5, 100, np.random.default_rng(0))
    assert len(keep_a) == 10 and len(keep_b) == 5  # under capacity: everything


def test_a_local_process_reservoir_is_uniform_over_time_and_seeded():
    def fill(seed: int) -> np.ndarray:
        book = SampleBook(capacity=500, seed=seed)
        for i in range(20_000):
            book.record(KEY, float(i), 1.0, None)
        return np.frombuffer(book.series[KEY].t, dtype=np.float64).copy()

    t = fill(4)
    assert len(t) == 500 and abs(t.mean() - 10_000) < 800  # uniform over 0..20,000 (sd of the mean ~260)
    assert (fill(4) == t).all() and not (fill(5) == t).all()


def test_timeline_windows_add_up_across_workers_and_old_ones_are_sealed():
    """A single process's book seals (encodes) its old seconds; a worker's keeps only the response times since
    its last report and holds no histogram; both drain into the master's alike."""
    master, local, worker = TimelineBook(), TimelineBook(), TimelineBook(worker=True)
    for i in range(400):
        local.record("lumen", 1000.0 + i * 0.05, 10.0 + i % 7, i % 40 == 0)  # 20 seconds
        worker.record("lumen", 1000.0 + i * 0.05, 30.0, False)
    assert len(local.open) <= 7 and len(local.sealed) >= 13  # a second is encoded once it is 6 s old
    assert not worker.sealed and all(w.hist is None for w in worker.open.values())
    w1, w2 = local, worker
    master.merge(msgpack.unpackb(msgpack.packb(w1.drain()), raw=False))
    master.merge(msgpack.unpackb(msgpack.packb(w2.drain()), raw=False))
    windows = master.windows()
    assert [w[1] for w in windows] == list(range(1000, 1020))
    assert sum(w[2] for w in windows) == 800 and sum(w[3] for w in windows) == 10
    assert all(LatencyHistogram.decode(w[4]).count == w[2] for w in windows)


def test_load_histograms_json_round_trips_and_a_damaged_histogram_is_named(tmp_path):
    book, timeline = SampleBook(capacity=50), TimelineBook()
    for i in range(120):
        book.record(KEY, 1000.0 + i * 0.1, 5.0 + i, "HTTP 503" if i == 7 else None)
        timeline.record("everafter", 1000.0 + i * 0.1, 5.0 + i, i == 7)
    folder = RunFolder(tmp_path)
    written = load_histograms(book, timeline, 1000.0)
    write_load_histograms(folder, written)
    back = read_load_histograms(folder)
    assert back == written
    (entry,) = back.keys
    assert (entry.count, entry.ok, entry.reservoir, entry.errors) == (120, 119, 50, {"HTTP 503": 1})
    assert entry.decoded().count == 120 and sum(w.count for w in back.timeline) == 120
    raw = json.loads(folder.file(RunFile.LOAD_HISTOGRAMS).read_text())
    assert raw["format_version"] == 1 and raw["significant_figures"] == 3 and raw["reservoir_capacity"] == 50
    raw["keys"][0]["histogram"] = "HISTFAAAA" + "x" * 10
    folder.file(RunFile.LOAD_HISTOGRAMS).write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match=r"load_histograms\.json: keys\[0\]\.histogram: not an HdrHistogram"):
        read_load_histograms(folder)


def test_kept_samples_stream_to_one_file_per_process_and_read_back_as_one(tmp_path):
    folder = RunFolder(tmp_path)
    local = SampleStream(folder, None, t0=100.0)
    worker = SampleStream(folder, "host_1a2b", t0=100.0)
    for i in range(5000):  # more than one buffer's worth
        local.write(KEY, 100.0 + i * 0.001, 12.5, True)
    worker.write(("lumen", "planner", "GET /api/clients", "spike"), 101.0, 3.25, False)
    assert not folder.file(RunFile.LOAD_SAMPLES).exists()  # nothing half-written under the real name
    local.close()
    assert worker.close().name == "load_samples.host_1a2b.csv.gz"
    samples = read_load_samples(folder)
    assert samples is not None and len(samples) == 5001
    assert samples.keys[-1] == ("lumen", "planner", "GET /api/clients", "spike")
    assert samples.t_s[-1] == pytest.approx(1.0) and not samples.ok[-1] and samples.response_ms[-1] == 3.25


def test_count_above_reads_the_buckets_as_the_quantiles_do() -> None:
    from bigday.stats.histogram import LatencyHistogram

    h = LatencyHistogram()
    h.record_ms([100.0 * i for i in range(1, 11)])  # 100 .. 1000 ms
    assert h.count_above_ms(550.0) == 5 and h.count_above_ms(1000.5) == 0 and h.count_above_ms(0.0) == 10
    # The p95 is past a bound exactly when more than 5% of the requests are slower than it.
    many = LatencyHistogram()
    many.record_ms([10.0] * 940 + [2000.0] * 60)
    assert many.quantiles([0.95])[0] > 1000.0 and many.count_above_ms(1000.0) / many.count > 0.05
