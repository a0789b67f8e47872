"""Serve the reference target in the foreground, or start one in a subprocess for a run or a test."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bigday.errors import ConfigError, RunError
from bigday.settings import children, sockets
from bigday.target.helpers import DEFAULT_CPU_SHARE
from bigday.target.knobs import DEFAULT_RUM_ENDPOINT, KNOB_NAMES, Knobs, check_knob
from bigday.target.pools import ISOLATION_MODES

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
GIL_SWITCH_INTERVAL_S = 0.0005
MIN_CPU_SHARE = 0.05


def _rum_endpoint_problem(url: str) -> str | None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not parts.path.endswith("/rum") or parts.query or parts.fragment:
        return f"expected a collector's URL like http://127.0.0.1:8080/rum, got {url!r}"
    if host not in LOOPBACK_HOSTS and host != "localhost" and not host.endswith(".localhost"):
        return f"the reference target's pages send beacons to loopback only, got host {host!r}"
    return None


@dataclass(frozen=True)
class TargetConfig:
    """How to run the reference target: address, isolation, pool sizes, upload limit, scenario, knobs."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port chosen by the OS
    isolation: str = "fair"
    workers: int = 1  # threads per pool (fair: per tenant; shared: this × tenants in one pool)
    queue_limit: int = 16  # jobs one tenant may have queued or running; more get 503 + Retry-After
    upload_limit_bytes: int = 20_000_000
    upload_cpu_share: float = DEFAULT_CPU_SHARE  # of one core, per upload helper (one per worker thread)
    scenario: Path | None = None  # None: scenarios/wedsync.yaml
    knobs: Knobs = field(default_factory=Knobs)
    start_timeout_s: float = 30.0
    rum_endpoint: str = DEFAULT_RUM_ENDPOINT  # the collector the snippet sends to (the rum knob)

    def __post_init__(self) -> None:
        if self.host not in LOOPBACK_HOSTS:
            raise ConfigError(
                f"target host {self.host!r}: the reference target only serves on loopback ({', '.join(LOOPBACK_HOSTS)})"
            )
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"target port: expected 0..65535, got {self.port}")
        if self.isolation not in ISOLATION_MODES:
            raise ConfigError(f"target isolation: expected one of {', '.join(ISOLATION_MODES)}, got {self.isolation!r}")
        if not 1 <= self.workers <= 64:
            raise ConfigError(f"target workers: expected 1..64 threads per pool, got {self.workers}")
        if not 1 <= self.queue_limit <= 100_000:
            raise ConfigError(f"target queue_limit: expected 1..100000, got {self.queue_limit}")
        if not MIN_CPU_SHARE <= self.upload_cpu_share <= 1:
            raise ConfigError(
                f"target upload_cpu_share: expected a share of one core from {MIN_CPU_SHARE:g} to 1, "
                f"got {self.upload_cpu_share:g}"
            )
        if not 1 <= self.upload_limit_bytes <= 2_000_000_000:
            raise ConfigError(f"target upload limit: expected 1 B..2 GB, got {self.upload_limit_bytes} bytes")
        if (problem := _rum_endpoint_problem(self.rum_endpoint)) is not None:
            raise ConfigError(f"target rum_endpoint: {problem}")
        if self.start_timeout_s <= 0:
            raise ConfigError(f"target start_timeout_s: expected a positive number, got {self.start_timeout_s}")

    def with_overrides(self, **overrides: Any) -> TargetConfig:
        """A copy with config fields and/or knobs replaced (knobs by name: ``lcp_delay=1500``)."""
        config_fields = {f.name for f in fields(self)}
        knob_values = {}
        config_values = {}
        for name, value in overrides.items():
            if name in KNOB_NAMES:
                knob_values[name] = check_knob(name, value, where="running_target")
            elif name in config_fields:
                config_values[name] = value
            else:
                raise ConfigError(
                    f"running_target: unknown option {name!r}; expected a TargetConfig field "
                    f"({', '.join(sorted(config_fields))}) or a knob ({', '.join(KNOB_NAMES)})"
                )
        knobs = replace(config_values.pop("knobs", self.knobs), **knob_values)
        return replace(self, knobs=knobs, **config_values)

    def summary(self, scenario_tenants: tuple[str, ...]) -> str:
        return f"isolation={self.isolation}, tenants={','.join(scenario_tenants)}"


