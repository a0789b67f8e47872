"""Load goes to loopback, or to an allow-listed host with explicit permission; nothing else."""

from __future__ import annotations

import socket

import pytest

from bigday.errors import ConfigError, TargetUnreachable
from bigday.load.safety import check_host_allowed, check_reachable, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_loopback(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "example.com", "0.0.0.0", "192.168.1.2"])
def test_not_loopback(host):
    assert not is_loopback(host)


def test_loopback_always_allowed():
    check_host_allowed("http://127.0.0.1:8000", (), permission=False)
    check_host_allowed("http://[::1]:8000/app", (), permission=False)


def test_other_hosts_need_the_allowlist_and_permission():
    with pytest.raises(ConfigError, match="not in the scenario's load.allow_hosts"):
        check_host_allowed("https://prod.example.com", ("staging.example.com",), permission=True)
    with pytest.raises(ConfigError, match="--i-have-permission"):
        check_host_allowed("https://staging.example.com", ("staging.example.com",), permission=False)
    check_host_allowed("https://Staging.Example.com", ("staging.example.com",), permission=True)
    with pytest.raises(ConfigError, match="http"):
        check_host_allowed("ftp://127.0.0.1", (), permission=False)


def test_unreachable_target():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        with pytest.raises(TargetUnreachable, match="unreachable"):
            check_reachable(f"http://127.0.0.1:{port}", timeout_s=2)
