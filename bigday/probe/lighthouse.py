"""``--engine lighthouse``: the pinned Lighthouse 12.2.3 on the same pages, profile and Chromium as the probe.

Lighthouse runs from ``node_modules/.bin/lighthouse`` (Node 20) with ``CHROME_PATH`` set to Debian's Chromium
and the probe's Chromium flags, one fresh Chrome per page run (Lighthouse launches its own), only the
performance and accessibility categories, and the profile's settings as Lighthouse flags
(``Profile.lighthouse_flags``: devtools throttling, or ``provided`` for ``none``).  Its report is kept whole
in the run folder (``bigday.runfolder.lighthouse``); what becomes a sample is its scores and metric values
in bigday's metric names, with a small summary of the report in ``details`` (no screenshots).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bigday.errors import BrowserError
from bigday.probe.assets import node_modules
from bigday.probe.browser import CHROMIUM_ARGS, chromium_path
from bigday.probe.profiles import Profile
from bigday.probe.results import PageRun, PageTarget, Vitals
from bigday.runfolder import RunFolder, report_json, write_lighthouse_report
from bigday.settings import children, environment

# Lighthouse audit -> bigday metric (numericValue, in bigday's units: ms, unitless CLS).
AUDIT_METRICS: dict[str, str] = {
    "first-contentful-paint": "fcp",
    "speed-index": "si",
    "largest-contentful-paint": "lcp",
    "total-blocking-time": "tbt",
    "cumulative-layout-shift": "cls",
}
CATEGORY_METRICS: dict[str, str] = {"performance": "performance_score", "accessibility": "accessibility_score"}
_CHROME_VERSION = re.compile(r"Chrome/(\d+[\d.]*)")
# Lighthouse 12.2.3's trace categories (its Trace gatherer's defaults, less the '-*' that turns the rest off):
# a parity run traces the load with these, so it carries the tracing cost Lighthouse's runs carry.
TRACE_CATEGORIES: tuple[str, ...] = (
    "disabled-by-default-lighthouse",
    "loading",
    "v8",
    "v8.execute",
    "blink.user_timing",
    "blink.console",
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "disabled-by-default-devtools.screenshot",
    "disabled-by-default-devtools.timeline.stack",
    "disabled-by-default-devtools.timeline.frame",
    "latencyInfo",
    "disabled-by-default-devtools.timeline.invalidationTracking",
)


def lighthouse_binary() -> Path:
    """node_modules/.bin/lighthouse; BrowserError (exit 3) naming how to install it when it is missing."""
    binary = node_modules() / ".bin" / "lighthouse"
    if not binary.exists():
        raise BrowserError(f"{binary}: Lighthouse is not installed; run npm ci (or bigday install-assets)")
    if shutil.which("node") is None:
        raise BrowserError("node: not found; --engine lighthouse needs Node 20 (apt-get install nodejs)")
    return binary


def lighthouse_command(url: str, profile: Profile, output: Path, browser_version: str | None) -> list[str]:
    flags = " ".join(("--headless=new", *CHROMIUM_ARGS))
    return [
        str(lighthouse_binary()),
        url,
        "--output=json",
        f"--output-path={output}",
        "--quiet",
        f"--chrome-flags={flags}",
        "--only-categories=performance,accessibility",
        *profile.lighthouse_flags(browser_version),
    ]


def _numeric(audits: Mapping[str, Any], audit: str) -> float | None:
    value = (audits.get(audit) or {}).get("numericValue")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _score(categories: Mapping[str, Any], category: str) -> float | None:
    score = (categories.get(category) or {}).get("score")
    return float(round(score * 100)) if isinstance(score, (int, float)) else None


def _resources(audits: Mapping[str, Any]) -> dict[str, Any]:
    """Lighthouse's resource summary in the probe's shape: by type, count and transferred bytes."""
    items = ((audits.get("resource-summary") or {}).get("details") or {}).get("items") or []
    by_type = {}
    for item in items:
        kind = item.get("resourceType")
        if kind and kind != "total":
            by_type[str(kind)] = {"count": item.get("requestCount"), "transfer_bytes": item.get("transferSize")}
    return {"by_type": by_type}


def failed_accessibility_audits(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Lighthouse's weighted accessibility audits that scored 0: id, weight, impact, title, nodes, selectors."""
    category = (report.get("categories") or {}).get("accessibility") or {}
    audits = report.get("audits") or {}
    out = []
    for ref in category.get("auditRefs") or []:
        audit = audits.get(ref.get("id")) or {}
        if not ref.get("weight") or audit.get("score") != 0:
            continue
        details = audit.get("details") or {}
        items = details.get("items") or []
        out.append(
            {
                "audit": ref["id"],
                "weight": ref["weight"],
                "impact": (details.get("debugData") or {}).get("impact"),
                "help": audit.get("title", ""),
                "nodes": len(items),
                "selectors": [((i.get("node") or {}).get("selector") or "") for i in items[:5]],
            }
        )
    out.sort(key=lambda a: (-a["weight"], a["audit"]))
    return out


