"""UNIMARC and CNMARC → Record on Beijing Normal University's real CNMARC records, read
from MARCXML (under the CNMARC, UNIMARC and KORMARC namespaces) and ISO 2709, and harvested
over OAI-PMH on loopback under the new metadata prefixes, searched on both engines."""

from __future__ import annotations

import copy
from datetime import timedelta

import pymarc
import pytest
from lxml import etree

from config.partners import METADATA_PREFIXES, Partner, RegistryError, load_registry
from demo.oai_provider import ProviderRecord, make_app, serve
from harvester.checkpoints import Checkpoints
from harvester.client import RetryPolicy
from harvester.runner import harvest
from indexer.iso20775 import iso20775_holdings
from indexer.mapping import map_record
from indexer.marc import marc_to_record
from indexer.marc_readers import marc_records_from_file, record_from_element
from indexer.query import SearchRequest
from indexer.unimarc import is_unimarc
from search_ui.request_params import search_request_from_params
from tests.fixtures.bnu_sru import BNU, sru_records, xml

BNU_PARTNER = Partner(
    "north", "Beijing Normal University Library", "http://127.0.0.1:9/oai", location="总馆"
)
FIRST = "990002180740203961"  # '94中国发展报告, 国家统计局编


def _records(name: str):
    return [marc_to_record(m, BNU_PARTNER, f"oai:bnu:{n}") for n, m in enumerate(_read(name))]


def _read(name: str) -> list[pymarc.Record]:
    return list(marc_records_from_file(BNU / name))


def test_cnmarc_fields_map_to_the_record_model():
    record = marc_to_record(record_from_element(sru_records("sample_cnmarcxml.xml")[FIRST]),
                            BNU_PARTNER, f"oai:bnu:{FIRST}")  # fmt: skip
    assert record.source_format == "cnmarc"
    assert (record.title, record.responsibility) == ("'94中国发展报告", "国家统计局编")
    assert record.isbns == ["9787503717444"]  # 010 $a 7-5037-1744-0
    assert (record.place, record.publisher, record.year) == ("北京", "中国统计出版社", 1994)
    assert record.physical_description == "320页 ; 图 ; 27cm"
    assert (record.language, record.format) == ("chi", "book")
    assert record.classification["clc"] == ["F124"]  # 690: Chinese Library Classification
    assert record.subjects[0].heading == "经济发展 -- 概况 -- 中国 -- 1994"
    assert record.notes == ["本书由叶震与李强等主编。", "有书目。"]
    names = [(c.name, c.role, c.vernacular) for c in record.contributors]
    assert ("叶震", "主编", "Xie Zhen") in names  # 701 $a, $4, the pinyin $A
    assert ("国家统计局", "编", "Guo Jia Tong Ji Ju") in names  # 711
    # the pinyin of the title ($A) and the uniform title (500) are other forms of the title
    assert "'94Zhong Guo Fa Zhan Bao Gao" in record.vernacular["title"]
    assert "中国发展报告" in record.vernacular["title"]


def test_every_bnu_record_maps_with_a_chinese_title_and_its_pinyin():
    records = _records("sample_cnmarcxml.xml")
    assert len(records) == 10
    for record in records:
        assert any("\u4e00" <= c <= "\u9fff" for c in record.title), record.title
        assert record.year and record.language == "chi"
    with_pinyin = [r for r in records if any(f.isascii() for f in r.vernacular.get("title", []))]
    assert len(with_pinyin) == 9  # one of BNU's records has no 200 $A


def test_parallel_title_and_series_are_kept():
    by_title = {r.title: r for r in _records("sample_cnmarcxml.xml")}
    parallel = [r for r in by_title.values() if "China Development Report" in r.vernacular["title"]]
    assert parallel  # 510 $a, the English parallel title
    assert any(r.series == "中国发展报告书" for r in by_title.values())  # 225 $a


def test_the_same_records_under_the_unimarc_and_kormarc_namespaces_map_alike():
    """BNU serves identical CNMARC content under three namespaces: the content decides."""
    cnmarc = [r.to_dict() for r in _records("sample_cnmarcxml.xml")]
    for name in ("sample_unimarcxml.xml", "sample_kormarcxml.xml"):
        assert [r.to_dict() for r in _records(name)] == cnmarc


