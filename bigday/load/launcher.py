"""Running Locust as a child process: build its command line, enforce the hard time limit, translate failures.

Locust runs out of process because importing it monkey-patches the interpreter with gevent, which the rest of
bigday (Playwright, the store) must not inherit.  Its stderr goes to ``locust.log`` in the run folder; known
failures become one-line ConfigError/RunError messages.
"""

from __future__ import annotations

import dataclasses
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psutil

from bigday.errors import EXIT_RUN_FAILED, ConfigError, RunError
from bigday.runfolder import RunFile, RunFolder, redact_file
from bigday.settings import children, environment

# Package data, so an installed bigday finds them too; the repository's locustfiles/ links to the same files.
LOCUSTFILES = Path(str(resources.files("bigday.load") / "locustfiles"))
LOCUSTFILE_FOR = {"saturday": LOCUSTFILES / "saturday_spike.py", "isolation": LOCUSTFILES / "tenant_isolation.py"}
# Options bigday sets itself; passing them through would fight the plan.
OWNED_OPTIONS = {
    "-f": "the rehearsal name",
    "--locustfile": "the rehearsal name",
    "-H": "--base-url",
    "--host": "--base-url",
    "--headless": "(always headless)",
    "--processes": "--processes",
    # Locust ignores its own --run-time when a shape is present; bigday enforces the limit itself.
    "-t": "bigday's --run-time",
    "--run-time": "bigday's --run-time",
    "--html": "(always written to the run folder)",
    "--worker": "plain `locust --worker` (see docs/load.md)",
    "--master": "--expect-workers",
    "-u": "--peak-users",
    "--users": "--peak-users",
    "-r": "--peak-users",
    "--spawn-rate": "--peak-users",
    "--expect-workers": "--expect-workers",
}
# Time Locust gets beyond the plan's hard limit to stop users, gather the last worker reports and write results.
SHUTDOWN_GRACE_S = 45.0


@dataclass(frozen=True)
class LocustLaunch:
    """One Locust invocation, fully resolved."""

    locustfile: Path
    host: str
    plan_path: Path
    out_dir: Path
    hard_limit_s: float
    processes: int = 1
    expect_workers: int | None = None
    master_bind_host: str = "127.0.0.1"
    master_bind_port: int | None = None
    permission: bool = False
    extra_args: tuple[str, ...] = ()
    log_path: Path | None = None
    wait_for_workers_s: float = 120.0


@dataclass(frozen=True)
class LocustOutcome:
    """How the Locust process ended."""

    returncode: int
    elapsed_s: float
    log_path: Path
    killed: bool


def check_extra_args(args: tuple[str, ...]) -> None:
    for a in args:
        opt = a.split("=", 1)[0]
        if opt in OWNED_OPTIONS:
            raise ConfigError(f"locust option {opt} is set by bigday; use {OWNED_OPTIONS[opt]} instead")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def locust_command(launch: LocustLaunch) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(launch.locustfile),
        "--headless",
        "--host",
        launch.host,
        "--bigday-plan",
        str(launch.plan_path),
        "--bigday-out",
        str(launch.out_dir),
        "--html",
        str(RunFolder(launch.out_dir).file(RunFile.LOCUST_REPORT)),
        "--stop-timeout",
        "5",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    if launch.expect_workers:
        cmd += [
            "--master",
            "--expect-workers",
            str(launch.expect_workers),
            "--master-bind-host",
            launch.master_bind_host,
            "--expect-workers-max-wait",
            str(int(launch.wait_for_workers_s)),
        ]
        if launch.master_bind_port:
            cmd += ["--master-bind-port", str(launch.master_bind_port)]
    elif launch.processes > 1:
        # Locust's implicit master binds every interface on 5557 by default: bind loopback on a free port
        # instead, so two runs on one machine cannot collide and nothing listens beyond this host.
        port = launch.master_bind_port or free_port()
        cmd += [
            "--processes",
            str(launch.processes),
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--master-port",
            str(port),
        ]
    if launch.permission:
        cmd.append("--i-have-permission")
    cmd += list(launch.extra_args)
    return cmd


