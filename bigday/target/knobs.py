"""Fault knobs of the reference target: per server (flags, BIGDAY_TARGET_* env) and per request (query)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlencode

from bigday.errors import ConfigError

# Where the rum knob's snippet sends beacons unless --rum-endpoint says otherwise: bigday collect's default.
DEFAULT_RUM_ENDPOINT = "http://127.0.0.1:8080/rum"


@dataclass(frozen=True)
class KnobSpec:
    """One knob: its name, default, allowed range and what it means."""

    name: str
    default: int
    minimum: int
    maximum: int
    help: str


def _knob(default: int, minimum: int, maximum: int, help: str) -> Any:
    return field(default=default, metadata={"spec": (default, minimum, maximum, help)})


@dataclass(frozen=True)
class Knobs:
    """The fault knobs in effect for a server or a request (times in ms, shift in px, extra_js in KB).

    Each field declares its knob: default, bounds and meaning. Bounds keep a typo from hanging a probe for
    hours or allocating gigabytes of JS.
    """

    server_delay: int = _knob(0, 0, 60_000, "ms the document and API responses wait before the first byte")
    lcp_delay: int = _knob(0, 0, 60_000, "ms the server holds the hero image (the LCP element)")
    shift: int = _knob(0, 0, 5_000, "px #shift-victim moves down shift_at ms after the load event")
    shift_at: int = _knob(300, 0, 60_000, "ms after the load event the shift happens")
    long_task: int = _knob(0, 0, 60_000, "ms of one busy loop started from the load event")
    jank: int = _knob(0, 0, 10_000, "ms of a busy loop repeated every jank_every ms")
    jank_every: int = _knob(100, 1, 60_000, "ms between jank busy loops")
    slow_handler: int = _knob(0, 0, 10_000, "ms each interaction handler busy-waits")
    extra_js: int = _knob(0, 0, 5_000, "KB (1000 B) of executed code added to each JS chunk")
    errors: int = _knob(0, 0, 100, "percent of page documents and API calls answering 500 (evenly spread)")
    timer_hero: int = _knob(0, 0, 60_000, "ms after navigation start a timer draws the hero (no network activity)")
    raf_hero: int = _knob(0, 0, 60_000, "ms after navigation start a chain of animation frames draws the hero")
    a11y: int = _knob(0, 0, 1, "1: the page carries accessibility violations (image-alt, button-name, color-contrast)")
    rum: int = _knob(
        0, 0, 999_999_999, "N > 0: the page includes the field-beacon snippet; its beacon is labelled visit N"
    )
    uncompressed: int = _knob(0, 0, 1, "1: text responses (HTML, JS, CSS, JSON) are sent without gzip")
    no_cache: int = _knob(0, 0, 1, "1: static assets are sent without Cache-Control and without a validator")
    cdn_miss: int = _knob(0, 0, 1, "1: static assets say they missed a CDN cache (X-Cache: MISS, Age: 0)")
    heavy_image: int = _knob(0, 0, 1, "1: the hero is a JPEG of over 200 KB (same size on screen)")
    oversized_image: int = _knob(0, 0, 1, "1: the hero is a WebP of twice the pixels it is shown at in each direction")
    blocking_script: int = _knob(0, 0, 1, "1: the head loads /static/js/blocking.js without defer (render-blocking)")
    unused_js: int = _knob(0, 0, 5_000, "KB (1000 B) of never-called functions added to main.js")
    lcp_lazy: int = _knob(0, 0, 1, "1: the hero (the LCP image) has loading=lazy and no fetchpriority")
    redirect: int = _knob(0, 0, 1, "1: the hero's URL answers 302 to the image's real URL")
    unused_css: int = _knob(0, 0, 5_000, "KB (1000 B) of CSS rules that match nothing added to app.css")
    third_party: int = _knob(0, 0, 10_000, "ms a script from another site (localhost vs 127.0.0.1) busy-waits")

    def __post_init__(self) -> None:
        for f in fields(self):
            check_knob(f.name, getattr(self, f.name), where="knob")

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def non_default(self) -> dict[str, int]:
        return {k: v for k, v in self.as_dict().items() if v != _SPEC[k].default}


KNOB_SPECS: tuple[KnobSpec, ...] = tuple(KnobSpec(f.name, *f.metadata["spec"]) for f in fields(Knobs))
KNOB_NAMES: tuple[str, ...] = tuple(s.name for s in KNOB_SPECS)
_SPEC = {s.name: s for s in KNOB_SPECS}


def check_knob(name: str, value: object, where: str) -> int:
    """Validate one knob value; ConfigError names where it came from and the allowed range."""
    spec = _SPEC.get(name)
    if spec is None:
        raise ConfigError(f"{where}: unknown knob {name!r}; knobs are {', '.join(KNOB_NAMES)}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} {name}: expected a whole number, got {value!r}")
    if not spec.minimum <= value <= spec.maximum:
        raise ConfigError(f"{where} {name}: expected {spec.minimum}..{spec.maximum}, got {value}")
    return value


def parse_knob(name: str, raw: str, where: str) -> int:
    """Parse a knob from text (query string, flag or environment variable)."""
    text = raw.strip()
    if not text.isdigit():
        spec = _SPEC.get(name)
        rng = f" in {spec.minimum}..{spec.maximum}" if spec else ""
        raise ConfigError(f"{where} {name}: expected a whole number{rng}, got {raw!r}")
    return check_knob(name, int(text), where)


def env_var(name: str) -> str:
    return f"BIGDAY_TARGET_{name.upper()}"


def knobs_from_env(environ: Mapping[str, str] | None = None, base: Knobs | None = None) -> Knobs:
    """Server knobs from BIGDAY_TARGET_<KNOB> variables on top of ``base``."""
    env = os.environ if environ is None else environ
    values = {}
    for name in KNOB_NAMES:
        var = env_var(name)
        if env.get(var, "").strip():
            values[name] = parse_knob(name, env[var], where=f"environment variable {var}:")
    return replace(base or Knobs(), **values)


def request_overrides(query: Mapping[str, str]) -> dict[str, int]:
    """The knobs a request's query string sets explicitly (ConfigError on a bad value)."""
    return {name: parse_knob(name, query[name], where="query parameter") for name in KNOB_NAMES if name in query}


def overrides_query(overrides: Mapping[str, int], tenant: str) -> str:
    """The query string that carries a page's tenant and explicit knobs to its sub-resources."""
    return urlencode({"tenant": tenant, **{k: overrides[k] for k in KNOB_NAMES if k in overrides}})
