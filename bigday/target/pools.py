"""Worker pools for page, API and upload work: one per tenant (fair) or one FIFO pool for all (shared)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from bigday.target.helpers import DEFAULT_CPU_SHARE, HelperProcesses

ISOLATION_MODES = ("fair", "shared")
T = TypeVar("T")


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

    def __init__(
        self,
        tenant_ids: tuple[str, ...],
        isolation: str,
        workers: int,
        queue_limit: int,
        upload_cpu_share: float = DEFAULT_CPU_SHARE,
    ) -> None:
        if isolation not in ISOLATION_MODES:
            raise ValueError(f"isolation must be one of {ISOLATION_MODES}, got {isolation!r}")
        self.isolation = isolation
        self.workers = workers
        self.queue_limit = queue_limit
        self.upload_cpu_share = upload_cpu_share
        self._lock = threading.Lock()
        self._pending = {t: 0 for t in tenant_ids}
        self._rejected = {t: 0 for t in tenant_ids}
        if isolation == "shared":
            # Same total thread count as the fair pools together: only the partitioning differs.
            n = workers * len(tenant_ids)
            shared = ThreadPoolExecutor(max_workers=n, thread_name_prefix="pool-shared")
            helpers = HelperProcesses(n, "shared", upload_cpu_share)
            self._executors = {t: shared for t in tenant_ids}
            self._helpers = {t: helpers for t in tenant_ids}
        else:
            self._executors = {
                t: ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"pool-{t}") for t in tenant_ids
            }
            # As many helpers as the pool has threads: a worker thread never waits for a helper.
            self._helpers = {t: HelperProcesses(workers, t, upload_cpu_share) for t in tenant_ids}

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
                "upload_cpu_share": self.upload_cpu_share,
                "pending": dict(self._pending),
                "rejected": dict(self._rejected),
            }

    def shutdown(self) -> None:
        for ex in set(self._executors.values()):
            ex.shutdown(wait=False, cancel_futures=True)
        for helpers in set(self._helpers.values()):
            helpers.shutdown()
