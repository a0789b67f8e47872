"""Load shapes built from the plan's stages: the Saturday spike and the isolation check's phases or windows.

Only the master (or the single local process) ticks a shape.  Shapes read the run state's clock (started at
test_start) through their runner's environment, not Locust's own shape timer, which the local runner starts
before test_start; phases follow the same clock and are broadcast to workers, so a ramp that Locust is still
spawning cannot delay them.
"""

from __future__ import annotations

from locust import LoadTestShape, User
from locust.env import Environment

from bigday.load.locust_runtime import sync_phase
from bigday.load.plan import LoadPlan, Stage, stage_at, window_condition
from bigday.load.runtime_state import run_state
from bigday.load.users import AggressorUser, VictimUser, active_classes

# Users start and stop this fast when a stage changes the user count abruptly (the isolation phases).
STEP_SPAWN_RATE = 100.0

Tick = tuple[int, float, list[type[User]]] | None


class _PlanShape(LoadTestShape):
    abstract = True
    # Locust's -u/-r/-t are read (bigday.load.plan.with_locust_options), not ignored with a warning.
    use_common_options = True

    def _environment(self) -> Environment:
        assert self.runner is not None, "Locust ticks a shape only once it has a runner"
        return self.runner.environment

    def _stage(self) -> tuple[LoadPlan, Stage, int] | None:
        """The plan and the stage the run is in now (with the users the stage starts from), phase in step."""
        env = self._environment()
        state = run_state(env)
        plan = state.require_plan()
        t = state.elapsed()
        sync_phase(env, t)
        found = stage_at(plan.stages, t)
        if found is None:
            return None
        _, stage, prev_users = found
        return plan, stage, prev_users


class SaturdayShape(_PlanShape):
    """Baseline, ramp, spike plateau, ramp down: each stage reaches its users linearly over its duration."""

    def tick(self) -> Tick:
        found = self._stage()
        if found is None:
            return None
        plan, stage, prev_users = found
        rate = max(abs(stage.users - prev_users) / stage.duration_s, 1.0)
        return stage.users, rate, active_classes(self._environment())


class IsolationShape(_PlanShape):
    """Victim alone, aggressor's spike beside it, aggressor gone (after a short warm-up); adaptive, windows of
    each until a look on the master settles the verdict (bigday.load.adjudicator)."""

    def tick(self) -> Tick:
        if run_state(self._environment()).decided:
            return None
        found = self._stage()
        if found is None:
            return None
        _, stage, _ = found
        spike = window_condition(stage.name) == "spike"
        classes: list[type[User]] = [VictimUser, AggressorUser] if spike else [VictimUser]
        return stage.users, STEP_SPAWN_RATE, classes
