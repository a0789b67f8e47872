"""The isolation bar of the reference target under a real loopback upload flood.

One tenant (the aggressor) uploads photos from many concurrent clients for 20 s in all; another (the victim)
sends steady light requests throughout. The victim's p95 must rise more than 3x in `shared` mode (one FIFO
pool: its requests queue behind uploads) and less than 1.3x in `fair` mode (a pool per tenant).

This machine is shared and its background load drifts by the second, so the flood is switched on and off on
a shared clock (alone, load, alone, ...; see bigday/target/loadcheck.py): each load window's victim p95 is
compared with the victim's p95 in the alone windows on either side, and a mode's ratio is the median of those
window ratios (the pooled ratio of all samples is printed beside it). Run with -s to see the figures.
"""

from __future__ import annotations

import time

import pytest

from bigday.target.loadcheck import interleaved_schedule, measure_isolation, sample_photo
from bigday.target.server import running_target

pytestmark = [pytest.mark.load, pytest.mark.slow]

VICTIM, AGGRESSOR = "lumen", "everafter"
CONCURRENCY = 32  # the aggressor's concurrent upload clients (its queue bound is 16: the rest get 503s)
# Both modes get 20 s of load. Fair mode's verdict sits near its bar, so it gets eight short load windows (more
# alone/load alternations cancel more of the machine's drift); shared mode's effect is ~100x and two will do.
SCHEDULES = {
    "shared": interleaved_schedule(load_s=20.0, windows=2, alone_s=1.5),
    "fair": interleaved_schedule(load_s=20.0, windows=8, alone_s=1.5),
}


def test_shared_pool_lets_an_upload_flood_hurt_another_tenant_and_fair_pools_do_not():
    photo = sample_photo()
    started = time.monotonic()
    results = {}
    for mode in ("shared", "fair"):
        with running_target(isolation=mode) as url:
            results[mode] = measure_isolation(url, VICTIM, AGGRESSOR, photo, CONCURRENCY, SCHEDULES[mode])
        print(f"\n{mode}: {results[mode].describe()}")
    elapsed = time.monotonic() - started
    print(f"isolation check took {elapsed:.1f} s")
    shared, fair = results["shared"], results["fair"]
    for m in (shared, fair):
        assert m.victim_errors_alone == 0 and m.victim_errors_load == 0, m.describe()
        assert m.flood.created > 50 and m.flood.other_errors == 0, m.describe()
        assert len(m.alone_ms) >= 200, m.describe()
    assert len(fair.load_ms) >= 1000 and len(fair.cycle_ratios) == 8, fair.describe()
    assert shared.ratio > 3.0, shared.describe()
    assert fair.ratio < 1.3, fair.describe()
    assert elapsed < 80, f"took {elapsed:.0f} s"
