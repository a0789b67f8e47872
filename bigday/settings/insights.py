"""The scenario's ``insights`` section: the thresholds of the recommendations and delivery checks (docs/insights.md).

Every number a rule compares with is here, once, so a team can tighten or loosen one in its scenario. The
defaults are the wedding app's specification where it names one (JS over 800 KB, images over 200 KB not
WebP/AVIF, DNS over 100 ms, resources over 1 s, long tasks over 50 ms, CLS 0.05) and Lighthouse's where it
does not (unused JS over 20 KiB and unused CSS over 10 KiB per file, text compression worth more than
1.4 KiB). KB is 1000 bytes.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictFloat
from pydantic.dataclasses import dataclass

from bigday.settings.base import CONFIG
from bigday.settings.units import DurationMs, PositiveSeconds, SizeBytes

DAY_S = 86_400.0

NonNegativeBytes = Annotated[SizeBytes, Field(ge=0)]
NonNegativeMs = Annotated[DurationMs, Field(ge=0)]


@dataclass(frozen=True, config=CONFIG)
class InsightPolicy:
    """Thresholds of bigday/probe/insights.py's rules; ``expect_http2`` None: expected off loopback only."""

    js_total_bytes: NonNegativeBytes = Field(default=800_000, validation_alias="js_total")
    image_bytes: NonNegativeBytes = Field(default=200_000, validation_alias="image_size")
    dns_ms: NonNegativeMs = Field(default=100.0, validation_alias="dns")
    slow_resource_ms: NonNegativeMs = Field(default=1000.0, validation_alias="slow_resource")
    long_task_ms: NonNegativeMs = Field(default=50.0, validation_alias="long_task")
    cls: StrictFloat = Field(default=0.05, ge=0, le=10)
    unused_js_bytes: NonNegativeBytes = Field(default=20_480, validation_alias="unused_js")
    unused_css_bytes: NonNegativeBytes = Field(default=10_240, validation_alias="unused_css")
    # A stylesheet in the head blocks rendering by design; only a heavy one is worth moving or splitting.
    blocking_css_bytes: NonNegativeBytes = Field(default=50_000, validation_alias="blocking_css")
    # Natural pixels over displayed device pixels (both dimensions), and the bytes that would save.
    oversized_ratio: StrictFloat = Field(default=2.0, ge=1, le=100)
    oversized_min_bytes: NonNegativeBytes = Field(default=10_000, validation_alias="oversized_min")
    compress_min_bytes: NonNegativeBytes = Field(default=1_400, validation_alias="compress_min")
    fingerprinted_min_ttl_s: Annotated[PositiveSeconds, Field(validation_alias="fingerprinted_min_ttl")] = 30 * DAY_S
    # Main-thread time of another site's scripts (long tasks attributed to them) worth naming that site.
    third_party_ms: NonNegativeMs = Field(default=250.0, validation_alias="third_party")
    warm_resend_bytes: NonNegativeBytes = Field(default=1_000, validation_alias="warm_resend")
    expect_http2: StrictBool | None = None
