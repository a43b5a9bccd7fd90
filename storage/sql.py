"""How fedcat's SQL stores connect, and the one column type they all need.

`ill` and `accounts` keep their own tables and migrations; how an SQLite file or a PostgreSQL
DSN becomes an engine, and how timestamps stay timezone-aware on both, is written once here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC out, on SQLite (naive text) and PostgreSQL alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def postgres_dsn(location: str | Path) -> str | None:
    """The DSN when `location` names a PostgreSQL database, else None (an SQLite file)."""
    text = str(location)
    if text.startswith(_POSTGRES_SCHEMES):
        return text.replace("postgres://", "postgresql://", 1)
    return None


def sqlite_engine(path: Path | str, **options: Any) -> Engine:
    """One SQLite file in WAL mode (readers never wait for a writer), foreign keys on.

    `synchronous=NORMAL`: under WAL a commit is not fsynced, the log is at checkpoints, so a
    crash of the process loses nothing and a power cut at worst the last commits before it
    (the database stays consistent) — what SQLite's documentation recommends for WAL. FULL
    fsyncs every commit, which cost about 2 ms a transaction here (bench/README.md).
    """
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 30}, **options)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def postgres_engine(dsn: str, **options: Any) -> Engine:
    """A pooled PostgreSQL engine through psycopg 3."""
    url = sa.engine.make_url(dsn).set(drivername="postgresql+psycopg")
    return sa.create_engine(url, pool_pre_ping=True, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
