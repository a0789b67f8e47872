"""The Saturday's people as Locust users (FastHttpUser): photographers, planners, couples, and the isolation pair.

Every request carries the user's tenant (``X-Tenant``) and is tagged with tenant, user kind and phase through
the request context, which is how per-tenant statistics survive Locust's aggregation.  Each user takes its
tenant, think time, timeouts and pacing from its environment's run state when it starts (see
bigday.load.runtime_state); the classes themselves are not rewritten per process.  Imported only inside
Locust processes.
"""

from __future__ import annotations

import random
import time
from typing import Any, ClassVar

import gevent
from locust import FastHttpUser, constant, task
from locust.env import Environment
from locust.runners import WorkerRunner

from bigday.load.dispatch import lower_priority_once
from bigday.load.photos import CONTENT_TYPE
from bigday.load.plan import IsolationPlan, LoadPlan
from bigday.load.runtime_state import UserSettings, run_state

SEARCH_TERMS = ("Hart", "Lee", "Smith", "Garcia", "Nguyen", "Okafor", "")
# How far a paced user may fall behind its schedule before it forgets the missed arrivals instead of
# sending them in a burst.
MAX_LAG_S = 1.0


class PoissonArrivals:
    """One user's Poisson arrivals at ``rate`` a second, on a schedule the latency cannot move.

    Each arrival is the previous *scheduled* arrival plus an exponential gap, so a slow response does not
    lower the request rate (an open model). Locust's ``constant_throughput`` is not used for the victim: its
    users run in lockstep (measured: ten users at 12/s each all started within ~1 ms of each other every
    period, whatever phase ``on_start`` gave them), so each sample carried the queueing behind the other
    nine: p50 4 ms where a request alone takes 0.8 ms. Random arrivals keep the samples about the server.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.next_due: float | None = None

    def wait(self) -> float:
        """Seconds to sleep until this user's next arrival."""
        now = time.perf_counter()
        due = max(now if self.next_due is None else self.next_due, now - MAX_LAG_S) + random.expovariate(self.rate)
        self.next_due = due
        return max(0.0, due - now)


class BigdayUser(FastHttpUser):
    """Base of bigday's users: a tenant per user, tagged requests, the scenario's think time."""

    abstract = True
    kind: ClassVar[str] = "-"

    def __init__(self, environment: Environment) -> None:
        self.rehearsal = run_state(environment)
        settings = self.rehearsal.user_settings()
        self.tenant = self.choose_tenant(settings)
        self.think_s = settings.think_s
        self.batch = settings.batch
        # The tenant travels as a default header of this user's client: set once, not merged per request.
        self.default_headers = {"X-Tenant": self.tenant}
        # FastHttpUser builds its client from these in __init__, so this user's own values must be set first.
        # A saturated app answers slowly rather than never; the plan's timeout (a minute by default) separates
        # slow from lost.
        self.connection_timeout = self.network_timeout = settings.request_timeout_s
        super().__init__(environment)
        self.upload_headers = {"Content-Type": CONTENT_TYPE}
        self._context = {"tenant": self.tenant, "user_kind": self.kind, "phase": self.rehearsal.phase}

    def choose_tenant(self, settings: UserSettings) -> str:
        picker = settings.pickers.get(self.kind)
        return picker.next() if picker else "-"

    def context(self) -> dict[str, Any]:
        # Locust copies this into each request's context, so one dict per user can be updated in place.
        self._context["phase"] = self.rehearsal.phase
        return self._context

    def wait_time(self) -> float:
        lo, hi = self.think_s
        return random.uniform(lo, hi)

    def upload_photo(self, **context: Any) -> tuple[int, float]:
        """Upload one photo from the pool: (HTTP status or 0 if the connection failed, Retry-After seconds)."""
        photo = random.choice(self.rehearsal.photos.pool())
        response = self.client.post(
            "/api/photos",
            data=photo.body,  # type: ignore[arg-type]  # FastHttpSession sends bytes as they are
            headers=self.upload_headers,
            name="/api/photos",
            context=context,
        )
        status = int(getattr(response, "status_code", 0) or 0)
        try:
            retry_after = float((getattr(response, "headers", None) or {}).get("retry-after") or 0)
        except ValueError:
            retry_after = 0.0
        return status, retry_after

    def open_page(self, page: str, api: str, api_name: str, **context: Any) -> None:
        """A page view: the document, then the API call its script makes."""
        self.client.get(page, name=page, context=context)
        # Yield before the follow-up call: with thousands of users per process, a user whose response just
        # arrived would otherwise send again ahead of every other user already waiting to run.
        gevent.sleep(0)
        self.client.get(api, name=api_name, context=context)

    def view_gallery(self, **context: Any) -> None:
        self.open_page("/photos/gallery", "/api/photos", "/api/photos", **context)


