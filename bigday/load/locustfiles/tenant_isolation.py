"""Does one studio's upload spike hurt another studio? Victim alone, aggressor spike beside it, aggressor gone.

Run it through ``bigday load isolation`` or with plain Locust:

    locust -f locustfiles/tenant_isolation.py --host http://127.0.0.1:8000 --headless [--phase 20s]

The victim and aggressor tenants, their journeys, tolerance and SLA come from the scenario's ``load.isolation``;
the verdict (bootstrap interval on the victim's p95/p99 ratio) is written to the run folder's load_stats.json.

Shipped inside the package (bigday/load/locustfiles/); the repository's locustfiles/ links to this file.
"""

from bigday.load.locust_runtime import install
from bigday.load.shapes import IsolationShape
from bigday.load.users import AggressorUser, VictimUser

install("isolation")

__all__ = ["VictimUser", "AggressorUser", "IsolationShape"]
