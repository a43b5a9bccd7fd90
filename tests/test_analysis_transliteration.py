"""Across scripts: a romanised query finds the Cyrillic record and the other way round.

Real records from ../shared/data, on both engines: Stanford's Russian record that gives
each name and title in Cyrillic and in ALA-LC romanisation (the pairs are the cataloguer's,
not ours), and GWU's Russian records, catalogued in romanisation only.
"""

from __future__ import annotations

import copy
import re
import unicodedata

import pytest

from indexer.text import analyze
from indexer.transliterate import romanised_key
from search_ui.request_params import search_request_from_params
from tests.fixtures.real_records import mapped_records

CYRILLIC = re.compile("[\u0400-\u04ff]")


def without_marks(text: str) -> str:
    """ALA-LC romanisation as typed on a plain keyboard: no ties, primes or diacritics."""
    decomposed = unicodedata.normalize("NFD", text.replace("ʹ", "").replace("ʺ", ""))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def popular(text: str) -> str:
    """The spelling of newspapers and Wikipedia: ia/iu as ya/yu, final -ii/-iy as -y."""
    text = text.replace("ia", "ya").replace("iu", "yu")
    return re.sub(r"i[iy]\b", "y", text)


@pytest.fixture(scope="module")
def russian():
    """The Stanford record, split as two libraries might catalogue it: one in Cyrillic
    only, the other in romanisation only."""
    (record,) = [
        r
        for r in mapped_records("cjk/stanford-solrmarc-sw/nonlatinscripts.mrc")
        if r.language == "rus"
    ]
    cyrillic, latin = copy.deepcopy(record), copy.deepcopy(record)
    cyrillic.identifier, latin.identifier = "cyrillic", "latin"
    cyrillic.contributors = [c for c in record.contributors if CYRILLIC.search(c.name)]
    latin.contributors = [c for c in record.contributors if not CYRILLIC.search(c.name)]
    cyrillic.notes = [n for n in record.notes if CYRILLIC.search(n)]
    latin.notes = [n for n in record.notes if not CYRILLIC.search(n)]
    latin.isbns = cyrillic.isbns = []  # two separate works, not one
    assert cyrillic.contributors and latin.contributors
    return cyrillic, latin


def test_romanisations_of_one_name_share_a_key():
    spellings = ["Достоевский", "Dostoevskiĭ", "Dostoevsky", "Dostoyevsky", "dostoevskii"]
    assert len({romanised_key(analyze(s)[0]) for s in spellings}) == 1
    assert len({romanised_key(analyze(s)[0]) for s in ["Толстой", "Tolstoĭ", "Tolstoi"]}) == 1
    assert romanised_key(analyze("Толстой")[0]) != romanised_key(analyze("Толстая")[0])


def test_romanised_name_finds_the_record_catalogued_in_cyrillic(catalog, russian):
    cyrillic, latin = russian
    catalog.add_records([cyrillic])
    work = catalog.store.work_of(cyrillic.key)
    for contributor in latin.contributors[:2]:
        surname = without_marks(contributor.name.split(",")[0].split(" (")[0])
        for typed in (surname, popular(surname)):
            request = search_request_from_params({"q": f"author:({typed})"})
            assert [h.work_id for h in catalog.engine.search(request).hits] == [work], typed


def test_cyrillic_name_finds_the_record_catalogued_in_romanisation(catalog, russian):
    cyrillic, latin = russian
    catalog.add_records([latin])
    work = catalog.store.work_of(latin.key)
    for contributor in cyrillic.contributors[:2]:
        surname = contributor.name.split(",")[0].split(" (")[0]
        request = search_request_from_params({"q": f"author:({surname})"})
        assert [h.work_id for h in catalog.engine.search(request).hits] == [work], surname


def test_romanised_records_are_found_by_a_name_typed_in_cyrillic(catalog):
    records = mapped_records("cjk/lc-marc2bibframe2/dataset/gwu.xml")
    catalog.add_records(records)
    dovlatov = {catalog.store.work_of(r.key) for r in records if "Dovlatov" in str(r.contributors)}
    assert len(dovlatov) >= 2
    request = search_request_from_params({"q": "author:Довлатов", "per_page": "50"})
    found = {h.work_id for h in catalog.engine.search(request).hits}
    assert found == dovlatov
