"""What `bigday load` prints for an isolation verdict: the outcome, why, every part, the noise, the looks."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bigday.load.isolation import judge_isolation
from bigday.load.plan import IsolationPlan
from bigday.load.rehearsal import LoadRunResult
from bigday.load.samples import SampleBook
from bigday.load.stats import PhaseSpan
from bigday.load.verdict import generator_health
from bigday.present.console import console
from bigday.present.load import load_result_lines, show_load_result
from bigday.runfolder import GeneratorRecord, IsolationVerdict, LoadStats, Status

ISO = IsolationPlan(victim="lumen", aggressor="everafter", phase_s=5.0, adaptive=True, max_phase_s=20.0)
HEALTHY = generator_health([{"node": "local", "t": 0, "cpu": 10.0}], 90.0, 0.1)


def _verdict(spike_factor: float, n: int) -> IsolationVerdict:
    rng = np.random.default_rng(1)
    book, spans, t = SampleBook(), [], 0.0
    for stage in ISO.stages:
        spans.append(PhaseSpan(stage.name, t, t + stage.duration_s))
        factor = spike_factor if stage.name.startswith("spike") else 1.0
        for i, rt in enumerate(rng.lognormal(np.log(20), 0.4, n) * factor):
            book.record(("lumen", "planner", "GET /api/clients", stage.name), t + stage.duration_s * i / n, rt, None)
        if stage.name.startswith("spike"):
            book.record(("everafter", "photographer", "POST /api/photos", stage.name), t + 2, 900.0, None)
        t += stage.duration_s
    return judge_isolation(book, ISO, tuple(spans), HEALTHY)


def _result(v: IsolationVerdict) -> LoadRunResult:
    now = datetime.now(UTC)
    stats = LoadStats(
        kind="isolation",
        started_at=now,
        finished_at=now,
        stats=(),
        timeline=(),
        verdicts=(v,),
        generator=GeneratorRecord(cpu_samples=(), saturated=False),
    )
    return LoadRunResult("isolation", Path("/tmp/run"), stats)


def test_an_inconclusive_verdict_says_why_and_what_would_decide_it():
    v = _verdict(1.15, 80)
    assert v.status is Status.INCONCLUSIVE
    text = "\n".join(load_result_lines(_result(v)))
    assert text.startswith("tenant_isolation: INCONCLUSIVE")
    for want in ("why: ", "slowdown: p95 ratio", "sla alone:", "error rate spike:", "victim noise: p95", "windows: "):
        assert want in text, text
    assert "more evidence: about" in text and "look 1 of 1" in text and "results: /tmp/run" in text


def test_a_pass_and_a_verdict_from_before_the_three_outcomes_print():
    passed = load_result_lines(_result(_verdict(1.0, 600)))
    assert passed[0] == "tenant_isolation: PASS" and any("within the 1.25x tolerance" in x for x in passed)
    old = replace(_verdict(1.0, 600), parts=(), noise=None, rule=None, looks=(), reason="")
    lines = load_result_lines(_result(old))
    assert any(line.startswith("  p95 ratio ") for line in lines) and not any("why:" in x for x in lines)
    out = io.StringIO()
    show_load_result(_result(old), console(out))
    assert "tenant_isolation: PASS" in out.getvalue()
