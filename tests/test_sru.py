"""SRU 2.0 and 1.2 at /sru over real loopback HTTP, read by an SRU client library (sruthi)."""

from __future__ import annotations

import io
import urllib.parse
import urllib.request

import pymarc
import pytest
import sruthi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.fixtures.live import serve_wsgi
from tests.fixtures.union import union_app

SRU20 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
SRU12 = "http://www.loc.gov/zing/srw/"
MARC = "http://www.loc.gov/MARC21/slim"
NS = {"sru": SRU20, "old": SRU12, "marc": MARC, "diag2": SRU20 + "/../diagnostic"}


@pytest.fixture
def sru(engine, tmp_path):
    """(base URL of /sru on loopback, Flask test client) over each engine."""
    with union_app(engine, tmp_path) as app, serve_wsgi(app) as url:
        yield f"{url}/sru", app.test_client()


def get(url: str, **params: str) -> etree._Element:
    with urllib.request.urlopen(f"{url}?{urllib.parse.urlencode(params)}") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/xml")
        return etree.fromstring(response.read())


def diagnostic(tree: etree._Element) -> str | None:
    uris = tree.xpath("//*[local-name()='diagnostic']/*[local-name()='uri']/text()")
    return uris[0] if uris else None


def test_sruthi_finds_every_work_a_library_holds_with_its_holdings(sru):
    url, _ = sru
    records = sruthi.searchretrieve(
        url, query="fedcat.library = south", record_schema="marcxml", maximum_records=4
    )
    assert records.count == 20
    found = list(records)  # sruthi follows nextRecordPosition over 5 pages
    assert len(found) == 20
    assert found[0]["schema"] == "info:srw/schema/1/marcxml-v1.1"
    for record in found:
        holdings = [f for f in record["datafield"] if f["tag"] == "852"]
        libraries = set()
        for holding in holdings:
            subfields = {s["code"]: s.get("text") for s in holding["subfield"]}
            libraries.add(subfields["a"])
            if subfields["a"] == "south":
                assert subfields["h"].startswith("SOUTH ")
                assert subfields["z"] in ("available", "on_loan")
        assert libraries == {"north", "south"}


def test_sruthi_reads_explain_with_the_indexes_and_schemas(sru):
    url, _ = sru
    info = sruthi.explain(url)
    assert info.sru_version == "1.2"
    assert "fedcat" in info.database["title"]
    assert set(info.index) >= {"dc", "bath", "rec", "fedcat"}
    assert "library" in info.index["fedcat"]
    assert {"marcxml", "dc", "mods"} <= set(info.schema)


def test_sru_20_search_pages_with_next_record_position_and_marcxml_holdings(sru):
    url, _ = sru
    first = get(url, query="dc.title = jazz or cql.serverChoice = jazz", maximumRecords="3")
    assert first.tag == f"{{{SRU20}}}searchRetrieveResponse"
    assert first.findtext("sru:version", namespaces=NS) == "2.0"
    total = int(first.findtext("sru:numberOfRecords", namespaces=NS))
    assert total > 3
    assert first.findtext("sru:nextRecordPosition", namespaces=NS) == "4"
    records = first.findall("sru:records/sru:record", NS)
    assert [r.findtext("sru:recordPosition", namespaces=NS) for r in records] == ["1", "2", "3"]
    marc = records[0].find("sru:recordData/marc:record", NS)
    [parsed] = pymarc.parse_xml_to_array(io.BytesIO(etree.tostring(marc)))
    assert parsed.get_fields("852")
    second = get(url, query="dc.title = jazz or cql.serverChoice = jazz", startRecord="4")
    assert second.find("sru:records/sru:record/sru:recordPosition", NS).text == "4"


def test_holdings_index_combines_with_text_and_availability(sru):
    url, _ = sru
    held = get(url, query="fedcat.library = south", maximumRecords="0")
    available = get(url, query="fedcat.availableAt = south", maximumRecords="0")
    counts = [int(t.findtext("sru:numberOfRecords", namespaces=NS)) for t in (held, available)]
    assert counts == [20, 10]  # every other South copy is on loan
    nowhere = get(url, query="fedcat.library = nowhere")
    assert nowhere.findtext("sru:numberOfRecords", namespaces=NS) == "0"


def test_record_identifier_and_isbn_find_that_work(sru):
    url, client = sru
    work = client.get("/api/v1/search?f.library=south&per_page=1").get_json()["results"][0]
    by_id = get(url, query=f"rec.identifier = {work['id']}", recordSchema="dc")
    assert by_id.findtext("sru:numberOfRecords", namespaces=NS) == "1"
    titles = by_id.xpath("//*[local-name()='title']/text()")
    assert titles and titles[0].startswith(work["title"])
    if work["isbns"]:
        by_isbn = get(url, query=f'bath.isbn = "{work["isbns"][0]}"')
        ids = by_isbn.xpath("//marc:controlfield[@tag='001']/text()", namespaces=NS)
        assert work["id"] in ids


