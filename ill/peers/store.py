"""The store's side of talking to partners' own ILL systems: their queue and their log.

`PeerOutbox` is the mail outbox's discipline (claims with a lease, retries with a doubling
delay) over `ill_peer_outbox`, with one rule more: a request's messages go in the order they
were queued, so a message waits while an earlier one of the same request is still unsent (a
peer must see "Received" before "ShippedReturn"). A message the peer refused (an ERROR
confirmation) is given up, never sent again, and does not hold back the ones after it.

`PeerLog` is every message sent and received, with its outcome: the request's message log that
staff read, and, by each inbound message's digest, how a message received twice is recognised.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from ill import schema
from ill.model import PeerLogEntry, PeerMessage
from ill.notify import Outbox
from ill.store import RequestStore


@dataclass(frozen=True)
class QueuedPeerMessage:
    id: int
    message: PeerMessage
    attempts: int


class PeerOutbox(Outbox):
    """The `ill_peer_outbox` table: what is due for partners' systems, in order per request."""

    def __init__(self, store: RequestStore) -> None:
        super().__init__(store, schema.peer_outbox)

    def due_messages(self, now: Any, limit: int = 200) -> list[QueuedPeerMessage]:
        t = self.table
        earlier = t.alias("earlier")
        unsent = sa.and_(earlier.c.sent_at.is_(None), earlier.c.gave_up_at.is_(None))
        waiting_behind = (
            sa.select(earlier.c.id)
            .where(earlier.c.request_id == t.c.request_id, earlier.c.id < t.c.id, unsent)
            .exists()
        )
        query = (
            t.select()
            .where(t.c.sent_at.is_(None), t.c.gave_up_at.is_(None), t.c.next_attempt_at <= now)
            .where(sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now))
            .where(~waiting_behind)
            .order_by(t.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [_queued(row._mapping) for row in connection.execute(query)]

    def for_request(self, request_id: str) -> list[dict[str, Any]]:
        """The request's queue as staff see it: each message, its attempts and state."""
        t = self.table
        query = t.select().where(t.c.request_id == request_id).order_by(t.c.id)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]


def _queued(row: Any) -> QueuedPeerMessage:
    fields = ("request_id", "peer", "kind", "summary", "body")
    return QueuedPeerMessage(
        row["id"], PeerMessage(**{key: row[key] for key in fields}), row["attempts"]
    )


class PeerLog:
    """The `ill_peer_log` table: every message to and from partners' systems."""

    def __init__(self, store: RequestStore) -> None:
        self.engine = store.engine
        self.table = schema.peer_log

    def add(self, entry: PeerLogEntry, digest: str | None = None) -> bool:
        """Log one message; False (and nothing logged) when this digest was logged before."""
        try:
            with self.engine.begin() as connection:
                connection.execute(self.table.insert().values(**asdict(entry), digest=digest))
        except sa.exc.IntegrityError:
            return False
        return True

    def seen(self, peer: str, digest: str) -> PeerLogEntry | None:
        """The earlier logging of a message with this digest from this peer, if any."""
        t = self.table
        query = t.select().where(t.c.peer == peer, t.c.digest == digest)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else _entry(row._mapping)

    def for_request(self, request_id: str) -> list[PeerLogEntry]:
        t = self.table
        query = t.select().where(t.c.request_id == request_id).order_by(t.c.seq)
        with self.engine.connect() as connection:
            return [_entry(row._mapping) for row in connection.execute(query)]

    def recent(self, peer: str | None = None, limit: int = 100) -> list[PeerLogEntry]:
        """The newest messages, of one peer or all (for operators)."""
        t = self.table
        query = t.select().order_by(t.c.seq.desc()).limit(limit)
        if peer is not None:
            query = query.where(t.c.peer == peer)
        with self.engine.connect() as connection:
            return [_entry(row._mapping) for row in connection.execute(query)]


def _entry(row: Any) -> PeerLogEntry:
    fields = PeerLogEntry.__dataclass_fields__
    return PeerLogEntry(**{key: row[key] for key in fields})
