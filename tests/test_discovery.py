"""schema.org JSON-LD on record pages (read by extruct) and the OpenSearch description."""

from __future__ import annotations

import extruct
from lxml import etree

from tests.fixtures.union import union_app


def test_record_page_describes_its_work_in_json_ld_with_holdings_as_offers(engine, tmp_path):
    with union_app(engine, tmp_path, count=10) as app:
        client = app.test_client()
        found = client.get("/api/v1/search?f.library=south&per_page=1").get_json()["results"]
        work = client.get(f"/api/v1/works/{found[0]['id']}").get_json()
        html = client.get(f"/work/{work['id']}").get_data(as_text=True)
    [data] = extruct.extract(html, base_url="http://localhost/", syntaxes=["json-ld"])["json-ld"]
    assert data["@context"] == "https://schema.org"
    assert data["name"].startswith(work["title"])
    offers = {o["offeredBy"]["name"]: o for o in data["offers"]}
    assert set(offers) == {"North City Library", "South University Library"}
    south = next(h for h in work["holdings"] if h["library_id"] == "south")
    assert offers["South University Library"]["sku"] == south["call_number"]
    assert offers["South University Library"]["availability"].startswith("https://schema.org/")


def test_every_page_links_the_opensearch_description_which_names_the_search(engine, tmp_path):
    with union_app(engine, tmp_path, count=3) as app:
        client = app.test_client()
        page = client.get("/").get_data(as_text=True)
        assert 'rel="search" type="application/opensearchdescription+xml"' in page
        answer = client.get("/opensearch.xml")
    assert answer.mimetype == "application/opensearchdescription+xml"
    tree = etree.fromstring(answer.get_data())
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    templates = {u.get("type"): u.get("template") for u in tree.findall("os:Url", ns)}
    assert templates["text/html"] == "http://localhost/?q={searchTerms}"
