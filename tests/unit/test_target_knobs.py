"""Knob parsing: per request (query), per server (flags, BIGDAY_TARGET_* environment), with bounds."""

from __future__ import annotations

import argparse

import pytest

from bigday.errors import ConfigError
from bigday.target.knobs import KNOB_NAMES, Knobs, knobs_from_env, overrides_query, request_overrides
from bigday.target.main import add_target_arguments, config_from_args


def test_defaults_and_names_match_the_contract():
    assert KNOB_NAMES == (
        "server_delay",
        "lcp_delay",
        "shift",
        "shift_at",
        "long_task",
        "jank",
        "jank_every",
        "slow_handler",
        "extra_js",
        "errors",
        "timer_hero",
        "raf_hero",
        "a11y",
        "rum",
        "uncompressed",
        "no_cache",
        "cdn_miss",
        "heavy_image",
        "oversized_image",
        "blocking_script",
        "unused_js",
        "lcp_lazy",
        "redirect",
        "unused_css",
        "third_party",
    )
    k = Knobs()
    assert (k.shift_at, k.jank_every, k.lcp_delay) == (300, 100, 0)
    assert k.non_default() == {}


def test_query_overrides_only_what_it_names():
    assert request_overrides({"lcp_delay": "1500", "tenant": "lumen", "q": "x"}) == {"lcp_delay": 1500}


@pytest.mark.parametrize("raw", ["abc", "-5", "1.5", "", "99999999"])
def test_bad_query_values_are_refused_with_the_name(raw):
    with pytest.raises(ConfigError, match="lcp_delay"):
        request_overrides({"lcp_delay": raw})


def test_jank_every_cannot_be_zero():
    with pytest.raises(ConfigError, match="jank_every"):
        Knobs(jank_every=0)


def test_overrides_query_carries_tenant_and_knobs_in_a_stable_order():
    assert overrides_query({"shift": 80, "lcp_delay": 10}, "petal") == "tenant=petal&lcp_delay=10&shift=80"


def test_environment_sets_server_knobs_and_names_a_bad_variable():
    assert knobs_from_env({"BIGDAY_TARGET_LCP_DELAY": "700", "BIGDAY_TARGET_SHIFT": " "}).lcp_delay == 700
    with pytest.raises(ConfigError, match="BIGDAY_TARGET_JANK"):
        knobs_from_env({"BIGDAY_TARGET_JANK": "lots"})


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_target_arguments(p)
    return p.parse_args(argv)


def test_flag_beats_environment_beats_default():
    env = {"BIGDAY_TARGET_LCP_DELAY": "700", "BIGDAY_TARGET_LONG_TASK": "90"}
    config = config_from_args(_args("--lcp-delay", "1200", "--isolation", "shared", "--upload-limit", "5MB"), env)
    assert config.knobs.lcp_delay == 1200
    assert config.knobs.long_task == 90
    assert config.knobs.shift == 0
    assert config.isolation == "shared"
    assert config.upload_limit_bytes == 5_000_000
