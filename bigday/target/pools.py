"""Worker pools for page, API and upload work: one per tenant (fair) or one FIFO pool for all (shared)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

ISOLATION_MODES = ("fair", "shared")
# Image work is background work: its helper processes run at a lower CPU priority than the server, so an
# upload flood cannot starve page and API threads of CPU (nor hold their GIL: it is another process).
HELPER_NICE = 10
T = TypeVar("T")


def _helper_init(nice: int) -> None:
    os.nice(nice)
    parent = os.getppid()

    def watch() -> None:
        # The forkserver that made us exits with the server; then we are orphaned and stop too.
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class HelperProcesses:
    """A process pool for CPU-heavy upload work, started on first use and restarted if a helper dies."""

    def __init__(self, size: int, name: str) -> None:
        self.size = size
        self.name = name
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("forkserver")
                # Helpers fork from a server that already imported Pillow, not from our threaded process.
                ctx.set_forkserver_preload(["bigday.target.uploads"])
                self._pool = ProcessPoolExecutor(self.size, mp_context=ctx, initializer=_helper_init,
                                                 initargs=(HELPER_NICE,))
            return self._pool

    def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn`` in a helper and wait (the calling worker thread stays busy, without the GIL)."""
        pool = self._executor()
        try:
            return pool.submit(fn, *args).result()
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return self._executor().submit(fn, *args).result()

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


class QueueFull(Exception):
    """A tenant already has as many jobs queued or running as its bound allows."""


class Ticket:
    """An admitted job slot of one tenant; released when its job finishes (or when never used)."""

    def __init__(self, pools: WorkerPools, tenant: str) -> None:
        self._pools = pools
        self.tenant = tenant
        self._released = False
        self._submitted = False

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn`` on the tenant's pool; the slot stays taken until the thread is done with it."""
        self._submitted = True
        future: Future[T] = self._pools.executor(self.tenant).submit(fn, *args)
        # Released from the worker thread when the job really ends, even if the client has gone away.
        future.add_done_callback(lambda _: self.release())
        return await asyncio.wrap_future(future)

    def release(self) -> None:
        self._pools._release(self)

    def close_unused(self) -> None:
        if not self._submitted:
            self.release()


class WorkerPools:
    """Bounded worker threads and per-tenant admission; ``fair`` gives each tenant its own pool."""

    def __init__(self, tenant_ids: tuple[str, ...], isolation: str, workers: int, queue_limit: int) -> None:
        if isolation not in ISOLATION_MODES:
            raise ValueError(f"isolation must be one of {ISOLATION_MODES}, got {isolation!r}")
        self.isolation = isolation
        self.workers = workers
        self.queue_limit = queue_limit
        self._lock = threading.Lock()
        self._pending = {t: 0 for t in tenant_ids}
        self._rejected = {t: 0 for t in tenant_ids}
        if isolation == "shared":
            # Same total thread count as the fair pools together: only the partitioning differs.
            n = workers * len(tenant_ids)
            shared = ThreadPoolExecutor(max_workers=n, thread_name_prefix="pool-shared")
            helpers = HelperProcesses(n, "shared")
            self._executors = {t: shared for t in tenant_ids}
            self._helpers = {t: helpers for t in tenant_ids}
        else:
            self._executors = {
                t: ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"pool-{t}") for t in tenant_ids
            }
            # As many helpers as the pool has threads: a worker thread never waits for a helper.
            self._helpers = {t: HelperProcesses(workers, t) for t in tenant_ids}

    def executor(self, tenant: str) -> ThreadPoolExecutor:
        return self._executors[tenant]

    def helpers(self, tenant: str) -> HelperProcesses:
        return self._helpers[tenant]

    def admit(self, tenant: str) -> Ticket:
        """A slot for one job of ``tenant``, or QueueFull when it already has ``queue_limit`` jobs."""
        with self._lock:
            if self._pending[tenant] >= self.queue_limit:
                self._rejected[tenant] += 1
                raise QueueFull(tenant)
            self._pending[tenant] += 1
        return Ticket(self, tenant)

    def _release(self, ticket: Ticket) -> None:
        with self._lock:
            if ticket._released:
                return
            ticket._released = True
            self._pending[ticket.tenant] -= 1

    def stats(self) -> dict[str, object]:
        with self._lock:
            return {
                "isolation": self.isolation,
                "workers_per_pool": self.workers,
                "queue_limit": self.queue_limit,
                "pending": dict(self._pending),
                "rejected": dict(self._rejected),
            }

    def shutdown(self) -> None:
        for ex in set(self._executors.values()):
            ex.shutdown(wait=False, cancel_futures=True)
        for helpers in set(self._helpers.values()):
            helpers.shutdown()
