"""A load rehearsal at the terminal: a progress bar over the plan with live users, rps, p95 and errors, and then
each verdict, what decided it and why, the per-tenant figures and the run folder."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from bigday.load.rehearsal import LoadRunResult
from bigday.metrics import format_number
from bigday.present.console import plain
from bigday.runfolder import (
    CapacityResult,
    Interval,
    IsolationPart,
    IsolationVerdict,
    LoadStats,
    LoadStatus,
    LoadVerdict,
    PhaseFigures,
)


def status_line(s: LoadStatus) -> str:
    p95 = "-" if s.p95_ms is None else f"{format_number(s.p95_ms)} ms"
    share = s.failures / s.requests if s.requests else 0.0
    return (
        f"{s.phase}: {s.users:,}/{s.peak_users:,} users, {format_number(s.rps)} req/s, p95 {p95}, "
        f"{s.failures:,} errors ({format_number(share * 100)}%)"
    )


class LoadProgress:
    """One bar per rehearsal, advanced in seconds of the plan, described by the latest status."""

    def __init__(self, console: Console, kind: str, planned_s: float) -> None:
        self.progress = Progress(
            TextColumn(f"{kind}"),
            BarColumn(),
            TextColumn("{task.fields[line]}"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task(kind, total=max(planned_s, 1.0), line="starting Locust")

    def __enter__(self) -> LoadProgress:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.stop()

    def on_status(self, status: LoadStatus) -> None:
        self.progress.update(self.task, completed=min(status.t, status.planned_s), line=status_line(status))


def _iv(i: Interval | None, spec: str, unit: str = "") -> str:
    if i is None or i.estimate is None or i.low is None or i.high is None:
        return "-"
    return f"{i.estimate:{spec}}{unit} [{i.low:{spec}}, {i.high:{spec}}]"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2%}"


def _part_line(p: IsolationPart) -> str:
    where = "" if p.condition == "both" else f" {p.condition}"
    if p.part == "slowdown":
        figure = f"p95 ratio {_iv(p.value, '.2f', 'x')} (tolerance {p.bound:g}x)"
        if p.rise_ms is not None:
            figure += f", rise {_iv(p.rise_ms, '+.2f')} ms (min effect {p.min_effect_ms or 0:g} ms)"
    elif p.part == "sla":
        figure = f"p95 {_iv(p.value, '.1f')} ms against {p.bound:g} ms"
    else:
        v = p.value
        shown = "-" if v.estimate is None else f"{v.estimate:.2%} [{v.low or 0:.2%}, {v.high or 0:.2%}]"
        figure = f"{shown} against {p.bound:.2%}"
    return f"  {p.part.replace('_', ' ')}{where}: {figure}: {p.status.upper()}"


def _isolation_lines(v: IsolationVerdict) -> list[str]:
    none = PhaseFigures(0, None, None, None, 0.0)
    a, s = v.alone or none, v.spike or none
    lines = [
        f"  why: {v.reason}" if v.reason else "",
        f"  victim {v.victim}: p95 {a.p95} -> {s.p95} ms, p99 {a.p99} -> {s.p99} ms, "
        f"errors {a.error_rate:.2%} -> {s.error_rate:.2%} (n {a.n} / {s.n}); "
        f"aggressor {v.aggressor} requests beside it: {v.aggressor_requests_in_spike}",
    ]
    lines += [_part_line(p) for p in v.parts]
    if not v.parts:  # a verdict from before the three outcomes: its figures only
        lines.append(
            f"  p95 ratio {_iv(v.p95_ratio, '.2f', 'x')}, rise {_iv(v.p95_increase_ms, '+.2f')} ms, "
            f"tolerance {v.tolerance}x, min effect {v.min_effect_ms:g} ms"
        )
    n = v.noise
    if n is not None:
        verdict = "beyond the tolerance: cannot decide" if n.beyond_tolerance else "within what the check resolves"
        lines.append(
            f"  victim noise: p95 {n.first_p95_ms} -> {n.second_p95_ms} ms from {n.first} to {n.second}, "
            f"{_iv(n.ratio, '.2f', 'x')}, {_iv(n.difference_ms, '+.2f')} ms ({verdict})"
        )
    rule = v.rule
    if rule is not None:
        mode = "adaptive" if rule.adaptive else "fixed phases"
        lines.append(
            f"  windows: {len(v.alone_windows)} alone + {len(v.spike_windows)} spike ({v.phase_time_s:g} s of phases), "
            f"{mode}, look {v.looks[-1].index if v.looks else 1} of {rule.planned_looks} at "
            f"{rule.per_look_confidence:.2%} each ({rule.method}, alpha {rule.alpha:g})"
        )
    if len(v.looks) > 1 or (v.looks and rule is not None and rule.adaptive):
        lines.append(
            "  looks: "
            + "; ".join(
                f"{x.index} at {x.at_s:.0f}s {x.status.upper()} {_iv(x.p95_ratio, '.2f', 'x')}" for x in v.looks
            )
        )
    if v.extra_phase_time_s is not None:
        lines.append(f"  more evidence: about {v.extra_phase_time_s:.0f} s more phase time would likely decide it")
    lines += [f"  note: {x}" for x in v.notes]
    return [x for x in lines if x]


def _spike_lines(v: LoadVerdict) -> list[str]:
    assert not isinstance(v, IsolationVerdict)
    return [
        f"  plateau ({', '.join(v.plateau_phases)}): {v.peak_users_reached}/{v.peak_users_planned} users, "
        f"{v.plateau_rps} rps, p95 {v.plateau_p95_ms} ms, p99 {v.plateau_p99_ms} ms, "
        f"errors {_pct(v.plateau_error_rate)} (n {v.plateau_count})",
        *(f"  - {r}" for r in v.reasons),
    ]


def _tenant_lines(stats: LoadStats, verdict: LoadVerdict) -> list[str]:
    """Per tenant, the phases the verdict looked at: requests, rps, exact p95/p99, error rate."""
    if isinstance(verdict, IsolationVerdict):
        phases = set(verdict.alone_windows + verdict.spike_windows) or {"alone", "spike"}
    else:
        phases = set(verdict.plateau_phases)
    lines = []
    for r in stats.stats:
        if r.user_kind == "*" and r.endpoint == "*" and r.tenant != "*" and r.phase in phases:
            lines.append(
                f"    {r.tenant:<12} {r.phase:<9} {r.count:>8} req {r.rps:>8.1f} rps  "
                f"p95 {r.p95} ms  p99 {r.p99} ms  errors {r.error_rate:.2%}"
            )
    return lines


def load_result_lines(result: LoadRunResult) -> list[str]:
    """Human lines for one rehearsal: each verdict, why, its figures, and where the results are."""
    lines = []
    for v in result.verdicts:
        trust = "" if v.trustworthy else "  [UNTRUSTWORTHY: " + "; ".join(v.caveats) + "]"
        lines.append(f"{v.name}: {v.status.upper()}{trust}")
        lines += _isolation_lines(v) if isinstance(v, IsolationVerdict) else _spike_lines(v)
        lines += _tenant_lines(result.stats, v)
    lines.append(f"  results: {result.folder}")
    return lines


def show_load_result(result: LoadRunResult, out: Console) -> None:
    for line in load_result_lines(result):
        out.print(Text(plain(line)), soft_wrap=True)


def capacity_lines(result: CapacityResult, folder: Path) -> list[str]:
    """The search's steps, one line each, then its answer and where it is kept."""
    lines = [f"capacity search: {result.status.upper()}: {result.reason}"]
    for i, s in enumerate(result.steps, 1):
        p95 = "-" if s.p95_ms is None else f"{s.p95_ms:,.0f} ms"
        rps = "-" if s.rps is None else f"{s.rps:,.1f} rps"
        errors = "-" if s.error_rate is None else f"{100 * s.error_rate:.2f}%"
        figures = f"p95 {p95:>9}  errors {errors:>6}  {rps}"
        level = f"{s.users:>6,} users" if s.arrival_rate is None else f"{s.arrival_rate:>7,g}/s ({s.users:,} users)"
        twice = f" (measured twice, first {s.confirms})" if s.confirms else ""
        twice += f" (re-measure of {s.rechecks})" if s.rechecks else ""
        lines.append(f"  step {i}: {level}  {s.status.upper():<12} {figures}  {s.run_id}{twice}")
    lines.append(f"  stopped: {result.stopped_because or 'bracket narrowed'}; {result.elapsed_s:.0f} s")
    lines.append(f"  results: {folder}")
    return lines
