"""Snowball stemming by the language of a record, so `guitar` finds `guitars`.

A record's words are stemmed by the stemmer of its language (MARC 008/35-37, ISO 639-2/B);
a language without a Snowball stemmer (Chinese, Japanese, Korean, Hebrew, Tibetan, ...) is
not stemmed. A query does not say its language, so a query word is stemmed by the
stemmer of each of the catalogue's main languages (QUERY_LANGUAGES); a stem is indexed and
looked up with its language ("fre:lettr"), so it meets only the stems of records in that
language, and an exact match scores above a stem match (see engine.LOOSE_WEIGHT). The
stemmers work on folded words (no diacritics, case folded), on both sides alike.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import Stemmer

#: ISO 639-2/B code → Snowball algorithm (PyStemmer). Only languages whose words are
#: separated by spaces; none for CJK, Hebrew or Yiddish in Hebrew script as catalogued.
STEMMERS = {
    "eng": "english",
    "fre": "french",
    "ger": "german",
    "spa": "spanish",
    "ita": "italian",
    "por": "portuguese",
    "cat": "catalan",
    "dut": "dutch",
    "dan": "danish",
    "nor": "norwegian",
    "nob": "norwegian",
    "nno": "norwegian",
    "swe": "swedish",
    "fin": "finnish",
    "est": "estonian",
    "hun": "hungarian",
    "rum": "romanian",
    "cze": "czech",
    "pol": "polish",
    "lit": "lithuanian",
    "rus": "russian",
    "gre": "greek",
    "tur": "turkish",
    "ara": "arabic",
    "per": "persian",
    "arm": "armenian",
    "baq": "basque",
    "gle": "irish",
    "ind": "indonesian",
    "nep": "nepali",
    "hin": "hindi",
    "tam": "tamil",
}
#: The stemmers a query word is stemmed by: the union catalogue's main languages (those
#: the consortium's records are mostly in). Every stemmer of STEMMERS would be too many: some
#: cut any foreign word down to a common one ("viewoint" → "view"), so each added language
#: costs precision; a record in another language is still stemmed, and found by its words.
QUERY_LANGUAGES = ("eng", "fre", "ger", "spa", "ita", "por", "rus", "cze", "nep")
#: Words shorter than this are left as they are (articles, particles, initials).
MIN_LENGTH = 4


_local = threading.local()


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    """This thread's stemmer for `algorithm` (PyStemmer's stemmers are not thread-safe)."""
    made = _local.__dict__.setdefault("stemmers", {})
    if algorithm not in made:
        made[algorithm] = Stemmer.Stemmer(algorithm, 20_000)
    return made[algorithm]


def _stemmable(token: str) -> bool:
    """Words of letters (and the marks of Indic letters); not numbers or ISBNs."""
    return len(token) >= MIN_LENGTH and not any(c.isdigit() for c in token)


def stem(token: str, language: str) -> str:
    """The stem of one folded word in `language`; the word itself when there is no stemmer."""
    algorithm = STEMMERS.get(language)
    if algorithm is None or not _stemmable(token):
        return token
    return _stemmer(algorithm).stemWord(token)


def stems(tokens: list[str], language: str) -> list[str]:
    """`stem` of each token, in one call to the stemmer."""
    algorithm = STEMMERS.get(language)
    if algorithm is None:
        return list(tokens)
    stemmer = _stemmer(algorithm)
    return [stemmer.stemWord(t) if _stemmable(t) else t for t in tokens]


def stem_terms(tokens: list[str], language: str) -> list[str]:
    """The index terms of the stems of `tokens` in `language`: "eng:guitar" for "guitars".

    The language in the term keeps each stemmer's stems apart, so a stem meets only the
    stems of the same language: the Czech stem of "peach" is not the English stem of "peace".
    """
    if language not in STEMMERS:
        return []
    return [term for t in tokens if (term := _stem_term(t, language))]


@lru_cache(maxsize=50_000)
def _stem_term(token: str, language: str) -> str:
    """The stem term of one word ("" when it is not stemmed): a harvest meets the same words
    again and again, and this was a third of making a work's document."""
    if not _stemmable(token):
        return ""
    return f"{language}:{_stemmer(STEMMERS[language]).stemWord(token)}"


@lru_cache(maxsize=20_000)
def query_stem_terms(token: str) -> tuple[str, ...]:
    """The stem terms a query word is looked up by: one per language of QUERY_LANGUAGES."""
    if not _stemmable(token):
        return ()
    return tuple(f"{language}:{stem(token, language)}" for language in QUERY_LANGUAGES)
