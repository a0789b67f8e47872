"""`bigday load` and the locustfiles on bad input: one line, exit 2 (configuration) or 3 (unreachable), no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import yaml

from bigday.cli import main
from bigday.load.launcher import LOCUSTFILE_FOR, LocustLaunch, free_port, run_locust
from bigday.load.plan import build_plan
from bigday.runfolder import RunFile, RunFolder, write_plan
from bigday.runfolder.document import WRITTEN_FORMAT
from bigday.settings.scenario import DEFAULT_SCENARIO, load_scenario

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def bigday_load(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """The real console command in a child process (slow to start: bigday imports every verb)."""
    return run("-m", "bigday", "load", *args, "--results-dir", str(tmp_path / "results"))


def bigday_load_here(capsys, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """The same entry point (`bigday.cli.main`) in this process, for errors raised before Locust starts."""
    code = main(["load", *args, "--results-dir", str(tmp_path / "results")])
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def one_line_error(out: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in out.stderr, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("bigday")]
    errors = [ln for ln in lines if "error" in ln]
    assert len(errors) == 1, out.stderr
    return errors[0]


@pytest.fixture(scope="module")
def static_url() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "bigday.load.static_server"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("listening on "), line
        yield line.split()[-1]
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("saturday", "--user-class", "DJUser"), "unknown user class 'DJUser'"),
        (("saturday", "--stages", "spike:2m"), "NAME:DURATION:USERS"),
        (("saturday", "--stages", "ramp:soon:10"), "stage 1 'ramp': duration"),
        (("saturday", "--run-time", "1m"), "hard limit"),
        (("isolation", "--locust-args=--users 5"), "locust option --users is set by bigday"),
        (("isolation", "--base-url", "http://10.255.255.1:8080"), "not in the scenario's load.allow_hosts"),
        (("isolation", "--phase", "10s", "--max-phase-time", "30s"), "--max-phase-time: 30s holds fewer than"),
        (("isolation", "--recovery", "3s"), "--recovery: the adaptive check's windows are all --phase long"),
    ],
)
def test_bad_input_exits_2_before_any_load(args, fragment, tmp_path, static_url, capsys):
    argv = list(args) if "--base-url" in args else [*args, "--base-url", static_url]
    out = bigday_load_here(capsys, *argv, tmp_path=tmp_path)
    assert out.returncode == 2, out.stderr
    assert fragment in one_line_error(out)
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


def test_allow_listed_host_still_needs_permission(tmp_path, capsys):
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["load"]["allow_hosts"] = ["staging.example.invalid"]
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(data))
    out = bigday_load_here(
        capsys,
        "isolation",
        "--scenario",
        str(scenario),
        "--base-url",
        "https://staging.example.invalid",
        tmp_path=tmp_path,
    )
    assert out.returncode == 2 and "--i-have-permission" in one_line_error(out)


def test_bad_stage_in_the_scenario_names_the_key(tmp_path):
    """Through the real console command: exit 2, one line, no traceback."""
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["load"]["stages"][1]["duration"] = "soon"
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(data))
    out = bigday_load("saturday", "--scenario", str(scenario), tmp_path=tmp_path)
    assert out.returncode == 2 and "load.stages[1].duration" in one_line_error(out)


def test_unreachable_target_exits_3(tmp_path):
    """Through the real console command: exit 3, one line, no traceback."""
    out = bigday_load("saturday", "--base-url", f"http://127.0.0.1:{free_port()}", tmp_path=tmp_path)
    assert out.returncode == 3 and "unreachable" in one_line_error(out)


@pytest.mark.load
def test_unknown_locust_option_is_translated(tmp_path, static_url, capsys):
    out = bigday_load_here(
        capsys,
        "isolation",
        "--phase",
        "2s",
        "--base-url",
        static_url,
        "--locust-args=--no-such-flag 3",
        tmp_path=tmp_path,
    )
    assert out.returncode == 2
    assert "locust option not recognised: --no-such-flag" in one_line_error(out)
    manifest = json.loads(next((tmp_path / "results").glob("*/manifest.json")).read_text())
    assert manifest["status"] == "failed"


@pytest.mark.load
def test_plain_locust_refuses_a_non_loopback_host():
    out = run("-m", "locust", "-f", str(LOCUSTFILE_FOR["isolation"]), "--headless", "--host", "http://10.255.255.1:80")
    assert out.returncode == 2
    assert "bigday: error: refusing to send load to 10.255.255.1" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.load
def test_plain_locust_refuses_users_for_the_isolation_check(tmp_path, static_url):
    """Its user counts and phases are fixed: -u/-t would be silently wrong, so Locust stops before any load."""
    before = int(httpx.get(static_url + "/__count", timeout=5, trust_env=False).text)
    out = run(
        "-m", "locust", "-f", str(LOCUSTFILE_FOR["isolation"]), "--headless", "-u", "20", "-t", "10s",
        "--host", static_url, "--bigday-out", str(tmp_path / "run"), timeout=60,
    )  # fmt: skip
    assert out.returncode == 2 and "Traceback" not in out.stderr
    (line,) = [ln for ln in out.stderr.splitlines() if "bigday: error:" in ln]
    assert "-u/--users" in line and "isolation check" in line and "--phase" in line
    assert not (tmp_path / "run").exists()
    assert int(httpx.get(static_url + "/__count", timeout=5, trust_env=False).text) == before


@pytest.mark.load
def test_locust_stops_itself_at_the_hard_limit(tmp_path, static_url):
    """The plan's hard limit ends a run whose shape would go on, from inside Locust."""
    plan = build_plan(load_scenario(), "isolation").to_json()
    plan["max_duration_s"] = 3.0  # the shape lasts 62 s
    (tmp_path / "plan.json").write_text(json.dumps({"format_version": WRITTEN_FORMAT[RunFile.PLAN], **plan}))
    start = time.monotonic()
    out = run(
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE_FOR["isolation"]),
        "--headless",
        "--host",
        static_url,
        "--bigday-plan",
        str(tmp_path / "plan.json"),
        "--bigday-out",
        str(tmp_path / "run"),
        timeout=40,
    )
    assert time.monotonic() - start < 20, out.stderr[-2000:]
    stats = json.loads((tmp_path / "run" / "load_stats.json").read_text())
    assert stats["stop_reason"] == "hard time limit 3s"
    assert stats["duration_s"] < 6


