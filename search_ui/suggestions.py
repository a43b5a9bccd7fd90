""" "Did you mean …?" for searches that find little, and autocomplete for the search box.

The corrected query is the patron's own text with only the misspelt words replaced (field
prefixes, quotes and operators stay), and it is offered only when it really finds more.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from indexer.engine import SearchEngine
from indexer.query import MatchAll, Phrase, SearchRequest, SearchResult, Words, positive_leaves
from indexer.suggest import completions, correction
from indexer.text import analyze, term_spans
from search_ui.query_parser import BadQuery, parse_query
from search_ui.request_params import BadParameter, Params, single_value, whole_number

#: A search finding at most this many works gets a spelling suggestion, if one finds more.
SUGGEST_AT_MOST = 3
MAX_AUTOCOMPLETE_LENGTH = 100
DEFAULT_AUTOCOMPLETE = 8
MAX_AUTOCOMPLETE = 20


def spelling_suggestion(
    engine: SearchEngine, search: SearchRequest, typed: str, result: SearchResult
) -> dict[str, Any] | None:
    """``{"q": corrected query, "total": works it finds}``, or None.

    Looked for only when the words as typed found at most `SUGGEST_AT_MOST` works (what
    `result`, the search's result, says they found: near spellings of the engines' fuzzy
    fallback aside). Every word is looked up; the corrected query keeps the search's
    filters and must find more works than the words as typed.
    """
    if isinstance(search.query, MatchAll):
        return None
    total = result.total_as_typed
    if total > SUGGEST_AT_MOST:
        return None
    as_typed = replace(search, offset=0, limit=0, facets=(), fuzzy_fallback=False)
    replacements: dict[str, str] = {}
    looked_up: set[str] = set()
    for leaf in positive_leaves(search.query):
        if not isinstance(leaf, Words | Phrase):
            continue
        for term in analyze(leaf.text):
            if term in looked_up:
                continue
            looked_up.add(term)
            found = correction(engine, leaf.field, term)
            if found is not None:
                replacements[term] = found.word
    if not replacements:
        return None
    corrected = rewrite(typed, replacements)
    try:
        query = parse_query(corrected)
    except BadQuery:  # the corrections made the query too long: no suggestion, no error
        return None
    check = replace(as_typed, query=query)
    corrected_total = engine.search(check).total
    if corrected_total <= total:
        return None
    return {"q": corrected, "total": corrected_total}


def rewrite(typed: str, replacements: dict[str, str]) -> str:
    """`typed` with each word whose term is in `replacements` replaced by its correction."""
    out = typed
    for start, end, term in reversed(term_spans(typed)):
        if term in replacements:
            out = out[:start] + replacements[term] + out[end:]
    return out


def suggestion_params(params: dict[str, list[str]], corrected: str) -> dict[str, list[str]]:
    """The URL parameters of the suggested search: the same search (filters, library,
    language) with the corrected query, back on page 1."""
    kept = {name: values for name, values in params.items() if name not in ("q", "page")}
    return {"q": [corrected], **kept}


def autocomplete(engine: SearchEngine, params: Params) -> dict[str, Any]:
    """The autocomplete answer for ``q`` (required, at most `MAX_AUTOCOMPLETE_LENGTH`
    characters) and ``limit`` (1 to `MAX_AUTOCOMPLETE`)."""
    typed = single_value(params, "q")
    if typed is None:
        raise BadParameter("q", "is required: the start of a title or an author's name")
    if len(typed) > MAX_AUTOCOMPLETE_LENGTH:
        raise BadParameter("q", f"at most {MAX_AUTOCOMPLETE_LENGTH} characters")
    limit = whole_number(params, "limit", low=1, high=MAX_AUTOCOMPLETE) or DEFAULT_AUTOCOMPLETE
    found = completions(engine, typed, limit)
    return {
        "q": typed,
        "suggestions": [{"value": c.value, "field": c.field, "works": c.works} for c in found],
    }
