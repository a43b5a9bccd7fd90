"""Every link a page builds: one builder that treats request parameters as data.

`url_for` reads some keyword names itself (``_external``, ``_anchor``, ``_method``,
``_scheme``, ``endpoint``...). Parameters that come from the request therefore never reach it
as keywords: `link` puts them in the query string, and only the route's own variables (chosen
by our code) are passed to `url_for`. Templates and views build links only through `link`.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import current_app, request, url_for
from werkzeug.datastructures import MultiDict

from search_ui.suggestions import suggestion_params

#: Query-string values: one string, a list of strings, or None (left out).
LinkParams = Mapping[str, str | list[str] | None]

SEARCH_PAGE = "pages.search_page"


def link(endpoint: str, params: LinkParams | None = None, **route_values: str) -> str:
    """The relative URL of `endpoint` with `params` as its query string.

    `route_values` fill the route's own <variables> (e.g. ``work_id``) and nothing else:
    a name that is not a variable of the route is refused rather than handed to url_for.
    """
    rule_arguments = _route_arguments(endpoint)
    unknown = set(route_values) - rule_arguments
    if unknown:
        raise TypeError(f"{endpoint} has no route variable {sorted(unknown)}")
    url = url_for(endpoint, **route_values)  # type: ignore[arg-type]  # route variables only
    query = urlencode(list(_pairs(params or {})))
    return f"{url}?{query}" if query else url


def _route_arguments(endpoint: str) -> set[str]:
    return {name for rule in current_app.url_map.iter_rules(endpoint) for name in rule.arguments}


def _pairs(params: LinkParams):
    for name, values in params.items():
        if values is None:
            continue
        for value in [values] if isinstance(values, str) else values:
            yield name, value


def request_params(args: MultiDict | None = None) -> dict[str, list[str]]:
    """The request's query parameters, every value of each, in order."""
    return (request.args if args is None else args).to_dict(flat=False)


def active_filters(args: MultiDict) -> dict[str, list[str]]:
    """The facet filters in the URL: repeated f.<facet>=<value> parameters."""
    return {k[2:]: args.getlist(k) for k in args if k.startswith("f.")}


def toggle_filter(args: MultiDict, facet: str, value: str) -> dict[str, list[str]]:
    """The URL parameters with one facet value added, or removed if it was there."""
    params = {k: args.getlist(k) for k in args if k != "page"}
    key = f"f.{facet}"
    values = params.get(key, [])
    params[key] = [v for v in values if v != value] if value in values else [*values, value]
    return params


def page_number(args: MultiDict) -> int | None:
    """The `page` parameter when it is a plain whole number (the search refuses the rest)."""
    page = args.get("page", "1")
    return int(page) if page.isascii() and page.isdigit() and len(page) <= 9 else None


def page_url(args: MultiDict, step: int) -> str | None:
    """The search page `step` pages on from this one, or None before the first."""
    page = page_number(args)
    page = page + step if page is not None else 1
    if page < 1:
        return None
    return link(SEARCH_PAGE, {**request_params(args), "page": [str(page)]})


def facet_url(args: MultiDict, facet: str, value: str) -> str:
    return link(SEARCH_PAGE, toggle_filter(args, facet, value))


def suggested_subjects_url(args: MultiDict) -> str:
    """The search with the patron's opt-in to count machine-suggested subjects in the subject
    facet (`suggested=1`) switched on, or off if it was on; its subject filters go too (they
    name values of the other facet)."""
    params = {
        k: v
        for k, v in request_params(args).items()
        if k not in ("page", "suggested", "f.subject_facet", "f.subject_facet_suggested")
    }
    if args.get("suggested") != "1":
        params["suggested"] = ["1"]
    return link(SEARCH_PAGE, params)


def suggestion_url(args: MultiDict, corrected: str) -> str:
    """The link of a "Did you mean" suggestion (see `suggestion_params`)."""
    return link(SEARCH_PAGE, suggestion_params(request_params(args), corrected))


def language_url(args: MultiDict, language: str) -> str:
    """This page in `language`: same endpoint, route values and parameters."""
    endpoint = request.endpoint if request.endpoint in _PAGE_ENDPOINTS else SEARCH_PAGE
    route_values = request.view_args if endpoint == request.endpoint else None
    params = {**request_params(args), "lang": [language]}
    return link(endpoint, params, **(route_values or {}))


_PAGE_ENDPOINTS = frozenset({SEARCH_PAGE, "pages.work_page", "controls.advanced_page"})
