"""The Locust request hook's own cost: SampleBook.record_request per request, beside the inline version it replaced.

.venv/bin/python benchmarks/sample_book.py [--repeat 7] [--requests 300000]

record_request runs once for every request of a load rehearsal, in the generator's process. It used to append
to the key's arrays itself; it now calls Series.add, so that one method says how a sample is kept. This times
both over the same calls (30 keys, one request in 50 failed), alternating, and prints the median cost of a
request in nanoseconds. The former inline body is kept here to compare against.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bigday.load.samples import SampleBook, Series

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
    s = book._by_request.get(raw)
    if s is None:
        key = (tenant, kind, f"{method} {name}", phase)
        s = book.series.get(key)
        if s is None:
            s = book.series[key] = Series()
        book._by_request[raw] = s
    s.t.append(start)
    s.rt.append(response_ms)
    if error is None:
        s.ok.append(1)
    else:
        s.ok.append(0)
        s.errors[error] += 1


def per_request_ns(record: Callable[..., None], calls: list[Call]) -> float:
    book = SampleBook()
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
    times: dict[str, list[float]] = {"record_request": [], "former inline": []}
    for _ in range(args.repeat):
        times["record_request"].append(per_request_ns(SampleBook.record_request, calls))
        times["former inline"].append(per_request_ns(former_inline, calls))
    for label, values in times.items():
        spread = f"min {min(values):.1f}, max {max(values):.1f}"
        print(f"{label:15} {statistics.median(values):7.1f} ns a request ({spread})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
