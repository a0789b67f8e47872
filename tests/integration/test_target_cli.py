"""``bigday target`` as a user runs it: one-line errors with exit 2, a serving line, clean stops."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from bigday.cli import main

BIGDAY = [sys.executable, "-m", "bigday", "target"]


BAD_FLAGS = [
    (["--isolation", "fifo"], {}, "--isolation"),
    (["--host", "0.0.0.0"], {}, "loopback"),
    (["--lcp-delay", "soon"], {}, "--lcp-delay"),
    (["--jank-every", "0"], {}, "--jank-every"),
    (["--upload-limit", "lots"], {}, "--upload-limit"),
    (["--workers", "0"], {}, "--workers"),
    (["--upload-cpu-share", "2"], {}, "--upload-cpu-share"),
    (["--scenario", "/nonexistent/wedsync.yaml"], {}, "no such scenario file"),
    ([], {"BIGDAY_TARGET_JANK": "lots"}, "BIGDAY_TARGET_JANK"),
]


@pytest.mark.parametrize("args, env, words", BAD_FLAGS[:2])
def test_bad_flags_are_one_line_and_exit_2(args, env, words):
    r = subprocess.run(BIGDAY + args, capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args, env, words", BAD_FLAGS)
def test_bad_flags_in_process(args, env, words, capsys, monkeypatch):
    # The same CLI entry point without a new interpreter each time.
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    try:
        code = main(["target", *args])
    except SystemExit as e:
        code = e.code
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serves_announces_and_stops_cleanly(sig):
    env = {**os.environ, "BIGDAY_TARGET_LCP_DELAY": "300"}
    with subprocess.Popen(
        BIGDAY + ["--port", "0", "--isolation", "shared"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        try:
            line = proc.stdout.readline().strip()
            m = re.fullmatch(
                r"bigday target: serving (http://127\.0\.0\.1:\d+) \(isolation=shared, "
                r"tenants=everafter,lumen,petal\)",
                line,
            )
            assert m, line
            url = m.group(1)
            for _ in range(100):
                try:
                    httpx.get(f"{url}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            t0 = time.perf_counter()
            assert httpx.get(f"{url}/static/img/hero/clients.jpg").status_code == 200
            assert time.perf_counter() - t0 >= 0.3  # the environment's server knob applies
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=15)
            assert proc.returncode == 0, err
            assert "Traceback" not in err
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
