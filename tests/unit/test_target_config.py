"""TargetConfig: validation at the edge, and keyword overrides for running_target."""

from __future__ import annotations

import pytest

from bigday.errors import ConfigError
from bigday.target.server import TargetConfig


def test_defaults():
    c = TargetConfig()
    assert (c.host, c.port, c.isolation, c.workers, c.upload_limit_bytes) == ("127.0.0.1", 0, "fair", 1, 20_000_000)
    assert c.upload_cpu_share == 0.5


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"host": "0.0.0.0"}, "loopback"),
        ({"isolation": "fifo"}, "isolation"),
        ({"workers": 0}, "workers"),
        ({"port": 70000}, "port"),
        ({"upload_limit_bytes": 0}, "upload"),
        ({"upload_cpu_share": 0}, "upload_cpu_share"),
        ({"upload_cpu_share": 1.5}, "share of one core"),
    ],
)
def test_bad_values_are_config_errors(kwargs, word):
    with pytest.raises(ConfigError, match=word):
        TargetConfig(**kwargs)


def test_with_overrides_takes_fields_and_knobs():
    c = TargetConfig().with_overrides(isolation="shared", lcp_delay=1500, shift=40)
    assert c.isolation == "shared"
    assert (c.knobs.lcp_delay, c.knobs.shift, c.knobs.shift_at) == (1500, 40, 300)


def test_with_overrides_refuses_unknown_names_and_bad_knobs():
    with pytest.raises(ConfigError, match="unknown option 'lcp'"):
        TargetConfig().with_overrides(lcp=5)
    with pytest.raises(ConfigError, match="long_task"):
        TargetConfig().with_overrides(long_task=-1)
