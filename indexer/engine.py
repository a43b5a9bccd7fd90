"""One small search-engine interface, two engines (tantivy embedded, Elasticsearch).

An engine stores one `IndexDocument` per work. What a query *means* (analysis, field
boosts, how words combine) is decided once here, in `QueryCompiler`; an engine only
supplies the primitive query objects of its own library.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar, cast

from indexer import query as q
from indexer.cjk import has_cjk
from indexer.hanzi import word_terms
from indexer.payloads import WorkPayload
from indexer.stemming import query_stem_terms
from indexer.text import analyze
from indexer.transliterate import romanised_key

#: Full-text fields and their weight when a patron searches all fields.
#: A machine-suggested heading (`ai`) counts this share of a catalogued heading's weight, in
#: an all-field search and in a ``subject:`` search alike.
SUGGESTED_SUBJECT_SHARE = 0.25
TEXT_FIELDS = {
    "title": 4.0,
    "author": 3.0,
    "subject": 2.0,
    "isbn": 1.0,
    "other": 1.0,
    "suggested_subject": 2.0 * SUGGESTED_SUBJECT_SHARE,
}
#: A field searched by name that also looks, at a lower weight, in another field.
ALSO_SEARCHED = {"subject": {"suggested_subject": SUGGESTED_SUBJECT_SHARE}}
#: Beside each word field, its loose field: the stems (in the record's language) and the
#: romanised keys of its words, where they differ from the words (documents.loose_terms).
LOOSE_FIELDS = {name: f"{name}_loose" for name in ("title", "author", "subject", "other")}
#: Fields searched only by name (``publisher:``, ``series:``); an all-field search finds
#: their words in "other".
FIELDED_TEXT_FIELDS = ("publisher", "series")
#: Every analysed text field an engine indexes (whitespace-separated terms).
INDEXED_TEXT_FIELDS = (*TEXT_FIELDS, *LOOSE_FIELDS.values(), *FIELDED_TEXT_FIELDS)
#: A keyword field holding each title of a work as one value (its terms joined by spaces):
#: what lets "the title is what was typed" and "the title starts with it" rank first.
TITLE_KEY = "title_key"
#: A keyword field holding every start of each title key that ends before a word of it
#: ("the", "the jazz" for "the jazz age"): "the title starts with what was typed" is one term
#: lookup, where a prefix search of TITLE_KEY walked every title with that start.
TITLE_START = "title_start"
#: Starts of at most this many words are indexed; a longer query finds its title starts
#: by a prefix search of TITLE_KEY (the same works, found more slowly).
TITLE_START_WORDS = 12
#: Every keyword field an engine indexes: the facets and the title keys.
KEYWORD_FIELDS = (*q.FACET_FIELDS, TITLE_KEY, TITLE_START)
#: Longest title key kept (a term must stay well below the engines' limits).
TITLE_KEY_LENGTH = 500
#: A stem or a romanised key scores this share of the exact word's field weight, as a
#: constant (no term statistics), so in each field a work with the word as typed ranks
#: above a work with only its other forms (which add this little to the exact match's).
LOOSE_WEIGHT = 0.3
#: Score of a work whose title is exactly what was typed, and of one whose title starts
#: with it: more than the words' own scores, less than HOME_LIBRARY_BOOST.
TITLE_EQUALS_BOOST = 60.0
TITLE_STARTS_BOOST = 30.0
#: Score of each Chinese dictionary word of a query found whole in a field, per field weight
#: (the loose fields hold the words, see indexer.hanzi).
WORD_WEIGHT = 1.0
#: Score of each word found only as a near spelling (the fuzzy fallback), per field weight.
FUZZY_WEIGHT = 0.1
#: A search whose words as typed find at most this many works is run again with every word
#: also matching words a few edits away (`fuzzy_distance`), those ranked below exact ones.
#: Nothing, so far: one found work is most often the one looked for (a known item), and a
#: search that finds something stays one request to the engine.
FUZZY_FALLBACK_AT_MOST = 0
#: The query words (analysed tokens) that may also match near spellings in a search.
NearWords = frozenset[str]
#: The fewest CJK bigrams in a run (five characters) that the fallback reads past a slipped
#: character in: in a shorter one, what is left would find too much.
SLIP_RUN = 4
#: Score added to works held by the patron's home library: larger than any text score,
#: so those works come first and relevance orders each group.
HOME_LIBRARY_BOOST = 1000.0


def fuzzy_distance(token: str) -> int:
    """How many edits a fuzzy match allows: none under 3 letters, 1 up to 5, then 2.

    Elasticsearch's AUTO fuzziness, decided here so both engines allow the same distance.
    """
    length = len(token)
    return 0 if length < 3 else 1 if length < 6 else 2


class EngineError(Exception):
    """An engine failed to do what was asked."""


class EngineUnavailable(EngineError):
    """The engine cannot be reached (server down, index missing or locked)."""


@dataclass
class IndexDocument:
    """What an engine stores for one work."""

    work_id: str
    #: TEXT_FIELDS name -> analysed tokens (from indexer.text.analyze)
    text: dict[str, list[str]]
    #: query.FACET_FIELDS name -> exact values
    keywords: dict[str, list[str]] = field(default_factory=dict)
    year: int | None = None
    sort_title: str = ""
    #: the first author's name as analysed; "" (sorted last) for a work without one
    sort_author: str = ""
    #: the display form of the work, returned as is in search hits
    payload: WorkPayload = field(default_factory=lambda: cast(WorkPayload, {}))


Q = TypeVar("Q")


class QueryCompiler(ABC, Generic[Q]):
    """Turns our query types into an engine's query objects through a few primitives."""

    # -- primitives an engine supplies -------------------------------------------------
    @abstractmethod
    def term(self, field_name: str, token: str, boost: float = 1.0) -> Q: ...

    @abstractmethod
    def phrase(self, field_name: str, tokens: list[str], boost: float = 1.0) -> Q: ...

    @abstractmethod
    def prefix(self, field_name: str, start: str, boost: float = 1.0) -> Q:
        """Documents with a term in `field_name` that starts with `start` (constant score)."""

    @abstractmethod
    def fuzzy(self, field_name: str, token: str, distance: int) -> Q:
        """Documents with a term at most `distance` edits from `token`, counting a
        transposition of two neighbouring letters as one edit and leaving no prefix fixed."""

    @abstractmethod
    def all(self) -> Q: ...

    @abstractmethod
    def nothing(self) -> Q: ...

    @abstractmethod
    def boolean(self, must: list[Q], should: list[Q], must_not: list[Q]) -> Q:
        """Documents matching every `must` (or, with no `must`, at least one `should`),
        none of `must_not`; `should` adds to the score."""

    @abstractmethod
    def keyword_in(self, field_name: str, values: list[str]) -> Q: ...

    @abstractmethod
    def year_between(self, low: int | None, high: int | None) -> Q: ...

    @abstractmethod
    def constant(self, inner: Q, score: float) -> Q: ...

    # -- shared meaning -----------------------------------------------------------------
    def compile(self, node: q.Query, near: NearWords = frozenset(), ranked: bool = True) -> Q:
        """The engine query of `node`; the words in `near` also match near spellings.

        `ranked=False` leaves out what only orders the works and never changes which match
        (the title-equals and title-starts boosts): the query facets are counted by.
        """
        if isinstance(node, q.MatchAll):
            return self.all()
        if isinstance(node, q.Words):
            return self._words(node, near, ranked)
        if isinstance(node, q.Phrase):
            return self._phrase(node, ranked)
        if isinstance(node, q.Prefix):
            return self._prefix(node)
        if isinstance(node, q.Fuzzy):
            return self._fuzzy(node)
        if isinstance(node, q.And):
            positives = [c for c in node.clauses if not isinstance(c, q.Not)]
            negatives = [c.clause for c in node.clauses if isinstance(c, q.Not)]
            must = [self.compile(c, near, ranked) for c in positives] or [self.all()]
            return self.boolean(must, [], [self.compile(c, ranked=False) for c in negatives])
        if isinstance(node, q.Or):
            return self.boolean([], [self.compile(c, near, ranked) for c in node.clauses], [])
        if isinstance(node, q.Not):
            return self.boolean([self.all()], [], [self.compile(node.clause, ranked=False)])
        raise TypeError(f"not a query node: {node!r}")

    def _fields(self, field_name: str) -> dict[str, float]:
        if field_name == "all":
            return TEXT_FIELDS
        if field_name not in TEXT_FIELDS and field_name not in FIELDED_TEXT_FIELDS:
            raise ValueError(f"unknown search field {field_name!r}")
        return {field_name: 1.0, **ALSO_SEARCHED.get(field_name, {})}

    def _words(self, node: q.Words, near: NearWords = frozenset(), ranked: bool = True) -> Q:
        """Every word, each as typed, by its stems or romanised key, or (`near`) a near
        spelling; (`ranked`) a title equal to the words, or starting with them, scores most."""
        fields = self._fields(node.field)
        tokens = analyze(node.text)
        per_token = {token: self._word(fields, token, near) for token in tokens}
        readings = slip_readings(tokens, near)
        query = self._every([per_token[t] for t in readings[0]])
        if len(readings) > 1:
            query = self.boolean([], [self._every([per_token[t] for t in r]) for r in readings], [])
        if not ranked or not tokens:
            return query
        boosts = self._title_boosts(tokens) if node.field in ("all", "title") else []
        boosts += self._whole_words(fields, tokens)
        return self.boolean([query], boosts, []) if boosts else query

    def _title_boosts(self, tokens: list[str]) -> list[Q]:
        """A title equal to the words scores most, one starting with them next."""
        key = " ".join(tokens)
        if len(key) > TITLE_KEY_LENGTH:
            return []
        starts = (
            self.constant(self.term(TITLE_START, key), TITLE_STARTS_BOOST)
            if len(tokens) <= TITLE_START_WORDS
            else self.prefix(TITLE_KEY, key + " ", TITLE_STARTS_BOOST)
        )
        return [self.constant(self.term(TITLE_KEY, key), TITLE_EQUALS_BOOST), starts]

    def _whole_words(self, fields: dict[str, float], tokens: list[str]) -> list[Q]:
        """Each Chinese dictionary word of the query (indexer.hanzi) that a field has whole
        adds WORD_WEIGHT of its weight: the bigrams decide what matches, the words which
        of those works put the query's words where the title has them."""
        return [
            self.constant(self.term(LOOSE_FIELDS[f], term), boost * WORD_WEIGHT)
            for term in word_terms(tokens)
            for f, boost in fields.items()
            if f in LOOSE_FIELDS
        ]

    def _word(self, fields: dict[str, float], token: str, near: NearWords) -> Q:
        """One query word in any of `fields`: exact first, then its other forms."""
        options = [self.term(f, token, boost) for f, boost in fields.items()]
        key = romanised_key(token)
        loose = [*query_stem_terms(token), *([key] if key else [])]
        for f, boost in fields.items():
            if f not in LOOSE_FIELDS:
                continue
            weight = boost * LOOSE_WEIGHT
            if loose:  # one clause per field: any of the forms scores the same
                forms = [self.term(LOOSE_FIELDS[f], form) for form in loose]
                options.append(self.constant(self.boolean([], forms, []), weight))
            if key and key != token:
                options.append(self.constant(self.term(f, key), weight))
        distance = fuzzy_distance(token) if token in near and token.isalpha() else 0
        if distance:
            options += [
                self.constant(self.fuzzy(f, token, distance), boost * FUZZY_WEIGHT)
                for f, boost in fields.items()
            ]
        return self.boolean([], options, [])

    def _any_field(self, fields: dict[str, float], primitive) -> Q:
        """One token in any of `fields`: primitive(field, boost) per field, ORed."""
        return self.boolean([], [primitive(f, boost) for f, boost in fields.items()], [])

    def _every(self, per_token: list[Q]) -> Q:
        if not per_token:
            return self.nothing()
        return per_token[0] if len(per_token) == 1 else self.boolean(per_token, [], [])

    def _prefix(self, node: q.Prefix) -> Q:
        tokens = analyze(node.text)
        if not tokens:
            return self.nothing()
        fields = self._fields(node.field)
        *complete, start = tokens
        per_token = [
            self._any_field(fields, lambda f, b, t=t: self.term(f, t, b)) for t in complete
        ]
        per_token.append(self._any_field(fields, lambda f, b: self.prefix(f, start, b)))
        return self._every(per_token)

    def _fuzzy(self, node: q.Fuzzy) -> Q:
        fields = self._fields(node.field)

        def near(field_name: str, token: str) -> Q:
            distance = fuzzy_distance(token)
            return (
                self.fuzzy(field_name, token, distance)
                if distance
                else self.term(field_name, token)
            )

        return self._every(
            [self._any_field(fields, lambda f, b, t=t: near(f, t)) for t in analyze(node.text)]
        )

    def _phrase(self, node: q.Phrase, ranked: bool = True) -> Q:
        tokens = analyze(node.text)
        if not tokens:
            return self.nothing()
        fields = self._fields(node.field)
        if len(tokens) == 1:
            return self._words(q.Words(node.field, node.text), ranked=ranked)
        return self.boolean([], [self.phrase(f, tokens, b) for f, b in fields.items()], [])

    def facet_filters(
        self, request: q.SearchRequest, *, except_filter: str | None = None
    ) -> list[Q]:
        """The request's facet filters, each scoring nothing; `except_filter` leaves one out."""
        filters = []
        for facet, values in request.filters.items():
            if facet == except_filter:
                continue
            if facet not in q.FACET_FIELDS:
                raise ValueError(f"unknown filter field {facet!r}")
            if values:
                filters.append(self.constant(self.keyword_in(facet, list(values)), 0.0))
        return filters

    def request(
        self,
        request: q.SearchRequest,
        *,
        except_filter: str | None = None,
        with_facet_filters: bool = True,
        near: NearWords = frozenset(),
        ranked: bool = True,
    ) -> Q:
        """The whole query of a search request: text, filters, year range, home library.

        `except_filter` leaves one facet's filter out, for counting that facet's other values;
        `with_facet_filters=False` leaves them all out, for an engine that applies them after
        counting facets (Elasticsearch's post_filter). Neither changes the scores. The words in
        `near` match near spellings too (the fuzzy fallback, see `search_with_fallback`).
        `ranked=False` leaves out every clause that only adds to the score (title and home
        library boosts): the same works match, for counting facets, which need no order.
        """
        must = [self.compile(request.query, near, ranked)]
        if with_facet_filters:
            must += self.facet_filters(request, except_filter=except_filter)
        if request.year_from is not None or request.year_to is not None:
            must.append(self.constant(self.year_between(request.year_from, request.year_to), 0.0))
        should = []
        if ranked and request.home_library:
            held = self.keyword_in("library", [request.home_library])
            should.append(self.constant(held, HOME_LIBRARY_BOOST))
        return self.boolean(must, should, []) if len(must) > 1 or should else must[0]


