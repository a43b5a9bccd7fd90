"""The demo OAI-PMH provider over real HTTP on loopback: the protocol, and its faults."""

from __future__ import annotations

import gzip
import http.client
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sickle
from lxml import etree

from demo.oai_provider import DAY, FAULTS, REPOSITORY, Faults, ProviderRecord, make_app, serve
from tests.fixtures.oai_faults import marc_records

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "marc": "http://www.loc.gov/MARC21/slim"}


@pytest.fixture
def records():
    return marc_records(25)


@pytest.fixture
def provider(records):
    """(base URL, app) of a provider with 25 real MARC records, pages of 10."""
    app = make_app(records, repository_name="North & South Library", page_size=10)
    with serve(app) as url:
        yield url, app


def get(url: str, **args: str) -> etree._Element:
    with urllib.request.urlopen(f"{url}?{urllib.parse.urlencode(args)}") as response:
        return etree.fromstring(response.read())


def post(url: str, **args: str) -> etree._Element:
    data = urllib.parse.urlencode(args).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data)) as response:
        return etree.fromstring(response.read())


def error_code(tree: etree._Element) -> str | None:
    found = tree.find("oai:error", NS)
    return None if found is None else found.get("code")


def test_identify_states_granularity_earliest_datestamp_and_persistent_deletions(provider):
    url, _ = provider
    identify = get(url, verb="Identify").find("oai:Identify", NS)
    assert identify.findtext("oai:repositoryName", namespaces=NS) == "North & South Library"
    assert identify.findtext("oai:baseURL", namespaces=NS) == url
    assert identify.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("oai:earliestDatestamp", namespaces=NS) == "2025-03-01T08:00:00Z"
    assert identify.findtext("oai:deletedRecord", namespaces=NS) == "persistent"


def test_list_metadata_formats_offers_only_the_formats_records_have(provider):
    url, _ = provider
    formats = get(url, verb="ListMetadataFormats").findall(".//oai:metadataFormat", NS)
    assert [f.findtext("oai:metadataPrefix", namespaces=NS) for f in formats] == ["marc21"]
    assert formats[0].findtext("oai:schema", namespaces=NS).endswith("MARC21slim.xsd")


def test_sickle_harvests_every_record_page_by_page(provider, records):
    url, app = provider
    harvested = list(sickle.Sickle(url).ListRecords(metadataPrefix="marc21"))
    assert [r.header.identifier for r in harvested] == [r.identifier for r in records]
    title = harvested[0].xml.find(".//marc:datafield[@tag='245']/marc:subfield", NS)
    assert title is not None and title.text
    assert title.text == "Friendly fire /"  # 245 $a of the first record of jazz_1k.mrc
    assert harvested[0].xml.findtext(".//marc:controlfield[@tag='001']", namespaces=NS) == (
        "03-0018137"
    )
    pages = [entry for entry in app[FAULTS].log if entry[1].get("verb") == "ListRecords"]
    assert len(pages) == 3


def test_resumption_token_carries_list_size_and_cursor_and_last_page_has_empty_token(provider):
    url, _ = provider
    first = get(url, verb="ListIdentifiers", metadataPrefix="marc21")
    token = first.find(".//oai:resumptionToken", NS)
    assert (token.get("completeListSize"), token.get("cursor")) == ("25", "0")
    second = get(url, verb="ListIdentifiers", resumptionToken=token.text)
    third = get(
        url,
        verb="ListIdentifiers",
        resumptionToken=second.findtext(".//oai:resumptionToken", namespaces=NS),
    )
    last = third.find(".//oai:resumptionToken", NS)
    assert (last.text, last.get("cursor")) == (None, "20")
    assert len(third.findall(".//oai:header", NS)) == 5


def test_from_and_until_select_records_by_datestamp_inclusive(provider, records):
    url, _ = provider
    tree = get(
        url,
        verb="ListIdentifiers",
        metadataPrefix="marc21",
        **{"from": "2025-03-01T08:30:00Z", "until": "2025-03-01T09:00:00Z"},
    )
    identifiers = [h.text for h in tree.findall(".//oai:identifier", NS)]
    assert identifiers == [r.identifier for r in records[3:7]]


