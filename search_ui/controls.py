"""The search page's controls: sort, year range, and the advanced-search form.

None of them is a search of its own: the sort and year controls change the URL parameters
the page already reads (`search_ui.request_params`), and the advanced form writes the query
syntax the search box accepts (`search_ui.query_parser`), so a patron sees in the box what
the form asked for and can go on editing it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask_babel import lazy_gettext
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from indexer.query import MatchAll, SearchRequest
from search_ui import i18n
from search_ui.extension import fedcat
from search_ui.links import SEARCH_PAGE, link
from search_ui.results import facet_value_label

blueprint = Blueprint("controls", __name__)

#: The sort control's choices, in `indexer.query.SORTS` order.
SORT_LABELS = {
    "relevance": lazy_gettext("Relevance"),
    "year_desc": lazy_gettext("Newest first"),
    "year_asc": lazy_gettext("Oldest first"),
    "title": lazy_gettext("Title"),
    "author": lazy_gettext("Author"),
}

#: The controls' own parameters: the rest of the URL is kept in hidden fields.
CONTROL_PARAMS = frozenset({"sort", "tier", "year_from", "year_to", "page"})

#: The advanced form's text fields, in the form's order: (form name, query prefix).
ADVANCED_FIELDS = (
    ("title", "title"),
    ("author", "author"),
    ("subject", "subject"),
    ("isbn", "isbn"),
    ("publisher", "publisher"),
    ("series", "series"),
)
#: The advanced form's choices that become facet filters: (form name, URL parameter).
ADVANCED_FILTERS = (("language", "f.language"), ("format", "f.format"), ("library", "f.library"))
#: Parameters the advanced form passes on as they are.
ADVANCED_PASSED = ("year_from", "year_to", "lang", "sort")

#: What would change the meaning of a value inside ``field:( ... )``.
_GROUPING = re.compile(r"[()]")


def kept_params(args: MultiDict) -> list[tuple[str, str]]:
    """The URL's parameters the controls do not set, as (name, value) hidden form fields."""
    return [(n, v) for n in args if n not in CONTROL_PARAMS for v in args.getlist(n)]


def fielded(prefix: str, value: str) -> str:
    """One form field as the box's syntax: ``title:hobbit``, ``author:(le guin)``,
    ``isbn:"0-14 044913 6"``; "" for a blank field."""
    words = " ".join(_GROUPING.sub(" ", value).split())
    if not words:
        return ""
    if " " not in words:
        return f"{prefix}:{words}"
    if prefix == "isbn":  # an ISBN written with spaces is one term (see query_parser)
        return f'{prefix}:"{words.replace(chr(34), "")}"'
    return f"{prefix}:({words})"


def advanced_query(form: Mapping[str, str]) -> str:
    """The search box text the advanced form asks for: its filled fields, all required."""
    parts = (fielded(prefix, form.get(name, "")) for name, prefix in ADVANCED_FIELDS)
    return " ".join(part for part in parts if part)


def advanced_params(form: MultiDict) -> dict[str, list[str]]:
    """The search page's URL parameters for an advanced search (blank fields left out)."""
    params: dict[str, list[str]] = {}
    query = advanced_query(form)
    if query:
        params["q"] = [query]
    for name, parameter in ADVANCED_FILTERS:
        values = [v.strip() for v in form.getlist(name) if v.strip()]
        if values:
            params[parameter] = values
    for name in ADVANCED_PASSED:
        value = (form.get(name) or "").strip()
        if value:
            params[name] = [value]
    return params


# -- the pages ------------------------------------------------------------------------------

#: How many values of each facet the advanced form offers.
MAX_CHOICES = 200


@blueprint.get("/advanced")
def advanced_page() -> str | Response:
    """The advanced-search form; submitted, the search page with what it asked for."""
    if any(name != "lang" for name in request.args):
        return redirect(link(SEARCH_PAGE, advanced_params(request.args)), 303)
    return render_template("advanced.html", choices=catalogue_choices())


def catalogue_choices() -> dict[str, list[tuple[str, str]]]:
    """The languages, formats and libraries of the catalogue as (value, label), by label."""
    found = fedcat().engine.search(
        SearchRequest(MatchAll(), facets=("language", "format"), facet_size=MAX_CHOICES, limit=1)
    )
    labels = {"language": i18n.language_label, "format": i18n.format_label}
    choices = {
        name: sorted(((v, labels[name](v)) for v, _ in found.facets.get(name, [])), key=_label)
        for name in labels
    }
    choices["library"] = sorted(((p.id, p.name) for p in fedcat().partners), key=_label)
    return choices


def _label(choice: tuple[str, str]) -> str:
    return choice[1].casefold()


@blueprint.app_context_processor
def control_helpers() -> dict[str, Any]:
    """What the controls' templates use (see `search_ui.pages.page_helpers` for the rest)."""
    return {
        "kept_params": lambda: kept_params(request.args),
        "sort_labels": SORT_LABELS,
        "facet_value_label": lambda facet, value: facet_value_label(facet, value, fedcat().by_id),
        "format_label": i18n.format_label,
    }
