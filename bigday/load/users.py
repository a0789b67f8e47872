"""The Saturday's people as Locust users (FastHttpUser): photographers, planners, couples, and the isolation pair.

Every request carries the user's tenant (``X-Tenant``) and is tagged with tenant, user kind and phase through
the request context, which is how per-tenant statistics survive Locust's aggregation.  Imported only inside
Locust processes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, ClassVar

import gevent
from locust import FastHttpUser, constant, task
from locust.env import Environment
from locust.runners import WorkerRunner

from bigday.load.dispatch import lower_priority_once
from bigday.load.locust_runtime import STATE
from bigday.load.photos import CONTENT_TYPE, PhotoBody, photo_pool
from bigday.load.plan import LoadPlan

SEARCH_TERMS = ("Hart", "Lee", "Smith", "Garcia", "Nguyen", "Okafor", "")
# How far a paced user may fall behind its schedule before it forgets the missed arrivals instead of
# sending them in a burst.
MAX_LAG_S = 1.0


def poisson_arrivals(rate: float) -> Callable[[Any], float]:
    """A wait_time giving a user Poisson arrivals at ``rate`` a second, on a schedule the latency cannot move.

    Each arrival is the previous *scheduled* arrival plus an exponential gap, so a slow response does not
    lower the request rate (an open model). Locust's ``constant_throughput`` is not used for the victim: its
    users run in lockstep (measured: ten users at 12/s each all started within ~1 ms of each other every
    period, whatever phase ``on_start`` gave them), so each sample carried the queueing behind the other
    nine: p50 4 ms where a request alone takes 0.8 ms. Random arrivals keep the samples about the server.
    """

    def wait(user: Any) -> float:
        now = time.perf_counter()
        due = max(getattr(user, "_bigday_next", now), now - MAX_LAG_S) + random.expovariate(rate)
        user._bigday_next = due
        return max(0.0, due - now)

    return wait


class TenantPicker:
    """Smooth weighted round-robin: tenants in exact proportion to their weights, evenly interleaved."""

    def __init__(self, weights: list[tuple[str, float]]) -> None:
        self.weights = [(t, w) for t, w in weights if w > 0] or [(t, 1.0) for t, _ in weights]
        self.total = sum(w for _, w in self.weights)
        self.current = {t: 0.0 for t, _ in self.weights}

    def next(self) -> str:
        for t, w in self.weights:
            self.current[t] += w
        chosen = max(self.current, key=self.current.__getitem__)
        self.current[chosen] -= self.total
        return chosen


class _Config:
    """What the user classes read from the plan; filled in per process by :func:`configure_user_classes`."""

    think: tuple[float, float] = (1.0, 5.0)
    batch: tuple[int, int] = (2, 5)
    pickers: ClassVar[dict[str, TenantPicker]] = {}
    pool_key: tuple[int, ...] = ()
    pool_job: Any = None  # gevent AsyncResult of the pool being built on a native thread
    victim: str = ""
    aggressor: str = ""

    @property
    def pool(self) -> tuple[PhotoBody, ...]:
        if self.pool_job is None:
            # First upload in this process: build the pool on a native thread (encoding a few megapixels takes
            # seconds on a busy machine; on the event loop it would stall a worker's heartbeats until the
            # master declared it missing). Processes that never upload never pay for it.
            self.pool_job = gevent.get_hub().threadpool.spawn(photo_pool, self.pool_key)
        result: tuple[PhotoBody, ...] = self.pool_job.get()
        return result


CONFIG = _Config()


class BigdayUser(FastHttpUser):
    """Base of bigday's users: a tenant per user, tagged requests, the scenario's think time."""

    abstract = True
    kind: ClassVar[str] = "-"
    # A saturated app answers slowly rather than never; a minute separates slow from lost.
    connection_timeout = 60.0
    network_timeout = 60.0

    def __init__(self, environment: Environment) -> None:
        self.tenant = self.choose_tenant()
        # The tenant travels as a default header of this user's client: set once, not merged per request.
        self.default_headers = {"X-Tenant": self.tenant}
        super().__init__(environment)
        self.upload_headers = {"Content-Type": CONTENT_TYPE}
        self._context = {"tenant": self.tenant, "user_kind": self.kind, "phase": STATE.phase}

    def choose_tenant(self) -> str:
        picker = CONFIG.pickers.get(self.kind)
        return picker.next() if picker else "-"

    def context(self) -> dict[str, Any]:
        # Locust copies this into each request's context, so one dict per user can be updated in place.
        self._context["phase"] = STATE.phase
        return self._context

    def wait_time(self) -> float:
        lo, hi = CONFIG.think
        return random.uniform(lo, hi)

    def upload_photo(self, **context: Any) -> tuple[int, float]:
        """Upload one photo from the pool: (HTTP status or 0 if the connection failed, Retry-After seconds)."""
        photo = random.choice(CONFIG.pool)
        response = self.client.post(
            "/api/photos",
            data=photo.body,
            headers=self.upload_headers,  # type: ignore[arg-type]
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
        for _ in range(random.randint(*CONFIG.batch)):
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
    fixed_count = 10
    wait_time = poisson_arrivals(12.0)  # type: ignore[assignment]

    def choose_tenant(self) -> str:
        return CONFIG.victim

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
    wait_time = constant(0)  # type: ignore[assignment]

    def choose_tenant(self) -> str:
        return CONFIG.aggressor

    def on_start(self) -> None:
        runner = self.environment.runner
        if isinstance(runner, WorkerRunner) and not runner.user_classes_count.get(VictimUser.__name__):
            lower_priority_once()

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


def configure_user_classes(environment: Environment, plan: LoadPlan) -> None:
    """Apply a plan to the user classes of this process (weights, tenants, think time, timeouts, pacing)."""
    CONFIG.think = plan.think_time_s
    CONFIG.batch = plan.batch_size
    CONFIG.pickers.clear()
    for kind in KIND_CLASSES:
        CONFIG.pickers[kind] = TenantPicker([(t.tenant, t.weight(kind)) for t in plan.tenants])
    mix = dict(plan.user_mix)
    for cls in environment.user_classes:
        if not issubclass(cls, BigdayUser):
            continue
        cls.connection_timeout = cls.network_timeout = plan.request_timeout_s
        if cls in KIND_CLASSES.values():
            # Locust wants whole-number weights; per-mille keeps the scenario's mix to three digits.
            cls.weight = max(1, round(mix.get(cls.kind, 0.0) * 1000))
    if plan.isolation is not None:
        iso = plan.isolation
        CONFIG.victim, CONFIG.aggressor = iso.victim, iso.aggressor
        VictimUser.fixed_count = iso.victim_users
        VictimUser.wait_time = poisson_arrivals(iso.victim_rps_per_user)  # type: ignore[method-assign]


def prepare_process(plan: LoadPlan) -> None:
    """Note the plan's photo sizes; the pool itself is built once, on the first upload (see ``_Config.pool``)."""
    key = tuple(plan.photo_sizes_kb)
    if CONFIG.pool_key != key:
        CONFIG.pool_key = key
        CONFIG.pool_job = None


def active_classes(environment: Environment, plan: LoadPlan) -> list[type[BigdayUser]]:
    """The scenario's user kinds with a positive weight, as the classes this locustfile exposes."""
    kinds = set(plan.user_kinds)
    return [
        c
        for c in environment.user_classes
        if issubclass(c, BigdayUser) and c.kind in kinds and c in KIND_CLASSES.values()
    ]
