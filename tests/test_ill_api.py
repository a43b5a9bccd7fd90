"""The JSON API for requests (/api/v1/ill/): a library token places and follows requests for
its own patrons only; every answer matches its schema in the OpenAPI document."""

from __future__ import annotations

import logging

import jsonschema
import pytest
from referencing import Registry, Resource

from ill.states import Status
from tests.fixtures.ill_web import PATRON_CARD, PATRON_NAME
from tests.fixtures.openapi_check import assert_conforms

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.ill_web"]
BASE = "/api/v1/ill/requests"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api(web):
    """The app on each store, with a patron of north and tokens of north and south."""
    web.shared.accounts.add_patron("north", PATRON_CARD, PATRON_NAME, "ada@example.org")
    north = web.shared.accounts.create_token("north", "north discovery").secret
    south = web.shared.accounts.create_token("south", "south discovery").secret
    return web, bearer(north), bearer(south)


def schema_check(client, name: str):
    """A validator for the named component schema of the app's own OpenAPI document."""
    doc = client.get("/api/v1/openapi.json").get_json()
    registry = Registry().with_resource("urn:doc", Resource.from_contents(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", **doc}))  # fmt: skip
    schema = {"$ref": f"urn:doc#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def place(web, headers, **body):
    payload = {"patron": PATRON_CARD, "work_id": web.work_id, "pickup": "Main desk", **body}
    return web.client().post(BASE, json=payload, headers=headers)


def test_place_list_status_and_act_with_the_own_library_token(api):
    web, north, _ = api
    client = web.client()
    placed = place(web, north, needed_by="2099-12-31")
    assert placed.status_code == 201, placed.get_json()
    assert_conforms(client, placed)
    body = placed.get_json()
    schema_check(client, "IllRequest").validate(body)
    assert body["status"] == "RequestReceived" and body["patron"] == PATRON_CARD
    assert body["lender"] in ("south", "east") and body["needed_by"] == "2099-12-31"
    listed = client.get(BASE, headers=north).get_json()["requests"]
    assert [r["id"] for r in listed] == [body["id"]]
    mine = client.get(f"{BASE}?patron={PATRON_CARD}", headers=north).get_json()["requests"]
    assert [r["id"] for r in mine] == [body["id"]]
    status = client.get(f"{BASE}/{body['id']}", headers=north)
    assert_conforms(client, status)
    schema_check(client, "IllRequestDetail").validate(status.get_json())
    assert [e["action"] for e in status.get_json()["timeline"]] == ["Place", "SendToLender"]
    cancelled = client.post(f"{BASE}/{body['id']}/actions", headers=north,
                            json={"action": "Cancel", "note": "found it elsewhere"})  # fmt: skip
    assert cancelled.status_code == 200
    assert_conforms(client, cancelled)
    assert cancelled.get_json()["status"] == "Cancelled"
    assert web.get(body["id"]).state.status is Status.Cancelled


def test_a_token_acts_only_for_its_own_library(api):
    web, north, south = api
    client = web.client()
    request_id = place(web, north).get_json()["id"]
    assert client.get(f"{BASE}/{request_id}", headers=south).status_code == 404
    answer = client.post(f"{BASE}/{request_id}/actions", headers=south, json={"action": "Cancel"})
    assert answer.status_code == 404
    assert client.get(BASE, headers=south).get_json()["requests"] == []
    # south's token cannot place for north's patron: no such patron at south
    assert place(web, south).status_code == 404
    assert web.get(request_id).state.status is Status.RequestReceived


@pytest.mark.parametrize("headers", [{}, bearer("not-a-token"), {"Authorization": "Basic x"}])
def test_no_or_unknown_token_is_401(api, headers):
    web, north, _ = api
    request_id = place(web, north).get_json()["id"]
    client = web.client()
    for answer in (
        client.get(BASE, headers=headers),
        client.get(f"{BASE}/{request_id}", headers=headers),
        client.post(BASE, headers=headers, json={}),
        client.post(f"{BASE}/{request_id}/actions", headers=headers, json={"action": "Cancel"}),
    ):
        assert answer.status_code == 401
        assert answer.get_json()["error"]
        assert_conforms(client, answer)


def test_a_signed_in_staff_cookie_is_not_an_api_token(api):
    web, north, _ = api
    staff = web.staff("north", "nina")
    assert staff.get(BASE).status_code == 401
    assert staff.post(BASE, json={"patron": PATRON_CARD, "work_id": web.work_id}).status_code == 401


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{not json", "JSON object"),
        (b"[1, 2]", "JSON object"),
        (b'{"patron": "N0042-7731"}', "work"),
        (b'{"work_id": "x"}', "patron"),
        (b'{"patron": "N0042-7731", "work_id": "w1", "colour": "red"}', "colour"),
        (b'{"patron": 7, "work_id": "w1"}', "string"),
        (b'{"patron": "N0042-7731", "work_id": "WORK", "needed_by": "soon"}', "needed_by"),
        (b'{"patron": "N0042-7731", "work_id": "WORK", "service": "Teleport"}', "service"),
        (b'{"patron": "N0042-7731", "work_id": "WORK", "citation": "p. 3"}', "citation"),
    ],
)
def test_bad_bodies_are_400_with_a_message(api, raw, words):
    web, north, _ = api
    raw = raw.replace(b"WORK", web.work_id.encode())
    answer = web.client().post(BASE, data=raw, headers={**north, "Content-Type":
                                                        "application/json"})  # fmt: skip
    assert answer.status_code in (400, 404)
    if words != "work":
        assert answer.status_code == 400
    assert words.lower() in answer.get_json()["error"].lower()
    assert_conforms(web.client(), answer)


def test_refusals_answer_409_with_the_reason(api):
    web, north, _ = api
    client = web.client()
    request_id = place(web, north).get_json()["id"]
    again = place(web, north)
    assert again.status_code == 409 and "already have an open request" in again.get_json()["error"]
    assert_conforms(client, again)
    answer = client.post(f"{BASE}/{request_id}/actions", headers=north, json={"action": "Received"})
    assert answer.status_code == 409 and "allowed now" in answer.get_json()["error"]
    answer = client.post(f"{BASE}/{request_id}/actions", headers=north,
                         json={"action": "WillSupply"})  # fmt: skip
    assert answer.status_code == 409  # a lender's answer is not the borrower's to give
    answer = client.post(f"{BASE}/{request_id}/actions", headers=north, json={"action": "Nope"})
    assert answer.status_code == 400
    assert client.get(f"{BASE}/ill-missing", headers=north).status_code == 404


def test_the_api_logs_no_patron_data(api, caplog):
    caplog.set_level(logging.DEBUG)
    web, north, south = api
    request_id = place(web, north).get_json()["id"]
    place(web, north)
    web.client().get(f"{BASE}/{request_id}", headers=south)
    web.client().get(f"{BASE}?patron={PATRON_CARD}", headers=south)
    assert caplog.records
    for text in (PATRON_CARD, PATRON_NAME, "ada@example.org"):
        assert text not in caplog.text


def test_the_openapi_document_describes_the_ill_api(web_sqlite):
    doc = web_sqlite.client().get("/api/v1/openapi.json").get_json()
    for path in (BASE, f"{BASE}/{{request_id}}", f"{BASE}/{{request_id}}/actions"):
        assert path in doc["paths"]
    assert doc["paths"][BASE]["post"]["security"] == [{"libraryToken": []}]
    assert doc["components"]["securitySchemes"]["libraryToken"]["scheme"] == "bearer"
    actions = doc["components"]["schemas"]["IllAction"]["properties"]["action"]["enum"]
    assert {"Cancel", "Renew", "Received", "ShippedReturn"} <= set(actions)
    assert "WillSupply" not in actions
