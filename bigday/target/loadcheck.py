"""A small, bounded loopback check of tenant isolation: one tenant floods uploads while another is timed.

The victim sends steady light requests for the whole check; the aggressor's flood is switched on and off
on a shared clock (alone, load, alone, load, alone), so slow drifts in the machine's own load fall on both
sides of the comparison instead of on one; each load window is compared with the alone windows around it
and the verdict takes the median of those ratios, so a burst of other work moves one ratio, not the verdict.
The flood runs in its own process as background work (SCHED_IDLE), standing in for clients on other
machines: it never shares a GIL or a core's priority with the victim's timer.
``python -m bigday.target.loadcheck URL TENANT PHOTO CONCURRENCY T0 WINDOWS`` runs one flood and prints JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bigday.stats import median, quantile
from bigday.target.helpers import lower_priority
from bigday.target.images import draw_photo, encode

GENERATOR_NICE = 10
MAX_CHECK_S = 300.0


def _check_loopback(base_url: str) -> None:
    host = urlsplit(base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load checks only run against loopback, not {base_url!r}")


def sample_photo(size: tuple[int, int] = (2400, 1600), quality: int = 85) -> bytes:
    """A real JPEG whose decode and thumbnail cost real worker time while its bytes stay modest."""
    return encode(draw_photo(size, seed=7, noise=3), "JPEG", quality)


@dataclass(frozen=True)
class Phase:
    """A stretch of the check, in seconds from its start: the victim alone, or under the flood."""

    kind: str  # "alone" | "load"
    start: float
    end: float


def interleaved_schedule(load_s: float = 20.0, windows: int = 2, alone_s: float = 3.0) -> tuple[Phase, ...]:
    """alone, load, alone, ..., load, alone: ``windows`` load windows sharing ``load_s`` seconds."""
    phases, t = [], 0.0
    each = load_s / windows
    for _ in range(windows):
        phases.append(Phase("alone", t, t + alone_s))
        t += alone_s
        phases.append(Phase("load", t, t + each))
        t += each
    phases.append(Phase("alone", t, t + alone_s))
    return tuple(phases)


@dataclass(frozen=True)
class FloodStats:
    """What the aggressor sent and got back."""

    sent: int
    created: int
    rejected_503: int
    other_errors: int


async def _flood(
    base_url: str, tenant: str, photo: bytes, concurrency: int, t0: float, windows: list[tuple[float, float]]
) -> FloodStats:
    counts = {"sent": 0, "created": 0, "503": 0, "other": 0}
    rng = random.Random(0)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as client:

        async def user() -> None:
            for start, end in windows:
                wait = t0 + start - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                while time.monotonic() < t0 + end:
                    counts["sent"] += 1
                    try:
                        r = await client.post(
                            "/api/photos",
                            headers={"X-Tenant": tenant},
                            files={"file": ("photo.jpg", photo, "image/jpeg")},
                        )
                    except httpx.HTTPError:
                        counts["other"] += 1
                        continue
                    if r.status_code == 201:
                        counts["created"] += 1
                    elif r.status_code == 503:
                        counts["503"] += 1
                        # A polite client honours Retry-After, with jitter so rejected clients do not
                        # come back in one synchronised burst; it stays within its window.
                        pause = float(r.headers.get("retry-after", "1")) * rng.uniform(1.0, 1.5)
                        await asyncio.sleep(min(pause, max(0.0, t0 + end - time.monotonic())))
                    else:
                        counts["other"] += 1

        await asyncio.gather(*(user() for _ in range(concurrency)))
    return FloodStats(counts["sent"], counts["created"], counts["503"], counts["other"])


class UploadFlood:
    """An upload flood from one tenant in a child process, on during the given windows of a shared clock."""

    def __init__(
        self, base_url: str, tenant: str, photo: bytes, concurrency: int, t0: float, windows: list[tuple[float, float]]
    ) -> None:
        _check_loopback(base_url)
        if not windows or windows[-1][1] > MAX_CHECK_S:
            raise ValueError(f"a flood needs windows that end within {MAX_CHECK_S:g} s")
        self._args = [base_url, tenant, "", str(concurrency), repr(t0), ",".join(f"{a}-{b}" for a, b in windows)]
        self._photo = photo
        self._proc: subprocess.Popen[str] | None = None
        self._photo_path: Path | None = None
        self._timeout = windows[-1][1] + 60

    def start(self) -> None:
        fd, name = tempfile.mkstemp(prefix="bigday-flood-", suffix=".jpg")
        with os.fdopen(fd, "wb") as f:
            f.write(self._photo)
        self._photo_path = Path(name)
        self._args[2] = name
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bigday.target.loadcheck", *self._args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def join(self) -> FloodStats:
        assert self._proc is not None and self._photo_path is not None
        try:
            out, err = self._proc.communicate(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()
            raise RuntimeError("the upload flood did not stop in time") from None
        finally:
            self._photo_path.unlink(missing_ok=True)
        if self._proc.returncode != 0:
            raise RuntimeError(f"the upload flood failed ({self._proc.returncode}): {err.strip()[-500:]}")
        return FloodStats(**json.loads(out))

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
        if self._photo_path is not None:
            self._photo_path.unlink(missing_ok=True)


@dataclass(frozen=True)
class IsolationMeasurement:
    """The victim's latencies alone and under the aggressor's flood (per phase), and what the flood did."""

    phases: tuple[Phase, ...]
    samples_ms: tuple[tuple[float, ...], ...]  # the victim's successful latencies, one tuple per phase
    victim_errors_alone: int
    victim_errors_load: int
    flood: FloodStats

    def _of(self, kind: str) -> list[float]:
        return [ms for p, xs in zip(self.phases, self.samples_ms, strict=True) if p.kind == kind for ms in xs]

    @property
    def alone_ms(self) -> list[float]:
        return self._of("alone")

    @property
    def load_ms(self) -> list[float]:
        return self._of("load")

    @property
    def alone_p95(self) -> float:
        return quantile(self.alone_ms, 0.95)

    @property
    def load_p95(self) -> float:
        return quantile(self.load_ms, 0.95)

    @property
    def pooled_ratio(self) -> float:
        """p95 of every sample under load over p95 of every sample alone."""
        return self.load_p95 / self.alone_p95

    @property
    def cycle_ratios(self) -> list[float]:
        """Per load window: its p95 over the p95 of the alone windows on either side of it."""
        out = []
        for i, phase in enumerate(self.phases):
            if phase.kind != "load":
                continue
            around = [
                ms
                for j in (i - 1, i + 1)
                if 0 <= j < len(self.phases) and self.phases[j].kind == "alone"
                for ms in self.samples_ms[j]
            ]
            if len(self.samples_ms[i]) >= 20 and len(around) >= 20:
                out.append(quantile(self.samples_ms[i], 0.95) / quantile(around, 0.95))
        return out

    @property
    def ratio(self) -> float:
        """The verdict's figure: the median of the per-window ratios.

        Each load window is compared with the alone windows right around it, so a burst of other work on the
        machine moves one or two window ratios, not the median; with one window this is the pooled ratio.
        When no load window holds 20 victim samples (the flood held the victim's requests for seconds each, as a
        shared pool does on a slow machine), the figure is the pooled ratio of the samples there are.
        """
        ratios = self.cycle_ratios
        return median(ratios) if ratios else self.pooled_ratio

    def describe(self) -> str:
        first = [ms for ms in self.samples_ms[0]]
        return (
            f"victim p95 ratio {self.ratio:.2f} (median of {len(self.cycle_ratios)} windows: "
            f"{', '.join(f'{r:.2f}' for r in self.cycle_ratios)}; pooled {self.pooled_ratio:.2f}); "
            f"victim p95 alone {self.alone_p95:.2f} ms (n={len(self.alone_ms)}; before any load "
            f"{quantile(first, 0.95):.2f} ms), under load {self.load_p95:.2f} ms (n={len(self.load_ms)}); victim p50 "
            f"{median(self.alone_ms):.2f} -> {median(self.load_ms):.2f} ms; victim errors "
            f"{self.victim_errors_alone}+{self.victim_errors_load}; aggressor sent {self.flood.sent}, created "
            f"{self.flood.created}, 503 {self.flood.rejected_503}, other errors {self.flood.other_errors}"
        )


def measure_isolation(
    base_url: str,
    victim: str,
    aggressor: str,
    photo: bytes,
    concurrency: int = 32,
    schedule: tuple[Phase, ...] | None = None,
    path: str = "/api/clients?limit=50",
    guard_alone_s: float = 0.75,
    guard_load_s: float = 0.25,
    pause_s: float = 0.005,
) -> IsolationMeasurement:
    """Time the victim's requests through ``schedule`` while the aggressor floods during its load phases.

    Samples near a phase's start are left out (``guard_alone_s``: the flood's last admitted uploads still
    draining; ``guard_load_s``: the flood ramping up), as are samples that straddle two phases.
    """
    _check_loopback(base_url)
    phases = schedule or interleaved_schedule()
    windows = [(p.start, p.end) for p in phases if p.kind == "load"]
    end = phases[-1].end
    samples: list[tuple[float, float, float, bool]] = []
    with httpx.Client(base_url=base_url, headers={"X-Tenant": victim}, timeout=30.0) as client:
        client.get(path).raise_for_status()  # warm the connection and the victim's pool
        t0 = time.monotonic() + 1.0  # time for the flood process to start
        flood = UploadFlood(base_url, aggressor, photo, concurrency, t0, windows)
        flood.start()
        try:
            while time.monotonic() < t0:
                time.sleep(0.01)
            while (now := time.monotonic()) < t0 + end:
                t_start = time.perf_counter()
                try:
                    ok = client.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                ms = (time.perf_counter() - t_start) * 1000
                samples.append((now - t0, time.monotonic() - t0, ms, ok))
                time.sleep(pause_s)
            stats = flood.join()
        finally:
            flood.stop()
    per_phase: list[list[float]] = [[] for _ in phases]
    errors = {"alone": 0, "load": 0}
    for begin, finish, ms, ok in samples:
        for i, p in enumerate(phases):
            guard = guard_load_s if p.kind == "load" else guard_alone_s
            if p.start + guard <= begin and finish <= p.end:
                if ok:
                    per_phase[i].append(ms)
                else:
                    errors[p.kind] += 1
                break
    return IsolationMeasurement(phases, tuple(tuple(xs) for xs in per_phase), errors["alone"], errors["load"], stats)


def main(argv: list[str]) -> int:
    base_url, tenant, photo_path, concurrency, t0, windows = argv
    _check_loopback(base_url)
    lower_priority(GENERATOR_NICE)
    spans = [tuple(float(x) for x in w.split("-")) for w in windows.split(",")]
    spans = [(a, min(b, MAX_CHECK_S)) for a, b in spans]  # bounded whatever the caller asks
    stats = asyncio.run(_flood(base_url, tenant, Path(photo_path).read_bytes(), int(concurrency), float(t0), spans))  # type: ignore[arg-type]
    print(json.dumps(asdict(stats)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
