"""The URL parameters of a search (page, API, widget) as a `SearchRequest`.

Parameters (all optional):

- ``q``: the query text, parsed by `search_ui.query_parser` (a bad query raises `BadQuery`)
- ``page``: 1-based page number; only the first `MAX_RESULTS` results can be paged through
- ``per_page`` (or its alias ``limit``): results per page, 1 to `MAX_PER_PAGE`, default
  `DEFAULT_PER_PAGE`
- ``sort``: one of `indexer.query.SORTS`, default ``relevance``
- ``f.<facet>=<value>``: a filter, repeated for several values; values of one facet are ORed,
  facets are ANDed (``f.library=north&f.library=south&f.format=book``). Facet names are
  `indexer.query.FACET_FIELDS`; an unknown facet is an error, not silently ignored.
- ``year_from`` / ``year_to``: publication years, `MIN_YEAR` to `MAX_YEAR`, from <= to
- ``library``: the patron's home library id (its works rank first)
- ``facets``: facet names to count, repeated or comma-separated; default `DEFAULT_FACETS`;
  present but empty (``facets=``) counts none

An empty value (``page=``, as a form sends for a blank field) is the same as leaving the
parameter out. A single-valued parameter given twice with different values is an error.
Other parameters (``lang``...) belong to the pages and are ignored here. Every bad value raises
`BadParameter` naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from indexer.query import FACET_FIELDS, SORTS, SearchRequest
from search_ui.query_parser import parse_query

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
#: How deep paging may go: offset + per_page never exceeds this (deep pages are costly for
#: both engines and no patron reads them).
MAX_RESULTS = 1000
MIN_YEAR, MAX_YEAR = 0, 9999
DEFAULT_FACETS = tuple(
    f for f in FACET_FIELDS if f not in ("available_at", "subject_facet_suggested")
)
#: `suggested=1`: the patron's opt-in to count machine-suggested subjects in the subject facet
SUGGESTED_FACETS = tuple(
    "subject_facet_suggested" if f == "subject_facet" else f for f in DEFAULT_FACETS
)
FILTER_PREFIX = "f."
#: Bounds on filters, so a crafted URL cannot make an enormous engine query.
MAX_FILTER_VALUES = 50
MAX_VALUE_LENGTH = 200

_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
#: What a work id in a URL may look like (ours are "w" + 15 hex digits); anything else is
#: answered "no such work" without asking the engine (Elasticsearch refuses over-long ids).
_WORK_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")

Params = Mapping[str, Any]


class BadParameter(ValueError):
    """A URL parameter of a search has a value we cannot use; the message names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f'Parameter "{parameter}": {message}')
        self.parameter = parameter


def search_request_from_params(
    params: Params, known_libraries: set[str] | None = None
) -> SearchRequest:
    """The search the parameters ask for; see the module docstring for the parameters.

    `params` is a werkzeug MultiDict (``request.args``) or a plain mapping whose values are
    strings or lists of strings. `known_libraries`, when given, are the only accepted
    ``library`` ids.
    """
    per_page = _per_page(params)
    page = whole_number(params, "page", low=1) or 1
    offset = (page - 1) * per_page
    if offset + per_page > MAX_RESULTS:
        raise BadParameter(
            "page",
            f"only the first {MAX_RESULTS} results can be paged through; with {per_page} "
            f"per page the last page is {MAX_RESULTS // per_page}",
        )
    year_from = whole_number(params, "year_from", low=MIN_YEAR, high=MAX_YEAR)
    year_to = whole_number(params, "year_to", low=MIN_YEAR, high=MAX_YEAR)
    if year_from is not None and year_to is not None and year_from > year_to:
        raise BadParameter("year_from", f"{year_from} is after year_to ({year_to})")
    return SearchRequest(
        query=parse_query(single_value(params, "q") or ""),
        filters=_filters(params),
        year_from=year_from,
        year_to=year_to,
        facets=_facets(params),
        sort=_sort(params),
        offset=offset,
        limit=per_page,
        home_library=_library(params, known_libraries),
    )


