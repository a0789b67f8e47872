"""The load part of ``bigday run --load``: the Saturday spike (with ``--rehearsal``, the pages probed during its
plateau) and the isolation check, each compared and stored; live progress from Locust's status file."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bigday.cli.common import load_target
from bigday.cli.compare import print_warnings
from bigday.cli.load import rehearsals
from bigday.compare.engine import CompareOptions, compare_run
from bigday.compare.underload import judge_under_load
from bigday.errors import EXIT_OK
from bigday.load.plan import PlanOverrides
from bigday.load.rehearsal import LoadOptions, check_rehearsal
from bigday.load.watch import run_watched
from bigday.present.console import plain
from bigday.present.load import LoadProgress, load_result_lines
from bigday.present.probe import ProbeProgress
from bigday.probe.app import AppUnderTest
from bigday.probe.runner import ProbeOptions, ProbeOutcome, probe_app
from bigday.report.terminal import render_verdicts
from bigday.runfolder import RunRole
from bigday.settings import resolve
from bigday.settings.scenario import Scenario
from bigday.store.engine import open_store


@dataclass
class LoadPart:
    """The run folders the load part made (with their roles) and the exit code they add up to."""

    runs: list[tuple[Path, RunRole]] = field(default_factory=list)
    exit_code: int = EXIT_OK


@dataclass(frozen=True)
class LoadSettings:
    scenario: Scenario
    base_url: str | None
    store: str | None
    results_dir: Path | None
    compare: CompareOptions
    overrides: PlanOverrides
    under_load: ProbeOptions | None  # --rehearsal: probe these pages during the plateau
    quiet: bool = False
    strict: bool = False  # an INCONCLUSIVE verdict exits 1 too


def overrides_for(
    time_scale: float | None, peak_users: int | None, stages: str | None = None, phase: str | None = None
) -> PlanOverrides:
    """The scale flags ``bigday run --load`` shares with ``bigday load``; ``--time-scale`` shortens the spike's
    stages and the isolation phases alike (bigday.load.plan keeps a phase long enough for a verdict)."""
    return PlanOverrides(peak_users=peak_users, time_scale=time_scale, stages=stages, phase=phase)


def _say(err: Console, quiet: bool) -> Callable[[str], None]:
    def say(line: str) -> None:
        if not quiet:
            err.print(Text(f"bigday load: {line}"), soft_wrap=True)

    return say


def _probe_under_load(options: ProbeOptions, url: str, embedded: bool, err: Console, quiet: bool) -> ProbeOutcome:
    app = AppUnderTest(url, embedded=embedded)
    if not quiet:
        err.print(Text("bigday: the spike plateau has begun; probing the pages under load"))
    total = options.runs * len(options.selected_pages())
    progress = ProbeProgress(err, total=total, max_attempts=options.max_attempts) if not quiet else None
    with progress or nullcontext():
        return probe_app(options, app, on_run=progress.on_run if progress else None)


def rehearse(s: LoadSettings, at_rest: Path, out: Console, err: Console) -> LoadPart:
    """Both rehearsals, each compared and stored like the probe run; the probe under load judged against
    ``at_rest``.  Every input is checked before the first rehearsal starts."""
    options = LoadOptions(overrides=s.overrides, processes=resolve.load_processes(None), results_dir=s.results_dir)
    kinds = rehearsals(s.scenario)
    plans = {kind: check_rehearsal(s.scenario, kind, s.base_url, options) for kind in kinds}
    part = LoadPart()
    for kind in kinds:
        with load_target(s.base_url, None) as (url, embedded):
            during = None
            if kind == "saturday" and s.under_load is not None:
                during = partial(
                    _probe_under_load, dataclasses.replace(s.under_load, base_url=url), url, embedded, err, s.quiet
                )
            progress = LoadProgress(err, kind, plans[kind].total_duration_s) if not s.quiet else None
            with progress or nullcontext():
                watched = run_watched(
                    s.scenario,
                    kind,
                    url,
                    options,
                    _say(err, s.quiet),
                    embedded,
                    progress.on_status if progress else lambda _: None,
                    during,
                )
        result = watched.result
        with open_store(s.store, s.results_dir) as store:
            verdicts = compare_run(store, result.folder, s.scenario, s.compare)
        if not s.quiet:
            for line in load_result_lines(result):
                out.print(Text(plain(line)), soft_wrap=True)
            print_warnings(verdicts)
            out.print(Text(render_verdicts(verdicts)), soft_wrap=True)
        part.runs.append((result.folder, kind))  # type: ignore[arg-type]
        part.exit_code = max(part.exit_code, result.exit_code_for(s.strict), verdicts.exit_code_for(s.strict))
        if isinstance(watched.during_plateau, ProbeOutcome):
            loaded = watched.during_plateau.folder.path
            judge_under_load(at_rest, loaded, s.scenario, watched.plateau)
            part.runs.append((loaded, "under_load"))
    return part
