"""``plan.json``: one load rehearsal's resolved parameters, shared by ``bigday load`` and every Locust process.

``bigday.load.plan`` builds plans from a scenario and command-line overrides; this module is only their data.
The plan also travels outside its run folder: ``locust --bigday-plan FILE`` and the master's hand-over to
workers (``LoadPlan.dumps`` / ``LoadPlan.from_json``).
"""

from __future__ import annotations

import json
import math
from dataclasses import field
from pathlib import Path
from typing import Literal

from pydantic.dataclasses import dataclass

from bigday.errors import ConfigError
from bigday.runfolder.document import FORBID, Record, read_document, write_document
from bigday.runfolder.folder import RunFile, RunFolder
from bigday.settings.access import Tenancy
from bigday.settings.journeys import Journey, JourneyRequest

RehearsalKind = Literal["saturday", "isolation"]
Condition = Literal["alone", "spike"]
# Photos a photographer's phone or camera produces: a few HEIC-sized frames and a smaller edited export.
DEFAULT_PHOTO_SIZES_KB = (2600, 1800, 3400, 600)


@dataclass(frozen=True, config=FORBID)
class Stage(Record):
    """Reach ``users`` linearly over ``duration_s`` seconds; ``name`` becomes the phase of its requests."""

    name: str
    duration_s: float
    users: int


@dataclass(frozen=True, config=FORBID)
class TenantShare(Record):
    """A tenant as load users see it: its size (for weighting users over tenants), its key and credentials.

    Credentials stay as the scenario writes them (``${VAR}``): each Locust process reads the secrets from its own
    environment, so none is ever written to a plan file or sent to a worker."""

    tenant: str
    key: str
    clients: float
    weddings: float
    credentials: dict[str, str] = field(default_factory=dict)

    def weight(self, by: str) -> float:
        """The tenant's weight under a journey's ``tenants`` rule: equal, clients or weddings."""
        return 1.0 if by == "equal" else float(getattr(self, by))

    def values(self) -> dict[str, str]:
        return {**self.credentials, "tenant": self.tenant, "tenant_key": self.key}


def window_condition(phase: str) -> Condition | None:
    """Whether a phase of the isolation check has the victim alone or beside the aggressor's spike (None: warm-up).

    Fixed phases are ``alone``, ``spike`` and ``recovery``; adaptive windows ``alone-1``, ``spike-1``, ...
    """
    if phase == "recovery" or phase == "alone" or phase.startswith("alone-"):
        return "alone"
    if phase == "spike" or phase.startswith("spike-"):
        return "spike"
    return None


