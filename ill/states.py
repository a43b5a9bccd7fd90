"""The request state machine, in ISO 18626 vocabulary, as data.

A request's state is the ISO 18626 status of its current lender's transaction (None before it
is first sent), plus the borrowing library's local progress on top of it — where the item is on
the borrower's side (received, on the hold shelf, with the patron, ...) — plus whether a renewal
is awaiting the lender's answer. This is how ReShare keeps requester states beside the protocol
status: the ISO status is what a partner system sees, the stage is what the borrower's staff need.

Every action names its ISO 18626 counterpart (`ISO_MESSAGES`), so the ISO 18626 transport maps
each message onto exactly one action here. `RULES` is the source; `TRANSITIONS` is the full
(state, role, action) -> next state table expanded from it, and `STATES` every reachable state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ill.errors import ActionNotAllowed


class Status(StrEnum):
    """ISO 18626 statusInfo/status values."""

    RequestReceived = "RequestReceived"
    ExpectToSupply = "ExpectToSupply"
    WillSupply = "WillSupply"
    Loaned = "Loaned"
    Overdue = "Overdue"
    Recalled = "Recalled"
    RetryPossible = "RetryPossible"
    Unfilled = "Unfilled"
    CopyCompleted = "CopyCompleted"
    LoanCompleted = "LoanCompleted"
    CompletedWithoutReturn = "CompletedWithoutReturn"
    Cancelled = "Cancelled"


class Stage(StrEnum):
    """The borrowing library's local progress, on top of the ISO status."""

    routing = "routing"  # no current lender: not yet sent, or between lenders
    with_lender = "with_lender"  # sent; the lender has not shipped yet
    in_transit = "in_transit"  # the lender shipped; not yet received
    received = "received"  # received by the borrowing library
    on_hold_shelf = "on_hold_shelf"  # waiting for the patron at the pickup location
    with_patron = "with_patron"  # lent to the patron
    returned_by_patron = "returned_by_patron"  # back at the borrowing library
    shipped_back = "shipped_back"  # on its way back to the lender
    closed = "closed"  # finished: completed, cancelled or unfilled for good


class Role(StrEnum):
    patron = "patron"
    borrower = "borrower"  # staff of the patron's (borrowing, requesting) library
    lender = "lender"  # staff of the library asked (supplying agency)
    system = "system"  # fedcat itself: routing, expiry


class Action(StrEnum):
    Place = "Place"  # the patron (or an API client for them) creates the request
    # requester actions (ISO 18626 requestingAgencyMessage/action)
    Received = "Received"
    ShippedReturn = "ShippedReturn"
    Cancel = "Cancel"
    Renew = "Renew"
    StatusRequest = "StatusRequest"
    # borrower answers to a conditional offer
    AcceptCondition = "AcceptCondition"
    RejectCondition = "RejectCondition"
    # borrower's local steps (no ISO message)
    OnHoldShelf = "OnHoldShelf"
    LentToPatron = "LentToPatron"
    ReturnedByPatron = "ReturnedByPatron"
    # supplier answers (ISO 18626 supplyingAgencyMessage)
    ExpectToSupply = "ExpectToSupply"
    WillSupply = "WillSupply"
    CannotSupply = "CannotSupply"
    Conditional = "Conditional"
    Shipped = "Shipped"
    CopyDelivered = "CopyDelivered"
    RenewAccepted = "RenewAccepted"
    RenewRefused = "RenewRefused"
    MarkOverdue = "MarkOverdue"
    Recall = "Recall"
    CheckedIn = "CheckedIn"
    CompleteWithoutReturn = "CompleteWithoutReturn"
    # either side, or fedcat: a message for the other side's people, no change of state
    Notification = "Notification"
    # fedcat's own steps
    SendToLender = "SendToLender"
    EndOfRota = "EndOfRota"
    Expire = "Expire"


