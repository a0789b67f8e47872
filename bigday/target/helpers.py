"""Helper processes for CPU-heavy upload work: outside the server's GIL, at a lower CPU priority.

Each helper is a forked process on a pipe; a worker thread borrows one for a job and waits on the pipe, so
the thread stays busy (the pool's worker time is real) while the server keeps its GIL and its CPU share.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

# Image work is background work: a flood of uploads must not take CPU from page and API threads.
HELPER_NICE = 10  # where SCHED_IDLE is not available
# Share of one core a helper may spend on image work, on average: after each job it rests in proportion to
# the CPU the job took. Scheduling priority cannot keep a decode's memory traffic off the cores other
# tenants' requests run on (measured here: two idle-priority processes copying large arrays raised a
# victim's p95 by ~1.14x, while pure arithmetic did not raise it at all); a budget can.
DEFAULT_CPU_SHARE = 0.5
T = TypeVar("T")


class HelperCrashed(RuntimeError):
    """A helper process died while working on a job."""


def lower_priority(nice: int = HELPER_NICE) -> str:
    """Make this process background work: SCHED_IDLE where the OS has it, else a higher nice value.

    On Linux's EEVDF scheduler a nice value alone lets a busy background task finish its slice before a
    woken request thread runs (measured here: +2 ms on a victim tenant's p95); an idle-policy task is
    preempted at once. The price: on a machine saturated by other work, helpers progress slowly.
    """
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle"
        except OSError:
            pass
    os.nice(nice)
    return f"nice {nice}"


def _helper_main(conn: Connection, nice: int, cpu_share: float) -> None:
    lower_priority(nice)
    parent = os.getppid()

    def watch() -> None:
        # The forkserver that made us exits with the server; then we are orphaned and stop too.
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        cpu0 = time.process_time()
        try:
            reply: tuple[bool, Any] = (True, fn(*args))
        except Exception as e:  # handed back to the worker thread, which re-raises it
            reply = (False, e)
        # The rest comes before the reply, so the worker thread, and the tenant's slot, stay taken: the
        # budget paces the pool's throughput, not just this process.
        time.sleep(rest_after(time.process_time() - cpu0, cpu_share))
        try:
            conn.send(reply)
        except Exception as e:  # an unpicklable error: send its text instead
            conn.send((False, HelperCrashed(f"{type(e).__name__}: {e}")))


def rest_after(cpu_s: float, cpu_share: float) -> float:
    """Seconds to rest after a job that used ``cpu_s`` of CPU, so work plus rest uses ``cpu_share`` of a core."""
    return max(0.0, cpu_s) * (1.0 / cpu_share - 1.0)


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    # Helpers fork from a small server that already imported Pillow, not from our threaded process.
    ctx.set_forkserver_preload(["bigday.target.uploads"])
    return ctx


class _Helper:
    """One helper process and our end of its pipe."""

    def __init__(self, cpu_share: float) -> None:
        ctx = _context()
        ours, theirs = ctx.Pipe()
        self.proc = ctx.Process(
            target=_helper_main, args=(theirs, HELPER_NICE, cpu_share), daemon=True, name="upload-helper"
        )
        self.proc.start()
        theirs.close()
        self.conn: Connection = ours

    def call(self, fn: Callable[..., T], args: tuple[object, ...]) -> tuple[bool, Any]:
        """(True, result) or (False, the exception the job raised)."""
        self.conn.send((fn, args))
        reply: tuple[bool, Any] = self.conn.recv()
        return reply

    def close(self) -> None:
        self.conn.close()
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=2)


class HelperProcesses:
    """Up to ``size`` helpers (one per worker thread of the pool), started on first use.

    Each helper spends at most ``cpu_share`` of a core on image work, averaged over its jobs."""

    def __init__(self, size: int, name: str, cpu_share: float = DEFAULT_CPU_SHARE) -> None:
        if not 0 < cpu_share <= 1:
            raise ValueError(f"cpu_share must be in (0, 1], got {cpu_share}")
        self.size = size
        self.name = name
        self.cpu_share = cpu_share
        self._lock = threading.Lock()
        self._idle: queue.SimpleQueue[_Helper] = queue.SimpleQueue()
        self._alive = 0
        self._closed = False

    def _borrow(self) -> _Helper:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            start = self._alive < self.size
            if start:
                self._alive += 1
        if not start:
            return self._idle.get()
        try:
            return _Helper(self.cpu_share)
        except BaseException:
            with self._lock:
                self._alive -= 1
            raise

    def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(*args)`` in a helper; the calling thread waits on the pipe without the GIL."""
        helper = self._borrow()
        try:
            ok, value = helper.call(fn, args)
        except BaseException as e:
            # A helper whose conversation broke off (it died, or we stopped midway) may still owe a reply:
            # never lend it again.
            helper.close()
            with self._lock:
                self._alive -= 1
            if isinstance(e, (EOFError, OSError)):
                raise HelperCrashed(f"an upload helper of pool {self.name!r} died: {type(e).__name__}") from None
            raise
        self._idle.put(helper)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def shutdown(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
