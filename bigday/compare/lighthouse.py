"""Lighthouse CI configuration mapped onto bigday's checks: a ``budget.json`` and a lighthouserc's ``ci.assert``.

A team moving from Lighthouse CI keeps its files. Whatever has no bigday equivalent is listed, with the
reason, in ``unsupported`` (printed by compare and written to verdicts.json), never silently dropped.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bigday.compare.checks import SourcedBudget, SourcedThreshold
from bigday.compare.lhci_presets import PRESETS
from bigday.errors import ConfigError
from bigday.metrics import METRICS, Direction
from bigday.settings.scenario import Aggregate, Budget, Level, Page, Threshold
from bigday.stats.lighthouse import ACCESSIBILITY_INFORMATIVE, ACCESSIBILITY_WEIGHTS, CURVES, value_at_score

KIB = 1024  # Lighthouse budget sizes are KiB

# budget.json timings -> bigday metric
BUDGET_TIMINGS = {
    "first-contentful-paint": "fcp",
    "largest-contentful-paint": "lcp",
    "cumulative-layout-shift": "cls",
    "total-blocking-time": "tbt",
    "speed-index": "si",
}
BUDGET_TIMINGS_UNSUPPORTED = {
    "interactive": "Time to Interactive is not measured (Lighthouse 10 dropped it too)",
    "first-meaningful-paint": "First Meaningful Paint is not measured (deprecated by Lighthouse)",
    "max-potential-fid": "max-potential-FID is a worst-case estimate; bigday measures the real first input (fid)",
}
# Resource types the probe's resource summary (details.resources.by_type, Resource Timing) reports.
RESOURCE_TYPES = ("stylesheet", "image", "font", "other")
# Every resource type a Lighthouse budget may name; any other name is a mistake, refused.
LIGHTHOUSE_RESOURCE_TYPES = (
    "document",
    "font",
    "image",
    "media",
    "other",
    "script",
    "stylesheet",
    "third-party",
    "total",
)
UNSUPPORTED_RESOURCE_TYPES = {
    "document": "the page's own HTML is a navigation entry, not in the resource summary",
    "total": "the resource summary leaves out the HTML document, so a total would be short",
    "media": "audio/video are not told apart from other resources",
    "third-party": "resources are not classified first- or third-party",
}
# lighthouserc audit id -> bigday metric (numeric assertions)
AUDIT_METRICS = {
    "largest-contentful-paint": "lcp",
    "first-contentful-paint": "fcp",
    "cumulative-layout-shift": "cls",
    "total-blocking-time": "tbt",
    "server-response-time": "ttfb",
    "interaction-to-next-paint": "inp",
    "experimental-interaction-to-next-paint": "inp",
    "speed-index": "si",
    "resource-summary:script:size": "js_bytes",
}
# Audits whose value is a count of items (maxLength): the probe's count of the same things.
AUDIT_COUNTS = {"errors-in-console": "console_errors"}
# Lighthouse's accessibility audits are axe rules of the same id, judged per run: 1 passed, 0 failed.
AXE_AUDITS = frozenset(ACCESSIBILITY_WEIGHTS) | ACCESSIBILITY_INFORMATIVE
AUDIT_PREFIX = "audit:"
CATEGORY_METRICS = {"categories:performance": "performance_score", "categories:accessibility": "accessibility_score"}
LEVELS: dict[str, Level] = {"warn": "warn", "error": "error"}


@dataclass(frozen=True)
class LighthouseChecks:
    """Checks read from Lighthouse CI files, and what could not be mapped."""

    thresholds: tuple[SourcedThreshold, ...] = ()
    budgets: tuple[SourcedBudget, ...] = ()
    unsupported: tuple[str, ...] = ()

    def __add__(self, other: LighthouseChecks) -> LighthouseChecks:
        return LighthouseChecks(
            self.thresholds + other.thresholds, self.budgets + other.budgets, self.unsupported + other.unsupported
        )


def _load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what} file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory; expected a {what} JSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid JSON ({e}); expected a {what} file") from None


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    # Lighthouse budget paths: '*' matches anything, a trailing '$' anchors the end.
    anchored = pattern.endswith("$")
    body = re.escape(pattern.rstrip("$")).replace(r"\*", ".*")
    return re.compile("^" + body + ("$" if anchored else ""))


def _pages_matching(pages: tuple[Page, ...], regex: re.Pattern[str]) -> tuple[str, ...]:
    return tuple(p.name for p in pages if regex.search(p.path))


def _number(value: Any, where: str, high: float = 1e15) -> float:
    """A budget or bound: finite, >= 0 (no timing, size, count or score is negative) and at most ``high``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if not 0 <= value <= high:
        raise ConfigError(f"{where}: expected a number from 0 to {high:g}, got {value!r}")
    return float(value)


