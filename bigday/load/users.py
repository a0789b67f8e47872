"""Load users (FastHttpUser): :class:`TenantUser`, the base a team's own locustfile subclasses, and the users
that follow the scenario's journeys (:class:`JourneyUser`, and the isolation pair :class:`VictimUser` and
:class:`AggressorUser`).

Every user belongs to one tenant, reaches the app the way the scenario's ``tenancy`` says (a header, a query
parameter, a subdomain, a path prefix, or only through its account), signs in the way ``auth`` and
``load.sign_in`` say, and tags every request with tenant, user kind and phase through the request context,
which is how per-tenant statistics survive Locust's aggregation. Each user takes its tenant, journey, think
time, timeouts and pacing from its environment's run state when it starts (bigday.load.runtime_state).
Imported only inside Locust processes.
"""

from __future__ import annotations

import random
import time
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import gevent
from locust import FastHttpUser, User, constant, task
from locust.contrib.fasthttp import FastHttpSession, absolute_http_url_regexp
from locust.env import Environment
from locust.exception import StopTest
from locust.runners import WorkerRunner

from bigday.load.cookies import add_cookies, storage_state_cookies
from bigday.load.dispatch import lower_priority_once
from bigday.load.journey import Outcome, RequestSender, describe_request, run_task
from bigday.load.plan import IsolationPlan, LoadPlan
from bigday.load.runtime_state import UserSettings, run_state
from bigday.runfolder.plan import TenantShare
from bigday.settings.journeys import Journey, JourneyRequest
from bigday.settings.templates import render

# How far a paced user may fall behind its schedule before it forgets the missed arrivals instead of
# sending them in a burst.
MAX_LAG_S = 1.0
# Statuses after which a signed-in user signs in again before its next task: its session has expired.
SIGNED_OUT_STATUSES = (401,)


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


