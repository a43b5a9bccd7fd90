"""CQL, the query language of SRU, turned into fedcat's engine-neutral query.

Parsed by `cql-parser` (CQL 1.2, with CQL 2.0's ``sortBy``); what it yields is mapped onto
`indexer.query`, so a CQL query means what the same search means on the search page. Every
refusal is an `SruDiagnostic` with the SRU number a client expects.

Indexes (``dc.``, ``bath.``, ``rec.``, ``fedcat.`` prefixes; unprefixed names work too):

- ``cql.serverChoice`` (and a bare term): every field; ``cql.allRecords``: everything
- ``dc.title``, ``dc.creator`` (``dc.author``), ``dc.subject``, ``dc.publisher``
- ``bath.isbn``, ``bath.issn``
- ``rec.identifier``: a work id; ``fedcat.library`` / ``fedcat.availableAt``: works held by
  a library (available there), ANDed with the rest of the query (not under OR or NOT)

Relations: ``=`` and ``all`` (every word), ``any`` (one of the words), ``adj`` and ``==``
(the words as a phrase); ``exact`` for identifiers and libraries. A term may end in ``*``
(the last word as a prefix). Booleans ``and``, ``or``, ``not``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import cql
from cql.parser import CQLSearchClause, CQLSortSpec, CQLTriple

from indexer import query as q
from outward.diagnostics import SruDiagnostic

MAX_QUERY_LENGTH = 2000
MAX_CLAUSES = 50
MAX_TERM_LENGTH = 300

#: CQL index (lower case, prefix optional) -> fedcat search field.
TEXT_INDEXES = {
    "cql.serverchoice": "all", "serverchoice": "all", "cql.anywhere": "all",
    "dc.title": "title", "title": "title",
    "dc.creator": "author", "dc.author": "author", "creator": "author", "author": "author",
    "dc.subject": "subject", "subject": "subject",
    "dc.publisher": "publisher", "publisher": "publisher",
    "bath.isbn": "isbn", "isbn": "isbn", "bath.issn": "isbn", "issn": "isbn",
}  # fmt: skip
#: Indexes that filter by a holding library's id -> the facet they filter.
LIBRARY_INDEXES = {
    "fedcat.library": "library", "library": "library",
    "fedcat.availableat": "available_at", "availableat": "available_at",
}  # fmt: skip
ID_INDEXES = ("rec.identifier", "identifier")
ALL_RECORDS = ("cql.allrecords", "allrecords")
WORD_RELATIONS = ("=", "all", "any", "adj", "==")
EXACT_RELATIONS = ("=", "==", "exact", "any")
#: sort key (lower case) -> fedcat sort when ascending, when descending (None: refused)
SORT_KEYS: dict[str, tuple[str, str | None]] = {
    "dc.title": ("title", None), "title": ("title", None),
    "dc.creator": ("author", None), "creator": ("author", None), "author": ("author", None),
    "dc.date": ("year_asc", "year_desc"), "date": ("year_asc", "year_desc"),
    "year": ("year_asc", "year_desc"),
    "cql.relevance": ("relevance", "relevance"), "relevance": ("relevance", "relevance"),
}  # fmt: skip

logging.getLogger("cql").setLevel(logging.CRITICAL)  # the parser logs every syntax error


@dataclass
class CqlSearch:
    """What a CQL query asks for, in fedcat's terms."""

    query: q.Query = field(default_factory=q.MatchAll)
    filters: dict[str, list[str]] = field(default_factory=dict)
    #: rec.identifier: only these works (None: any)
    work_ids: list[str] | None = None
    #: the query's own sortBy, as a fedcat sort (None: none given)
    sort: str | None = None