def read_budget_json(path: str | Path, pages: tuple[Page, ...]) -> LighthouseChecks:
    """A Lighthouse ``budget.json`` (a list of {path, timings, resourceSizes, resourceCounts})."""
    path = Path(path)
    data = _load_json(path, "budget.json")
    if not isinstance(data, list):
        raise ConfigError(f"{path}: expected a list of budgets, got {type(data).__name__}")
    thresholds: list[SourcedThreshold] = []
    budgets: list[SourcedBudget] = []
    unsupported: list[str] = []
    src = f"budget.json:{path.name}"
    patterns = [_budget_pattern(entry, f"{path}: [{i}]") for i, entry in enumerate(data)]
    # Lighthouse applies one budget per page: the last entry whose path matches it.
    last_match = {p.name: max((i for i, rx in enumerate(patterns) if rx.search(p.path)), default=None) for p in pages}
    for i, entry in enumerate(data):
        where = f"{path}: [{i}]"
        pattern = entry.get("path", "/*")
        matched = tuple(name for name, j in last_match.items() if j == i)
        if not matched:
            later = any(patterns[i].search(p.path) for p in pages)
            why = "every page it matches has a later matching budget" if later else "matches no scenario page"
            unsupported.append(f"budget.json [{i}] path {pattern!r}: {why}")
            # Still read, so a mistake in it is reported like one in a budget that applies.
            for part in (_timing_budgets, _size_budgets, _count_budgets):
                part(entry, where, (), src)
            continue
        if entry.get("options"):
            unsupported.append(f"budget.json [{i}] options (firstPartyHostnames): no equivalent; all JS counts")
        for part in (_timing_budgets, _size_budgets, _count_budgets):
            found, missing = part(entry, where, matched, src)
            thresholds += found
            unsupported += missing
    return LighthouseChecks(tuple(thresholds), tuple(budgets), tuple(unsupported))


def _budget_pattern(entry: Any, where: str) -> re.Pattern[str]:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(entry).__name__}")
    known = {"path", "options", "timings", "resourceSizes", "resourceCounts"}
    extra = sorted(set(entry) - known)
    if extra:
        raise ConfigError(f"{where}.{extra[0]}: unknown key; expected one of {', '.join(sorted(known))}")
    pattern = entry.get("path", "/*")
    if not isinstance(pattern, str) or not pattern.startswith("/"):
        raise ConfigError(f"{where}.path: expected a path pattern starting with / like /* , got {pattern!r}")
    return _glob_to_regex(pattern)


def _budget_threshold(metric: str, budget: float, pages: tuple[str, ...], src: str) -> SourcedThreshold:
    return SourcedThreshold(Threshold(metric, "max", budget, "error", Direction.LOWER_IS_BETTER, pages), src)


def _timing_budgets(
    entry: dict[str, Any], where: str, pages: tuple[str, ...], src: str
) -> tuple[list[SourcedThreshold], list[str]]:
    found, missing = [], []
    for j, t in enumerate(_list(entry, "timings", where)):
        w = f"{where}.timings[{j}]"
        name, budget = _item(t, "metric", w), _number(_get(t, "budget", w), f"{w}.budget")
        if name in BUDGET_TIMINGS:
            metric = BUDGET_TIMINGS[name]
            found.append(
                SourcedThreshold(Threshold(metric, "median", budget, "error", METRICS[metric].direction, pages), src)
            )
        elif name in BUDGET_TIMINGS_UNSUPPORTED:
            missing.append(f"budget.json timing {name}: {BUDGET_TIMINGS_UNSUPPORTED[name]}")
        else:
            raise ConfigError(f"{w}.metric: unknown Lighthouse timing {name!r}")
    return found, missing


