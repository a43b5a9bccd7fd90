"""Holdings from the ILS exports partners send: Koha 952 items and MARC holdings records (MFHD).

Koha items are built onto a real record (../shared/data has no Koha export); the MFHD tests
use the real Evergreen serials pair (serials_marc21.xml + serials_mfhd.xml).
"""

from __future__ import annotations

import json
import logging
from functools import cache

import pymarc
import pytest
from lxml import etree

from config.partners import Partner
from config.settings import Settings
from demo.oai_provider import ProviderRecord, make_app, serve
from harvester.checkpoints import Checkpoints
from harvester.runner import harvest
from indexer.holdings import attach_holdings, holdings_summary
from indexer.mapping import MappingError, map_record
from indexer.marc import marc_to_record
from indexer.marc_readers import marc_records_from_file
from indexer.query import SearchRequest, Words
from search_ui.app import create_app
from tests.fixtures.builders import with_koha_items
from tests.fixtures.paths import SHARED_DATA

EVERGREEN = SHARED_DATA / "evergreen"
NORTH = Partner(
    id="north",
    name="North City Library",
    base_url="http://127.0.0.1:1/oai",
    location="Main Library",
    catalog_url="http://127.0.0.1:1/catalog/{id}",
)
KOHA_ITEMS = [
    {"a": "MAIN", "b": "MAIN", "c": "STACKS", "o": "ML3506 .R44 1989", "p": "39010000000017",
     "y": "BK"},
    {"a": "MAIN", "b": "MAIN", "c": "STACKS", "o": "ML3506 .R44 1989 c.2", "p": "39010000000025",
     "q": "2026-12-01", "y": "BK"},
    {"a": "BRANCH", "b": "MAIN", "c": "REF", "o": "ML3506 .R44 1989 ref", "p": "39010000000033",
     "7": "1", "y": "BK"},
    {"a": "BRANCH", "c": "STACKS", "o": "ML3506 .R44 1989 c.4", "p": "39010000000041", "1": "1"},
    {"a": "BRANCH", "c": "STACKS", "o": "ML3506 .R44 1989 c.5", "p": "39010000000058", "0": "1"},
    {"a": "MAIN", "c": "STACKS", "o": "ML3506 .R44 1989 c.6", "p": "39010000000066",
     "y": "REFERENCE"},
]  # fmt: skip


@cache
def _jazz(position: int) -> pymarc.Record:
    return list(marc_records_from_file(EVERGREEN / "jazz_1k.mrc"))[position]


@cache
def _serials() -> list[tuple[pymarc.Record, list[pymarc.Record]]]:
    bibs = marc_records_from_file(EVERGREEN / "serials_marc21.xml")
    return list(attach_holdings(bibs, marc_records_from_file(EVERGREEN / "serials_mfhd.xml")))


def _koha_record():
    """'Creative jazz improvisation' (jazz_1k #575) as a Koha library would export it."""
    marc = with_koha_items(_jazz(575), KOHA_ITEMS)
    return marc_to_record(marc, NORTH, "oai:north:575")


# -- Koha 952 -----------------------------------------------------------------------------


def test_koha_items_map_to_holdings_with_status_location_and_call_number():
    holdings = {h.call_number: h for h in _koha_record().holdings}
    assert holdings["ML3506 .R44 1989"].status == "available"
    assert holdings["ML3506 .R44 1989"].location == "MAIN STACKS"
    assert holdings["ML3506 .R44 1989 c.2"].status == "on_loan"
    assert holdings["ML3506 .R44 1989 ref"].status == "not_loanable"
    assert holdings["ML3506 .R44 1989 ref"].location == "BRANCH REF (at MAIN)"
    assert holdings["ML3506 .R44 1989 c.6"].status == "not_loanable"  # reference item type
    assert [(h.call_number, h.location, h.status) for h in _koha_record().holdings] == [
        ("ML3506 .R44 1989", "MAIN STACKS", "available"),
        ("ML3506 .R44 1989 c.2", "MAIN STACKS", "on_loan"),
        ("ML3506 .R44 1989 ref", "BRANCH REF (at MAIN)", "not_loanable"),
        ("ML3506 .R44 1989 c.4", "BRANCH STACKS", "unknown"),
        ("ML3506 .R44 1989 c.6", "MAIN STACKS", "not_loanable"),
    ]


def test_lost_koha_item_is_unknown_and_withdrawn_item_is_left_out():
    holdings = {h.call_number: h for h in _koha_record().holdings}
    assert holdings["ML3506 .R44 1989 c.4"].status == "unknown"
    assert "ML3506 .R44 1989 c.5" not in holdings
    assert len(holdings) == len(KOHA_ITEMS) - 1


def test_koha_barcodes_are_not_kept():
    stored = json.dumps(_koha_record().to_dict())
    assert not any(item["p"] in stored for item in KOHA_ITEMS)
    assert "39010000" not in stored and "ML3506 .R44 1989 c.2" in stored


def test_record_whose_every_koha_item_is_withdrawn_is_held_with_status_unknown():
    marc = with_koha_items(_jazz(575), [{"a": "MAIN", "o": "X 1", "0": "2"}])
    (holding,) = marc_to_record(marc, NORTH, "oai:north:575").holdings
    assert (holding.status, holding.location) == ("unknown", "Main Library")


def test_koha_items_arrive_through_the_oai_marcxml_path():
    marc = with_koha_items(_jazz(575), KOHA_ITEMS[:2])
    element = etree.fromstring(pymarc.record_to_xml(marc, namespace=True))
    record = map_record(NORTH, "oai:north:575", "2026-11-25", element, "marc21")
    assert sorted(h.status for h in record.holdings) == ["available", "on_loan"]


