"""The store's tables (SQLAlchemy Core): runs, samples, alerts, daily trends, baselines.

This is the schema at the newest migration; ``migrations.py`` brings an older store up to it.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

schema_version = Table(
    "bigday_schema",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(120), primary_key=True),
    Column("kind", String(16), nullable=False),  # probe | load
    Column("status", String(16), nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("scenario_name", String(120)),
    Column("scenario_sha256", String(64)),
    # The environment fingerprint: a baseline must share it to be compared without a caveat.
    Column("harness_version", String(40)),
    Column("browser", String(40)),
    Column("browser_version", String(80)),
    Column("web_vitals_version", String(40)),
    Column("profile", String(40)),
    Column("cpu_count", Integer),
    Column("platform", String(200)),
    Column("app_git_sha", String(64)),
    Column("app_git_branch", String(200)),
    Column("base_url", String(500)),
    Column("verdict", String(16)),  # pass | warn | inconclusive | fail, set by compare (16 since migration 2)
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    Column("sample_count", Integer, nullable=False, server_default=text("0")),
)
Index("ix_runs_started", runs.c.started_at)
Index("ix_runs_branch_verdict", runs.c.app_git_branch, runs.c.verdict, runs.c.started_at)

samples = Table(
    "samples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(120), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("page", String(200), nullable=False),  # probe: page name; load: endpoint
    Column("metric", String(40), nullable=False),
    Column("value", Float, nullable=False),
    Column("day", Date, nullable=False),  # UTC day of the page run, for daily trends
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("run_index", Integer),
    Column("warm", Boolean),
    Column("tenant", String(80)),
    Column("device", String(40)),
    Column("profile", String(40)),
    Column("connection", String(40)),
    Column("browser", String(80)),
    Column("engine", String(16)),  # probe: bigday | lighthouse (null: written before engines, bigday)
)
Index("ix_samples_run_page_metric", samples.c.run_id, samples.c.page, samples.c.metric)
Index("ix_samples_day", samples.c.day)
Index("ix_samples_page_metric_time", samples.c.page, samples.c.metric, samples.c.recorded_at)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("type", String(24), nullable=False),  # regression | threshold_breach | anomaly | isolation
    Column("severity", String(12), nullable=False),  # low | medium | high | critical
    Column("page", String(200), nullable=False),
    Column("metric", String(40), nullable=False),
    Column("threshold", Float),
    Column("actual", Float),
    Column("window", String(200)),
    Column("data", Text),  # JSON
    Column("run_id", String(120)),  # the run that raised it last
    Column("first_run_id", String(120)),
    Column("occurrences", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("acknowledged_by", String(200)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("notes", Text),
    # Added by migration 2 (the monitor): the studio whose page it is, who resolved it, when it last notified.
    Column("tenant", String(80)),
    Column("resolved_by", String(200)),
    Column("last_notified_at", DateTime(timezone=True)),
)
# One open alert per (type, page, metric): concurrent runs cannot raise duplicates.
Index(
    "ux_alerts_open",
    alerts.c.type,
    alerts.c.page,
    alerts.c.metric,
    unique=True,
    sqlite_where=alerts.c.resolved_at.is_(None),
    postgresql_where=alerts.c.resolved_at.is_(None),
)

daily_trends = Table(
    "daily_trends",
    metadata,
    Column("day", Date, primary_key=True),
    Column("page", String(200), primary_key=True),
    Column("metric", String(40), primary_key=True),
    Column("avg", Float, nullable=False),
    Column("p75", Float, nullable=False),
    Column("p95", Float, nullable=False),
    Column("count", Integer, nullable=False),
    Column("share_good", Float),  # null for metrics without web-vitals bands
    Column("share_needs_improvement", Float),
    Column("share_poor", Float),
)

baselines = Table(
    "baselines",
    metadata,
    Column("name", String(120), primary_key=True),
    Column("run_id", String(120), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

V1_TABLES = (runs, samples, alerts, daily_trends, baselines)

# ---------------------------------------------------------------- migration 2: the long-running side

monitor_schedule = Table(
    "monitor_schedule",
    metadata,
    Column("page", String(200), primary_key=True),
    Column("location", String(80), primary_key=True),
    Column("spec", String(200), nullable=False),  # "every 600s" or "cron */5 * * * *": a change restarts the grid
    Column("slot_at", DateTime(timezone=True), nullable=False),  # the next slot to run
    Column("due_at", DateTime(timezone=True), nullable=False),  # that slot plus its jitter
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

checks = Table(
    "checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("page", String(200), nullable=False),
    Column("location", String(80), nullable=False),
    Column("tenant", String(80)),
    Column("slot_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("claimed_by", String(120), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    # running | ok | unavailable | broken | error | abandoned (docs/monitor.md)
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("run_id", String(120)),
    Column("within_thresholds", Boolean),
    Column("breaches", Text),  # JSON: the thresholds this check was outside
    Column("metrics", Text),  # JSON: metric -> value
    Column("maintenance", Boolean, nullable=False, server_default=text("false")),
    Column("attempts", Integer),
    Column("duration_s", Float),
)
# One check per page, location and slot: two monitors cannot both run it.
Index("ux_checks_slot", checks.c.page, checks.c.location, checks.c.slot_at, unique=True)
Index("ix_checks_page_started", checks.c.page, checks.c.started_at)
Index("ix_checks_started", checks.c.started_at)
# Checks still running, for the reaper (partial: the running ones are a handful among millions).
Index(
    "ix_checks_running",
    checks.c.claimed_by,
    sqlite_where=checks.c.status == "running",
    postgresql_where=checks.c.status == "running",
)
# The SLA's aggregates read only these columns: an index holding them all answers them without the table.
Index(
    "ix_checks_sla",
    checks.c.started_at,
    checks.c.page,
    checks.c.status,
    checks.c.maintenance,
    checks.c.within_thresholds,
    checks.c.tenant,
    checks.c.location,
)

monitor_instances = Table(
    "monitor_instances",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("location", String(80), nullable=False),
    Column("host", String(200)),
    Column("pid", Integer),
    Column("version", String(40)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("stopped_at", DateTime(timezone=True)),
)

monitor_state = Table(
    "monitor_state",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("value", Text, nullable=False),  # JSON
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("pages", Text),  # JSON list of page names; null: every page
    Column("reason", Text),
    Column("created_by", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("source", String(16), nullable=False),  # cli | scenario
    Column("source_key", String(64), unique=True),  # a scenario window's identity, so a restart adds it once
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(16), nullable=False),  # opened | reminder | escalated | resolved
    Column("channel", String(32), nullable=False),  # slack | webhook | email
    Column("payload", Text, nullable=False),  # JSON: what the message says (never a URL or secret)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("sent_at", DateTime(timezone=True)),
    Column("given_up_at", DateTime(timezone=True)),
    Column("last_error", Text),
)
Index("ix_notifications_pending", notifications.c.sent_at, notifications.c.next_attempt_at)

serve_tokens = Table(
    "serve_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False),
    Column("role", String(120), nullable=False),  # admin | tenant:ID
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the token; the token is never kept
    Column("prefix", String(16), nullable=False),  # the token's first characters, to tell tokens apart
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_by", String(200)),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),  # alert.acknowledge, alert.resolve, token.add, token.revoke, ...
    Column("target", String(200), nullable=False),
    Column("detail", Text),  # JSON
    Column("source", String(16), nullable=False),  # cli | serve | monitor
)
Index("ix_audit_at", audit_log.c.at)

V2_TABLES = (
    monitor_schedule,
    checks,
    monitor_instances,
    monitor_state,
    maintenance_windows,
    notifications,
    serve_tokens,
    audit_log,
)

# ---------------------------------------------------------------- migration 5: field data (RUM beacons)

# One row per metric of a beacon (a beacon has up to six). Nothing identifies a visitor: no IP address, cookie
# or user agent, only the browser family and device class the collector derives, and the route as a template.
rum_values = Table(
    "rum_values",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("beacon", String(32), nullable=False),  # random per beacon, to count beacons and join a beacon's rows
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("day", Date, nullable=False),  # UTC day received, for the rolling window and daily figures
    Column("tenant", String(80), nullable=False),
    Column("route", String(200), nullable=False),  # a template such as /clients/:id
    Column("device", String(8), nullable=False),  # mobile | tablet | desktop
    Column("connection", String(8)),  # effective connection type: slow-2g | 2g | 3g | 4g
    Column("navigation", String(20)),  # navigate | reload | back-forward | back-forward-cache | prerender | restore
    Column("browser", String(16), nullable=False),  # chrome | edge | firefox | safari | opera | samsung | other
    Column("metric", String(8), nullable=False),  # lcp | inp | cls | fcp | ttfb | fid
    Column("value", Float, nullable=False),
    Column("attribution", Text),  # JSON: web-vitals' attribution of this metric, validated and bounded
    # The page view's own label when its page gave one (data-visit): a synthetic visit's, so a probe can find the
    # beacon of the visit it measured. Never set from anything of the visitor's.
    Column("visit", String(64)),
)
# Covering for the field p75: a group's values in order, with the day to keep the window, need no table row.
Index(
    "ix_rum_group",
    rum_values.c.metric,
    rum_values.c.tenant,
    rum_values.c.route,
    rum_values.c.device,
    rum_values.c.value,
    rum_values.c.day,
)
# The same over all device classes, for the field-beside-lab view: without it each route's values were sorted.
Index(
    "ix_rum_route",
    rum_values.c.metric,
    rum_values.c.tenant,
    rum_values.c.route,
    rum_values.c.value,
    rum_values.c.day,
)
# No index on day alone: the window holds most rows, and a planner that took one to find them read the table
# row by row (ten times slower); retention's hourly delete scans ix_rum_group.

V5_TABLES = (rum_values,)

# ---------------------------------------------------------------- migration 7: a probe run's recommendations

# One row per finding of recommendations.json (docs/insights.md): what to change on which page, naming what.
recommendations = Table(
    "recommendations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(120), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("finding", String(600), nullable=False),  # page:kind:subject, the same from run to run
    Column("kind", String(40), nullable=False),
    Column("category", String(16), nullable=False),  # recommendation | delivery
    Column("priority", String(8), nullable=False),  # high | medium | low
    Column("page", String(200), nullable=False),
    Column("subject", String(400), nullable=False),
    Column("title", String(200), nullable=False),
    Column("impact_bytes", Integer),
    Column("impact_ms", Float),
    Column("evidence", Text, nullable=False),
    Column("runs", Integer, nullable=False),
    Column("of_runs", Integer, nullable=False),
    Column("warm", Boolean, nullable=False),
)
Index("ix_recommendations_run", recommendations.c.run_id)
Index("ix_recommendations_finding", recommendations.c.finding)

V7_TABLES = (recommendations,)

# ---------------------------------------------------------------- migration 8: field values counted by bucket

# rum_values counted per UTC day, group and value bucket (bigday.store.rum.bucket_of: about 2% wide), with the
# web-vitals ratings: the field p75 sums a window's buckets to find the one holding its rank, then reads only
# that bucket's values from rum_values, so it is exact without stepping over three quarters of the rows.
# Written in the transaction that inserts the values, pruned with them. The key leads with the group and the
# bucket, so a window's GROUP BY reads it in order with no sort (on SQLite the table is the key's b-tree, WITHOUT
# ROWID, so the counts are read with it): 0.7-1.2 s for 2.6 million bucket rows here, 3.8-4.0 s with the day
# first. Retention's delete by day scans it, once an hour.
rum_buckets = Table(
    "rum_buckets",
    metadata,
    Column("metric", String(8), primary_key=True),
    Column("tenant", String(80), primary_key=True),
    Column("route", String(200), primary_key=True),
    Column("device", String(8), primary_key=True),
    Column("bucket", Integer, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("n", Integer, nullable=False),
    Column("good", Integer, nullable=False),
    Column("poor", Integer, nullable=False),
    sqlite_with_rowid=False,
)

V8_TABLES = (rum_buckets,)
