"""The busiest Saturday: the scenario's journeys (photographers uploading while planners and couples browse, in
the example), shaped by its stages.

Run it through ``bigday load saturday`` or with plain Locust (web UI included):

    locust -f locustfiles/saturday_spike.py --host http://127.0.0.1:8000 [--scenario FILE] [--peak-users N]
    locust -f locustfiles/saturday_spike.py --host http://127.0.0.1:8000 --headless -u 20 -t 10s

Journeys, mix, tenants, think times and stages come from the scenario's ``load`` section
(scenarios/wedsync.yaml by default); ``-u``/``-r``/``-t`` replace the stages with a ramp and a steady stage.
Results land in a run folder under results/ (or --bigday-out).

Shipped inside the package (bigday/load/locustfiles/); the repository's locustfiles/ links to this file.
"""

from bigday.load.locust_runtime import install
from bigday.load.shapes import SaturdayShape
from bigday.load.users import JourneyUser

install("saturday")


class ScenarioUser(JourneyUser):
    """One user per scenario journey, chosen by load.user_mix (the class Locust lists and counts)."""


__all__ = ["ScenarioUser", "SaturdayShape"]
