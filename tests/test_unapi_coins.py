"""COinS spans and unAPI on the result and record pages, read as a citation tool reads them."""

from __future__ import annotations

import io
from urllib.parse import parse_qs

import lxml.html
import pymarc
import pytest
import requests
import rispy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from outward.exports import EXPORT_FORMATS
from tests.fixtures.live import serve_wsgi
from tests.fixtures.union import union_app


@pytest.fixture
def site(engine, tmp_path):
    """(base URL of the app on loopback, Flask test client) over each engine."""
    with union_app(engine, tmp_path, count=10) as app, serve_wsgi(app) as url:
        yield url, app.test_client()


def page(url: str) -> lxml.html.HtmlElement:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    tree = lxml.html.fromstring(response.content, base_url=url)
    tree.make_links_absolute()
    return tree


def context_objects(tree: lxml.html.HtmlElement) -> list[dict[str, list[str]]]:
    return [parse_qs(span.get("title")) for span in tree.find_class("Z3988")]


def test_a_citation_tool_follows_unapi_from_the_record_page_to_the_marcxml(site):
    url, _ = site
    [hit] = requests.get(f"{url}/api/v1/search?f.library=south&per_page=1", timeout=30).json()[
        "results"
    ]
    tree = page(f"{url}/work/{hit['id']}")
    [server] = tree.xpath('//link[@rel="unapi-server"]')
    assert server.get("type") == "application/xml"
    [abbr] = tree.xpath('//abbr[@class="unapi-id"]')
    assert abbr.get("title") == hit["id"]
    unapi = server.get("href")
    assert unapi.startswith(url)

    listing = requests.get(unapi, timeout=30)
    assert listing.status_code == 200
    names = [f.get("name") for f in etree.fromstring(listing.content).findall("format")]
    assert names == list(EXPORT_FORMATS)

    formats = requests.get(unapi, params={"id": abbr.get("title")}, timeout=30)
    assert formats.status_code == 300
    root = etree.fromstring(formats.content)
    assert root.get("id") == hit["id"]
    types = {f.get("name"): f.get("type") for f in root.findall("format")}
    assert types["marcxml"] == "application/marcxml+xml"

    record = requests.get(unapi, params={"id": hit["id"], "format": "marcxml"}, timeout=30)
    assert record.status_code == 200
    assert record.headers["Content-Type"].startswith("application/marcxml+xml")
    [marc] = pymarc.parse_xml_to_array(io.BytesIO(record.content))
    assert marc["001"].data == hit["id"]
    assert {f["a"] for f in marc.get_fields("852")} == {"north", "south"}

    ris = requests.get(unapi, params={"id": hit["id"], "format": "ris"}, timeout=30)
    [entry] = rispy.loads(ris.text)
    assert entry["id"] == hit["id"]


def test_record_page_carries_its_work_as_an_openurl_book_context_object(site):
    url, client = site
    [hit] = client.get("/api/v1/search?f.library=south&per_page=1").get_json()["results"]
    work = client.get(f"/api/v1/works/{hit['id']}").get_json()
    [kev] = context_objects(page(f"{url}/work/{work['id']}"))
    assert kev["ctx_ver"] == ["Z39.88-2004"]
    assert kev["rft_val_fmt"] == ["info:ofi/fmt:kev:mtx:book"]
    assert kev["rft.genre"] == ["book"]
    assert kev["rft.btitle"][0].startswith(work["title"])
    assert kev["rft.au"] == [c["name"] for c in work["contributors"] if c["name"]]
    if work["year"] is not None:
        assert kev["rft.date"] == [str(work["year"])]
    assert kev["rft_id"] == [f"{url}/work/{work['id']}"]


def test_result_page_has_a_context_object_and_an_unapi_id_per_result(site):
    url, client = site
    response = client.get("/api/v1/search?q=jazz&per_page=5").get_json()
    tree = page(f"{url}/?q=jazz&per_page=5")
    assert tree.xpath('//link[@rel="unapi-server"]')
    ids = [a.get("title") for a in tree.xpath('//li[@class="hit"]/abbr[@class="unapi-id"]')]
    assert ids == [r["id"] for r in response["results"]] and ids
    kevs = context_objects(tree)
    assert [k["rft_id"][0].rsplit("/", 1)[1] for k in kevs] == ids
    assert all(k["ctx_ver"] == ["Z39.88-2004"] for k in kevs)


def test_a_serial_is_a_journal_context_object_with_its_issn():
    from outward.coins import OpenUrlCitation, context_object

    kev = parse_qs(context_object(OpenUrlCitation("Jazz journal", "serial", issns=["0021-5651"])))
    assert kev["rft_val_fmt"] == ["info:ofi/fmt:kev:mtx:journal"]
    assert kev["rft.genre"] == ["journal"]
    assert kev["rft.jtitle"] == ["Jazz journal"] and "rft.btitle" not in kev
    assert kev["rft.issn"] == ["0021-5651"]


def test_unknown_work_is_404_and_unknown_format_406_each_with_a_message(site):
    _, client = site
    [hit] = client.get("/api/v1/search?per_page=1").get_json()["results"]
    missing = client.get("/unapi?id=nosuchwork&format=ris")
    assert missing.status_code == 404 and "no work" in missing.get_data(as_text=True)
    wrong = client.get(f"/unapi?id={hit['id']}&format=pdf")
    assert wrong.status_code == 406 and "ris" in wrong.get_data(as_text=True)
    lonely = client.get("/unapi?format=ris")
    assert lonely.status_code == 400 and "id" in lonely.get_data(as_text=True)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    work_id=st.text(max_size=40) | st.sampled_from(["", "w", "../etc", "%00", "\x00", "a" * 500]),
    fmt=st.text(max_size=20) | st.sampled_from(["", *EXPORT_FORMATS, "RIS", "marcxml\x00"]),
)
def test_fuzzed_unapi_ids_and_formats_never_answer_5xx(site, work_id, fmt):
    _, client = site
    params = {k: v for k, v in {"id": work_id, "format": fmt}.items() if v}
    response = client.get("/unapi", query_string=params)
    assert response.status_code in (200, 300, 400, 404, 406)


def test_unapi_is_in_the_rate_limit(engine, tmp_path):
    with union_app(engine, tmp_path, count=3, rate_limit="3/minute") as app:
        client = app.test_client()
        statuses = [client.get("/unapi").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