def is_work_id(text: str) -> bool:
    """Whether `text`, from a URL path, can be a work id at all."""
    return _WORK_ID.fullmatch(text) is not None


# -- reading values ---------------------------------------------------------------------------


def _values(params: Params, name: str) -> list[str]:
    """Every value of `name`, stripped, without empty ones."""
    if hasattr(params, "getlist"):
        raw = params.getlist(name)
    else:
        value = params.get(name)
        raw = [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
    values = []
    for value in raw:
        if not isinstance(value, str):
            raise BadParameter(name, "must be text")
        if value.strip():
            values.append(value.strip())
    return values


def single_value(params: Params, name: str, *aliases: str) -> str | None:
    values = [v for n in (name, *aliases) for v in _values(params, n)]
    if len(set(values)) > 1:
        same = f" ({' and '.join((name, *aliases))} are the same parameter)" if aliases else ""
        raise BadParameter(name, f"given more than once with different values{same}")
    return values[0] if values else None


def _quoted(value: str) -> str:
    """A value echoed in a message, cut short if long."""
    return f'"{value[:40]}…"' if len(value) > 40 else f'"{value}"'


def whole_number(
    params: Params,
    name: str,
    *,
    low: int,
    high: int | None = None,
    aliases: tuple[str, ...] = (),
) -> int | None:
    value = single_value(params, name, *aliases)
    if value is None:
        return None
    number = int(value) if _WHOLE_NUMBER.fullmatch(value) else None
    if number is None or number < low or (high is not None and number > high):
        allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise BadParameter(name, f"must be a whole number {allowed}, not {_quoted(value)}")
    return number


# -- the parameters ---------------------------------------------------------------------------


def _per_page(params: Params) -> int:
    per_page = whole_number(params, "per_page", low=1, high=MAX_PER_PAGE, aliases=("limit",))
    return per_page or DEFAULT_PER_PAGE


def _sort(params: Params) -> str:
    sort = single_value(params, "sort") or "relevance"
    if sort not in SORTS:
        raise BadParameter("sort", f"must be one of {', '.join(SORTS)}, not {_quoted(sort)}")
    return sort


def _filters(params: Params) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for key in params:
        if not key.startswith(FILTER_PREFIX):
            continue
        facet = key[len(FILTER_PREFIX) :]
        if facet not in FACET_FIELDS:
            raise BadParameter(
                key, f"{_quoted(facet)} is not a facet; facets are {', '.join(FACET_FIELDS)}"
            )
        for value in _values(params, key):
            if len(value) > MAX_VALUE_LENGTH:
                raise BadParameter(key, f"a value is longer than {MAX_VALUE_LENGTH} characters")
            if value not in filters.setdefault(facet, []):
                filters[facet].append(value)
    if sum(len(values) for values in filters.values()) > MAX_FILTER_VALUES:
        raise BadParameter(FILTER_PREFIX + "*", f"at most {MAX_FILTER_VALUES} filter values")
    return {facet: values for facet, values in filters.items() if values}


def _facets(params: Params) -> tuple[str, ...]:
    if "facets" not in params:
        return SUGGESTED_FACETS if single_value(params, "suggested") == "1" else DEFAULT_FACETS
    names = [n.strip() for v in _values(params, "facets") for n in v.split(",") if n.strip()]
    for name in names:
        if name not in FACET_FIELDS:
            raise BadParameter(
                "facets", f"{_quoted(name)} is not a facet; facets are {', '.join(FACET_FIELDS)}"
            )
    return tuple(dict.fromkeys(names))


def _library(params: Params, known_libraries: set[str] | None) -> str | None:
    library = single_value(params, "library")
    if library is None:
        return None
    if len(library) > MAX_VALUE_LENGTH or (
        known_libraries is not None and library not in known_libraries
    ):
        raise BadParameter("library", f"{_quoted(library)} is not a partner library")
    return library
