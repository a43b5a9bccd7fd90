"""The JSON API and the pages, on both engines, through the real Flask app."""

from __future__ import annotations

import pytest

from config.partners import Partner
from config.settings import Settings
from search_ui.app import create_app
from tests.fixtures.builders import record
from tests.fixtures.openapi_check import assert_conforms

ISBN = "9780140449136"
PARTNERS = [
    Partner(
        "north",
        "North City Library",
        "http://127.0.0.1:1/oai",
        origins=("https://www.north.example",),
    ),
    Partner("south", "South University Library", "http://127.0.0.1:2/oai"),
    Partner("east", "East County", "http://127.0.0.1:3/oai"),
]


@pytest.fixture
def client(catalog, tmp_path):
    catalog.add_records(
        [
            record(
                "north",
                "n1",
                "Crime and punishment",
                author="Dostoyevsky, Fyodor",
                isbns=(ISBN,),
                year=1866,
                call_number="PG3326 .P7",
            ),
            record(
                "south",
                "s1",
                "Crime and punishment",
                author="Dostoyevsky, Fyodor",
                isbns=(ISBN,),
                year=1866,
                status="on_loan",
            ),
            record(
                "east",
                "e1",
                "Crime and punishment",
                author="Dostoyevsky, Fyodor",
                isbns=(ISBN,),
                year=1866,
            ),
            record("south", "s2", "The idiot", author="Dostoyevsky, Fyodor", year=1869),
            record(
                "east",
                "e2",
                "<script>alert(1)</script> Poems",
                author="Evil, Eve",
                year=2001,
                notes=["<img src=x onerror=alert(2)>"],
                urls=["javascript:alert(3)"],
            ),
        ]
    )
    settings = Settings(data_dir=tmp_path)
    app = create_app(settings, engine=catalog.engine, partners=PARTNERS)
    return app.test_client()


def test_search_returns_one_result_per_work_with_every_holding(client):
    answer = client.get("/api/v1/search?q=crime punishment")
    assert_conforms(client, answer)
    body = answer.get_json()
    assert body["total"] == 1
    work = body["results"][0]
    assert work["libraries"] == ["east", "north", "south"]
    assert {h["status"] for h in work["holdings"]} == {"available", "on_loan"}


def test_removing_one_librarys_record_leaves_two_holdings_in_the_api(client, catalog):
    work = client.get("/api/v1/search?q=crime punishment").get_json()["results"][0]
    assert len(work["holdings"]) == 3
    catalog.remove_records(["south\x1fs1"])
    body = client.get("/api/v1/search?q=crime punishment").get_json()
    assert body["total"] == 1
    assert [h["library_id"] for h in body["results"][0]["holdings"]] == ["east", "north"]
    same_answer = client.get(f"/api/v1/works/{work['id']}")
    assert_conforms(client, same_answer)
    same_work = same_answer.get_json()
    assert sorted(h["library_id"] for h in same_work["holdings"]) == ["east", "north"]


def test_home_library_copy_is_listed_first(client):
    body = client.get("/api/v1/search?q=crime&library=south").get_json()
    assert body["results"][0]["holdings"][0]["library_id"] == "south"


def test_facet_counts_and_filter(client):
    body = client.get("/api/v1/search?q=dostoyevsky").get_json()
    assert {b["value"]: b["count"] for b in body["facets"]["library"]} == {
        "north": 1,
        "south": 2,
        "east": 1,
    }
    answer = client.get("/api/v1/search?q=dostoyevsky&f.library=north")
    assert_conforms(client, answer)
    filtered = answer.get_json()
    assert [w["title"] for w in filtered["results"]] == ["Crime and punishment"]


def test_search_api_names_languages_formats_and_libraries_beside_their_codes(client):
    body = client.get("/api/v1/search?q=crime").get_json()
    work = body["results"][0]
    assert (work["language"], work["language_name"]) == ("eng", "English")
    assert {b["value"]: b["label"] for b in body["facets"]["library"]} == {
        "north": "North City Library",
        "south": "South University Library",
        "east": "East County",
    }
    assert [(b["value"], b["label"]) for b in body["facets"]["language"]] == [("eng", "English")]
    assert [(b["value"], b["label"]) for b in body["facets"]["format"]] == [("book", "Book")]