def test_day_granularity_repository_rejects_seconds_and_filters_whole_days():
    records = [
        ProviderRecord("oai:a:1", "2025-01-01T23:59:00Z", metadata={"oai_dc": "<dc/>"}),
        ProviderRecord("oai:a:2", "2025-01-02T00:00:01Z", metadata={"oai_dc": "<dc/>"}),
    ]
    with serve(make_app(records, repository_name="Day", granularity=DAY)) as url:
        seconds = get(
            url, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2025-01-01T00:00:00Z"
        )
        assert error_code(seconds) == "badArgument"
        tree = get(url, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2025-01-01")
        assert [h.text for h in tree.findall(".//oai:identifier", NS)] == ["oai:a:1"]
        assert tree.findtext(".//oai:datestamp", namespaces=NS) == "2025-01-01"


def test_post_requests_are_answered_like_get(provider, records):
    url, _ = provider
    tree = post(url, verb="GetRecord", identifier=records[4].identifier, metadataPrefix="marc21")
    assert tree.findtext(".//oai:header/oai:identifier", namespaces=NS) == records[4].identifier


def test_sets_are_listed_and_select_records_hierarchically(provider, records):
    url, _ = provider
    specs = [s.text for s in get(url, verb="ListSets").findall(".//oai:setSpec", NS)]
    assert specs == ["all", "all:music"]
    music = get(url, verb="ListIdentifiers", metadataPrefix="marc21", set="all:music")
    assert music.find(".//oai:resumptionToken", NS).get("completeListSize") == "12"
    everything = get(url, verb="ListIdentifiers", metadataPrefix="marc21", set="all")
    assert everything.find(".//oai:resumptionToken", NS).get("completeListSize") == "25"


def test_deleted_record_keeps_a_header_with_status_deleted_and_no_metadata(provider, records):
    url, app = provider
    app[REPOSITORY].delete(records[0].identifier, "2025-04-01T00:00:00Z")
    tree = get(url, verb="GetRecord", identifier=records[0].identifier, metadataPrefix="marc21")
    assert tree.find(".//oai:header", NS).get("status") == "deleted"
    assert tree.find(".//oai:metadata", NS) is None


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "Identify", "set": "x"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "marc21", "resumptionToken": "x"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "ead"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "identifier": "oai:nope", "metadataPrefix": "marc21"},
            "idDoesNotExist",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2030-01-01"},
            "noRecordsMatch",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "yesterday"}, "badArgument"),
    ],
)
def test_protocol_errors_come_back_as_oai_error_xml(provider, args, code):
    url, _ = provider
    assert error_code(get(url, **args)) == code


def test_repository_without_sets_answers_no_set_hierarchy():
    records = [ProviderRecord("oai:a:1", "2025-01-01T00:00:00Z", metadata={"mods": "<mods/>"})]
    with serve(make_app(records, repository_name="Flat")) as url:
        assert error_code(get(url, verb="ListSets")) == "noSetHierarchy"
        tree = get(url, verb="ListRecords", metadataPrefix="mods", set="x")
        assert error_code(tree) == "noSetHierarchy"


def test_sickle_raises_the_oai_error_the_provider_sends(provider):
    url, _ = provider
    with pytest.raises(sickle.oaiexceptions.CannotDisseminateFormat):
        next(iter(sickle.Sickle(url).ListRecords(metadataPrefix="ead")))


def test_unavailable_fault_answers_503_with_retry_after_then_recovers(provider):
    url, app = provider
    app[FAULTS].unavailable, app[FAULTS].retry_after = 1, "7"
    with pytest.raises(urllib.error.HTTPError) as raised:
        get(url, verb="Identify")
    assert (raised.value.code, raised.value.headers["Retry-After"]) == (503, "7")
    assert get(url, verb="Identify").find("oai:Identify", NS) is not None
    identify = get(url, verb="Identify").find("oai:Identify", NS)
    assert identify.findtext("oai:repositoryName", namespaces=NS) == "North & South Library"
    assert [entry[3] for entry in app[FAULTS].log] == [503, 200, 200]


