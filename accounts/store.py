"""Where accounts live: one small interface, an SQLite and a PostgreSQL back end.

SQLite (a file in the data directory) is the embedded default; PostgreSQL is for consortia
whose several web hosts must share accounts, sessions and sign-in throttle counters. Both run
the same SQLAlchemy Core queries and the same Alembic migrations, applied when the store opens,
with a version table of their own (`accounts_alembic_version`), so the account tables can sit
in the database of the ILL request store. The store keeps rows; `accounts.service` decides.

Engines are made with `hide_parameters=True` and log through their own logger, which drops
SQLAlchemy's DEBUG records (result rows): SQL logging or an error message then never carries a
card number, name, e-mail address or hash, whatever level an operator sets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from accounts import schema
from accounts.errors import AccountExists, AccountNotFound
from accounts.model import Account, ApiToken, Role, Session, ThrottlePolicy
from storage.sql import postgres_dsn, postgres_engine, sqlite_engine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "accounts_alembic_version"
#: SQLAlchemy names an engine's logger after its `logging_name`
ENGINE_LOGGING_NAME = "accounts"


class _NoRows(logging.Filter):
    """SQLAlchemy logs result rows at DEBUG; rows of these tables are patron data."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


logging.getLogger(f"sqlalchemy.engine.Engine.{ENGINE_LOGGING_NAME}").addFilter(_NoRows())
_ENGINE_OPTIONS: dict[str, Any] = {"hide_parameters": True, "logging_name": ENGINE_LOGGING_NAME}


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` in place (from empty, or from any older revision)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


@dataclass(frozen=True)
class PatronRow:
    """One patron to create or update; `secret_hash` None keeps an existing patron's PIN."""

    card_number: str
    name: str
    email: str
    secret_hash: str | None


@dataclass
class PatronUpsert:
    """What `upsert_patrons` did; `new_secret` lists existing patrons given a new PIN."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    new_secret: list[int] = field(default_factory=list)


class AccountStore:
    """Account state over any SQLAlchemy engine; the subclasses only say how to connect."""

    backend = "sql"

    def __init__(self, engine: Engine, *, migrate: bool = True) -> None:
        self.engine = engine
        if migrate:
            upgrade(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    # accounts -------------------------------------------------------------------------------

    def add_account(
        self,
        *,
        library_id: str,
        role: Role,
        name: str,
        email: str,
        secret_hash: str,
        card_number: str | None = None,
        username: str | None = None,
    ) -> Account:
        account = Account(0, library_id, role, card_number, username, name, email)
        row = _fields(account)
        del row["id"]
        try:
            with self._tx() as tx:
                insert = schema.accounts.insert().values(secret_hash=secret_hash, **row)
                account_id = tx.execute(insert.returning(schema.accounts.c.id)).scalar_one()
        except sa.exc.IntegrityError:
            if card_number is not None and self.find_patron(library_id, card_number):
                raise AccountExists(
                    f"library {library_id} already has a patron with this card number"
                ) from None
            if username is not None and self.find_staff(username):
                raise AccountExists("the consortium already has this username") from None
            raise
        return replace(account, id=account_id)

    def get_account(self, account_id: int) -> Account:
        found = self._one(schema.accounts.c.id == account_id)
        if found is None:
            raise AccountNotFound(f"no account {account_id}")
        return found[0]

    def find_patron(self, library_id: str, card_number: str) -> tuple[Account, str] | None:
        """The patron and their PIN hash, or None."""
        table = schema.accounts
        return self._one(table.c.library_id == library_id, table.c.card_number == card_number)

    def find_staff(self, username: str) -> tuple[Account, str] | None:
        """The staff member or operator and their password hash, or None."""
        return self._one(schema.accounts.c.username == username)

    def _one(self, *where: Any) -> tuple[Account, str] | None:
        with self.engine.connect() as connection:
            row = connection.execute(schema.accounts.select().where(*where)).first()
        return (_account(row._mapping), row.secret_hash) if row is not None else None

    def list_accounts(
        self, library_id: str | None = None, role: Role | None = None
    ) -> list[Account]:
        table = schema.accounts
        query = table.select().order_by(table.c.library_id, table.c.role, table.c.id)
        if library_id is not None:
            query = query.where(table.c.library_id == library_id)
        if role is not None:
            query = query.where(table.c.role == role)
        with self.engine.connect() as connection:
            return [_account(row._mapping) for row in connection.execute(query)]

    def set_secret_hash(self, account_id: int, secret_hash: str) -> None:
        table = schema.accounts
        with self._tx() as tx:
            tx.execute(
                table.update().where(table.c.id == account_id).values(secret_hash=secret_hash)
            )

    def existing_cards(self, library_id: str, card_numbers: Iterable[str]) -> set[str]:
        table = schema.accounts
        wanted = list(card_numbers)
        found: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                query = sa.select(table.c.card_number).where(
                    table.c.library_id == library_id,
                    table.c.card_number.in_(wanted[start : start + 500]),
                )
                found.update(connection.scalars(query))
        return found

    def upsert_patrons(self, library_id: str, rows: Sequence[PatronRow]) -> PatronUpsert:
        """Create or update patrons by card number, all in one transaction.

        A new patron must come with a PIN hash; an existing one keeps theirs unless given one.
        """
        table = schema.accounts
        done = PatronUpsert()
        with self._tx() as tx:
            for row in rows:
                where = (table.c.library_id == library_id, table.c.card_number == row.card_number)
                current = tx.execute(table.select().where(*where)).first()
                if current is None:
                    if row.secret_hash is None:
                        raise ValueError("a new patron needs a PIN hash")
                    tx.execute(
                        table.insert().values(
                            library_id=library_id,
                            role="patron",
                            card_number=row.card_number,
                            name=row.name,
                            email=row.email,
                            secret_hash=row.secret_hash,
                        )
                    )
                    done.created += 1
                    continue
                changes: dict[str, str] = {"name": row.name, "email": row.email}
                if row.secret_hash is not None:
                    changes["secret_hash"] = row.secret_hash
                    done.new_secret.append(current.id)
                if all(getattr(current, key) == value for key, value in changes.items()):
                    done.unchanged += 1
                    continue
                tx.execute(table.update().where(*where).values(**changes))
                done.updated += 1
        return done

    def delete_account(self, account_id: int) -> bool:
        """Remove an account and (by the foreign key) its sessions."""
        table = schema.accounts
        with self._tx() as tx:
            return tx.execute(table.delete().where(table.c.id == account_id)).rowcount == 1

    # sessions -------------------------------------------------------------------------------

    def add_session(self, session: Session, token_hash: str) -> None:
        with self._tx() as tx:
            tx.execute(schema.sessions.insert().values(token_hash=token_hash, **_fields(session)))

    def session_by_token_hash(self, token_hash: str) -> Session | None:
        table = schema.sessions
        with self.engine.connect() as connection:
            row = connection.execute(table.select().where(table.c.token_hash == token_hash)).first()
        return _session(row._mapping) if row is not None else None

    def touch_session(self, session_id: str, now: datetime) -> None:
        table = schema.sessions
        with self._tx() as tx:
            tx.execute(table.update().where(table.c.id == session_id).values(last_seen_at=now))

    def sessions_of(self, account_id: int) -> list[Session]:
        table = schema.sessions
        query = table.select().where(table.c.account_id == account_id).order_by(table.c.created_at)
        with self.engine.connect() as connection:
            return [_session(row._mapping) for row in connection.execute(query)]

    def delete_session(self, session_id: str) -> bool:
        table = schema.sessions
        with self._tx() as tx:
            return tx.execute(table.delete().where(table.c.id == session_id)).rowcount == 1

    def delete_sessions_of(self, account_ids: Iterable[int]) -> int:
        table = schema.sessions
        with self._tx() as tx:
            return tx.execute(
                table.delete().where(table.c.account_id.in_(list(account_ids)))
            ).rowcount

    def delete_expired_sessions(self, now: datetime, idle: timedelta) -> int:
        table = schema.sessions
        expired = sa.or_(table.c.expires_at <= now, table.c.last_seen_at <= now - idle)
        with self._tx() as tx:
            return tx.execute(table.delete().where(expired)).rowcount

    # sign-in throttle -------------------------------------------------------------------------

    def reserve_attempt(
        self, keys: Sequence[tuple[str, int]], now: datetime, policy: ThrottlePolicy
    ) -> datetime | None:
        """Count one sign-in attempt against each (key, free failures) before it is checked.

        Returns the time the lock ends if any key is locked (nothing is counted then), else
        None: the attempt may go on, already counted as a failure until `attempt_succeeded`.
        Counting first, under row locks taken in key order, is what makes racing attempts
        (several web hosts, several threads) get their own numbers: no guess slips past.
        """
        table = schema.throttle
        ordered = sorted(dict(keys).items())
        with self.engine.connect() as connection, connection.begin() as tx:
            for key, _free in ordered:
                connection.execute(_insert_ignore(connection, key, now))
            query = (
                table.select()
                .where(table.c.key.in_([key for key, _ in ordered]))
                .order_by(table.c.key)
                .with_for_update()
            )
            rows = {row.key: row for row in connection.execute(query)}
            locks = [
                r.locked_until for r in rows.values() if r.locked_until and r.locked_until > now
            ]
            if locks:
                tx.rollback()
                return max(locks)
            for key, free in ordered:
                row = rows[key]
                stale = row.last_failure_at <= now - policy.forget_after
                failures = 1 if stale else row.failures + 1
                lock = policy.lock_for(failures, free)
                connection.execute(
                    table.update()
                    .where(table.c.key == key)
                    .values(
                        failures=failures,
                        last_failure_at=now,
                        locked_until=now + lock if lock is not None else None,
                    )
                )
        return None

    def attempt_succeeded(self, clear: str | None, undo: Sequence[tuple[str, int]]) -> None:
        """A reserved attempt was right: forget key `clear`; take the attempt back from `undo`."""
        table = schema.throttle
        with self._tx() as tx:
            if clear is not None:
                tx.execute(table.delete().where(table.c.key == clear))
            for key, free in undo:
                left = table.c.failures - 1
                tx.execute(
                    table.update()
                    .where(table.c.key == key, table.c.failures > 0)
                    .values(
                        failures=left,
                        locked_until=sa.case((left < free, None), else_=table.c.locked_until),
                    )
                )
                tx.execute(table.delete().where(table.c.key == key, table.c.failures <= 0))

    def throttle_state(self, key: str) -> tuple[int, datetime | None]:
        """(failures, locked until) for one key; (0, None) when it has no row."""
        table = schema.throttle
        with self.engine.connect() as connection:
            row = connection.execute(table.select().where(table.c.key == key)).first()
        return (row.failures, row.locked_until) if row is not None else (0, None)

    def purge_throttle(self, before: datetime) -> int:
        """Forget counters whose last failure is older than `before` (and not locked now)."""
        table = schema.throttle
        old = sa.and_(
            table.c.last_failure_at <= before,
            sa.or_(table.c.locked_until.is_(None), table.c.locked_until <= before),
        )
        with self._tx() as tx:
            return tx.execute(table.delete().where(old)).rowcount

    # API tokens -------------------------------------------------------------------------------

    def add_token(self, token: ApiToken, token_hash: str) -> None:
        try:
            with self._tx() as tx:
                tx.execute(
                    schema.api_tokens.insert().values(token_hash=token_hash, **_fields(token))
                )
        except sa.exc.IntegrityError:
            raise AccountExists(
                f"library {token.library_id} already has a token named {token.name!r}"
            ) from None

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        table = schema.api_tokens
        with self.engine.connect() as connection:
            row = connection.execute(table.select().where(table.c.token_hash == token_hash)).first()
        return _token(row._mapping) if row is not None else None

    def touch_token(self, token_id: str, now: datetime) -> None:
        table = schema.api_tokens
        with self._tx() as tx:
            tx.execute(table.update().where(table.c.id == token_id).values(last_used_at=now))

    def list_tokens(self, library_id: str | None = None) -> list[ApiToken]:
        table = schema.api_tokens
        query = table.select().order_by(table.c.library_id, table.c.created_at, table.c.name)
        if library_id is not None:
            query = query.where(table.c.library_id == library_id)
        with self.engine.connect() as connection:
            return [_token(row._mapping) for row in connection.execute(query)]

    def delete_token(self, token_id: str) -> bool:
        table = schema.api_tokens
        with self._tx() as tx:
            return tx.execute(table.delete().where(table.c.id == token_id)).rowcount == 1


class SqliteAccountStore(AccountStore):
    """The embedded default: one SQLite file (WAL, so readers never wait for a writer)."""

    backend = "sqlite"

    def __init__(self, path: Path | str, *, migrate: bool = True) -> None:
        super().__init__(sqlite_engine(path, **_ENGINE_OPTIONS), migrate=migrate)


class PostgresAccountStore(AccountStore):
    """Shared state for several web hosts, through psycopg 3."""

    backend = "postgresql"

    def __init__(self, dsn: str, *, migrate: bool = True) -> None:
        super().__init__(postgres_engine(dsn, **_ENGINE_OPTIONS), migrate=migrate)


def open_store(location: str | Path) -> AccountStore:
    """The one loader: a postgresql:// DSN gives PostgreSQL, anything else an SQLite file."""
    dsn = postgres_dsn(location)
    return PostgresAccountStore(dsn) if dsn else SqliteAccountStore(Path(location))


def _insert_ignore(connection: Connection, key: str, now: datetime) -> sa.Executable:
    """INSERT … ON CONFLICT DO NOTHING in the connection's dialect (both have it)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    values = dict(key=key, failures=0, last_failure_at=now, locked_until=None)
    statement = dialect.insert(schema.throttle).values(**values)
    return statement.on_conflict_do_nothing(index_elements=["key"])


# rows <-> records ---------------------------------------------------------------------------


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def _account(row: Any) -> Account:
    return Account(**{name: row[name] for name in Account.__dataclass_fields__})


def _session(row: Any) -> Session:
    return Session(**{name: row[name] for name in Session.__dataclass_fields__})


def _token(row: Any) -> ApiToken:
    return ApiToken(**{name: row[name] for name in ApiToken.__dataclass_fields__})
