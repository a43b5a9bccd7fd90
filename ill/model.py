"""The records of inter-library loan: lending rules, requests, their rota and timeline.

These are what crosses from this package to the web pages, the API and the ISO 18626 transport;
they hold no behaviour beyond small derived facts, so every rule stays in `ill.service`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from ill.states import INITIAL, Action, Role, State

ServiceType = Literal["Loan", "Copy"]
SERVICE_TYPES: tuple[ServiceType, ...] = ("Loan", "Copy")


@dataclass(frozen=True)
class Closure:
    """A range of days (both ends included) a library takes no new requests: holidays, moves."""

    first: date
    last: date
    note: str = ""

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class LendingRules:
    """What the operator set for one library; a library with no rules lends with defaults."""

    library_id: str
    lends: bool = True
    loan_period_days: int = 28
    daily_cap: int | None = None  # new requests a day; None: no cap
    closures: tuple[Closure, ...] = ()
    ratio_lend: int = 1  # agreed lend:borrow ratio, e.g. 2:1 lends twice what it borrows
    ratio_borrow: int = 1
    #: as a borrowing library: lenders' pull slips show the patron's name (off: never shown)
    print_patron_names: bool = False

    @property
    def ratio(self) -> float:
        return self.ratio_lend / self.ratio_borrow

    def closure_on(self, day: date) -> Closure | None:
        return next((c for c in self.closures if c.covers(day)), None)


@dataclass(frozen=True)
class Actor:
    """Who acts: a patron (of their home library), staff of a library, or fedcat itself."""

    name: str  # patron card number / staff user name / "fedcat"
    role: Role
    library_id: str = ""  # the patron's home library or the staff member's library


SYSTEM = Actor("fedcat", Role.system)


@dataclass(frozen=True)
class Citation:
    """The part wanted when the service is Copy: an article or a chapter."""

    title: str  # of the article or chapter
    author: str = ""
    source_title: str = ""  # journal or book title
    volume: str = ""
    issue: str = ""
    pages: str = ""
    year: str = ""
    issn: str = ""  # of the journal, when known: what copies are counted by (CONTU)


@dataclass(frozen=True)
class RotaEntry:
    """One lender on the request's list, in order, with why it stands there (shown to staff)."""

    library_id: str
    reason: str
    call_number: str = ""
    location: str = ""
    record_id: str = ""  # the lender's record of the work (sent to a partner's own ILL system)


@dataclass(frozen=True)
class Skip:
    """A holding library left out of the rota, and why (also shown to staff)."""

    library_id: str
    reason: str


@dataclass
class Request:
    """One patron's request for one work, as it moves from lender to lender."""

    id: str
    work_id: str
    title: str
    patron_ref: str  # the patron's card number at their home library; never sent to lenders
    borrowing_library: str
    service: ServiceType = "Loan"
    citation: Citation | None = None
    pickup_location: str = ""
    needed_by: date | None = None
    state: State = INITIAL
    lender: str | None = None  # current lender; None while routing or closed
    rota: list[RotaEntry] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    rota_position: int = -1  # index in rota of the current (or last) lender
    due_date: date | None = None
    loan_condition: str = ""
    outcome_note: str = ""  # why it closed (for the patron), e.g. why it could not be filled
    created_at: datetime | None = None
    sent_at: datetime | None = None  # when the current lender received it (expiry counts from it)
    updated_at: datetime | None = None
    version: int = 0  # optimistic concurrency: bumped by every stored change
    #: the other system's id for this transaction when the other side is a partner's own ILL
    #: system (ISO 18626); "" when both sides work in fedcat
    peer_request_id: str = ""

    @property
    def is_open(self) -> bool:
        return not self.state.is_closed


@dataclass(frozen=True)
class TimelineEvent:
    """One recorded transition: who did what, when, from which state to which, and why."""

    request_id: str
    at: datetime
    actor: str
    role: Role
    action: Action
    from_state: State | None
    to_state: State
    lender: str | None = None  # the lender concerned at that moment
    reason: str = ""  # a code, e.g. an ISO reasonUnfilled value
    note: str = ""  # free text for people


@dataclass(frozen=True)
class OutboxMessage:
    """A mail to send about a request, queued in the transaction of the change it reports.

    The recipient is named, not addressed: a patron by their key, a library by its id; the
    sender looks the address up when it sends, so no e-mail address is kept with requests.
    """

    request_id: str
    kind: str  # shipped, ready_for_pickup, overdue, unfilled, copy_ready, new_request
    recipient_kind: Literal["patron", "library"]
    recipient_ref: str
    subject: str
    body: str


@dataclass(frozen=True)
class PeerMessage:
    """A message to send to a partner's own ILL system, queued in the transaction of the change
    it reports (`RequestStore.save(..., peer_outbox=...)`) and sent in order per request."""

    request_id: str
    peer: str  # the partner's id in the registry
    kind: str  # request | supplyingAgencyMessage | requestingAgencyMessage
    summary: str  # for people: "request (Loan, New)", "status Loaned, due 2026-12-30"
    body: str  # the message as sent on the wire


@dataclass(frozen=True)
class PeerLogEntry:
    """One message sent to or received from a partner's system, with what came of it."""

    request_id: str | None
    peer: str
    direction: Literal["in", "out"]
    kind: str
    summary: str
    body: str
    at: datetime
    status: str  # OK | ERROR | refused | unreachable | HTTP 500 ...
    detail: str = ""  # the error, the confirmation's errorData, what was odd
