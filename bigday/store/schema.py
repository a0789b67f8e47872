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
)
Index("ix_samples_run_page_metric", samples.c.run_id, samples.c.page, samples.c.metric)
Index("ix_samples_day", samples.c.day)

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
