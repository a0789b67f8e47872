"""The isolation check's windows: which phases each look pools, and the victim's samples in them.

Fixed phases give one look at the end: ``spike`` against ``alone``, the two halves of ``alone`` for the
victim's own noise, ``recovery`` for the baseline's drift.  Adaptive windows (``alone-1``, ``alone-2``,
``spike-1``, ``alone-3``, ``spike-2``, ``alone-4``, ...) give look k once ``alone-(k+2)`` has ended: every
spike window so far against every alone window so far, so a spike window always sits between alone windows
and the machine's drift falls on both conditions; the noise is ``alone-2`` against ``alone-1``, both before
any spike.  No Locust import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bigday.load.plan import IsolationPlan
from bigday.load.samples import SampleBook
from bigday.load.stats import PhaseSpan

# A window cut short by more than this (the run stopped inside it) is not complete.
COMPLETE_SLACK_S = 0.5


@dataclass(frozen=True)
class LookWindows:
    """The windows one look judges."""

    index: int  # 1-based
    alone: tuple[str, ...]
    spike: tuple[str, ...]
    due_after: str  # the window whose end makes the look due
    before_spike: tuple[str, ...]  # alone windows before the first spike
    after_spike: tuple[str, ...]  # alone windows after a spike (the fixed check's recovery)
    noise: tuple[str, str] | None  # two alone windows compared; None: the two halves of ``alone``

    @property
    def windows(self) -> tuple[str, ...]:
        return self.alone + self.spike


def look_windows(iso: IsolationPlan) -> tuple[LookWindows, ...]:
    """Every look the plan allows, in order (one for fixed phases)."""
    if not iso.adaptive:
        return (LookWindows(1, ("alone",), ("spike",), "recovery", ("alone",), ("recovery",), None),)
    looks = []
    for k in range(1, iso.planned_looks + 1):
        alone = tuple(f"alone-{i}" for i in range(1, k + 3))
        looks.append(
            LookWindows(
                index=k,
                alone=alone,
                spike=tuple(f"spike-{i}" for i in range(1, k + 1)),
                due_after=alone[-1],
                before_spike=alone[:2],
                after_spike=alone[2:],
                noise=(alone[0], alone[1]),
            )
        )
    return tuple(looks)


def complete_windows(iso: IsolationPlan, phases: tuple[PhaseSpan, ...] | list[PhaseSpan]) -> set[str]:
    """The windows that ran for their whole planned length."""
    planned = {s.name: s.duration_s for s in iso.stages}
    return {p.name for p in phases if p.name in planned and p.end - p.start >= planned[p.name] - COMPLETE_SLACK_S}


def last_complete_look(iso: IsolationPlan, phases: tuple[PhaseSpan, ...] | list[PhaseSpan]) -> int:
    """The index of the last look whose windows all ran in full (0: not even the first one's)."""
    done = complete_windows(iso, phases)
    return max((w.index for w in look_windows(iso) if set(w.windows) <= done), default=0)


@dataclass(frozen=True)
class VictimSamples:
    """The victim's response times (ms) in some windows, and how many of those requests failed."""

    rt: np.ndarray
    errors: int

    @property
    def n(self) -> int:
        return int(self.rt.size)

    @classmethod
    def empty(cls) -> VictimSamples:
        return cls(np.empty(0), 0)


def victim_samples(
    book: SampleBook,
    victim: str,
    windows: tuple[str, ...],
    spans: dict[str, PhaseSpan],
    settle_s: float,
    half: int | None = None,
) -> VictimSamples:
    """The victim's requests started in ``windows``, each window without its first ``settle_s`` seconds (users
    start and stop up to a shape tick after a window begins: those seconds belong to neither condition).
    ``half`` 1 or 2 keeps only the first or second half of the rest of the window, by start time."""
    wanted = set(windows)
    rts, errors = [], 0
    for key, s in book.series.items():
        if key[0] != victim or key[3] not in wanted:
            continue
        span = spans.get(key[3])
        start = (span.start if span else 0.0) + settle_s
        t = np.frombuffer(s.t, dtype=np.float64)
        keep = t >= start
        if half is not None and span is not None:
            middle = (start + span.end) / 2
            keep &= (t < middle) if half == 1 else (t >= middle)
        rts.append(np.frombuffer(s.rt, dtype=np.float32)[keep])
        errors += int((np.frombuffer(bytes(s.ok), dtype=np.uint8)[keep] == 0).sum())
    rt = np.concatenate(rts).astype(np.float64) if rts else np.empty(0)
    return VictimSamples(rt, errors)


def aggressor_requests(book: SampleBook, aggressor: str, windows: tuple[str, ...]) -> int:
    wanted = set(windows)
    return sum(len(s) for k, s in book.series.items() if k[0] == aggressor and k[3] in wanted)
