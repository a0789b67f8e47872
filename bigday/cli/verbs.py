"""Every verb of ``bigday``: the ``bigday.cli`` module that registers it and its one-line help.

Kept apart from the modules themselves so that ``bigday --help`` and ``bigday VERB`` import only what they
need: a verb's module (and the engine it drives, pandas and scipy among it) is imported when that verb is run.
"""

from __future__ import annotations

VERBS: dict[str, tuple[str, str]] = {
    "run": ("run", "the nightly check: probe the critical paths, compare, answer GO / NO-GO"),
    "probe": ("probe", "measure web vitals of the critical paths in Chromium"),
    "load": ("load", "rehearse the Saturday upload spike and judge tenant isolation"),
    "ab": ("ab", "A/B experiment: B against A in interleaved runs, same / faster / slower / need more runs"),
    "compare": ("compare", "judge a run against thresholds, budgets and a baseline"),
    "report": ("report", "render a run's answer and results as Markdown, JUnit XML, JSON or HTML"),
    "trends": ("dashboard", "daily p75/p95 per page and metric from the store, with change points"),
    "dashboard": ("dashboard", "write the dashboard of the store's history (trends, alerts, latest runs)"),
    "ingest": ("store", "load run folders into the results store (idempotent per run)"),
    "prune": ("store", "delete stored runs and resolved alerts older than a retention period"),
    "baseline": ("store", "set, show or list named baselines"),
    "alerts": ("store", "list, acknowledge or resolve alerts"),
    "monitor": ("monitor", "run the scenario's probes on a schedule, record every check, open and resolve alerts"),
    "maintenance": (
        "monitor",
        "add, list or delete maintenance windows (checks go on, alerts are muted, the SLA leaves them out)",
    ),
    "sla": ("sla", "SLA evidence from the monitor's checks: availability, within thresholds, error budget, burn rates"),
    "serve": ("serve", "serve the dashboard live from the store (tokens: admin or tenant:ID)"),
    "collect": ("collect", "serve the field-beacon collector alone (POST /rum), without the dashboard"),
    "rum": ("rum", "field data: the web-vitals beacon snippet, field p75 beside the lab's, retention"),
    "target": ("target", "serve the embedded reference target"),
    "scenario": ("scenario", "validate a scenario file and print what it describes"),
    "install-assets": (
        "assets",
        "install the pinned npm assets the probe injects (needs npm; a checkout uses npm ci instead)",
    ),
}


def verb_help(name: str) -> str:
    return VERBS[name][1]
