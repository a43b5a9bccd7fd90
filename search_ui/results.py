"""Search results as patrons and API clients see them: holdings ordered for the patron."""

from __future__ import annotations

from typing import Any

from indexer.model import STATUS_RANK
from indexer.payloads import HoldingRow, WorkPayload
from indexer.query import SearchRequest, SearchResult
from search_ui.highlight import query_terms, work_highlight


def order_holdings(holdings: list[HoldingRow], home_library: str | None) -> list[HoldingRow]:
    """The patron's own library first, then available copies elsewhere, then the rest."""
    return sorted(
        holdings,
        key=lambda h: (
            h["library_id"] != home_library,
            STATUS_RANK.get(h["status"], 9),
            h["library_name"],
        ),
    )


def work_summary(
    payload: WorkPayload,
    home_library: str | None,
    terms: dict[str, frozenset[str]] | None = None,
) -> dict[str, Any]:
    """A work as a search result lists it; with `terms`, its highlighted display fields."""
    holdings = order_holdings(payload["holdings"], home_library)
    return {
        "id": payload["id"],
        "title": payload["title"],
        "subtitle": payload["subtitle"],
        "part": payload["part"],
        "responsibility": payload["responsibility"],
        "contributors": [c["name"] for c in payload["contributors"]],
        "year": payload["year"],
        "format": payload["format"],
        "language": payload["language"],
        "publisher": payload["publisher"],
        "isbns": payload["isbns"],
        "holdings": holdings,
        "libraries": sorted({h["library_id"] for h in holdings}),
        "available": any(h["status"] == "available" for h in holdings),
        **({"highlight": work_highlight(payload, terms)} if terms is not None else {}),
    }


def search_response(
    request: SearchRequest, result: SearchResult, suggestion: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON shape of a search, shared by the API, the page and the widget.

    `suggestion` is a spelling suggestion (``{"q", "total"}``) or None.
    """
    terms = query_terms(request.query)
    return {
        "total": result.total,
        "offset": request.offset,
        "limit": request.limit,
        "suggestion": suggestion,
        "results": [work_summary(h.payload, request.home_library, terms) for h in result.hits],
        "facets": {
            name: [{"value": value, "count": count} for value, count in buckets]
            for name, buckets in result.facets.items()
        },
    }
