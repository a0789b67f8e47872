"""The Locust request hook's own cost: SampleBook.record_request per request, beside the raw arrays it replaced.

.venv/bin/python benchmarks/sample_book.py [--repeat 7] [--requests 300000]

record_request runs once for every request of a load rehearsal, in the generator's process. It used to append
every request to its key's arrays (memory growing with the run); it now keeps counts, an HDR histogram and a
bounded reservoir per key (Series.add). This times both over the same calls (30 keys, one request in 50
failed), alternating, and prints the median cost of a request in nanoseconds. The former keep-everything body
is kept here to compare against.
"""

from __future__ import annotations

import argparse
import statistics
import time
from array import array
from collections import Counter
from collections.abc import Callable

from bigday.load.samples import SampleBook


class RawSeries:
    """The former Series: every request's start, response time and outcome."""

    def __init__(self) -> None:
        self.t, self.rt, self.ok = array("d"), array("f"), bytearray()
        self.errors: Counter[str] = Counter()


_RAW: dict[tuple[str, str, str, str], RawSeries] = {}
_RAW_BY_REQUEST: dict[tuple[str, str, str, str, str], RawSeries] = {}

Call = tuple[str, str, str, str, str, float, float, str | None]


def former_inline(
    book: SampleBook,
    tenant: str,
    kind: str,
    method: str,
    name: str,
    phase: str,
    start: float,
    response_ms: float,
    error: str | None,
) -> None:
    raw = (tenant, kind, method, name, phase)
    s = _RAW_BY_REQUEST.get(raw)
    if s is None:
        key = (tenant, kind, f"{method} {name}", phase)
        s = _RAW.get(key)
        if s is None:
            s = _RAW[key] = RawSeries()
        _RAW_BY_REQUEST[raw] = s
    s.t.append(start)
    s.rt.append(response_ms)
    if error is None:
        s.ok.append(1)
    else:
        s.ok.append(0)
        s.errors[error] += 1


def per_request_ns(record: Callable[..., None], calls: list[Call]) -> float:
    book = SampleBook()
    _RAW.clear()
    _RAW_BY_REQUEST.clear()
    t0 = time.perf_counter()
    for call in calls:
        record(book, *call)
    return (time.perf_counter() - t0) / len(calls) * 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="repetitions per figure (the median is shown)")
    ap.add_argument("--requests", type=int, default=300_000, help="requests per repetition")
    args = ap.parse_args()
    keys = [(t, k, "GET", f"/api/{e}", "spike") for t in "abc" for k in ("photographer", "planner") for e in range(5)]
    calls: list[Call] = [
        (*keys[i % len(keys)], 1.0 + i, 12.5, None if i % 50 else "HTTP 503") for i in range(args.requests)
    ]
    times: dict[str, list[float]] = {"record_request": [], "former raw": []}
    for _ in range(args.repeat):
        times["record_request"].append(per_request_ns(SampleBook.record_request, calls))
        times["former raw"].append(per_request_ns(former_inline, calls))
    for label, values in times.items():
        spread = f"min {min(values):.1f}, max {max(values):.1f}"
        print(f"{label:15} {statistics.median(values):7.1f} ns a request ({spread})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