def test_server_error_fault_answers_500_for_the_next_n_requests(provider):
    url, app = provider
    app[FAULTS].server_errors = 2
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError, match="500"):
            get(url, verb="Identify")
    assert get(url, verb="Identify") is not None
    identify = get(url, verb="Identify").find("oai:Identify", NS)
    assert identify.findtext("oai:repositoryName", namespaces=NS) == "North & South Library"
    assert [entry[3] for entry in app[FAULTS].log] == [500, 500, 200, 200]


def test_drop_fault_cuts_the_connection_mid_body(provider):
    url, app = provider
    app[FAULTS].drops = 1
    with pytest.raises(http.client.IncompleteRead):
        get(url, verb="ListRecords", metadataPrefix="marc21")


def test_redirect_fault_sends_302_to_the_same_request(provider):
    url, app = provider
    app[FAULTS].redirects = 1
    tree = get(url, verb="Identify")  # urllib follows the redirect
    assert tree.find("oai:Identify", NS) is not None
    assert tree.findtext("oai:Identify/oai:baseURL", namespaces=NS) == url
    assert [entry[3] for entry in app[FAULTS].log] == [302, 200]


def test_gzip_is_sent_when_the_client_accepts_it(provider):
    url, _ = provider
    request = urllib.request.Request(f"{url}?verb=Identify", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert b"<Identify>" in gzip.decompress(response.read())


@pytest.mark.parametrize("kind", ["truncated", "control-char", "bare-ampersand", "xxe", "bomb"])
def test_page_fault_spoils_only_the_chosen_page_once(provider, kind):
    url, app = provider
    app[FAULTS].page_faults = {2: [kind]}
    first = get(url, verb="ListRecords", metadataPrefix="marc21")
    token = first.findtext(".//oai:resumptionToken", namespaces=NS)
    raw = urllib.request.urlopen(f"{url}?verb=ListRecords&resumptionToken={token}").read()
    if kind in ("xxe", "bomb"):
        assert b"<!DOCTYPE OAI-PMH [<!ENTITY" in raw
    else:
        with pytest.raises(etree.XMLSyntaxError):
            etree.fromstring(raw)
    again = get(url, verb="ListRecords", resumptionToken=token)
    assert len(again.findall(".//oai:record", NS)) == 10


def test_expired_token_fault_answers_bad_resumption_token_once(provider):
    url, app = provider
    app[FAULTS].page_faults = {2: ["expired-token"]}
    token = get(url, verb="ListRecords", metadataPrefix="marc21").findtext(
        ".//oai:resumptionToken", namespaces=NS
    )
    assert error_code(get(url, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    assert error_code(get(url, verb="ListRecords", resumptionToken=token)) is None


def test_every_real_marc_record_is_served_as_well_formed_xml():
    records = marc_records(1000)
    with serve(make_app(records, repository_name="Jazz", page_size=500)) as url:
        harvested = list(sickle.Sickle(url).ListRecords(metadataPrefix="marc21"))
    assert len(harvested) == len(records) > 800
    assert [r.header.identifier for r in harvested] == [r.identifier for r in records]
    titles = [
        r.xml.findtext(".//marc:datafield[@tag='245']/marc:subfield", namespaces=NS)
        for r in harvested
    ]
    assert len(records) == 905  # the titled records of jazz_1k.mrc
    assert all(titles)
    assert titles[:2] == ["Friendly fire /", "The incredible jazz guitar of Wes Montgomery"]


def test_faults_default_to_a_well_behaved_server():
    faults = Faults()
    assert not (faults.unavailable or faults.server_errors or faults.drops or faults.redirects)
    assert faults.page_faults == {} and faults.delay == 0
