"""The Saturday answer: GO / NO-GO / INCONCLUSIVE over every run a ``bigday run`` made, reasons ranked.

NO-GO when any check failed; INCONCLUSIVE when nothing failed but something could not be decided (a check or
load verdict that says so, a run that could not be carried out or whose evidence is untrustworthy, a gated
baseline change as large as the minimum effect that too few runs could not tell from noise); else GO.  Each
reason names the page or tenant, the metric, by how much, the interval where there is one, and what it is
judged against.  Warnings are reasons too, but never change a GO.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bigday.metrics import Direction, direction_of, format_change, format_number, format_value
from bigday.runfolder import (
    Against,
    Answer,
    Check,
    CheckKind,
    Decision,
    IsolationVerdict,
    LoadVerdict,
    Reason,
    RegressionLabel,
    RunLink,
    RunRole,
    SpikeVerdict,
    Status,
    Verdicts,
    utc_now,
)

_ORDER = {Status.FAIL: 0, Status.INCONCLUSIVE: 1, Status.WARN: 2, Status.PASS: 3, Status.SKIPPED: 4}
OTHER_TENANT = "another studio"


@dataclass(frozen=True)
class JudgedRun:
    """One run of a ``bigday run`` with what judged it: its verdicts and (load runs) its own load verdicts."""

    role: RunRole
    verdicts: Verdicts
    load_verdicts: tuple[LoadVerdict, ...] = ()
    page_tenants: dict[str, str | None] = field(default_factory=dict)  # probe runs: page -> tenant
    complete: bool = True


@dataclass(frozen=True)
class _Draft:
    status: Status
    kind: str
    subject: str
    metric: str
    text: str
    against: Against
    run_id: str
    actual: float | None = None
    bound: float | None = None
    interval: tuple[float, float] | None = None
    excess: float | None = None
    tenant: str | None = None


def _worse_by(metric: str, actual: float, bound: float) -> float | None:
    """How far past ``bound`` (positive) or short of it (negative), relative to it."""
    if not bound:
        return None
    rel = (actual - bound) / abs(bound)
    return rel if direction_of(metric) is Direction.LOWER_IS_BETTER else -rel


def _bound_draft(c: Check, run_id: str, role: RunRole, tenant: str | None) -> _Draft | None:
    if c.status not in (Status.FAIL, Status.WARN, Status.INCONCLUSIVE) or c.actual is None or c.bound is None:
        return None
    against: Against = (
        "budget" if c.kind is CheckKind.BUDGET else "alert band" if c.source == "alert_bands" else "threshold"
    )
    excess = _worse_by(c.metric, c.actual, c.bound)
    where = "under the spike: " if role == "under_load" else ""
    agg = f" {c.aggregate}" if c.aggregate else ""
    level = f"{c.level} " if c.level else ""
    text = (
        f"{where}{c.page} {c.metric}{agg} {format_value(c.metric, c.actual)} over the {level}{against} "
        f"{format_value(c.metric, c.bound)}"
        + (f" ({format_change(excess, 'ratio', c.metric)})" if excess is not None else "")
        + (f", n={c.n}" if c.n else "")
    )
    return _Draft(
        c.status, str(c.kind), c.page, c.metric, text, against, run_id, c.actual, c.bound, None, excess, tenant
    )


def _regression_draft(c: Check, run_id: str, role: RunRole, tenant: str | None) -> _Draft | None:
    comp = c.comparison
    if comp is None or comp.effect is None or comp.interval is None or comp.effect_kind is None:
        return None
    kind = comp.effect_kind
    worse = comp.effect if direction_of(c.metric) is Direction.LOWER_IS_BETTER else -comp.effect
    big = comp.min_effect is not None and worse >= comp.min_effect > 0
    if c.status is Status.INCONCLUSIVE:  # the comparison's runs were too few to show any change
        status = Status.INCONCLUSIVE
    elif c.status is Status.PASS:
        # A large change the test could not confirm: not a pass, not a failure; too few runs to tell.
        if not (comp.label is RegressionLabel.NEUTRAL and comp.gated and big and role != "under_load"):
            return None
        status = Status.INCONCLUSIVE
    elif c.status in (Status.FAIL, Status.WARN):
        status = c.status
    else:
        return None
    against: Against = "at rest" if role == "under_load" else "baseline"
    lo, hi = comp.interval
    other = "at rest" if role == "under_load" else "the baseline"
    head = f"under the spike: {c.page}" if role == "under_load" else c.page
    text = (
        f"{head} {c.metric} median {format_value(c.metric, c.actual)} vs {format_value(c.metric, comp.baseline)} "
        f"{other}: {format_change(comp.effect, kind, c.metric)} "
        f"[{format_change(lo, kind, c.metric)}, {format_change(hi, kind, c.metric)}]"
    )
    minimum = format_change(comp.min_effect or 0.0, kind, c.metric).lstrip("+")
    if c.status is Status.INCONCLUSIVE:
        text += (
            f": too few runs to show any change ({c.n} vs {comp.n_baseline}: q could not reach alpha), "
            "so it is not a pass; take more (--runs, or --runs auto)"
        )
    elif status is Status.INCONCLUSIVE:
        text += (
            f", as large as the minimum effect {minimum} but not significant with {c.n} vs {comp.n_baseline} runs "
            f"(q={format_number(comp.q_value or 1.0, 2)}): too few runs to tell; take more (--runs)"
        )
    else:
        text += f", past the minimum effect {minimum} (q={format_number(comp.q_value or 0.0, 2)})"
    excess = worse / comp.min_effect if comp.min_effect else None
    return _Draft(
        status, str(c.kind), c.page, c.metric, text, against, run_id, c.actual, comp.baseline, (lo, hi), excess, tenant
    )


def _x(v: float | None) -> str:
    return "?" if v is None else f"{format_number(v)}×"


def _ms(v: float | None, sign: bool = False) -> str:
    if v is None:
        return "?"
    return ("+" if sign and v >= 0 else "") + f"{format_number(v)} ms"


def _windows_used(v: IsolationVerdict) -> str:
    """How much evidence the verdict rests on: its alone and spike windows, and the look that gave it."""
    if not v.alone_windows and not v.spike_windows:
        return ""
    a, s = len(v.alone_windows), len(v.spike_windows)
    text = f"; {a} alone window{'s' * (a != 1)} and {s} beside the spike"
    if v.rule is not None and v.rule.adaptive and v.looks:
        text += f", look {v.looks[-1].index} of {v.rule.planned_looks}"
    return text


def isolation_sentence(v: IsolationVerdict, show_aggressor: bool = True) -> tuple[str, Against]:
    """The isolation verdict in words: the victim's p95 alone and beside the spike, the ratio's interval
    against the tolerance, the rise's against the minimum effect, the windows it rests on, and why an
    inconclusive verdict could not tell."""
    aggressor = v.aggressor if show_aggressor else OTHER_TENANT
    alone = v.alone.p95 if v.alone else None
    spike = v.spike.p95 if v.spike else None
    text = f"tenant {v.victim} p95 {_ms(alone)} alone, {_ms(spike)} beside {aggressor}'s spike"
    against: Against = "isolation tolerance"
    r, rise = v.p95_ratio, v.p95_increase_ms
    if r is not None and r.estimate is not None:
        text += f": {_x(r.estimate)} [{_x(r.low)}, {_x(r.high)}] against the tolerance {_x(v.tolerance)}"
        over = r.high is not None and v.tolerance is not None and r.high > v.tolerance
        if over and rise is not None and rise.high is not None and v.min_effect_ms and rise.high <= v.min_effect_ms:
            against = "minimum effect"
            text += (
                f"; the ratio's interval reaches past the tolerance, but the rise {_ms(rise.estimate, True)} "
                f"[{_ms(rise.low, True)}, {_ms(rise.high, True)}] stays under the minimum effect "
                f"{_ms(v.min_effect_ms)}, so it is not counted as harm"
            )
        elif rise is not None and rise.estimate is not None:
            text += f", a rise of {_ms(rise.estimate, True)} [{_ms(rise.low, True)}, {_ms(rise.high, True)}]"
            if v.min_effect_ms:
                text += f" against the minimum effect {_ms(v.min_effect_ms)}"
    if v.recovery is not None and v.recovery.p95 is not None:
        text += f"; {_ms(v.recovery.p95)} after"
    text += _windows_used(v)
    if v.status is Status.INCONCLUSIVE:
        noise = v.noise
        if noise is not None and noise.beyond_tolerance and noise.ratio.estimate is not None:
            text += (
                f"; cannot tell: the victim's own p95 moved {_x(noise.ratio.estimate)} between two alone windows,"
                " more than the tolerance"
            )
        elif v.extra_phase_time_s is not None:
            text += f"; cannot tell yet: about {format_number(v.extra_phase_time_s)} s more phase time would decide it"
    return text, against


def _load_drafts(run: JudgedRun, show_aggressor: bool) -> list[_Draft]:
    out = []
    run_id = run.verdicts.run_id
    for v in run.load_verdicts:
        status = v.status
        if isinstance(v, IsolationVerdict):
            text, against = isolation_sentence(v, show_aggressor)
            r = v.p95_ratio
            excess = (r.high / v.tolerance - 1) if r and r.high is not None and v.tolerance else None
            interval = (r.low, r.high) if r and r.low is not None and r.high is not None else None
            actual = r.estimate if r else None
            draft = _Draft(
                status,
                "isolation",
                f"tenant:{v.victim}",
                "p95_ratio",
                text,
                against,
                run_id,
                actual,
                v.tolerance,
                interval,
                excess,
                v.victim,
            )
        else:
            text, excess = _spike_sentence(v)
            draft = _Draft(
                status,
                "load",
                "saturday_spike",
                "latency_p95",
                text,
                "SLA",
                run_id,
                v.plateau_p95_ms,
                v.p95_sla_ms,
                None,
                excess,
            )
        if not v.trustworthy:  # a saturated generator or too few samples: its figures decide nothing
            draft = _Draft(
                Status.INCONCLUSIVE,
                draft.kind,
                draft.subject,
                draft.metric,
                f"{draft.text} — not trustworthy: {'; '.join(v.caveats) or 'see the run'}",
                "run",
                run_id,
                draft.actual,
                draft.bound,
                draft.interval,
                draft.excess,
                draft.tenant,
            )
        out.append(draft)
    return out


def _spike_sentence(v: SpikeVerdict) -> tuple[str, float | None]:
    phases = ", ".join(v.plateau_phases) or "plateau"
    text = (
        f"Saturday spike plateau ({phases}, {v.peak_users_reached or 0:,}/{v.peak_users_planned or 0:,} users): "
        f"p95 {_ms(v.plateau_p95_ms)} against the SLA {_ms(v.p95_sla_ms)}"
    )
    if v.plateau_error_rate is not None:
        text += f", errors {format_value('error_rate', v.plateau_error_rate)}"
        if v.max_error_rate is not None:
            text += f" (at most {format_value('error_rate', v.max_error_rate)})"
    if v.plateau_rps is not None:
        text += f", {format_number(v.plateau_rps)} requests/s"
    excess = _worse_by("latency", v.plateau_p95_ms, v.p95_sla_ms) if v.plateau_p95_ms and v.p95_sla_ms else None
    return text, excess


def _in_view(page: str, run: JudgedRun, tenant: str | None) -> bool:
    if tenant is None:
        return True
    if page.startswith("tenant:"):
        return page == f"tenant:{tenant}"
    return run.page_tenants.get(page) == tenant


def _drafts(runs: Sequence[JudgedRun], tenant: str | None) -> tuple[list[_Draft], int]:
    drafts: list[_Draft] = []
    weighed = 0
    for run in runs:
        run_id = run.verdicts.run_id
        if not run.complete:
            drafts.append(
                _Draft(
                    Status.INCONCLUSIVE,
                    "run",
                    run.role,
                    "-",
                    f"the {run.role} run is incomplete: some measurements could not be taken",
                    "run",
                    run_id,
                )
            )
        for c in run.verdicts.checks:
            if c.kind in (CheckKind.ISOLATION, CheckKind.LOAD) and run.load_verdicts:
                continue  # judged from the typed load verdicts below
            if not _in_view(c.page, run, tenant):
                continue
            weighed += c.status is not Status.SKIPPED
            page_tenant = run.page_tenants.get(c.page)
            if c.kind is CheckKind.REGRESSION:
                d = _regression_draft(c, run_id, run.role, page_tenant)
            elif c.kind in (CheckKind.THRESHOLD, CheckKind.BUDGET):
                d = _bound_draft(c, run_id, run.role, page_tenant)
            elif c.status in (Status.FAIL, Status.WARN, Status.INCONCLUSIVE):
                d = _Draft(c.status, str(c.kind), c.page, c.metric, c.message, "run", run_id)
            else:
                d = None
            if d is not None:
                drafts.append(d)
        for d in _load_drafts(run, show_aggressor=tenant is None):
            if tenant is None or d.tenant == tenant:
                weighed += 1
                drafts.append(d)
    return drafts, weighed


def decide_of(statuses: Iterable[Status]) -> Decision:
    seen = set(statuses)
    if Status.FAIL in seen:
        return Decision.NO_GO
    if Status.INCONCLUSIVE in seen:
        return Decision.INCONCLUSIVE
    return Decision.GO


def _headline(decision: Decision, reasons: Sequence[Reason], weighed: int) -> str:
    counts = {s: sum(1 for r in reasons if r.status is s) for s in Status}
    if decision is Decision.GO:
        warn = counts[Status.WARN]
        return f"GO: {weighed} checks within bounds" + (f", {warn} warning{'s' * (warn != 1)}" if warn else "")
    top = reasons[0].text if reasons else ""
    n = counts[Status.FAIL] if decision is Decision.NO_GO else counts[Status.INCONCLUSIVE]
    what = "failed" if decision is Decision.NO_GO else "undecided"
    more = f" (and {n - 1} more)" if n > 1 else ""
    return f"{decision.label}: {n} {what}: {top}{more}"


def decide(runs: Sequence[JudgedRun], tenant: str | None = None) -> Answer:
    """The answer over ``runs`` (the probe run first); with ``tenant``, that tenant's view only."""
    drafts, weighed = _drafts(runs, tenant)
    drafts.sort(key=lambda d: (_ORDER[d.status], -(d.excess if d.excess is not None else -1e9), d.subject, d.metric))
    reasons = tuple(
        Reason(
            rank=i + 1,
            status=d.status,
            kind=d.kind,
            subject=d.subject,
            metric=d.metric,
            text=d.text,
            against=d.against,
            actual=d.actual,
            bound=d.bound,
            interval=d.interval,
            excess=round(d.excess, 4) if d.excess is not None else None,
            run_id=d.run_id,
            tenant=d.tenant,
        )
        for i, d in enumerate(drafts)
    )
    decision = decide_of(r.status for r in reasons)
    return Answer(
        decision=decision,
        headline=_headline(decision, reasons, weighed),
        reasons=reasons,
        runs=tuple(RunLink(r.verdicts.run_id, r.role, r.verdicts.outcome) for r in runs),
        checks=weighed,
        decided_at=utc_now(),
        tenant=tenant,
    )
