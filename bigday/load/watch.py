"""Watching a rehearsal while it runs: its live status for a progress display, and a hook at the plateau.

Locust runs as a child process that rewrites ``load_status.json`` about once a second; the rehearsal runs in
a thread of its own while the calling thread reads that file, hands each new status to ``on_status`` and,
once the Saturday plateau has begun, runs ``during_plateau`` (the probe under load) in the calling thread,
so Playwright never leaves the thread that started it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bigday.load.rehearsal import LoadOptions, LoadRunResult, check_rehearsal, run_rehearsal
from bigday.load.verdict import plateau_phases
from bigday.runfolder import LoadStatus, RunFolder, SpikeVerdict, new_run_id, read_load_status
from bigday.settings import resolve
from bigday.settings.scenario import Scenario

T = TypeVar("T")
POLL_S = 0.5


@dataclass(frozen=True)
class Watched(Generic[T]):
    """A finished rehearsal and what ``during_plateau`` returned (None when the plateau never came)."""

    result: LoadRunResult
    during_plateau: T | None
    plateau: tuple[datetime, datetime] | None  # when the plateau ran, from the results


def plateau_window(result: LoadRunResult) -> tuple[datetime, datetime] | None:
    """Start and end of the plateau phases, from ``load_stats.json``."""
    st = result.stats
    if not st.phases or st.started_at is None:
        return None
    names = {name for v in st.verdicts if isinstance(v, SpikeVerdict) for name in v.plateau_phases}
    held = [p for p in st.phases if p.name in names]
    if not held:
        return None
    return st.started_at + timedelta(seconds=held[0].start_s), st.started_at + timedelta(seconds=held[-1].end_s)


def run_watched(
    scenario: Scenario,
    kind: str,
    base_url: str,
    options: LoadOptions,
    say: Callable[[str], None],
    embedded: bool,
    on_status: Callable[[LoadStatus], None],
    during_plateau: Callable[[], T] | None = None,
) -> Watched[T]:
    """Run a rehearsal, reporting its status; ``during_plateau`` runs once the plateau has begun."""
    plan = check_rehearsal(scenario, kind, base_url, options)
    plateau = set(plateau_phases(plan)) if during_plateau is not None else set()
    opts = replace(options, run_id=options.run_id or new_run_id("load"))
    folder = RunFolder((opts.results_dir or resolve.results_dir(None)) / str(opts.run_id))
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["result"] = run_rehearsal(scenario, kind, base_url, opts, say, embedded=embedded)
        except BaseException as e:  # handed to the calling thread, which raises it
            box["error"] = e

    thread = threading.Thread(target=work, name=f"bigday-{kind}", daemon=True)
    thread.start()
    seen: float | None = None
    hooked: T | None = None
    done = False
    while thread.is_alive():
        thread.join(POLL_S)
        status = read_load_status(folder)
        if status is None or status.t == seen:
            continue
        seen = status.t
        on_status(status)
        if during_plateau is not None and not done and status.phase in plateau:
            done = True
            hooked = during_plateau()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    result = box["result"]
    assert isinstance(result, LoadRunResult)
    return Watched(result, hooked, plateau_window(result))
