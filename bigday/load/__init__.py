"""Load rehearsals: Locust users following the scenario's journeys, the Saturday shape and the tenant-isolation
verdict.

``from bigday.load import TenantUser`` gives a locustfile of your own the base class of bigday's users
(docs/real-app.md). It is imported only when asked for: importing Locust monkey-patches the interpreter with
gevent, which the rest of bigday must not inherit.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "TenantUser":
        from bigday.load.users import TenantUser

        return TenantUser
    raise AttributeError(f"module 'bigday.load' has no attribute {name!r}")
