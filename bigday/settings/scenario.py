"""The scenario: the app under test and what good looks like, parsed once into frozen typed objects.

Every error names the file, the key path (``thresholds[2].bound``) and what is expected, in one line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import yaml

from bigday.errors import ConfigError
from bigday.metrics import METRICS, Direction, Unit

AGGREGATES = ("median", "p75", "p95", "p99", "mean", "min", "max")
LEVELS = ("warn", "error")
USER_KINDS = ("photographer", "planner", "couple")
# The example scenario ships inside the package (scenarios/wedsync.yaml in a checkout links to it).
DEFAULT_SCENARIO = Path(str(resources.files("bigday") / "scenarios" / "wedsync.yaml"))


# ---------------------------------------------------------------- model


@dataclass(frozen=True)
class InteractionStep:
    """One trusted input step: click a selector, or type text into a field."""

    action: str  # "click" | "type" | "press"
    selector: str
    text: str = ""


@dataclass(frozen=True)
class Page:
    """A critical path of the app and the interaction performed on it after load."""

    name: str
    path: str
    interaction: tuple[InteractionStep, ...] = ()
    tenant: str | None = None


@dataclass(frozen=True)
class Tenant:
    """A studio using the app."""

    id: str
    name: str
    plan: str  # "premium" | "small"
    clients: int
    concurrent_weddings: int


@dataclass(frozen=True)
class Threshold:
    """A bound on one aggregate of one metric, for some or all pages."""

    metric: str
    aggregate: str
    bound: float
    level: str  # "warn" | "error"
    direction: Direction
    pages: tuple[str, ...] = ()  # empty: every page

    def applies_to(self, page: str) -> bool:
        return not self.pages or page in self.pages

    def breached_by(self, value: float) -> bool:
        if self.direction is Direction.LOWER_IS_BETTER:
            return value > self.bound
        return value < self.bound


@dataclass(frozen=True)
class AlertBand:
    """Where a metric's alert severity turns high (warning) and critical."""

    metric: str
    warning: float | None
    critical: float | None
    direction: Direction


@dataclass(frozen=True)
class Budget:
    """A size budget in bytes on one JS chunk (or ``total`` for all JS)."""

    chunk: str
    max_bytes: int
    level: str = "error"


@dataclass(frozen=True)
class RegressionPolicy:
    """Minimum effect sizes for a regression verdict against a baseline."""

    timing_pct: float = 10.0
    cls_abs: float = 0.02
    score_points: float = 5.0
    alpha: float = 0.05


@dataclass(frozen=True)
class LoadStage:
    """One stage of the Saturday shape: reach ``users`` over ``duration_s`` seconds."""

    name: str
    duration_s: float
    users: int


@dataclass(frozen=True)
class IsolationPolicy:
    """Which tenants play victim and aggressor, and how much slow-down is tolerated."""

    victim: str
    aggressor: str
    tolerance: float = 1.25
    victim_p95_sla_ms: float = 500.0
    victim_max_error_rate: float = 0.01
    phase_s: float = 20.0
    # A victim slow-down counts only when its p95 rise could also reach this many ms (0: the ratio alone).
    min_effect_ms: float = 0.0


@dataclass(frozen=True)
class LoadShape:
    """Load rehearsal parameters."""

    peak_users: int = 10_000
    stages: tuple[LoadStage, ...] = ()
    user_mix: tuple[tuple[str, float], ...] = (("photographer", 0.5), ("planner", 0.3), ("couple", 0.2))
    think_time_s: tuple[float, float] = (1.0, 5.0)
    max_duration_s: float = 1800.0
    allow_hosts: tuple[str, ...] = ()
    isolation: IsolationPolicy | None = None


@dataclass(frozen=True)
class Scenario:
    """The app under test and what good looks like."""

    name: str
    source: Path
    sha256: str
    base_url: str | None
    pages: tuple[Page, ...]
    tenants: tuple[Tenant, ...]
    thresholds: tuple[Threshold, ...]
    alert_bands: tuple[AlertBand, ...] = ()
    budgets: tuple[Budget, ...] = ()
    regression: RegressionPolicy = field(default_factory=RegressionPolicy)
    load: LoadShape = field(default_factory=LoadShape)

    def page(self, name: str) -> Page:
        for p in self.pages:
            if p.name == name:
                return p
        raise ConfigError(f"{self.source}: no page named {name!r}; pages are {', '.join(p.name for p in self.pages)}")

    def tenant(self, tenant_id: str) -> Tenant:
        for t in self.tenants:
            if t.id == tenant_id:
                return t
        raise ConfigError(
            f"{self.source}: no tenant {tenant_id!r}; tenants are {', '.join(t.id for t in self.tenants)}"
        )

    @property
    def default_tenant(self) -> Tenant:
        return self.tenants[0]


