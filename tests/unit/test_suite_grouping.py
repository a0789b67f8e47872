"""The suite's parallel pass relies on ``--dist loadgroup`` keeping an ``xdist_group``'s tests on one worker.

With pytest 9.2 and xdist 3.8 the group silently stopped holding (pytest-dev/pytest-xdist#1386): nothing
failed, but each worker built the install test's venv and the real-app test's Django project again, and two
wheel builds of one checkout at once collided. This runs a small grouped session the way scripts/bootstrap.sh
does and checks that the group held.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

GROUPED = """
import os
import pytest

pytestmark = pytest.mark.xdist_group("costly")

@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    print("WORKER", os.environ["PYTEST_XDIST_WORKER"])
"""

LOOSE = """
import pytest

@pytest.mark.parametrize("i", range(6))
def test_loose(i):
    pass
"""


def test_an_xdist_group_stays_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_loose.py").write_text(LOOSE)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2"]
        + ["--dist", "loadgroup", "-v", "-rA", "-s", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    workers = {m[1] for m in re.finditer(r"\[(gw\d+)\] .*PASSED .*test_grouped", out.stdout)}
    assert len(workers) == 1, f"the group ran on {sorted(workers)}:\n{out.stdout[-2000:]}"
