"""Where requests live: one small interface, an SQLite and a PostgreSQL back end.

SQLite (a file in the data directory) is the embedded default; PostgreSQL is for consortia
whose several web hosts must share request state. Both run the same SQLAlchemy Core queries and
the same Alembic migrations, applied when the store opens. Every change is one transaction: the
request row and its timeline events are written together or not at all, and a version column
makes two staff acting at once end with one winner and one `RequestConflict`.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from ill import schema
from ill.errors import RequestConflict, RequestNotFound, RequestRefused
from ill.model import (
    Citation,
    Closure,
    LendingRules,
    OutboxMessage,
    PeerMessage,
    Request,
    RotaEntry,
    Skip,
    TimelineEvent,
)
from ill.states import Action, Role, State
from storage.sql import UtcDateTime, postgres_dsn, postgres_engine, sqlite_engine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "ill_alembic_version"
#: SQLAlchemy names an engine's logger after its `logging_name`
ENGINE_LOGGING_NAME = "ill"


class _NoRows(logging.Filter):
    """SQLAlchemy logs result rows at DEBUG; rows of these tables hold patron keys."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


logging.getLogger(f"sqlalchemy.engine.Engine.{ENGINE_LOGGING_NAME}").addFilter(_NoRows())
#: bound values (card numbers in patron keys) never reach SQL logs or error messages
ENGINE_OPTIONS: dict[str, Any] = {"hide_parameters": True, "logging_name": ENGINE_LOGGING_NAME}


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


