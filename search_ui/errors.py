"""Errors and headers for every blueprint: clear messages, never a stack trace.

API errors (under /api/) are JSON ``{"status", "error"}``; page errors are the error page.
Every answer carries the protective headers; the API is readable cross-origin by registered
partner origins only.
"""

from __future__ import annotations

import logging
import sqlite3

from flask import Blueprint, Response, jsonify, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from accounts.errors import (
    AccountError,
    AccountExists,
    AccountNotFound,
    InvalidAccount,
    SessionInvalid,
    SignInRefused,
    SignInThrottled,
    TokenInvalid,
)
from ill.errors import IllError
from indexer.engine import EngineError, EngineUnavailable
from outward.sru import unavailable_response
from search_ui.auth import forget_stale_session
from search_ui.extension import fedcat
from search_ui.query_parser import BadQuery
from search_ui.ratelimit import retry_after
from search_ui.request_params import BadParameter

log = logging.getLogger(__name__)
#: Seconds a client is told to wait (Retry-After) when the search engine is unavailable.
UNAVAILABLE_RETRY_AFTER = 10
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
#: Scripts partner pages load from us (the widget and the autocomplete it uses).
CROSS_ORIGIN_SCRIPTS = ("/widget.js", "/autocomplete.js")

blueprint = Blueprint("errors", __name__)


def is_api() -> bool:
    return request.path.startswith("/api/")


def error(status: int, message: str) -> Response:
    """The error answer: JSON for the API, the error page for the pages."""
    if is_api():
        return make_response(jsonify({"status": status, "error": message}), status)
    return make_response(render_template("error.html", status=status, message=message), status)


@blueprint.after_app_request
def protective_headers(response: Response) -> Response:
    """Security headers everywhere; CORS on the API for registered partner origins only."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if is_api():
        response.vary.add("Origin")  # a cache must not serve one origin's answer to another
        origin = request.headers.get("Origin")
        if origin in fedcat().partner_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
    if request.path.endswith(CROSS_ORIGIN_SCRIPTS):
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return forget_stale_session(response)


@blueprint.app_errorhandler(BadQuery)
@blueprint.app_errorhandler(BadParameter)
def bad_request(exc: ValueError) -> Response:
    return error(400, str(exc))


@blueprint.app_errorhandler(EngineUnavailable)
def unavailable(exc: EngineUnavailable) -> Response:
    log.warning("search engine unavailable: %s", exc)
    response = error(503, "The search service is unavailable right now. Please try again shortly.")
    response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return response


@blueprint.app_errorhandler(RateLimitExceeded)
def too_many_requests(exc: RateLimitExceeded) -> Response:
    """A 429 with Retry-After; /sru says it in its protocol's form, /oai as OAI-PMH's flow
    control does (503 with Retry-After)."""
    wait = retry_after(fedcat().limiter)
    message = f"Too many requests from this client. Please wait {wait} s and try again."
    if request.path == "/sru":
        params = request.args.to_dict(flat=False)
        body = unavailable_response(params, message)
        response = Response(body, 429, content_type="application/xml; charset=utf-8")
    elif request.path == "/oai":
        # OAI-PMH's flow control is HTTP's: harvesters (HTTP::OAI, sickle, fedcat's own) wait
        # out a 503 with Retry-After and ask again; a 429 or an OAI error would end a harvest
        response = Response(message, 503, content_type="text/plain; charset=utf-8")
    else:
        response = error(429, "Too many requests from this client. Please wait and try again.")
    response.headers["Retry-After"] = str(wait)
    return response


@blueprint.app_errorhandler(IllError)
def ill_refusal(exc: IllError) -> Response:
    """A request or action the loan rules refuse: its own status (400/403/404/409) and why."""
    return error(exc.http_status, exc.message)


#: HTTP status per kind of account error (the message never names a card, PIN or token).
ACCOUNT_STATUS: dict[type[AccountError], int] = {
    InvalidAccount: 400,
    SignInRefused: 401,
    SessionInvalid: 401,
    TokenInvalid: 401,
    AccountNotFound: 404,
    AccountExists: 409,
    SignInThrottled: 429,
}


@blueprint.app_errorhandler(AccountError)
def account_refusal(exc: AccountError) -> Response:
    status = next((code for kind, code in ACCOUNT_STATUS.items() if isinstance(exc, kind)), 400)
    response = error(status, str(exc))
    if isinstance(exc, SignInThrottled):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@blueprint.app_errorhandler(EngineError)
@blueprint.app_errorhandler(sqlite3.Error)
def engine_error(exc: Exception) -> Response:
    log.error("search failed: %s", exc)
    return error(500, "The search failed. The problem has been logged.")


@blueprint.app_errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    """The error answer, with the headers the status requires (a 405's Allow, ...)."""
    response = error(exc.code or 500, exc.description or exc.name)
    for name, value in exc.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


@blueprint.app_errorhandler(Exception)
def unexpected(exc: Exception) -> Response:
    log.exception("unexpected error")
    return error(500, "Something went wrong. The problem has been logged.")
