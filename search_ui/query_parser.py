"""What a patron types in the search box, parsed into `indexer.query` types.

The syntax is the one VuFind and Blacklight patrons know:

- plain words, all of which must match: ``crime punishment``
- ``"quoted phrases"``; “typographic quotes” work too
- fields ``title:``, ``author:``, ``subject:``, ``isbn:`` (``issn:`` is the same field),
  ``publisher:``, ``series:`` (any case) before a word, a phrase or a parenthesised group:
  ``title:hobbit``, ``author:"le guin"``, ``subject:(war peace)``.
  Any other ``word:`` is plain text, so ``Star Wars: a new hope`` searches those words.
- ``AND``, ``OR``, ``NOT`` in upper case are operators (lower-case ``and`` / ``or`` / ``not`` are
  words); a leading ``-`` means NOT; parentheses group, up to 10 deep. NOT binds tightest, then
  AND, then OR; adjacent terms are ANDed.
- an ISBN with hyphens (``978-0-14-044913-6``) is one term, searched without its hyphens.

Error policy: *recover* from anything a patron may plausibly mistype, and raise `BadQuery` only
for queries too big to run. So an unbalanced quote is closed at the end of the query, an
unmatched ``)`` is ignored and a missing ``)`` is added at the end, a dangling operator or field
prefix (``AND crime``, ``crime OR``, ``NOT``, ``title:``) is dropped, and words or phrases with
no letters or digits (``&``, ``...``) are dropped. A query that is empty after that means
"everything" (`MatchAll`). `BadQuery` is raised for more than `MAX_QUERY_LENGTH` characters,
more than `MAX_TERMS` words and phrases, or parentheses nested deeper than `MAX_DEPTH`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from indexer.query import And, MatchAll, Not, Or, Phrase, Query, Words
from indexer.text import IGNORED_CHARACTERS, analyze, join_divided_cjk

MAX_QUERY_LENGTH = 500
MAX_TERMS = 50
MAX_DEPTH = 10

#: Field prefixes a patron can type (-> the field searched); anything else before a colon is
#: plain text.
FIELD_PREFIXES = {
    "title": "title",
    "author": "author",
    "subject": "subject",
    "isbn": "isbn",
    "issn": "isbn",  # ISSNs are indexed with the ISBNs
    "publisher": "publisher",
    "series": "series",
}
_OPERATORS = {"AND": "and", "OR": "or", "NOT": "not"}
_QUOTES = '"“”„'
_BREAKS = _QUOTES + "()"
#: An ISBN-10 or ISBN-13 written with hyphens or spaces between its digits.
_ISBN = re.compile(r"(?:\d[- ]?){9}[\dXx]|(?:\d[- ]?){12}\d")


class BadQuery(ValueError):
    """The query cannot be searched; the message says why in words a patron can read."""

    def __init__(self, message: str, query: str) -> None:
        super().__init__(message)
        self.query = query


@dataclass(frozen=True)
class _Token:
    kind: str  # word, phrase, field, and, or, not, ( or )
    text: str = ""


def parse_query(text: str) -> Query:
    """The query a patron typed, as engine-neutral query types; see the module docstring."""
    text = text.strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadQuery(
            f"The query is too long ({len(text)} characters); "
            f"at most {MAX_QUERY_LENGTH} are allowed.",
            text,
        )
    # a word-divided CJK title (理智　与　情感) is one word, as it is in the index
    tokens = _balance_parentheses(_searchable(_tokenize(join_divided_cjk(_visible(text)))), text)
    terms = sum(1 for t in tokens if t.kind in ("word", "phrase"))
    if terms > MAX_TERMS:
        raise BadQuery(
            f"The query has too many terms ({terms}); at most {MAX_TERMS} are allowed.", text
        )
    return _Parser(tokens).parse() or MatchAll()


# -- tokens ---------------------------------------------------------------------------------


def _visible(text: str) -> str:
    """Control, format and unassigned characters become spaces: they are never search text.

    Those the index leaves out of words (the zero-width joiner inside a Devanagari conjunct,
    the soft hyphen: `indexer.text.IGNORED_CHARACTERS`) are deleted instead, so a word that
    holds one stays one word.
    """
    return "".join(
        "" if c in IGNORED_CHARACTERS else " " if unicodedata.category(c)[0] == "C" else c
        for c in text
    )


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in _QUOTES:
            close = _next_quote(text, i + 1)
            tokens.append(_Token("phrase", text[i + 1 : close]))
            i = close + 1
        elif char in "()":
            tokens.append(_Token(char))
            i += 1
        elif char == "-" and _starts_term(text, i):
            tokens.append(_Token("not"))
            i += 1
        else:
            word_end = i
            while word_end < end and not (text[word_end].isspace() or text[word_end] in _BREAKS):
                word_end += 1
            word = text[i:word_end]
            prefix, colon, _ = word.partition(":")
            if colon and prefix.casefold() in FIELD_PREFIXES:
                tokens.append(_Token("field", FIELD_PREFIXES[prefix.casefold()]))
                i += len(prefix) + 1
                continue
            after_field = bool(tokens) and tokens[-1].kind == "field"
            if word in _OPERATORS and not after_field:
                tokens.append(_Token(_OPERATORS[word]))
            else:
                tokens.append(_Token("word", word))
            i = word_end
    return tokens


def _next_quote(text: str, start: int) -> int:
    """Where the phrase opened before `start` ends: its closing quote, or the end of the text."""
    positions = [p for p in (text.find(q, start) for q in _QUOTES) if p >= 0]
    return min(positions, default=len(text))


def _starts_term(text: str, i: int) -> bool:
    """A '-' means NOT at the start of a term: '-film', '-"a phrase"', not 'jean-paul' or '-'."""
    before_ok = i == 0 or text[i - 1].isspace() or text[i - 1] == "("
    return before_ok and i + 1 < len(text) and not text[i + 1].isspace()


def _searchable(tokens: list[_Token]) -> list[_Token]:
    """Words and phrases that would yield no index terms (only punctuation) are left out."""
    return [t for t in tokens if t.kind not in ("word", "phrase") or analyze(t.text)]


def _balance_parentheses(tokens: list[_Token], query: str) -> list[_Token]:
    """Unmatched ')' are dropped, missing ')' added at the end; too deep a nesting is refused."""
    balanced: list[_Token] = []
    depth = 0
    for token in tokens:
        if token.kind == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise BadQuery(f"The query nests parentheses more than {MAX_DEPTH} deep.", query)
        elif token.kind == ")":
            if depth == 0:
                continue
            depth -= 1
        balanced.append(token)
    return balanced + [_Token(")")] * depth


# -- grammar --------------------------------------------------------------------------------


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*;
    unary := (NOT | -)* primary; primary := field? (word | phrase | '(' or ')').

    Each rule returns None for a part with nothing searchable in it, which its caller drops.
    Recursion happens only at '(' , so its depth is bounded by MAX_DEPTH.
    """

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def parse(self) -> Query | None:
        return self._or("all")

    def _peek(self) -> str:
        return self.tokens[self.position].kind if self.position < len(self.tokens) else "end"

    def _take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _or(self, field: str) -> Query | None:
        alternatives = [self._and(field)]
        while self._peek() == "or":
            self._take()
            alternatives.append(self._and(field))
        return _any_of([a for a in alternatives if a is not None])

    def _and(self, field: str) -> Query | None:
        required: list[Query] = []
        while self._peek() not in ("or", ")", "end"):
            if self._peek() == "and":
                self._take()
                continue
            clause = self._unary(field)
            if clause is not None:
                required.append(clause)
        return _all_of(required)

    def _unary(self, field: str) -> Query | None:
        negations = 0
        while self._peek() == "not":
            self._take()
            negations += 1
        clause = self._primary(field)
        if clause is None or negations % 2 == 0:
            return clause
        return _negate(clause)

    def _primary(self, field: str) -> Query | None:
        while self._peek() == "field":
            field = self._take().text
        kind = self._peek()
        if kind == "word":
            return _words(field, self._take().text)
        if kind == "phrase":
            return _phrase(field, self._take().text)
        if kind == "(":
            self._take()
            group = self._or(field)
            self._take()  # the ')' that _balance_parentheses guarantees
            return group
        return None  # a dangling NOT or field prefix: nothing follows it


