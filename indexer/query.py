"""Engine-neutral query and result types.

The web layer parses what a patron typed into these; each engine translates them into
its own query objects. Nothing a user typed ever reaches an engine as query syntax.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.payloads import WorkPayload

#: Fields a patron can search by name; "all" searches every text field with boosts.
SEARCH_FIELDS = ("all", "title", "author", "subject", "isbn", "publisher", "series")
#: Keyword fields that can be counted as facets and used as filters.
FACET_FIELDS = (
    "library",
    "format",
    "language",
    "decade",
    "subject_facet",
    #: catalogued and machine-suggested headings together: counted only when a patron asks
    "subject_facet_suggested",
    "availability",
    "available_at",
)
#: "author" sorts by the first author's name as analysed (works without one come last).
SORTS = ("relevance", "year_desc", "year_asc", "title", "author")


@dataclass(frozen=True)
class Words:
    """Every word of `text` must occur in `field` (in any order)."""

    field: str
    text: str


@dataclass(frozen=True)
class Phrase:
    """The words of `text` must occur next to each other, in order, in `field`."""

    field: str
    text: str


@dataclass(frozen=True)
class Prefix:
    """Every word of `text` must occur in `field`, the last one only as the start of a word.

    What a patron has typed so far into a search box ("kind of bl"): the autocomplete query.
    """

    field: str
    text: str


@dataclass(frozen=True)
class Fuzzy:
    """Each word of `text` must occur in `field` as itself or as a word a few edits away.

    The allowed distance grows with the word (see `engine.fuzzy_distance`). Used to find
    spelling corrections; the query parser never produces it.
    """

    field: str
    text: str


@dataclass(frozen=True)
class And:
    clauses: tuple[Query, ...]


@dataclass(frozen=True)
class Or:
    clauses: tuple[Query, ...]


@dataclass(frozen=True)
class Not:
    clause: Query


@dataclass(frozen=True)
class MatchAll:
    pass


Query = Words | Phrase | Prefix | Fuzzy | And | Or | Not | MatchAll


def positive_leaves(query: Query) -> list[Words | Phrase | Prefix | Fuzzy]:
    """The word and phrase clauses a matching document may contain (those not under a NOT).

    What highlighting marks and what spelling suggestions may correct.
    """
    if isinstance(query, And | Or):
        return [leaf for clause in query.clauses for leaf in positive_leaves(clause)]
    if isinstance(query, Not):
        return []
    if isinstance(query, MatchAll):
        return []
    return [query]


@dataclass
class SearchRequest:
    query: Query = field(default_factory=MatchAll)
    #: facet field -> accepted values; values of one field are ORed, fields are ANDed
    filters: dict[str, list[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    facets: tuple[str, ...] = ()
    facet_size: int = 10
    sort: str = "relevance"
    offset: int = 0
    limit: int = 10
    #: rank works held by this library first (then the rest by relevance)
    home_library: str | None = None
    #: when the words as typed find (almost) nothing, let them match near spellings too
    #: (engine.search_with_fallback); spelling suggestions count words without it
    fuzzy_fallback: bool = True


@dataclass
class Hit:
    work_id: str
    score: float
    payload: WorkPayload  # the stored display form of the work


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: the hits include works found by near spellings of the words (the fuzzy fallback)
    near_spellings: bool = False
    #: with near_spellings, how many works the words as typed found
    exact_total: int | None = None

    @property
    def total_as_typed(self) -> int:
        """How many works the words as typed find (near spellings aside)."""
        return (
            self.exact_total if self.near_spellings and self.exact_total is not None else self.total
        )
