"""The adaptive isolation check's looks, judged on the Locust master (or the single local process) during the run.

After each alone window that follows a spike window the verdict is judged on every window so far
(bigday.load.isolation.assess), but only once all their samples have arrived: workers ship samples with their
reports every ~3 s, and a window's last victim requests may still be in flight when it ends.  Each process
counts the victim requests it has started and not yet recorded, per window, and sends those counts with the
samples they go with; a look waits until every worker has moved past its windows with none of their requests
in flight.  A look that settles the verdict stops the run: the shape ends at its next tick, and the run's
verdict is that look's (bigday.load.isolation.judge_isolation).  Imported only inside Locust processes.
"""

from __future__ import annotations

import logging
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import STATE_MISSING, MasterRunner

from bigday.load.isolation import assess
from bigday.load.runtime_state import RunState, run_state
from bigday.load.windows import LookWindows, look_windows

log = logging.getLogger("bigday.load")
POLL_S = 0.25


def _planned_end(state: RunState, window: str) -> float:
    """Seconds into the run at which ``window`` is planned to end."""
    end = 0.0
    for stage in state.require_plan().stages:
        end += stage.duration_s
        if stage.name == window:
            return end
    raise KeyError(window)


def _reports(environment: Environment, state: RunState) -> list[dict[str, Any] | None]:
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        return [state.progress.get(w.id) for w in runner.clients.values() if w.state != STATE_MISSING]
    return [state.progress_report()]  # a single local process records its samples as they come


def windows_arrived(environment: Environment, state: RunState, look: LookWindows) -> bool:
    """Has every process moved past the look's windows, with none of their victim requests still in flight?"""
    if state.elapsed() < _planned_end(state, look.due_after):
        return False
    order = {s.name: i for i, s in enumerate(state.require_plan().stages)}
    last = order[look.due_after]
    for report in _reports(environment, state):
        if report is None or order.get(str(report.get("phase")), -1) <= last:
            return False
        in_flight = report.get("in_flight") or {}
        if any(in_flight.get(w) for w in look.windows):
            return False
    return True


def adjudicate(environment: Environment) -> None:
    """Judge each planned look once its samples have arrived; stop the run at the first one that settles."""
    state = run_state(environment)
    iso = state.require_plan().isolation
    if iso is None or not iso.adaptive:
        return
    for look in look_windows(iso):
        while not windows_arrived(environment, state, look):
            gevent.sleep(POLL_S)
        a = assess(state.book, iso, {p.name: p for p in state.phases}, look)
        state.looks.append(a.as_look(state.seconds_in(), stopped=a.settled))
        log.warning(
            "bigday: isolation look %d of %d at %.0fs: %s (p95 %.3fx [%s, %s])",
            look.index,
            iso.planned_looks,
            state.seconds_in(),
            a.status.upper(),
            a.p95_ratio.estimate,
            a.p95_ratio.low,
            a.p95_ratio.high,
        )
        if a.settled:
            state.decided = True
            state.stop_reason = f"isolation decided at look {look.index} of {iso.planned_looks}: {a.status.upper()}"
            return