class RequestStore:
    """Request state over any SQLAlchemy engine; the subclasses only say how to connect."""

    backend = "sql"

    def __init__(
        self, engine: Engine, *, migrate: bool = True, reader: Engine | None = None
    ) -> None:
        self.engine = engine
        #: the engine reads use: on PostgreSQL a pool of its own, of autocommit connections,
        #: so a read is one round trip, not BEGIN, SELECT and ROLLBACK (each statement sees
        #: committed data either way). Writes are transactions on `engine`.
        self.reader = reader or engine
        #: lending rules rows as read, and what each parses to (see `rules`)
        self._parsed_rules: dict[tuple[Any, ...], LendingRules] = {}
        self._shared = threading.local()  # the connection `reading()` lends this thread
        if migrate:
            upgrade(engine)

    def close(self) -> None:
        self.engine.dispose()
        if self.reader is not self.engine:
            self.reader.dispose()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Run this thread's reads inside the block on one connection: one pool checkout
        (on PostgreSQL a ping and a reset fewer per read) for the several reads a placement
        or an action makes before it writes. Writes still take a transaction of their own."""
        if getattr(self._shared, "connection", None) is not None:
            yield
            return
        with self.reader.connect() as connection:
            self._shared.connection = connection
            try:
                yield
            finally:
                self._shared.connection = None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        shared = getattr(self._shared, "connection", None)
        if shared is not None:
            yield shared
            return
        with self.reader.connect() as connection:
            yield connection

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    # requests -----------------------------------------------------------------------------

    def create(
        self,
        request: Request,
        events: Sequence[TimelineEvent],
        outbox: Sequence[OutboxMessage] = (),
        peer_outbox: Sequence[PeerMessage] = (),
    ) -> Request:
        """Store a new request with its first events (and the mail and partner-system messages
        they cause); refuses a second open one for a work."""
        request.version = 1
        try:
            with self._tx() as tx:
                tx.execute(schema.requests.insert(), _request_row(request))
                _insert_events(tx, events)
                _queue(tx, outbox, request.updated_at)
                _queue_for_peers(tx, peer_outbox, request.updated_at)
        except sa.exc.IntegrityError as exc:
            request.version = 0
            raise RequestRefused(
                f"patron {request.patron_ref} already has an open request for this work"
            ) from exc
        return request

    def save(
        self,
        request: Request,
        events: Sequence[TimelineEvent],
        outbox: Sequence[OutboxMessage] = (),
        peer_outbox: Sequence[PeerMessage] = (),
    ) -> Request:
        """Write the changed request, its events and the mail and partner-system messages they
        cause, if nobody else changed it since it was read.

        `request.version` is the version that was read; on success it is the new one.
        """
        row = _request_row(request)
        row["version"] = request.version + 1
        with self._tx() as tx:
            result = tx.execute(
                _SAVE, {**row, "read_id": request.id, "read_version": request.version}
            )
            if result.rowcount != 1:
                raise RequestConflict(request.id, request.version)
            _insert_events(tx, events)
            _queue(tx, outbox, request.updated_at)
            _queue_for_peers(tx, peer_outbox, request.updated_at)
        request.version += 1
        return request

    def get(self, request_id: str) -> Request:
        with self._read() as connection:
            row = connection.execute(_GET, {"read_id": request_id}).first()
        if row is None:
            raise RequestNotFound(request_id)
        return _request_from_row(row._mapping)

    def find(
        self,
        *,
        patron_ref: str | None = None,
        borrowing_library: str | None = None,
        lender: str | None = None,
        work_id: str | None = None,
        open_only: bool = False,
    ) -> list[Request]:
        """Requests matching every given filter, newest first (for queues and "My requests")."""
        given = {
            name: value
            for name, value in (
                ("patron_ref", patron_ref),
                ("borrowing_library", borrowing_library),
                ("lender", lender),
                ("work_id", work_id),
            )
            if value is not None
        }
        query = _find_query(tuple(given), open_only)
        params = {f"find_{name}": value for name, value in given.items()}
        with self._read() as connection:
            return [_request_from_row(row._mapping) for row in connection.execute(query, params)]

    def find_by_peer_id(self, borrowing_library: str, peer_request_id: str) -> Request | None:
        """The request a partner's system knows by its own id (it borrows: ISO 18626 in)."""
        table = schema.requests
        query = table.select().where(
            table.c.borrowing_library == borrowing_library,
            table.c.peer_request_id == peer_request_id,
        )
        with self.engine.connect() as connection:
            row = connection.execute(query.order_by(table.c.created_at.desc())).first()
        return None if row is None else _request_from_row(row._mapping)

    def awaiting_answer(self, sent_before: datetime) -> list[Request]:
        """Requests a lender received before `sent_before` and has not answered at all."""
        table = schema.requests
        query = table.select().where(
            table.c.status == "RequestReceived",
            table.c.is_open.is_(True),
            table.c.sent_at < sent_before,
        )
        with self._read() as connection:
            return [_request_from_row(row._mapping) for row in connection.execute(query)]

    def count(self) -> int:
        with self._read() as connection:
            query = sa.select(sa.func.count()).select_from(schema.requests)
            return connection.execute(query).scalar_one()

    # timeline and load ----------------------------------------------------------------------

    def timeline(self, request_id: str) -> list[TimelineEvent]:
        with self._read() as connection:
            rows = connection.execute(_TIMELINE, {"read_id": request_id})
            return [_event_from_row(row._mapping) for row in rows]

    def open_load(self, libraries: Collection[str] | None = None) -> dict[str, tuple[int, int]]:
        """Per library (of `libraries`, or every one): (active lending, active borrowing) —
        open requests with a lender; a library with neither is left out.

        Read from the partial index of open requests (`ill_requests_open_load`), so the
        cost follows the requests open now, not every request ever made; a placement asks
        only for the libraries that hold the work.
        """
        load: dict[str, list[int]] = {}
        with self._read() as connection:
            if libraries is None:
                for lender, borrower, count in connection.execute(open_load_query()):
                    load.setdefault(lender, [0, 0])[0] += count
                    load.setdefault(borrower, [0, 0])[1] += count
            elif libraries:
                wanted = {"libraries": sorted(set(libraries))}
                for side, library, count in connection.execute(_LOAD_OF, wanted):
                    load.setdefault(library, [0, 0])[side] += count
        return {library: (lend, borrow) for library, (lend, borrow) in load.items()}

    def received_since(
        self, since: datetime, libraries: Collection[str] | None = None
    ) -> dict[str, int]:
        """New requests each lender (of `libraries`, or every one) received since `since`
        (for daily caps); a lender that received none is left out."""
        params: dict[str, Any] = {"since": since}
        query = _RECEIVED
        if libraries is not None:
            if not libraries:
                return {}
            query, params["libraries"] = _RECEIVED_OF, sorted(set(libraries))
        with self._read() as connection:
            return {lender: count for lender, count in connection.execute(query, params)}

    # lending rules --------------------------------------------------------------------------

    def set_rules(self, rules: LendingRules) -> None:
        """Create or replace one library's lending rules (the operator's settings)."""
        table = schema.lending_rules
        row = _rules_row(rules)
        with self._tx() as tx:
            tx.execute(table.delete().where(table.c.library_id == rules.library_id))
            tx.execute(table.insert().values(**row))

    def rules(self, libraries: Collection[str] | None = None) -> dict[str, LendingRules]:
        """The rules of `libraries` (or of every library that has some).

        Read from the database every time, so a change made by the operator's CLI or on
        another web host counts at once; a row read before is not parsed again (every
        placement reads the rules of the work's holders).
        """
        query, params = _RULES, {}
        if libraries is not None:
            if not libraries:
                return {}
            query, params = _RULES_OF, {"libraries": sorted(set(libraries))}
        with self._read() as connection:
            rows = [tuple(row) for row in connection.execute(query, params)]
        parsed = self._parsed_rules
        if len(parsed) > 10_000:  # rows replaced many times over: start again
            parsed.clear()
        found = {}
        for row in rows:
            rules = parsed.get(row)
            if rules is None:
                names = schema.lending_rules.c.keys()
                rules = parsed[row] = _rules_from_row(dict(zip(names, row, strict=True)))
            found[rules.library_id] = rules
        return found