@dataclass(frozen=True, config=FORBID)
class IsolationPlan(Record):
    """The isolation check: victim alone, aggressor spike beside it, aggressor gone; or, adaptive, windows of
    each alternating until the verdict is decided (``stages``)."""

    victim: str
    aggressor: str
    tolerance: float = 1.25
    # The p95 rise (ms) below which a slow-down is not counted as harm, whatever its ratio (0: ratio alone).
    min_effect_ms: float = 0.0
    victim_p95_sla_ms: float = 500.0
    victim_max_error_rate: float = 0.01
    phase_s: float = 20.0
    recovery_s: float | None = None  # phase 3; None: as long as the others
    # Victim users open their connections during warm-up; those first requests are not evidence.
    warmup_s: float = 2.0
    # Seconds at the start of each phase left out of the verdict, while users start or stop (shape ticks are 1 s).
    settle_s: float = 1.5
    # Steady pacing, so the victim's request rate does not depend on the latency being measured; 120 light
    # reads a second give ~1,000 samples per 10 s phase, where an unharmed victim's p95 interval stays
    # inside 1.25x (at ~500 samples it would not, one run in six, from sampling alone). Ten users keep the
    # victim's requests in flight below the reference target's per-tenant queue bound (16), so the victim
    # can never be turned away by its own traffic.
    victim_users: int = 10
    victim_rps_per_user: float = 12.0
    # Back-to-back uploaders, as many as the reference target admits per tenant (its queue bound, 16): the
    # aggressor's admission stays full for the whole spike, the strongest spike the app accepts. Users beyond
    # that would only add uploads turned away with 503 (which they would honour, see AggressorUser).
    aggressor_users: int = 16
    victim_journey: str = "victim"
    aggressor_journey: str = "aggressor"
    # Phase "alone" is the baseline; if it was this much slower than the aggressor-free "recovery" phase, the
    # machine disturbed it and a PASS against it would be unearned.
    baseline_drift_bar: float = 1.5
    confidence: float = 0.95
    resamples: int = 2000
    # Adaptive: windows of phase_s alternate (alone, alone, spike, alone, spike, alone, ...) and the verdict is
    # judged after every alone window that follows a spike, stopping once it is decided; at most max_phase_s
    # of windows in all, which fixes the number of looks (and so each look's share of the error rate) in advance.
    adaptive: bool = False
    max_phase_s: float = 180.0

    @property
    def planned_looks(self) -> int:
        """How many times the verdict may be judged: once with fixed phases; adaptive, once the first four
        windows have run (two alone, a spike, an alone) and after every further spike and alone pair."""
        if not self.adaptive:
            return 1
        windows = math.floor(self.max_phase_s / self.phase_s + 1e-9)
        return max(1, 1 + (windows - 4) // 2)

    @property
    def window_names(self) -> tuple[str, ...]:
        """The adaptive check's windows in order (the fixed check's phases when not adaptive)."""
        if not self.adaptive:
            return ("alone", "spike", "recovery")
        names = ["alone-1", "alone-2", "spike-1", "alone-3"]
        for k in range(2, self.planned_looks + 1):
            names += [f"spike-{k}", f"alone-{k + 2}"]
        return tuple(names)

    @property
    def stages(self) -> tuple[Stage, ...]:
        v, a = self.victim_users, self.victim_users + self.aggressor_users
        warmup = Stage("warmup", self.warmup_s, v)
        if not self.adaptive:
            return (
                warmup,
                Stage("alone", self.phase_s, v),
                Stage("spike", self.phase_s, a),
                Stage("recovery", self.recovery_s or self.phase_s, v),
            )
        return (
            warmup,
            *(Stage(w, self.phase_s, a if window_condition(w) == "spike" else v) for w in self.window_names),
        )


@dataclass(frozen=True, config=FORBID, kw_only=True)
class LoadPlan(Record):
    """Everything a rehearsal needs, resolved; serialisable to JSON for Locust masters and workers."""

    kind: RehearsalKind
    scenario_name: str
    scenario_path: str
    scenario_sha256: str
    tenants: tuple[TenantShare, ...]
    stages: tuple[Stage, ...]
    user_mix: tuple[tuple[str, float], ...]
    think_time_s: tuple[float, float]
    max_duration_s: float
    allow_hosts: tuple[str, ...] = ()
    photo_sizes_kb: tuple[int, ...] = DEFAULT_PHOTO_SIZES_KB
    batch_size: tuple[int, int] = (2, 5)
    spike_p95_sla_ms: float = 1000.0
    spike_max_error_rate: float = 0.01
    saturation_cpu_pct: float = 90.0
    saturation_fraction: float = 0.10
    request_timeout_s: float = 60.0
    isolation: IsolationPlan | None = None
    journeys: dict[str, Journey] = field(default_factory=dict)
    sign_in: tuple[JourneyRequest, ...] = ()
    tenancy: Tenancy = Tenancy()
    # Sent by every load user: the scenario's auth headers and cookies (secrets as ${VAR}), and the cookies of a
    # Playwright storage-state file (an absolute path, may hold {tenant}).
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    storage_state: str | None = None

    @property
    def total_duration_s(self) -> float:
        return sum(s.duration_s for s in self.stages)

    @property
    def peak_users(self) -> int:
        return max((s.users for s in self.stages), default=0)

    @property
    def user_kinds(self) -> tuple[str, ...]:
        return tuple(k for k, w in self.user_mix if w > 0)

    def dumps(self) -> str:
        """The compact JSON a master hands to its workers."""
        return json.dumps(self.to_json(), separators=(",", ":"))

    @classmethod
    def read(cls, path: str | Path) -> LoadPlan:
        return read_plan(Path(path))


def read_plan(where: RunFolder | Path) -> LoadPlan:
    """A run folder's ``plan.json``, or a plan file given by path (``locust --bigday-plan FILE``)."""
    path = where.file(RunFile.PLAN) if isinstance(where, RunFolder) else where
    if not path.is_file():
        raise ConfigError(f"{path}: no such load plan file")
    return read_document(path, RunFile.PLAN, LoadPlan)


def write_plan(folder: RunFolder, plan: LoadPlan) -> Path:
    return write_document(folder, RunFile.PLAN, plan)
