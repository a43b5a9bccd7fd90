"""Per-client rate limiting of the JSON API, per process or shared through Redis.

A script hammering the API should not starve patrons of the engine; a patron or a partner's
widget never comes near the limit (`config.settings.DEFAULT_RATE_LIMIT`). Pages and static
files are not limited. The client is known by a keyed hash of its address, so neither the
counters nor Flask-Limiter's log line on a breach hold an address; the counters expire with
their window.

By default each server process counts on its own in memory (a random hash key per process):
with N worker processes a client gets up to N times the limit. With FEDCAT_RATE_LIMIT_STORE
(a redis:// URL) every worker and every web host counts in one Redis; they then hash with a
key derived from the secret key (FEDCAT_SECRET_KEY, the same on every host), so one client
is one counter everywhere. Redis that does not answer (within REDIS_TIMEOUT) fails open to
the per-process counting: requests are served, never a 500, and Flask-Limiter logs once
("Rate limit storage unreachable") until Redis answers again (it is tried again after 1, 2,
4 ... seconds).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from flask_limiter import Limiter

#: What the limit covers: the JSON API, the exports and the protocol endpoints (SRU, OAI-PMH,
#: unAPI, OpenSearch), all machines' doors.
LIMITED_PATHS = ("/api/", "/export/", "/sru", "/oai", "/unapi", "/opensearch")
#: Seconds a request waits for the shared store before counting in memory instead.
REDIS_TIMEOUT = 0.5


def client_key_function(hash_key: bytes) -> Callable[[], str]:
    """Who is counted: an opaque token for the request's client address."""

    def client_key() -> str:
        address = (request.remote_addr or "").encode()
        return hmac.new(hash_key, address, hashlib.sha256).hexdigest()[:32]

    return client_key


def limit_api(
    app: Flask, limit: str | None, store: str = "", secret_key: str = ""
) -> Limiter | None:
    """Apply `limit` (e.g. '300/minute') per client under LIMITED_PATHS; None: no limit.

    One budget is shared by all those routes, so a client cannot multiply it by spreading
    requests over endpoints. A breach raises `flask_limiter.RateLimitExceeded` (a 429),
    which the app turns into its JSON error with `retry_after(limiter)`. `store`: a redis://
    URL the limit is counted in across processes and hosts ("": this process's memory).
    """
    if limit is None:
        return None
    if not store:
        return _limiter(app, limit, secrets.token_bytes(32), storage_uri="memory://")
    hash_key = hmac.new(secret_key.encode(), b"fedcat rate limit", hashlib.sha256).digest()
    _log_store_outages()
    return _limiter(
        app,
        limit,
        hash_key,
        storage_uri=store,
        storage_options={
            "socket_timeout": REDIS_TIMEOUT,
            "socket_connect_timeout": REDIS_TIMEOUT,
        },
        in_memory_fallback_enabled=True,
        key_prefix="fedcat",
    )


def _log_store_outages() -> None:
    """Flask-Limiter says when the store stops answering (once per outage) on its logger,
    which has only a NullHandler: its warnings go to stderr, beside the server's own."""
    logger = logging.getLogger("flask-limiter")
    if not any(type(h) is logging.StreamHandler for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setLevel(logging.WARNING)
        handler.setFormatter(
            logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] rate limit: %(message)s")
        )
        logger.addHandler(handler)


def _limiter(app: Flask, limit: str, hash_key: bytes, **storage: Any) -> Limiter:
    return Limiter(
        client_key_function(hash_key),
        app=app,
        application_limits=[limit],
        application_limits_exempt_when=lambda: not request.path.startswith(LIMITED_PATHS),
        strategy="fixed-window",
        headers_enabled=False,
        **storage,
    )


def retry_after(limiter: Limiter | None) -> int:
    """Whole seconds until the breached window resets (at least 1), for Retry-After."""
    current = limiter.current_limit if limiter is not None else None
    if current is None:
        return 1
    return max(1, int(current.reset_at - time.time()))
