"""`POST /iso18626`: where partners' own ILL systems send fedcat's libraries ISO 18626 messages.

Each message is answered with its confirmation (`ill.peers.inbound`); the route adds only the
HTTP side: a size limit read before the body, no CSRF token (peers prove who they are with
their shared secret instead), XML in and out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from ill.peers.inbound import MAX_BYTES
from indexer.query import SearchRequest
from iso18626.codec import encode, error_confirmation
from iso18626.errors import MessageError
from search_ui.auth import csrf
from search_ui.extension import Fedcat, fedcat
from search_ui.query_parser import BadQuery, parse_query

blueprint = Blueprint("iso18626", __name__)
XML = "application/xml"


@blueprint.post("/iso18626")
@csrf.exempt
def receive() -> Response:
    if (request.content_length or 0) > MAX_BYTES:
        error = MessageError("BadlyFormedMessage", f"a message is at most {MAX_BYTES} bytes")
        body = encode(error_confirmation(error, now=datetime.now(UTC)))
        return Response(body, status=413, mimetype=XML)
    body = request.stream.read(MAX_BYTES + 1)
    answer = fedcat().iso_inbound.handle(body, request.headers.get("Authorization"))
    return Response(answer.body, status=answer.http_status, mimetype=XML)


def work_finder(app_state: Fedcat):
    """Find the work a partner's request cites, and the asked library's copy of it."""

    def find(
        record_id: str, item_ids: Sequence[str], title: str, lender: str
    ) -> tuple[str, str, Mapping[str, Any]] | None:
        queries = [f'isbn:"{value}"' for value in item_ids if value.strip()]
        queries += [f'"{title}"'] if title.strip() else []
        for text in queries:
            try:
                search = SearchRequest(query=parse_query(text), limit=10, fuzzy_fallback=False)
                hits = app_state.engine.search(search).hits
            except BadQuery:  # a citation the parser refuses finds nothing; an engine that
                continue  # is down is a 503 (the partner's system sends the message again)
            for hit in hits:
                holdings = [h for h in hit.payload["holdings"] if h["library_id"] == lender]
                if not holdings:
                    continue
                own = [h for h in holdings if record_id and h["record_id"] == record_id]
                return hit.work_id, hit.payload["title"], (own or holdings)[0]
        return None

    return find
