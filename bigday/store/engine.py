"""Opening the store: URL resolution, SQLite pragmas, migrations, and database errors made one line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from bigday.errors import ConfigError, StoreError
from bigday.settings import redact as redaction
from bigday.settings import resolve

SQLITE_BUSY_TIMEOUT_MS = 60_000

_USERINFO = re.compile(r"(://[^:/@\s]*):([^@\s]*)@")


def redact(text: str, password: str | None = None) -> str:
    """Hide a password in a URL or an error message; one line."""
    out = redaction.text(_USERINFO.sub(r"\1:***@", text))
    if password:
        out = out.replace(password, "***")
    return " ".join(out.split())


def resolve_store_url(flag: str | None, results_dir: Path | None = None) -> str:
    """Flag > BIGDAY_STORE > ``<results>/bigday.sqlite``."""
    return resolve.store_url(flag, results_dir)


def _parse(raw: str) -> URL:
    if "://" not in raw:  # a plain path is a SQLite file
        return URL.create("sqlite", database=str(Path(raw).expanduser().resolve()))
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as e:
        raise ConfigError(
            f"store URL {redact(raw)!r} is malformed ({type(e).__name__}); "
            "expected postgresql://user@host:port/db or sqlite:///path"
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if not url.host and not url.query.get("host"):
            raise ConfigError(f"store URL {redact(raw)!r} names no host; expected postgresql://user@host:port/db")
        try:
            port = url.port  # make_url parses ports lazily on some inputs
        except ValueError:
            raise ConfigError(f"store URL {redact(raw)!r} has a bad port") from None
        if port is not None and not 1 <= port <= 65535:
            raise ConfigError(f"store URL {redact(raw)!r} has a bad port: expected 1 to 65535, got {port}")
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ConfigError(
                f"store URL {redact(raw)!r}: expected sqlite:///path/to/file (an in-memory store keeps nothing)"
            )
        return url.set(drivername="sqlite")
    raise ConfigError(
        f"store URL {redact(raw)!r}: unsupported scheme {url.drivername!r}; expected sqlite or postgresql"
    )


def _sqlite_engine(url: URL, immediate: bool = True, pool: bool = False) -> Engine:
    path = Path(url.database or "")
    if path.is_dir():
        raise ConfigError(f"store {path}: is a folder; expected a SQLite file such as {path / 'bigday.sqlite'}")
    try:
        # The store's own folder may be new (the default results folder); a path whose parents do not exist
        # either is a typo, and creating folders all the way up (at / even) would hide it.
        path.parent.mkdir(exist_ok=True)
    except FileNotFoundError:
        raise ConfigError(
            f"store {path}: the folder {path.parent.parent} does not exist; create it or name another store"
        ) from None
    except OSError as e:
        raise StoreError(f"store {path}: cannot create its folder: {e.strerror}") from None
    # NullPool: every Store use opens its own connection, so processes and threads never share one. A reader
    # (the served dashboard) keeps a small pool instead: its connections stay in their threads.
    connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    if pool:
        connect_args["check_same_thread"] = False
        engine = create_engine(url, pool_size=8, max_overflow=8, connect_args=connect_args)
    else:
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling defers it).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front: two writers queue on busy_timeout instead of
        # deadlocking when both try to upgrade a read lock. A read-only engine begins deferred: in WAL
        # mode its readers neither wait for a writer nor hold one up.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@dataclass
class Store:
    """An open results store (SQLite file or PostgreSQL database)."""

    engine: Engine
    display_url: str
    password: str | None = None
    _reader: Engine | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def error(self, e: BaseException, doing: str) -> StoreError:
        orig = getattr(e, "orig", None) or e
        reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        return StoreError(f"store {self.display_url}: {doing} failed: {redact(reason, self.password)}")

    @contextmanager
    def begin(self, doing: str = "a transaction") -> Iterator[Connection]:
        """One transaction; database errors leave as a one-line StoreError with no password in it."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except (DBAPIError, SQLAlchemyError) as e:
            raise self.error(e, doing) from None

    @contextmanager
    def read(self, doing: str = "reading") -> Iterator[Connection]:
        """A transaction for reads only: on SQLite it neither takes nor waits for the write lock, and its
        connections are pooled (the served dashboard answers many of these a second). On PostgreSQL it is
        REPEATABLE READ, so its statements see one snapshot, as SQLite's read transaction does: the field p75
        reads bucket counts, then the values they count, and a commit between them would shift its ranks."""
        if self._reader is None:
            if self.dialect == "sqlite":
                self._reader = _sqlite_engine(self.engine.url, immediate=False, pool=True)
            else:
                self._reader = create_engine(
                    self.engine.url,
                    pool_size=8,
                    max_overflow=8,
                    pool_pre_ping=True,
                    connect_args={"connect_timeout": 5},
                    isolation_level="REPEATABLE READ",
                )
        try:
            with self._reader.connect() as conn, conn.begin():
                yield conn
        except (DBAPIError, SQLAlchemyError) as e:
            raise self.error(e, doing) from None

    def close(self) -> None:
        self.engine.dispose()
        if self._reader is not None:
            self._reader.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(raw_url: str | None = None, results_dir: Path | None = None, migrate: bool = True) -> Store:
    """Open (and migrate) the store named by ``raw_url`` (flag), else BIGDAY_STORE, else the default SQLite file."""
    from bigday.store.migrations import migrate as run_migrations

    raw = resolve_store_url(raw_url, results_dir)
    url = _parse(raw)
    display = url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
        display = url.database or raw
    else:
        engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    store = Store(engine, display, url.password if isinstance(url.password, str) else None)
    if migrate:
        with store.begin("opening (schema migration)") as conn:
            run_migrations(conn)
    return store