def bind_socket(host: str, port: int) -> socket.socket:
    return sockets.listen(host, port, backlog=2048)


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _watch_parent(parent_pid: int) -> None:
    """Stop this server when the process that started it is gone (it was killed without stopping us)."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _loop_impl() -> str:
    # uvloop and httptools halve the event loop's cost per request, which is shared by every tenant;
    # without them the server still works on asyncio and h11.
    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


def _http_impl() -> str:
    return "httptools" if importlib.util.find_spec("httptools") else "h11"


def serve(
    config: TargetConfig,
    sock: socket.socket | None = None,
    parent_pid: int | None = None,
    announce: Callable[[str], None] | None = None,
) -> int:
    """Serve in the foreground until SIGINT/SIGTERM; returns the exit code (0 on a clean stop)."""
    import uvicorn  # here, so importing this module for running_target stays light

    from bigday.settings.scenario import load_scenario
    from bigday.target.app import AppSettings, build_app

    scenario = load_scenario(config.scenario)
    # Upload threads run Python glue between Pillow's GIL-free C calls; a short switch interval keeps a
    # waiting page/API thread from sitting out CPython's default 5 ms slice behind them.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    settings = AppSettings(
        config.isolation,
        config.workers,
        config.queue_limit,
        config.upload_limit_bytes,
        config.knobs,
        config.upload_cpu_share,
        config.rum_endpoint,
    )
    app = build_app(scenario, settings)
    if sock is None:
        sock = bind_socket(config.host, config.port)
    if parent_pid is not None:
        _watch_parent(parent_pid)
    uv_config = uvicorn.Config(
        app,
        http=_http_impl(),
        loop=_loop_impl(),
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=3,
        backlog=2048,
    )
    server = uvicorn.Server(uv_config)
    # uvicorn re-raises the signal it caught after its graceful shutdown; these handlers make that a no-op
    # so a stop by SIGINT or SIGTERM is a clean exit 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    line = f"bigday target: serving {_url(sock)} ({config.summary(tuple(t.id for t in scenario.tenants))})"
    (announce or (lambda s: print(s, flush=True)))(line)
    server.run(sockets=[sock])
    return 0


def _child_command(config: TargetConfig, fd: int) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "bigday.target",
        "--fd",
        str(fd),
        "--parent-pid",
        str(os.getpid()),
        "--isolation",
        config.isolation,
        "--workers",
        str(config.workers),
        "--queue-limit",
        str(config.queue_limit),
        "--upload-limit",
        str(config.upload_limit_bytes),
        "--upload-cpu-share",
        repr(config.upload_cpu_share),
        "--rum-endpoint",
        config.rum_endpoint,
    ]
    if config.scenario is not None:
        cmd += ["--scenario", str(config.scenario)]
    # Every knob explicitly, so the config alone decides (BIGDAY_TARGET_* in our environment does not leak in).
    for name, value in config.knobs.as_dict().items():
        cmd += [f"--{name.replace('_', '-')}", str(value)]
    return cmd


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return text[-limit:].replace("\n", " | ") if text else "(no output)"


class TargetServer:
    """A reference target in a subprocess on a free loopback port; ``start()``, ``base_url``, ``stop()``."""

    def __init__(self, config: TargetConfig | None = None, **overrides: Any) -> None:
        self.config = (config or TargetConfig()).with_overrides(**overrides)
        self.base_url = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> str:
        if self._proc is not None:
            raise RunError("the reference target is already running")
        # We bind the port and hand the listening socket to the child: no race for a "free" port.
        sock = bind_socket(self.config.host, self.config.port)
        self.base_url = _url(sock)
        fd, log_name = tempfile.mkstemp(prefix="bigday-target-", suffix=".log")
        self._log = Path(log_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BIGDAY_TARGET_")}
        try:
            self._proc = subprocess.Popen(
                _child_command(self.config, sock.fileno()),
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=fd,
                pass_fds=(sock.fileno(),),
                env=env,
                preexec_fn=children.preexec(),  # noqa: PLW1509 -- dies with bigday, SIGKILL included
            )
        except OSError as e:
            raise RunError(f"cannot start the reference target: {e}") from None
        finally:
            os.close(fd)
            sock.close()
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def _wait_healthy(self) -> None:
        assert self._proc is not None and self._log is not None
        deadline = time.monotonic() + self.config.start_timeout_s
        while True:
            code = self._proc.poll()
            if code is not None:
                raise RunError(f"the reference target exited with code {code} while starting: {_tail(self._log)}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2.0) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RunError(
                    f"the reference target did not answer {self.base_url}/healthz within "
                    f"{self.config.start_timeout_s:g}s: {_tail(self._log)}"
                )
            time.sleep(0.05)

    def stop(self, timeout_s: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout_s)
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def running_target(config: TargetConfig | None = None, **overrides: Any) -> Iterator[str]:
    """Start the reference target in a subprocess, yield its base URL, and stop it afterwards.

    ``overrides`` are TargetConfig fields or knobs: ``running_target(isolation="shared", lcp_delay=1500)``.
    """
    server = TargetServer(config, **overrides)
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()


def set_faults(base_url: str, **switches: object) -> dict[str, Any]:
    """Turn runtime fault switches on (``jank=200``, ``down=True``, ``errors=50``) on a running target."""
    return _admin(base_url, "POST", switches)


def clear_faults(base_url: str) -> dict[str, Any]:
    """Turn every runtime fault switch off."""
    return _admin(base_url, "DELETE", None)


def _admin(base_url: str, method: str, body: dict[str, object] | None) -> dict[str, Any]:
    import json

    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"{base_url.rstrip('/')}/_admin/faults", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=5.0) as r:
            answer: dict[str, Any] = json.loads(r.read())
            return answer
    except urllib.error.HTTPError as e:
        raise ConfigError(f"fault switches: {e.code} {e.read().decode(errors='replace')[:300]}") from None
    except (urllib.error.URLError, OSError) as e:
        raise RunError(f"fault switches at {base_url}: no answer ({e})") from None
