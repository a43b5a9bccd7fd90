"""Folding that respects scripts: diacritics go, marks that are letters stay.

Real Nepali records (Devanagari) from ../shared/data, on both engines.
"""

from __future__ import annotations

import unicodedata

import pytest

from indexer.query import SearchRequest
from indexer.suggest import display_text
from indexer.text import analyze, fold
from indexer.transliterate import romanised_key
from search_ui.request_params import search_request_from_params
from tests.fixtures.real_records import mapped_records

NEPALI = "evergreen/nepali.marc"


def _devanagari(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all("DEVANAGARI" in unicodedata.name(c, "") for c in letters)


def _written_words(payload) -> set[str]:
    """The words of a work's display text as written, split at spaces and punctuation."""
    spaced = " ".join(display_text(payload, "all"))
    for mark in ",.:;/()[]-=\u200d":
        spaced = spaced.replace(mark, " " if mark != "\u200d" else "")
    return set(fold(spaced).split())


def _has_word(payload, word: str) -> bool:
    """The work has `word` as written, or a spelling of it with the same romanised key
    (शारीरिक / शारिरिक: long and short vowels, which Nepali spelling varies), never as a
    fragment of a longer word."""
    written = _written_words(payload)
    return word in written or romanised_key(word) in {romanised_key(w) for w in written}


def _devanagari_words(text: str) -> list[str]:
    """Whitespace-separated words made only of Devanagari letters and signs."""
    return [w for w in text.split() if all("DEVANAGARI" in unicodedata.name(c, "") for c in w)]


@pytest.fixture(scope="module")
def nepali_records():
    return mapped_records(NEPALI)


@pytest.fixture
def nepali_catalog(catalog, nepali_records):
    catalog.add_records(nepali_records)
    return catalog


def test_devanagari_words_stay_whole_words(nepali_records):
    words = {w for r in nepali_records for w in _devanagari_words(f"{r.title} {r.subtitle}")}
    words.discard("")
    assert len(words) > 100
    for word in words:
        # the invisible joiner some records carry inside a conjunct is not part of the word
        assert analyze(word) == [word.replace("\u200d", "")], word


def test_diacritics_of_latin_greek_and_cyrillic_are_still_folded():
    assert analyze("Vospominanii͡a Solovʹev") == ["vospominaniia", "solovev"]
    assert fold("Ἀριστοτέλης") == fold("αριστοτελης")
    assert fold("Ёлка") == "елка"
    assert fold("Écrits") == "ecrits"


def test_letters_of_their_own_are_not_folded_into_others():
    assert fold("Толстой") == "толстой"  # й is not и with a breve
    assert analyze("ภาษาไทย") == ["ภาษาไทย"]  # Thai vowel signs are letters
    assert analyze("தமிழ் নেপালী") == ["தமிழ்", "নেপালী"]  # Tamil, Bengali


def test_hebrew_points_and_arabic_vowel_signs_are_left_out():
    assert fold("שָׁלוֹם") == "שלום"
    assert fold("كِتَاب") == "كتاب"


def test_nepali_title_typed_as_catalogued_finds_its_work(nepali_catalog, nepali_records):
    engine = nepali_catalog.engine
    # as catalogued: a zero-width joiner inside a word stays out of the word, in the index
    # and in the query parser alike
    titles = sorted({r.title for r in nepali_records if _devanagari(r.title)})
    assert len(titles) > 40
    for title in titles:
        hits = engine.search(search_request_from_params({"q": title})).hits
        assert analyze(title) in [analyze(hit.payload["title"]) for hit in hits], title
        for hit in hits:  # every word matched, none as a fragment of another word
            for word in analyze(title):
                assert _has_word(hit.payload, word), (title, word, hit.payload["title"])


def test_nepali_word_finds_only_works_that_have_that_word(nepali_catalog, nepali_records):
    engine = nepali_catalog.engine
    counted = {}
    for record in nepali_records:
        for word in set(_devanagari_words(record.title)):
            counted[word] = counted.get(word, 0) + 1
    words = [w for w, n in sorted(counted.items()) if n >= 2][:15]
    assert len(words) >= 5
    for word in words:
        request = search_request_from_params({"q": word})
        found = engine.search(SearchRequest(request.query, limit=100))
        assert found.total >= 2, word
        for hit in found.hits:
            assert _has_word(hit.payload, analyze(word)[0]), (word, hit.payload["title"])


def test_zero_width_non_joiner_parts_a_persian_compound_as_a_space_does():
    records = mapped_records("cjk/traject/test_data.utf8.mrc")
    compounds = [
        word
        for r in records
        for value in r.vernacular.get("title", [])
        for word in value.split()
        if "\u200c" in word.strip("\u200c\u200f")
    ]
    assert compounds
    for word in compounds:
        assert analyze(word) == analyze(word.replace("\u200c", " "))