# The statements the request flow runs, built once: SQLAlchemy then compiles each once, and
# building a statement anew cost more than running it (0.2-0.9 ms against 0.07 ms, SQLite).
_GET = schema.requests.select().where(schema.requests.c.id == sa.bindparam("read_id"))
_TIMELINE = (
    schema.events.select()
    .where(schema.events.c.request_id == sa.bindparam("read_id"))
    .order_by(schema.events.c.seq)
)
_RECEIVED = (
    sa.select(schema.events.c.lender, sa.func.count())
    .where(
        schema.events.c.action == Action.SendToLender.value,
        schema.events.c.at >= sa.bindparam("since", type_=UtcDateTime()),
    )
    .group_by(schema.events.c.lender)
)
_RECEIVED_OF = _RECEIVED.where(
    schema.events.c.lender.in_(sa.bindparam("libraries", expanding=True))
)
#: one statement for every save, so SQLAlchemy compiles it once (the SET columns are the row's)
_SAVE = schema.requests.update().where(
    schema.requests.c.id == sa.bindparam("read_id"),
    schema.requests.c.version == sa.bindparam("read_version"),
)
_RULES = schema.lending_rules.select().order_by(schema.lending_rules.c.library_id)
_RULES_OF = _RULES.where(
    schema.lending_rules.c.library_id.in_(sa.bindparam("libraries", expanding=True))
)


@functools.cache
def _find_query(filters: tuple[str, ...], open_only: bool) -> sa.Select:
    """`find`'s statement for one combination of filters (a handful exist), built once."""
    table = schema.requests
    query = table.select().order_by(table.c.created_at.desc(), table.c.id)
    for name in filters:
        query = query.where(table.c[name] == sa.bindparam(f"find_{name}"))
    if open_only:
        query = query.where(table.c.is_open.is_(True))
    return query


def _load_of() -> sa.CompoundSelect:
    """Active lending (side 0) and borrowing (side 1) of some libraries, in one statement."""
    table = schema.requests
    wanted: sa.BindParameter[list[str]] = sa.bindparam("libraries", expanding=True)
    open_with_lender = (table.c.is_open.is_(True), table.c.lender.is_not(None))
    lending = (
        sa.select(sa.literal(0), table.c.lender, sa.func.count())
        .where(*open_with_lender, table.c.lender.in_(wanted))
        .group_by(table.c.lender)
    )
    borrowing = (
        sa.select(sa.literal(1), table.c.borrowing_library, sa.func.count())
        .where(*open_with_lender, table.c.borrowing_library.in_(wanted))
        .group_by(table.c.borrowing_library)
    )
    return sa.union_all(lending, borrowing)


_LOAD_OF = _load_of()


def open_load_query() -> sa.Select:
    """Open requests with a lender, counted by (lender, borrowing library)."""
    table = schema.requests
    return (
        sa.select(table.c.lender, table.c.borrowing_library, sa.func.count())
        .where(table.c.is_open.is_(True), table.c.lender.is_not(None))
        .group_by(table.c.lender, table.c.borrowing_library)
    )


