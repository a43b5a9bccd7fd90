"""Library staff's inter-library loan pages: the lending queue, the borrowing view, a request.

Staff (and operators, for their own library) see only requests to or from their library;
anything else is "not found", so a request id from another library reveals nothing. The
lender's pages show the borrowing library and the request id, never the patron. Every action
is a POST form with a CSRF token and the request's version: a page that went stale (another
staff member acted first) is refused with 409 and the reason, nothing half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response

from accounts.model import Account
from ill.copies import ContuCheck
from ill.errors import BadArguments, NotPermitted, RequestConflict, RequestNotFound
from ill.model import Actor, LendingRules, PeerLogEntry, Request, RotaEntry, TimelineEvent
from ill.peers.store import PeerLog, PeerOutbox
from ill.service import CANNOT_SUPPLY_REASONS
from ill.states import Action, Role, allowed_actions
from search_ui import ill_labels
from search_ui.auth import current_account, require
from search_ui.copies import can_upload, contu_warning
from search_ui.extension import fedcat
from search_ui.i18n import DEFAULT_LANGUAGE, LANGUAGES
from search_ui.links import link

blueprint = Blueprint("staff", __name__, url_prefix="/staff")

#: the button text of each action staff may take from these pages
ACTION_LABELS: dict[Action, Any] = {
    Action.ExpectToSupply: lazy_gettext("Expect to supply"),
    Action.WillSupply: lazy_gettext("Will supply"),
    Action.CannotSupply: lazy_gettext("Cannot supply"),
    Action.Conditional: lazy_gettext("Supply with a condition"),
    Action.Shipped: lazy_gettext("Mark shipped"),
    Action.CopyDelivered: lazy_gettext("Copy delivered"),
    Action.RenewAccepted: lazy_gettext("Renew: yes"),
    Action.RenewRefused: lazy_gettext("Renew: no"),
    Action.MarkOverdue: lazy_gettext("Mark overdue"),
    Action.Recall: lazy_gettext("Recall"),
    Action.CheckedIn: lazy_gettext("Check in (returned item received)"),
    Action.CompleteWithoutReturn: lazy_gettext("Complete without return"),
    Action.Received: lazy_gettext("Mark received"),
    Action.OnHoldShelf: lazy_gettext("On hold shelf"),
    Action.LentToPatron: lazy_gettext("Lent to patron"),
    Action.ReturnedByPatron: lazy_gettext("Returned by patron"),
    Action.ShippedReturn: lazy_gettext("Shipped back"),
    Action.Renew: lazy_gettext("Ask for a renewal"),
    Action.AcceptCondition: lazy_gettext("Accept the condition"),
    Action.RejectCondition: lazy_gettext("Reject the condition"),
    Action.Cancel: lazy_gettext("Cancel the request"),
    Action.StatusRequest: lazy_gettext("Ask for the status"),
}
REASON_LABELS: dict[str, Any] = {
    "NotOnShelf": lazy_gettext("Not on shelf"),
    "NotForLoan": lazy_gettext("Not for loan"),
    "Damaged": lazy_gettext("Damaged"),
    "Other": lazy_gettext("Other (say why in the note)"),
}
ROLE_LABELS: dict[str, Any] = {
    "patron": lazy_gettext("patron"),
    "borrower": lazy_gettext("borrowing staff"),
    "lender": lazy_gettext("lending staff"),
    "system": lazy_gettext("fedcat"),
}
#: the form fields each action's details come from (everything else takes only a note)
DETAIL_FIELDS: dict[Action, tuple[str, ...]] = {
    Action.CannotSupply: ("reason", "note"),
    Action.Conditional: ("condition", "note"),
    Action.Shipped: ("due_date", "note"),
    Action.RenewAccepted: ("due_date", "note"),
}
assert set(REASON_LABELS) == set(CANNOT_SUPPLY_REASONS)


@dataclass
class Card:
    """One request as a staff page shows it, with the actions this library may take now."""

    request: Request
    role: Role
    actions: list[Action]
    slip: RotaEntry | None
    due_default: str = ""
    patron_card: str = ""  # only on the borrowing library's pages
    timeline: list[dict[str, Any]] = field(default_factory=list)
    #: messages exchanged with a partner's own ILL system (ISO 18626), and those still queued
    peer_log: list[PeerLogEntry] = field(default_factory=list)
    peer_queue: list[dict[str, Any]] = field(default_factory=list)
    #: on the lender's pull slip only, when the borrowing library chose to print it
    patron_name: str = ""
    can_upload: bool = False  # the lender's page offers the scan upload (a Copy to deliver)
    contu: ContuCheck | None = None  # for borrowing staff: this journal's count, past the limit


def _staff() -> Account:
    account = current_account()
    assert account is not None  # the route's `require` guard ran first
    return account


def _role_for(found: Request, library_id: str) -> Role:
    """Lender or borrower for this library's staff; other libraries' requests do not exist."""
    if found.lender == library_id:
        return Role.lender
    if found.borrowing_library == library_id:
        return Role.borrower
    raise RequestNotFound(found.id)


def _load(request_id: str, library_id: str) -> tuple[Request, Role]:
    found = fedcat().ill.store.get(request_id)
    return found, _role_for(found, library_id)


def _rules(library_id: str) -> LendingRules:
    return fedcat().ill.store.rules([library_id]).get(library_id) or LendingRules(library_id)


def _due_default(found: Request, actions: list[Action]) -> str:
    """Today (or the current due date, for a renewal) plus the lender's loan period."""
    if not {Action.Shipped, Action.RenewAccepted} & set(actions):
        return ""
    today = datetime.now(UTC).date()
    start = max(today, found.due_date or today)
    return (start + timedelta(days=_rules(found.lender or "").loan_period_days)).isoformat()


