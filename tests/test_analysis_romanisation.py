"""Romanisation marks and NACO folding: what a patron types without the cataloguer's marks.

Real ALA-LC romanised records (Russian, Persian, Urdu, Arabic, Tibetan, Wade-Giles Chinese)
from ../shared/data, on both engines.
"""

from __future__ import annotations

import unicodedata

import pytest

from indexer.text import analyze
from search_ui.request_params import search_request_from_params
from tests.fixtures.real_records import mapped_records

SOURCES = (
    "cjk/traject/test_data.utf8.mrc",
    "cjk/yaz/marccol1.u8.marc",
    "cjk/lc-marc2bibframe2/dataset/gwu.xml",
)
#: ALA-LC's modifier letters: soft/hard signs, alif, ayn.
MARKS = "ʹʺʻʼʾʿ"


def as_typed(text: str) -> str:
    """`text` as a patron without a romanisation keyboard types it: no marks, no diacritics."""
    plain = "".join(c for c in text if c not in MARKS and c not in "\ufe20\ufe21\u0361")
    decomposed = unicodedata.normalize("NFD", plain)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@pytest.fixture(scope="module")
def romanised():
    records = [r for name in SOURCES for r in mapped_records(name)]
    return records, [r for r in records if any(m in r.title for m in MARKS)]


def test_modifier_letters_are_deleted_inside_words():
    assert analyze("moʻadim") == ["moadim"]
    assert analyze("Qurʼān") == ["quran"]
    assert analyze("Tʻang") == ["tang"]
    assert analyze("obʺi͡asnenie Solovʹev") == ["obiasnenie", "solovev"]


def test_ligature_ties_and_letter_ligatures_fold():
    assert analyze("Konstitut︠s︡ii︠a︡") == ["konstitutsiia"]
    assert analyze("Æsop Œuvres ﬁn") == ["aesop", "oeuvres", "fin"]


def test_romanised_titles_typed_without_marks_find_their_work(catalog, romanised):
    records, marked = romanised
    assert len(marked) >= 10
    catalog.add_records(records)
    for record in marked:
        typed = as_typed(record.title)
        assert typed != record.title
        request = search_request_from_params({"q": typed})
        ids = [hit.work_id for hit in catalog.engine.search(request).hits]
        assert catalog.store.work_of(record.key) in ids, typed


def test_romanised_author_typed_without_marks_finds_the_works(catalog, romanised):
    records, _ = romanised
    catalog.add_records(records)
    named = [
        r for r in records if r.contributors and any(m in r.contributors[0].name for m in MARKS)
    ]
    assert len(named) >= 5
    for record in named:
        surname = as_typed(record.contributors[0].name.split(",")[0])
        request = search_request_from_params({"q": f"author:({surname})", "per_page": "50"})
        ids = [hit.work_id for hit in catalog.engine.search(request).hits]
        assert catalog.store.work_of(record.key) in ids, surname
