"""Alert notification to a real webhook receiver on 127.0.0.1: payload, retries, timeout, secrecy."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from bigday.cli.compare import print_warnings
from bigday.compare.engine import CompareOptions, compare_run
from bigday.compare.webhook import WEBHOOK_ENV, notify
from bigday.runfolder import Alert
from bigday.settings.scenario import load_scenario
from bigday.store.engine import open_store
from bigday.store.synthetic import write_probe_run

SCENARIO = load_scenario()
SECRET = "T0001/B0002/hush-hush-token"


class Receiver:
    """A Slack-like webhook endpoint that answers each POST with the next scripted status."""

    def __init__(self, statuses: list[int], delay_s: float = 0.0) -> None:
        self.bodies: list[dict] = []
        self.statuses, self.delay_s = list(statuses), delay_s
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.bodies.append(body)
                time.sleep(receiver.delay_s)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                try:
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except BrokenPipeError:
                    pass  # the hanging-receiver test's client gave up first, as it should

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/{SECRET}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver([])
    yield r
    r.close()


def _alert(new: bool = True) -> Alert:
    return Alert(
        id=1,
        type="threshold_breach",
        severity="high",
        page="dashboard",
        metric="fid",
        threshold=75.0,
        actual=112.0,
        window="run r",
        run_id="r",
        new=new,
        data={},
    )


def test_payload_is_slack_compatible(receiver: Receiver) -> None:
    result = notify("run-1", [_alert()], url=receiver.url)
    assert result is not None and result.sent and result.attempts == 1
    (body,) = receiver.bodies
    assert body["text"].startswith("bigday: 1 new alert(s) for run run-1 (worst: high)")
    assert "dashboard fid" in body["text"]
    assert body["blocks"][0]["type"] == "header" and body["blocks"][1]["text"]["type"] == "mrkdwn"


def test_only_new_alerts_are_sent(receiver: Receiver) -> None:
    assert notify("run-1", [_alert(new=False)], url=receiver.url) is None
    assert receiver.bodies == []


def test_server_errors_are_retried_then_given_up_without_the_url() -> None:
    flaky = Receiver([500, 503])
    try:
        ok = notify("r", [_alert()], url=flaky.url, backoff_s=0.01)
        assert ok is not None and ok.sent and ok.attempts == 3
        flaky.statuses = [500, 500, 500]
        failed = notify("r", [_alert()], url=flaky.url, backoff_s=0.01)
        assert failed is not None and not failed.sent and failed.detail == "HTTP 500" and failed.attempts == 3
        flaky.statuses = [404]
        refused = notify("r", [_alert()], url=flaky.url, backoff_s=0.01)
        assert refused is not None and refused.attempts == 1  # a 4xx is not repeated
    finally:
        flaky.close()


@pytest.mark.serial
def test_a_hanging_receiver_times_out() -> None:
    slow = Receiver([], delay_s=1.0)
    try:
        t0 = time.monotonic()
        result = notify("r", [_alert()], url=slow.url, timeout_s=0.2, backoff_s=0.01)
        assert result is not None and not result.sent and result.detail == "ReadTimeout"
        assert time.monotonic() - t0 < 3.0 and len(slow.bodies) == 3
    finally:
        slow.close()


def test_compare_notifies_once_per_open_alert_and_never_records_the_url(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(WEBHOOK_ENV, receiver.url)
    rng = np.random.default_rng(1)
    janky = {"dashboard": {"fid": list(rng.uniform(90, 130, 10)), "lcp": list(rng.normal(900, 30, 10))}}
    db = tmp_path / "bigday.sqlite"
    with open_store(str(db)) as store:
        first = write_probe_run(tmp_path, janky, run_id="first")
        compare_run(store, first, SCENARIO, CompareOptions())
        second = write_probe_run(tmp_path, janky, run_id="second")
        verdicts = compare_run(store, second, SCENARIO, CompareOptions())
    assert len(receiver.bodies) == 1  # the second run's breach joined the open alert: no second message
    assert "high" in receiver.bodies[0]["text"]
    assert any(
        "webhook notified of 1 new alert" in n for n in json.loads((first / "verdicts.json").read_text())["notes"]
    )
    assert verdicts.notes == ()
    out = capsys.readouterr()
    written = "".join(p.read_text() for p in (first / "verdicts.json", first / "alerts.json", second / "alerts.json"))
    assert SECRET not in out.out + out.err + written
    assert SECRET.encode() not in db.read_bytes() and not any(
        SECRET.encode() in p.read_bytes() for p in tmp_path.glob("bigday.sqlite*")
    )


def test_an_unreachable_webhook_is_a_note_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{port}/services/{SECRET}")
    rng = np.random.default_rng(2)
    run = write_probe_run(tmp_path, {"dashboard": {"fid": list(rng.uniform(90, 130, 10))}}, run_id="down")
    with open_store(str(tmp_path / "s.sqlite")) as store:
        v = compare_run(store, run, SCENARIO, CompareOptions())
    print_warnings(v)  # the library never prints: the CLI shows the warning compare hands it
    assert v.outcome == "fail"  # the breach decides the verdict, not the notification
    assert any("webhook notification failed after 3 attempt(s): ConnectError" in n for n in v.notes)
    err = capsys.readouterr().err
    assert "webhook notification failed" in err and SECRET not in err
