"""The harvester against a third-party OAI-PMH server: pyoai's, serving real MARC records.

pyoai is in the test extra (setup.cfg); where it is missing this module fails to import.
"""

from __future__ import annotations

import copy
import urllib.parse
from datetime import timedelta

import pytest
from lxml import etree
from oaipmh import common, metadata, server

from config.partners import Partner
from harvester.checkpoints import Checkpoints
from harvester.client import RetryPolicy
from harvester.runner import harvest
from tests.fixtures.builders import embedded_catalog
from tests.fixtures.live import serve_wsgi
from tests.fixtures.oai_faults import marc_records

MARC_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
MARC_NS = "http://www.loc.gov/MARC21/slim"


class MarcRepository:
    """pyoai's IOAI server interface over provider records."""

    def __init__(self, records, deleted: set[str]):
        self.items = [
            (
                common.Header(None, r.identifier, r.datestamp.replace(tzinfo=None), r.sets, False)
                if r.identifier not in deleted
                else common.Header(None, r.identifier, r.datestamp.replace(tzinfo=None), [], True),
                common.Metadata(etree.fromstring(r.metadata["marc21"]), {}),
                None,
            )
            for r in records
        ]

    def identify(self):
        return common.Identify(
            "pyoai test repository",
            "http://127.0.0.1/oai",
            "2.0",
            ["catalog@example.org"],
            self.items[0][0].datestamp(),
            "persistent",
            "YYYY-MM-DDThh:mm:ssZ",
            ["identity"],
        )

    def listMetadataFormats(self, identifier=None):
        return [("marc21", MARC_SCHEMA, MARC_NS)]

    def listRecords(self, metadataPrefix, set=None, from_=None, until=None):
        return [
            item
            for item in self.items
            if (from_ is None or item[0].datestamp() >= from_)
            and (until is None or item[0].datestamp() <= until)
        ]

    def getRecord(self, metadataPrefix, identifier):
        return next(item for item in self.items if item[0].identifier() == identifier)


def wsgi_app(oai_server):
    def app(environ, start_response):
        arguments = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        body = oai_server.handleRequest(arguments)
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [body if isinstance(body, bytes) else body.encode("utf-8")]

    return app


@pytest.fixture
def pyoai_tokens_on_python3(monkeypatch):
    """pyoai 2.5 decodes its own resumption tokens with cgi.parse_qs, which Python 3.8
    removed; give it back the same function under its old name, or no second page works."""
    monkeypatch.setattr(server.cgi, "parse_qs", urllib.parse.parse_qs, raising=False)


async def test_harvester_reads_every_page_and_deletion_from_pyoai_server(
    tmp_path, pyoai_tokens_on_python3
):
    records = marc_records(45)
    deleted = {records[3].identifier, records[40].identifier}
    registry = metadata.MetadataRegistry()
    registry.registerWriter(
        "marc21", lambda element, md: element.append(copy.deepcopy(md.element()))
    )
    oai_server = server.Server(MarcRepository(records, deleted), registry, resumption_batch_size=10)
    checkpoints = Checkpoints(tmp_path / "state.sqlite", overlap=timedelta(0))
    with (
        serve_wsgi(wsgi_app(oai_server)) as base,
        embedded_catalog(tmp_path, {"pyoai": "pyoai"}) as catalog,
    ):
        report = await harvest(
            [Partner("pyoai", "pyoai", base + "/oai")],
            catalog,
            checkpoints,
            batch_size=10,
            policy=RetryPolicy(attempts=2, backoff=0.01, timeout=5),
        )
        rows = catalog.db.execute("SELECT identifier FROM records WHERE partner_id = 'pyoai'")
        harvested = {identifier for (identifier,) in rows}
    pyoai_partner = report.partners[0]
    assert pyoai_partner.error is None and pyoai_partner.complete
    assert (pyoai_partner.records, pyoai_partner.deleted, pyoai_partner.pages) == (45, 2, 5)
    assert harvested == {r.identifier for r in records} - deleted
    assert checkpoints.status(["pyoai"])[0].next_from == "2025-03-01T15:20:00Z"
