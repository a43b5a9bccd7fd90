"""What each change of a request means for a partner that runs its own ILL system.

The request flow stays one workflow (`ill.service`); this module only translates. When the
request's current lender speaks ISO 18626, fedcat is the requesting agency: its patron's and
staff's actions become `request` and `requestingAgencyMessage`s. When the borrowing library
speaks ISO 18626, fedcat is the supplying agency: the lending staff's answers become
`supplyingAgencyMessage`s. What came from the peer itself is never echoed back, except the
answers the standard expects (a StatusRequest gets a StatusRequestResponse, a Cancel a
CancelResponse). Local steps (hold shelf, lent to the patron) send nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time

from config.partners import Partner
from ill.model import PeerMessage, Request, TimelineEvent
from ill.states import Action, Role
from iso18626.codec import encode
from iso18626.messages import (
    AgencyId,
    BibliographicInfo,
    DeliveryInfo,
    Header,
    MessageInfo,
    RequestedDeliveryInfo,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    ServiceInfo,
    StatusInfo,
    SupplyingAgencyMessage,
)
from iso18626.messages import Request as IsoRequest

#: requester actions that travel as themselves (requestingAgencyMessage/action)
REQUESTER_ACTIONS = {
    Action.Received: "Received",
    Action.ShippedReturn: "ShippedReturn",
    Action.Cancel: "Cancel",
    Action.RejectCondition: "Cancel",
    Action.Expire: "Cancel",
    Action.Renew: "Renew",
    Action.StatusRequest: "StatusRequest",
    Action.Notification: "Notification",
}
#: supplier answers: action -> (reasonForMessage, answerYesNo)
SUPPLIER_ACTIONS: dict[Action, tuple[str, bool | None]] = {
    Action.ExpectToSupply: ("RequestResponse", None),
    Action.WillSupply: ("RequestResponse", None),
    Action.Conditional: ("RequestResponse", None),
    Action.CannotSupply: ("RequestResponse", None),
    Action.EndOfRota: ("RequestResponse", None),
    Action.Shipped: ("StatusChange", None),
    Action.CopyDelivered: ("StatusChange", None),
    Action.MarkOverdue: ("StatusChange", None),
    Action.Recall: ("StatusChange", None),
    Action.CheckedIn: ("StatusChange", None),
    Action.CompleteWithoutReturn: ("StatusChange", None),
    Action.RenewAccepted: ("RenewResponse", True),
    Action.RenewRefused: ("RenewResponse", False),
    Action.Notification: ("Notification", None),
    Action.StatusRequest: ("StatusRequestResponse", None),  # the peer asked
    Action.Cancel: ("CancelResponse", True),  # the peer cancelled; fedcat agrees
}
PEER_ANSWERED = {Action.StatusRequest, Action.Cancel}


class IsoRelay:
    """The `ill.service.Relay` for ISO 18626 partners of the registry."""

    def __init__(self, partners: Sequence[Partner], clock: Callable[[], datetime] | None = None):
        self.partners = {p.id: p for p in partners}
        self._clock = clock or (lambda: datetime.now(UTC))

    def peer(self, library_id: str | None) -> Partner | None:
        partner = self.partners.get(library_id or "")
        return partner if partner is not None and partner.ill.speaks_iso18626 else None

    def agency(self, library_id: str) -> AgencyId:
        partner = self.partners.get(library_id)
        return AgencyId.parse(partner.agency_id if partner else f"FEDCAT:{library_id}")

    def outgoing(self, request: Request, events: Sequence[TimelineEvent]) -> list[PeerMessage]:
        messages: list[PeerMessage] = []
        answered = False  # the lender's own "cannot supply" in this change
        for event in events:
            if event.action is Action.EndOfRota and answered:
                continue  # that answer already told the partner, with its reason
            answered = answered or event.action is Action.CannotSupply
            message = self._for_event(request, event)
            if message is not None:
                messages.append(message)
        return messages

    def _for_event(self, request: Request, event: TimelineEvent) -> PeerMessage | None:
        if event.action is Action.Notification and event.role is Role.system:
            return None  # fedcat's own notes (e.g. that a peer refused a message) stay here
        lender_peer = self.peer(event.lender)
        borrower_peer = self.peer(request.borrowing_library)
        from_peer = lender_peer is not None and event.actor == lender_peer.agency_id
        from_peer = from_peer or (
            borrower_peer is not None and event.actor == borrower_peer.agency_id
        )
        if lender_peer is not None and event.role is not Role.lender:
            if not from_peer:
                return self._as_requester(request, event, lender_peer)
        if borrower_peer is not None and event.role in (Role.lender, Role.system, Role.borrower):
            if event.role is Role.borrower and not (from_peer and event.action in PEER_ANSWERED):
                return None
            if event.role is Role.lender and from_peer:
                return None
            return self._as_supplier(request, event, borrower_peer)
        return None

    # fedcat borrows from the peer -------------------------------------------------------------

    def _as_requester(
        self, request: Request, event: TimelineEvent, peer: Partner
    ) -> PeerMessage | None:
        header = Header(
            supplying_agency=AgencyId.parse(peer.agency_id),
            requesting_agency=self.agency(request.borrowing_library),
            timestamp=event.at,
            requesting_agency_request_id=request.id,
            supplying_agency_request_id=request.peer_request_id,
        )
        if event.action in (Action.SendToLender, Action.AcceptCondition):
            retry = event.action is Action.AcceptCondition
            message = self._request(request, header, retry)
            summary = "request (Retry: loan condition accepted)" if retry else "request (New)"
            return self._queued(request, peer, "request", summary, encode(message))
        action = REQUESTER_ACTIONS.get(event.action)
        if action is None:
            return None
        note = "" if event.role is Role.patron else event.note  # a patron's words stay here
        note = f"cancelled: {event.note}" if event.action is Action.Expire else note
        body = encode(RequestingAgencyMessage(header, action, note))
        return self._queued(request, peer, "requestingAgencyMessage", f"action {action}", body)

    def _request(self, request: Request, header: Header, retry: bool) -> IsoRequest:
        entry = request.rota[request.rota_position] if request.rota_position >= 0 else None
        citation = request.citation
        bib = BibliographicInfo(
            supplier_unique_record_id=entry.record_id if entry else "",
            title=citation.source_title if citation and citation.source_title else request.title,
            author=citation.author if citation else "",
            title_of_component=citation.title if citation else "",
            volume=citation.volume if citation else "",
            issue=citation.issue if citation else "",
            pages_requested=citation.pages if citation else "",
            item_ids=(("ISSN", citation.issn),) if citation and citation.issn else (),
        )
        note = f"loan condition accepted: {request.loan_condition}" if retry else ""
        service = ServiceInfo(
            service_type=request.service,
            request_type="Retry" if retry else "New",
            need_before_date=_end_of(request.needed_by),
            note=note,
        )
        borrower = self.partners.get(request.borrowing_library)
        return IsoRequest(
            header=header,
            bibliographic_info=bib,
            service_info=service,
            requested_delivery_info=RequestedDeliveryInfo(line1=request.pickup_location)
            if request.pickup_location
            else None,
            requesting_agency_info=RequestingAgencyInfo(
                name=borrower.name if borrower else request.borrowing_library,
                email=borrower.ill_email if borrower else "",
            ),
        )

    # the peer borrows from fedcat -------------------------------------------------------------

    def _as_supplier(
        self, request: Request, event: TimelineEvent, peer: Partner
    ) -> PeerMessage | None:
        if event.action not in SUPPLIER_ACTIONS or request.rota_position < 0:
            return None
        lender = request.rota[request.rota_position].library_id
        reason, answer = SUPPLIER_ACTIONS[event.action]
        header = Header(
            supplying_agency=self.agency(lender),
            requesting_agency=AgencyId.parse(peer.agency_id),
            timestamp=event.at,
            requesting_agency_request_id=request.peer_request_id,
            supplying_agency_request_id=request.id,
        )
        status = event.to_state.status.value if event.to_state.status else "RequestReceived"
        info = MessageInfo(
            reason_for_message=reason,
            answer_yes_no=answer,
            note=_supplier_note(request, event),
            reason_unfilled=(event.reason or "NotAvailableForILL") if status == "Unfilled" else "",
            reason_retry="LoanCondition" if event.action is Action.Conditional else "",
        )
        due = _end_of(request.due_date) if status in ("Loaned", "Overdue", "Recalled") else None
        delivery = None
        if event.action in (Action.Shipped, Action.CopyDelivered):
            delivery = DeliveryInfo(date_sent=event.at, loan_condition=request.loan_condition)
        message = SupplyingAgencyMessage(
            header=header,
            message_info=info,
            status_info=StatusInfo(status=status, last_change=event.at, due_date=due),
            delivery_info=delivery,
        )
        summary = f"{reason}: {status}" + (f", due {request.due_date}" if due else "")
        return self._queued(request, peer, "supplyingAgencyMessage", summary, encode(message))

    def _queued(
        self, request: Request, peer: Partner, kind: str, summary: str, body: bytes
    ) -> PeerMessage:
        return PeerMessage(request.id, peer.id, kind, summary, body.decode("utf-8"))


def _supplier_note(request: Request, event: TimelineEvent) -> str:
    if event.action is Action.Conditional:
        return request.loan_condition
    if event.action is Action.EndOfRota:
        return request.outcome_note
    return event.note


def _end_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
