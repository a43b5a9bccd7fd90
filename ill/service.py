"""The operations the web pages, the API and the ISO 18626 transport call — every rule is here.

A caller passes who acts (`Actor`) and what they want; the service checks that the actor may
touch the request, that the state machine allows the action, that its details make sense, and
then stores the new state with its timeline events in one transaction. Passing a request on to
the next lender (after "cannot supply", a refused condition, or no answer in time) happens in
the same transaction as the answer that caused it, so no request is ever left between lenders.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from ill.errors import ActionNotAllowed, BadArguments, NotPermitted, RequestConflict, RequestRefused
from ill.model import (
    SERVICE_TYPES,
    SYSTEM,
    Actor,
    Citation,
    LendingRules,
    PeerMessage,
    Request,
    RotaEntry,
    Skip,
    TimelineEvent,
)
from ill.notify import messages_for
from ill.routing import build_rota, holding_libraries, normalise_status, skip_reason
from ill.states import INITIAL, Action, Role, Stage, Status, next_state
from ill.store import RequestStore

#: a lender's "cannot supply" reasons, and the ISO 18626 reasonUnfilled code each is sent as;
#: "Other" has no code of its own in the standard's list, so only its note travels
CANNOT_SUPPLY_REASONS: dict[str, str | None] = {
    "NotOnShelf": "NotOnShelf",
    "NotForLoan": "NotAvailableForILL",
    "Damaged": "PoorCondition",
    "Other": None,
}
NOTE_MAX = 2000
#: a partner system's own reasonUnfilled code (an open list in ISO 18626), kept as it came
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,49}$")
_DETAILS: dict[Action, set[str]] = {
    Action.CannotSupply: {"reason", "note", "code"},
    Action.Conditional: {"condition", "note"},
    Action.Shipped: {"due_date", "note"},
    Action.RenewAccepted: {"due_date", "note"},
}


@dataclass(frozen=True)
class IllSettings:
    """What an operator may tune; read once by the app and passed in."""

    answer_days: int = 3  # a lender silent this many days after receiving is passed over


class Relay(Protocol):
    """What a change means for partners that run their own ILL system: the messages to send
    them, queued with the change itself (the ISO 18626 transport, `ill.peers.relay`)."""

    def outgoing(self, request: Request, events: Sequence[TimelineEvent]) -> list[PeerMessage]:
        """The messages these events cause, in order; [] when no partner system is involved."""
        ...


def patron_key(patron: Actor) -> str:
    """Card numbers are unique within a library only: the key is home library and card."""
    return f"{patron.library_id}:{patron.name}"


class IllService:
    """Places requests, applies actions, lists queues; the store is the only state it keeps."""

    def __init__(
        self,
        store: RequestStore,
        settings: IllSettings | None = None,
        clock: Callable[[], datetime] | None = None,
        relay: Relay | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or IllSettings()
        self._clock = clock or (lambda: datetime.now(UTC))
        self.relay = relay

    def _store(
        self, request: Request, events: list[TimelineEvent], *, new: bool = False
    ) -> Request:
        """Write one change with the mail and the partner-system messages it causes."""
        peers = self.relay.outgoing(request, events) if self.relay else []
        write = self.store.create if new else self.store.save
        return write(request, events, messages_for(request, events), peers)

    # placing ------------------------------------------------------------------------------

    def place_request(
        self,
        patron: Actor,
        *,
        work_id: str,
        title: str,
        holdings: Iterable[Mapping[str, Any]],
        service: str = "Loan",
        citation: Citation | None = None,
        pickup_location: str = "",
        needed_by: date | None = None,
    ) -> Request:
        """Create a request and send it to its first lender (or close it, saying why not)."""
        holdings = list(holdings)
        now = self._clock()
        self._check_new_request(patron, work_id, service, citation, needed_by, now)
        self._refuse_own_shelf(patron, holdings)
        holders = holding_libraries(holdings, patron.library_id)  # all a placement reads of
        with self.store.reading():
            self._refuse_duplicate(patron, work_id)
            rules = self.store.rules(holders)
            received = self.store.received_since(_day_start(now), holders)
            load = self.store.open_load(holders)
        rota = build_rota(
            holdings,
            patron.library_id,
            rules=rules,
            load=load,
            received_today=received,
            today=now.date(),
        )
        request = Request(
            id=f"ill-{uuid.uuid4().hex[:16]}",
            work_id=work_id,
            title=title,
            patron_ref=patron_key(patron),
            borrowing_library=patron.library_id,
            service=service,  # type: ignore[arg-type]  # checked above
            citation=citation,
            pickup_location=pickup_location,
            needed_by=needed_by,
            rota=rota.entries,
            skipped=rota.skipped,
            created_at=now,
            updated_at=now,
        )
        events = [self._event(request, patron, Action.Place, None, now, note=_rota_note(rota))]
        events += self._pass_on(request, now, events, rules=rules, received=received)
        return self._store(request, events, new=True)

    def receive_request(
        self,
        peer: Actor,
        *,
        lender: str,
        peer_request_id: str,
        work_id: str,
        title: str,
        service: str = "Loan",
        citation: Citation | None = None,
        holding: Mapping[str, Any] | None = None,
        needed_by: date | None = None,
        pickup_location: str = "",
        note: str = "",
    ) -> Request:
        """A request from a partner's own ILL system to one of fedcat's libraries (ISO 18626):
        it goes to that library's lending queue, with the partner as the borrowing library."""
        if peer.role is not Role.borrower or not peer.library_id or not peer_request_id:
            raise NotPermitted("only a partner's system, naming its request, can send a request")
        if service not in SERVICE_TYPES:
            raise BadArguments(f"service must be one of {', '.join(SERVICE_TYPES)}")
        now = self._clock()
        holding = holding or {}
        entry = RotaEntry(
            lender,
            f"asked directly by {peer.name} (its own ILL system, ISO 18626)",
            str(holding.get("call_number") or ""),
            str(holding.get("location") or ""),
            str(holding.get("record_id") or ""),
        )
        request = Request(
            id=f"ill-{uuid.uuid4().hex[:16]}",
            work_id=work_id,
            title=title,
            patron_ref=f"{peer.library_id}:peer:{peer_request_id}",  # no patron data from peers
            borrowing_library=peer.library_id,
            service=service,
            citation=citation,
            pickup_location=pickup_location,
            needed_by=needed_by,
            rota=[entry],
            created_at=now,
            updated_at=now,
            peer_request_id=peer_request_id,
        )
        events = [self._event(request, peer, Action.Place, None, now, note=_note(note))]
        events += self._pass_on(request, now, events)
        return self._store(request, events, new=True)

    def remember_peer_id(self, request: Request, peer_request_id: str) -> Request:
        """Keep the supplying system's own id for the request (it names it in later messages)."""
        if request.peer_request_id == peer_request_id or not peer_request_id:
            return request
        request.peer_request_id = peer_request_id
        return self.store.save(request, [])

    def system_note(self, request_id: str, note: str, reason: str = "") -> Request:
        """A line in the timeline from fedcat itself, changing nothing (e.g. a peer refused)."""
        request = self.store.get(request_id)
        now = self._clock()
        event = self._event(request, SYSTEM, Action.Notification, request.state, now,
                            reason=reason, note=note[:NOTE_MAX])  # fmt: skip
        return self._store(request, [event])

    def _check_new_request(
        self,
        patron: Actor,
        work_id: str,
        service: str,
        citation: Citation | None,
        needed_by: date | None,
        now: datetime,
    ) -> None:
        if patron.role is not Role.patron or not patron.library_id or not patron.name:
            raise NotPermitted("only a signed-in patron of a library can place a request")
        if not work_id:
            raise BadArguments("a request needs the work it is for")
        if service not in SERVICE_TYPES:
            raise BadArguments(f"service must be one of {', '.join(SERVICE_TYPES)}")
        if service == "Copy" and (citation is None or not citation.title.strip()):
            raise BadArguments("a copy request needs a citation with the article or chapter title")
        if needed_by is not None and needed_by < now.date():
            raise BadArguments(f"needed-by date {needed_by} is in the past")

    def _refuse_own_shelf(self, patron: Actor, holdings: list[Mapping[str, Any]]) -> None:
        for holding in holdings:
            own = (holding.get("library_id") or holding.get("library")) == patron.library_id
            if own and normalise_status(holding.get("status")) == "available":
                where = ", ".join(
                    str(holding.get(key)) for key in ("location", "call_number") if holding.get(key)
                )
                raise RequestRefused(
                    "your own library has an available copy"
                    + (f" ({where})" if where else "")
                    + ": borrow it there, no inter-library loan is needed"
                )

    def _refuse_duplicate(self, patron: Actor, work_id: str) -> None:
        open_ones = self.store.find(patron_ref=patron_key(patron), work_id=work_id, open_only=True)
        if open_ones:
            raise RequestRefused(
                f"you already have an open request for this work ({open_ones[0].id}, "
                f"{open_ones[0].state.name}); cancel it before asking again"
            )

    # acting -------------------------------------------------------------------------------

    def act(self, request_id: str, actor: Actor, action: Action | str, **details: Any) -> Request:
        """Apply one action by one actor, or refuse it with a typed error and change nothing."""
        action = _parse_action(action)
        if actor.role is Role.system:
            raise NotPermitted(f"{action.value} is done by fedcat itself, not by hand")
        request = self.store.get(request_id)
        self._authorise(request, actor)
        next_state(request.state, actor.role, action, request.service)
        now = self._clock()
        reason, note = self._apply_details(request, action, details, now)
        events = [self._event(request, actor, action, request.state, now, reason=reason, note=note)]
        if request.state.stage is Stage.routing:
            events += self._pass_on(request, now, events)
        return self._store(request, events)

    def _authorise(self, request: Request, actor: Actor) -> None:
        allowed = {
            Role.patron: patron_key(actor) == request.patron_ref,
            Role.borrower: actor.library_id == request.borrowing_library,
            Role.lender: actor.library_id == request.lender,
        }.get(actor.role, False)
        if not allowed:
            raise NotPermitted(
                f"{actor.role.value} {actor.name} of {actor.library_id or 'no library'} "
                f"may not act on request {request.id}"
            )

    def _apply_details(
        self, request: Request, action: Action, details: dict[str, Any], now: datetime
    ) -> tuple[str, str]:
        """Check the action's details, record them on the request; the event's reason, note."""
        unexpected = set(details) - _DETAILS.get(action, {"note"})
        if unexpected:
            raise BadArguments(f"{action.value} takes no {', '.join(sorted(unexpected))}")
        note = _note(details.get("note"))
        if action is Action.CannotSupply:
            if details.get("code") is not None:
                return _peer_code(details["code"]), note
            return _cannot_supply_reason(details.get("reason"), note), note
        if action is Action.Conditional:
            request.loan_condition = _required_text(details.get("condition"), "condition")
            return "LoanCondition", request.loan_condition + (f" — {note}" if note else "")
        if action in (Action.Shipped, Action.RenewAccepted):
            request.due_date = self._due_date(request, details.get("due_date"), now)
            return "", note or f"due back {request.due_date}"
        return "", note

    def _due_date(self, request: Request, raw: Any, now: datetime) -> date:
        lender = request.lender or ""
        rules = self.store.rules([lender]).get(lender) or LendingRules(lender)
        start = max(now.date(), request.due_date or now.date())
        due = _parse_date(raw, "due_date") if raw is not None else None
        due = due or start + timedelta(days=rules.loan_period_days)
        if due <= start:
            raise BadArguments(f"due date {due} must be after {start}")
        return due

    # passing on ---------------------------------------------------------------------------

    def _pass_on(
        self,
        request: Request,
        now: datetime,
        pending: list[TimelineEvent],
        *,
        rules: Mapping[str, LendingRules] | None = None,
        received: Mapping[str, int] | None = None,
    ) -> list[TimelineEvent]:
        """Send the request to the next lender that can take it today, or end the rota
        (`rules` and `received` as just read, when the caller has them: placing reads once)."""
        request.lender = None
        waiting = [entry.library_id for entry in request.rota[request.rota_position + 1 :]]
        with self.store.reading():
            rules = self.store.rules(waiting) if rules is None else rules
            if received is None:
                received = self.store.received_since(_day_start(now), waiting)
        while request.rota_position + 1 < len(request.rota):
            request.rota_position += 1
            entry = request.rota[request.rota_position]
            reason = skip_reason(
                rules.get(entry.library_id), received.get(entry.library_id, 0), now.date()
            )
            if reason is not None:
                request.skipped.append(Skip(entry.library_id, f"when its turn came: {reason}"))
                continue
            request.lender, request.sent_at = entry.library_id, now
            return [self._event(request, SYSTEM, Action.SendToLender, request.state, now,
                                note=entry.reason)]  # fmt: skip
        request.outcome_note = self._unfilled_note(request, pending)
        return [self._event(request, SYSTEM, Action.EndOfRota, request.state, now,
                            note=request.outcome_note)]  # fmt: skip

    def _unfilled_note(self, request: Request, pending: list[TimelineEvent]) -> str:
        """What the patron is told when no library could supply, and why each could not."""
        earlier = self.store.timeline(request.id) if request.version else []
        answers = [
            f"{event.lender}: {event.reason or event.action.value}"
            + (f" ({event.note})" if event.note else "")
            for event in [*earlier, *pending]
            if event.action in (Action.CannotSupply, Action.Expire, Action.RejectCondition)
        ]
        skips = [f"{skip.library_id}: {skip.reason}" for skip in request.skipped]
        parts = ["No library could supply this."]
        if answers:
            parts.append("Asked: " + "; ".join(answers) + ".")
        if skips:
            parts.append("Not asked: " + "; ".join(skips) + ".")
        if not answers and not skips:
            parts.append("No other library holds a copy that may be lent.")
        return " ".join(parts)

    def _event(
        self,
        request: Request,
        actor: Actor,
        action: Action,
        from_state: Any,
        now: datetime,
        *,
        reason: str = "",
        note: str = "",
    ) -> TimelineEvent:
        """Move the request (checked by the state machine) and describe the move."""
        to_state = (
            INITIAL
            if from_state is None
            else next_state(from_state, actor.role, action, request.service)
        )
        lender = request.lender
        request.state, request.updated_at = to_state, now
        return TimelineEvent(request.id, now, actor.name, actor.role, action, from_state,
                             to_state, lender, reason, note)  # fmt: skip

    # lists and housekeeping -----------------------------------------------------------------

    def get(self, request_id: str, actor: Actor) -> Request:
        request = self.store.get(request_id)
        self._authorise(request, actor)
        return request

    def timeline(self, request_id: str, actor: Actor) -> list[TimelineEvent]:
        self.get(request_id, actor)
        return self.store.timeline(request_id)

    def requests_for_patron(self, patron: Actor) -> list[Request]:
        return self.store.find(patron_ref=patron_key(patron))

    def lending_queue(self, library_id: str, *, open_only: bool = True) -> list[Request]:
        return self.store.find(lender=library_id, open_only=open_only)

    def borrowing_requests(self, library_id: str, *, open_only: bool = False) -> list[Request]:
        return self.store.find(borrowing_library=library_id, open_only=open_only)

    def set_rules(self, rules: LendingRules) -> None:
        if rules.loan_period_days < 1 or rules.ratio_lend < 1 or rules.ratio_borrow < 1:
            raise BadArguments("loan period and both sides of the ratio must be at least 1")
        if rules.daily_cap is not None and rules.daily_cap < 0:
            raise BadArguments("a daily cap cannot be negative")
        self.store.set_rules(rules)

    def expire_unanswered(self) -> list[Request]:
        """Pass over lenders that did not answer within `answer_days`; the requests moved."""
        now = self._clock()
        cutoff = now - timedelta(days=self.settings.answer_days)
        moved = []
        for request in self.store.awaiting_answer(cutoff):
            note = f"no answer within {self.settings.answer_days} days"
            event = self._event(request, SYSTEM, Action.Expire, request.state, now,
                                reason="NoAnswer", note=note)  # fmt: skip
            try:
                events = [event, *self._pass_on(request, now, [event])]
                moved.append(self._store(request, events))
            except (RequestConflict, ActionNotAllowed):
                continue  # the lender answered meanwhile: nothing to expire
        return moved

    def mark_overdue(self) -> list[Request]:
        """Loans past their due date become Overdue (the lender may also say so by hand)."""
        now, marked = self._clock(), []
        for request in self.store.find(open_only=True):
            late = request.due_date is not None and request.due_date < now.date()
            if late and request.state.status is Status.Loaned:
                try:
                    event = self._event(request, SYSTEM, Action.MarkOverdue, request.state, now,
                                        note=f"due {request.due_date}")  # fmt: skip
                    marked.append(self._store(request, [event]))
                except (RequestConflict, ActionNotAllowed):
                    continue  # not at the borrower (in transit or shipped back), or changed
        return marked


