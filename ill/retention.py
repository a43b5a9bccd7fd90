"""Closed requests forget their patron: the privacy lifecycle of inter-library loan.

A request names its patron (`patron_ref`: home library and card number) only while the patron
needs it: `anonymise_closed` (run by `fedcat ill tick` and `fedcat ill anonymise`) cuts that
link once a request has been closed for the retention period (FEDCAT_ILL_RETENTION_DAYS,
default 90). What stays is anonymous: the work, the libraries, the dates and the outcome, for
the consortium's statistics. The timeline's patron entries lose their card number and their
note (a patron writes what they like there); the request's mail leaves the outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ill import schema
from ill.states import Role
from ill.store import RequestStore

#: what the patron fields hold once a request is anonymised
ANONYMOUS = ""
#: the actor name of a patron's timeline events once anonymised
ANONYMOUS_PATRON = "patron"
DEFAULT_RETENTION_DAYS = 90
BATCH = 500  # ids per statement (SQLite limits bound values)


def anonymise_closed(store: RequestStore, now: datetime, retention_days: int) -> int:
    """Unlink every request closed at least `retention_days` ago; how many were."""
    cutoff = now - timedelta(days=retention_days)
    r = schema.requests
    query = sa.select(r.c.id).where(
        r.c.is_open.is_(False), r.c.updated_at <= cutoff, r.c.patron_ref != ANONYMOUS
    )
    with store.engine.begin() as tx:
        ids = list(tx.execute(query).scalars())
        for start in range(0, len(ids), BATCH):
            _unlink(tx, ids[start : start + BATCH])
    return len(ids)


def _unlink(tx: Connection, ids: list[str]) -> None:
    r, e, o = schema.requests, schema.events, schema.outbox
    tx.execute(
        r.update().where(r.c.id.in_(ids)).values(patron_ref=ANONYMOUS, version=r.c.version + 1)
    )
    tx.execute(
        e.update()
        .where(e.c.request_id.in_(ids), e.c.role == Role.patron.value)
        .values(actor=ANONYMOUS_PATRON, note="")
    )
    tx.execute(o.delete().where(o.c.request_id.in_(ids)))