def card(found: Request, role: Role) -> Card:
    actions = [a for a in allowed_actions(found.state, role, found.service) if a in ACTION_LABELS]
    slip = found.rota[found.rota_position] if 0 <= found.rota_position < len(found.rota) else None
    patron = found.patron_ref.partition(":")[2] if role is Role.borrower else ""
    return Card(found, role, actions, slip, _due_default(found, actions), patron)


def timeline_rows(events: list[TimelineEvent], role: Role) -> list[dict[str, Any]]:
    """The timeline as the page shows it; the lender never sees who the patron is."""
    rows = []
    for event in events:
        hidden = event.role is Role.patron and role is not Role.borrower
        rows.append(
            {
                "at": event.at.strftime("%Y-%m-%d %H:%M UTC"),
                "actor": "" if hidden else event.actor,
                "role": ROLE_LABELS.get(event.role.value, event.role.value),
                "action": ill_labels.staff_event_label(event.action),
                "from": ill_labels.staff_state_label(event.from_state) if event.from_state else "",
                "to": ill_labels.staff_state_label(event.to_state),
                "lender": event.lender or "",
                "reason": ill_labels.reason_label(event.reason),
                "note": event.note,
            }
        )
    return rows


def _render(template: str, **context: Any) -> str:
    return render_template(
        template,
        partners=fedcat().partners,
        action_labels=ACTION_LABELS,
        reason_labels=REASON_LABELS,
        state_label=ill_labels.staff_state_label,
        service_label=ill_labels.service_label,
        **context,
    )


@blueprint.get("/lending")
@require("staff", "operator")
def lending() -> str:
    library = _staff().library_id
    cards = [card(found, Role.lender) for found in fedcat().ill.lending_queue(library)]
    _print_patron_names(cards)
    return _render("staff/lending.html", cards=cards, library=library)


def _print_patron_names(cards: list[Card]) -> None:
    """Names on the pull slips of the borrowing libraries that chose to print them (their
    lending rules, `fedcat libraries rules LIB --print-patron-names`); nothing else."""
    borrowers = {c.request.borrowing_library for c in cards}
    printing = {
        lib for lib, r in fedcat().ill.store.rules(borrowers).items() if r.print_patron_names
    }
    for shown in cards:
        if shown.request.borrowing_library not in printing:
            continue
        library, _, card_number = shown.request.patron_ref.partition(":")
        found = fedcat().accounts.store.find_patron(library, card_number)
        shown.patron_name = found[0].name if found is not None else ""


@blueprint.get("/borrowing")
@require("staff", "operator")
def borrowing() -> str:
    library = _staff().library_id
    found = fedcat().ill.borrowing_requests(library, open_only=True)
    cards = [card(one, Role.borrower) for one in found]
    return _render("staff/borrowing.html", cards=cards, library=library)


@blueprint.get("/requests/<request_id>")
@require("staff", "operator")
def detail(request_id: str) -> str:
    library = _staff().library_id
    found, role = _load(request_id, library)
    shown = card(found, role)
    shown.timeline = timeline_rows(fedcat().ill.store.timeline(found.id), role)
    shown.can_upload = can_upload(found, role, shown.actions)
    shown.contu = contu_warning(found, role)
    max_mb = fedcat().settings.copy_max_mb
    store = fedcat().ill.store
    shown.peer_log = PeerLog(store).for_request(found.id)
    shown.peer_queue = [
        row
        for row in PeerOutbox(store).for_request(found.id)
        if row["sent_at"] is None and row["gave_up_at"] is None
    ]
    return _render("staff/detail.html", card=shown, library=library, copy_max_mb=max_mb)


def _details(action: Action) -> dict[str, Any]:
    """The action's details from the form: only its own fields, blank ones left out."""
    details = {}
    for name in DETAIL_FIELDS.get(action, ("note",)):
        value = request.form.get(name, "").strip()
        if value:
            details[name] = value
    return details


def _parse_form(found: Request) -> Action:
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        raise BadArguments("choose one of the actions the page offers") from None
    version = request.form.get("version", "")
    if not version.isdigit():
        raise BadArguments("the form lacks the request's version: reload the page")
    if int(version) != found.version:
        raise RequestConflict(found.id, int(version))
    return action


@blueprint.post("/requests/<request_id>/act")
@require("staff", "operator")
def act(request_id: str) -> Response:
    account = _staff()
    found, role = _load(request_id, account.library_id)
    action = _parse_form(found)
    actor = Actor(account.username or str(account.id), role, account.library_id)
    try:
        fedcat().ill.act(found.id, actor, action, **_details(action))
    except NotPermitted:
        abort(404, description=f"no inter-library loan request {request_id!r}")
    back = request.form.get("back", "")
    target = {"lending": "staff.lending", "borrowing": "staff.borrowing"}.get(back)
    lang = request.form.get("lang", "")
    params = {"lang": lang} if lang in LANGUAGES and lang != DEFAULT_LANGUAGE else {}
    if target:
        return redirect(link(target, params), code=303)
    return redirect(link("staff.detail", params, request_id=found.id), code=303)
