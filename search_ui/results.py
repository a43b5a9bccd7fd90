"""Search results as patrons and API clients see them: holdings ordered for the patron."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from config.partners import Partner
from indexer.model import STATUS_RANK
from indexer.payloads import HoldingRow, WorkPayload
from indexer.query import SearchRequest, SearchResult
from search_ui import i18n
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


def facet_value_label(facet: str, value: str, partners: Mapping[str, Partner]) -> str:
    """A facet value as the page shows it: library names (from `partners`, by id), languages
    and formats in words, in the interface language."""
    if facet in ("library", "available_at"):
        partner = partners.get(value)
        return partner.name if partner else value
    if facet == "availability":
        return i18n.status_label(value)
    if facet == "language":
        return i18n.language_label(value)
    if facet == "format":
        return i18n.format_label(value)
    return value


def work_summary(
    payload: WorkPayload,
    home_library: str | None,
    terms: dict[str, frozenset[str]] | None = None,
    language_name: Callable[[str], str] = i18n.language_label,
) -> dict[str, Any]:
    """A work as a search result lists it; with `terms`, its highlighted display fields;
    `language_name` names its language."""
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
        "language_name": language_name(payload["language"]) if payload["language"] else "",
        "publisher": payload["publisher"],
        "isbns": payload["isbns"],
        "holdings": holdings,
        "libraries": sorted({h["library_id"] for h in holdings}),
        "available": any(h["status"] == "available" for h in holdings),
        **({"highlight": work_highlight(payload, terms)} if terms is not None else {}),
    }


def search_response(
    request: SearchRequest,
    result: SearchResult,
    suggestion: dict[str, Any] | None,
    partners: Mapping[str, Partner],
) -> dict[str, Any]:
    """The JSON shape of a search, shared by the API, the page and the widget. Codes
    (language, format, library) come with what the page shows for them, in the interface
    language: `language_name` beside a result's `language`, a `label` for each facet value.

    `suggestion` is a spelling suggestion (``{"q", "total"}``) or None; `partners` (by id)
    name the libraries.
    """
    terms = query_terms(request.query)
    labels: dict[tuple[str, str], str] = {}  # each value named once a response

    def label(facet: str, value: str) -> str:
        if (facet, value) not in labels:
            labels[facet, value] = facet_value_label(facet, value, partners)
        return labels[facet, value]

    def language_name(code: str) -> str:
        return label("language", code)

    return {
        "total": result.total,
        "offset": request.offset,
        "limit": request.limit,
        "suggestion": suggestion,
        "results": [
            work_summary(h.payload, request.home_library, terms, language_name) for h in result.hits
        ],
        "facets": {
            name: [
                {"value": value, "label": label(name, value), "count": count}
                for value, count in buckets
            ]
            for name, buckets in result.facets.items()
        },
    }