# ---------------------------------------------------------------- units

_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_FACTOR_MS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0, "d": 86_400_000.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$")
_SIZE_FACTOR = {"B": 1, "KB": 1000, "KiB": 1024, "MB": 1000**2, "MiB": 1024**2, "GB": 1000**3, "GiB": 1024**3}


def parse_duration_ms(value: Any, default_unit: str = "ms") -> float:
    """``1500``, ``"1500ms"``, ``"1.5s"``, ``"2m"`` to milliseconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a duration, not a boolean")
    if isinstance(value, (int, float)):
        return float(value) * _DURATION_FACTOR_MS[default_unit]
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _DURATION_FACTOR_MS[m.group(2) or default_unit]
    raise ValueError(f"a duration like 1500ms, 2s or 5m, got {value!r}")


def parse_size_bytes(value: Any) -> int:
    """``1024``, ``"200KB"`` (1000 B), ``"200KiB"`` (1024 B), ``"1.5MB"`` to bytes; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a size, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m:
            return int(float(m.group(1)) * _SIZE_FACTOR[m.group(2) or "B"])
    raise ValueError(f"a size like 200KB, 300KiB or 1.5MB, got {value!r}")


# ---------------------------------------------------------------- parsing helpers


class _Node:
    """A mapping being read, which remembers its file and key path for error messages."""

    def __init__(self, source: Path, where: str, data: Any) -> None:
        self.source = source
        self.where = where
        if not isinstance(data, dict):
            self.fail(f"expected a mapping, got {_kind(data)}")
        self.data: dict[str, Any] = data
        self.seen: set[str] = set()

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        path = self.key_path(key) if key else (self.where or "top level")
        raise ConfigError(f"{self.source}: {path}: {message}")

    def key_path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str, required: bool) -> Any:
        self.seen.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                self.fail("missing required key", key)
            return None
        return self.data[key]

    def text(self, key: str, default: str | None = None, required: bool = False, choices: tuple[str, ...] = ()) -> Any:
        v = self._get(key, required)
        if v is None:
            return default
        if not isinstance(v, str) or not v.strip():
            self.fail(f"expected a non-empty string, got {_kind(v)}", key)
        if choices and v not in choices:
            self.fail(f"expected one of {', '.join(choices)}, got {v!r}", key)
        return v

    def whole(self, key: str, default: int | None = None, required: bool = False, minimum: int = 0) -> Any:
        v = self._get(key, required)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int):
            self.fail(f"expected a whole number, got {_kind(v)}", key)
        if v < minimum:
            self.fail(f"expected a number >= {minimum}, got {v}", key)
        return v

    def number(
        self, key: str, default: float | None = None, required: bool = False, minimum: float | None = None
    ) -> Any:
        v = self._get(key, required)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(f"expected a number, got {_kind(v)}", key)
        if minimum is not None and v < minimum:
            self.fail(f"expected a number >= {minimum}, got {v}", key)
        return float(v)

    def duration_s(self, key: str, default: float | None = None, required: bool = False) -> Any:
        v = self._get(key, required)
        if v is None:
            return default
        try:
            ms = parse_duration_ms(v, default_unit="s")
        except ValueError as e:
            self.fail(f"expected {e}", key)
        if ms <= 0:
            self.fail(f"expected a positive duration, got {v!r}", key)
        return ms / 1000.0

    def duration_ms(self, key: str, default: float) -> float:
        """A duration in ms (a bare number is ms); zero allowed."""
        v = self._get(key, False)
        if v is None:
            return default
        try:
            return parse_duration_ms(v)
        except ValueError as e:
            self.fail(f"expected {e}", key)

    def seq(self, key: str, required: bool = False) -> list[Any]:
        v = self._get(key, required)
        if v is None:
            return []
        if not isinstance(v, list):
            self.fail(f"expected a list, got {_kind(v)}", key)
        return v

    def mapping(self, key: str, required: bool = False) -> _Node | None:
        v = self._get(key, required)
        if v is None:
            return None
        return _Node(self.source, self.key_path(key), v)

    def child(self, key: str, index: int, item: Any) -> _Node:
        return _Node(self.source, f"{self.key_path(key)}[{index}]", item)

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            known = ", ".join(sorted(self.seen))
            raise ConfigError(f"{self.source}: {self.key_path(unknown[0])}: unknown key; expected one of: {known}")


