"""The busiest Saturday: photographers uploading while planners and couples browse, shaped by the scenario.

Run it through ``bigday load saturday`` or with plain Locust (web UI included):

    locust -f locustfiles/saturday_spike.py --host http://127.0.0.1:8000 [--scenario FILE] [--peak-users N]

Users, tenants, think times and stages come from the scenario's ``load`` section (scenarios/wedsync.yaml by
default); results land in a run folder under results/ (or --bigday-out).

Shipped inside the package (bigday/load/locustfiles/); the repository's locustfiles/ links to this file.
"""

from bigday.load.locust_runtime import install
from bigday.load.shapes import SaturdayShape
from bigday.load.users import CoupleUser, PhotographerUser, PlannerUser

install("saturday")

__all__ = ["PhotographerUser", "PlannerUser", "CoupleUser", "SaturdayShape"]
