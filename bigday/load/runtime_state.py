"""What one rehearsal knows inside one Locust process, kept on Locust's own ``Environment``.

Locust hands its Environment to every listener, user (``self.environment``) and shape
(``self.runner.environment``), so bigday keeps its state there rather than in module globals: a real run has
one Environment per process, a test may build several side by side, and each has its own state.
:func:`attach_run_state` puts a :class:`RunState` on an Environment and :func:`run_state` reads it back.

Imported only inside Locust processes (importing Locust monkey-patches the interpreter with gevent).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import gevent
from locust.env import Environment

from bigday.load.photos import PhotoBody, photo_pool
from bigday.load.plan import IsolationPlan, LoadPlan
from bigday.load.samples import SampleBook, TimelineBook
from bigday.load.stats import PhaseSpan
from bigday.runfolder.load_samples import SampleStream
from bigday.runfolder.load_verdicts import IsolationLook
from bigday.runfolder.plan import TenantShare
from bigday.settings.templates import render

T = TypeVar("T")

# The attribute of Locust's Environment that holds bigday's state (Locust has no registry for extensions).
_ATTRIBUTE = "bigday_run_state"


class WeightedPicker(Generic[T]):
    """Smooth weighted round-robin: items in exact proportion to their weights, evenly interleaved."""

    def __init__(self, weights: list[tuple[T, float]]) -> None:
        self.weights = [(t, w) for t, w in weights if w > 0] or [(t, 1.0) for t, _ in weights]
        self.total = sum(w for _, w in self.weights)
        self.current = [0.0] * len(self.weights)

    def next(self) -> T:
        for i, (_, w) in enumerate(self.weights):
            self.current[i] += w
        chosen = max(range(len(self.current)), key=self.current.__getitem__)
        self.current[chosen] -= self.total
        return self.weights[chosen][0]


@dataclass
class UserSettings:
    """What bigday's users take from the plan when each of them starts (see bigday.load.users).

    Built once per process; a tenant's credentials are read from this process's environment (``${VAR}``) the
    first time one of its users starts, and kept only here."""

    plan: LoadPlan
    think_s: tuple[float, float]
    batch: tuple[int, int]
    request_timeout_s: float
    kinds: WeightedPicker[str]
    victim: str = ""
    aggressor: str = ""
    victim_journey: str = ""
    aggressor_journey: str = ""
    victim_rps_per_user: float = IsolationPlan.victim_rps_per_user
    arrival_rate: float | None = None  # --arrival-rate: the journeys' tasks a second at the peak (open model)
    _pickers: dict[str, WeightedPicker[TenantShare]] = field(default_factory=dict)
    _values: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_plan(cls, plan: LoadPlan) -> UserSettings:
        kinds = WeightedPicker([(k, w) for k, w in plan.user_mix]) if plan.user_mix else WeightedPicker([("-", 1.0)])
        settings = cls(plan, plan.think_time_s, plan.batch_size, plan.request_timeout_s, kinds)
        if plan.isolation is not None:
            iso = plan.isolation
            settings.victim, settings.aggressor = iso.victim, iso.aggressor
            settings.victim_journey, settings.aggressor_journey = iso.victim_journey, iso.aggressor_journey
            settings.victim_rps_per_user = iso.victim_rps_per_user
        return settings

    def picker(self, kind: str) -> WeightedPicker[TenantShare]:
        """Tenants for users of ``kind``: by its journey's ``tenants`` rule (every tenant alike if none)."""
        found = self._pickers.get(kind)
        if found is None:
            journey = self.plan.journeys.get(kind)
            by = journey.tenants if journey is not None else "equal"
            found = self._pickers[kind] = WeightedPicker([(t, t.weight(by)) for t in self.plan.tenants])
        return found

    def share(self, tenant: str) -> TenantShare:
        for t in self.plan.tenants:
            if t.tenant == tenant:
                return t
        raise RuntimeError(f"the plan has no tenant {tenant!r} (the isolation users need a plan with load.isolation)")

    def think_for(self, kind: str) -> tuple[float, float]:
        journey = self.plan.journeys.get(kind)
        if journey is not None and journey.think_time is not None:
            return (journey.think_time.min, journey.think_time.max)
        return self.think_s

    def values_for(self, share: TenantShare) -> dict[str, str]:
        """The tenant's placeholder values with its secrets read from the environment (once per process)."""
        found = self._values.get(share.tenant)
        if found is None:
            found = {k: render(v, {}) for k, v in share.values().items()}
            self._values[share.tenant] = found
        return found


class PhotoSupply:
    """The photos this process uploads, built on the first upload and then shared by every user."""

    def __init__(self) -> None:
        self.sizes_kb: tuple[int, ...] = ()
        self._job: Any = None  # gevent AsyncResult of the pool being built on a native thread

    def use_sizes(self, sizes_kb: tuple[int, ...]) -> None:
        """Note the plan's photo sizes; a web-UI worker keeps its pool across tests unless they change."""
        if self.sizes_kb != tuple(sizes_kb):
            self.sizes_kb = tuple(sizes_kb)
            self._job = None

    @property
    def built_bytes(self) -> int:
        """The bodies this process holds (0 until the first upload builds them)."""
        if self._job is None or not self._job.ready() or not self._job.successful():
            return 0
        return sum(len(p.body) for p in self._job.get())

    def pool(self) -> tuple[PhotoBody, ...]:
        if self._job is None:
            # Built on a native thread: encoding a few megapixels takes seconds on a busy machine, and on the
            # event loop it would stall a worker's heartbeats until the master declared it missing.
            # Processes that never upload never pay for it.
            self._job = gevent.get_hub().threadpool.spawn(photo_pool, self.sizes_kb)
        result: tuple[PhotoBody, ...] = self._job.get()
        return result


