"""The isolation bar of the reference target under a real loopback upload flood.

One tenant (the aggressor) uploads photos from many concurrent clients for 20 s in all; another (the victim)
sends steady light requests throughout. The victim's p95 must rise more than 3x in `shared` mode (one FIFO
pool: its requests queue behind uploads) and less than 1.3x in `fair` mode (a pool per tenant).

This machine is shared and its background load drifts by the second, so the flood is switched on and off on
a shared clock (alone, load, alone, ...; see bigday/target/loadcheck.py): each load window's victim p95 is
compared with the victim's p95 in the alone windows on either side, and a mode's ratio is the median of those
window ratios (the pooled ratio of all samples is printed beside it). Run with -s to see the figures.

Fair mode's figure moves from one server start to the next: with the upload CPU budget it measured
1.01-1.07x in six runs (without it 1.01-1.54x, see docs/reference-target.md), so one fresh server under a 20 s
flood stays well inside the 1.3x bar; the spread over many starts is benchmarks/target_isolation.py's to show,
and test_isolation_verdict_target.py judges fair mode again through bigday's own verdict. Shared mode's
effect is ~100x and one server will do.
"""

from __future__ import annotations

import statistics
import time

import pytest

from bigday.target.loadcheck import interleaved_schedule, measure_isolation, sample_photo
from bigday.target.server import running_target

pytestmark = [pytest.mark.load, pytest.mark.slow, pytest.mark.serial]

VICTIM, AGGRESSOR = "lumen", "everafter"
CONCURRENCY = 32  # the aggressor's concurrent upload clients (its queue bound is 16: the rest get 503s)
# Both modes get 20 s of load. Fair mode's effect is small, so it gets eight short load windows (more
# alone/load alternations cancel more of the machine's drift); shared mode's effect is ~100x and two will do.
SCHEDULES = {
    "shared": interleaved_schedule(load_s=20.0, windows=2, alone_s=1.5),
    "fair": interleaved_schedule(load_s=20.0, windows=8, alone_s=1.5),
}


FAIR_RUNS = 1


def test_shared_pool_lets_an_upload_flood_hurt_another_tenant_and_fair_pools_do_not():
    photo = sample_photo()
    started = time.monotonic()
    runs = {"shared": [], "fair": []}
    for mode, count in (("shared", 1), ("fair", FAIR_RUNS)):
        for i in range(count):
            with running_target(isolation=mode) as url:
                runs[mode].append(measure_isolation(url, VICTIM, AGGRESSOR, photo, CONCURRENCY, SCHEDULES[mode]))
            print(f"\n{mode} run {i + 1}: {runs[mode][-1].describe()}")
    elapsed = time.monotonic() - started
    print(f"isolation check took {elapsed:.1f} s")
    for m in runs["shared"] + runs["fair"]:
        assert m.victim_errors_alone == 0 and m.victim_errors_load == 0, m.describe()
        assert m.flood.created > 50 and m.flood.other_errors == 0, m.describe()
        # Shared mode's alone windows are 3 x 1.5 s: 194-250 victim requests here on a quiet machine, 141 on a
        # busy one, against a ~50x effect that 100 samples show beyond doubt.
        assert len(m.alone_ms) >= 100, m.describe()
    for m in runs["fair"]:
        assert len(m.load_ms) >= 1000 and len(m.cycle_ratios) == 8, m.describe()
    shared = runs["shared"][0].ratio
    fair = statistics.median(m.ratio for m in runs["fair"])
    print(f"victim p95 ratio: shared {shared:.2f}x, fair {fair:.2f}x")
    assert shared > 3.0, runs["shared"][0].describe()
    assert fair < 1.3, [m.describe() for m in runs["fair"]]
    assert elapsed < 100, f"took {elapsed:.0f} s"
