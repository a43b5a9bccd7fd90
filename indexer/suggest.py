"""What the catalogue can suggest for what a patron typed: spelling corrections, completions.

Both work through the `SearchEngine` interface with the engine-neutral `Fuzzy` and `Prefix`
queries, and pick their words from the display text of the works found, analysed by
`indexer.text` — so the two engines suggest the same words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from indexer.engine import SearchEngine, fuzzy_distance
from indexer.payloads import WorkPayload
from indexer.query import Fuzzy, Or, Prefix, SearchRequest, Words
from indexer.text import analyze, term_spans

#: Works read for candidate words (ordered by title, so both engines read the same ones).
CORRECTION_SAMPLE = 100
#: Candidate words whose exact number of works is counted before choosing one.
CANDIDATES_COUNTED = 3
#: Works read for completions (the most relevant first).
COMPLETION_SAMPLE = 50
#: Scripts below this code point spell words with letters; CJK terms are bigrams, not words.
_CJK_START = 0x2E80


@dataclass(frozen=True)
class Correction:
    """A word of the catalogue that may be what the patron meant by `term`."""

    term: str  # the analysed term the patron typed
    word: str  # the correction as the catalogue writes it, in lower case
    works: int  # how many works have it in the searched field


@dataclass(frozen=True)
class Completion:
    """A title or an author name that starts with, or contains, what the patron typed."""

    value: str
    field: str  # "title" or "author"
    works: int  # how many of the works read carry this value


def display_text(payload: WorkPayload, field: str) -> list[str]:
    """The display values of a work behind one searchable field (see documents.index_document)."""
    vernacular = payload.get("vernacular", {})
    sources = {
        "title": [
            payload["title"],
            payload.get("subtitle", ""),
            payload.get("part", ""),
            *vernacular.get("title", []),
        ],
        "author": [
            *(c["name"] for c in payload["contributors"]),
            payload.get("responsibility", ""),
            *vernacular.get("contributors", []),
        ],
        "subject": [*payload.get("subjects", []), *vernacular.get("subjects", [])],
        "other": [
            payload.get("publisher", ""),
            payload.get("place", ""),
            payload.get("edition", ""),
            *payload.get("notes", []),
        ],
    }
    if field == "all":
        return [value for values in sources.values() for value in values if value]
    return [value for value in sources.get(field, []) if value]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance where swapping two neighbouring letters is one edit (as the
    engines' fuzzy queries count)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def is_correctable(term: str) -> bool:
    """Only words of letters are corrected: not numbers, ISBNs, CJK bigrams or short words."""
    return term.isalpha() and all(ord(c) < _CJK_START for c in term) and fuzzy_distance(term) > 0


def works_with(engine: SearchEngine, field: str, term: str) -> int:
    """How many works have `term` in `field` (or one of its stems), near spellings aside."""
    return engine.search(SearchRequest(Words(field, term), limit=0, fuzzy_fallback=False)).total


def correction(engine: SearchEngine, field: str, term: str) -> Correction | None:
    """The catalogue word closest to `term` in `field`, if the catalogue lacks `term` there.

    A word the catalogue has is never corrected, however rare: a word held by one work is
    what a patron looking for that work types. Candidates are the words a few edits away in
    the works a fuzzy query finds; the closest wins, then the one in most works.
    """
    if not is_correctable(term):
        return None
    own = works_with(engine, field, term)
    if own > 0:
        return None
    sample = engine.search(
        SearchRequest(
            Fuzzy(field, term), sort="title", limit=CORRECTION_SAMPLE, fuzzy_fallback=False
        )
    ).hits
    allowed = fuzzy_distance(term)
    seen: Counter[str] = Counter()
    written: dict[str, Counter[str]] = {}
    for hit in sample:
        for text in display_text(hit.payload, field):
            for start, end, candidate in term_spans(text):
                if candidate == term or not candidate.isalpha():
                    continue
                if abs(len(candidate) - len(term)) > allowed:
                    continue
                seen[candidate] += 1
                written.setdefault(candidate, Counter())[text[start:end].lower()] += 1
    near = sorted((edit_distance(term, c), -n, c) for c, n in seen.items())
    closest = [(d, c) for d, _, c in near if d <= allowed][:CANDIDATES_COUNTED]
    counted = sorted((d, -works_with(engine, field, c), c) for d, c in closest)
    for _, minus_works, candidate in counted:
        if -minus_works > own:
            word = written[candidate].most_common(1)[0][0]
            return Correction(term, word, -minus_works)
    return None


def completions(engine: SearchEngine, typed: str, limit: int) -> list[Completion]:
    """Titles and author names for what a patron has typed so far ("kind of bl").

    Values that begin with the typed words come first, then values that contain them; within
    each, values carried by more works first, then alphabetical order.
    """
    terms = analyze(typed)
    if not terms:
        return []
    query = Or((Prefix("title", typed), Prefix("author", typed)))
    hits = engine.search(SearchRequest(query, limit=COMPLETION_SAMPLE)).hits
    found: dict[tuple[str, str], _Candidate] = {}
    for hit in hits:
        for field, values in _completable(hit.payload):
            for value in dict.fromkeys(v.strip() for v in values if v.strip()):
                value_terms = analyze(value)
                fit = _fit(value_terms, terms)
                if fit is not None:
                    key = (field, " ".join(value_terms))
                    found.setdefault(key, _Candidate(fit, value, field)).works += 1
    ranked = sorted(found.values(), key=_Candidate.rank)
    return [Completion(c.value, c.field, c.works) for c in ranked[:limit]]


@dataclass
class _Candidate:
    fit: int
    value: str
    field: str
    works: int = 0

    def rank(self) -> tuple:
        return (self.fit, -self.works, self.value.casefold(), self.field)


def _completable(payload: WorkPayload) -> list[tuple[str, list[str]]]:
    """The values autocomplete offers from one work: its titles and its contributors' names."""
    titles = [payload["title"], *payload.get("vernacular", {}).get("title", [])]
    return [("title", titles), ("author", [c["name"] for c in payload["contributors"]])]


def _fit(value_terms: list[str], typed: list[str]) -> int | None:
    """0 when the value begins with the typed words, 1 when it contains them, else None."""
    *complete, start = typed
    head = len(complete)
    if value_terms[:head] == complete and len(value_terms) > head:
        if value_terms[head].startswith(start):
            return 0
    if all(t in value_terms for t in complete) and any(v.startswith(start) for v in value_terms):
        return 1
    return None
