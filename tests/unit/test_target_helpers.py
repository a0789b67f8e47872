"""Helper processes: results and job errors come back; a helper that dies is replaced, never reused; a helper
keeps its image work to its share of a core."""

from __future__ import annotations

import os
import statistics
import time

import pytest

from bigday.target.helpers import HelperCrashed, HelperProcesses, rest_after
from bigday.target.uploads import UploadRejected, process_upload


def test_results_errors_and_a_dead_helper(tmp_path):
    helpers = HelperProcesses(1, "t")
    try:
        with pytest.raises(UploadRejected) as e:
            helpers.run(process_upload, b"{}", "application/json", 1000, str(tmp_path), "ph_x")
        assert e.value.status == 415
        assert helpers.run(os.getpid) != os.getpid()  # the same helper answers after a job's error
        with pytest.raises(HelperCrashed):
            helpers.run(os._exit, 3)
        first = helpers.run(os.getpid)
        assert first != os.getpid() and helpers.run(os.getpid) == first  # a fresh helper, then reused
    finally:
        helpers.shutdown()


@pytest.mark.serial
def test_a_helper_rests_in_proportion_to_the_cpu_its_job_took():
    assert rest_after(0.1, 1.0) == 0.0
    assert rest_after(0.1, 0.5) == pytest.approx(0.1)
    assert rest_after(0.03, 0.25) == pytest.approx(0.09)
    walls = {}
    for share in (1.0, 0.1):
        helpers = HelperProcesses(1, "t", cpu_share=share)
        try:
            helpers.run(sum, range(10))  # the helper is started before the timing
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                helpers.run(sum, range(2_000_000))  # ~0.03-0.1 s of CPU
                times.append(time.perf_counter() - t0)
            walls[share] = statistics.median(times)
        finally:
            helpers.shutdown()
    # At a 0.1 share a job's work plus rest takes 10x its work; 3x leaves room for a busy machine.
    assert walls[0.1] > 3 * walls[1.0], walls
    with pytest.raises(ValueError):
        HelperProcesses(1, "t", cpu_share=0)