# -- MFHD ---------------------------------------------------------------------------------


def test_every_real_mfhd_links_to_its_serial():
    pairs = _serials()
    assert len(pairs) == 7
    assert all(len(mfhds) == 1 for _, mfhds in pairs)


def test_mfhd_852_and_textual_holdings_attach_to_the_bibs_holding():
    bib, mfhds = next(p for p in _serials() if "Commission canadienne" in p[0]["245"]["a"])
    (holding,) = marc_to_record(bib, NORTH, "oai:north:s4", holdings_records=mfhds).holdings
    assert holding.location == "DESMARAIS DESM-PER"
    assert holding.call_number.startswith("HD 9698 C2 A314")
    assert holding.summary.startswith("2000/2001 - 2003/2004")  # 866
    assert "2004/2005" in holding.summary  # 863 with its (year) caption
    assert (holding.call_number, holding.summary) == (
        "HD 9698 C2 A314 Per",
        "2000/2001 - 2003/2004; 2004/2005",
    )


def test_863_issues_are_rendered_with_their_853_captions():
    bib, mfhds = next(p for p in _serials() if p[0]["245"]["a"].startswith("Fre"))
    summary = holdings_summary(mfhds[0])
    assert summary == "v.18:no.4 (2007:02), v.19:no.1 (2007:05), v.19:no.2 (2007:09)"


def test_supplement_and_index_holdings_are_labelled():
    mfhd = pymarc.Record(leader="00000cy  a22000004  4500")
    mfhd.add_field(pymarc.Field("866", [" ", "0"], [pymarc.Subfield("a", "v.1-v.10")]))
    mfhd.add_field(pymarc.Field("867", [" ", "0"], [pymarc.Subfield("a", "1995")]))
    mfhd.add_field(pymarc.Field("868", [" ", "0"], [pymarc.Subfield("a", "v.1-5")]))
    assert holdings_summary(mfhd) == "v.1-v.10; Supplements: 1995; Indexes: v.1-5"


def test_unlinked_mfhd_is_logged_not_lost_silently(caplog):
    _, mfhds = _serials()[0]
    with caplog.at_level(logging.WARNING, logger="indexer.holdings"):
        pairs = list(attach_holdings([], mfhds))
    assert pairs == []
    assert any("match no bibliographic record" in m for m in caplog.messages)
    assert caplog.messages == ["holdings record(s) for 'a814607' match no bibliographic record"]


def _collection_xml(*records: pymarc.Record) -> bytes:
    """A MARCXML <collection>: how a partner sends a bib and its MFHDs in one OAI record."""
    xml = b"".join(pymarc.record_to_xml(r, namespace=True) for r in records)
    return b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + xml + b"</collection>"


def _collection(*records: pymarc.Record) -> etree._Element:
    return etree.fromstring(_collection_xml(*records))


def test_oai_record_with_bib_and_mfhd_in_one_collection_maps_the_summary():
    bib, mfhds = next(p for p in _serials() if p[0]["245"]["a"].startswith("Fre"))
    record = map_record(NORTH, "oai:north:freq", "2026-11-25", _collection(bib, *mfhds), "marc21")
    assert record.title.startswith("Fr")
    assert record.title == "Fre\u0301quences"  # the serial spells é as e + combining acute
    (holding,) = record.holdings
    assert holding.summary.startswith("v.18:no.4 (2007:02)")
    assert holding.summary == "v.18:no.4 (2007:02), v.19:no.1 (2007:05), v.19:no.2 (2007:09)"


def test_oai_collection_of_only_holdings_is_a_clear_mapping_error():
    _, mfhds = _serials()[0]
    with pytest.raises(MappingError, match="oai:north:h1: MARCXML holds only holdings records"):
        map_record(NORTH, "oai:north:h1", "", _collection(*mfhds), "marc21")


def test_holdings_summary_reaches_the_search_payload_and_the_work_page(catalog, tmp_path):
    bib, mfhds = next(p for p in _serials() if p[0]["245"]["a"].startswith("Fre"))
    catalog.add_records([marc_to_record(bib, NORTH, "oai:north:freq", holdings_records=mfhds)])
    result = catalog.engine.search(SearchRequest(query=Words("all", "orthophonistes")))
    (hit,) = result.hits
    assert hit.payload["holdings"][0]["summary"].startswith("v.18:no.4 (2007:02)")
    app = create_app(Settings(data_dir=tmp_path), engine=catalog.engine, partners=[NORTH])
    page = app.test_client().get(f"/work/{hit.work_id}").get_data(as_text=True)
    assert "v.18:no.4 (2007:02)" in page


async def test_serials_harvested_with_their_mfhd_over_oai_pmh_show_the_summary(catalog, tmp_path):
    served = [
        ProviderRecord(
            f"oai:north:serial-{n}",
            "2026-11-25T08:00:00Z",
            metadata={"marc21": _collection_xml(bib, *mfhds).decode("utf-8")},
        )
        for n, (bib, mfhds) in enumerate(_serials())
    ]
    checkpoints = Checkpoints(tmp_path / "checkpoints.sqlite")
    with serve(make_app(served, repository_name="North serials")) as url:
        north = Partner("north", "North City Library", url)
        report = await harvest([north], catalog, checkpoints)
    checkpoints.close()
    assert (report.partners[0].records, report.partners[0].error) == (7, None)
    result = catalog.engine.search(SearchRequest(query=Words("all", "orthophonistes")))
    (hit,) = result.hits
    assert hit.payload["holdings"][0]["summary"].startswith("v.18:no.4 (2007:02)")
    assert catalog.engine.count() == 7