def _bigram_runs(tokens: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each run of CJK bigrams one character apart (`abc` gave `ab`, `bc`)
    among `tokens`, long enough (SLIP_RUN bigrams) for a slip to be read past."""
    runs, start = [], 0
    for i in range(1, len(tokens) + 1):
        chained = (
            i < len(tokens)
            and _is_cjk_bigram(tokens[i - 1])
            and _is_cjk_bigram(tokens[i])
            and tokens[i - 1][1] == tokens[i][0]
        )
        if not chained:
            if i - start >= SLIP_RUN and _is_cjk_bigram(tokens[start]):
                runs.append((start, i))
            start = i
    return runs


def _is_cjk_bigram(token: str) -> bool:
    return len(token) == 2 and has_cjk(token)


def slip_readings(tokens: list[str], near: NearWords) -> list[list[str]]:
    """The token lists a work may match in place of `tokens`: `tokens` itself, and, for each
    run of CJK bigrams whose every bigram is in `near` (the fallback), the run read without
    one of its characters (the one or two bigrams that touch it).

    That finds a title typed with one character doubled, left out, or chosen wrongly by the
    input method (each breaks only the bigrams touching one character), the way a near
    spelling finds a word of letters with one edit.
    """
    readings = [tokens]
    for start, end in _bigram_runs(tokens):
        if not all(t in near for t in tokens[start:end]):
            continue
        for char in range(start, end + 1):  # the run's characters: bigram k holds k and k+1
            skip = {char - 1, char} & set(range(start, end))
            readings.append([t for k, t in enumerate(tokens) if k not in skip])
    return readings


def slip_tokens(query: q.Query) -> NearWords:
    """The CJK bigrams of `query` (not under a NOT) in runs a slip may be read past."""
    found: set[str] = set()
    for leaf in q.positive_leaves(query):
        if isinstance(leaf, q.Words):
            tokens = analyze(leaf.text)
            for start, end in _bigram_runs(tokens):
                found.update(tokens[start:end])
    return frozenset(found)


def near_spelling_words(query: q.Query) -> list[q.Words]:
    """The words of `query` (each with its field) that the fuzzy fallback could match by a
    near spelling: words of letters long enough to allow an edit, not under a NOT."""
    found: dict[q.Words, None] = {}
    for leaf in q.positive_leaves(query):
        if isinstance(leaf, q.Words):
            for token in analyze(leaf.text):
                if fuzzy_distance(token) and token.isalpha():
                    found[q.Words(leaf.field, token)] = None
    return list(found)


def search_with_fallback(
    run: Callable[[q.SearchRequest, NearWords], q.SearchResult], request: q.SearchRequest
) -> q.SearchResult:
    """`run(request, near=frozenset())`; when that finds at most FUZZY_FALLBACK_AT_MOST works,
    the same request with near spellings, if it finds more (`SearchResult.near_spellings`).

    Near spellings are allowed first only for the words that find nothing on their own (a
    word the catalogue has is most likely spelt as meant, and each near-spelt word costs the
    engine a walk of its term dictionaries); when every word is found, or that finds nothing,
    for every word. CJK text, which has no near spellings, is read past one slipped
    character in that last pass (`slip_readings`).
    """
    exact = run(request, frozenset())
    if not request.fuzzy_fallback or exact.total > FUZZY_FALLBACK_AT_MOST:
        return exact
    words = near_spelling_words(request.query)
    slips = slip_tokens(request.query)
    if not words and not slips:
        return exact
    every = frozenset(w.text for w in words) | slips
    missing = frozenset(w.text for w in words if _finds_nothing(run, w))
    near = run(request, missing) if missing and missing != every else None
    if near is None or near.total <= exact.total:
        near = run(request, every)
    if near.total <= exact.total:
        return exact
    return replace(near, near_spellings=True, exact_total=exact.total)


def _finds_nothing(
    run: Callable[[q.SearchRequest, NearWords], q.SearchResult], word: q.Words
) -> bool:
    """Whether one word, as typed or by its other forms, is in no work at all."""
    return run(q.SearchRequest(word, limit=0, fuzzy_fallback=False), frozenset()).total == 0


def facet_groups(request: q.SearchRequest) -> list[tuple[str | None, list[str]]]:
    """Which facets can be counted together.

    Values inside one facet are ORed, so a facet that is filtered is counted without its own
    filter (a patron sees the other values they could add); the rest share one count.
    Returns (filter to leave out or None, facets) pairs.
    """
    filtered = [f for f in request.facets if request.filters.get(f)]
    plain = [f for f in request.facets if not request.filters.get(f)]
    groups: list[tuple[str | None, list[str]]] = [(f, [f]) for f in filtered]
    if plain:
        groups.append((None, plain))
    return groups


class SearchEngine(ABC):
    """The interface every engine implements; see tests/test_engine_conformance.py."""

    name: str = "engine"

    @abstractmethod
    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        """Add or replace documents (by work_id). Visible after `commit`."""

    @abstractmethod
    def delete(self, work_ids: Sequence[str]) -> None:
        """Remove documents by work_id; unknown ids are ignored. Visible after `commit`."""

    @abstractmethod
    def commit(self) -> None:
        """Make every change so far durable and visible to searches."""

    @abstractmethod
    def search(self, request: q.SearchRequest) -> q.SearchResult: ...

    @abstractmethod
    def get(self, work_id: str) -> WorkPayload | None:
        """The stored payload of one work, or None."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def clear(self) -> None:
        """Remove every document at once (tests, and starting over)."""

    @abstractmethod
    def drop(self) -> None:
        """Delete the index itself, for good (tests, and retiring an index); call only
        `close` afterwards."""

    @abstractmethod
    def begin_rebuild(self) -> None:
        """Start a full rebuild: the documents upserted from now on replace every document
        at the next `commit`, all at once; until then searches see the old ones."""

    @abstractmethod
    def abort_rebuild(self) -> None:
        """Give up a rebuild begun with `begin_rebuild`: the old documents stay."""

    def close(self) -> None:
        """Release files, locks and connections."""