def _kind(v: Any) -> str:
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return f"a boolean ({v})"
    if isinstance(v, (int, float)):
        return f"a number ({v})"
    if isinstance(v, str):
        return f"a string ({v!r})"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


def _value_in_unit(node: _Node, key: str, metric_name: str, required: bool = True) -> float | None:
    """Read a bound in the metric's own unit: durations for ms metrics, sizes for byte metrics."""
    raw = node._get(key, required)
    if raw is None:
        return None
    unit = METRICS[metric_name].unit
    try:
        if unit is Unit.MS:
            return parse_duration_ms(raw)
        if unit is Unit.BYTES:
            return float(parse_size_bytes(raw))
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ValueError(f"a plain number for {metric_name}, got {_kind(raw)}")
        return float(raw)
    except ValueError as e:
        node.fail(f"expected {e}", key)
    return None  # unreachable


# ---------------------------------------------------------------- sections


def _parse_interaction(node: _Node, key: str, items: list[Any]) -> tuple[InteractionStep, ...]:
    steps = []
    for i, item in enumerate(items):
        step = node.child(key, i, item)
        actions = [a for a in ("click", "type", "press") if a in step.data]
        if len(actions) != 1:
            step.fail("expected exactly one of click, type or press")
        action = actions[0]
        if action == "click":
            steps.append(InteractionStep("click", step.text("click", required=True)))
        else:
            sub = step.mapping(action, required=True)
            assert sub is not None
            selector = sub.text("selector", required=True)
            text = sub.text("text" if action == "type" else "key", required=True)
            sub.done()
            steps.append(InteractionStep(action, selector, text))
        step.done()
    return tuple(steps)


def _parse_pages(root: _Node, tenant_ids: set[str]) -> tuple[Page, ...]:
    pages = []
    items = root.seq("pages", required=True)
    if not items:
        root.fail("expected at least one page", "pages")
    names: set[str] = set()
    for i, item in enumerate(items):
        n = root.child("pages", i, item)
        name = n.text("name", required=True)
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
            n.fail(f"expected a lower-case slug (letters, digits, - and _), got {name!r}", "name")
        if name in names:
            n.fail(f"duplicate page name {name!r}", "name")
        names.add(name)
        path = n.text("path", required=True)
        if not path.startswith("/"):
            n.fail(f"expected a path starting with '/', got {path!r}", "path")
        tenant = n.text("tenant")
        if tenant is not None and tenant not in tenant_ids:
            n.fail(f"unknown tenant {tenant!r}; tenants are {', '.join(sorted(tenant_ids))}", "tenant")
        interaction = _parse_interaction(n, "interaction", n.seq("interaction"))
        n.done()
        pages.append(Page(name, path, interaction, tenant))
    return tuple(pages)


def _parse_tenants(root: _Node) -> tuple[Tenant, ...]:
    items = root.seq("tenants", required=True)
    if not items:
        root.fail("expected at least one tenant", "tenants")
    tenants = []
    ids: set[str] = set()
    for i, item in enumerate(items):
        n = root.child("tenants", i, item)
        tid = n.text("id", required=True)
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", tid):
            n.fail(f"expected a lower-case slug (letters, digits, -), got {tid!r}", "id")
        if tid in ids:
            n.fail(f"duplicate tenant id {tid!r}", "id")
        ids.add(tid)
        plan = n.text("plan", required=True, choices=("premium", "small"))
        clients = n.whole("clients", required=True, minimum=1)
        if plan == "small" and clients > 1000:
            n.fail(f"a small studio has at most 1000 clients, got {clients}", "clients")
        tenants.append(
            Tenant(
                id=tid,
                name=n.text("name", default=tid),
                plan=plan,
                clients=clients,
                concurrent_weddings=n.whole("concurrent_weddings", default=1, minimum=0),
            )
        )
        n.done()
    return tuple(tenants)


def _metric_name(n: _Node) -> str:
    name = n.text("metric", required=True)
    if name not in METRICS:
        n.fail(f"unknown metric {name!r}; expected one of {', '.join(sorted(METRICS))}", "metric")
    return name