def _size_budgets(
    entry: dict[str, Any], where: str, pages: tuple[str, ...], src: str
) -> tuple[list[SourcedThreshold], list[str]]:
    found, missing = [], []
    for j, r in enumerate(_list(entry, "resourceSizes", where)):
        w = f"{where}.resourceSizes[{j}]"
        kind, budget = _resource_type(r, w), _number(_get(r, "budget", w), f"{w}.budget")
        if kind == "script":
            found.append(_budget_threshold("js_bytes", budget * KIB, pages, src))
        elif kind in RESOURCE_TYPES:
            found.append(_budget_threshold(f"resource.{kind}.bytes", budget * KIB, pages, src))
        else:
            missing.append(f"budget.json resourceSizes {kind}: {UNSUPPORTED_RESOURCE_TYPES[kind]}")
    return found, missing


def _count_budgets(
    entry: dict[str, Any], where: str, pages: tuple[str, ...], src: str
) -> tuple[list[SourcedThreshold], list[str]]:
    found, missing = [], []
    for j, r in enumerate(_list(entry, "resourceCounts", where)):
        w = f"{where}.resourceCounts[{j}]"
        kind, budget = _resource_type(r, w), _number(_get(r, "budget", w), f"{w}.budget")
        if kind in RESOURCE_TYPES or kind == "script":
            found.append(_budget_threshold(f"resource.{kind}.count", budget, pages, src))
        else:
            missing.append(f"budget.json resourceCounts {kind}: {UNSUPPORTED_RESOURCE_TYPES[kind]}")
    return found, missing


def _resource_type(d: Any, where: str) -> str:
    kind = _item(d, "resourceType", where)
    if kind not in LIGHTHOUSE_RESOURCE_TYPES:
        known = ", ".join(LIGHTHOUSE_RESOURCE_TYPES)
        raise ConfigError(f"{where}.resourceType: unknown resource type {kind!r}; expected one of {known}")
    return kind


def _get(d: dict[str, Any], key: str, where: str) -> Any:
    if key not in d:
        raise ConfigError(f"{where}: missing required key {key!r}")
    return d[key]


def _item(d: Any, key: str, where: str) -> str:
    if not isinstance(d, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(d).__name__}")
    v = _get(d, key, where)
    if not isinstance(v, str):
        raise ConfigError(f"{where}.{key}: expected a string, got {v!r}")
    return v


def _list(d: dict[str, Any], key: str, where: str) -> list[Any]:
    v = d.get(key) or []
    if not isinstance(v, list):
        raise ConfigError(f"{where}.{key}: expected a list, got {type(v).__name__}")
    return v


def score_to_value(metric: str, min_score: float, profile: str) -> float | None:
    """The metric value at which Lighthouse's log-normal scoring gives ``min_score`` (None if no curve)."""
    curve = CURVES.get(profile, CURVES["mobile"]).get(metric)
    if curve is None or not 0 < min_score < 1:
        return None
    return value_at_score(curve, min_score)


def _aggregate(method: str, assertion: str, where: str) -> Aggregate:
    """LHCI aggregation: optimistic takes the best run, pessimistic the worst, for a max- or min- assertion."""
    if method in ("median", "median-run"):
        return "median"
    if method == "optimistic":
        return "min" if assertion == "max" else "max"
    if method == "pessimistic":
        return "max" if assertion == "max" else "min"
    raise ConfigError(
        f"{where}.aggregationMethod: expected median, median-run, optimistic or pessimistic, got {method!r}"
    )


def _resource_metric(key: str) -> str | None:
    """``resource-summary:<type>:count|size`` as the probe's resource metric (script size is js_bytes)."""
    parts = key.split(":")
    if len(parts) != 3 or parts[0] != "resource-summary" or parts[2] not in ("count", "size"):
        return None
    kind, what = parts[1], parts[2]
    if kind == "script" and what == "size":
        return "js_bytes"
    if kind in RESOURCE_TYPES or kind == "script":
        return f"resource.{kind}.{'count' if what == 'count' else 'bytes'}"
    return None


def _metric_of(key: str) -> str | None:
    if key in AXE_AUDITS:
        return AUDIT_PREFIX + key
    return AUDIT_METRICS.get(key) or CATEGORY_METRICS.get(key) or AUDIT_COUNTS.get(key) or _resource_metric(key)


def _why_not(audit: str, key: str) -> str:
    if key.startswith("resource-summary:"):
        kind = key.split(":")[1] if ":" in key else key
        return f"lighthouserc {audit}: {UNSUPPORTED_RESOURCE_TYPES.get(kind, 'not a resource summary bigday keeps')}"
    return f"lighthouserc {audit}: no bigday equivalent (needs a Lighthouse report)"