def test_sort_keys_and_sort_by_order_by_year(sru):
    url, _ = sru

    def years(tree):
        dates = tree.xpath(
            "//marc:datafield[@tag='264']/marc:subfield[@code='c']/text()", namespaces=NS
        )
        return [int(d) for d in dates]

    newest = years(get(url, query="cql.allRecords = 1 sortBy dc.date/sort.descending"))
    oldest = years(
        get(
            url,
            version="1.2",
            operation="searchRetrieve",
            query="cql.allRecords=1",
            sortKeys="dc.date,,1",
        )
    )
    assert newest == sorted(newest, reverse=True) and len(newest) > 3
    assert oldest == sorted(oldest)


def test_mods_schema_carries_holdings_as_locations(sru):
    url, _ = sru
    tree = get(url, query="fedcat.library = south", recordSchema="mods", maximumRecords="1")
    shelf = tree.xpath("//*[local-name()='location']/*[local-name()='shelfLocator']/text()")
    assert any(s.startswith("SOUTH ") for s in shelf)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"query": "dc.title = "}, 10),
        ({"query": "a and"}, 10),
        ({"query": "dc.colour = red"}, 16),
        ({"query": "dc.title < jazz"}, 19),
        ({"query": "dc.title =/stem jazz"}, 20),
        ({"query": "jazz prox blues"}, 37),
        ({"query": "jazz or fedcat.library = south"}, 48),
        ({"query": "*azz"}, 28),
        ({"query": "jazz", "startRecord": "0"}, 6),
        ({"query": "jazz", "startRecord": "x"}, 6),
        ({"query": "jazz", "maximumRecords": "101"}, 60),
        ({"query": "jazz", "startRecord": "1000", "maximumRecords": "10"}, 61),
        ({"query": "jazz", "startRecord": "900"}, 61),
        ({"query": "jazz", "recordSchema": "pdf"}, 66),
        ({"query": "jazz", "version": "3.0"}, 5),
        ({"query": "jazz", "operation": "scan"}, 4),
        ({"query": "jazz", "colour": "red"}, 8),
        ({"query": "jazz sortBy dc.shoesize"}, 88),
        (
            {
                "query": "jazz",
                "version": "1.2",
                "operation": "searchRetrieve",
                "recordPacking": "zip",
            },
            71,
        ),
    ],
)
def test_every_refusal_is_an_sru_diagnostic(sru, params, code):
    url, _ = sru
    tree = get(url, **params)
    assert diagnostic(tree) == f"info:srw/diagnostic/1/{code}"
    assert b"Traceback" not in etree.tostring(tree)


def test_sru_12_answers_in_the_zing_namespace_with_string_packing(sru):
    url, _ = sru
    tree = get(url, version="1.2", operation="searchRetrieve", query="jazz", recordPacking="string")
    assert tree.tag == f"{{{SRU12}}}searchRetrieveResponse"
    data = tree.find("old:records/old:record/old:recordData", NS)
    assert data.text.startswith("<record") and len(data) == 0
    assert pymarc.parse_xml_to_array(io.BytesIO(data.text.encode()))


def test_sru_is_in_the_rate_limit(engine, tmp_path):
    with union_app(engine, tmp_path, count=5, rate_limit="3/minute") as app:
        client = app.test_client()
        statuses = [client.get("/sru?query=jazz").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


#: Pieces of CQL (and of what is not CQL) that the fuzzed queries are made of.
CQL_PIECES = [
    *'ab =<>"()*?^/\\.', "and", "or", "not", "prox", "dc.title", "fedcat.library",
    "rec.identifier", "sortBy", "/sort.descending", "é", "\x00", "\ud7ff", "any", "==",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=st.lists(st.sampled_from(CQL_PIECES), max_size=12).map("".join) | st.text(max_size=30),
    start=st.sampled_from(["", "1", "0", "-1", "999999999999", "5"]),
    schema=st.sampled_from(["", "marcxml", "dc", "mods", "x"]),
    version=st.sampled_from(["", "1.2", "2.0", "9"]),
)
def test_fuzzed_cql_and_parameters_never_answer_5xx(sru, query, start, schema, version):
    _, client = sru
    params = {"query": query, "startRecord": start, "recordSchema": schema, "version": version}
    response = client.get("/sru", query_string={k: v for k, v in params.items() if v})
    assert response.status_code == 200
    etree.fromstring(response.get_data())


def test_a_client_over_the_rate_limit_gets_an_sru_diagnostic_in_its_version(engine, tmp_path):
    with union_app(engine, tmp_path, count=3, rate_limit="1/minute") as app:
        client = app.test_client()
        assert client.get("/sru?query=jazz").status_code == 200
        refused = client.get("/sru?query=jazz&version=1.2&operation=searchRetrieve")
        again = client.get("/sru?query=jazz")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.mimetype == "application/xml"
    tree = etree.fromstring(refused.get_data())
    assert tree.tag == f"{{{SRU12}}}searchRetrieveResponse"
    assert diagnostic(tree) == "info:srw/diagnostic/1/2"
    assert "Too many requests" in etree.tostring(tree, encoding="unicode")
    newer = etree.fromstring(again.get_data())
    assert newer.tag.endswith("}searchRetrieveResponse") and SRU12 not in newer.tag
    assert diagnostic(newer) == "info:srw/diagnostic/1/2"