def _direction(n: _Node, metric_name: str) -> Direction:
    raw = n.text("direction", choices=("lower", "higher"))
    return Direction(raw) if raw else METRICS[metric_name].direction


def _parse_thresholds(root: _Node, page_names: set[str]) -> tuple[Threshold, ...]:
    out = []
    for i, item in enumerate(root.seq("thresholds")):
        n = root.child("thresholds", i, item)
        name = _metric_name(n)
        pages_raw = n._get("pages", False)
        pages: tuple[str, ...] = ()
        if pages_raw is not None and pages_raw != "all":
            if not isinstance(pages_raw, list) or not all(isinstance(p, str) for p in pages_raw):
                n.fail(f"expected 'all' or a list of page names, got {_kind(pages_raw)}", "pages")
            for p in pages_raw:
                if p not in page_names:
                    n.fail(f"unknown page {p!r}; pages are {', '.join(sorted(page_names))}", "pages")
            pages = tuple(pages_raw)
        bound = _value_in_unit(n, "bound", name)
        assert bound is not None
        out.append(
            Threshold(
                metric=name,
                aggregate=n.text("aggregate", required=True, choices=AGGREGATES),
                bound=bound,
                level=n.text("level", default="error", choices=LEVELS),
                direction=_direction(n, name),
                pages=pages,
            )
        )
        n.done()
    return tuple(out)


def _parse_alert_bands(root: _Node) -> tuple[AlertBand, ...]:
    node = root.mapping("alert_bands")
    if node is None:
        return ()
    bands = []
    for key in list(node.data):
        if key not in METRICS:
            node.fail(f"unknown metric; expected one of {', '.join(sorted(METRICS))}", key)
        sub = node.mapping(key, required=True)
        assert sub is not None
        warning = _value_in_unit(sub, "warning", key, required=False)
        critical = _value_in_unit(sub, "critical", key, required=False)
        if warning is None and critical is None:
            sub.fail("expected a warning and/or critical bound")
        direction = _direction(sub, key)
        if warning is not None and critical is not None:
            ordered = warning <= critical if direction is Direction.LOWER_IS_BETTER else warning >= critical
            if not ordered:
                sub.fail(
                    f"warning ({warning:g}) must come before critical ({critical:g})"
                    f" for a {direction.value}-is-better metric",
                    "critical",
                )
        sub.done()
        bands.append(AlertBand(key, warning, critical, direction))
    node.done()
    return tuple(bands)


def _parse_budgets(root: _Node) -> tuple[Budget, ...]:
    out = []
    for i, item in enumerate(root.seq("budgets")):
        n = root.child("budgets", i, item)
        chunk = n.text("chunk", required=True)
        raw = n._get("max", True)
        try:
            max_bytes = parse_size_bytes(raw)
        except ValueError as e:
            n.fail(f"expected {e}", "max")
        out.append(Budget(chunk, max_bytes, n.text("level", default="error", choices=LEVELS)))
        n.done()
    return tuple(out)


def _parse_regression(root: _Node) -> RegressionPolicy:
    n = root.mapping("regression")
    if n is None:
        return RegressionPolicy()
    pct = n._get("timing", False)
    timing_pct = 10.0
    if pct is not None:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", str(pct)) if isinstance(pct, str) else None
        if not m:
            n.fail(f"expected a percentage like 10%, got {_kind(pct)}", "timing")
        timing_pct = float(m.group(1))
    policy = RegressionPolicy(
        timing_pct=timing_pct,
        cls_abs=n.number("cls", default=0.02, minimum=0),
        score_points=n.number("score_points", default=5.0, minimum=0),
        alpha=n.number("alpha", default=0.05, minimum=0),
    )
    if not 0 < policy.alpha < 1:
        n.fail(f"expected a significance level between 0 and 1, got {policy.alpha}", "alpha")
    n.done()
    return policy


