"""Inter-library loan states and actions in words a patron understands, in both languages.

The `ill` package speaks ISO 18626 (``Loaned/on_hold_shelf``, ``CannotSupply``); people read
"Ready for pickup" and "The library could not supply it". Each label is a translated message.
"""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext

from ill.model import Request
from ill.states import Action, Role, Stage, State, Status

#: closed requests, by how they ended
CLOSED_LABELS: dict[Status | None, LazyString] = {
    Status.Cancelled: lazy_gettext("Cancelled"),
    Status.Unfilled: lazy_gettext("Could not be supplied"),
    Status.CopyCompleted: lazy_gettext("Copy delivered"),
    Status.LoanCompleted: lazy_gettext("Returned to the lending library: complete"),
    Status.CompletedWithoutReturn: lazy_gettext("Completed"),
}
#: open requests still with a lender, by the lender's answer
ANSWER_LABELS: dict[Status | None, LazyString] = {
    Status.RequestReceived: lazy_gettext("Sent to a lending library, waiting for its answer"),
    Status.ExpectToSupply: lazy_gettext("The lending library expects to supply it"),
    Status.WillSupply: lazy_gettext("The lending library will supply it"),
    Status.RetryPossible: lazy_gettext("The lending library offers it on a condition"),
}
#: open requests past the lender, by where the item is
STAGE_LABELS: dict[Stage, LazyString] = {
    Stage.routing: lazy_gettext("Looking for a library that can lend it"),
    Stage.in_transit: lazy_gettext("On its way to your library"),
    Stage.received: lazy_gettext("Arrived at your library"),
    Stage.on_hold_shelf: lazy_gettext("Ready for pickup"),
    Stage.with_patron: lazy_gettext("On loan to you"),
    Stage.returned_by_patron: lazy_gettext("Returned by you"),
    Stage.shipped_back: lazy_gettext("On its way back to the lending library"),
}
#: what is said beside the stage when the lender marked the loan so
OVERLAY_LABELS: dict[Status | None, LazyString] = {
    Status.Overdue: lazy_gettext("overdue"),
    Status.Recalled: lazy_gettext("recalled: please bring it back"),
}
RENEWAL_PENDING = lazy_gettext("renewal asked")
ACTION_LABELS: dict[Action, LazyString] = {
    Action.Place: lazy_gettext("Request placed"),
    Action.SendToLender: lazy_gettext("Sent to a lending library"),
    Action.EndOfRota: lazy_gettext("No more libraries to ask"),
    Action.Expire: lazy_gettext("No answer in time: passed on"),
    Action.ExpectToSupply: lazy_gettext("Expects to supply"),
    Action.WillSupply: lazy_gettext("Will supply"),
    Action.Conditional: lazy_gettext("Offered on a condition"),
    Action.CannotSupply: lazy_gettext("Cannot supply"),
    Action.AcceptCondition: lazy_gettext("Condition accepted"),
    Action.RejectCondition: lazy_gettext("Condition refused"),
    Action.Cancel: lazy_gettext("Cancelled"),
    Action.StatusRequest: lazy_gettext("Status asked"),
    Action.Shipped: lazy_gettext("Shipped"),
    Action.CopyDelivered: lazy_gettext("Copy delivered"),
    Action.Received: lazy_gettext("Received by your library"),
    Action.OnHoldShelf: lazy_gettext("Put on the hold shelf"),
    Action.LentToPatron: lazy_gettext("Lent to you"),
    Action.ReturnedByPatron: lazy_gettext("Returned by you"),
    Action.ShippedReturn: lazy_gettext("Shipped back to the lending library"),
    Action.Renew: lazy_gettext("Renewal asked"),
    Action.RenewAccepted: lazy_gettext("Renewal accepted"),
    Action.RenewRefused: lazy_gettext("Renewal refused"),
    Action.MarkOverdue: lazy_gettext("Overdue"),
    Action.Recall: lazy_gettext("Recalled"),
    Action.CheckedIn: lazy_gettext("Checked in by the lending library"),
    Action.CompleteWithoutReturn: lazy_gettext("Completed without return"),
}
ROLE_LABELS: dict[Role, LazyString] = {
    Role.patron: lazy_gettext("You"),
    Role.borrower: lazy_gettext("Your library"),
    Role.lender: lazy_gettext("Lending library"),
    Role.system: lazy_gettext("fedcat"),
}
SERVICE_LABELS: dict[str, LazyString] = {
    "Loan": lazy_gettext("Loan"),
    "Copy": lazy_gettext("Copy"),
}


def state_label(state: State) -> str:
    """The request's state in words: how it ended, or where it is now."""
    if state.is_closed:
        return str(CLOSED_LABELS.get(state.status, state.status or ""))
    if state.stage is Stage.with_lender:
        text = str(ANSWER_LABELS.get(state.status, state.status or ""))
    else:
        text = str(STAGE_LABELS.get(state.stage, state.stage.value))
    notes = [str(OVERLAY_LABELS[s]) for s in (state.status,) if s in OVERLAY_LABELS]
    if state.renewal_pending:
        notes.append(str(RENEWAL_PENDING))
    return text + "".join(f" ({note})" for note in notes)


