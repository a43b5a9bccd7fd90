"""Messages from partners' own ILL systems, checked, applied to the request flow, confirmed.

Every message gets a confirmation. Nothing changes unless the message is well formed, comes
from a partner of the registry that speaks ISO 18626, carries that partner's shared secret, and
names a request and an action the request's state allows; anything else is an ERROR
confirmation that says why. A message received twice (same peer, same bytes) is confirmed
again and applied once. Each message, its outcome and anything odd about it is logged for the
request's message log; a message's patron data (patronInfo) is dropped before anything is kept.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from config.partners import Partner
from ill.errors import IllError, RequestNotFound
from ill.model import Actor, Citation, PeerLogEntry, Request
from ill.peers.store import PeerLog
from ill.service import IllService
from ill.states import Action, Role
from iso18626.codec import confirm, decode, encode, error_confirmation
from iso18626.errors import MessageError
from iso18626.messages import (
    Confirmation,
    ErrorData,
    Message,
    RequestingAgencyMessage,
    SupplyingAgencyMessage,
)
from iso18626.messages import Request as IsoRequest

MAX_BYTES = 1_000_000
#: (record id, ISBN/ISSN values, title) -> (work id, title, the lender's holding) or None
FindWork = Callable[[str, Sequence[str], str, str], "tuple[str, str, Mapping[str, Any]] | None"]
#: peer status (of a supplyingAgencyMessage) -> the lender action it reports
STATUS_ACTIONS = {
    "ExpectToSupply": Action.ExpectToSupply,
    "WillSupply": Action.WillSupply,
    "RetryPossible": Action.Conditional,
    "Unfilled": Action.CannotSupply,
    "Loaned": Action.Shipped,
    "CopyCompleted": Action.CopyDelivered,
    "Overdue": Action.MarkOverdue,
    "Recalled": Action.Recall,
    "LoanCompleted": Action.CheckedIn,
    "CompletedWithoutReturn": Action.CompleteWithoutReturn,
    "Cancelled": Action.CannotSupply,
}
REQUESTER_ACTIONS = {
    "Received": Action.Received,
    "ShippedReturn": Action.ShippedReturn,
    "Cancel": Action.Cancel,
    "Renew": Action.Renew,
    "StatusRequest": Action.StatusRequest,
    "Notification": Action.Notification,
}


@dataclass(frozen=True)
class Answer:
    """What the endpoint sends back: the HTTP status and the confirmation message."""

    http_status: int
    body: bytes


class Refused(Exception):
    """The message is understood and refused: an ERROR confirmation with this error."""

    def __init__(self, error_type: str, value: str, http_status: int = 200) -> None:
        super().__init__(value)
        self.error = ErrorData(error_type, value)
        self.http_status = http_status


class Inbound:
    """Handles one POSTed ISO 18626 message for fedcat's libraries."""

    def __init__(
        self,
        service: IllService,
        partners: Sequence[Partner],
        secrets: Mapping[str, str],
        find_work: FindWork,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.service = service
        self.log = PeerLog(service.store)
        self.by_agency = {p.agency_id: p for p in partners}
        self.secrets = secrets
        self.find_work = find_work
        self._clock = clock or (lambda: datetime.now(UTC))

    def handle(self, body: bytes, authorization: str | None) -> Answer:
        now = self._clock()
        try:
            message = decode(body, max_bytes=MAX_BYTES)
        except MessageError as error:
            self._log_undecodable(body, error, now)
            return Answer(400, encode(error_confirmation(error, now=now)))
        if isinstance(message, Confirmation):
            stray = MessageError(
                "UnsupportedActionType", "a confirmation is an answer, not a message"
            )
            return Answer(400, encode(error_confirmation(stray, now=now)))
        peer = self.by_agency.get(str(_sender(message)))
        try:
            peer = self._authenticate(peer, message, authorization)
            digest = hashlib.sha256(body).hexdigest()
            if self.log.seen(peer.id, digest) is not None:
                return Answer(200, encode(confirm(message, now=now)))
            request, summary, odd = self._apply(peer, message)
        except Refused as refused:
            self._log(peer.id if peer else "?", None, message, body, "ERROR", str(refused), now)
            confirmation = confirm(message, now=now, errors=[refused.error])
            return Answer(refused.http_status, encode(confirmation))
        self._log(peer.id, request.id, message, body, "OK", odd, now, digest=digest,
                  summary=summary)  # fmt: skip
        return Answer(200, encode(confirm(message, now=now)))

    # who sent it --------------------------------------------------------------------------

    def _authenticate(
        self, peer: Partner | None, message: Message, authorization: str | None
    ) -> Partner:
        if peer is None or not peer.ill.speaks_iso18626:
            raise Refused("UnrecognisedDataValue", f"unknown agency {_sender(message)}", 403)
        expected = self.secrets.get(peer.id, "")
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Refused("UnrecognisedDataValue", "missing or wrong shared secret", 401)
        return peer

    # what it asks --------------------------------------------------------------------------

    def _apply(self, peer: Partner, message: Message) -> tuple[Request, str, str]:
        try:
            if isinstance(message, IsoRequest):
                return self._request(peer, message)
            if isinstance(message, SupplyingAgencyMessage):
                return self._supplying(peer, message)
            if isinstance(message, RequestingAgencyMessage):
                return self._requesting(peer, message)
        except RequestNotFound as missing:
            raise Refused("UnrecognisedDataValue", f"no request {missing}") from None
        except IllError as error:
            raise Refused("UnsupportedActionType", str(error)) from None
        raise Refused("UnsupportedActionType", type(message).__name__)

    def _request(self, peer: Partner, message: IsoRequest) -> tuple[Request, str, str]:
        header, bib = message.header, message.bibliographic_info
        actor = Actor(peer.agency_id, Role.borrower, peer.id)
        lender = self.by_agency.get(str(header.supplying_agency or ""))
        if lender is None or lender.ill.speaks_iso18626:
            raise Refused("UnrecognisedDataValue", f"no fedcat library {header.supplying_agency}")
        existing = self.service.store.find_by_peer_id(peer.id, header.requesting_agency_request_id)
        odd = "; ".join(f"dropped {what}" for what in getattr(message, "dropped", ()))
        request_type = message.service_info.request_type or "New"
        if existing is not None and request_type == "Retry":
            done = self.service.act(existing.id, actor, Action.AcceptCondition,
                                    note=message.service_info.note)  # fmt: skip
            return done, "request (Retry): condition accepted", odd
        if existing is not None:
            note = f"request ({request_type}) repeated; the request stands as it is"
            return self.service.act(existing.id, actor, Action.Notification, note=note), note, odd
        ids = [value for _, value in bib.item_ids]
        found = self.find_work(bib.supplier_unique_record_id, ids, bib.title, lender.id)
        work_id, title, holding = found or (f"iso:{peer.id}:{_cited(bib)}", bib.title, {})
        if found is None:
            odd = "; ".join(x for x in (odd, "not found in the union catalogue as cited") if x)
        service = message.service_info.service_type
        request = self.service.receive_request(
            actor,
            lender=lender.id,
            peer_request_id=header.requesting_agency_request_id,
            work_id=work_id,
            title=title or bib.title or "(no title given)",
            service="Copy" if service == "Copy" else "Loan",
            citation=_citation(bib) if service == "Copy" else None,
            holding=holding,
            needed_by=message.service_info.need_before_date.date()
            if message.service_info.need_before_date
            else None,
            pickup_location=message.requested_delivery_info.line1
            if message.requested_delivery_info
            else "",
            note=message.service_info.note,
        )
        return request, f"request ({service}, {request_type})", odd

    def _supplying(
        self, peer: Partner, message: SupplyingAgencyMessage
    ) -> tuple[Request, str, str]:
        request = self.service.store.get(message.header.requesting_agency_request_id)
        if request.lender != peer.id:
            raise Refused("UnrecognisedDataValue", f"{peer.id} is not the lender asked now")
        request = self.service.remember_peer_id(request, message.header.supplying_agency_request_id)
        actor = Actor(peer.agency_id, Role.lender, peer.id)
        info, status = message.message_info, message.status_info.status
        summary = f"{info.reason_for_message}: {status}"
        action, details, odd = _lender_action(request, message)
        done = self.service.act(request.id, actor, action, **details)
        if odd:  # staff see on the timeline what the partner's system did unusually
            done = self.service.system_note(done.id, f"{peer.id}: {odd}", reason="PeerOddity")
        return done, summary, odd

    def _requesting(
        self, peer: Partner, message: RequestingAgencyMessage
    ) -> tuple[Request, str, str]:
        header = message.header
        request = self.service.store.find_by_peer_id(peer.id, header.requesting_agency_request_id)
        if request is None:
            raise Refused(
                "UnrecognisedDataValue", f"no request {header.requesting_agency_request_id}"
            )
        action = REQUESTER_ACTIONS.get(message.action)
        if action is None:
            raise Refused("UnsupportedActionType", message.action)
        actor = Actor(peer.agency_id, Role.borrower, peer.id)
        done = self.service.act(request.id, actor, action, note=message.note)
        return done, f"action {message.action}", ""

    # the log ---------------------------------------------------------------------------------

    def _log(
        self,
        peer: str,
        request_id: str | None,
        message: Message,
        body: bytes,
        status: str,
        detail: str,
        now: datetime,
        *,
        digest: str | None = None,
        summary: str = "",
    ) -> None:
        kind = _kind(message)
        # a request as decoded, which dropped any patronInfo; the other messages have no
        # patron elements, so they are kept as they came
        kept = encode(message) if isinstance(message, IsoRequest) else body
        entry = PeerLogEntry(request_id, peer, "in", kind, summary or kind,
                             kept.decode("utf-8", "replace"), now, status, detail)  # fmt: skip
        self.log.add(entry, digest)

    def _log_undecodable(self, body: bytes, error: MessageError, now: datetime) -> None:
        shown = body[:2000].decode("utf-8", "replace")
        detail = f"{error.error_type}: {error.error_value}"
        self.log.add(PeerLogEntry(None, "?", "in", error.kind or "?", "not understood",
                                  shown, now, "ERROR", detail))  # fmt: skip


def _lender_action(
    request: Request, message: SupplyingAgencyMessage
) -> tuple[Action, dict[str, Any], str]:
    """The lender action a supplier's message reports, its details, and what was odd."""
    info, status_info = message.message_info, message.status_info
    status, note = status_info.status, info.note
    due = status_info.due_date.date().isoformat() if status_info.due_date else None
    current = request.state.status.value if request.state.status else ""
    if info.reason_for_message == "RenewResponse":
        if info.answer_yes_no:
            return Action.RenewAccepted, _details(note=note, due_date=due), ""
        return Action.RenewRefused, _details(note=note), ""
    if info.reason_for_message in ("Notification", "CancelResponse") or status in (
        current,
        "RequestReceived",
    ):
        repeated = info.reason_for_message in ("StatusChange", "RequestResponse")
        odd = f"status {status} again" if repeated and status == current else ""
        odd = odd if status else "a Notification with no status (the schema wants one)"
        text = note or f"{info.reason_for_message}: {status or 'no status'}"
        return Action.Notification, _details(note=text), odd
    if status == "Loaned" and request.state.renewal_pending:
        return Action.RenewAccepted, _details(note=note, due_date=due), "renewed by a status"
    action = STATUS_ACTIONS.get(status)
    if action is None:
        raise Refused("UnrecognisedDataValue", f"status {status}")
    if action is Action.CannotSupply:
        code = info.reason_unfilled or status
        return action, _details(code=code, note=note), ""
    if action is Action.Conditional:
        condition = note or info.reason_retry or "a condition (none given)"
        return action, {"condition": condition}, ""
    if action is Action.Shipped:
        return action, _details(note=note, due_date=due), ""
    return action, _details(note=note), ""


def _details(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "")}


def _sender(message: Message) -> object:
    header = message.header  # type: ignore[union-attr]
    if isinstance(message, SupplyingAgencyMessage):
        return header.supplying_agency
    return header.requesting_agency


def _kind(message: Message) -> str:
    return {
        IsoRequest: "request",
        SupplyingAgencyMessage: "supplyingAgencyMessage",
        RequestingAgencyMessage: "requestingAgencyMessage",
    }.get(type(message), "confirmation")


def _cited(bib: Any) -> str:
    return bib.supplier_unique_record_id or next((v for _, v in bib.item_ids), "") or "unknown"


def _citation(bib: Any) -> Citation:
    issn = next((v for code, v in bib.item_ids if code.upper() == "ISSN"), "")
    return Citation(
        title=bib.title_of_component or bib.title,
        author=bib.author_of_component or bib.author,
        source_title=bib.title,
        volume=bib.volume,
        issue=bib.issue,
        pages=bib.pages_requested,
        issn=issn,
    )
