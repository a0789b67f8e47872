"""Keeping the isolation check's victim and aggressor apart on the generator side.

On one machine the aggressor's users (sending megabytes back to back) and the victim's users (timing small
requests) would share a Locust process and its event loop, so the victim's clock would also measure the
generator.  With two or more Locust processes this dispatcher puts every victim on the first worker and every
other user on the rest, and an aggressor-only process lowers its own CPU priority: in production those
uploads come from other machines, so their client-side cost must not be charged to the app under test. The
victims' process raises its own where the OS lets it (root or CAP_SYS_NICE), so the spike's CPU work on a
machine that also runs the app does not land on the victim's clock.
Imported only inside Locust processes.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

from locust import User
from locust.dispatch import UsersDispatcher
from locust.runners import WorkerNode

from bigday.load.runtime_state import RunState

VICTIM_CLASS = "VictimUser"
# The niceness the target's own load check gives its flood generator.
AGGRESSOR_NICE = 10
# The victims' process asks for this where it may (root, or CAP_SYS_NICE): on a machine that also runs the app,
# the spike's own CPU work (the app parsing uploads, the aggressors' process) must not land on the victim's clock.
# Measured with fair pools on this 2-core machine (3 runs each, interleaved): at nice 0 the victims' event-loop
# lag beside the spike rose to 2.8 and 6.9 ms from 1.4 and 2.7 alone (the second run starved, untrustworthy);
# at -5 it stayed at its alone level (1.4 / 1.5, 2.1 / 2.2, 2.1 / 2.3 ms) in all three.
VICTIM_NICE = -5


class VictimPinnedDispatcher(UsersDispatcher):
    """Locust's dispatcher, except that victims go to the first worker and everyone else to the others."""

    def __init__(self, worker_nodes: list[WorkerNode], user_classes: list[type[User]]) -> None:
        super().__init__(worker_nodes, user_classes)
        self._others_ids: list[str] = []
        self._others: Iterator[WorkerNode] = iter(())

    def _pick_worker(self, user: str) -> WorkerNode:
        workers = self._worker_nodes
        if len(workers) == 1 or user == VICTIM_CLASS:
            return workers[0]
        if self._others_ids != [w.id for w in workers[1:]]:  # workers joined or left: cycle over the new set
            self._others_ids = [w.id for w in workers[1:]]
            self._others = itertools.cycle(workers[1:])
        return next(self._others)

    def _add_users_on_workers(self) -> dict[str, dict[str, int]]:
        # As UsersDispatcher._add_users_on_workers, with the worker chosen by the user's class.
        target = min(self._current_user_count + self._user_count_per_dispatch_iteration, self._target_user_count)
        for user in self._user_generator:
            if not user:
                self._no_user_to_spawn = True
                break
            worker_node = self._pick_worker(user)
            self._users_on_workers[worker_node.id][user] += 1
            self._current_user_count += 1
            self._active_users.append((worker_node, user))
            if self._current_user_count >= target:
                break
        return self._users_on_workers


def lower_priority_once(state: RunState) -> None:
    """Renice this process (once) when it runs only aggressors; a process that also times victims never is."""
    if state.niced:
        return
    state.niced = True
    try:
        os.nice(AGGRESSOR_NICE)
    except OSError:
        pass  # not permitted here: the run goes on at normal priority


def raise_priority_once(state: RunState) -> None:
    """Raise this process's priority (once) when it times the victims, where the OS permits; else leave it."""
    if state.niced:
        return
    state.niced = True
    try:
        os.setpriority(os.PRIO_PROCESS, 0, VICTIM_NICE)
    except OSError:
        pass  # not permitted: the lag caveat still says when the victim's clock was starved
