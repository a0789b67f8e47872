"""The adaptive isolation verdict against a multi-tenant app bigday did not write, whose isolation is known.

The app is this file's own (run as a process: ``python tests/integration/test_isolation_fidelity.py --mode M``):
a Starlette app on uvicorn where every request holds one worker of a bounded pool for a realistic service time.
Reads take about a millisecond of CPU to render and a lognormal database wait (median 8 ms); uploads read their
body, hash it and wait on storage (median 200 ms). In ``isolated`` mode each tenant has a pool of its own
(POOL workers), so tenants share only the event loop and the CPU; in ``shared`` mode one pool of twice that
serves everyone first come, first served. The victim's 120 reads a second keep about a third of its pool busy.
A knob (``--victim-delay-ms`` for ``--victim-delay-for`` seconds from its first request) slows the victim by a
network delay outside any pool, so that its first alone window differs from its second.

Bars: isolated is never FAIL (PASS as a rule), shared is FAIL, a victim whose alone windows differ by more than
the tolerance is INCONCLUSIVE with that reason. ``benchmarks/isolation_fidelity.py`` repeats the first two 20
and 10 times for the confusion table. Run with -s to see the verdicts.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

APP = Path(__file__).resolve()
VICTIM, AGGRESSOR = "lumen", "everafter"
POOL = 4  # workers per tenant (isolated); the shared pool has 2 x POOL
ADMISSION = 16  # requests a tenant may have queued or running; beyond it, 503 + Retry-After
READ_DB_MEDIAN_MS, READ_DB_SIGMA = 8.0, 0.6
# A shared pool of 8 is saturated by 40 uploads a second at 200 ms each: a harm the check must see even when a
# busy machine slows the generator's aggressor (at 50 ms it took 160 a second, and a loaded generator fell short).
UPLOAD_STORAGE_MEDIAN_MS, UPLOAD_STORAGE_SIGMA = 200.0, 0.3


# ---------------------------------------------------------------- the app (its own process)


class Pools:
    """Bounded worker pools: one per tenant, or one for all; a per-tenant admission bound in front."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.pools: dict[str, asyncio.Semaphore] = {}
        self.shared = asyncio.Semaphore(2 * POOL)
        self.admitted: dict[str, int] = {}

    def pool(self, tenant: str) -> asyncio.Semaphore:
        if self.mode == "shared":
            return self.shared
        if tenant not in self.pools:
            self.pools[tenant] = asyncio.Semaphore(POOL)  # asyncio wakes its waiters first come, first served
        return self.pools[tenant]


def _render(rows: int = 120) -> bytes:
    """About a millisecond of CPU: the JSON a list page would render."""
    data = [
        {"id": i, "name": f"client {i}", "wedding": f"2027-06-{1 + i % 28:02d}", "score": i * 0.37} for i in range(rows)
    ]
    return json.dumps({"items": data}).encode()


def build_app(mode: str, victim_delay_ms: float, victim_delay_for_s: float) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    pools = Pools(mode)
    first_victim: list[float] = []

    async def handle(request: Request) -> Response:
        # The scenario's tenancy ({by: query, name: tenant}); a header for a hand-driven request.
        tenant = request.query_params.get("tenant") or request.headers.get("x-tenant", "-")
        if tenant == VICTIM and victim_delay_ms > 0:
            now = time.monotonic()
            first_victim[:] = first_victim or [now]
            if now - first_victim[0] < victim_delay_for_s:
                await asyncio.sleep(random.lognormvariate(0, 0.3) * victim_delay_ms / 1000)
        if pools.admitted.get(tenant, 0) >= ADMISSION:
            return Response(b"busy", status_code=503, headers={"Retry-After": "1"})
        pools.admitted[tenant] = pools.admitted.get(tenant, 0) + 1
        try:
            body = await request.body() if request.method == "POST" else b""
            async with pools.pool(tenant):
                if request.method == "POST":
                    digest = hashlib.sha256(body).hexdigest()
                    await asyncio.sleep(
                        random.lognormvariate(0, UPLOAD_STORAGE_SIGMA) * UPLOAD_STORAGE_MEDIAN_MS / 1000
                    )
                    return Response(json.dumps({"sha256": digest}).encode(), status_code=201)
                await asyncio.sleep(random.lognormvariate(0, READ_DB_SIGMA) * READ_DB_MEDIAN_MS / 1000)
                return Response(_render(), media_type="application/json")
        finally:
            pools.admitted[tenant] -= 1

    paths = ("/dashboard", "/api/photos", "/api/timeline", "/api/clients", "/healthz")
    return Starlette(routes=[Route(p, handle, methods=["GET", "POST"]) for p in paths])


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser(description="a multi-tenant test app with bounded worker pools")
    ap.add_argument("--mode", choices=("isolated", "shared"), required=True)
    ap.add_argument("--victim-delay-ms", type=float, default=0.0)
    ap.add_argument("--victim-delay-for", type=float, default=0.0, metavar="SECONDS")
    args = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"serving http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    app = build_app(args.mode, args.victim_delay_ms, args.victim_delay_for)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