class SqliteRequestStore(RequestStore):
    """The embedded default: one SQLite file (WAL, so readers never wait for a writer)."""

    backend = "sqlite"

    def __init__(self, path: Path | str, *, migrate: bool = True) -> None:
        super().__init__(sqlite_engine(path, **ENGINE_OPTIONS), migrate=migrate)


class PostgresRequestStore(RequestStore):
    """Shared state for several web hosts, through psycopg 3."""

    backend = "postgresql"

    def __init__(self, dsn: str, *, migrate: bool = True) -> None:
        reader = postgres_engine(dsn, isolation_level="AUTOCOMMIT", **ENGINE_OPTIONS)
        super().__init__(postgres_engine(dsn, **ENGINE_OPTIONS), migrate=migrate, reader=reader)


def open_store(location: str | Path) -> RequestStore:
    """The one loader: a postgresql:// DSN gives PostgreSQL, anything else an SQLite file."""
    dsn = postgres_dsn(location)
    return PostgresRequestStore(dsn) if dsn else SqliteRequestStore(Path(location))


# rows <-> records ---------------------------------------------------------------------------


def _insert_events(tx: Connection, events: Sequence[TimelineEvent]) -> None:
    if events:
        tx.execute(schema.events.insert(), [_event_row(event) for event in events])


def _queue(tx: Connection, outbox: Sequence[OutboxMessage], now: datetime | None) -> None:
    if outbox:
        rows = [{**vars(m), "created_at": now, "next_attempt_at": now} for m in outbox]
        tx.execute(schema.outbox.insert(), rows)


def _queue_for_peers(tx: Connection, messages: Sequence[PeerMessage], now: datetime | None) -> None:
    if messages:
        rows = [{**asdict(m), "created_at": now, "next_attempt_at": now} for m in messages]
        tx.execute(schema.peer_outbox.insert(), rows)


def _request_row(request: Request) -> dict[str, Any]:
    row = {
        key: getattr(request, key)
        for key in (
            "id", "work_id", "title", "patron_ref", "borrowing_library", "service",
            "pickup_location", "needed_by", "lender", "rota_position", "due_date",
            "loan_condition", "outcome_note", "created_at", "sent_at", "updated_at", "version",
            "peer_request_id",
        )
    }  # fmt: skip
    # vars(), not asdict(): these records hold only strings, and asdict deep-copies each field
    row["citation"] = json.dumps(vars(request.citation)) if request.citation else None
    row["state"] = request.state.name
    row["status"] = request.state.status.value if request.state.status else None
    row["is_open"] = request.is_open
    row["rota"] = json.dumps([vars(entry) for entry in request.rota])
    row["skipped"] = json.dumps([vars(skip) for skip in request.skipped])
    return row


def _request_from_row(row: Any) -> Request:
    data = {key: row[key] for key in row.keys() if key not in ("status", "is_open")}
    data["state"] = State.parse(row["state"])
    data["citation"] = Citation(**json.loads(row["citation"])) if row["citation"] else None
    data["rota"] = [RotaEntry(**entry) for entry in json.loads(row["rota"])]
    data["skipped"] = [Skip(**skip) for skip in json.loads(row["skipped"])]
    return Request(**data)


def _event_row(event: TimelineEvent) -> dict[str, Any]:
    row = dict(vars(event))
    row["role"] = event.role.value
    row["action"] = event.action.value
    row["from_state"] = event.from_state.name if event.from_state else None
    row["to_state"] = event.to_state.name
    return row


def _event_from_row(row: Any) -> TimelineEvent:
    data = {key: row[key] for key in row.keys() if key != "seq"}
    data["role"] = Role(row["role"])
    data["action"] = Action(row["action"])
    data["from_state"] = State.parse(row["from_state"]) if row["from_state"] else None
    data["to_state"] = State.parse(row["to_state"])
    return TimelineEvent(**data)


def _rules_row(rules: LendingRules) -> dict[str, Any]:
    row = asdict(rules)
    row["closures"] = json.dumps(
        [
            {"first": c.first.isoformat(), "last": c.last.isoformat(), "note": c.note}
            for c in rules.closures
        ]
    )
    return row


def _rules_from_row(row: Any) -> LendingRules:
    data = dict(row)
    data["closures"] = tuple(
        Closure(date.fromisoformat(c["first"]), date.fromisoformat(c["last"]), c["note"])
        for c in json.loads(row["closures"])
    )
    return LendingRules(**data)
