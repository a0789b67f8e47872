"""When each page is checked: slots on a fixed grid (``every``) or a cron expression, plus a jitter.

Slots are absolute times every monitor computes alike (an interval's grid starts at the Unix epoch; cron is
read in UTC), so monitors started at different moments agree on what "the 10:15 check of /dashboard" is.
The jitter delays each slot's start by a fraction of ``jitter`` fixed by a hash of page and slot, so pages
do not all start at once and every monitor (and a restarted one) agrees on it too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bigday.errors import ConfigError
from bigday.settings.scenario import MonitorPolicy, Scenario

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_JITTER_SHARE = 0.1
MAX_DEFAULT_JITTER_S = 60.0
_ONE_US = timedelta(microseconds=1)
# Past this many missed slots the count is an estimate from the interval (a monitor off for months).
MAX_COUNTED_SLOTS = 100_000


@dataclass(frozen=True)
class Schedule:
    """One page's schedule: ``every_s`` seconds on the epoch grid, or a UTC ``cron`` expression."""

    page: str
    every_s: float | None = None
    cron: str | None = None
    jitter_s: float = 0.0

    def __post_init__(self) -> None:
        if (self.every_s is None) == (self.cron is None):
            raise ConfigError(f"schedule of {self.page}: expected every or cron")
        if self.every_s is not None and self.every_s < 1:
            raise ConfigError(f"schedule of {self.page}: expected an interval of at least 1s, got {self.every_s:g}s")
        if self.jitter_s < 0:
            raise ConfigError(f"schedule of {self.page}: expected a jitter >= 0, got {self.jitter_s:g}s")

    @property
    def spec(self) -> str:
        """What the store keeps to tell whether the schedule changed since the last run."""
        what = f"every {self.every_s:g}s" if self.every_s is not None else f"cron {self.cron}"
        return f"{what} jitter {self.jitter_s:g}s"

    @property
    def typical_interval_s(self) -> float:
        if self.every_s is not None:
            return self.every_s
        start = self.slot_at_or_before(datetime.now(UTC))
        return (self.next_after(start) - start).total_seconds()

    def slot_at_or_before(self, t: datetime) -> datetime:
        if self.every_s is not None:
            us = int(self.every_s * 1_000_000)
            elapsed = (t - EPOCH) // _ONE_US
            return EPOCH + timedelta(microseconds=(elapsed // us) * us)
        from croniter import croniter

        prev: datetime = croniter(self.cron, t + _ONE_US).get_prev(datetime)
        return prev.astimezone(UTC)

    def next_after(self, slot: datetime) -> datetime:
        if self.every_s is not None:
            return self.slot_at_or_before(slot) + timedelta(seconds=self.every_s)
        from croniter import croniter

        nxt: datetime = croniter(self.cron, slot).get_next(datetime)
        return nxt.astimezone(UTC)

    def jitter(self, slot: datetime) -> timedelta:
        if self.jitter_s <= 0:
            return timedelta(0)
        digest = hashlib.sha256(f"{self.page}|{slot.isoformat()}".encode()).digest()
        share = int.from_bytes(digest[:8], "big") / 2**64
        return timedelta(seconds=share * self.jitter_s)

    def due(self, slot: datetime) -> datetime:
        return slot + self.jitter(slot)

    def first_slot(self, now: datetime) -> datetime:
        """Where a new schedule starts: the slot now falls in, so a fresh monitor checks at once."""
        return self.slot_at_or_before(now)

    def latest_due(self, slot: datetime, now: datetime) -> tuple[datetime, int]:
        """The latest slot from ``slot`` on whose start is due by ``now``, and how many slots it passes over.

        A monitor that was stopped, or a check that overran, makes earlier slots stale: running them now would
        measure the present under a past label, so the schedule moves to the newest due slot and says how many
        it skipped."""
        if self.every_s is not None:
            latest = self.slot_at_or_before(now)
            if self.due(latest) > now:
                latest -= timedelta(seconds=self.every_s)
            if latest <= slot:
                return slot, 0
            return latest, round((latest - slot).total_seconds() / self.every_s)
        skipped, current = 0, slot
        while skipped < MAX_COUNTED_SLOTS:
            nxt = self.next_after(current)
            if self.due(nxt) > now:
                return current, skipped
            current, skipped = nxt, skipped + 1
        latest = self.slot_at_or_before(now)
        estimate = int((latest - slot).total_seconds() / max(self.typical_interval_s, 1.0))
        return latest, max(estimate, skipped)


def default_jitter_s(interval_s: float) -> float:
    return min(interval_s * DEFAULT_JITTER_SHARE, MAX_DEFAULT_JITTER_S)


def schedules_for(
    scenario: Scenario,
    pages: tuple[str, ...] = (),
    every_s: float | None = None,
    jitter_s: float | None = None,
) -> dict[str, Schedule]:
    """Each selected page's schedule: ``every_s`` (the --every flag) for all pages when given, else the page's
    own schedule in ``monitor.schedules``, else ``monitor.every``. Jitter: the flag, the scenario, or 10% of the
    interval (at most 60 s)."""
    policy: MonitorPolicy = scenario.monitor
    names = pages or tuple(p.name for p in scenario.pages)
    for name in names:
        scenario.page(name)
    scenario_jitter = policy.jitter_ms / 1000 if policy.jitter_ms is not None else None
    out: dict[str, Schedule] = {}
    for name in names:
        own = policy.schedules.get(name) if every_s is None else None
        interval = every_s if every_s is not None else (own.every_s if own else None)
        cron = own.cron if own is not None and own.cron else None
        if interval is None and cron is None:
            interval = policy.every_s
        chosen = jitter_s if jitter_s is not None else scenario_jitter
        if chosen is None:
            chosen = default_jitter_s(interval if interval is not None else 60.0)
        out[name] = Schedule(name, every_s=interval, cron=cron, jitter_s=chosen)
    return out