def _parse_load(root: _Node, tenant_ids: set[str]) -> LoadShape:
    n = root.mapping("load")
    if n is None:
        return LoadShape()
    peak = n.whole("peak_users", default=10_000, minimum=1)
    stages = []
    for i, item in enumerate(n.seq("stages")):
        s = n.child("stages", i, item)
        users = s.whole("users", required=True, minimum=0)
        if users > peak:
            s.fail(f"expected at most peak_users ({peak}), got {users}", "users")
        stages.append(LoadStage(s.text("name", required=True), s.duration_s("duration", required=True), users))
        s.done()
    mix_node = n.mapping("user_mix")
    user_mix = LoadShape().user_mix
    if mix_node is not None:
        mix = []
        for kind in list(mix_node.data):
            if kind not in USER_KINDS:
                mix_node.fail(f"unknown user kind; expected one of {', '.join(USER_KINDS)}", kind)
            mix.append((kind, mix_node.number(kind, required=True, minimum=0)))
        mix_node.done()
        if sum(w for _, w in mix) <= 0:
            mix_node.fail("expected at least one positive weight")
        user_mix = tuple(mix)
    think = n.mapping("think_time")
    think_time = (1.0, 5.0)
    if think is not None:
        think_time = (think.duration_s("min", required=True), think.duration_s("max", required=True))
        if think_time[0] > think_time[1]:
            think.fail(f"min ({think_time[0]}s) exceeds max ({think_time[1]}s)", "min")
        think.done()
    hosts = n.seq("allow_hosts")
    for i, h in enumerate(hosts):
        if not isinstance(h, str) or not h.strip() or "/" in h:
            n.fail(f"expected a host name, got {_kind(h)}", f"allow_hosts[{i}]")
    iso_node = n.mapping("isolation")
    isolation = None
    if iso_node is not None:
        victim = iso_node.text("victim", required=True)
        aggressor = iso_node.text("aggressor", required=True)
        for key, tid in (("victim", victim), ("aggressor", aggressor)):
            if tid not in tenant_ids:
                iso_node.fail(f"unknown tenant {tid!r}; tenants are {', '.join(sorted(tenant_ids))}", key)
        if victim == aggressor:
            iso_node.fail("victim and aggressor must be different tenants", "aggressor")
        tolerance = iso_node.number("tolerance", default=1.25, minimum=1.0)
        isolation = IsolationPolicy(
            victim=victim,
            aggressor=aggressor,
            tolerance=tolerance,
            victim_p95_sla_ms=iso_node.duration_ms("victim_p95_sla", 500.0),
            min_effect_ms=iso_node.duration_ms("min_effect", 0.0),
            victim_max_error_rate=iso_node.number("victim_max_error_rate", default=0.01, minimum=0),
            phase_s=iso_node.duration_s("phase", default=20.0),
        )
        iso_node.done()
    shape = LoadShape(
        peak_users=peak,
        stages=tuple(stages),
        user_mix=user_mix,
        think_time_s=think_time,
        max_duration_s=n.duration_s("max_duration", default=1800.0),
        allow_hosts=tuple(str(h) for h in hosts),
        isolation=isolation,
    )
    n.done()
    return shape


def _check_base_url(root: _Node) -> str | None:
    url = root.text("base_url")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        root.fail(f"expected an http(s) URL like https://app.example.com, got {url!r}", "base_url")
    return url.rstrip("/")


# ---------------------------------------------------------------- entry points


def parse_scenario(text: str, source: Path) -> Scenario:
    """Parse scenario YAML text; ConfigError names ``source``, the key and what is expected."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise ConfigError(f"{source}: not valid YAML at {where}: {problem}") from None
    if data is None:
        raise ConfigError(f"{source}: the file is empty; expected a scenario mapping with name, pages, tenants")
    root = _Node(source, "", data)
    name = root.text("name", required=True)
    version = root.whole("version", default=1, minimum=1)
    if version != 1:
        root.fail(f"expected scenario format version 1, got {version}", "version")
    base_url = _check_base_url(root)
    tenants = _parse_tenants(root)
    tenant_ids = {t.id for t in tenants}
    pages = _parse_pages(root, tenant_ids)
    scenario = Scenario(
        name=name,
        source=source,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        base_url=base_url,
        pages=pages,
        tenants=tenants,
        thresholds=_parse_thresholds(root, {p.name for p in pages}),
        alert_bands=_parse_alert_bands(root),
        budgets=_parse_budgets(root),
        regression=_parse_regression(root),
        load=_parse_load(root, tenant_ids),
    )
    root.done()
    return scenario


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and parse a scenario file (the bundled wedsync.yaml when ``path`` is None)."""
    source = Path(path) if path is not None else DEFAULT_SCENARIO
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such scenario file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a directory; expected a scenario YAML file") from None
    except OSError as e:
        raise ConfigError(f"{source}: cannot read scenario file: {e.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text; expected a scenario YAML file") from None
    return parse_scenario(text, source)