def _parse_action(action: Action | str) -> Action:
    try:
        return Action(action)
    except ValueError:
        raise BadArguments(f"unknown action {action!r}") from None


def _note(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > NOTE_MAX:
        raise BadArguments(f"a note must be text of at most {NOTE_MAX} characters")
    return raw.strip()


def _required_text(raw: Any, what: str) -> str:
    text = _note(raw)
    if not text:
        raise BadArguments(f"{what} is required")
    return text


def _cannot_supply_reason(raw: Any, note: str) -> str:
    if raw not in CANNOT_SUPPLY_REASONS:
        raise BadArguments(f"reason must be one of {', '.join(CANNOT_SUPPLY_REASONS)}")
    if raw == "Other" and not note:
        raise BadArguments("reason Other needs a note saying why")
    return CANNOT_SUPPLY_REASONS[raw] or "Other"


def _peer_code(raw: Any) -> str:
    if not isinstance(raw, str) or not _CODE.match(raw):
        raise BadArguments("a reason code is a word of letters and digits, at most 50")
    return raw


def _parse_date(raw: Any, what: str) -> date:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise BadArguments(f"{what} must be a date like 2025-03-31, not {raw!r}") from None


def _day_start(now: datetime) -> datetime:
    return datetime.combine(now.date(), time(), tzinfo=now.tzinfo or UTC)


def _rota_note(rota: Any) -> str:
    return f"{len(rota.entries)} lender(s) to ask, {len(rota.skipped)} holding librar(ies) skipped"