class PhotographerUser(BigdayUser):
    """Uploads batches of camera-sized photos from today's weddings, and checks the gallery."""

    kind = "photographer"

    @task(1)
    def upload_batch(self) -> None:
        for _ in range(random.randint(*self.batch)):
            # Like the app's uploader: a busy server (503 + Retry-After) or a failure ends the batch for now.
            if self.upload_photo()[0] != 201:
                break
            gevent.sleep(0)  # let other users' ready requests go between photos

    @task(3)
    def gallery(self) -> None:
        self.view_gallery()


class PlannerUser(BigdayUser):
    """Works the studio dashboard, searches clients and edits wedding-day timelines."""

    kind = "planner"

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/dashboard", name="/dashboard")

    @task(2)
    def clients(self) -> None:
        q = random.choice(SEARCH_TERMS)
        offset = random.randrange(0, 200, 50)
        self.open_page("/clients", f"/api/clients?offset={offset}&limit=50&q={q}", "/api/clients")

    @task(2)
    def timeline_edit(self) -> None:
        self.open_page("/timeline/edit", "/api/timeline", "/api/timeline")


class CoupleUser(BigdayUser):
    """Looks through their wedding gallery and the day's timeline."""

    kind = "couple"

    @task(3)
    def gallery(self) -> None:
        self.view_gallery()

    @task(1)
    def timeline(self) -> None:
        self.client.get("/api/timeline", name="/api/timeline")


class VictimUser(BigdayUser):
    """A small studio's steady traffic: page views and API reads at a fixed rate, whatever the latency.

    Reads only: the victim's own uploads would load its own worker pool and make its latency depend on its
    own queue, not on the aggressor's.  Poisson arrivals at a fixed mean rate keep the victim's request rate
    the same in every phase, and its requests independent of each other.
    """

    kind = "planner"
    # Locust's dispatcher reads this from the class; set_user_counts applies the plan's count to it.
    fixed_count = IsolationPlan.victim_users

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.arrivals = PoissonArrivals(self.rehearsal.user_settings().victim_rps_per_user)

    def choose_tenant(self, settings: UserSettings) -> str:
        return settings.victim

    def wait_time(self) -> float:
        return self.arrivals.wait()

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/dashboard", name="/dashboard")

    @task(2)
    def gallery(self) -> None:
        self.client.get("/api/photos", name="/api/photos", context={"user_kind": "couple"})

    @task(1)
    def timeline(self) -> None:
        self.client.get("/api/timeline", name="/api/timeline")

    @task(1)
    def clients(self) -> None:
        self.client.get("/api/clients?offset=0&limit=50", name="/api/clients")


class AggressorUser(BigdayUser):
    """The premium studio's spike: photographers uploading back to back, more of them than the app admits.

    Like the app's uploader, one turned away (503) waits the Retry-After the app asks for, with jitter so the
    rejected do not return in one synchronised burst.
    """

    kind = "photographer"
    wait_time = constant(0)

    def choose_tenant(self, settings: UserSettings) -> str:
        return settings.aggressor

    def on_start(self) -> None:
        runner = self.environment.runner
        if isinstance(runner, WorkerRunner) and not runner.user_classes_count.get(VictimUser.__name__):
            lower_priority_once(self.rehearsal)

    @task
    def upload(self) -> None:
        status, retry_after = self.upload_photo()
        if status == 503:
            gevent.sleep(max(retry_after, 0.5) * random.uniform(1.0, 1.5))


KIND_CLASSES: dict[str, type[BigdayUser]] = {
    "photographer": PhotographerUser,
    "planner": PlannerUser,
    "couple": CoupleUser,
}


def set_user_counts(environment: Environment, plan: LoadPlan) -> None:
    """Apply the plan's user mix and victim count to the classes Locust's dispatcher reads them from.

    Weights and fixed counts are the one part of a user's configuration that Locust reads from the class, not
    the instance: its dispatcher decides how many of each class to start before any exists. So they go
    through Locust's own way of changing them (``Environment.update_user_class``, behind ``--config-users``
    and the web UI's class picker), here and only here. Only the master (or a single local process)
    dispatches; workers start the counts it sends them.
    """
    mix = dict(plan.user_mix)
    for cls in environment.user_classes:
        change: dict[str, Any] = {"user_class_name": cls.__name__}
        if issubclass(cls, BigdayUser) and cls in KIND_CLASSES.values():
            # Locust wants whole-number weights; per-mille keeps the scenario's mix to three digits.
            change["weight"] = max(1, round(mix.get(cls.kind, 0.0) * 1000))
        elif cls is VictimUser and plan.isolation is not None:
            change["fixed_count"] = plan.isolation.victim_users
        else:
            continue
        environment.update_user_class(change)  # type: ignore[no-untyped-call]


def active_classes(environment: Environment, plan: LoadPlan) -> list[type[BigdayUser]]:
    """The scenario's user kinds with a positive weight, as the classes this locustfile exposes."""
    kinds = set(plan.user_kinds)
    return [
        c
        for c in environment.user_classes
        if issubclass(c, BigdayUser) and c.kind in kinds and c in KIND_CLASSES.values()
    ]
