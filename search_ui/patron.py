"""The patron's side of inter-library loan: request a work, follow and cancel requests, and
see or download everything fedcat holds about them.

A patron reaches only their own requests: another patron's request id answers 404, exactly as
an unknown id does, so ids cannot be probed. The loan rules (no request for a copy on the
patron's own shelf, no second open request for a work, what may be cancelled when) are the
`ill` service's; these views show its refusals on the form they came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, make_response, redirect, render_template, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from accounts.model import Account
from ill.errors import (
    ActionNotAllowed,
    BadArguments,
    IllError,
    NotPermitted,
    RequestNotFound,
    RequestRefused,
)
from ill.model import Actor, Citation, Request
from ill.routing import normalise_status
from ill.states import Action, Role, State, allowed_actions
from indexer.payloads import HoldingRow, WorkPayload
from search_ui import ill_labels
from search_ui.auth import current_account, require
from search_ui.copies import patron_copy
from search_ui.extension import fedcat
from search_ui.links import link
from search_ui.request_params import is_work_id

blueprint = Blueprint("patron", __name__)
F = TypeVar("F", bound=Callable[..., Any])
CITATION_FIELDS = ("title", "author", "source_title", "volume", "issue", "pages", "year")
TEXT_MAX = 500
#: a longer address is not carried through sign-in (the redirect's Location would outgrow
#: what clients read as one header line); the patron lands on their own page instead
NEXT_MAX = 2000


def patron_page(view: F) -> F:
    """A patron's page: anonymous visitors are sent to sign in (and back); others' roles 403."""
    guarded = require("patron")(view)

    @wraps(view)
    def page(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None and request.method == "GET":
            back = request.full_path if len(request.full_path) <= NEXT_MAX else None
            return redirect(link("signin.sign_in_page", {"next": back}), 303)
        return guarded(*args, **kwargs)

    return cast(F, page)


def patron_actor(account: Account) -> Actor:
    """The account as the ILL service knows a patron: card number at the home library."""
    return Actor(account.card_number or "", Role.patron, account.library_id)


def signed_in_patron() -> tuple[Account, Actor]:
    account = cast(Account, current_account())
    return account, patron_actor(account)


def lang_params() -> dict[str, str | None]:
    lang = request.args.get("lang")
    return {"lang": lang if lang == "zh" else None}


@blueprint.after_request
def not_cached(response: Response) -> Response:
    """A patron's pages are theirs alone: no shared or browser cache keeps them."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


# requesting ----------------------------------------------------------------------------------


def work_payload(work_id: str) -> WorkPayload:
    payload = fedcat().engine.get(work_id) if is_work_id(work_id) else None
    if payload is None:
        abort(404, description=gettext("No such work in the catalogue."))
    return payload


def pickup_choices(account: Account) -> list[str]:
    """Where the patron may collect: the registry's `pickup` list, else the home library."""
    partner = fedcat().by_id.get(account.library_id)
    listed = [str(p) for p in getattr(partner, "pickup", None) or () if str(p).strip()]
    return listed or [partner.name if partner else account.library_id]


def own_shelf(payload: WorkPayload, library_id: str) -> list[HoldingRow]:
    """The patron's home library's available copies of the work (shown when it refuses)."""
    return [
        h
        for h in payload.get("holdings", [])
        if (h.get("library_id") or h.get("library")) == library_id
        and normalise_status(h.get("status")) == "available"
    ]


def open_request_for(actor: Actor, work_id: str) -> Request | None:
    mine = fedcat().ill.requests_for_patron(actor)
    return next((r for r in mine if r.work_id == work_id and r.is_open), None)


def _request_form(work: WorkPayload, account: Account, status: int = 200, **shown: Any):
    body = render_template(
        "request_form.html",
        work=work,
        pickups=pickup_choices(account),
        form=request.form,
        action=link("patron.place_request", lang_params(), work_id=work["id"]),
        today=date.today().isoformat(),
        **shown,
    )
    return make_response(body, status)


@blueprint.get("/work/<work_id>/request")
@patron_page
def request_form(work_id: str) -> Response:
    account, _ = signed_in_patron()
    return _request_form(work_payload(work_id), account)


@blueprint.post("/work/<work_id>/request")
@patron_page
def place_request(work_id: str) -> Response:
    """Place the request with the work's holdings as the index has them; refusals on the form."""
    account, actor = signed_in_patron()
    work = work_payload(work_id)
    try:
        details = _request_details(request.form, pickup_choices(account))
        placed = fedcat().ill.place_request(
            actor, work_id=work_id, title=work.get("title") or work_id,
            holdings=work["holdings"], **details,
        )  # fmt: skip
    except BadArguments as exc:
        return _request_form(work, account, 400, message=exc.message)
    except RequestRefused:
        return _refused(work, account, actor)
    target = link("patron.request_detail", {**lang_params(), "placed": "1"}, request_id=placed.id)
    return redirect(target, 303)


def _refused(work: WorkPayload, account: Account, actor: Actor) -> Response:
    """Why the loan rules refused: the same work already asked for, or on the home shelf."""
    existing = open_request_for(actor, work["id"])
    if existing is not None:
        message = gettext("You already have an open request for this work.")
        return _request_form(work, account, 409, message=message, existing=existing)
    message = gettext("Your own library has an available copy: you can borrow it there.")
    shelf = own_shelf(work, account.library_id)
    return _request_form(work, account, 409, message=message, shelf=shelf)


