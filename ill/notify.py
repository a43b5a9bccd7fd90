"""Mail about requests, through an outbox: queued with the change, sent later, never lost.

`messages_for` says which mail a change causes; the store writes it in the change's own
transaction (`RequestStore.save(..., outbox=...)`), so a request never moves without its mail
and no mail tells of a change that was rolled back. `send_due` (run by `fedcat ill send-mail`
and `fedcat ill tick`) sends what is due over SMTP. A message is claimed by a conditional
update before it is sent, so two senders on two hosts never send one twice; a failure keeps
it queued with a later retry time (doubling, up to `MAX_DELAY`), so an SMTP server that is
down delays mail and loses none.

Mail names the request id and the work, never a card number; log records name the message
id, its kind and the request id, never an address.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa

from ill import schema
from ill.model import OutboxMessage, Request, TimelineEvent
from ill.states import Action, Stage
from ill.store import RequestStore

log = logging.getLogger("ill.notify")

FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
#: how long a sender may hold a message it claimed before another sender may take it
CLAIM_LEASE = timedelta(minutes=5)
SMTP_TIMEOUT = 20.0


# which mail a change causes -------------------------------------------------------------------


def messages_for(request: Request, events: Sequence[TimelineEvent]) -> list[OutboxMessage]:
    """The mail the events of one stored change cause, in the order they happened."""
    messages = []
    for event in events:
        message = _message(request, event)
        if message is not None:
            messages.append(message)
    return messages


def _message(request: Request, event: TimelineEvent) -> OutboxMessage | None:
    if event.action is Action.SendToLender and event.lender:
        return _to_lender(request, event.lender)
    patron_mail = {
        Action.Shipped: ("shipped", "is on its way to your library", _shipped_text),
        Action.OnHoldShelf: ("ready_for_pickup", "is ready for pickup", _pickup_text),
        Action.MarkOverdue: ("overdue", "is overdue", _overdue_text),
        Action.EndOfRota: ("unfilled", "could not be supplied", _unfilled_text),
        Action.CopyDelivered: ("copy_ready", "is ready to download", _copy_text),
    }.get(event.action)
    if patron_mail is None:
        return None
    if event.action is Action.MarkOverdue and event.to_state.stage is not Stage.with_patron:
        return None  # not yet (or no longer) with the patron: the borrowing library's matter
    kind, headline, text = patron_mail
    return OutboxMessage(
        request_id=request.id,
        kind=kind,
        recipient_kind="patron",
        recipient_ref=request.patron_ref,
        subject=f"[{request.id}] {_short(request.title)} {headline}",
        body=_patron_body(request, text(request)),
    )


def _to_lender(request: Request, lender: str) -> OutboxMessage:
    entry = next((e for e in request.rota if e.library_id == lender), None)
    lines = [
        f"Library {request.borrowing_library} asks you for a {request.service.lower()}.",
        "",
        f"Request: {request.id}",
        f"Title: {request.title}",
    ]
    if request.citation is not None:
        lines.append(f"Part wanted: {_citation(request)}")
    if entry is not None and (entry.call_number or entry.location):
        lines.append(f"Your copy: {entry.location} {entry.call_number}".rstrip())
    if request.needed_by is not None:
        lines.append(f"Needed by: {request.needed_by}")
    lines += ["", "Answer it in your fedcat lending queue."]
    return OutboxMessage(
        request_id=request.id,
        kind="new_request",
        recipient_kind="library",
        recipient_ref=lender,
        subject=f"[{request.id}] New inter-library loan request: {_short(request.title)}",
        body="\n".join(lines) + "\n",
    )


def _patron_body(request: Request, text: str) -> str:
    return (
        f"Your inter-library loan request {request.id} for\n\n    {request.title}\n\n"
        f"{text}\n\nSee its timeline under My requests in fedcat.\n"
    )


def _shipped_text(request: Request) -> str:
    due = f" It is due back on {request.due_date}." if request.due_date else ""
    return f"has been shipped by the lending library to your library.{due}"


def _pickup_text(request: Request) -> str:
    where = f" at {request.pickup_location}" if request.pickup_location else ""
    return f"is ready for you to pick up{where}."


def _overdue_text(request: Request) -> str:
    return f"was due back on {request.due_date}: please return it to your library."


def _unfilled_text(request: Request) -> str:
    return f"could not be supplied. {request.outcome_note}".rstrip()


def _copy_text(request: Request) -> str:
    return "has been supplied as a scan: sign in to fedcat to download it."


def _citation(request: Request) -> str:
    c = request.citation
    assert c is not None
    parts = [c.title, c.source_title, c.volume and f"vol. {c.volume}", c.pages and f"pp. {c.pages}"]
    return ", ".join(part for part in parts if part)


def _short(title: str, limit: int = 80) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1] + "…"


# the outbox -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedMessage:
    """A message as it waits in the outbox."""

    id: int
    message: OutboxMessage
    attempts: int


class Outbox:
    """The `ill_outbox` table of a request store: what is due, claims, and outcomes."""

    def __init__(self, store: RequestStore, table: sa.Table = schema.outbox) -> None:
        self.engine = store.engine
        self.table = table

    def due(self, now: datetime, limit: int = 200) -> list[QueuedMessage]:
        t = self.table
        query = (
            t.select()
            .where(t.c.sent_at.is_(None), t.c.gave_up_at.is_(None), t.c.next_attempt_at <= now)
            .where(sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now))
            .order_by(t.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [_queued(row._mapping) for row in connection.execute(query)]

    def claim(self, message_id: int, now: datetime) -> str | None:
        """Take the message for this sender: a token, or None when another sender has it."""
        token = uuid.uuid4().hex
        t = self.table
        update = (
            t.update()
            .where(t.c.id == message_id, t.c.sent_at.is_(None), t.c.gave_up_at.is_(None))
            .where(sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now))
            .values(claim=token, claimed_until=now + CLAIM_LEASE)
        )
        return token if self._update(update) else None

    def sent(self, message_id: int, token: str, now: datetime) -> bool:
        return self._finish(message_id, token, sent_at=now, claimed_until=None, last_error="")

    def retry_later(
        self, message_id: int, token: str, attempts: int, now: datetime, error: str
    ) -> datetime:
        retry_at = now + retry_delay(attempts)
        self._finish(
            message_id,
            token,
            attempts=attempts,
            next_attempt_at=retry_at,
            claimed_until=None,
            last_error=error,
        )
        return retry_at

    def give_up(self, message_id: int, token: str, now: datetime, error: str) -> None:
        self._finish(message_id, token, gave_up_at=now, claimed_until=None, last_error=error)

    def counts(self) -> dict[str, int]:
        """How many messages are queued, sent and given up (for `fedcat ill send-mail`)."""
        t = self.table
        state = sa.case(
            (t.c.sent_at.is_not(None), "sent"),
            (t.c.gave_up_at.is_not(None), "given up"),
            else_="queued",
        )
        query = sa.select(state, sa.func.count()).group_by(state)
        with self.engine.connect() as connection:
            return {name: count for name, count in connection.execute(query)}

    def _finish(self, message_id: int, token: str, **values: Any) -> bool:
        t = self.table
        return self._update(
            t.update().where(t.c.id == message_id, t.c.claim == token).values(**values)
        )

    def _update(self, statement: sa.Update) -> bool:
        with self.engine.begin() as connection:
            return connection.execute(statement).rowcount == 1


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 1, 2, 4, … minutes, at most `MAX_DELAY`."""
    return min(FIRST_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)


