"""Helper processes: results and job errors come back; a helper that dies is replaced, never reused."""

from __future__ import annotations

import os

import pytest

from bigday.target.helpers import HelperCrashed, HelperProcesses
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
