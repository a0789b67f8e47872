"""Load shapes built from the plan's stages: the Saturday spike and the three-phase isolation check.

Only the master (or the single local process) ticks a shape.  Shapes read the runtime's clock (started at
test_start), not Locust's own shape timer, which the local runner starts before test_start; phases follow
the same clock and are broadcast to workers, so a ramp that Locust is still spawning cannot delay them.
"""

from __future__ import annotations

from locust import LoadTestShape

from bigday.load.locust_runtime import current_plan, elapsed, sync_phase
from bigday.load.plan import stage_at
from bigday.load.users import AggressorUser, VictimUser, active_classes

# Users start and stop this fast when a stage changes the user count abruptly (the isolation phases).
STEP_SPAWN_RATE = 100.0


class SaturdayShape(LoadTestShape):
    """Baseline, ramp, spike plateau, ramp down: each stage reaches its users linearly over its duration."""

    def tick(self) -> tuple[int, float, list] | None:
        plan = current_plan()
        t = elapsed()
        sync_phase(plan, t)
        found = stage_at(plan.stages, t)
        if found is None:
            return None
        _, stage, prev_users = found
        rate = max(abs(stage.users - prev_users) / stage.duration_s, 1.0)
        assert self.runner is not None
        return stage.users, rate, active_classes(self.runner.environment, plan)


class IsolationShape(LoadTestShape):
    """Victim alone, aggressor's spike beside it, aggressor gone (after a short warm-up)."""

    def tick(self) -> tuple[int, float, list] | None:
        plan = current_plan()
        t = elapsed()
        sync_phase(plan, t)
        found = stage_at(plan.stages, t)
        if found is None:
            return None
        _, stage, _ = found
        classes: list = [VictimUser, AggressorUser] if stage.name == "spike" else [VictimUser]
        return stage.users, STEP_SPAWN_RATE, classes