@pytest.mark.load
def test_parent_kills_a_locust_that_outlives_its_deadline(tmp_path, static_url):
    """Belt and braces: past the hard limit plus grace, bigday kills Locust and its workers by PID."""
    plan = build_plan(load_scenario(), "isolation")
    write_plan(RunFolder(tmp_path), plan)
    launch = LocustLaunch(
        locustfile=LOCUSTFILE_FOR["isolation"],
        host=static_url,
        plan_path=tmp_path / "plan.json",
        out_dir=tmp_path,
        hard_limit_s=6.0,  # long enough for Locust to import and fork its workers on a busy machine
        processes=2,
    )
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:  # every process of this run, from its start to its end (a slow start forks late)
        while not done.wait(0.2):
            for p in psutil.process_iter(["cmdline"]):
                if str(tmp_path) in " ".join(p.info["cmdline"] or ()):
                    seen.add(p.pid)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        outcome = run_locust(launch, grace_s=2.0)
    finally:
        done.set()
        watcher.join()
    assert outcome.killed and outcome.elapsed_s < 15
    assert len(seen) >= 3  # master + 2 workers (--processes 2) were running
    assert not [pid for pid in seen if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]


def test_processes_from_the_environment(monkeypatch):
    from bigday.errors import ConfigError
    from bigday.settings.resolve import load_processes

    def env_processes() -> int:
        return load_processes(None)

    monkeypatch.delenv("BIGDAY_LOAD_PROCESSES", raising=False)
    assert env_processes() == 1
    for raw, n in (("2", 2), ("-1", -1)):
        monkeypatch.setenv("BIGDAY_LOAD_PROCESSES", raw)
        assert env_processes() == n
    for raw in ("0", "two", "-3"):
        monkeypatch.setenv("BIGDAY_LOAD_PROCESSES", raw)
        with pytest.raises(ConfigError, match=f"BIGDAY_LOAD_PROCESSES: expected .*{raw}"):
            env_processes()
