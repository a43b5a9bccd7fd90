"""More like this, and works requested together: what the record page offers next.

More like this: works that share subjects, authors, series, classification or title words.

Found through the `SearchEngine` interface with engine-neutral queries (an OR of the work's
headings, names, series, class numbers and distinctive title words), then each candidate is
compared with the work here, in the display values both engines return alike, so both engines
give the same works with the same reasons. A candidate with no reason (it matched only a loose
form of a word) is left out; other editions are listed apart by `indexer.editions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TypedDict

from ai.co_requests import also_requested_in_state
from indexer.editions import edition_family
from indexer.engine import SearchEngine
from indexer.payloads import WorkPayload
from indexer.query import Or, Phrase, Query, SearchRequest, Words
from indexer.text import analyze

#: Works read to choose from, and listed at most.
RELATED_SAMPLE = 30
MAX_RELATED = 6
#: Title words shorter than this are not distinctive ("the", "de", "of").
MIN_TITLE_WORD = 4
MAX_QUERY_CLAUSES = 24

ReasonKind = Literal[
    "subjects", "suggested_subjects", "authors", "series", "classification", "title_words"
]


class Reason(TypedDict):
    """Why a work is related: what kind of thing it shares with the work, and which."""

    kind: ReasonKind
    shared: list[str]


class RelatedWork(TypedDict):
    work_id: str
    title: str
    year: int | None
    reasons: list[Reason]


def _names(payload: WorkPayload) -> list[str]:
    return [c["name"] for c in payload.get("contributors", []) if c["name"]][:3]


def _classes(payload: WorkPayload) -> list[str]:
    """Class numbers cut to their class (before the Cutter): "ML3506 .G5" -> "ML3506"."""
    numbers = [n for values in payload.get("classification", {}).values() for n in values]
    return list(dict.fromkeys(n.split(" ")[0].split(".")[0].strip() for n in numbers if n))[:3]


def _title_words(payload: WorkPayload) -> list[str]:
    words = analyze(" ".join([payload.get("title", ""), payload.get("subtitle", "")]))
    return list(dict.fromkeys(w for w in words if len(w) >= MIN_TITLE_WORD))[:6]


def _suggested(payload: WorkPayload) -> list[str]:
    """A work's machine-suggested headings, which stand in for catalogued ones it lacks."""
    return [row["heading"] for row in payload.get("suggested_subjects", [])]


def _query(payload: WorkPayload) -> Query | None:
    headings = payload.get("subjects", []) or _suggested(payload)
    clauses: list[Query] = [Phrase("subject", s) for s in headings[:10]]
    clauses += [Phrase("author", name) for name in _names(payload)]
    if payload.get("series"):
        clauses.append(Phrase("series", payload["series"]))
    clauses += [Phrase("other", number) for number in _classes(payload)]
    clauses += [Words("title", word) for word in _title_words(payload)]
    clauses = clauses[:MAX_QUERY_CLAUSES]
    return Or(tuple(clauses)) if clauses else None


def reasons(payload: WorkPayload, other: WorkPayload) -> list[Reason]:
    """What `other` shares with `payload`, strongest kind first."""
    found: list[Reason] = []

    def shared(kind: ReasonKind, mine: Sequence[str], theirs: Sequence[str], key=str.casefold):
        theirs_keys = {key(t) for t in theirs}
        common = [m for m in mine if key(m) in theirs_keys]
        if common:
            found.append({"kind": kind, "shared": list(dict.fromkeys(common))})

    shared("subjects", payload.get("subjects", []), other.get("subjects", []))
    if not payload.get("subjects"):  # said apart: a machine's headings, not a cataloguer's
        theirs = [*other.get("subjects", []), *_suggested(other)]
        shared("suggested_subjects", _suggested(payload), theirs)
    shared("authors", _names(payload), [c["name"] for c in other.get("contributors", [])])
    if payload.get("series"):
        shared("series", [payload["series"]], [other.get("series", "")], _series_key)
    shared("classification", _classes(payload), _classes(other))
    shared("title_words", _title_words(payload), _title_words(other))
    return found


def _series_key(series: str) -> str:
    return " ".join(analyze(series))


def more_like_this(
    engine: SearchEngine, payload: WorkPayload, limit: int = MAX_RELATED
) -> list[RelatedWork]:
    """Up to `limit` works like this one, best first, each with its reasons; other editions
    of the same title are left to `indexer.editions.other_editions`."""
    query = _query(payload)
    if query is None:
        return []
    request = SearchRequest(query=query, limit=RELATED_SAMPLE, fuzzy_fallback=False)
    family = edition_family(payload)
    related: list[RelatedWork] = []
    for hit in engine.search(request).hits:
        other = hit.payload
        if hit.work_id == payload["id"] or (family and edition_family(other) == family):
            continue
        why = reasons(payload, other)
        if why:
            related.append(
                {
                    "work_id": hit.work_id,
                    "title": other.get("title", ""),
                    "year": other.get("year"),
                    "reasons": why,
                }
            )
    related.sort(key=lambda r: (-_strength(r["reasons"]), r["title"], r["work_id"]))
    return related[:limit]


#: How much each kind of shared thing counts when ordering related works.
_WEIGHTS: dict[str, float] = {
    "subjects": 3.0,
    "suggested_subjects": 1.5,
    "series": 3.0,
    "authors": 2.0,
    "classification": 1.5,
    "title_words": 0.5,
}


def _strength(found: list[Reason]) -> float:
    return sum(_WEIGHTS[r["kind"]] * len(r["shared"]) for r in found)


class RequestedWork(TypedDict):
    work_id: str
    title: str
    year: int | None


def also_requested_works(
    engine: SearchEngine, state_db: Path, work_id: str, minimum: int
) -> list[RequestedWork]:
    """The works patrons who requested this one also requested (`ai.co_requests`): only pairs
    with at least `minimum` distinct requesters, only works still in the catalogue."""
    found: list[RequestedWork] = []
    for other_id in also_requested_in_state(state_db, work_id, minimum):
        other = engine.get(other_id)
        if other is not None:
            found.append({"work_id": other_id, "title": other["title"], "year": other["year"]})
    return found
