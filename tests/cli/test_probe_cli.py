"""The real `bigday probe` and `bigday run` commands: run folder, table, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bigday.runfolder import RunFolder, read_manifest


def bigday(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bigday", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def _one_line_error(out: subprocess.CompletedProcess) -> str:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    return lines[0]


@pytest.mark.browser
def test_probe_json_against_the_embedded_target(tmp_path):
    out = bigday("probe", "--runs", "2", "--pages", "new-form", "--json", "--results-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["complete"] is True and payload["missing"] == []
    assert payload["pages"]["new-form"]["lcp"]["n"] == 2
    assert payload["pages"]["new-form"]["accessibility_score"]["n"] == 1  # axe audits the first run only
    folder = RunFolder.open(payload["run_folder"])
    assert read_manifest(folder).app.embedded_target is True
    samples = folder.read("samples.json")["samples"]
    assert [s["page"] for s in samples] == ["new-form", "new-form"]
    assert samples[0]["metrics"]["accessibility_score"] is not None and samples[0]["details"]["accessibility"]
    assert samples[1]["metrics"]["accessibility_score"] is None and samples[1]["details"]["accessibility"] is None
    assert "new-form run 1: LCP" in out.stderr  # progress goes to stderr, never into the JSON


@pytest.mark.browser
def test_run_prints_the_per_page_table(tmp_path):
    out = bigday("run", "--runs", "1", "--pages", "timeline-editor", "--results-dir", str(tmp_path))
    # The table's shape is the point here; beside the suite's parallel workers a single run's TBT can pass its
    # threshold (231 ms once), which is a verdict (exit 1), not a crash.
    assert out.returncode in (0, 1), out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:4] == ["page", "stat", "LCP", "ms"]
    assert lines[1].split()[:2] == ["timeline-editor", "median"] and lines[1].split()[-1] == "1/1"
    assert [ln.split()[0] for ln in lines[2:4]] == ["p75", "p95"]
    # Then the page's findings, if a busy machine raised any (a long task), then where the run is.
    folder = next(ln for ln in lines[4:] if ln.startswith("run folder: "))
    assert Path(folder.removeprefix("run folder: ")).is_dir()


def test_unreachable_base_url_exits_3_with_one_line(tmp_path):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = bigday("probe", "--base-url", f"http://127.0.0.1:{port}", "--results-dir", str(tmp_path))
    assert out.returncode == 3
    assert "did not answer" in _one_line_error(out)
    assert not any(tmp_path.iterdir())  # no run folder for a run that never started


@pytest.mark.parametrize(
    "args, expected",
    [
        (("--pages", "nope"), "no page named 'nope'"),
        (("--runs", "0"), "--runs: expected at least 1"),
        (("--tenant", "nobody"), "no tenant 'nobody'"),
        (("--knob", "lcp_delay"), "expected NAME=VALUE"),
        (("--accessibility", "sometimes"), "invalid choice"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path, args, expected):
    out = bigday("probe", *args, "--results-dir", str(tmp_path))
    assert out.returncode == 2
    assert expected in _one_line_error(out)


@pytest.mark.parametrize("verb", ["probe", "run"])
def test_missing_web_vitals_says_how_to_install_it(tmp_path, verb):
    env = dict(os.environ, BIGDAY_NODE_MODULES=str(tmp_path / "node_modules"))
    out = bigday(verb, "--results-dir", str(tmp_path), env=env)
    assert out.returncode == 3
    line = _one_line_error(out)
    assert "web-vitals.attribution.iife.js: missing" in line and "npm ci" in line
