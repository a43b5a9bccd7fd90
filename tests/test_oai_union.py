"""fedcat's own OAI-PMH provider at /oai, harvested completely by sickle, pyoai and fedcat's
harvester over real loopback HTTP; deletions, sets, tokens across a restart, bad arguments."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
import sickle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from oaipmh.client import Client
from oaipmh.metadata import MetadataRegistry, oai_dc_reader

from config.partners import Partner
from harvester.checkpoints import Checkpoints
from harvester.client import RetryPolicy
from harvester.runner import harvest
from tests.fixtures.builders import embedded_catalog
from tests.fixtures.live import serve_wsgi
from tests.fixtures.union import fedcat_app, union_catalog

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI, "marc": "http://www.loc.gov/MARC21/slim"}
PAGE = 7


@pytest.fixture
def union(engine, tmp_path):
    """(catalogue, app, base URL of /oai on loopback) over each engine, pages of 7."""
    with union_catalog(engine, tmp_path) as catalog:
        app = fedcat_app(engine, tmp_path)
        app.extensions["fedcat"].oai_page_size = PAGE
        with serve_wsgi(app) as url:
            yield catalog, app, f"{url}/oai"


def work_ids(catalog) -> set[str]:
    return set(catalog.store.work_ids())


def get(url: str, **args: str) -> etree._Element:
    with urllib.request.urlopen(f"{url}?{urllib.parse.urlencode(args)}") as response:
        assert response.status == 200
        return etree.fromstring(response.read())


def error_code(tree: etree._Element) -> str | None:
    found = tree.find("oai:error", NS)
    return None if found is None else found.get("code")


def remove_a_north_only_work(catalog) -> str:
    """Delete a record only North holds; its work goes away. Returns the work id."""
    key = "north\x1foai:north:39"
    row = catalog.db.execute("SELECT work_id FROM records WHERE record_key = ?", (key,))
    [(work_id,)] = row.fetchall()
    time.sleep(1.1)  # datestamps are in seconds: the deletion is in a later one
    catalog.remove_records([key])
    return work_id


def test_sickle_harvests_every_work_with_holdings_then_the_deletion(union):
    catalog, _, url = union
    works = work_ids(catalog)
    client = sickle.Sickle(url)
    records = list(client.ListRecords(metadataPrefix="marcxml", ignore_deleted=False))
    assert {r.header.identifier.removeprefix("oai:fedcat:") for r in records} == works
    assert len(records) == len(works) > 3 * PAGE
    south = [r for r in records if "library:south" in r.header.setSpecs]
    assert len(south) == 20
    holding = south[0].xml.find(".//marc:datafield[@tag='852']", NS)
    assert holding is not None
    identify = client.Identify()
    assert identify.deletedRecord == "persistent"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"

    since = records[-1].header.datestamp
    gone = remove_a_north_only_work(catalog)
    later = list(
        client.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False, **{"from": since})
    )
    deleted = [r for r in later if r.header.deleted]
    assert [r.header.identifier for r in deleted] == [f"oai:fedcat:{gone}"]
    record = client.GetRecord(identifier=f"oai:fedcat:{gone}", metadataPrefix="oai_dc")
    assert record.header.deleted  # persistent: announced for good


class _Evaluator:
    """lxml's XPathEvaluator with the `evaluate` method that pyoai 2.5's client calls (lxml
    dropped it; the evaluator itself is callable)."""

    def __init__(self, tree, namespaces=None):
        self._evaluate = etree.XPathEvaluator(tree, namespaces=namespaces)

    def evaluate(self, path):
        return self._evaluate(path)


@pytest.fixture
def pyoai_client_on_current_lxml(monkeypatch):
    """pyoai's client module with an `etree` whose XPathEvaluator still has `evaluate`."""
    import types

    import oaipmh.client
    import oaipmh.metadata

    shim = types.SimpleNamespace(XML=etree.XML, XPathEvaluator=_Evaluator)
    monkeypatch.setattr(oaipmh.client, "etree", shim)
    if hasattr(oaipmh.metadata, "etree"):
        monkeypatch.setattr(oaipmh.metadata, "etree", shim)


def test_pyoai_harvests_every_work_and_the_sets(union, pyoai_client_on_current_lxml):
    catalog, _, url = union
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    client = Client(url, registry)
    headers = list(client.listIdentifiers(metadataPrefix="oai_dc"))
    assert {h.identifier().removeprefix("oai:fedcat:") for h in headers} == work_ids(catalog)
    records = list(client.listRecords(metadataPrefix="oai_dc", set="library:south"))
    assert len(records) == 20
    header, metadata, _ = records[0]
    assert metadata.getField("title")
    assert any("South University Library" in d for d in metadata.getField("description"))
    specs = {spec for spec, _, _ in client.listSets()}
    assert {"library", "library:north", "library:south", "format", "format:recording"} <= specs
    prefixes = {prefix for prefix, _, _ in client.listMetadataFormats()}
    assert prefixes == {"oai_dc", "marcxml"}