def _assertions(
    assertions: Any, where: str, pages: tuple[str, ...], profile: str, src: str, default_method: str
) -> LighthouseChecks:
    if not isinstance(assertions, dict):
        raise ConfigError(f"{where}: expected a mapping of audit id to assertion")
    thresholds: list[SourcedThreshold] = []
    unsupported: list[str] = []
    for audit, spec in assertions.items():
        w = f"{where}.{audit}"
        level, opts = _assertion_spec(spec, w)
        if level == "off":
            continue
        key = ":".join(x for x in re.split(r"[.:]", audit) if x)  # LHCI accepts . and : alike
        metric = _metric_of(key)
        if metric is None:
            unsupported.append(_why_not(audit, key))
            continue
        method = opts.get("aggregationMethod", default_method)
        if "maxLength" in opts:
            if key in AUDIT_COUNTS:
                limit = _number(opts["maxLength"], f"{w}.maxLength")
                thresholds.append(
                    SourcedThreshold(
                        Threshold(metric, _aggregate(method, "max", w), limit, level, Direction.LOWER_IS_BETTER, pages),
                        src,
                    )
                )
                continue
            unsupported.append(f"lighthouserc {audit} maxLength: counts of this audit's items are not measured")
        bounds, missing = _assertion_bounds(audit, key, metric, opts, method, profile, w)
        unsupported += missing
        for bound, bound_direction, agg in bounds:
            thresholds.append(SourcedThreshold(Threshold(metric, agg, bound, level, bound_direction, pages), src))
    return LighthouseChecks(tuple(thresholds), (), tuple(unsupported))


def _preset(
    name: Any, assertions: Any, where: str, pages: tuple[str, ...], profile: str, src: str, method: str
) -> LighthouseChecks:
    """A preset's assertions that bigday checks (the lighthouserc's own assertions replace the preset's of the
    same audit), and one line naming the audits of it that have no bigday equivalent."""
    if name not in PRESETS:
        raise ConfigError(f"{where}.preset: unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    own = (
        {":".join(x for x in re.split(r"[.:]", a) if x) for a in (assertions or {})}
        if isinstance(assertions, dict)
        else set()
    )
    kept = {a: [level, opts] for a, (level, opts) in PRESETS[name].items() if a not in own}
    checks = _assertions(kept, f"{where}.preset {name}", pages, profile, src, method)
    skipped = sorted({u.split(":")[0].removeprefix("lighthouserc ").split(" ")[0] for u in checks.unsupported})
    mapped = len({t.threshold.metric for t in checks.thresholds})
    note = (
        f"lighthouserc preset {name!r}: {mapped} of its audits checked; {len(skipped)} have no bigday equivalent"
        f" (they need a Lighthouse report: use --engine lighthouse): {', '.join(skipped)}"
    )
    return LighthouseChecks(checks.thresholds, (), (note,))


def _assertion_spec(spec: Any, w: str) -> tuple[Level | Literal["off"], dict[str, Any]]:
    """An assertion's level and options: ``"error"`` or ``["warn", {options}]``."""
    opts: Any
    if isinstance(spec, str):
        level, opts = spec, {}
    elif isinstance(spec, list) and len(spec) in (1, 2) and isinstance(spec[0], str):
        level, opts = spec[0], (spec[1] if len(spec) == 2 else {})
    else:
        raise ConfigError(f'{w}: expected "off", "warn", "error" or [level, {{options}}], got {spec!r}')
    if level == "off":
        return "off", {}
    if level not in LEVELS:
        raise ConfigError(f"{w}: level must be off, warn or error, got {level!r}")
    if not isinstance(opts, dict):
        raise ConfigError(f"{w}: options must be a mapping, got {opts!r}")
    return LEVELS[level], opts


