"""The Locust side of benchmarks/rum_load.py (run by it; plain ``locust -f`` works with the same variables).

Each user sends beacons at a constant rate (``RUM_PER_USER`` a second). One request in ``1 / RUM_HOSTILE`` of the
process is hostile, taking the kinds in turn: oversize, NaN, negative, unknown metric, a script in the route, a wrong
key, a wrong origin. Every valid beacon's LCP is a value no other beacon has (a counter + 0.5 ms), so the
driver can find each one in the store. At the end the users' tallies go to ``RUM_OUT`` as JSON: the values
acknowledged with 2xx, the valid ones refused (status: count), every hostile answer, and each valid
request's latency in ms as the client saw it.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter
from typing import Any

from locust import FastHttpUser, constant_throughput, events, task

KEY = os.environ.get("RUM_KEY", "pk_lumen_load_0123456789")
ORIGIN = os.environ.get("RUM_ORIGIN", "http://lumen.localhost:1")
HOSTILE_EVERY = max(1, round(1 / float(os.environ.get("RUM_HOSTILE", "0.01"))))
# A marker no valid beacon carries (they count from 0.5 up): a hostile beacon that was stored would show it.
HOSTILE_VALUE = 3_333_333.25

numbers = itertools.count()
requests = (
    itertools.count()
)  # every request of this process, so one in HOSTILE_EVERY is hostile however few each user sends
tally: dict[str, Any] = {"acked": [], "refused": Counter(), "hostile": Counter(), "latency_ms": []}


def beacon(value: float, **over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "v": 1,
        "key": KEY,
        "tenant": "lumen",
        "route": "/clients/:id",
        "nav": "navigate",
        "device": "mobile",
        "ect": "4g",
        "metrics": {
            "lcp": {"value": value, "attribution": {"target": "img#hero", "resourceLoadDelay": 12.5}},
            "cls": {"value": 0.02, "attribution": {"largestShiftTarget": "div#banner"}},
            "inp": {"value": 120.0, "attribution": {"interactionTarget": "button#save", "interactionType": "pointer"}},
        },
    }
    b.update(over)
    return b


def _hostile(kind: int) -> tuple[str, str, bytes, int]:
    """(name, origin, body, the status it must get)."""
    ok = json.dumps(beacon(HOSTILE_VALUE))
    cases = [
        ("oversize", ORIGIN, json.dumps(beacon(HOSTILE_VALUE, route="/" + "a" * 17_000)), 413),
        ("nan", ORIGIN, ok.replace(str(HOSTILE_VALUE), "NaN"), 400),
        ("negative", ORIGIN, ok.replace(str(HOSTILE_VALUE), "-5"), 400),
        ("unknown metric", ORIGIN, json.dumps(beacon(HOSTILE_VALUE, metrics={"lcpx": {"value": 1}})), 400),
        ("script in route", ORIGIN, json.dumps(beacon(HOSTILE_VALUE, route="/<script>alert(1)</script>")), 400),
        ("wrong key", ORIGIN, json.dumps(beacon(HOSTILE_VALUE, key="pk_nobody_0123456789")), 403),
        ("wrong origin", "http://evil.localhost:1", ok, 403),
    ]
    name, origin, body, status = cases[kind % len(cases)]
    return name, origin, body.encode(), status


class BeaconSender(FastHttpUser):
    wait_time = constant_throughput(float(os.environ.get("RUM_PER_USER", "5")))

    @task
    def send(self) -> None:
        k = next(requests)
        if k % HOSTILE_EVERY == HOSTILE_EVERY - 1:
            self._send_hostile(k // HOSTILE_EVERY)
            return
        n = next(numbers)
        body = json.dumps(beacon(n + 0.5)).encode()
        t0 = time.perf_counter()
        with self.client.post(
            "/rum", data=body, headers={"Origin": ORIGIN, "Content-Type": "text/plain"}, catch_response=True
        ) as r:
            tally["latency_ms"].append((time.perf_counter() - t0) * 1000)
            if 200 <= r.status_code < 300:
                tally["acked"].append(n)
                r.success()
            else:
                tally["refused"][str(r.status_code)] += 1
                r.failure(f"valid beacon refused: {r.status_code}")

    def _send_hostile(self, kind: int) -> None:
        name, origin, body, status = _hostile(kind)
        with self.client.post(
            "/rum", data=body, headers={"Origin": origin, "Content-Type": "text/plain"}, catch_response=True
        ) as r:
            tally["hostile"][f"{name}: {r.status_code}"] += 1
            if r.status_code == status:
                r.success()
            else:
                r.failure(f"{name}: {r.status_code}, expected {status}")


@events.quitting.add_listener
def _write_tally(environment: Any, **_: Any) -> None:
    out = os.environ.get("RUM_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump({**tally, "refused": dict(tally["refused"]), "hostile": dict(tally["hostile"])}, f)
