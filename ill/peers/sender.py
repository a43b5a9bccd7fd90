"""Sending queued messages to partners' ILL systems: in order, retried, never twice.

`send_due` (run by `fedcat ill send-peers`, `fedcat ill tick` and the web app after each
change) takes each due message from `ill_peer_outbox` under a claim, POSTs it to the peer's
endpoint with the shared secret, and reads the confirmation. OK: sent. ERROR: the peer refused
it; it is never sent again, and the request's timeline says what the peer answered. A peer
that is down, answers 5xx or answers something that is no confirmation: the message stays
queued with a doubling delay, and the messages after it for the same request wait behind it.
Every attempt is in the message log.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from config.partners import Partner
from ill.model import PeerLogEntry
from ill.peers.store import PeerLog, PeerOutbox, QueuedPeerMessage
from ill.service import IllService
from iso18626.codec import decode
from iso18626.errors import MessageError
from iso18626.messages import Confirmation

log = logging.getLogger("ill.peers.sender")
TIMEOUT = 15.0
MAX_ANSWER = 1_000_000
#: passes over the queue in one run: each frees the messages queued behind those it sent
MAX_PASSES = 20
#: body -> (HTTP status, answer); raises OSError when the peer cannot be reached
Post = Callable[[str, bytes, str], "tuple[int, bytes]"]


@dataclass
class PeerSendReport:
    sent: int = 0
    refused: int = 0
    retry: int = 0


def http_post(url: str, body: bytes, secret: str) -> tuple[int, bytes]:
    """POST one message; the HTTP status and at most MAX_ANSWER bytes of the answer."""
    request = urllib.request.Request(  # noqa: S310  # the registry allows only http(s) URLs
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/xml", "Authorization": f"Bearer {secret}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status, response.read(MAX_ANSWER)
    except urllib.error.HTTPError as error:
        return error.code, error.read(MAX_ANSWER)


def send_due(
    service: IllService,
    partners: Sequence[Partner],
    secrets: Mapping[str, str],
    now: datetime | None = None,
    post: Post = http_post,
) -> PeerSendReport:
    """Send every message that is due now, in order per request."""
    run = _Run(service, {p.id: p for p in partners}, secrets, post, now or datetime.now(UTC))
    for _ in range(MAX_PASSES):  # a sent message frees the one queued behind it
        done = run.report.sent + run.report.refused
        for queued in run.outbox.due_messages(run.now):
            if queued.message.request_id not in run.blocked:
                run.attempt(queued)
        if run.report.sent + run.report.refused == done:
            break
    return run.report


class _Run:
    """One sending run: its queue, its log, what it did, and the requests it holds back."""

    def __init__(
        self,
        service: IllService,
        partners: Mapping[str, Partner],
        secrets: Mapping[str, str],
        post: Post,
        now: datetime,
    ) -> None:
        self.service, self.partners, self.secrets, self.post, self.now = (
            service, partners, secrets, post, now
        )  # fmt: skip
        self.outbox, self.log = PeerOutbox(service.store), PeerLog(service.store)
        self.report = PeerSendReport()
        self.blocked: set[str] = set()  # requests whose earlier message failed in this run

    def attempt(self, queued: QueuedPeerMessage) -> None:
        token = self.outbox.claim(queued.id, self.now)
        if token is None:
            return  # another sender has it
        message = queued.message
        outcome = _send_one(queued, self.partners.get(message.peer), self.secrets, self.post)
        self.log.add(_logged(queued, outcome, self.now))
        if outcome.confirmation is not None and outcome.confirmation.ok:
            self.outbox.sent(queued.id, token, self.now)
            self.report.sent += 1
        elif outcome.confirmation is not None:
            self.outbox.give_up(queued.id, token, self.now, outcome.detail)
            note = f"{message.peer} refused {message.summary}: {outcome.detail}"
            self.service.system_note(message.request_id, note, reason="PeerRefused")
            self.report.refused += 1
        else:
            attempts = queued.attempts + 1
            self.outbox.retry_later(queued.id, token, attempts, self.now, outcome.detail)
            self.blocked.add(message.request_id)
            self.report.retry += 1


@dataclass(frozen=True)
class _Outcome:
    status: str  # OK | ERROR | unreachable | HTTP 500 | not a confirmation
    detail: str
    confirmation: Confirmation | None = None


def _send_one(
    queued: QueuedPeerMessage, peer: Partner | None, secrets: Mapping[str, str], post: Post
) -> _Outcome:
    if peer is None or not peer.ill.speaks_iso18626:
        return _Outcome("unreachable", f"{queued.message.peer} is no ISO 18626 partner now")
    try:
        http_status, answer = post(
            peer.ill.endpoint, queued.message.body.encode(), secrets.get(peer.id, "")
        )
    except OSError as error:
        return _Outcome("unreachable", f"cannot reach {peer.ill.endpoint}: {error}")
    if http_status >= 500:
        return _Outcome(f"HTTP {http_status}", f"the peer answered HTTP {http_status}")
    try:
        confirmation = decode(answer, max_bytes=MAX_ANSWER)
    except MessageError as error:
        return _Outcome("not a confirmation", f"HTTP {http_status}, {error.error_value}")
    if not isinstance(confirmation, Confirmation):
        return _Outcome("not a confirmation", f"HTTP {http_status}, answered with a message")
    if confirmation.ok:
        return _Outcome("OK", "", confirmation)
    errors = "; ".join(f"{e.error_type} {e.error_value}".strip() for e in confirmation.errors)
    return _Outcome("ERROR", errors or f"HTTP {http_status}, ERROR", confirmation)


def _logged(queued: QueuedPeerMessage, outcome: _Outcome, now: datetime) -> PeerLogEntry:
    message = queued.message
    attempt = f"attempt {queued.attempts + 1}"
    return PeerLogEntry(message.request_id, message.peer, "out", message.kind, message.summary,
                        message.body, now, outcome.status,
                        f"{attempt}: {outcome.detail}" if outcome.detail else attempt)  # fmt: skip
