"""Two Locust Environments in one process, each given bigday's runtime; prints what each one saw, as JSON.

Run by test_load_runtime_state.py in a child process: importing Locust monkey-patches the interpreter with
gevent, which the test process must not inherit.  Nothing is sent anywhere: users are built, not run, and
requests are fired as Locust's events.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from typing import Any

from locust import User
from locust.env import Environment
from locust.event import Events

from bigday.load.locust_runtime import attach
from bigday.load.plan import build_plan
from bigday.load.runtime_state import RunState, run_state
from bigday.load.users import AggressorUser, JourneyUser, VictimUser
from bigday.settings.scenario import load_scenario

HOST = "http://127.0.0.1:9"


class ScenarioUser(JourneyUser):
    """As the Saturday locustfile exposes the journeys."""


CLASSES: list[type[User]] = [ScenarioUser, VictimUser, AggressorUser]


def environment() -> Environment:
    # As Locust's main builds one, with events of its own rather than the process-wide locust.events.
    env = Environment(
        user_classes=list(CLASSES),
        events=Events(),
        host=HOST,
        parsed_options=argparse.Namespace(headless=True, i_have_permission=False),
        available_user_classes={c.__name__: c for c in CLASSES},  # type: ignore[misc]
        available_user_tasks={c.__name__: list(c.tasks) for c in CLASSES},
    )
    env.create_local_runner()
    return env


def user_view(user: JourneyUser) -> dict[str, Any]:
    pool_args = user.client.client.clientpool.client_args
    return {
        "tenant": user.tenant,
        "kind": user.user_kind,
        # The example scenario's tenancy: a query parameter added to every relative path.
        "query": user.client.tenant_query,
        "url": user.client._build_url("/api/clients?offset=0"),
        "think_s": list(user.think_s),
        "timeouts": [user.connection_timeout, user.network_timeout],
        # What the HTTP client was really built with: FastHttpUser reads the timeouts in its __init__.
        "client_timeouts": [pool_args["connection_timeout"], pool_args["network_timeout"]],
        "phase": user.context()["phase"],
        "rate": user.arrivals.rate if isinstance(user, VictimUser) else None,
    }


def state_view(state: RunState) -> dict[str, Any]:
    return {"kind": state.kind, "phase": state.phase, "samples": len(state.book), "running": state.running}


def main() -> None:
    scenario = load_scenario()
    saturday = build_plan(scenario, "saturday")
    isolation = build_plan(scenario, "isolation")
    assert isolation.isolation is not None
    # Values unlike the defaults and unlike the Saturday plan's, so each can only have come from this plan.
    iso = replace(isolation.isolation, victim_users=4, victim_rps_per_user=5.0)
    isolation = replace(isolation, think_time_s=(0.25, 0.5), request_timeout_s=7.0, isolation=iso)
    a, b = environment(), environment()
    state_a = attach(a, "saturday", saturday)
    state_b = attach(b, "isolation", isolation)
    for cls in CLASSES:
        cls.host = HOST  # as Locust's runner does for every class before it starts users

    try:
        attach(a, "saturday", saturday)
        second_attach = "accepted"
    except RuntimeError as e:
        second_attach = str(e)

    a.events.test_start.fire(environment=a)
    # Two requests through A's events, one through B's: each lands in its own environment's book only.
    for env, n in ((a, 2), (b, 1)):
        for _ in range(n):
            env.events.request.fire(
                request_type="GET",
                name="/dashboard",
                response_time=1.5,
                response_length=10,
                context={"tenant": "lumen", "user_kind": "planner", "phase": "baseline"},
                exception=None,
                start_time=time.time(),
            )
    during = {
        "a": state_view(run_state(a)),
        "b": state_view(run_state(b)),
        "planner_a": user_view(ScenarioUser(a)),
        "planner_b": user_view(ScenarioUser(b)),
        "victim_b": user_view(VictimUser(b)),
    }
    a.events.test_stop.fire(environment=a)
    print(
        json.dumps(
            {
                "same_state": state_a is state_b,
                "states_found": [run_state(a) is state_a, run_state(b) is state_b],
                "second_attach": second_attach,
                "plans": {
                    "saturday": {
                        "first_stage": saturday.stages[0].name,
                        "think_s": list(saturday.think_time_s),
                        "timeout_s": saturday.request_timeout_s,
                    },
                    "isolation": {
                        "victim": iso.victim,
                        "victim_users": iso.victim_users,
                        "rate": iso.victim_rps_per_user,
                    },
                },
                "tenants_a": sorted(t.tenant for t in saturday.tenants),
                "during": during,
                "after": {"a": state_view(run_state(a)), "b": state_view(run_state(b))},
                "dispatchers": [a.dispatcher_class.__name__, b.dispatcher_class.__name__],
                "victim_fixed_count": VictimUser.fixed_count,
            }
        )
    )


if __name__ == "__main__":
    main()
