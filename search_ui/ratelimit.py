"""Per-client rate limiting of the JSON API, in process memory only.

A script hammering the API should not starve patrons of the engine; a patron or a partner's
widget never comes near the limit (`config.settings.DEFAULT_RATE_LIMIT`). Pages and static
files are not limited. The client is known by a keyed hash of its address (a random key per
process), so neither the limiter's memory nor Flask-Limiter's log line on a breach holds an
address; the counters (limits' in-memory storage) expire with their window. Each server
process counts on its own: with N worker processes a client gets up to N times the limit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from flask import Flask, request
from flask_limiter import Limiter

#: What the limit covers: the JSON API, the exports and the protocol endpoints (SRU, OAI-PMH,
#: unAPI, OpenSearch), all machines' doors.
LIMITED_PATHS = ("/api/", "/export/", "/sru", "/oai", "/unapi", "/opensearch")
#: Key of the address hash; new in every process, never stored.
_ADDRESS_KEY = secrets.token_bytes(32)


def client_key() -> str:
    """Who is counted: an opaque token for the request's client address."""
    address = (request.remote_addr or "").encode()
    return hmac.new(_ADDRESS_KEY, address, hashlib.sha256).hexdigest()[:32]


def limit_api(app: Flask, limit: str | None) -> Limiter | None:
    """Apply `limit` (e.g. '300/minute') per client under LIMITED_PATHS; None: no limit.

    One budget is shared by all those routes, so a client cannot multiply it by spreading
    requests over endpoints. A breach raises `flask_limiter.RateLimitExceeded` (a 429),
    which the app turns into its JSON error with `retry_after(limiter)`.
    """
    if limit is None:
        return None
    return Limiter(
        client_key,
        app=app,
        application_limits=[limit],
        application_limits_exempt_when=lambda: not request.path.startswith(LIMITED_PATHS),
        storage_uri="memory://",
        strategy="fixed-window",
        headers_enabled=False,
    )


def retry_after(limiter: Limiter | None) -> int:
    """Whole seconds until the breached window resets (at least 1), for Retry-After."""
    current = limiter.current_limit if limiter is not None else None
    if current is None:
        return 1
    return max(1, int(current.reset_at - time.time()))