def _words(field: str, text: str) -> Words:
    return Words(field, _compact_isbn(text))


def _phrase(field: str, text: str) -> Query:
    if field == "isbn" and _ISBN.fullmatch(text.strip()):
        return Words(field, _compact_isbn(text.strip()))
    return Phrase(field, text)


def _compact_isbn(text: str) -> str:
    """'978-0-14-044913-6' is indexed as '9780140449136': drop the hyphens of an ISBN."""
    if _ISBN.fullmatch(text):
        return text.replace("-", "").replace(" ", "")
    return text


# -- building queries -----------------------------------------------------------------------


def _all_of(clauses: list[Query]) -> Query | None:
    """An And of `clauses`, flattened, with the plain words of each field merged into one Words."""
    flat: list[Query] = []
    for clause in clauses:
        flat.extend(clause.clauses if isinstance(clause, And) else (clause,))
    words: dict[str, list[str]] = {}
    merged: list[Query] = []
    for clause in flat:
        if isinstance(clause, Words):
            if clause.field not in words:
                merged.append(clause)  # stands for all of this field's words, filled in below
            words.setdefault(clause.field, []).append(clause.text)
        else:
            merged.append(clause)
    merged = [
        Words(c.field, " ".join(words[c.field])) if isinstance(c, Words) else c for c in merged
    ]
    if not merged:
        return None
    return merged[0] if len(merged) == 1 else And(tuple(merged))


def _any_of(clauses: list[Query]) -> Query | None:
    """An Or of `clauses`, flattened."""
    flat: list[Query] = []
    for clause in clauses:
        flat.extend(clause.clauses if isinstance(clause, Or) else (clause,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def _negate(clause: Query) -> Query:
    """NOT `clause`; NOT NOT x is x."""
    return clause.clause if isinstance(clause, Not) else Not(clause)