#: How each action travels in ISO 18626: (message, element and value). The transport of the
#: next issue reads this table; local steps have no message.
ISO_MESSAGES: dict[Action, tuple[str, str] | None] = {
    Action.Place: None,
    Action.Received: ("requestingAgencyMessage", "action=Received"),
    Action.ShippedReturn: ("requestingAgencyMessage", "action=ShippedReturn"),
    Action.Cancel: ("requestingAgencyMessage", "action=Cancel"),
    Action.Renew: ("requestingAgencyMessage", "action=Renew"),
    Action.StatusRequest: ("requestingAgencyMessage", "action=StatusRequest"),
    Action.AcceptCondition: ("request", "requestType=Retry (condition accepted in note)"),
    Action.RejectCondition: ("requestingAgencyMessage", "action=Cancel"),
    Action.OnHoldShelf: None,
    Action.LentToPatron: None,
    Action.ReturnedByPatron: None,
    Action.ExpectToSupply: ("supplyingAgencyMessage", "RequestResponse, status=ExpectToSupply"),
    Action.WillSupply: ("supplyingAgencyMessage", "RequestResponse, status=WillSupply"),
    Action.CannotSupply: ("supplyingAgencyMessage", "RequestResponse, status=Unfilled"),
    Action.Conditional: (
        "supplyingAgencyMessage",
        "RequestResponse, status=RetryPossible, reasonRetry=LoanCondition",
    ),
    Action.Shipped: ("supplyingAgencyMessage", "StatusChange, status=Loaned"),
    Action.CopyDelivered: ("supplyingAgencyMessage", "StatusChange, status=CopyCompleted"),
    Action.RenewAccepted: ("supplyingAgencyMessage", "RenewResponse, answerYesNo=Y"),
    Action.RenewRefused: ("supplyingAgencyMessage", "RenewResponse, answerYesNo=N"),
    Action.MarkOverdue: ("supplyingAgencyMessage", "StatusChange, status=Overdue"),
    Action.Recall: ("supplyingAgencyMessage", "StatusChange, status=Recalled"),
    Action.CheckedIn: ("supplyingAgencyMessage", "StatusChange, status=LoanCompleted"),
    Action.CompleteWithoutReturn: (
        "supplyingAgencyMessage",
        "StatusChange, status=CompletedWithoutReturn",
    ),
    Action.Notification: ("supplyingAgencyMessage or requestingAgencyMessage", "Notification"),
    Action.SendToLender: ("request", "requestType=New"),
    Action.EndOfRota: None,
    Action.Expire: ("requestingAgencyMessage", "action=Cancel (no answer in time)"),
}


@dataclass(frozen=True, order=True)
class State:
    """Where a request is: its lender's ISO status, the borrower's stage, a pending renewal."""

    status: Status | None
    stage: Stage
    renewal_pending: bool = False

    @property
    def name(self) -> str:
        parts = [self.status.value if self.status else "NotSent", self.stage.value]
        if self.renewal_pending:
            parts.append("renewal_pending")
        return "/".join(parts)

    @property
    def is_closed(self) -> bool:
        return self.stage is Stage.closed

    @classmethod
    def parse(cls, name: str) -> State:
        """The inverse of `name`, for the store."""
        parts = name.split("/")
        status = None if parts[0] == "NotSent" else Status(parts[0])
        return cls(status, Stage(parts[1]), len(parts) > 2 and parts[2] == "renewal_pending")


INITIAL = State(None, Stage.routing)

_KEEP = object()  # "leave this part of the state as it is"


@dataclass(frozen=True)
class Rule:
    """One row of the transition rules: who may do what from where, and where it leads."""

    action: Action
    roles: frozenset[Role]
    statuses: frozenset[Status | None]
    stages: frozenset[Stage]
    to_status: object = _KEEP  # Status, or _KEEP
    to_stage: object = _KEEP  # Stage, or _KEEP
    renewal: object = _KEEP  # the new renewal_pending, or _KEEP
    needs_renewal: bool | None = None  # None: either
    service: str | None = None  # "Loan" / "Copy": only for requests of that service

    def matches(self, state: State) -> bool:
        pending_ok = self.needs_renewal is None or state.renewal_pending is self.needs_renewal
        return state.status in self.statuses and state.stage in self.stages and pending_ok

    def target(self, state: State) -> State:
        changes: dict[str, Any] = {}
        for attr, value in (
            ("status", self.to_status),
            ("stage", self.to_stage),
            ("renewal_pending", self.renewal),
        ):
            if value is not _KEEP:
                changes[attr] = value
        return replace(state, **changes)


def _rule(action, roles, statuses, stages, **kw) -> Rule:
    return Rule(action, frozenset(roles), frozenset(statuses), frozenset(stages), **kw)


S, G, R = Status, Stage, Role
BORROWER_SIDE = (R.patron, R.borrower)
UNSHIPPED = (S.RequestReceived, S.ExpectToSupply, S.WillSupply)
ON_LOAN = (S.Loaned, S.Overdue, S.Recalled)
AT_BORROWER = (G.received, G.on_hold_shelf, G.with_patron, G.returned_by_patron)
LOAN_STAGES = (G.in_transit, *AT_BORROWER, G.shipped_back)
BETWEEN_LENDERS = (None, S.Unfilled, S.Cancelled)

