"""Tiers on the search page, the record page, the JSON API, and the soonest sort, through the
real app on both engines and both request stores."""

from __future__ import annotations

import html

import jsonschema
import pytest

from search_ui.obtain import SOONEST_WINDOW
from tests.conftest import make_engine
from tests.fixtures.ill_web import PASSWORD
from tests.fixtures.obtain_works import EXPECTED_TIERS, river_app
from tests.test_payload_schema import resolved

pytest_plugins = ["tests.fixtures.ill_web", "tests.fixtures.ill_stores"]


@pytest.fixture
def app(engine, tmp_path, database):
    return river_app(engine, tmp_path, database)


def signed_in_patron(app, library="north", card="N1"):
    accounts = app.extensions["fedcat"].accounts
    accounts.add_patron(library, card, "Ada", "ada@example.org", pin="4711")
    client = app.test_client()
    client.set_cookie("fedcat_session", accounts.sign_in_patron(library, card, "4711", "t").token)
    return client


def _tiers(body):
    return {r["title"]: r["obtainability"]["tier"] for r in body["results"]}


def test_api_results_carry_each_tier_with_its_reason(app):
    body = app.test_client().get("/api/v1/search?q=river&library=north").get_json()
    assert _tiers(body) == EXPECTED_TIERS
    lendable = next(r for r in body["results"] if r["title"] == "River river blues")
    shown = lendable["obtainability"]
    assert shown["lenders"] == ["south"] and shown["delivery"] == {
        "days": 4,
        "level": "pair",
        "sample": 3,
    }
    assert (
        shown["reason"] == "1 partner library can lend it. "
        "About 4 days (median of 3 loans, from its loans to your library)."
    )
    atlas = next(r for r in body["results"] if r["title"] == "River river river atlas")
    assert "suggest that your library buy it" in atlas["obtainability"]["reason"]


def test_without_a_library_there_are_no_tiers_and_soonest_is_refused(app):
    client = app.test_client()
    body = client.get("/api/v1/search?q=river").get_json()
    assert {r["obtainability"] for r in body["results"]} == {None}
    refused = client.get("/api/v1/search?q=river&sort=soonest")
    assert refused.status_code == 400
    assert "sort=soonest needs a library" in refused.get_json()["error"]
    assert client.get("/api/v1/search?q=river&tier=2").status_code == 400
    assert client.get("/api/v1/search?q=river&library=north&tier=9").status_code == 400


def test_signed_in_patron_gets_tiers_for_their_home_library_staff_and_anonymous_none(app):
    patron = signed_in_patron(app, "east", "E7")
    body = patron.get("/api/v1/search?q=river").get_json()
    assert body["obtainability_library"] == "east"
    assert _tiers(body)["Rivers, lakes, harbours and the coast of the north sea"] == 1
    accounts = app.extensions["fedcat"].accounts
    accounts.add_staff("north", "nstaff", PASSWORD, role="staff", name="N Staff")
    staff = app.test_client()
    staff.set_cookie("fedcat_session", accounts.sign_in_staff("nstaff", PASSWORD, "t").token)
    assert staff.get("/api/v1/search?q=river").get_json()["obtainability_library"] is None
    assert (
        app.test_client().get("/api/v1/search?q=river").get_json()["obtainability_library"] is None
    )


def test_soonest_orders_by_tier_and_keeps_relevance_within_a_tier(app):
    client = app.test_client()
    relevance = client.get("/api/v1/search?q=river&library=north").get_json()["results"]
    soonest = client.get("/api/v1/search?q=river&library=north&sort=soonest").get_json()
    tiers = [r["obtainability"]["tier"] for r in soonest["results"]]
    assert tiers == sorted(tiers) == [1, 2, 3, 3, 4]
    by_relevance = [r["id"] for r in relevance if r["obtainability"]["tier"] == 3]
    assert [r["id"] for r in soonest["results"] if r["obtainability"]["tier"] == 3] == by_relevance
    assert soonest["window"] == SOONEST_WINDOW
    only = client.get("/api/v1/search?q=river&library=north&tier=3").get_json()
    assert only["total"] == 2 and [r["id"] for r in only["results"]] == by_relevance


def test_search_and_record_pages_show_tiers_escaped(app):
    patron = signed_in_patron(app)
    page = patron.get("/?q=river").get_data(as_text=True)
    assert page.count('class="tier tier-') == 5
    assert "On the shelf at your library" in page and "Available to me soonest" in page
    work_id = next(r["id"] for r in patron.get("/api/v1/search?q=blues").get_json()["results"])
    record = patron.get(f"/work/{work_id}").get_data(as_text=True)
    assert 'data-tier="3"' in record and "About 4 days" in record
    api = patron.get(f"/api/v1/works/{work_id}").get_json()["obtainability"]
    assert api["kind"] == "lendable"
    anonymous = app.test_client().get(f"/work/{work_id}?library=north").get_data(as_text=True)
    assert 'data-tier="3"' in anonymous
    # a partner's name is data: a tier that names it shows it as text
    on_shelf = patron.get("/?q=blues&library=south").get_data(as_text=True)
    assert "<b>University</b>" not in on_shelf
    assert html.escape("South <b>University</b> Library") in on_shelf


def test_both_engines_give_the_same_soonest_order(request, tmp_path, database):
    orders = {}
    for kind in ("tantivy", "elasticsearch"):
        (tmp_path / kind).mkdir()
        engine = make_engine(kind, request, tmp_path / kind)
        try:
            client = river_app(engine, tmp_path / kind, database).test_client()
            results = client.get("/api/v1/search?q=river&library=north&sort=soonest").get_json()
            orders[kind] = [(r["title"], r["obtainability"]["tier"]) for r in results["results"]]
        finally:
            engine.drop()
            engine.close()
    assert orders["tantivy"] == orders["elasticsearch"]
    assert [tier for _, tier in orders["tantivy"]] == [1, 2, 3, 3, 4]


def test_answers_with_tiers_validate_against_the_openapi_document(app):
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    search_schema = resolved(document, document["components"]["schemas"]["SearchResponse"])
    for query in ("q=river&library=north", "q=river&library=north&sort=soonest", "q=river"):
        jsonschema.validate(client.get(f"/api/v1/search?{query}").get_json(), search_schema)
    work_op = document["paths"]["/api/v1/works/{work_id}"]["get"]["responses"]["200"]
    work_schema = resolved(document, work_op["content"]["application/json"]["schema"])
    for result in client.get("/api/v1/search?q=river").get_json()["results"]:
        work = client.get(f"/api/v1/works/{result['id']}?library=north").get_json()
        jsonschema.validate(work, work_schema)
        assert work["obtainability"]["tier"] == EXPECTED_TIERS[work["title"]]


def test_with_the_request_store_down_search_answers_without_tiers(tmp_path):
    """The loan records on a PostgreSQL server that is not there: the search and the record
    page still answer (no tiers); soonest, which needs them, is a 503 saying why."""
    from indexer.tantivy_engine import TantivyEngine

    engine = TantivyEngine(tmp_path / "index")
    try:
        app = river_app(engine, tmp_path, "postgresql://postgres@127.0.0.1:1/none", history=False)
        client = app.test_client()
        body = client.get("/api/v1/search?q=river&library=north").get_json()
        assert len(body["results"]) == 5
        assert {r["obtainability"] for r in body["results"]} == {None}
        down = client.get("/api/v1/search?q=river&library=north&sort=soonest")
        assert down.status_code == 503 and "loan records" in down.get_json()["error"]
        work_id = body["results"][0]["id"]
        assert client.get(f"/work/{work_id}?library=north").status_code == 200
    finally:
        engine.close()
