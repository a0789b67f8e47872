"""Child processes die with their parent, SIGKILL included.

Two ways, for two kinds of children. The ones bigday starts itself ask the kernel (below); the ones a library
starts out of reach (Playwright's driver and the Chromium it launches) are ended by a watchdog (further on).

Linux's ``PR_SET_PDEATHSIG`` asks the kernel to signal a process when the one that started it ends, however
it ends: a ``bigday load`` killed with SIGKILL can clean nothing up itself, so its Locust master, the Locust
workers the master forks and the embedded target must each have asked beforehand. ``die_with_parent`` is
that request, made in the child: before ``exec`` (``preexec``, for ``subprocess.Popen``) or right after a
fork (``die_with_parent_after_fork``, for processes that fork their own workers).

The signal follows the *thread* that started the child: bigday starts its children from the main thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import psutil

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None, sig: int = signal.SIGKILL) -> None:
    """In a child: be sent ``sig`` when the parent ends; exit at once if ``parent`` has already ended."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        return
    # The parent may have died between the fork and the request: then nobody is left to signal us.
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def preexec() -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess.Popen`` that makes the child die with this process."""
    me = os.getpid()
    return lambda: die_with_parent(me)


_forking: list[int] = []


def die_with_parent_after_fork() -> None:
    """Every process this one forks from now on (Locust's ``--processes`` workers) dies with it."""
    os.register_at_fork(
        before=lambda: _forking.append(os.getpid()),
        after_in_parent=lambda: _forking.clear(),
        after_in_child=lambda: die_with_parent(_forking.pop() if _forking else None),
    )


# Playwright starts its Node driver itself (no hook for a preexec) and the driver starts Chromium in a process
# group of its own: neither can ask the kernel to die with bigday. A watchdog can: a small process started
# with a pipe from this one, told the PIDs to end. When this process ends, however it ends, the kernel closes
# the pipe; the watchdog reads end-of-file, kills each watched process with everything it started, and exits.
_WATCHDOG_CODE = "from bigday.settings.children import watchdog_main; watchdog_main()"


class _Watchdog:
    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def watch(self, pids: Iterable[int]) -> None:
        lines = []
        for pid in pids:
            try:
                lines.append(f"{pid} {psutil.Process(pid).create_time()!r}\n")
            except psutil.Error:
                continue  # already gone
        if not lines:
            return
        with self._lock:
            try:
                if self._proc is None or self._proc.poll() is not None:
                    self._proc = subprocess.Popen(
                        [sys.executable, "-c", _WATCHDOG_CODE],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,  # Ctrl-C at the terminal is for bigday, not for its watchdog
                    )
                assert self._proc.stdin is not None
                self._proc.stdin.write("".join(lines).encode())
                self._proc.stdin.flush()
            except OSError:
                return  # no watchdog: the children still end when bigday closes them, as before


_watchdog = _Watchdog()


def watch(pids: Iterable[int]) -> None:
    """End ``pids`` (and what they start) when this process ends, SIGKILL included."""
    _watchdog.watch(pids)


def descendants() -> set[int]:
    """The PIDs of every process this one started, and theirs."""
    try:
        return {p.pid for p in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return set()


@contextmanager
def watched_children() -> Iterator[None]:
    """Processes started during the block (by a library, as Playwright does) are ended when this process ends,
    SIGKILL included, with everything they start meanwhile."""
    before = descendants()
    try:
        yield
    finally:
        _watchdog.watch(sorted(descendants() - before))


def _tree(pid: int, created: float) -> list[psutil.Process]:
    try:
        p = psutil.Process(pid)
        if p.create_time() != created:
            return []  # the PID was reused by a process that is not ours
        return [p, *p.children(recursive=True)]
    except psutil.Error:
        return []


def watchdog_main() -> None:
    """The watchdog process: read ``PID CREATE_TIME`` lines until end-of-file, then end those processes."""
    watched: dict[int, float] = {}
    for line in sys.stdin:
        pid, created = line.split()
        watched[int(pid)] = float(created)
    # Collect every tree first, then kill: a parent killed first would hand its children to init.
    doomed = [p for pid, created in watched.items() for p in _tree(pid, created)]
    for p in doomed:
        with contextlib.suppress(psutil.Error):
            p.kill()