RULES: tuple[Rule, ...] = (
    _rule(Action.SendToLender, [R.system], BETWEEN_LENDERS, [G.routing],
          to_status=S.RequestReceived, to_stage=G.with_lender),
    _rule(Action.EndOfRota, [R.system], BETWEEN_LENDERS, [G.routing],
          to_status=S.Unfilled, to_stage=G.closed),
    _rule(Action.Expire, [R.system], [S.RequestReceived], [G.with_lender],
          to_status=S.Unfilled, to_stage=G.routing),
    _rule(Action.ExpectToSupply, [R.lender], [S.RequestReceived], [G.with_lender],
          to_status=S.ExpectToSupply),
    _rule(Action.WillSupply, [R.lender], [S.RequestReceived, S.ExpectToSupply], [G.with_lender],
          to_status=S.WillSupply),
    _rule(Action.Conditional, [R.lender], UNSHIPPED, [G.with_lender],
          to_status=S.RetryPossible),
    _rule(Action.CannotSupply, [R.lender], [*UNSHIPPED, S.RetryPossible], [G.with_lender],
          to_status=S.Unfilled, to_stage=G.routing),
    _rule(Action.AcceptCondition, [R.borrower], [S.RetryPossible], [G.with_lender],
          to_status=S.WillSupply),
    _rule(Action.RejectCondition, [R.borrower], [S.RetryPossible], [G.with_lender],
          to_status=S.Cancelled, to_stage=G.routing),
    _rule(Action.Cancel, BORROWER_SIDE, [*BETWEEN_LENDERS, *UNSHIPPED, S.RetryPossible],
          [G.routing, G.with_lender], to_status=S.Cancelled, to_stage=G.closed),
    _rule(Action.StatusRequest, [R.borrower], [*UNSHIPPED, S.RetryPossible, *ON_LOAN],
          [G.with_lender, *LOAN_STAGES]),
    _rule(Action.Shipped, [R.lender], UNSHIPPED, [G.with_lender],
          to_status=S.Loaned, to_stage=G.in_transit, service="Loan"),
    _rule(Action.CopyDelivered, [R.lender], UNSHIPPED, [G.with_lender],
          to_status=S.CopyCompleted, to_stage=G.closed, service="Copy"),
    _rule(Action.Received, [R.borrower], ON_LOAN, [G.in_transit], to_stage=G.received),
    _rule(Action.OnHoldShelf, [R.borrower], ON_LOAN, [G.received], to_stage=G.on_hold_shelf),
    _rule(Action.LentToPatron, [R.borrower], ON_LOAN, [G.on_hold_shelf],
          to_stage=G.with_patron),
    _rule(Action.ReturnedByPatron, [R.borrower], ON_LOAN, [G.with_patron],
          to_stage=G.returned_by_patron),
    _rule(Action.ShippedReturn, [R.borrower], ON_LOAN,
          [G.received, G.on_hold_shelf, G.returned_by_patron],
          to_stage=G.shipped_back, renewal=False),
    _rule(Action.Renew, BORROWER_SIDE, [S.Loaned, S.Overdue],
          [G.received, G.on_hold_shelf, G.with_patron], needs_renewal=False, renewal=True),
    _rule(Action.RenewAccepted, [R.lender], [S.Loaned, S.Overdue], LOAN_STAGES,
          needs_renewal=True, to_status=S.Loaned, renewal=False),
    _rule(Action.RenewRefused, [R.lender], [S.Loaned, S.Overdue], LOAN_STAGES,
          needs_renewal=True, renewal=False),
    _rule(Action.MarkOverdue, [R.lender, R.system], [S.Loaned], AT_BORROWER,
          to_status=S.Overdue),
    _rule(Action.Recall, [R.lender], [S.Loaned, S.Overdue], [G.in_transit, *AT_BORROWER],
          to_status=S.Recalled, renewal=False),
    _rule(Action.CheckedIn, [R.lender], ON_LOAN, [G.shipped_back],
          to_status=S.LoanCompleted, to_stage=G.closed),
    _rule(Action.CompleteWithoutReturn, [R.lender], ON_LOAN, LOAN_STAGES,
          to_status=S.CompletedWithoutReturn, to_stage=G.closed, renewal=False),
    _rule(Action.Notification, [R.lender, R.borrower, R.system], [None, *S], list(G)),
)  # fmt: skip


@dataclass(frozen=True)
class Transition:
    target: State
    service: str | None  # the rule holds only for requests of this service, None: any


def _expand(rules: Iterable[Rule]) -> tuple[frozenset[State], dict]:
    """Every state reachable from INITIAL, and the table of allowed moves between them."""
    rules = tuple(rules)
    seen, frontier = {INITIAL}, [INITIAL]
    table: dict[tuple[State, Role, Action], Transition] = {}
    while frontier:
        state = frontier.pop()
        for rule in rules:
            if not rule.matches(state):
                continue
            target = rule.target(state)
            for role in rule.roles:
                table[(state, role, rule.action)] = Transition(target, rule.service)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return frozenset(seen), table


STATES, TRANSITIONS = _expand(RULES)


def allowed_actions(state: State, role: Role, service: str = "Loan") -> list[Action]:
    """What this role may do now: for buttons in the web layer and for the refusal message."""
    return [
        action
        for (from_state, from_role, action), move in TRANSITIONS.items()
        if from_state == state and from_role is role and move.service in (None, service)
    ]


def next_state(state: State, role: Role, action: Action, service: str = "Loan") -> State:
    """Where the action leads, or ActionNotAllowed saying why not and what is allowed."""
    move = TRANSITIONS.get((state, role, action))
    if move is None or move.service not in (None, service):
        allowed = [a.value for a in allowed_actions(state, role, service)]
        what = f"{role.value} cannot {action.value} a {service.lower()} request in state"
        hint = f"; allowed now: {', '.join(allowed)}" if allowed else "; nothing is allowed now"
        raise ActionNotAllowed(
            f"{what} {state.name}{hint}", state=state.name, action=action.value, allowed=allowed
        )
    return move.target
