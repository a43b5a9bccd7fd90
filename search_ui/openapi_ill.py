"""The inter-library loan part of the OpenAPI document: /api/v1/ill/ paths and schemas."""

from __future__ import annotations

from typing import Any

from ill.model import SERVICE_TYPES
from ill.states import TRANSITIONS, Role, Stage, Status

#: the actions a library's token may send: what the borrowing library's staff may do
BORROWER_ACTIONS = sorted(
    {action.value for (_, role, action) in TRANSITIONS if role is Role.borrower}
)
SECURITY: list[dict[str, list[str]]] = [{"libraryToken": []}]
SECURITY_SCHEMES = {
    "libraryToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A library's API token (`fedcat tokens create`); it acts only for "
        "that library's patrons and requests.",
    }
}
_STR = {"type": "string"}
_DATE = {"type": ["string", "null"], "format": "date"}

#: A value with something besides blanks in it: the API strips what Python's str.strip strips
#: (which counts U+001C–U+001F and U+0085 as blanks, and U+FEFF not) before it reads a value.
NOT_BLANK = r"[^\s\x1c-\x1f\x85]|\ufeff"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


_REFUSALS = {
    "400": _error("The body is not a JSON object, or a field is missing or malformed."),
    "401": _error("No token, or an unknown or revoked one."),
    "404": _error("No such request, work or patron for this token's library."),
    "409": _error("The rules refuse it: not allowed in the request's state, a duplicate, "
                  "the patron's own library has a copy on the shelf."),
}  # fmt: skip
_ID = {"name": "request_id", "in": "path", "required": True, "schema": _STR}


def ill_paths() -> dict[str, Any]:
    return {
        "/api/v1/ill/requests": _requests_path(),
        **_request_paths(),
    }


def _requests_path() -> dict[str, Any]:
    return {
        "post": {
            "summary": "Place a request for a patron of the token's library",
            "security": SECURITY,
            "requestBody": _body("NewIllRequest"),
            "responses": {
                "201": _json(
                    "Placed (and sent to its first lender, or closed saying why not).",
                    _ref("IllRequest"),
                ),
                **_REFUSALS,
            },
        },
        "get": {
            "summary": "The token's library's requests, or one patron's",
            "security": SECURITY,
            "parameters": [
                {
                    "name": "patron",
                    "in": "query",
                    "required": False,
                    "description": "Card number: only this patron's requests.",
                    "schema": {"type": "string", "minLength": 1, "pattern": NOT_BLANK},
                }
            ],
            "responses": {
                "200": _json(
                    "The requests, newest first.",
                    {
                        "type": "object",
                        "properties": {"requests": {"type": "array", "items": _ref("IllRequest")}},
                        "required": ["requests"],
                    },
                ),
                **_REFUSALS,
            },
        },
    }


def _request_paths() -> dict[str, Any]:
    return {
        "/api/v1/ill/requests/{request_id}": {
            "get": {
                "summary": "A request's status and its timeline",
                "security": SECURITY,
                "parameters": [_ID],
                "responses": {"200": _json("The request.", _ref("IllRequestDetail")), **_REFUSALS},
            }
        },
        "/api/v1/ill/requests/{request_id}/actions": {
            "post": {
                "summary": "Act on a request as the borrowing library (cancel, renew, received…)",
                "security": SECURITY,
                "parameters": [_ID],
                "requestBody": _body("IllAction"),
                "responses": {
                    "200": _json("The request after the action.", _ref("IllRequest")),
                    **_REFUSALS,
                },
            }
        },
    }


def _citation() -> dict[str, Any]:
    fields = ("title", "author", "source_title", "volume", "issue", "pages", "year")
    return {
        "type": ["object", "null"],
        "description": "The article or chapter wanted (service Copy needs its title).",
        "properties": {name: _STR for name in fields},
        "additionalProperties": False,
    }


def _request_schema() -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": _STR, "work_id": _STR, "title": _STR,
        "patron": {"type": "string", "description": "The patron's card number."},
        "borrowing_library": _STR, "service": {"enum": list(SERVICE_TYPES)},
        "citation": _ref("IllCitation"), "pickup": _STR, "needed_by": _DATE,
        "status": {"enum": ["NotSent", *[s.value for s in Status]],
                   "description": "The ISO 18626 status at the current lender."},
        "stage": {"enum": [s.value for s in Stage],
                  "description": "The borrowing library's own progress."},
        "renewal_pending": {"type": "boolean"}, "state": _STR,
        "lender": {"type": ["string", "null"]}, "due_date": _DATE,
        "loan_condition": _STR, "outcome_note": _STR,
        "allowed_actions": {"type": "array", "items": _STR,
                            "description": "What this library may do now."},
        "created_at": _STR, "updated_at": _STR, "version": {"type": "integer"},
    }  # fmt: skip
    return {"type": "object", "properties": props, "required": list(props)}


def _event_schema() -> dict[str, Any]:
    props: dict[str, dict[str, Any]] = {
        name: _STR for name in ("at", "actor", "role", "action", "to", "reason", "note")
    }
    props["from"] = {"type": ["string", "null"]}
    props["lender"] = {"type": ["string", "null"]}
    return {"type": "object", "properties": props, "required": list(props)}


def ill_schemas() -> dict[str, Any]:
    new = {
        "type": "object",
        "additionalProperties": False,
        "required": ["patron", "work_id"],
        "properties": {
            "patron": {"type": "string", "minLength": 1, "pattern": NOT_BLANK,
                       "description": "The patron's card number at the "
                       "token's library (a patron account must exist)."},
            "work_id": _STR,
            "service": {"enum": list(SERVICE_TYPES), "default": "Loan"},
            "pickup": {"type": "string", "description": "Pickup location."},
            "needed_by": {"type": "string", "format": "date"},
            "citation": _ref("IllCitation"),
        },
    }  # fmt: skip
    action = {
        "type": "object",
        "additionalProperties": False,
        "required": ["action"],
        "properties": {
            "action": {"enum": BORROWER_ACTIONS},
            "note": {"type": "string", "maxLength": 2000},
        },
    }
    detail = {
        "allOf": [
            _ref("IllRequest"),
            {
                "type": "object",
                "properties": {"timeline": {"type": "array", "items": _ref("IllEvent")}},
                "required": ["timeline"],
            },
        ]
    }
    return {
        "IllCitation": _citation(),
        "NewIllRequest": new,
        "IllRequest": _request_schema(),
        "IllEvent": _event_schema(),
        "IllRequestDetail": detail,
        "IllAction": action,
    }  # fmt: skip