@dataclass
class RunState:
    """One Locust environment's rehearsal: its plan, phase clock, raw samples, timeline and CPU samples."""

    kind: str
    plan: LoadPlan | None = None
    users: UserSettings | None = None
    photos: PhotoSupply = field(default_factory=PhotoSupply)
    book: SampleBook = field(default_factory=SampleBook)
    timeline_book: TimelineBook = field(default_factory=TimelineBook)
    # --keep-samples: this process's raw samples, streamed to its own file in the run folder.
    stream: SampleStream | None = None
    phase: str = "init"
    phases: list[PhaseSpan] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    cpu: list[dict[str, Any]] = field(default_factory=list)
    workers_seen: set[str] = field(default_factory=set)
    # The master: each worker's requests as reported, its last report (epoch s), and the workers it lost
    # mid-run (declared missing for want of heartbeats), with when.
    worker_requests: Counter[str] = field(default_factory=Counter)
    worker_last_report: dict[str, float] = field(default_factory=dict)
    lost_workers: dict[str, float] = field(default_factory=dict)
    # Workers that connected after the run started (epoch s): Locust moved some of the users to them.
    joined_workers: dict[str, float] = field(default_factory=dict)
    t0: float = 0.0
    running: bool = False
    finalised: bool = True
    stop_reason: str = "shape complete"
    greenlets: list[gevent.Greenlet] = field(default_factory=list)
    # os.nice is relative: an aggressor-only process lowers its priority once, however many aggressors start.
    niced: bool = False
    # Tenants one of whose users has signed in: a later failure is that user's, not wrong credentials.
    signed_in_tenants: set[str] = field(default_factory=set)
    # Ends the run with one line (a sign-in that cannot work); set by bigday.load.locust_runtime.attach.
    on_abort: Callable[[str], None] | None = None
    aborted: bool = False

    # The adaptive isolation check. Every process: the victim requests started and not yet recorded, per
    # phase. The master: each worker's last report of its phase and those counts, the looks judged so far,
    # and whether a look has settled the verdict (the shape then ends the run).
    victim_in_flight: Counter[str] = field(default_factory=Counter)
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)
    looks: list[IsolationLook] = field(default_factory=list)
    decided: bool = False
    # The isolation check's warm-up waits for its aggressor processes to build their photos (see
    # locust_runtime._hold_warmup): seconds the plan's clock was held, and whether this process is ready.
    held_s: float = 0.0
    clock_stop: float | None = None  # during the hold, the plan's clock stops here
    prepared: bool = False

    def abort(self, reason: str) -> None:
        """End the run without results: once, however many users find the same reason."""
        if self.aborted:
            return
        self.aborted = True
        if self.on_abort is not None:
            self.on_abort(reason)

    def victim_request_started(self, phase: str) -> None:
        self.victim_in_flight[phase] += 1

    def victim_request_recorded(self, phase: str) -> None:
        if self.victim_in_flight[phase] > 0:
            self.victim_in_flight[phase] -= 1

    def progress_report(self) -> dict[str, Any]:
        """What this process has sent so far, as of its samples drained now: its phase and requests in flight."""
        return {
            "phase": self.phase,
            "in_flight": {p: n for p, n in self.victim_in_flight.items() if n > 0},
            "prepared": self.prepared,
            "photo_pool_bytes": self.photos.built_bytes,
        }

    def use_plan(self, plan: LoadPlan) -> None:
        self.plan = plan
        self.users = UserSettings.from_plan(plan)

    def require_plan(self) -> LoadPlan:
        if self.plan is None:
            raise RuntimeError("bigday load plan not received yet")
        return self.plan

    def user_settings(self) -> UserSettings:
        if self.users is None:
            raise RuntimeError("bigday load plan not received yet: no user can start")
        return self.users

    def elapsed(self) -> float:
        """Seconds on the plan's clock since this run's test_start, less any warm-up hold: the one clock that
        shapes, phases and looks share. While ``clock_stop`` is set it goes no further."""
        if not self.running:
            return 0.0
        t = time.time() - self.t0 - self.held_s
        return t if self.clock_stop is None else min(t, self.clock_stop)

    def resume_clock(self) -> None:
        """End a hold: the plan's clock goes on from where it stopped, never back."""
        if self.clock_stop is not None and self.running:
            self.held_s = max(self.held_s, time.time() - self.t0 - self.clock_stop)
        self.clock_stop = None

    def seconds_in(self) -> float:
        """Wall-clock seconds since test_start (what the run folder's times count from)."""
        return time.time() - self.t0 if self.running else 0.0


def attach_run_state(environment: Environment, state: RunState) -> RunState:
    """Give ``environment`` its rehearsal state (once: a second state would split one run's samples)."""
    if has_run_state(environment):
        raise RuntimeError("this Locust environment already has a bigday run state")
    setattr(environment, _ATTRIBUTE, state)
    return state


def has_run_state(environment: Environment) -> bool:
    return isinstance(getattr(environment, _ATTRIBUTE, None), RunState)


def run_state(environment: Environment) -> RunState:
    """The rehearsal state of ``environment``, put there when bigday's runtime was installed on it."""
    state = getattr(environment, _ATTRIBUTE, None)
    if not isinstance(state, RunState):
        raise RuntimeError("no bigday run state on this Locust environment: run a bigday locustfile")
    return state
