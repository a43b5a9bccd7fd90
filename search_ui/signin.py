"""Signing in and out: patrons with their library card and PIN, staff with a username.

A failed sign-in says only that it failed, never which part was wrong (an unknown card and a
wrong PIN look the same). After signing in, the browser goes back where it came from, but
only to a path on this site: a `next` that names another site is ignored (no open redirect).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from accounts.errors import SignInRefused, SignInThrottled
from accounts.model import SignedIn
from search_ui.auth import SESSION_COOKIE, client_key, current_account, set_session_cookie
from search_ui.extension import fedcat
from search_ui.links import link

blueprint = Blueprint("signin", __name__)
#: longer input than any card, PIN, username or password is refused before any lookup
FIELD_MAX = 1024


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (``/…``, not ``//host`` or ``/\\host``), else None."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(c) < 32 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _lang_params() -> dict[str, str | None]:
    lang = request.args.get("lang")
    return {"lang": lang if lang in ("en", "zh") and lang != "en" else None}


def _form(status: int = 200, message: str = "", kind: str = "patron") -> Response:
    body = render_template(
        "signin.html",
        libraries=sorted(fedcat().partners, key=lambda p: p.name),
        next_path=safe_next(request.values.get("next")) or "",
        message=message,
        kind=kind,
        chosen_library=request.form.get("library", ""),
        action=link("signin.sign_in", _lang_params()),
    )
    return make_response(body, status)


@blueprint.get("/signin")
def sign_in_page() -> Response:
    return _form()


@blueprint.post("/signin")
def sign_in() -> Response:
    """Check the card and PIN (or username and password); a session cookie on success."""
    form = request.form
    kind = form.get("kind", "")
    fields = ("library", "card_number", "pin") if kind == "patron" else ("username", "password")
    values = [form.get(name, "") for name in fields]
    if kind not in ("patron", "staff") or not all(v.strip() for v in values):
        return _form(400, gettext("Please fill in every field of the form."), kind or "patron")
    if any(len(v) > FIELD_MAX for v in values):
        return _form(400, gettext("Sign-in failed. Please check your details and try again."), kind)
    try:
        signed_in = _check(kind, values)
    except SignInRefused:
        return _form(401, gettext("Sign-in failed. Please check your details and try again."), kind)
    except SignInThrottled as exc:
        return _throttled(exc)
    response = redirect(safe_next(form.get("next")) or _landing(signed_in), 303)
    set_session_cookie(response, signed_in.token)
    return response


def _check(kind: str, values: list[str]) -> SignedIn:
    accounts = fedcat().accounts
    if kind == "patron":
        library, card, pin = values
        return accounts.sign_in_patron(library, card, pin, client_key())
    username, password = values
    return accounts.sign_in_staff(username, password, client_key())


def _throttled(exc: SignInThrottled) -> Response:
    message = gettext(
        "Too many failed sign-ins. Please wait %(seconds)d seconds and try again.",
        seconds=exc.retry_after,
    )
    response = make_response(render_template("error.html", status=429, message=message), 429)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _landing(signed_in: SignedIn) -> str:
    """Where a fresh sign-in goes without a `next`: the patron's requests, staff's queue."""
    views = fedcat_endpoints()
    if signed_in.account.is_patron and "patron.my_requests" in views:
        return link("patron.my_requests", _lang_params())
    if not signed_in.account.is_patron and "staff.lending" in views:
        return link("staff.lending", _lang_params())
    return link("pages.search_page", _lang_params())


def fedcat_endpoints() -> set[str]:
    """The endpoints this app has (the staff views may not be installed)."""
    return set(current_app.view_functions)


@blueprint.post("/signout")
def sign_out() -> Response:
    """End the session on the server (the token is useless from now on) and drop the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        fedcat().accounts.sign_out(token)
    response = redirect(link("pages.search_page", _lang_params()), 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@blueprint.app_context_processor
def who_is_signed_in() -> dict[str, object]:
    """`account` (or None), the app's `endpoints` (for the navigation of every page) and the
    `partners` the footer counts, unless a view passes its own."""
    return {
        "account": current_account(),
        "endpoints": fedcat_endpoints(),
        "partners": fedcat().partners,
    }
