"""Other editions of a work: works with the same title proper and the same first author.

Different editions are different works (their own ISBNs, years, edition statements keep them
apart in work matching, see indexer/matching.py); a patron looking at one still wants to see the
others. They are found through the `SearchEngine` interface with engine-neutral queries and
checked against the work's display values here, so both engines list the same ones.
"""

from __future__ import annotations

from typing import Any, cast

from indexer.engine import SearchEngine
from indexer.matching import first_word, title_proper_terms
from indexer.payloads import WorkPayload
from indexer.query import And, Phrase, SearchRequest, Words
from indexer.text import analyze
from indexer.transliterate import romanised_key

#: Works read when looking for other editions (titles shared by more works are rare).
EDITIONS_SAMPLE = 50
#: Other editions listed with a work, newest first.
MAX_OTHER_EDITIONS = 10


def first_author(payload: WorkPayload) -> str:
    """The romanised key of the first word of the first contributor's name, or "".

    The key (`indexer.transliterate.romanised_key`) is what Dostoevsky, Dostoyevsky,
    Dostoevskiĭ and Достоевский share, so editions that spell the name another way meet; a
    name without a key (CJK) is compared as analysed.
    """
    contributors = payload.get("contributors") or []
    word = first_word(contributors[0]["name"]) if contributors else ""
    return romanised_key(word) or word


def edition_family(payload: WorkPayload) -> tuple[str, str, str] | None:
    """What editions of one title share: title proper, part and first author. None when the
    work has no title or no author: "Poems" alone would gather unrelated works."""
    title, author = title_proper_terms(payload.get("title", "")), first_author(payload)
    if not title or not author:
        return None
    return " ".join(title), " ".join(analyze(payload.get("part", ""))), author


#: What tells two editions of one title apart, in the order a cataloguer looks.
_DIFFERENCES = (
    ("year", "year"),
    ("edition", "edition"),
    ("format", "format"),
    ("language", "language"),
    ("publisher", "publisher"),
    ("physical_description", "extent"),
    ("isbns", "ISBN"),
)


def why_apart(payload: WorkPayload, other: WorkPayload) -> str:
    """Why two works of one title are not one work, in words: "different year 1991 / 1978".

    Said from the works' display values (both engines give the same); "" when they show no
    difference (an operator split them, or the difference is in a field not shown here).
    """
    differences = []
    for field, label in _DIFFERENCES:
        ours, theirs = cast(dict, payload).get(field), cast(dict, other).get(field)
        if isinstance(ours, list):
            if ours and theirs and not set(ours) & set(theirs):
                differences.append(f"different {label} {ours[0]} / {theirs[0]}")
            continue
        if ours and theirs and str(ours).casefold() != str(theirs).casefold():
            differences.append(f"different {label} {ours} / {theirs}")
        elif bool(ours) != bool(theirs) and field in ("edition", "year"):
            differences.append(f"{label} {ours or theirs} on one only")
    return "; ".join(differences[:3])


def other_editions(engine: SearchEngine, payload: WorkPayload) -> list[dict[str, Any]]:
    """The other works of this work's edition family, newest first: id, title, edition, year,
    format and how many libraries hold each."""
    family = edition_family(payload)
    if family is None:
        return []
    title, _, author = family
    request = SearchRequest(
        And((Phrase("title", title), Words("author", author))),
        sort="year_desc",
        limit=EDITIONS_SAMPLE,
    )
    found = []
    for hit in engine.search(request).hits:
        other = hit.payload
        if hit.work_id == payload.get("id") or edition_family(other) != family:
            continue
        found.append(
            {
                "work_id": hit.work_id,
                "title": other.get("title", ""),
                "edition": other.get("edition", ""),
                "year": other.get("year"),
                "format": other.get("format", ""),
                "libraries": len({h["library_id"] for h in other.get("holdings", [])}),
                "why_apart": why_apart(payload, other),
            }
        )
    return found[:MAX_OTHER_EDITIONS]
