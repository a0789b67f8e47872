"""No secret in clear: a base URL with user info, a store password by flag and by query, a header token and a
cookie from the environment; after a real probe run, a real load run, ingest, compare and every report format of
both, none of them is in the results folder (gzipped files decompressed), the store's dump or anything bigday
printed."""

from __future__ import annotations

import gzip
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bigday.settings import redact
from bigday.settings.scenario import DEFAULT_SCENARIO
from bigday.target.server import running_target

BASE_PASSWORD = "BasePassw0rd-7f3a"
STORE_PASSWORD = "StorePassw0rd-91c2"
QUERY_PASSWORD = "QueryPassw0rd-5d8e"
HEADER_TOKEN = "HeaderT0ken-c0ffee"
COOKIE_VALUE = "CookieValue-b16b00b5"
SECRETS = (BASE_PASSWORD, STORE_PASSWORD, QUERY_PASSWORD, HEADER_TOKEN, COOKIE_VALUE)


def _bigday(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bigday", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def _text(path: Path) -> str:
    """A file's text, decompressed when it is gzipped (the raw load samples)."""
    data = path.read_bytes()
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", errors="replace")


def _scenario(tmp: Path) -> Path:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    data["auth"] = {"headers": {"X-Api-Token": "${BD_SECRET_TOKEN}"}, "cookies": {"session": "${BD_SECRET_COOKIE}"}}
    path = tmp / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_redaction_rule_hides_every_shape() -> None:
    redact.forget()
    redact.register("EnvSecretValue")
    assert redact.text("http://u:p4ss@h:1/x") == "http://***@h:1/x"
    assert (
        redact.text("postgresql://u@h/db?password=abcd&sslmode=off") == "postgresql://u@h/db?password=***&sslmode=off"
    )
    redact.register_url("https://TOKEN123@h/", bare_user_is_secret=True)
    assert redact.text("see https://TOKEN123@h/x") == "see https://***@h/x"
    assert redact.text("see /a?api_key=zzzz&n=1") == "see /a?api_key=***&n=1"
    assert redact.text("/login?csrf_token={csrf}&key=${API_KEY}") == "/login?csrf_token={csrf}&key=${API_KEY}"
    assert redact.text("value EnvSecretValue here") == "value *** here"
    # Outside a URL's query a name=value is code or prose: the dashboard's inlined ECharts says keys=function.
    code = "var keys=function(){return 1},token=e.token;password=x"
    assert redact.text(code) == code
    assert redact.argv(["bigday", "--webhook-url", "http://x/hook", "--store=sqlite:///a"]) == (
        "bigday",
        "--webhook-url",
        "***",
        "--store=sqlite:///a",
    )
    assert redact.text("http://127.0.0.1:8000/x?tenant=a") == "http://127.0.0.1:8000/x?tenant=a"  # nothing secret
    redact.forget()


@pytest.mark.browser
@pytest.mark.slow
def test_no_secret_reaches_files_store_or_output(tmp_path: Path) -> None:
    results = tmp_path / "results"
    scenario = _scenario(tmp_path)
    store = tmp_path / "store.sqlite"
    env = {**os.environ, "BD_SECRET_TOKEN": HEADER_TOKEN, "BD_SECRET_COOKIE": COOKIE_VALUE}
    env.pop("BIGDAY_STORE", None)
    outputs: list[str] = []

    def run(*args: str, expect: tuple[int, ...] = (0, 1)) -> subprocess.CompletedProcess[str]:
        out = _bigday(*args, env=env)
        outputs.extend((out.stdout, out.stderr))
        assert out.returncode in expect, (args, out.returncode, out.stderr)
        return out

    with running_target() as url:
        secret_url = url.replace("http://", f"http://alice:{BASE_PASSWORD}@")
        run(
            "probe",
            *("--scenario", str(scenario), "--base-url", secret_url, "--runs", "1", "--pages", "clients"),
            *("--results-dir", str(results), "--accessibility", "off"),
        )
        (probe_dir,) = [p for p in results.iterdir() if p.is_dir()]
        # A short Saturday spike with the same secrets: Locust's own report and log, the statistics and every
        # raw sample are searched too.
        run(
            "load",
            "saturday",
            *("--scenario", str(scenario), "--base-url", secret_url, "--stages", "up:2s:4,hold:2s:4"),
            *("--processes", "1", "--results-dir", str(results), "--keep-samples"),
            expect=(0, 1, 3),
        )
    (load_dir,) = [p for p in results.iterdir() if p.is_dir() and p != probe_dir]
    load_files = ("load_stats.json", "locust_report.html", "locust.log", "load_samples.csv.gz", "plan.json")
    for name in (*load_files, "load_histograms.json", "load_reservoir.csv.gz"):
        assert (load_dir / name).is_file(), name
    assert "***@" in _text(load_dir / "manifest.json")  # the load run recorded the base URL, redacted
    run("ingest", str(probe_dir), "--store", str(store))
    # Every format of the probe run; of the load run (which compare ingests itself) the three that carry its
    # whole record (the JSON models, the dashboard, the Markdown), to keep the test short: ~5 s a call here.
    formats = {probe_dir: ("terminal", "md", "junit", "json", "html"), load_dir: ("md", "json", "html")}
    for run_dir in (probe_dir, load_dir):
        run("compare", str(run_dir), "--scenario", str(scenario), "--store", str(store), "--no-notify")
        for fmt in formats[run_dir]:
            run("report", str(run_dir), "--format", fmt, "--store", str(store))
    run_dir = probe_dir
    # A store password by flag and by query: the store cannot be reached, and the error must not say the password.
    for store_url in (
        f"postgresql://bob:{STORE_PASSWORD}@127.0.0.1:1/bigday",
        f"postgresql://bob@127.0.0.1:1/bigday?password={QUERY_PASSWORD}",
    ):
        out = run("ingest", str(run_dir), "--store", store_url, expect=(3,))
        assert "127.0.0.1" in out.stderr
        out = run("compare", str(run_dir), "--store", store_url, "--no-notify", expect=(3,))

    dump = "\n".join(sqlite3.connect(store).iterdump())
    files = {p: _text(p) for p in tmp_path.rglob("*") if p.is_file()}
    files.pop(scenario)  # names the variables, not their values
    files.pop(store)  # read as its dump
    assert any("***@" in text for text in files.values())  # the base URL is recorded, redacted
    for secret in SECRETS:
        assert secret not in dump, secret
        for text in outputs:
            assert secret not in text, (secret, text[:2000])
        for path, text in files.items():
            assert secret not in text, (secret, path)
