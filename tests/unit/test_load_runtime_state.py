"""bigday's Locust runtime keeps its state on each Locust Environment: two environments, two independent states.

The environments are built in one Locust process (two_locust_environments.py, as Locust's own runner tests
build theirs), in a child process because importing Locust monkey-patches the interpreter with gevent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HOST = "http://127.0.0.1:9"

SCRIPT = Path(__file__).with_name("two_locust_environments.py")


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    cwd = tmp_path_factory.mktemp("two-environments")
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not list(cwd.iterdir())  # no run folder: neither environment finalised results
    return json.loads(proc.stdout)


def test_each_environment_has_its_own_state(seen):
    assert seen["same_state"] is False and seen["states_found"] == [True, True]
    assert seen["second_attach"] == "this Locust environment already has a bigday run state"
    during = seen["during"]
    assert (during["a"]["kind"], during["b"]["kind"]) == ("saturday", "isolation")
    # A's test started: its phase clock runs; B's did not move.
    assert during["a"]["phase"] == seen["plans"]["saturday"]["first_stage"] and during["a"]["running"]
    assert during["b"]["phase"] == "init" and not during["b"]["running"]
    # Each request event reached only the book of the environment that fired it.
    assert (during["a"]["samples"], during["b"]["samples"]) == (2, 1)
    assert seen["after"]["a"] == {**during["a"], "running": False}
    assert seen["after"]["b"] == during["b"]
    assert seen["dispatchers"] == ["UsersDispatcher", "VictimPinnedDispatcher"]


def test_users_read_their_own_environment(seen):
    during, plans = seen["during"], seen["plans"]
    for who in ("planner_a",):
        user = during[who]
        assert user["think_s"] == plans["saturday"]["think_s"]
        assert user["timeouts"] == user["client_timeouts"] == [plans["saturday"]["timeout_s"]] * 2
        assert user["phase"] == plans["saturday"]["first_stage"]
    for who in ("planner_b", "victim_b"):
        user = during[who]
        assert user["think_s"] == [0.25, 0.5]
        # Set on the user before FastHttpUser built its client, and the client really got them.
        assert user["timeouts"] == user["client_timeouts"] == [7.0, 7.0]
        assert user["phase"] == "init"
    planner = during["planner_a"]
    # The first user of the Saturday mix takes its heaviest journey; its tenant follows that journey's rule.
    assert planner["kind"] == "photographer" and planner["tenant"] in seen["tenants_a"]
    assert planner["query"] == f"tenant={planner['tenant']}"
    assert planner["url"] == f"{HOST}/api/clients?offset=0&tenant={planner['tenant']}"
    # Only B's plan has an isolation section: its victim is the plan's tenant, paced at the plan's rate.
    victim = during["victim_b"]
    assert victim["tenant"] == plans["isolation"]["victim"] and victim["query"] == f"tenant={victim['tenant']}"
    assert victim["kind"] == "victim" and victim["rate"] == plans["isolation"]["rate"] == 5.0


def test_victim_count_goes_through_locusts_user_class_update(seen):
    # Locust's dispatcher reads fixed_count from the class: the one setting that cannot be per environment.
    assert seen["victim_fixed_count"] == seen["plans"]["isolation"]["victim_users"] == 4


CLOCK = """
import json, time
from bigday.load.runtime_state import RunState
state = RunState("isolation", running=True, t0=time.time() - 10.0)  # 10 s in; the warm-up ends at 5 s
state.clock_stop = 4.9
held = state.elapsed()
state.resume_clock()
print(json.dumps({"held": held, "after": state.elapsed(), "held_s": state.held_s, "stop": state.clock_stop}))
"""


def test_the_warm_up_hold_stops_the_clock_and_never_turns_it_back():
    proc = subprocess.run([sys.executable, "-c", CLOCK], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout)
    assert seen["held"] == 4.9  # held: the first window has not begun, whatever the wall clock says
    # Held for the 5.1 s between the clock's stop and now, plus however long this process took between the two
    # lines (tens of ms; half a second at a load of 17).
    assert seen["stop"] is None and 4.9 <= seen["after"] < 5.4 and 5.1 - 1e-6 <= seen["held_s"] < 5.6


REMEMBERED = """
import json
from locust import argument_parser as ap
builds = []
empty = ap.get_empty_argument_parser
ap.get_empty_argument_parser = lambda *a, **k: (builds.append(1), empty(*a, **k))[1]
fresh = ap.default_args_dict()
from bigday.load.locust_runtime import _remember_default_arguments
_remember_default_arguments()
_remember_default_arguments()  # a second bigday locustfile in the same process
before = len(builds)
answers = [ap.default_args_dict() for _ in range(80)]  # one spawn message asks once per option
answers[0]["host"] = "changed by a caller"
print(json.dumps({"same": all(a == fresh for a in answers[1:]), "builds": len(builds) - before,
                  "unchanged": ap.default_args_dict() == fresh}))
"""


def test_a_worker_builds_locusts_default_arguments_once_not_once_per_option_of_every_spawn_message():
    # Each build is Locust's whole argument parser; 80 per spawn message held a worker's event loop ~0.5 s.
    proc = subprocess.run([sys.executable, "-c", REMEMBERED], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout) == {"same": True, "builds": 1, "unchanged": True}
