"""Library entry points for load rehearsals: ``run_saturday_spike`` and ``run_isolation_check``.

Each call resolves a plan, checks the target (allowed host, reachable), runs Locust with a hard time limit,
and returns the verdicts written to a fresh run folder (kind ``load``).  ``bigday load`` and ``bigday run
--load`` are thin wrappers around these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bigday.errors import EXIT_RUN_FAILED, ConfigError
from bigday.load.launcher import LOCUSTFILE_FOR, LocustLaunch, check_extra_args, explain_failure, run_locust
from bigday.load.plan import LoadPlan, PlanOverrides, build_plan, check_secrets, sign_in_method
from bigday.load.results import load_manifest
from bigday.load.safety import check_host_allowed, check_reachable
from bigday.runfolder import (
    LoadStats,
    LoadVerdict,
    RunFile,
    RunFolder,
    Status,
    app_record,
    environment_fingerprint,
    exit_code_of,
    read_load_stats,
    read_manifest,
    utc_now,
    write_manifest,
    write_plan,
)
from bigday.settings.scenario import Scenario


@dataclass(frozen=True)
class LoadOptions:
    """How to run a rehearsal, beyond its plan."""

    overrides: PlanOverrides = field(default_factory=PlanOverrides)
    processes: int = 1
    locustfile: Path | None = None  # a locustfile of the team's own (Saturday spike); None: bigday's
    expect_workers: int | None = None
    master_bind_host: str = "127.0.0.1"
    master_bind_port: int | None = None
    permission: bool = False
    extra_locust_args: tuple[str, ...] = ()
    keep_samples: bool = False  # every process also streams its raw samples to the run folder
    arrival_rate: float | None = None  # the Saturday spike's open model: its journeys' tasks a second at the peak
    results_dir: Path | None = None
    target_isolation: str | None = None  # embedded target only
    wait_for_workers_s: float = 120.0
    run_id: str | None = None  # the run folder's name; None: a new one (a caller that watches it picks one)


def _bigday_args(kind: str, opts: LoadOptions) -> tuple[str, ...]:
    """The locustfiles' own options this run asks for (the isolation check paces its own users)."""
    args: tuple[str, ...] = ("--keep-samples",) if opts.keep_samples else ()
    if opts.arrival_rate is not None and kind == "saturday":
        args += ("--arrival-rate", f"{opts.arrival_rate:g}")
    return args


@dataclass(frozen=True)
class LoadRunResult:
    """A finished rehearsal: its run folder, verdicts and figures as written to ``load_stats.json``."""

    kind: str
    folder: Path
    stats: LoadStats

    @property
    def verdicts(self) -> tuple[LoadVerdict, ...]:
        return self.stats.verdicts

    @property
    def trustworthy(self) -> bool:
        return all(v.trustworthy for v in self.verdicts)

    @property
    def passed(self) -> bool:
        return all(v.status is Status.PASS for v in self.verdicts)

    @property
    def outcome(self) -> Status:
        """FAIL if any verdict failed, else INCONCLUSIVE if any could not tell, else PASS."""
        statuses = {v.status for v in self.verdicts}
        return next((s for s in (Status.FAIL, Status.INCONCLUSIVE) if s in statuses), Status.PASS)

    def exit_code_for(self, strict: bool = False) -> int:
        """3 when the evidence is unusable (a saturated generator, no aggressor), 1 on a failed verdict (and,
        with ``strict``, on an inconclusive one), else 0."""
        if not self.trustworthy:
            return EXIT_RUN_FAILED
        return exit_code_of(self.outcome, strict)

    @property
    def exit_code(self) -> int:
        return self.exit_code_for(strict=False)


def resolve_processes(processes: int) -> int:
    import os

    if processes == -1:
        return os.cpu_count() or 1
    return max(1, processes)


def _processes_for(kind: str, requested: int) -> int:
    # The isolation check keeps the victim's users in a Locust process of their own (see bigday.load.dispatch).
    n = resolve_processes(requested)
    return max(n, 2) if kind == "isolation" else n