def _request_details(form: Any, pickups: list[str]) -> dict[str, Any]:
    """The service's keyword arguments from the form, or BadArguments saying what is wrong."""
    service = form.get("service", "Loan")
    if service not in ill_labels.SERVICE_LABELS:
        raise BadArguments(gettext("Choose a loan or a copy."))
    pickup = form.get("pickup", pickups[0])
    if pickup not in pickups:
        raise BadArguments(gettext("Choose a pickup location from the list."))
    values = {name: form.get(f"citation_{name}", "").strip() for name in CITATION_FIELDS}
    if any(len(v) > TEXT_MAX for v in values.values()):
        raise BadArguments(gettext("A citation field is too long (at most 500 characters)."))
    citation = Citation(**values) if service == "Copy" else None
    if citation is not None and not citation.title:
        raise BadArguments(gettext("A copy needs the title of the article or chapter."))
    return {
        "service": service,
        "citation": citation,
        "pickup_location": pickup,
        "needed_by": _needed_by(form.get("needed_by", "").strip()),
    }


def _needed_by(raw: str) -> date | None:
    if not raw:
        return None
    try:
        needed = date.fromisoformat(raw)
    except ValueError:
        raise BadArguments(gettext("The needed-by date must be a date like 2025-03-31.")) from None
    if needed < date.today():
        raise BadArguments(gettext("The needed-by date is in the past."))
    return needed


# my requests ---------------------------------------------------------------------------------


def own_request(request_id: str, actor: Actor) -> Request:
    """The patron's own request; 404 for an unknown id and for someone else's alike."""
    try:
        return fedcat().ill.get(request_id, actor)
    except (RequestNotFound, NotPermitted):
        abort(404, description=gettext("You have no request with this number."))


def request_view(req: Request) -> dict[str, Any]:
    """One request as the templates show it: words for its state, names for its libraries."""
    ill = fedcat().ill
    return {
        "request": req,
        "status": ill_labels.state_label(req.state),
        "service": ill_labels.service_label(req.service),
        "lender": ill_labels.lender_of(req),
        "can_cancel": Action.Cancel in allowed_actions(req.state, Role.patron, req.service),
        "scan": patron_copy(req),
        "timeline": [
            {
                "event": event,
                "who": ill_labels.role_label(event.role),
                "what": ill_labels.action_label(event.action),
                "why": ill_labels.reason_label(event.reason),
            }
            for event in ill.store.timeline(req.id)
        ],
    }


def _my_requests(status: int = 200, message: str = "", only: Request | None = None) -> Response:
    _, actor = signed_in_patron()
    requests = [only] if only else fedcat().ill.requests_for_patron(actor)
    body = render_template(
        "my_requests.html",
        views=[request_view(r) for r in requests],
        message=message,
        single=only is not None,
        placed=bool(only and request.args.get("placed")),
    )
    return make_response(body, status)


@blueprint.get("/my/requests")
@patron_page
def my_requests() -> Response:
    return _my_requests()


@blueprint.get("/my/requests/<request_id>")
@patron_page
def request_detail(request_id: str) -> Response:
    _, actor = signed_in_patron()
    return _my_requests(only=own_request(request_id, actor))


@blueprint.post("/my/requests/<request_id>/cancel")
@patron_page
def cancel_request(request_id: str) -> Response:
    """Cancel while the service allows it; a refusal (409) is shown on the request's page."""
    _, actor = signed_in_patron()
    req = own_request(request_id, actor)
    try:
        fedcat().ill.act(req.id, actor, Action.Cancel)
    except ActionNotAllowed:
        message = gettext("This request can no longer be cancelled.")
        return _my_requests(409, message, own_request(request_id, actor))
    except IllError as exc:
        return _my_requests(exc.http_status, exc.message, own_request(request_id, actor))
    return redirect(link("patron.request_detail", lang_params(), request_id=req.id), 303)


# my data -------------------------------------------------------------------------------------


def patron_data(account: Account, actor: Actor) -> dict[str, Any]:
    """Everything fedcat holds about the patron: the account and every request with its
    timeline (requests whose patron link has lapsed are anonymous and no longer theirs)."""
    ill = fedcat().ill
    return {
        "account": fedcat().accounts.export_patron_data(account),
        "requests": [
            {**_plain(req), "timeline": [_plain(e) for e in ill.store.timeline(req.id)]}
            for req in ill.requests_for_patron(actor)
        ],
    }


def _plain(value: Any) -> Any:
    """A dataclass as JSON-ready data: dates as ISO text, enums and states by name."""
    if isinstance(value, State):
        return value.name
    if is_dataclass(value) and not isinstance(value, type):
        fields = {k: getattr(value, k) for k in asdict(value)}
        return {k: _plain(v) for k, v in fields.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


@blueprint.get("/my/data")
@patron_page
def my_data() -> str:
    account, actor = signed_in_patron()
    return render_template("my_data.html", data=patron_data(account, actor))


@blueprint.get("/my/data.json")
@patron_page
def my_data_download() -> Response:
    account, actor = signed_in_patron()
    body = json.dumps(patron_data(account, actor), ensure_ascii=False, indent=2)
    response = make_response(body, 200)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = 'attachment; filename="fedcat-my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response
