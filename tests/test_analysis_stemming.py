"""Stemming by the record's language: singular and plural find each other, exact forms first.

Real English (jazz), French, Chinese and Hebrew records from ../shared/data, both engines.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.documents import index_document, loose_terms, work_payload
from indexer.engine import LOOSE_FIELDS
from indexer.hanzi import WORD_PREFIX
from indexer.query import SearchRequest, Words
from indexer.suggest import display_text
from indexer.text import analyze
from search_ui.request_params import search_request_from_params
from tests.fixtures.real_records import mapped_records

SOURCES = (("evergreen/jazz_1k.mrc", 400), ("evergreen/lul_fre_500.mrc", 300))


@pytest.fixture(scope="module")
def records():
    return [r for name, limit in SOURCES for r in mapped_records(name, limit)]


@pytest.fixture
def real_catalog(catalog, records):
    catalog.add_records(records)
    return catalog


def toggled(word: str) -> str:
    """The other number of an English or French noun, by the plural -s rule."""
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word + "s"


def title_words(payload) -> set[str]:
    return {t for text in display_text(payload, "title") for t in analyze(text)}


def test_the_other_number_of_a_title_word_finds_the_work(real_catalog, records):
    engine, checked = real_catalog.engine, 0
    for record in records[::5]:
        # catalogue titles capitalise the first word and names only: the lower-case
        # words are the common nouns, adjectives and verbs the rule is about
        words = [w.strip("\"'.,:;()[]/") for w in record.title.split()][:5]
        long = [i for i, w in enumerate(words) if w.isalpha() and w.islower() and len(w) >= 5]
        if record.language not in ("eng", "fre") or not long:
            continue
        words[long[-1]] = toggled(words[long[-1]])
        request = search_request_from_params({"q": " ".join(words)})
        found = engine.search(replace(request, fuzzy_fallback=False))
        assert real_catalog.store.work_of(record.key) in [h.work_id for h in found.hits], words
        checked += 1
    assert checked >= 30


def test_works_with_the_form_as_typed_rank_above_works_with_another_form(real_catalog):
    engine = real_catalog.engine
    every = engine.search(SearchRequest(limit=2000)).hits
    vocabulary = set().union(*(title_words(h.payload) for h in every))
    pairs = sorted(w for w in vocabulary if len(w) >= 5 and w.isalpha() and w + "s" in vocabulary)
    checked = 0
    for word in pairs:
        request = SearchRequest(Words("title", word), limit=200, fuzzy_fallback=False)
        hits = engine.search(request).hits
        has = [word in title_words(h.payload) for h in hits]
        if all(has) or not any(has):
            continue
        assert has == sorted(has, reverse=True), word  # exact forms first, then stems
        checked += 1
    assert checked >= 5


def test_the_record_language_decides_the_stemmer():
    assert "eng:guitar" in loose_terms(["guitars"], "eng")
    assert "fre:lettr" in loose_terms(["lettres"], "fre")
    assert "rus:достоевск" in loose_terms(["достоевский"], "rus")
    assert not [t for t in loose_terms(["guitars"], "chi") if ":" in t]
    assert not [t for t in loose_terms(["guitars"], "") if ":" in t]


def test_chinese_and_hebrew_records_are_not_stemmed():
    names = ("cjk/yaz/marccol1.u8.marc", "cjk/stanford-solrmarc-sw/nonlatinscripts.mrc")
    unstemmed = [r for name in names for r in mapped_records(name) if r.language in ("chi", "heb")]
    assert len(unstemmed) >= 5
    french = mapped_records("evergreen/lul_fre_500.mrc", 5)
    for record in [*unstemmed, *french]:
        payload = work_payload("w", [record], {}, {})
        document = index_document(payload, [record])
        loose = [t for name in LOOSE_FIELDS.values() for t in document.text[name]]
        # "zh:" terms are Chinese dictionary words (indexer.hanzi), not stems
        stemmed = [t for t in loose if ":" in t and not t.startswith(WORD_PREFIX)]
        if record.language == "fre":
            assert stemmed and all(t.startswith("fre:") for t in stemmed)
        else:
            assert stemmed == [], record.title
