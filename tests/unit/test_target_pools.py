"""Worker pools: per-tenant admission bounds; fair pools are separate, the shared pool is one FIFO."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bigday.target.pools import QueueFull, WorkerPools

TENANTS = ("a", "b")


def test_fair_gives_each_tenant_its_own_pool_and_shared_one_for_all():
    fair = WorkerPools(TENANTS, "fair", workers=2, queue_limit=4)
    shared = WorkerPools(TENANTS, "shared", workers=2, queue_limit=4)
    try:
        assert fair.executor("a") is not fair.executor("b")
        assert shared.executor("a") is shared.executor("b")
        assert shared.executor("a")._max_workers == 4  # as many threads as the fair pools together
        assert fair.helpers("a") is not fair.helpers("b") and shared.helpers("a") is shared.helpers("b")
    finally:
        fair.shutdown()
        shared.shutdown()


def test_a_full_tenant_is_refused_while_others_are_admitted():
    pools = WorkerPools(TENANTS, "fair", workers=1, queue_limit=2)
    try:
        t1, t2 = pools.admit("a"), pools.admit("a")
        with pytest.raises(QueueFull):
            pools.admit("a")
        pools.admit("b").close_unused()
        t1.close_unused()
        pools.admit("a").close_unused()
        assert pools.stats()["rejected"] == {"a": 1, "b": 0}
        t2.close_unused()
        assert pools.stats()["pending"] == {"a": 0, "b": 0}
    finally:
        pools.shutdown()


def _run_in_own_loop(scenario) -> None:
    """asyncio.run on a thread of its own: a session-wide sync Playwright keeps a loop running in this one."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as e:  # re-raised in the test's thread
            errors.append(e)

    t = threading.Thread(target=target)
    t.start()
    t.join(30)
    assert not t.is_alive(), "the pool scenario did not finish within 30 s"
    if errors:
        raise errors[0]


def test_a_slot_is_held_until_the_job_really_ends():
    pools = WorkerPools(TENANTS, "shared", workers=1, queue_limit=1)
    gate = threading.Event()

    async def scenario() -> None:
        ticket = pools.admit("a")
        job = asyncio.ensure_future(ticket.run(gate.wait, 5))
        await asyncio.sleep(0.05)
        job.cancel()  # the client went away; the thread still runs
        await asyncio.sleep(0.05)
        with pytest.raises(QueueFull):
            pools.admit("a")
        gate.set()
        for _ in range(100):
            if pools.stats()["pending"]["a"] == 0:
                break
            await asyncio.sleep(0.01)
        pools.admit("a").close_unused()

    try:
        _run_in_own_loop(scenario)
    finally:
        gate.set()
        pools.shutdown()


def test_shared_pool_is_fifo_across_tenants():
    pools = WorkerPools(TENANTS, "shared", workers=1, queue_limit=10)  # 2 threads in one pool
    order: list[str] = []
    gate = threading.Event()

    def job(name: str) -> None:
        gate.wait(5)
        order.append(name)

    async def scenario() -> None:
        jobs = []
        for name in ("a1", "a2", "a3", "b1"):
            jobs.append(asyncio.ensure_future(pools.admit(name[0]).run(job, name)))
            await asyncio.sleep(0.01)
        gate.set()
        await asyncio.gather(*jobs)

    try:
        _run_in_own_loop(scenario)
    finally:
        pools.shutdown()
    # b1 was queued behind a3: with both threads busy, it cannot start before a3 does.
    assert order.index("b1") >= 2
