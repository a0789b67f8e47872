"""The real `bigday` command: help, exit codes, and one-line errors for bad scenario files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bigday.settings.scenario import DEFAULT_SCENARIO
from tests.conftest import run_cli

VERBS = ("run", "probe", "load", "compare", "report", "target", "ingest", "prune", "baseline", "alerts", "scenario")


def bigday(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bigday", *args], capture_output=True, text=True, timeout=60, env=env)


def test_help_lists_every_verb_and_exit_codes():
    out = bigday("--help")
    assert out.returncode == 0
    for verb in VERBS:
        assert f"    {verb} " in out.stdout
    assert "exit codes: 0" in out.stdout


def test_unknown_verb_and_option_exit_2_with_one_line():
    for args in (("frobnicate",), ("scenario", "--nope")):
        out = bigday(*args)
        assert out.returncode == 2
        assert out.stderr.strip().count("\n") <= 1  # argparse may print usage first; never a traceback
        assert "Traceback" not in out.stderr


def test_scenario_verb_describes_bundled_scenario():
    out = bigday("scenario")
    assert out.returncode == 0, out.stderr
    assert "scenario wedsync" in out.stdout
    assert "[error] lcp p95 <= 2000 ms" in out.stdout


def test_scenario_verb_never_prints_a_base_urls_user_info(tmp_path):
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["base_url"] = "http://alice:hunter2-pw@127.0.0.1:9/"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    out = bigday("scenario", str(path))
    assert out.returncode == 0, out.stderr
    assert "target: http://***@127.0.0.1:9" in out.stdout
    assert "hunter2-pw" not in out.stdout + out.stderr and "alice" not in out.stdout


def _bad_files(tmp_path: Path) -> dict[str, str]:
    base = yaml.safe_load(DEFAULT_SCENARIO.read_text())

    def mutated(fn) -> str:
        data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
        fn(data)
        return yaml.safe_dump(data)

    assert base
    return {
        "not-yaml": "pages: [\n",
        "empty": "",
        "scalar": "just words\n",
        "unknown-key": mutated(lambda d: d.update(extra=1)),
        "missing-pages": mutated(lambda d: d.pop("pages")),
        "wrong-type": mutated(lambda d: d.update(tenants="everafter")),
        "bad-unit": mutated(lambda d: d["thresholds"][0].update(bound="2 fortnights")),
        "bad-size": mutated(lambda d: d["budgets"][0].update(max="lots")),
        "unknown-metric": mutated(lambda d: d["thresholds"][0].update(metric="speed")),
        "negative-clients": mutated(lambda d: d["tenants"][0].update(clients=-1)),
        "bad-stage": mutated(lambda d: d["load"]["stages"][0].update(users="many")),
        "bad-tolerance": mutated(lambda d: d["load"]["isolation"].update(tolerance=0.5)),
        "bad-direction": mutated(lambda d: d["thresholds"][0].update(direction="sideways")),
    }


def test_bad_scenario_files_exit_2_with_one_line_and_no_traceback(tmp_path):
    cases = _bad_files(tmp_path)
    missing = tmp_path / "missing.yaml"
    paths = [missing, tmp_path]  # a missing file and a directory
    for name, text in cases.items():
        p = tmp_path / f"{name}.yaml"
        p.write_text(text)
        paths.append(p)
    assert len(paths) >= 14
    for i, p in enumerate(paths):
        # The real command for the first two; the rest in-process, through the same entry point (fast).
        out = bigday("scenario", str(p)) if i < 2 else run_cli("scenario", str(p))
        assert out.returncode == 2, (p, out.stdout, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, (p, out.stderr)
        assert lines[0].startswith(f"bigday: error: {p}"), lines[0]
        assert "Traceback" not in out.stderr


@pytest.mark.parametrize("verb", ["probe", "run", "load", "compare"])
def test_verbs_reject_bad_scenario_via_environment(tmp_path, verb):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    import os

    env = dict(os.environ, BIGDAY_SCENARIO=str(bad))
    out = bigday(verb, env=env) if verb != "compare" else bigday(verb, str(tmp_path), env=env)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
