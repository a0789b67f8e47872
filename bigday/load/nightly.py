"""The load part of ``bigday run --load``: both rehearsals, each compared and stored like any other run.

The rehearsals' verdicts go through the comparator (``compare_run``), so they are stored, alerted on and
reported with the probe's; the returned exit code is the worst of the rehearsals' and the comparisons'.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bigday.errors import EXIT_OK
from bigday.load.cli import describe, env_processes
from bigday.load.rehearsal import LoadOptions, run_rehearsal
from bigday.scenario import Scenario

NIGHTLY_REHEARSALS = ("saturday", "isolation")


def nightly_load(
    scenario: Scenario, base_url: str | None, store_url: str | None, results_dir: Path | None, compare_options: Any
) -> int:
    """Run the Saturday spike and the isolation check, compare each run, print verdicts; return the exit code."""
    from bigday.compare.engine import compare_run
    from bigday.report.terminal import render_verdicts
    from bigday.store.engine import open_store

    options = LoadOptions(processes=env_processes(), results_dir=results_dir)
    worst = EXIT_OK
    for kind in NIGHTLY_REHEARSALS:
        result = run_rehearsal(
            scenario, kind, base_url, options, lambda line: print(f"bigday load: {line}", file=sys.stderr, flush=True)
        )
        for line in describe(result):
            print(line)
        with open_store(store_url, results_dir) as store:
            verdicts = compare_run(store, result.folder, scenario, compare_options)
        print(render_verdicts(verdicts.to_json()))
        worst = max(worst, result.exit_code, verdicts.exit_code)
    return worst
