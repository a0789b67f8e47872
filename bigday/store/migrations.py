"""Versioned schema migrations: an ordered list of functions and a version table.

Each migration runs in the same transaction as its version row, under a lock, so two processes
opening a new store at once cannot both apply it and a failed migration leaves the old version intact.
To change the schema, append a ``Migration`` (never edit an applied one) and update ``schema.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, select, text

from bigday.errors import StoreError
from bigday.runfolder import utc_now
from bigday.store import schema
from bigday.store.rum import rebuild_buckets


@dataclass(frozen=True)
class Migration:
    """One step of the schema's history."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _v1_initial(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(schema.V1_TABLES))


def _add_column(conn: Connection, table: str, column: str) -> None:
    if column in {c["name"] for c in inspect(conn).get_columns(table)}:
        return  # a store created at this version already has it (schema.py is the newest schema)
    col = schema.metadata.tables[table].c[column]
    conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {col.type.compile(dialect=conn.dialect)}"))


def _v2_monitor(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(schema.V2_TABLES))
    for column in ("tenant", "resolved_by", "last_notified_at"):
        _add_column(conn, "alerts", column)
    next(i for i in schema.samples.indexes if i.name == "ix_samples_page_metric_time").create(conn, checkfirst=True)


def _v3_longer_verdicts(conn: Connection) -> None:
    # A run's verdict may be "inconclusive" (12 characters); version 1 sized the column for pass/warn/fail.
    # SQLite does not enforce a VARCHAR's length, so only PostgreSQL needs the change.
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE runs ALTER COLUMN verdict TYPE VARCHAR(16)"))


def _v4_sample_engine(conn: Connection) -> None:
    _add_column(conn, "samples", "engine")


def _v5_rum(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(schema.V5_TABLES))


def _v6_rum_visit(conn: Connection) -> None:
    _add_column(conn, "rum_values", "visit")


def _v7_recommendations(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(schema.V7_TABLES))


def _v8_rum_buckets(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(schema.V8_TABLES))
    rebuild_buckets(conn)  # the counts of the values the store already holds


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs, samples, alerts, daily_trends, baselines", _v1_initial),
    Migration(2, "monitor: schedule, checks, maintenance, notifications, tokens, audit log; alert tenant", _v2_monitor),
    Migration(3, "runs.verdict holds 'inconclusive'", _v3_longer_verdicts),
    Migration(4, "samples.engine: bigday or lighthouse", _v4_sample_engine),
    Migration(5, "rum_values: field beacons (web-vitals from real visits)", _v5_rum),
    Migration(6, "rum_values.visit: a synthetic visit's label, to find its beacon", _v6_rum_visit),
    Migration(7, "recommendations: a probe run's findings (recommendations.json)", _v7_recommendations),
    Migration(8, "rum_buckets: field values counted per day, group and value bucket", _v8_rum_buckets),
)
LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema.schema_version.name):
        return 0
    v = conn.execute(select(schema.schema_version.c.version).order_by(schema.schema_version.c.version.desc())).first()
    return int(v[0]) if v else 0


def migrate(conn: Connection) -> list[int]:
    """Bring the store up to ``LATEST`` inside the caller's transaction; returns the versions applied."""
    if conn.dialect.name == "postgresql":
        # Serialise concurrent first openings; SQLite's BEGIN IMMEDIATE already does.
        conn.execute(text("SELECT pg_advisory_xact_lock(7261554)"))
    schema.schema_version.create(conn, checkfirst=True)
    have = current_version(conn)
    if have > LATEST:
        raise StoreError(
            f"the store's schema is version {have}, newer than this bigday knows ({LATEST}); upgrade bigday"
        )
    applied = []
    for m in MIGRATIONS:
        if m.version > have:
            m.apply(conn)
            conn.execute(
                schema.schema_version.insert().values(
                    version=m.version, description=m.description, applied_at=utc_now()
                )
            )
            applied.append(m.version)
    return applied