def kill_tree(pid: int, grace_s: float = 5.0) -> None:
    """Stop a process we started and every process it started, by PID: SIGTERM, then SIGKILL."""
    try:
        root = psutil.Process(pid)
        procs = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        try:
            p.send_signal(signal.SIGTERM)
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace_s)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace_s)


def run_locust(launch: LocustLaunch, grace_s: float = SHUTDOWN_GRACE_S) -> LocustOutcome:
    """Run Locust to completion or to the hard limit (+ grace), then kill it and its workers by PID."""
    # Absolute before the child starts: it runs in the run folder, where a relative path means something else.
    launch = dataclasses.replace(
        launch,
        plan_path=launch.plan_path.absolute(),
        out_dir=launch.out_dir.absolute(),
        log_path=launch.log_path.absolute() if launch.log_path else None,
    )
    log_path = launch.log_path or RunFolder(launch.out_dir).file(RunFile.LOCUST_LOG)
    deadline = launch.hard_limit_s + grace_s + (launch.wait_for_workers_s if launch.expect_workers else 0.0)
    env = environment.child_environment()
    env.setdefault("PYTHONUNBUFFERED", "1")
    start = time.monotonic()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            locust_command(launch),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=launch.out_dir,
            preexec_fn=children.preexec(),  # noqa: PLW1509 -- only prctl, no locks: safe with threads
        )
        try:
            rc = proc.wait(timeout=deadline)
            killed = False
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid)
            rc = proc.wait()
            killed = True
        except BaseException:
            kill_tree(proc.pid)
            proc.wait()
            raise
    # Locust writes these itself, with the host it was given (user info and all): redact them as bigday's own.
    redact_file(RunFolder(launch.out_dir).file(RunFile.LOCUST_REPORT))
    redact_file(log_path)
    return LocustOutcome(rc, time.monotonic() - start, log_path, killed)


_UNRECOGNISED = re.compile(r"unrecognized arguments: (.+)$")
_BAD_ARGUMENT = re.compile(r"error: (argument .+)$")
_UNKNOWN_USER = re.compile(r"Unknown User\(s\): (.+)$")
_OUR_ERROR = re.compile(r"bigday: error: (.+)$")
_NO_WORKERS = re.compile(r"Gave up waiting for workers to connect")


def explain_failure(outcome: LocustOutcome) -> Exception:
    """The one-line error a failed Locust run deserves, read from its log."""
    try:
        lines = outcome.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        if m := _OUR_ERROR.search(line):
            # Locust exits 3 for what bigday found wrong with the app or the environment (a sign-in that
            # fails), 2 for what is wrong with the input.
            error = RunError if outcome.returncode == EXIT_RUN_FAILED else ConfigError
            return error(m.group(1).strip())
        if m := _UNRECOGNISED.search(line):
            return ConfigError(f"locust option not recognised: {m.group(1).strip()} (see `locust --help`)")
        if m := _BAD_ARGUMENT.search(line):
            return ConfigError(f"locust {m.group(1).strip()}")
        if m := _UNKNOWN_USER.search(line):
            return ConfigError(f"unknown user class {m.group(1).strip()}")
        if _NO_WORKERS.search(line):
            return RunError(
                "the Locust master gave up waiting for its workers; start them with "
                "`locust -f LOCUSTFILE --worker --master-host HOST` (docs/load.md)"
            )
    if outcome.killed:
        return RunError(f"locust did not stop within its hard time limit and was killed (log: {outcome.log_path})")
    tail = next((ln.strip() for ln in reversed(lines) if ln.strip()), "no output")
    return RunError(
        f"locust exited with code {outcome.returncode} without results: {tail[:200]} (log: {outcome.log_path})"
    )
