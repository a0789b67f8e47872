"""The isolation bar: against the reference target the verdict FAILs with shared pools and PASSes with fair ones.

Both modes in one test, under 90 s, against the target as it ships (one worker thread and helper per tenant
in `fair`; the same three in one FIFO pool in `shared`), judged by the reference scenario (tolerance 1.25x,
minimum effect 5 ms). Time goes where the evidence is thin: `shared` slows the victim tens of times over,
which 5 s phases show beyond doubt, while `fair` gets 20 s phases (~2,200 victim samples each), so a
one-second burst of unrelated work on this shared machine stays below the 5% of samples that would move the
p95. A mode whose verdict calls its own evidence untrustworthy, or cannot tell (INCONCLUSIVE), is measured once
more (the caveats or the reason are printed); the bars judge the last measurement.
"""

from __future__ import annotations

import time

import pytest

from bigday.load.plan import PlanOverrides
from bigday.load.rehearsal import LoadOptions, run_isolation_check
from bigday.settings.scenario import load_scenario
from bigday.target.server import running_target

pytestmark = [pytest.mark.load, pytest.mark.slow, pytest.mark.serial]

ATTEMPTS = 2  # and the serial pass runs a failed test once more (scripts/bootstrap.sh)
PHASES = {"shared": PlanOverrides(phase="5s", recovery="3s"), "fair": PlanOverrides(phase="20s", recovery="3s")}


def test_isolation_verdict_fails_shared_and_passes_fair(tmp_path):
    scenario = load_scenario()
    verdicts, elapsed, untrusted = {}, 0.0, []
    for mode, overrides in PHASES.items():
        # A verdict that says its own evidence cannot be trusted (a saturated or starved generator, a baseline the
        # machine disturbed) is the tool working; as a user would, measure that mode again on a fresh target, up to
        # ATTEMPTS times (a busy CI machine starved three fair measurements in a row). The bars below judge the
        # trustworthy measurement and the time it took.
        for attempt in range(1, ATTEMPTS + 1):
            start = time.monotonic()
            with running_target(isolation=mode) as url:
                options = LoadOptions(overrides=overrides, results_dir=tmp_path / f"{mode}-{attempt}")
                result = run_isolation_check(scenario, url, options)
            verdicts[mode] = result.verdicts[0].to_json()
            took = time.monotonic() - start
            # INCONCLUSIVE is the check saying it cannot tell (on a busy host the fair victim's p95 moved 4-8 ms
            # with the machine): a user measures again, as for untrustworthy evidence. A FAIL is never retried.
            if verdicts[mode]["trustworthy"] and verdicts[mode]["status"] != "inconclusive":
                break
            why = "; ".join(verdicts[mode]["caveats"]) or verdicts[mode]["reason"]
            untrusted.append(f"{mode} attempt {attempt}: {verdicts[mode]['status']}: {why}")
            print(f"\n{untrusted[-1]}")
        elapsed += took
    shared, fair = verdicts["shared"], verdicts["fair"]
    summary = {
        m: (
            v["status"],
            v["alone"],
            v["spike"],
            v["recovery"],
            v["p95_ratio"],
            v["p95_increase_ms"],
            v["reasons"],
            v["notes"],
            v["caveats"],
        )
        for m, v in verdicts.items()
    }
    assert shared["trustworthy"] and fair["trustworthy"], " | ".join(untrusted)
    assert shared["min_effect_ms"] == fair["min_effect_ms"] == 5.0
    # shared: harm beyond doubt on both counts, the ratio and the milliseconds.
    assert shared["status"] == "fail", summary
    assert shared["p95_ratio"]["low"] > shared["tolerance"], summary
    assert shared["p95_increase_ms"]["low"] > 10 * shared["min_effect_ms"], summary
    # fair: at the top of its interval the victim's p95 is within 1.25x or rose by under 5 ms.
    assert fair["status"] == "pass", summary
    assert fair["p95_ratio"]["high"] <= fair["tolerance"] or fair["p95_increase_ms"]["high"] <= fair["min_effect_ms"], (
        summary
    )
    assert min(fair["alone"]["n"], fair["spike"]["n"]) >= 1800 and shared["alone"]["n"] >= 300
    assert shared["aggressor_requests_in_spike"] > 0 and fair["aggressor_requests_in_spike"] > 0
    assert elapsed < 90, f"took {elapsed:.0f}s"
