"""``bigday scenario``: validate a scenario file and show what it describes."""

from __future__ import annotations

import argparse

from bigday.cli.common import Subparsers, add_verb, scenario_from_args
from bigday.metrics import METRICS, Unit
from bigday.present.console import plain
from bigday.settings import redact
from bigday.settings.scenario import Scenario


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "scenario", _handle)
    p.add_argument("scenario", nargs="?", metavar="FILE", help="scenario YAML (default: scenarios/wedsync.yaml)")


def _fmt(metric: str, value: float) -> str:
    unit = METRICS[metric].unit
    if unit is Unit.MS:
        return f"{value:g} ms"
    if unit is Unit.BYTES:
        return f"{value / 1e6:g} MB" if value >= 1e6 else f"{value / 1000:g} KB"
    return f"{value:g}"


def describe(s: Scenario) -> str:
    lines = [
        f"scenario {s.name} ({s.source}, sha256 {s.sha256[:12]})",
        f"  target: {s.base_url or 'embedded reference target'}",
        "  pages: " + ", ".join(f"{p.name} {p.path}" for p in s.pages),
        "  tenants: " + ", ".join(f"{t.id} ({t.plan}, {t.clients} clients)" for t in s.tenants),
        "  thresholds:",
    ]
    op = {"lower": "<=", "higher": ">="}
    for t in s.thresholds:
        scope = ", ".join(t.pages) if t.pages else "all pages"
        lines.append(
            f"    [{t.level}] {t.metric} {t.aggregate} {op[t.direction.value]} {_fmt(t.metric, t.bound)} ({scope})"
        )
    if s.budgets:
        lines.append("  budgets: " + ", ".join(f"{b.chunk} <= {b.max_bytes / 1000:g} KB" for b in s.budgets))
    stages = " -> ".join(f"{st.name} {st.users}u/{st.duration_s:g}s" for st in s.load.stages)
    lines.append(f"  load: peak {s.load.peak_users} users; {stages or 'no stages'}")
    if s.load.isolation:
        iso = s.load.isolation
        lines.append(
            f"  isolation: victim {iso.victim} vs aggressor {iso.aggressor}, tolerance {iso.tolerance:g}x"
            + (f" (min effect {iso.min_effect_ms:g} ms)" if iso.min_effect_ms else "")
        )
    return "\n".join(lines)


def _handle(args: argparse.Namespace) -> int:
    # A base URL may carry user info and names may carry control characters: the one rule for output applies.
    print("\n".join(plain(redact.text(line)) for line in describe(scenario_from_args(args)).splitlines()))
    return 0