def report_values(report: Mapping[str, Any]) -> tuple[Vitals, dict[str, Any]]:
    """A Lighthouse report's metrics as bigday Vitals, and the small part of it that goes into a sample's details.

    Only numbers and names: no screenshot, filmstrip or trace leaves the report file."""
    audits = report.get("audits") or {}
    categories = report.get("categories") or {}
    values: dict[str, float | None] = {m: _numeric(audits, a) for a, m in AUDIT_METRICS.items()}
    values |= {m: _score(categories, c) for c, m in CATEGORY_METRICS.items()}
    resources = _resources(audits)
    script = resources["by_type"].get("script") or {}
    vitals = Vitals(
        lcp=values["lcp"],
        cls=values["cls"],
        fcp=values["fcp"],
        tbt=values["tbt"],
        si=values["si"],
        js_bytes=float(script["transfer_bytes"]) if isinstance(script.get("transfer_bytes"), (int, float)) else None,
        performance_score=values["performance_score"],
        accessibility_score=values["accessibility_score"],
    )
    errored = sorted(a for a, v in audits.items() if (v or {}).get("scoreDisplayMode") == "error")
    settings = report.get("configSettings") or {}
    details = {
        "lighthouse_version": report.get("lighthouseVersion"),
        "final_url": report.get("finalDisplayedUrl") or report.get("finalUrl"),
        "fetch_time": report.get("fetchTime"),
        "total_ms": (report.get("timing") or {}).get("total"),
        "throttling_method": settings.get("throttlingMethod"),
        "throttling": settings.get("throttling"),
        "screen_emulation": settings.get("screenEmulation"),
        "runtime_error": (report.get("runtimeError") or {}).get("code"),
        "run_warnings": list(report.get("runWarnings") or [])[:10],
        "errored_audits": errored,
        # Every audit's score (numbers only), so Lighthouse CI assertions can judge Lighthouse's own audits.
        "audit_scores": {a: v["score"] for a, v in audits.items() if isinstance((v or {}).get("score"), (int, float))},
        "resources": resources,
        "accessibility": {"score": values["accessibility_score"], "failed_audits": failed_accessibility_audits(report)},
    }
    return vitals, details


def _browser_version(report: Mapping[str, Any]) -> str:
    agent = str((report.get("environment") or {}).get("hostUserAgent") or "")
    found = _CHROME_VERSION.search(agent)
    return found.group(1) if found else "unknown"


def run_lighthouse(
    folder: RunFolder,
    target: PageTarget,
    profile: Profile,
    run_index: int,
    attempt: int = 1,
    timeout_s: float = 180.0,
    browser_version: str | None = None,
) -> PageRun:
    """One Lighthouse run of a page: its report kept in ``folder``, its values as a PageRun (engine lighthouse).

    A failed run comes back with ``ok=False`` and the reason (Lighthouse's exit, its runtime error, a timeout)."""
    started = datetime.now(UTC).isoformat(timespec="milliseconds")
    t0 = time.monotonic()

    def record(ok: bool, error: str | None = None, vitals: Vitals | None = None, **details: Any) -> PageRun:
        return PageRun(
            target=target,
            run_index=run_index,
            warm=False,
            profile=profile.name,
            device=profile.device,
            connection=profile.connection,
            browser_version=details.pop("browser_version", browser_version or "unknown"),
            attempt=attempt,
            started_at=started,
            ok=ok,
            error=error,
            vitals=vitals or Vitals(),
            details=details,
            duration_s=time.monotonic() - t0,
            engine="lighthouse",
        )

    with tempfile.TemporaryDirectory(prefix="bigday-lh-") as tmp:
        output = Path(tmp) / "report.json"
        cmd = lighthouse_command(target.url, profile, output, browser_version)
        env = environment.child_environment(CHROME_PATH=chromium_path())
        # Lighthouse's Node and the Chromium it launches end with bigday, SIGKILL included (the watchdog).
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp)
        children.watch([proc.pid])
        try:
            stdout, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return record(False, f"lighthouse: no report within {timeout_s:.0f} s")
        if proc.returncode != 0 or not output.is_file():
            tail = (stderr or stdout).strip().splitlines()
            return record(False, f"lighthouse exited {proc.returncode}: {tail[-1] if tail else 'no output'}"[:300])
        text = output.read_text(encoding="utf-8")
    report = report_json(text, f"lighthouse report of {target.url}")
    relative = write_lighthouse_report(folder, target.page, run_index, text)
    vitals, details = report_values(report)
    details["report"] = relative
    if details["runtime_error"]:
        return record(False, f"lighthouse runtime error {details['runtime_error']}", **details)
    return record(True, vitals=vitals, browser_version=_browser_version(report), **details)