def parse_cql(text: str) -> CqlSearch:
    """The fedcat search a CQL query means; `SruDiagnostic` for what cannot be searched."""
    if len(text) > MAX_QUERY_LENGTH:
        raise SruDiagnostic(10, f"the query is longer than {MAX_QUERY_LENGTH} characters")
    if not text.strip():
        raise SruDiagnostic(10, "the query is empty")
    try:
        parsed = cql.parse(text)
    except RecursionError:
        raise SruDiagnostic(10, "the query is nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - the parser's errors have no common base
        raise SruDiagnostic(10, str(exc)[:200] or "the query cannot be parsed") from None
    if parsed is None:
        raise SruDiagnostic(10, "the query cannot be parsed")
    root = parsed.root
    search = CqlSearch()
    clauses = _count_clauses(root)
    if clauses > MAX_CLAUSES:
        raise SruDiagnostic(38, f"at most {MAX_CLAUSES} search clauses")
    search.sort = sort_of(root.sortSpecs) if root.sortSpecs else None
    conjuncts = list(_conjuncts(root))
    rest: list[q.Query] = []
    for node in conjuncts:
        if isinstance(node, CQLSearchClause) and _index(node) in LIBRARY_INDEXES:
            facet = LIBRARY_INDEXES[_index(node)]
            _relation(node, EXACT_RELATIONS)
            search.filters.setdefault(facet, []).extend(_term(node).split())
        elif isinstance(node, CQLSearchClause) and _index(node) in ID_INDEXES:
            _relation(node, EXACT_RELATIONS)
            ids = _term(node).split()
            search.work_ids = (
                ids if search.work_ids is None else [i for i in search.work_ids if i in ids]
            )
        else:
            rest.append(_translate(node))
    if rest:
        search.query = rest[0] if len(rest) == 1 else q.And(tuple(rest))
    return search


def _count_clauses(node) -> int:
    if isinstance(node, CQLTriple):
        return _count_clauses(node.left) + _count_clauses(node.right)
    return 1


def _conjuncts(node):
    """The parts of the query ANDed at its top (library and id clauses may only be there)."""
    if isinstance(node, CQLTriple) and _boolean(node) == "and":
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _boolean(node: CQLTriple) -> str:
    operator = node.operator
    if operator.modifiers:
        raise SruDiagnostic(46, str(operator.modifiers[0]))
    value = str(operator.value).lower()
    if value not in ("and", "or", "not"):
        raise SruDiagnostic(37, value)
    return value


def _translate(node) -> q.Query:
    if isinstance(node, CQLTriple):
        operator = _boolean(node)
        left, right = _translate(node.left), _translate(node.right)
        if operator == "and":
            return q.And((left, right))
        if operator == "or":
            return q.Or((left, right))
        return q.And((left, q.Not(right)))
    index = _index(node)
    if index in LIBRARY_INDEXES or index in ID_INDEXES:
        raise SruDiagnostic(48, f"{index} only ANDed with the rest of the query")
    if index in ALL_RECORDS:
        return q.MatchAll()
    if index not in TEXT_INDEXES:
        raise SruDiagnostic(16, index)
    return _text_clause(TEXT_INDEXES[index], _relation(node, WORD_RELATIONS), _term(node))


def _index(node: CQLSearchClause) -> str:
    return str(node.index).lower() if node.index is not None else "cql.serverchoice"


def _relation(node: CQLSearchClause, allowed: tuple[str, ...]) -> str:
    relation = node.relation
    if relation is None:
        return "="
    if relation.modifiers:
        raise SruDiagnostic(20, str(relation.modifiers[0]))
    comparitor = str(relation.comparitor).lower()
    if comparitor not in allowed:
        raise SruDiagnostic(19, comparitor)
    return comparitor


_ESCAPED = re.compile(r"\\(.)")


def _term(node: CQLSearchClause) -> str:
    term = str(node.term)
    if len(term) > MAX_TERM_LENGTH:
        raise SruDiagnostic(23, str(MAX_TERM_LENGTH))
    if not term.strip():
        raise SruDiagnostic(27, "")
    if "^" in _ESCAPED.sub("", term):
        raise SruDiagnostic(31, "^")
    return term


def _text_clause(field_name: str, relation: str, term: str) -> q.Query:
    unescaped = _ESCAPED.sub("", term)
    masked = unescaped.rstrip().endswith("*")
    if "?" in unescaped or "*" in unescaped.rstrip().rstrip("*"):
        raise SruDiagnostic(28, "only a * at the end of a term")
    text = _ESCAPED.sub(r"\1", term).rstrip().rstrip("*") if masked else _ESCAPED.sub(r"\1", term)
    if field_name == "isbn":
        text = re.sub(r"(?<=[0-9Xx])[- ](?=[0-9Xx])", "", text)
    if masked:
        return q.Prefix(field_name, text)
    if relation in ("adj", "=="):
        return q.Phrase(field_name, text)
    if relation == "any":
        words = text.split()
        return (
            q.Or(tuple(q.Words(field_name, w) for w in words))
            if len(words) > 1
            else (q.Words(field_name, text))
        )
    return q.Words(field_name, text)


def sort_of(specs: list[CQLSortSpec]) -> str:
    """The fedcat sort of CQL sortBy keys (one key: fedcat sorts by one)."""
    if len(specs) > 1:
        raise SruDiagnostic(84, "1")
    [spec] = specs
    descending = False
    for modifier in spec.modifiers or []:
        name = str(modifier.name).lower()
        if name in ("sort.descending", "descending"):
            descending = True
        elif name not in ("sort.ascending", "ascending", "sort.ignorecase", "ignorecase"):
            raise SruDiagnostic(88, name)
    return sort_key(str(spec.index), descending)


def sort_key(index: str, descending: bool) -> str:
    choice = SORT_KEYS.get(index.lower())
    if choice is None:
        raise SruDiagnostic(88, index)
    ascending_sort, descending_sort = choice
    if descending and descending_sort is None:
        raise SruDiagnostic(90, f"{index} descending")
    return descending_sort if descending and descending_sort else ascending_sort


def sort_keys_parameter(value: str) -> str | None:
    """The fedcat sort of SRU 1.2's ``sortKeys`` ("path,schema,ascending,..." per key)."""
    keys = value.split()
    if not keys:
        return None
    if len(keys) > 1:
        raise SruDiagnostic(84, "1")
    parts = keys[0].split(",")
    ascending = parts[2] if len(parts) > 2 else "1"
    if ascending not in ("", "0", "1"):
        raise SruDiagnostic(90, ascending)
    return sort_key(parts[0], descending=ascending == "0")