class OpenArrivals:
    """An open model for one user: tasks due at Poisson arrivals of ``rate`` a second on a fixed schedule.

    Unlike ``PoissonArrivals`` nothing is forgotten: a user held up by a stalled server starts its overdue
    tasks back to back until it is on schedule again, and each task's first request is timed from when the
    task was due (``intended``), not from when it could start, so the queueing a stall causes shows in the
    latency (coordinated omission corrected: a closed model's samples would each wait for the one before)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.next_due: float | None = None
        self.intended: float | None = None  # epoch seconds the coming task is due; taken by its first request

    def wait(self) -> float:
        now = time.time()
        due = (now if self.next_due is None else self.next_due) + random.expovariate(self.rate)
        self.next_due = due
        self.intended = due
        return max(0.0, due - now)

    def take_intended(self) -> float | None:
        intended, self.intended = self.intended, None
        return intended


class TenantSession(FastHttpSession):
    """Locust's FastHttpSession with the tenant's query parameter added to every relative path, when the
    scenario's tenancy is ``by: query`` (a header, subdomain or path prefix needs no help: they are the
    session's default headers and base URL)."""

    def __init__(self, *args: Any, tenant_query: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant_query = tenant_query  # "tenant=everafter", already quoted

    def _build_url(self, path: str) -> str:
        if self.tenant_query and not absolute_http_url_regexp.match(path):
            path = f"{path}{'&' if '?' in path else '?'}{self.tenant_query}"
        return super()._build_url(path)


class TenantUser(FastHttpUser):
    """The base of bigday's load users; subclass it in a locustfile of your own.

    Each instance belongs to one tenant (``self.tenant``) chosen by the scenario's weights for ``kind`` (a
    journey's ``tenants`` rule when ``kind`` names a journey, else every tenant alike), reaches the app the way
    the scenario's ``tenancy`` says, carries the scenario's auth headers and cookies, runs ``load.sign_in``
    in ``on_start`` (call ``super().on_start()`` if you override it), and tags each request with tenant, kind
    and phase, so bigday's raw samples, per-tenant statistics and verdicts cover your tasks too. Use
    ``self.client`` as in any FastHttpUser; ``self.send(request)`` sends a scenario-style JourneyRequest.
    """

    abstract = True
    kind: ClassVar[str] = "-"
    # Tasks a second for each user of the class: an open model (OpenArrivals) in place of the think time.
    # None: Locust's closed model (or, for bigday's journeys, --arrival-rate spread over the peak's users).
    arrival_rate: ClassVar[float | None] = None

    def __init__(self, environment: Environment) -> None:
        # FastHttpUser.__init__ would build a plain FastHttpSession; _build_client builds the same with the
        # tenant's query parameter, so only User's own __init__ runs here.
        User.__init__(self, environment)
        self.rehearsal = run_state(environment)
        settings = self.rehearsal.user_settings()
        plan = self.rehearsal.require_plan()
        self.user_kind = self.choose_kind(settings)
        self.share = self.choose_tenant(settings)
        self.tenant = self.share.tenant
        self.values = settings.values_for(self.share)
        self.think_s = settings.think_for(self.user_kind)
        self.batch = settings.batch
        base = (environment.host or self.host or "").rstrip("/")
        self.host = plan.tenancy.base_url(base, self.tenant, self.share.key)
        headers = {k: render(v, self.values) for k, v in plan.headers.items()}
        headers.update(plan.tenancy.headers(self.share.key))
        hostname = urlsplit(self.host).hostname or ""
        if plan.tenancy.by == "subdomain" and hostname.endswith(".localhost"):
            # *.localhost is loopback (RFC 6761) and browsers treat it so; Python's resolver may not: connect to
            # the base host and name the tenant's host in the Host header, as a browser would send it.
            headers["Host"] = urlsplit(self.host).netloc
            self.host = base
        self.default_headers = headers
        # A saturated app answers slowly rather than never; the plan's timeout (a minute by default) separates
        # slow from lost.
        self.connection_timeout = self.network_timeout = settings.request_timeout_s
        self._build_client(plan)
        self._add_cookies(plan, urlsplit(self.host).hostname or "localhost")
        self.sender = RequestSender(self, self.values)
        self.signed_in = False
        self._context = {"tenant": self.tenant, "user_kind": self.user_kind, "phase": self.rehearsal.phase}
        rate = self.per_user_arrival_rate(settings)
        self.open_arrivals = OpenArrivals(rate) if rate else None

    def _build_client(self, plan: LoadPlan) -> None:
        if not self.host:
            raise StopTest("no host to send load to: give --host (or bigday's --base-url)")
        query = f"{quote(plan.tenancy.query_name)}={quote(self.share.key)}" if plan.tenancy.by == "query" else ""
        self.client = TenantSession(
            base_url=self.host,
            request_event=self.environment.events.request,
            network_timeout=self.network_timeout,
            connection_timeout=self.connection_timeout,
            max_redirects=self.max_redirects,
            max_retries=self.max_retries,
            insecure=self.insecure,
            concurrency=self.concurrency,
            user=self,
            client_pool=self.client_pool,
            ssl_context_factory=self.ssl_context_factory,
            headers=self.default_headers,
            proxy_host=self.proxy_host,
            proxy_port=self.proxy_port,
            tenant_query=query,
        )

    def _add_cookies(self, plan: LoadPlan, host: str) -> None:
        pairs = [(k, render(v, self.values)) for k, v in plan.cookies.items()]
        if plan.storage_state:
            pairs += storage_state_cookies(render(plan.storage_state, self.values), host)
        add_cookies(self.client.cookiejar, pairs, host)

    # ------------------------------------------------------------ what a subclass may override

    def choose_kind(self, settings: UserSettings) -> str:
        return type(self).kind

    def choose_tenant(self, settings: UserSettings) -> TenantShare:
        return settings.picker(self.user_kind).next()

    def per_user_arrival_rate(self, settings: UserSettings) -> float | None:
        return type(self).arrival_rate

    def context(self) -> dict[str, Any]:
        # Locust copies this into each request's context, so one dict per user can be updated in place.
        self._context["phase"] = self.rehearsal.phase
        if self.open_arrivals is not None:
            intended = self.open_arrivals.take_intended()
            if intended is not None:  # the task's first request: timed from when the task was due
                return {**self._context, "intended_start": intended}
        return self._context

    def wait_time(self) -> float:
        if self.open_arrivals is not None:
            return self.open_arrivals.wait()
        lo, hi = self.think_s
        return random.uniform(lo, hi)

    def on_start(self) -> None:
        self.sign_in()

    # ------------------------------------------------------------ signing in

    def sign_in(self) -> bool:
        """Send ``load.sign_in``'s requests; a tenant none of whose users has signed in yet ends the run."""
        requests = self.rehearsal.require_plan().sign_in
        if not requests:
            self.signed_in = True
            return True
        failed = self.sender.run(requests)
        if failed is None:
            self.signed_in = True
            self.rehearsal.signed_in_tenants.add(self.tenant)
            return True
        index, outcome = failed
        if self.tenant not in self.rehearsal.signed_in_tenants:
            self.rehearsal.abort(
                f"tenant {self.tenant!r}: sign-in step {index + 1} of {len(requests)}"
                f" ({describe_request(requests[index])}) failed: {outcome.failure}"
            )
        return False

    def send(self, request: JourneyRequest) -> Outcome:
        """One scenario-style request (placeholders filled from this user's values and captures)."""
        outcome = self.sender.send(request)
        self.note(outcome.status)
        return outcome

    def ensure_signed_in(self) -> bool:
        return self.signed_in or self.sign_in()

    def note(self, status: int) -> None:
        """After a response: a 401 means the session expired, so the next task signs in first."""
        if status in SIGNED_OUT_STATUSES and self.rehearsal.require_plan().sign_in:
            self.signed_in = False


class JourneyUser(TenantUser):
    """A user following one of the scenario's journeys (``load.journeys``), picked per user by ``user_mix``.

    Abstract: the Saturday locustfile exposes it as ``ScenarioUser`` (Locust runs every concrete user class a
    locustfile imports, so a base class must stay abstract)."""

    abstract = True

    def choose_kind(self, settings: UserSettings) -> str:
        return settings.kinds.next()

    def per_user_arrival_rate(self, settings: UserSettings) -> float | None:
        # --arrival-rate is the whole rehearsal's at its peak: each user its share, so a stage with half the
        # users has half the arrivals.
        total = settings.arrival_rate
        if total is None:
            return type(self).arrival_rate
        return total / max(1, settings.plan.peak_users)

    @property
    def journey(self) -> Journey:
        return self.rehearsal.require_plan().journeys[self.user_kind]

    @task
    def follow_journey(self) -> None:
        if not self.ensure_signed_in():
            return
        tasks = self.journey.tasks
        chosen = random.choices(tasks, weights=[t.weight for t in tasks])[0] if len(tasks) > 1 else tasks[0]
        outcome = run_task(self.sender, chosen, self.batch)
        if outcome is not None:
            self.note(outcome.status)
            if outcome.retry_after_s:
                gevent.sleep(max(outcome.retry_after_s, 0.5) * random.uniform(1.0, 1.5))


class VictimUser(JourneyUser):
    """A small studio's steady traffic: the victim journey's requests at a fixed rate, whatever the latency.

    Poisson arrivals at a fixed mean rate keep the victim's request rate the same in every phase, and its
    requests independent of each other. The reference scenario's victim only reads: its own uploads would load
    its own worker pool and make its latency depend on its own queue, not on the aggressor's.
    """

    abstract = False
    # Locust's dispatcher reads this from the class; set_user_counts applies the plan's count to it.
    fixed_count = IsolationPlan.victim_users

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.arrivals = PoissonArrivals(self.rehearsal.user_settings().victim_rps_per_user)

    def choose_kind(self, settings: UserSettings) -> str:
        return settings.victim_journey

    def per_user_arrival_rate(self, settings: UserSettings) -> float | None:
        return None  # its own arrivals (PoissonArrivals), whatever --arrival-rate says

    def choose_tenant(self, settings: UserSettings) -> TenantShare:
        return settings.share(settings.victim)

    def context(self) -> dict[str, Any]:
        # Locust asks for the context as each request starts: counted in flight until the request is recorded,
        # so the master judges a window only once all its requests have been (bigday.load.adjudicator).
        ctx = super().context()
        self.rehearsal.victim_request_started(ctx["phase"])
        return ctx

    def wait_time(self) -> float:
        return self.arrivals.wait()


class AggressorUser(JourneyUser):
    """The premium studio's spike: the aggressor journey back to back, more users than the app admits.

    Like the app's uploader, one turned away (503 with ``retry_after: true`` in the journey) waits the
    Retry-After the app asks for, with jitter so the rejected do not return in one synchronised burst.
    """

    abstract = False
    wait_time = constant(0)

    def choose_kind(self, settings: UserSettings) -> str:
        return settings.aggressor_journey

    def per_user_arrival_rate(self, settings: UserSettings) -> float | None:
        return None  # back to back: as many uploads as the app admits

    def choose_tenant(self, settings: UserSettings) -> TenantShare:
        return settings.share(settings.aggressor)

    def on_start(self) -> None:
        runner = self.environment.runner
        if isinstance(runner, WorkerRunner) and not runner.user_classes_count.get(VictimUser.__name__):
            lower_priority_once(self.rehearsal)
        super().on_start()


ISOLATION_CLASSES = (VictimUser, AggressorUser)


def set_user_counts(environment: Environment, plan: LoadPlan) -> None:
    """Apply the plan's victim count to the class Locust's dispatcher reads it from.

    A fixed count is the one part of a user's configuration that Locust reads from the class, not the
    instance: its dispatcher decides how many of each class to start before any exists. So it goes through
    Locust's own way of changing it (``Environment.update_user_class``, behind ``--config-users`` and the web
    UI's class picker). Only the master (or a single local process) dispatches. The Saturday mix needs no
    such change: each JourneyUser picks its journey from the plan when it starts.
    """
    for cls in environment.user_classes:
        if cls is VictimUser and plan.isolation is not None:
            change = {"user_class_name": cls.__name__, "fixed_count": plan.isolation.victim_users}
            environment.update_user_class(change)  # type: ignore[no-untyped-call]


def active_classes(environment: Environment) -> list[type[User]]:
    """The Saturday spike's users: every TenantUser class of the locustfile but the isolation pair."""
    return [c for c in environment.user_classes if issubclass(c, TenantUser) and c not in ISOLATION_CLASSES]