# ---------------------------------------------------------------- starting it, and judging it with bigday


@contextmanager
def serving(mode: str, *knobs: str) -> Iterator[str]:
    """The app in ``mode`` in a process of its own; yields its base URL and stops it (by PID) afterwards."""
    proc = subprocess.Popen(
        [sys.executable, str(APP), "--mode", mode, *knobs], stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("serving "), f"the test app did not start: {line!r}"
        url = line.split()[1]
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


# Light photos (the app hashes them; megabytes would only load the generator); windows of 5 s, at most 40 s.
def overrides(**extra: Any) -> Any:
    from bigday.load.plan import PlanOverrides

    chosen: dict[str, Any] = {"phase": "5s", "max_phase_time": "40s", "min_effect": "5ms", **extra}
    return PlanOverrides(adaptive=True, photo_sizes_kb=(150, 300), **chosen)


def judge(url: str, results: Path, **extra: Any) -> tuple[dict[str, Any], float]:
    """One adaptive `bigday load isolation` run against ``url``; its verdict as JSON, and its wall seconds."""
    from bigday.load.rehearsal import LoadOptions, run_isolation_check
    from bigday.settings.scenario import load_scenario

    t0 = time.monotonic()
    result = run_isolation_check(load_scenario(), url, LoadOptions(overrides=overrides(**extra), results_dir=results))
    return result.verdicts[0].to_json(), time.monotonic() - t0


def _f(x: float | None, spec: str) -> str:
    return "?" if x is None else format(x, spec)


def summary(v: dict[str, Any]) -> str:
    """One line of a verdict; figures a run could not measure (a window without samples) read "?"."""
    r, d, n = v["p95_ratio"], v["p95_increase_ms"], v["noise"]["ratio"] if v["noise"] else {}
    look = v["looks"][-1]["index"] if v["looks"] else "?"
    return (
        f"{v['status'].upper():<12} look {look}/{v['rule']['planned_looks']} "
        f"p95 {_f(v['alone']['p95'], '.1f')} -> {_f(v['spike']['p95'], '.1f')} ms, ratio {_f(r['estimate'], '.2f')}x "
        f"[{_f(r['low'], '.2f')}, {_f(r['high'], '.2f')}], rise {_f(d['estimate'], '+.1f')} [{_f(d['low'], '+.1f')}, "
        f"{_f(d['high'], '+.1f')}] ms, noise {n.get('estimate')}x [{n.get('low')}, {n.get('high')}], "
        f"n {v['alone']['n']}/{v['spike']['n']}, caveats {v['caveats']}: {v['reason']}"
    )


pytestmark = [pytest.mark.load, pytest.mark.slow, pytest.mark.serial]


def test_isolated_pools_are_not_failed_and_a_shared_pool_is(tmp_path):
    started = time.monotonic()
    verdicts = {}
    for mode in ("shared", "isolated"):
        with serving(mode) as url:
            verdicts[mode], seconds = judge(url, tmp_path)
        print(f"\n{mode} ({seconds:.0f} s): {summary(verdicts[mode])}")
    shared, isolated = verdicts["shared"], verdicts["isolated"]
    assert shared["status"] == "fail", summary(shared)
    assert shared["p95_ratio"]["low"] > shared["tolerance"] and shared["p95_increase_ms"]["low"] > 5.0
    assert shared["looks"][-1]["stopped"] and shared["aggressor_requests_in_spike"] > 0
    assert isolated["status"] != "fail", summary(isolated)
    assert isolated["noise"] is not None and isolated["rule"]["method"] == "bonferroni"
    # Two runs decided at their first or second look: about a minute on a quiet machine, 110 s at a load of 10.
    assert time.monotonic() - started < 150, f"took {time.monotonic() - started:.0f} s"


def test_a_victim_whose_alone_windows_differ_is_inconclusive(tmp_path):
    # +100 ms on every victim request for its first 11 s: the 5 s warm-up and all of alone-1, none of alone-2's
    # judged part (from 1.5 s into it), even if the warm-up is held up to 4 s for the generator; 100 ms stands
    # out of the victim's p95 even on a loaded machine (40 ms did not at a load average of 10).
    with serving("isolated", "--victim-delay-ms", "100", "--victim-delay-for", "11") as url:
        v, seconds = judge(url, tmp_path)
    print(f"\nnoisy victim ({seconds:.0f} s): {summary(v)}")
    noise = v["noise"]
    assert noise["first"] == "alone-1" and noise["second"] == "alone-2" and noise["beyond_tolerance"], summary(v)
    assert noise["ratio"]["high"] < 1 / v["tolerance"]
    assert v["status"] == "inconclusive" and "tighter than the victim's noise" in v["reason"], summary(v)
    assert v["looks"][-1]["index"] == 1 and v["looks"][-1]["stopped"]  # more windows cannot change the noise
    assert v["extra_phase_time_s"] is None


if __name__ == "__main__":
    main()
