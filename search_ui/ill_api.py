"""The JSON API for inter-library loan requests, under /api/v1/ill/ (see search_ui.openapi).

A partner's own discovery layer places and follows requests for its signed-in patrons with
its library's API token (`Authorization: Bearer …`). A token acts only for its own library:
another library's request is "not found". The patron is named by card number, which must be
a patron account of the token's library; the API acts as the borrowing library's staff.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from ill.errors import BadArguments, NotPermitted, RequestNotFound
from ill.model import Actor, Citation, Request, TimelineEvent
from ill.states import Role, allowed_actions
from search_ui.auth import api_token, csrf
from search_ui.extension import fedcat
from search_ui.request_params import is_work_id

blueprint = Blueprint("ill_api", __name__, url_prefix="/api/v1/ill")

PLACE_FIELDS = {"patron", "work_id", "service", "pickup", "needed_by", "citation"}
CITATION_FIELDS = {"title", "author", "source_title", "volume", "issue", "pages", "year"}
ACTION_FIELDS = {"action", "note", "reason", "condition", "due_date"}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def request_json(found: Request) -> dict[str, Any]:
    """One request as the API shows it to the borrowing library."""
    return {
        "id": found.id,
        "work_id": found.work_id,
        "title": found.title,
        "patron": found.patron_ref.partition(":")[2],
        "borrowing_library": found.borrowing_library,
        "service": found.service,
        "citation": vars(found.citation) if found.citation else None,
        "pickup": found.pickup_location,
        "needed_by": _iso(found.needed_by),
        "status": found.state.status.value if found.state.status else "NotSent",
        "stage": found.state.stage.value,
        "renewal_pending": found.state.renewal_pending,
        "state": found.state.name,
        "lender": found.lender,
        "due_date": _iso(found.due_date),
        "loan_condition": found.loan_condition,
        "outcome_note": found.outcome_note,
        "allowed_actions": [
            a.value for a in allowed_actions(found.state, Role.borrower, found.service)
        ],
        "created_at": _iso(found.created_at),
        "updated_at": _iso(found.updated_at),
        "version": found.version,
    }


def event_json(event: TimelineEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor,
        "role": event.role.value,
        "action": event.action.value,
        "from": event.from_state.name if event.from_state else None,
        "to": event.to_state.name,
        "lender": event.lender,
        "reason": event.reason,
        "note": event.note,
    }


def _body(allowed: set[str]) -> dict[str, Any]:
    """The JSON object posted, with only known fields: 400 with a message otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="the request body must be a JSON object")
    unknown = set(body) - allowed
    if unknown:
        abort(400, description=f"unknown field(s): {', '.join(sorted(map(str, unknown)))}")
    for name, value in body.items():
        if name != "citation" and value is not None and not isinstance(value, str):
            abort(400, description=f"{name} must be a string")
    return body


def _patron(library_id: str, card_number: Any) -> Actor:
    """The patron of the token's library with that card number (404 when there is none)."""
    if not isinstance(card_number, str) or not card_number.strip():
        abort(400, description="patron (the card number) is required")
    if fedcat().accounts.store.find_patron(library_id, card_number.strip()) is None:
        abort(404, description=f"library {library_id} has no patron with this card number")
    return Actor(card_number.strip(), Role.patron, library_id)


def _citation(raw: Any) -> Citation | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - CITATION_FIELDS:
        abort(
            400, description="citation must be an object of " + ", ".join(sorted(CITATION_FIELDS))
        )
    if not all(isinstance(v, str) for v in raw.values()):
        abort(400, description="citation fields must be strings")
    return Citation(**{"title": "", **raw})


def _date(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadArguments(f"{name} must be a date, YYYY-MM-DD") from None


def _own(request_id: str, library_id: str) -> Request:
    found = fedcat().ill.store.get(request_id)
    if found.borrowing_library != library_id:
        raise RequestNotFound(request_id)
    return found


@blueprint.post("/requests")
@csrf.exempt
def place() -> tuple[Response, int]:
    token = api_token()
    body = _body(PLACE_FIELDS)
    patron = _patron(token.library_id, body.get("patron"))
    work_id = body.get("work_id") or ""
    payload = fedcat().engine.get(work_id) if is_work_id(work_id) else None
    if payload is None:
        abort(404, description=f"no work with id {work_id[:40]!r}")
    placed = fedcat().ill.place_request(
        patron,
        work_id=work_id,
        title=payload.get("title", ""),
        holdings=payload.get("holdings", []),
        service=body.get("service") or "Loan",
        citation=_citation(body.get("citation")),
        pickup_location=body.get("pickup") or "",
        needed_by=_date(body.get("needed_by"), "needed_by"),
    )
    return jsonify(request_json(placed)), 201


@blueprint.get("/requests")
def listing() -> Response:
    token = api_token()
    card_number = request.args.get("patron")
    ill = fedcat().ill
    if card_number is not None:
        found = ill.requests_for_patron(_patron(token.library_id, card_number))
    else:
        found = ill.borrowing_requests(token.library_id)
    return jsonify({"requests": [request_json(one) for one in found]})


@blueprint.get("/requests/<request_id>")
def status(request_id: str) -> Response:
    token = api_token()
    found = _own(request_id, token.library_id)
    timeline = [event_json(e) for e in fedcat().ill.store.timeline(found.id)]
    return jsonify({**request_json(found), "timeline": timeline})


@blueprint.post("/requests/<request_id>/actions")
@csrf.exempt
def act(request_id: str) -> Response:
    token = api_token()
    found = _own(request_id, token.library_id)
    body = _body(ACTION_FIELDS)
    action = body.pop("action", None)
    if not action:
        abort(400, description="action is required, e.g. Cancel, Renew, Received")
    actor = Actor(f"api:{token.name}", Role.borrower, token.library_id)
    details = {name: value for name, value in body.items() if value is not None}
    try:
        acted = fedcat().ill.act(found.id, actor, action, **details)
    except NotPermitted:
        raise RequestNotFound(request_id) from None
    return jsonify(request_json(acted))
