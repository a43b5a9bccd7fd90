"""Highlighting of the words a search matched, done by fedcat for both engines alike.

A highlight is data, never HTML: a list of segments ``{"text": ..., "match": true|false}``
that cover the displayed text in order. The page turns matched segments into ``<mark>``
through Jinja's autoescaping and the widget into ``<mark>`` elements holding text nodes, so
partner data is never parsed as markup.

A word is matched when one of its index terms (`indexer.text.term_spans`, the same analysis
the engines index) is a term of a positive word or phrase of the query, in a field the query
searched. Phrase words are marked wherever they occur, as Solr's default highlighter does.
"""

from __future__ import annotations

from typing import Any

from indexer.payloads import WorkPayload
from indexer.query import Phrase, Query, Words, positive_leaves
from indexer.text import analyze, term_spans

Segment = dict[str, Any]
#: Searchable text fields whose display form appears in results (isbn and other do not).
HIGHLIGHTED_FIELDS = ("title", "author", "subject")


def query_terms(query: Query) -> dict[str, frozenset[str]]:
    """The terms a hit may have matched, per highlighted field."""
    terms: dict[str, set[str]] = {name: set() for name in HIGHLIGHTED_FIELDS}
    for leaf in positive_leaves(query):
        if not isinstance(leaf, Words | Phrase):
            continue
        fields = HIGHLIGHTED_FIELDS if leaf.field == "all" else (leaf.field,)
        for name in fields:
            if name in terms:
                terms[name].update(analyze(leaf.text))
    return {name: frozenset(found) for name, found in terms.items()}


def segments(text: str, terms: frozenset[str]) -> list[Segment]:
    """`text` cut into matched and unmatched segments (one unmatched segment if none match)."""
    hits = [(start, end) for start, end, term in term_spans(text) if term in terms] if terms else []
    if not hits:
        return [{"text": text, "match": False}]
    marked = [False] * len(text)
    for start, end in hits:
        marked[start:end] = [True] * (end - start)
    out: list[Segment] = []
    run_start = 0
    for position in range(1, len(text) + 1):
        if position == len(text) or marked[position] != marked[run_start]:
            out.append({"text": text[run_start:position], "match": marked[run_start]})
            run_start = position
    return out


def has_match(parts: list[Segment]) -> bool:
    return any(part["match"] for part in parts)


def work_highlight(payload: WorkPayload, terms: dict[str, frozenset[str]]) -> dict[str, Any]:
    """The highlighted display fields of one work.

    ``title``, ``subtitle`` and ``contributors`` (one entry per contributor name, in order)
    are always there; ``subjects`` lists only the subject headings that matched, so a patron
    sees why a work was found when the match was not in its title or authors.
    """
    subjects = [segments(s, terms["subject"]) for s in payload.get("subjects", [])]
    return {
        "title": segments(payload["title"], terms["title"]),
        "subtitle": segments(payload["subtitle"], terms["title"]),
        "contributors": [segments(c["name"], terms["author"]) for c in payload["contributors"]],
        "subjects": [s for s in subjects if has_match(s)],
    }