def _queued(row: Any) -> QueuedMessage:
    fields = ("request_id", "kind", "recipient_kind", "recipient_ref", "subject", "body")
    message = OutboxMessage(**{key: row[key] for key in fields})
    return QueuedMessage(row["id"], message, row["attempts"])


# sending --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes (FEDCAT_SMTP_HOST, FEDCAT_SMTP_PORT, FEDCAT_SMTP_FROM)."""

    host: str
    port: int = 25
    sender: str = "fedcat@localhost"


#: a recipient's address: (recipient kind, ref) -> address, or None when none is on file
AddressBook = Callable[[str, str], "str | None"]


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    given_up: int = 0


def send_due(
    store: RequestStore, addresses: AddressBook, smtp: SmtpSettings, now: datetime
) -> SendReport:
    """Send every message that is due; each one at most once, whatever other senders do."""
    outbox, report = Outbox(store), SendReport()
    with _Connection(smtp) as connection:
        for queued in outbox.due(now):
            token = outbox.claim(queued.id, now)
            if token is not None:
                _send_one(outbox, connection, addresses, queued, token, now, report)
    return report


def _send_one(
    outbox: Outbox,
    connection: _Connection,
    addresses: AddressBook,
    queued: QueuedMessage,
    token: str,
    now: datetime,
    report: SendReport,
) -> None:
    message = queued.message
    what = f"message {queued.id} ({message.kind}, request {message.request_id})"
    address = addresses(message.recipient_kind, message.recipient_ref)
    if not address:
        outbox.give_up(queued.id, token, now, "no e-mail address on file")
        log.warning("%s not sent: the %s has no e-mail address", what, message.recipient_kind)
        report.given_up += 1
        return
    try:
        connection.send(_email(message, address, connection.smtp.sender))
    except (smtplib.SMTPException, OSError) as exc:
        attempts = queued.attempts + 1
        error = _describe(exc)
        retry_at = outbox.retry_later(queued.id, token, attempts, now, error)
        log.warning("%s not sent (%s), attempt %d; retry at %s", what, error, attempts, retry_at)
        report.retry += 1
        return
    outbox.sent(queued.id, token, now)
    log.info("%s sent", what)
    report.sent += 1


def send_mail(smtp: SmtpSettings, address: str, subject: str, body: str) -> None:
    """One mail now, through the same SMTP session code as the outbox (the operator's health
    alerts, fedcat.alerts); raises smtplib.SMTPException or OSError when it was not sent."""
    message = OutboxMessage("", "operator_alert", "library", "", subject, body)
    with _Connection(smtp) as connection:
        connection.send(_email(message, address, smtp.sender))


def _email(message: OutboxMessage, address: str, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, address, message.subject
    email.set_content(message.body)
    return email


def _describe(exc: Exception) -> str:
    """What went wrong, without the server's text (which may quote the recipient's address)."""
    code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
    return f"{type(exc).__name__}" + (f" {code}" if code else "")


class _Connection:
    """One SMTP session for a run, opened on first use and again after a failure."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp
        self._client: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        try:
            if self._client is None:
                self._client = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=SMTP_TIMEOUT)
            self._client.send_message(email)
        except (smtplib.SMTPException, OSError):
            self.close()
            raise

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
