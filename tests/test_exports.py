"""Exports of a work and of a result list, each read back by its format's own library."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser

import bibtexparser
import pymarc
import pytest
import rispy
from citeproc.source.json import CiteProcJSON

from config.settings import Settings
from outward.exports import EXPORT_FORMATS
from search_ui.app import create_app
from tests.fixtures.union import LIBRARY_NAMES, PARTNERS, union_records


@pytest.fixture
def union(engine, tmp_path):
    """(test client, payload of a work held by both libraries) over each engine."""
    from indexer.catalog import Catalog, open_state

    db = open_state(tmp_path / "fedcat.sqlite")
    catalog = Catalog(db, engine, LIBRARY_NAMES)
    catalog.add_records(union_records(30))
    app = create_app(Settings(data_dir=tmp_path, rate_limit=None), engine=engine, partners=PARTNERS)
    client = app.test_client()
    found = client.get("/api/v1/search?f.library=south&per_page=5").get_json()["results"]
    work = client.get(f"/api/v1/works/{found[0]['id']}").get_json()
    assert {h["library_id"] for h in work["holdings"]} == {"north", "south"}
    yield client, work
    db.close()


def test_ris_export_of_a_work_reads_back_with_rispy(union):
    client, work = union
    response = client.get(f"/api/v1/works/{work['id']}/export/ris")
    assert response.status_code == 200
    assert response.mimetype == "application/x-research-info-systems"
    [entry] = rispy.loads(response.get_data(as_text=True))
    assert entry["id"] == work["id"]
    assert entry["title"].startswith(work["title"])
    assert entry["authors"] == [c["name"] for c in work["contributors"]]
    if work["year"]:
        assert entry["year"] == str(work["year"])
    assert "SOUTH" in entry["call_number"]


def test_bibtex_export_of_a_work_reads_back_with_bibtexparser(union):
    client, work = union
    response = client.get(f"/export/bibtex/work/{work['id']}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{work["id"]}.bib"'
    library = bibtexparser.parse_string(response.get_data(as_text=True))
    assert not library.failed_blocks
    [entry] = library.entries
    assert entry.key == work["id"]
    assert entry["title"].strip("{}").startswith(work["title"].replace("{", "").replace("}", ""))


def test_csl_json_export_of_a_work_reads_back_with_citeproc(union):
    client, work = union
    response = client.get(f"/api/v1/works/{work['id']}/export/csl-json")
    assert response.status_code == 200
    source = CiteProcJSON(json.loads(response.get_data(as_text=True)))
    item = source[work["id"].lower()]
    assert str(item["title"]).startswith(work["title"])


def test_marcxml_export_carries_an_852_per_holding_with_call_number_and_status(union):
    client, work = union
    response = client.get(f"/api/v1/works/{work['id']}/export/marcxml")
    assert response.status_code == 200
    [record] = pymarc.parse_xml_to_array(io.BytesIO(response.get_data()))
    assert record["001"].data == work["id"]
    assert record["245"]["a"] == work["title"]
    holdings = {f["a"]: f for f in record.get_fields("852")}
    assert set(holdings) == {"north", "south"}
    south = next(h for h in work["holdings"] if h["library_id"] == "south")
    assert holdings["south"]["h"] == south["call_number"]
    assert holdings["south"]["z"] == south["status"]
    assert holdings["south"]["b"] == "South University Library"


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_a_result_page_exports_every_work_it_lists(union, fmt):
    client, _ = union
    listed = client.get("/api/v1/search?q=jazz&per_page=7").get_json()["results"]
    assert listed
    body = client.get(f"/api/v1/search/export/{fmt}?q=jazz&per_page=7").get_data()
    download = client.get(f"/export/{fmt}?q=jazz&per_page=7")
    assert download.get_data() == body
    assert "attachment" in download.headers["Content-Disposition"]
    ids = [w["id"] for w in listed]
    if fmt == "ris":
        assert [e["id"] for e in rispy.loads(body.decode())] == ids
    elif fmt == "bibtex":
        assert [e.key for e in bibtexparser.parse_string(body.decode()).entries] == ids
    elif fmt == "csl-json":
        assert [i["id"] for i in json.loads(body)] == ids
    else:
        assert [r["001"].data for r in pymarc.parse_xml_to_array(io.BytesIO(body))] == ids


class Alternates(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        values = {k: v or "" for k, v in attrs}
        if tag == "link" and values.get("rel") == "alternate":
            self.links.append(values)


def test_record_page_links_each_export_as_an_alternate_that_answers_in_its_type(union):
    client, work = union
    page = client.get(f"/work/{work['id']}")
    parser = Alternates()
    parser.feed(page.get_data(as_text=True))
    types = {link["type"]: link["href"] for link in parser.links}
    assert set(types) >= {f.media_type for f in EXPORT_FORMATS.values()}
    for media_type, href in types.items():
        answer = client.get(href)
        assert answer.status_code == 200, href
        assert answer.mimetype == media_type


def test_result_page_offers_its_exports(union):
    client, _ = union
    html = client.get("/?q=jazz").get_data(as_text=True)
    assert "/export/ris?q=jazz" in html


def test_unknown_format_or_work_is_a_404_not_an_error(union):
    client, work = union
    assert client.get(f"/api/v1/works/{work['id']}/export/docx").status_code == 404
    assert client.get("/api/v1/works/wnope/export/ris").status_code == 404
    assert client.get("/export/ris/work/%00%ff").status_code == 404
    assert client.get("/api/v1/search/export/ris?page=x").status_code == 400
