"""The tables of the request store, as SQLAlchemy Core objects, for the store's queries.

The migrations in `ill/migrations/versions` create and change these tables; this module
describes the newest schema, and a test checks that the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.sql import UtcDateTime

metadata = sa.MetaData()


requests = sa.Table(
    "ill_requests",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("work_id", sa.String(200), nullable=False),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("patron_ref", sa.String(200), nullable=False),
    sa.Column("borrowing_library", sa.String(100), nullable=False),
    sa.Column("service", sa.String(10), nullable=False),
    sa.Column("citation", sa.Text),  # JSON
    sa.Column("pickup_location", sa.Text, nullable=False, server_default=""),
    sa.Column("needed_by", sa.Date),
    sa.Column("state", sa.String(80), nullable=False),
    sa.Column("status", sa.String(40)),
    sa.Column("is_open", sa.Boolean, nullable=False),
    sa.Column("lender", sa.String(100)),
    sa.Column("rota", sa.Text, nullable=False),  # JSON list
    sa.Column("skipped", sa.Text, nullable=False),  # JSON list
    sa.Column("rota_position", sa.Integer, nullable=False),
    sa.Column("due_date", sa.Date),
    sa.Column("loan_condition", sa.Text, nullable=False, server_default=""),
    sa.Column("outcome_note", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    #: the other system's id for this transaction, when a partner's own ILL system is the other
    #: side (ISO 18626): its requestingAgencyRequestId or supplyingAgencyRequestId
    sa.Column("peer_request_id", sa.String(200), nullable=False, server_default=""),
)

events = sa.Table(
    "ill_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(40), sa.ForeignKey("ill_requests.id"), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("from_state", sa.String(80)),
    sa.Column("to_state", sa.String(80), nullable=False),
    sa.Column("lender", sa.String(100)),
    sa.Column("reason", sa.String(100), nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)

lending_rules = sa.Table(
    "ill_lending_rules",
    metadata,
    sa.Column("library_id", sa.String(100), primary_key=True),
    sa.Column("lends", sa.Boolean, nullable=False),
    sa.Column("loan_period_days", sa.Integer, nullable=False),
    sa.Column("daily_cap", sa.Integer),
    sa.Column("closures", sa.Text, nullable=False),  # JSON list of {first, last, note}
    sa.Column("ratio_lend", sa.Integer, nullable=False),
    sa.Column("ratio_borrow", sa.Integer, nullable=False),
    #: the borrowing library lets lenders' pull slips show its patrons' names (migration 0006)
    sa.Column("print_patron_names", sa.Boolean, nullable=False, server_default=sa.false()),
)

#: each requested work's subject area and year, as the catalogue gave them (migration 0007):
#: what demand statistics group by and purchase suggestions read (`ill.stats`, `ill.purchase`)
work_facts = sa.Table(
    "ill_work_facts",
    metadata,
    sa.Column("work_id", sa.String(200), primary_key=True),
    sa.Column("subject_area", sa.Text, nullable=False, server_default=""),
    sa.Column("published_year", sa.Integer),
)

sa.Index("ill_requests_patron_work", requests.c.patron_ref, requests.c.work_id)
#: the database itself refuses a second open request by a patron for a work, even under races
sa.Index(
    "ill_one_open_request_per_work",
    requests.c.patron_ref,
    requests.c.work_id,
    unique=True,
    sqlite_where=requests.c.is_open,
    postgresql_where=requests.c.is_open,
)
sa.Index("ill_events_request", events.c.request_id, events.c.seq)
sa.Index("ill_requests_lender_open", requests.c.lender, requests.c.is_open)
sa.Index("ill_events_action_at", events.c.action, events.c.at)
#: the demand statistics' shipped / arrived per request, from the index alone (migration 0007)
sa.Index(
    "ill_events_action_request", events.c.action, events.c.request_id, events.c.lender, events.c.at
)

#: mail waiting to go (and mail sent), written in the transaction of the change it reports
outbox = sa.Table(
    "ill_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(40), sa.ForeignKey("ill_requests.id"), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("recipient_kind", sa.String(20), nullable=False),  # patron | library
    sa.Column("recipient_ref", sa.String(200), nullable=False),  # patron key | library id
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("claim", sa.String(40)),
    sa.Column("claimed_until", UtcDateTime),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("gave_up_at", UtcDateTime),
)

#: scans of copies a lender uploaded (the file is in the data directory, `copies/<file_name>`)
copies = sa.Table(
    "ill_copies",
    metadata,
    sa.Column("request_id", sa.String(40), sa.ForeignKey("ill_requests.id"), primary_key=True),
    sa.Column("file_name", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("uploaded_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
)

sa.Index("ill_outbox_due", outbox.c.sent_at, outbox.c.gave_up_at, outbox.c.next_attempt_at)
sa.Index("ill_outbox_request", outbox.c.request_id)

#: the load balance reads only open requests (`RequestStore.open_load`), however long the history
sa.Index(
    "ill_requests_open_load",
    requests.c.lender,
    requests.c.borrowing_library,
    sqlite_where=requests.c.is_open.is_(True),
    postgresql_where=requests.c.is_open.is_(True),
)

sa.Index("ill_requests_peer", requests.c.borrowing_library, requests.c.peer_request_id)

#: ISO 18626 messages waiting to go to partners' systems (and sent ones), written in the
#: transaction of the change they report; sent in order per request (`ill.peers.sender`)
peer_outbox = sa.Table(
    "ill_peer_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(40), sa.ForeignKey("ill_requests.id"), nullable=False),
    sa.Column("peer", sa.String(100), nullable=False),  # partner id
    sa.Column("kind", sa.String(40), nullable=False),  # request | supplyingAgencyMessage | ...
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("body", sa.Text, nullable=False),  # the XML message
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("claim", sa.String(40)),
    sa.Column("claimed_until", UtcDateTime),
    sa.Column("sent_at", UtcDateTime),  # the peer confirmed OK
    sa.Column("gave_up_at", UtcDateTime),  # the peer refused it (ERROR): never retried
)
sa.Index(
    "ill_peer_outbox_due",
    peer_outbox.c.sent_at,
    peer_outbox.c.gave_up_at,
    peer_outbox.c.next_attempt_at,
)
sa.Index("ill_peer_outbox_request", peer_outbox.c.request_id, peer_outbox.c.id)

#: every ISO 18626 message sent or received, with its confirmation: what staff read as the
#: request's message log. Inbound messages carry their digest, so a message received twice is
#: recognised and answered again without being applied again.
peer_log = sa.Table(
    "ill_peer_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(40)),  # None: a message that named no known request
    sa.Column("peer", sa.String(100), nullable=False),
    sa.Column("direction", sa.String(3), nullable=False),  # in | out
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # OK | ERROR | HTTP 500 | unreachable
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("digest", sa.String(64)),
)
sa.Index("ill_peer_log_request", peer_log.c.request_id, peer_log.c.seq)
sa.Index("ill_peer_log_digest", peer_log.c.peer, peer_log.c.digest, unique=True)