def test_marc21_and_unimarc_are_told_apart_by_their_fields_not_by_a_namespace():
    assert all(is_unimarc(m) for m in _read("sample_cnmarcxml.xml"))
    assert not any(is_unimarc(m) for m in _read("sample_marcxml.xml"))
    # the MARC 21 records of the same catalogue keep the MARC 21 mapping
    assert {r.source_format for r in _records("sample_marcxml.xml")} == {"marc21"}
    # one UNIMARC-looking field does not make a MARC 21 record UNIMARC
    marc21 = _read("sample_marcxml.xml")[0]
    marc21.add_field(pymarc.Field("801", pymarc.Indicators(" ", "0"), [pymarc.Subfield("a", "CN")]))
    marc21.add_field(pymarc.Field("200", pymarc.Indicators("1", " "), [pymarc.Subfield("a", "x")]))
    assert not is_unimarc(marc21)


def test_iso_2709_cnmarc_reads_as_the_xml_does(tmp_path):
    """A CNMARC ISO 2709 file (BNU's records written by pymarc, leader/09 blank as CNMARC
    leaves it) reads back as UTF-8 and maps as the MARCXML records do."""
    path = tmp_path / "bnu.iso"
    chunks = [m.as_marc() for m in _read("sample_cnmarcxml.xml")]
    path.write_bytes(b"".join(c[:9] + b" " + c[10:] for c in chunks))
    read = list(marc_records_from_file(path))
    assert len(read) == 10
    mapped = [marc_to_record(m, BNU_PARTNER, f"oai:bnu:{n}").to_dict() for n, m in enumerate(read)]
    assert [m["title"] for m in mapped] == [r.title for r in _records("sample_cnmarcxml.xml")]


def test_the_unimarc_prefixes_are_accepted_by_the_registry_and_mapped(tmp_path):
    assert {"unimarc", "cnmarc"} <= set(METADATA_PREFIXES)
    registry = tmp_path / "partners.toml"
    registry.write_text(
        '[[partner]]\nid = "bnu"\nname = "BNU"\nbase_url = "https://bnu.example/oai"\n'
        'metadata_prefix = "cnmarc"\n',
        encoding="utf-8",
    )
    assert load_registry(registry)[0].metadata_prefix == "cnmarc"
    registry.write_text(registry.read_text().replace("cnmarc", "cnmarc2"), encoding="utf-8")
    with pytest.raises(RegistryError, match="cnmarc2"):
        load_registry(registry)
    element = sru_records("sample_unimarcxml.xml")[FIRST]
    for prefix in ("unimarc", "cnmarc", "marc21"):
        assert map_record(BNU_PARTNER, "oai:bnu:1", "", element, prefix).title == "'94中国发展报告"


def bnu_feed(prefix: str) -> list[ProviderRecord]:
    records = sru_records("sample_cnmarcxml.xml")
    return [
        ProviderRecord(f"oai:bnu:{rid}", f"2025-03-0{1 + n // 5}T08:00:00Z", [], {prefix: xml(e)})
        for n, (rid, e) in enumerate(records.items())
    ]


@pytest.mark.parametrize("prefix", ["cnmarc", "unimarc"])
async def test_cnmarc_records_are_harvested_over_oai_pmh_and_found(prefix, catalog, tmp_path):
    feed = bnu_feed(prefix)
    checkpoints = Checkpoints(tmp_path / "checkpoints.sqlite", overlap=timedelta(0))
    policy = RetryPolicy(attempts=2, backoff=0.01, backoff_cap=0.05, timeout=5)
    with serve(make_app(feed, repository_name="BNU", page_size=4)) as url:
        partner = Partner("north", "BNU", url, metadata_prefix=prefix)
        report = await harvest([partner], catalog, checkpoints, policy=policy, batch_size=5)
    checkpoints.close()
    assert (report.partners[0].records, report.partners[0].errors) == (10, 0)
    assert catalog.engine.count() >= 9  # two '97 reports may be one work
    found = catalog.engine.search(
        SearchRequest(search_request_from_params({"q": "中国统计出版社"}).query, limit=20)
    )
    assert found.total >= 5
    titles = {hit.payload["title"] for hit in found.hits}
    assert "'94中国发展报告" in titles
    hit = next(h for h in found.hits if h.payload["title"] == "'94中国发展报告")
    assert {h["status"] for h in hit.payload["holdings"]} == {"available"}  # from Alma's AVA
    assert hit.payload["records"][0]["source_format"] == "cnmarc"
    pinyin = catalog.engine.search(
        SearchRequest(search_request_from_params({"q": "Guo Jia Tong Ji Ju"}).query, limit=20)
    )
    assert pinyin.total >= 5