def check_rehearsal(
    scenario: Scenario, kind: str, base_url: str | None, options: LoadOptions | None = None
) -> LoadPlan:
    """Judge a rehearsal's input before anything starts: the plan, Locust options and (when given) the host."""
    opts = options or LoadOptions()
    plan = build_plan(scenario, kind, opts.overrides)
    check_secrets(plan)
    check_extra_args(opts.extra_locust_args)
    if opts.locustfile is not None:
        if kind != "saturday":
            raise ConfigError("--locustfile: only for the saturday rehearsal (the isolation check runs bigday's own)")
        if not opts.locustfile.is_file():
            raise ConfigError(f"--locustfile: no such file {opts.locustfile}")
    if base_url:
        check_host_allowed(base_url, plan.allow_hosts, opts.permission)
    return plan


def run_rehearsal(
    scenario: Scenario,
    kind: str,
    base_url: str,
    options: LoadOptions | None = None,
    say: Callable[[str], None] = lambda _: None,
    embedded: bool = False,
) -> LoadRunResult:
    """Run one rehearsal ("saturday" or "isolation") against an app that answers at ``base_url`` (``embedded``:
    the reference target bigday started); ConfigError/RunError on bad input or an unusable target."""
    opts = options or LoadOptions()
    plan = check_rehearsal(scenario, kind, base_url, opts)
    url = base_url.rstrip("/")
    check_reachable(url)
    folder = RunFolder.create("load", opts.results_dir, opts.run_id)
    _write_start(folder, scenario, plan, url, embedded, opts)
    say(f"{kind}: {plan.total_duration_s:g}s against {url}, peak {plan.peak_users} users -> {folder.path}")
    launch = LocustLaunch(
        locustfile=(opts.locustfile or LOCUSTFILE_FOR[kind]).absolute(),
        host=url,
        plan_path=folder.file(RunFile.PLAN),
        out_dir=folder.path,
        hard_limit_s=plan.max_duration_s,
        processes=_processes_for(kind, opts.processes),
        expect_workers=opts.expect_workers,
        master_bind_host=opts.master_bind_host,
        master_bind_port=opts.master_bind_port,
        permission=opts.permission,
        extra_args=opts.extra_locust_args + _bigday_args(kind, opts),
        wait_for_workers_s=opts.wait_for_workers_s,
    )
    outcome = run_locust(launch)
    if not folder.has(RunFile.LOAD_STATS):
        manifest = read_manifest(folder)
        failed = dataclasses.replace(manifest, status="failed", complete=False, finished_at=utc_now())
        write_manifest(folder, failed)
        raise explain_failure(outcome)
    return LoadRunResult(kind, folder.path, read_load_stats(folder))


def _write_start(
    folder: RunFolder, scenario: Scenario, plan: LoadPlan, url: str, embedded: bool, opts: LoadOptions
) -> None:
    write_plan(folder, plan)
    write_manifest(
        folder,
        load_manifest(
            folder,
            plan,
            started_at=utc_now(),
            finished_at=None,
            complete=False,
            status="incomplete",
            environment=environment_fingerprint(load_processes=_processes_for(plan.kind, opts.processes)),
            app=app_record(
                scenario,
                url,
                embedded,
                sign_in=sign_in_method(plan),
                target_isolation=(opts.target_isolation or "fair") if embedded else None,
            ),
        ),
    )


def run_saturday_spike(
    scenario: Scenario,
    base_url: str,
    options: LoadOptions | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> LoadRunResult:
    """The Saturday upload spike (scenario ``load.stages``); its verdict: did the app hold the plateau."""
    return run_rehearsal(scenario, "saturday", base_url, options, say)


def run_isolation_check(
    scenario: Scenario,
    base_url: str,
    options: LoadOptions | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> LoadRunResult:
    """The tenant-isolation check (scenario ``load.isolation``); its verdict: did the victim stay unharmed."""
    return run_rehearsal(scenario, "isolation", base_url, options, say)
