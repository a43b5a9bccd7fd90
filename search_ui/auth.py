"""Who is asking: the signed-in account behind a request, and the guards views put on it.

A signed-in person carries one cookie, `fedcat_session`: the random session token the
accounts service issued (the server keeps only its hash, so a stolen database holds no usable
session). Searching sets no cookie at all. Forms are protected against cross-site requests by
Flask-WTF's CSRF tokens; the JSON API for partners' discovery layers authenticates with a
per-library bearer token instead, which a browser never sends by itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import Flask, abort, g, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from accounts.errors import SessionInvalid, TokenInvalid
from accounts.model import Account, ApiToken, Role
from search_ui.extension import fedcat

SESSION_COOKIE = "fedcat_session"
csrf = CSRFProtect()
F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R", bound=Response)


def secret_key(configured: str, data_dir: Path) -> str:
    """The configured key, or one generated once and kept (owner-only) in the data directory.

    Every web host of one consortium must be given the same FEDCAT_SECRET_KEY; a single host
    can rely on the generated file.
    """
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def init_app(app: Flask, key: str) -> None:
    app.secret_key = key
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the form's session cookie
        WTF_CSRF_SSL_STRICT=True,
    )
    csrf.init_app(app)


def current_account() -> Account | None:
    """The account signed in with this request's session cookie, or None (and the cookie is
    then cleared by `forget_stale_session`)."""
    if "account" not in g:
        g.account = None
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            try:
                g.account, _ = fedcat().accounts.session(token)
            except SessionInvalid:
                g.stale_session = True
    return cast(Account | None, g.account)


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/",
    )


def forget_stale_session(response: R) -> R:
    """An expired or revoked session's cookie is removed with the answer."""
    if g.get("stale_session"):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def require(*roles: Role) -> Callable[[F], F]:
    """A view only accounts of these roles may reach: 401 when nobody is signed in, 403 for
    another role. (Which library's requests the account may see is decided by the service.)"""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            account = current_account()
            if account is None:
                abort(401, description="Please sign in first.")
            if account.role not in roles:
                abort(403, description="Your account may not do this.")
            return view(*args, **kwargs)

        return cast(F, guarded)

    return decorate


def api_token() -> ApiToken:
    """The library API token in `Authorization: Bearer …`: 401 when missing or unknown."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort(401, description="This API needs a library token: Authorization: Bearer <token>.")
    try:
        return fedcat().accounts.authenticate_token(secret.strip())
    except TokenInvalid:
        abort(401, description="Unknown or revoked API token.")


def client_key() -> str:
    """What sign-in throttling counts failures per (the client address; hashed by the
    accounts service before it is stored, never logged)."""
    return request.remote_addr or "unknown"