# -- ISO 20775 holdings -------------------------------------------------------------------


def bnu_with_holdings(rid: str) -> etree._Element:
    """BNU's CNMARC record and its ISO 20775 holdings in one metadata element."""
    wrapper = etree.Element("collection")
    wrapper.append(copy.deepcopy(sru_records("sample_cnmarcxml.xml")[rid]))
    holdings = sru_records("sample_isohold.xml").get(rid)
    if holdings is not None:
        wrapper.append(copy.deepcopy(holdings))
    return wrapper


def test_iso20775_copies_become_holdings_with_location_shelf_mark_and_status():
    element = sru_records("sample_isohold.xml")[FIRST]
    partner = Partner("bnu", "BNU", "http://127.0.0.1:9/oai", catalog_url="http://bnu/{id}")
    holdings = iso20775_holdings(element, partner, FIRST)
    assert [(h.location, h.call_number, h.status) for h in holdings] == [
        ("总馆普通文献 BCPSA", "F124 26", "available"),
        ("总馆普通文献 BCPH8", "F124 26", "available"),
    ]
    assert {h.catalog_url for h in holdings} == {f"http://bnu/{FIRST}"}


def test_every_copy_of_bnu_is_kept_and_serial_sets_carry_their_years():
    partner = Partner("bnu", "BNU", "http://127.0.0.1:9/oai")
    copies = {
        rid: iso20775_holdings(e, partner, rid)
        for rid, e in sru_records("sample_isohold.xml").items()
    }
    stated = sum(
        len(e.findall(".//{*}copyInformation")) + len(e.findall(".//{*}component"))
        for e in sru_records("sample_isohold.xml").values()
    )
    assert sum(map(len, copies.values())) == stated == 23
    assert all(h.call_number and h.location for hs in copies.values() for h in hs)
    assert {h.summary for h in copies["990002181190203961"]} >= {"1995"}  # holdingStructured


def test_a_copy_not_available_for_loan_is_not_shown_available():
    element = copy.deepcopy(sru_records("sample_isohold.xml")[FIRST])
    for code in element.iter("{*}availabilityStatus"):
        code.text = "0"
    partner = Partner("bnu", "BNU", "http://127.0.0.1:9/oai")
    assert {h.status for h in iso20775_holdings(element, partner, FIRST)} == {"on_loan"}


def test_iso20775_beside_the_record_replaces_the_holdings_marc_implied():
    record = map_record(BNU_PARTNER, f"oai:bnu:{FIRST}", "", bnu_with_holdings(FIRST), "cnmarc")
    assert record.title == "'94中国发展报告"
    assert [h.location for h in record.holdings] == ["总馆普通文献 BCPSA", "总馆普通文献 BCPH8"]


async def test_cnmarc_with_iso20775_holdings_is_harvested_and_searched_with_them(catalog, tmp_path):
    feed = [
        ProviderRecord(
            f"oai:bnu:{rid}", "2025-03-01T08:00:00Z", [], {"cnmarc": xml(bnu_with_holdings(rid))}
        )
        for rid in sru_records("sample_cnmarcxml.xml")
    ]
    checkpoints = Checkpoints(tmp_path / "checkpoints.sqlite", overlap=timedelta(0))
    policy = RetryPolicy(attempts=2, backoff=0.01, backoff_cap=0.05, timeout=5)
    with serve(make_app(feed, repository_name="BNU")) as url:
        partner = Partner("north", "BNU", url, metadata_prefix="cnmarc")
        report = await harvest([partner], catalog, checkpoints, policy=policy, batch_size=5)
    checkpoints.close()
    assert (report.partners[0].records, report.partners[0].errors) == (10, 0)
    request = search_request_from_params({"q": "中国发展报告"})
    found = catalog.engine.search(SearchRequest(request.query, limit=20))
    assert found.total >= 3
    for hit in found.hits:
        assert "available" in {h["status"] for h in hit.payload["holdings"]}
        # the place and the sublocation of the copy, from ISO 20775
        assert any(h["location"].startswith("总馆普通文献 BCP") for h in hit.payload["holdings"])
