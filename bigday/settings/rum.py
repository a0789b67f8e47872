"""The scenario's ``rum`` section: which sites may send field beacons to ``bigday serve``, and the collector's
limits (docs/rum.md).

A site is one studio (tenant) with a public key and the origins its pages are served from. The key is public:
it is in every page's HTML; what authenticates a beacon is the key together with the browser's ``Origin``
header, which a page cannot forge (a script outside a browser can, which is why every beacon is also
validated and rate-limited).
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, StrictFloat, StrictInt, StrictStr, field_validator
from pydantic.dataclasses import dataclass

from bigday.settings.base import CONFIG
from bigday.settings.units import PositiveSeconds

DAY_S = 86_400.0
KEY_FORMAT = re.compile(r"^pk_[A-Za-z0-9_-]{8,64}$")


def origin_problem(origin: str) -> str | None:
    """Why ``origin`` is not a browser origin (scheme://host[:port], nothing else), or None."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"expected an origin like https://app.example.com, got {origin!r}"
    if parts.path or parts.query or parts.fragment or parts.username or origin != origin.lower().rstrip("/"):
        return f"expected only scheme://host[:port] in lower case, got {origin!r}"
    return None


@dataclass(frozen=True, config=CONFIG)
class RumSite:
    """One studio's pages: its public key and the origins its beacons may come from."""

    tenant: StrictStr
    key: StrictStr
    origins: tuple[StrictStr, ...]

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if not KEY_FORMAT.match(v):
            raise ValueError("expected a public key like pk_ followed by 8 to 64 letters, digits, _ or -")
        return v

    @field_validator("origins")
    @classmethod
    def _origins(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("expected at least one origin")
        for origin in v:
            if (problem := origin_problem(origin)) is not None:
                raise ValueError(problem)
        return v


@dataclass(frozen=True, config=CONFIG)
class RumRateLimit:
    """Beacons per second (sustained) with a burst of ``burst`` seconds' worth, per origin and per client IP."""

    per_origin: StrictFloat | StrictInt = Field(default=2000, gt=0, le=1_000_000)
    per_ip: StrictFloat | StrictInt = Field(default=20, gt=0, le=1_000_000)
    burst_s: Annotated[PositiveSeconds, Field(validation_alias="burst")] = 5.0


@dataclass(frozen=True, config=CONFIG)
class RumPolicy:
    """The field side: sites, how long beacons are kept, the collector's queue and the lab-vs-field factor."""

    sites: tuple[RumSite, ...] = ()
    retention_s: Annotated[PositiveSeconds, Field(validation_alias="retention")] = 90 * DAY_S
    rate_limit: RumRateLimit = RumRateLimit()
    # Beacons accepted but not yet committed; one more gets 503 with Retry-After (memory stays bounded).
    queue: StrictInt = Field(default=5000, ge=1, le=1_000_000)
    batch: StrictInt = Field(default=500, ge=1, le=100_000)  # beacons per insert transaction at most
    flush_s: Annotated[PositiveSeconds, Field(validation_alias="flush")] = 0.05
    # A route whose field p75 exceeds the lab's by more than this factor is flagged ("the lab is too kind").
    lab_factor: StrictFloat | StrictInt = Field(default=1.5, ge=1, le=1000)

    @field_validator("retention_s")
    @classmethod
    def _retention(cls, v: float) -> float:
        if v < 28 * DAY_S:
            raise ValueError(f"expected at least 28d (the field p75's rolling window), got {v / DAY_S:g}d")
        return v

    def site_of(self, key: str) -> RumSite | None:
        for s in self.sites:
            if s.key == key:
                return s
        return None

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(o for s in self.sites for o in s.origins)