def test_search_api_names_languages_in_the_asked_interface_language(client):
    answer = client.get("/api/v1/search?q=crime&lang=zh")
    assert_conforms(client, answer)
    body = answer.get_json()
    assert body["results"][0]["language_name"] == "英语"
    assert body["facets"]["language"][0] == {"value": "eng", "label": "英语", "count": 1}


def test_work_by_id_and_unknown_work_is_json_404(client):
    hit = client.get("/api/v1/search?q=idiot").get_json()["results"][0]
    answer = client.get(f"/api/v1/works/{hit['id']}")
    assert_conforms(client, answer)
    work = answer.get_json()
    assert work["title"] == "The idiot"
    missing = client.get("/api/v1/works/nope")
    assert_conforms(client, missing)
    assert missing.status_code == 404
    assert missing.get_json()["status"] == 404


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=100000",
        "sort=sideways",
        "f.nosuchfacet=x",
        "library=atlantis",
        "year_from=abc",
        "per_page=100000",
    ],
)
def test_bad_parameters_are_json_400_with_a_message(client, query):
    response = client.get(f"/api/v1/search?q=crime&{query}")
    assert response.status_code == 400
    assert_conforms(client, response)
    body = response.get_json()
    assert body["status"] == 400 and body["error"]


def test_partners_endpoint_lists_the_registry(client):
    answer = client.get("/api/v1/partners")
    assert_conforms(client, answer)
    body = answer.get_json()
    assert [p["id"] for p in body["partners"]] == ["north", "south", "east"]


def test_search_page_lists_holdings_and_links_the_record_page(client):
    page = client.get("/?q=crime").get_data(as_text=True)
    assert "North City Library" in page and "South University Library" in page
    assert "On loan" in page
    assert "/work/w" in page


def test_partner_data_is_escaped_in_pages(client):
    page = client.get("/?q=poems").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    hit = client.get("/api/v1/search?q=poems").get_json()["results"][0]
    record_page = client.get(f"/work/{hit['id']}").get_data(as_text=True)
    assert "<img src=x" not in record_page
    assert 'href="javascript:' not in record_page


def test_unknown_page_is_a_404_page_not_a_stack_trace(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_openapi_document_describes_the_real_parameters_and_limits(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"q", "page", "per_page", "sort", "library", "f.library"} <= set(params)
    number, blank = params["per_page"]["schema"]["anyOf"]  # a number, or blank as a form sends
    limit = number["maximum"]
    assert client.get(f"/api/v1/search?q=crime&per_page={limit}").status_code == 200
    assert client.get(f"/api/v1/search?q=crime&per_page={limit + 1}").status_code == 400
    assert blank == {"type": "string", "maxLength": 0}
    assert client.get("/api/v1/search?q=crime&per_page=").status_code == 200
    for sort in params["sort"]["schema"]["enum"]:
        mine = "&library=north" if sort == "soonest" else ""  # soonest: for a library's patron
        assert client.get(f"/api/v1/search?q=crime&sort={sort}{mine}").status_code == 200
    titles = {
        sort: [
            r["title"]
            for r in client.get(f"/api/v1/search?q=dostoyevsky&sort={sort}").get_json()["results"]
        ]
        for sort in ("year_desc", "year_asc", "title")
    }
    assert titles == {
        "year_desc": ["The idiot", "Crime and punishment"],
        "year_asc": ["Crime and punishment", "The idiot"],
        "title": ["Crime and punishment", "The idiot"],
    }


def test_api_allows_cross_origin_reads_only_for_partner_origins(client):
    ok = client.get("/api/v1/search?q=crime", headers={"Origin": "https://www.north.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://www.north.example"
    other = client.get("/api/v1/search?q=crime", headers={"Origin": "https://evil.example"})
    assert other.headers.get("Access-Control-Allow-Origin") is None
    assert ok.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors" in ok.headers["Content-Security-Policy"]