def _assertion_bounds(
    audit: str, key: str, metric: str, opts: dict[str, Any], method: str, profile: str, w: str
) -> tuple[list[tuple[float, Direction, Aggregate]], list[str]]:
    """The bounds one assertion sets (maxNumericValue, minScore) and what of it cannot be checked."""
    # Lighthouse CI: without maxNumericValue or maxLength an assertion means minScore >= 0.9.
    min_score = opts.get("minScore")
    if min_score is None and "maxNumericValue" not in opts and "maxLength" not in opts:
        min_score = 0.9
    bounds: list[tuple[float, Direction, Aggregate]] = []
    missing: list[str] = []
    if "maxNumericValue" in opts:
        agg = _aggregate(method, "max", w)
        bounds.append((_number(opts["maxNumericValue"], f"{w}.maxNumericValue"), Direction.LOWER_IS_BETTER, agg))
    if min_score is None:
        return bounds, missing
    score = _number(min_score, f"{w}.minScore", high=1.0)  # Lighthouse scores are 0..1
    if key in CATEGORY_METRICS:
        bounds.append((100.0 * score, Direction.HIGHER_IS_BETTER, _aggregate(method, "min", w)))
        return bounds, missing
    if metric.startswith(AUDIT_PREFIX):  # a pass/fail audit per run (1 or 0): at least minScore
        bounds.append((score, Direction.HIGHER_IS_BETTER, _aggregate(method, "min", w)))
        return bounds, missing
    if key in AUDIT_COUNTS:  # scores 1 with no item, 0 with any
        bounds.append((0.0, Direction.LOWER_IS_BETTER, _aggregate(method, "max", w)))
        return bounds, missing
    value = score_to_value(metric, score, profile)
    if value is None:
        missing.append(
            f"lighthouserc {audit} minScore {score:g}: no Lighthouse scoring curve for {metric} at that score"
        )
    else:
        # A score at least s means the value is at most the curve's value at s.
        bounds.append((value, Direction.LOWER_IS_BETTER, _aggregate(method, "max", w)))
    return bounds, missing


def read_lighthouserc(path: str | Path, pages: tuple[Page, ...], profile: str = "desktop") -> LighthouseChecks:
    """The ``ci.assert`` block of a lighthouserc.json: assertions, assertMatrix, budgetsFile; presets are named."""
    path = Path(path)
    data = _load_json(path, "lighthouserc")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with ci.assert")
    ci = data.get("ci")
    block = ci.get("assert") if isinstance(ci, dict) else None
    if not isinstance(block, dict):
        raise ConfigError(f"{path}: ci.assert: missing or not a mapping; nothing to check")
    src = f"lighthouserc:{path.name}"
    all_pages = tuple(p.name for p in pages)
    out = LighthouseChecks()
    known = {"preset", "assertions", "assertMatrix", "budgetsFile", "includePassedAssertions", "aggregationMethod"}
    # Lighthouse CI's default aggregation is "optimistic" (the best of the runs).
    default_method = block.get("aggregationMethod", "optimistic")
    for key in sorted(set(block) - known):
        out += LighthouseChecks(unsupported=(f"lighthouserc ci.assert.{key}: not understood by bigday",))
    preset = block.get("preset")
    if preset:
        out += _preset(preset, block.get("assertions"), f"{path}: ci.assert", all_pages, profile, src, default_method)
    if "assertions" in block:
        out += _assertions(
            block["assertions"], f"{path}: ci.assert.assertions", all_pages, profile, src, default_method
        )
    matrix = block.get("assertMatrix") or []
    if not isinstance(matrix, list):
        raise ConfigError(f"{path}: ci.assert.assertMatrix: expected a list")
    for i, entry in enumerate(matrix):
        w = f"{path}: ci.assert.assertMatrix[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{w}: expected a mapping")
        pattern = entry.get("matchingUrlPattern", ".*")
        try:
            regex = re.compile(pattern)
        except (re.error, TypeError):
            raise ConfigError(f"{w}.matchingUrlPattern: not a valid regular expression: {pattern!r}") from None
        matched = _pages_matching(pages, regex)
        if not matched:
            out += LighthouseChecks(unsupported=(f"lighthouserc assertMatrix[{i}] {pattern!r}: matches no page",))
            continue
        out += _assertions(
            entry.get("assertions", {}),
            f"{w}.assertions",
            matched,
            profile,
            src,
            str(entry.get("aggregationMethod", default_method)),
        )
    if block.get("budgetsFile"):
        budget_path = (path.parent / str(block["budgetsFile"])).resolve()
        out += read_budget_json(budget_path, pages)
    return out


def chunk_budget(chunk: str, max_bytes: int, level: Level = "error") -> SourcedBudget:
    return SourcedBudget(Budget(chunk, max_bytes, level), "scenario")