def action_label(action: Action) -> str:
    return str(ACTION_LABELS.get(action, action.value))


def role_label(role: Role) -> str:
    return str(ROLE_LABELS.get(role, role.value))


def service_label(service: str) -> str:
    return str(SERVICE_LABELS.get(service, service))


def lender_of(request: Request) -> str | None:
    """The library lending now, or the last one asked once the request has moved on or closed."""
    if request.lender:
        return request.lender
    if 0 <= request.rota_position < len(request.rota):
        return request.rota[request.rota_position].library_id
    return None


# staff's words: the same states and steps, told of both libraries rather than to the patron

#: closed requests, by how they ended
STAFF_CLOSED_LABELS: dict[Status | None, LazyString] = {
    Status.Cancelled: lazy_gettext("Cancelled"),
    Status.Unfilled: lazy_gettext("Unfilled — no lender could supply it"),
    Status.CopyCompleted: lazy_gettext("Copy delivered"),
    Status.LoanCompleted: lazy_gettext("Loan complete — checked in by the lender"),
    Status.CompletedWithoutReturn: lazy_gettext("Completed without return"),
}
#: open requests with the lender, by its answer so far
STAFF_ANSWER_LABELS: dict[Status | None, LazyString] = {
    Status.RequestReceived: lazy_gettext("Sent — awaiting the lender's answer"),
    Status.ExpectToSupply: lazy_gettext("Lender expects to supply"),
    Status.WillSupply: lazy_gettext("Lender will supply"),
    Status.RetryPossible: lazy_gettext("Offered on a condition — awaiting the borrower"),
}
#: open requests past the lender, by where the item is
STAFF_STAGE_LABELS: dict[Stage, LazyString] = {
    Stage.routing: lazy_gettext("Looking for a lender"),
    Stage.in_transit: lazy_gettext("Shipped — in transit"),
    Stage.received: lazy_gettext("Received by the borrowing library"),
    Stage.on_hold_shelf: lazy_gettext("On the hold shelf"),
    Stage.with_patron: lazy_gettext("Lent to the patron"),
    Stage.returned_by_patron: lazy_gettext("Returned by the patron"),
    Stage.shipped_back: lazy_gettext("Shipped back — in transit to the lender"),
}
STAFF_OVERLAY_LABELS: dict[Status | None, LazyString] = {
    Status.Overdue: lazy_gettext("overdue"),
    Status.Recalled: lazy_gettext("recalled"),
}
#: timeline steps as staff read them (the patron's own wording says "you" and "your library")
STAFF_EVENT_LABELS: dict[Action, LazyString] = {
    **ACTION_LABELS,
    Action.SendToLender: lazy_gettext("Sent to the lender"),
    Action.EndOfRota: lazy_gettext("No more lenders to ask"),
    Action.Received: lazy_gettext("Received by the borrowing library"),
    Action.LentToPatron: lazy_gettext("Lent to the patron"),
    Action.ReturnedByPatron: lazy_gettext("Returned by the patron"),
    Action.ShippedReturn: lazy_gettext("Shipped back to the lender"),
    Action.MarkOverdue: lazy_gettext("Marked overdue"),
    Action.CheckedIn: lazy_gettext("Checked in by the lender"),
}
#: the reason codes events carry (ISO 18626 reasonUnfilled and fedcat's own), in words
REASON_LABELS: dict[str, LazyString] = {
    "NotOnShelf": lazy_gettext("Not on shelf"),
    "NotAvailableForILL": lazy_gettext("Not for loan"),
    "NotForLoan": lazy_gettext("Not for loan"),
    "PoorCondition": lazy_gettext("Damaged"),
    "Damaged": lazy_gettext("Damaged"),
    "Other": lazy_gettext("Other"),
    "LoanCondition": lazy_gettext("Loan condition"),
    "NoAnswer": lazy_gettext("No answer in time"),
}


def staff_state_label(state: State) -> str:
    """The request's state in staff's words: how it ended, or where it is now."""
    if state.is_closed:
        return str(STAFF_CLOSED_LABELS.get(state.status, state.status or ""))
    if state.stage is Stage.with_lender:
        text = str(STAFF_ANSWER_LABELS.get(state.status, state.status or ""))
    else:
        text = str(STAFF_STAGE_LABELS.get(state.stage, state.stage.value))
    notes = [str(STAFF_OVERLAY_LABELS[s]) for s in (state.status,) if s in STAFF_OVERLAY_LABELS]
    if state.renewal_pending:
        notes.append(str(RENEWAL_PENDING))
    return text + "".join(f" ({note})" for note in notes)


def staff_event_label(action: Action) -> str:
    return str(STAFF_EVENT_LABELS.get(action, action.value))


def reason_label(code: str) -> str:
    """A reason code in words; a partner system's own code (an open list) as it came."""
    return str(REASON_LABELS[code]) if code in REASON_LABELS else code