async def test_fedcats_own_harvester_harvests_fedcat_completely(union, tmp_path):
    catalog, _, url = union
    works = work_ids(catalog)
    directory = tmp_path / "aggregator"
    directory.mkdir()
    checkpoints = Checkpoints(directory / "state.sqlite", overlap=timedelta(0))
    partner = Partner("union", "Union", url, metadata_prefix="marcxml")
    with embedded_catalog(directory, {"union": "Union"}) as aggregator:
        report = await harvest(
            [partner], aggregator, checkpoints, batch_size=5,
            policy=RetryPolicy(attempts=2, backoff=0.01, timeout=10),
        )  # fmt: skip
        rows = aggregator.db.execute("SELECT identifier FROM records WHERE partner_id = 'union'")
        harvested = {identifier.removeprefix("oai:fedcat:") for (identifier,) in rows}
    result = report.partners[0]
    assert result.error is None and result.complete
    assert result.records == len(works)
    assert harvested == works


def test_a_resumption_token_survives_a_restart_of_fedcat(union, engine, tmp_path):
    catalog, app, _ = union
    first = app.test_client().get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc")
    tree = etree.fromstring(first.get_data())
    token = tree.find(".//oai:resumptionToken", NS)
    assert token.get("completeListSize") == str(len(work_ids(catalog)))
    restarted = fedcat_app(engine, tmp_path)  # a new process would build a new app
    restarted.extensions["fedcat"].oai_page_size = PAGE
    answer = restarted.test_client().get(f"/oai?verb=ListIdentifiers&resumptionToken={token.text}")
    following = etree.fromstring(answer.get_data())
    assert error_code(following) is None
    seen = tree.findall(".//oai:header/oai:identifier", NS)
    more = following.findall(".//oai:header/oai:identifier", NS)
    assert len(more) == PAGE
    assert not {e.text for e in seen} & {e.text for e in more}
    assert following.find(".//oai:resumptionToken", NS).get("cursor") == str(PAGE)


def test_post_is_answered_like_get(union):
    _, app, _ = union
    client = app.test_client()
    posted = client.post("/oai", data={"verb": "Identify"})
    assert posted.status_code == 200
    assert etree.fromstring(posted.get_data()).find("oai:Identify", NS) is not None


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "badVerb"),
        ("verb=Dance", "badVerb"),
        ("verb=Identify&verb=Identify", "badVerb"),
        ("verb=Identify&colour=red", "badArgument"),
        ("verb=ListRecords", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=marcxml", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=yesterday", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2026-02-30", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2026-01-02&until=2026-01-01", "badArgument"),
        (
            "verb=ListRecords&metadataPrefix=oai_dc&from=2026-01-01&until=2026-01-02T00:00:00Z",
            "badArgument",
        ),
        ("verb=ListRecords&metadataPrefix=pdf", "cannotDisseminateFormat"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2999-01-01", "noRecordsMatch"),
        ("verb=ListRecords&metadataPrefix=oai_dc&set=library:nowhere", "noRecordsMatch"),
        ("verb=ListRecords&resumptionToken=garbage", "badResumptionToken"),
        ("verb=ListRecords&resumptionToken=WzEsMiwzXQ", "badResumptionToken"),
        ("verb=ListRecords&resumptionToken=x&metadataPrefix=oai_dc", "badArgument"),
        ("verb=GetRecord&identifier=oai:fedcat:wnope&metadataPrefix=oai_dc", "idDoesNotExist"),
        ("verb=GetRecord&identifier=nope&metadataPrefix=oai_dc", "idDoesNotExist"),
        ("verb=ListMetadataFormats&identifier=oai:fedcat:wnope", "idDoesNotExist"),
        ("verb=ListSets&resumptionToken=x", "badResumptionToken"),
    ],
)
def test_bad_arguments_are_oai_errors(union, query, code):
    _, app, _ = union
    response = app.test_client().get(f"/oai?{query}")
    assert response.status_code == 200
    assert error_code(etree.fromstring(response.get_data())) == code


ARGUMENTS = ["verb", "metadataPrefix", "from", "until", "set", "identifier", "resumptionToken", "x"]
VALUES = ["ListRecords", "ListIdentifiers", "GetRecord", "ListSets", "Identify", "oai_dc",
          "marcxml", "2026-01-01", "2026-01-01T00:00:00Z", "library:south", "format",
          "oai:fedcat:w1", "", "\x00", "é", "WzEsMiwzXQ", "eyJhIjoxfQ", "9" * 30]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(st.sampled_from(ARGUMENTS), st.sampled_from(VALUES) | st.text(max_size=20)),
        max_size=5,
    )
)
def test_fuzzed_oai_arguments_never_answer_5xx(union, pairs):
    _, app, _ = union
    response = app.test_client().get("/oai", query_string=pairs)
    assert response.status_code == 200
    tree = etree.fromstring(response.get_data())
    assert tree.tag == f"{{{OAI}}}OAI-PMH"


def test_oai_is_in_the_rate_limit(engine, tmp_path):
    app = fedcat_app(engine, tmp_path, rate_limit="2/minute")
    statuses = [app.test_client().get("/oai?verb=Identify").status_code for _ in range(3)]
    assert statuses == [200, 200, 503]


def test_a_client_over_the_rate_limit_is_told_when_to_come_back_as_oai_pmh_does(engine, tmp_path):
    """OAI-PMH's flow control: 503 with Retry-After, which harvesters wait out and retry
    (an OAI error element, or a 429, would end their harvest)."""
    app = fedcat_app(engine, tmp_path, rate_limit="1/minute")
    client = app.test_client()
    assert client.get("/oai?verb=Identify").status_code == 200
    refused = client.post("/oai", data={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many requests" in refused.get_data(as_text=True)
