"""The API answers what its OpenAPI document says, because both come from the typed payloads.

The work and holding schemas are derived from `indexer.payloads` (search_ui/schemas.py); these
tests validate real answers over real records against them, on both engines, and check the
derivation itself on the types it must handle.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

import jsonschema
import pytest

from config.partners import Partner
from config.settings import Settings
from indexer.marc import marc_to_record
from indexer.marc_readers import marc_records_from_file
from indexer.payloads import AVAILABILITY, HoldingRow, WorkPayload
from search_ui.app import create_app
from search_ui.schemas import json_schema
from tests.fixtures.paths import SHARED_DATA

PARTNERS = [Partner("north", "North", "http://127.0.0.1:9/oai")]


@pytest.fixture
def client(catalog, tmp_path):
    """The app over 40 real MARC records (Evergreen's jazz collection)."""
    marc = marc_records_from_file(SHARED_DATA / "evergreen/jazz_1k.mrc")
    catalog.add_records(
        marc_to_record(r, PARTNERS[0], f"oai:north:{n}", "2026-11-01T00:00:00Z")
        for n, r in zip(range(40), marc, strict=False)
    )
    app = create_app(Settings(data_dir=tmp_path), engine=catalog.engine, partners=PARTNERS)
    return app.test_client()


def resolved(document: dict, schema: dict) -> dict:
    """`schema` with the document's `$ref`s replaced by what they name."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return resolved(document, document["components"]["schemas"][name])
        return {key: resolved(document, value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolved(document, value) for value in schema]
    return schema


def test_every_work_answer_validates_against_the_openapi_work_schema(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/works/{work_id}"]["get"]
    schema = resolved(document, operation["responses"]["200"]["content"]["application/json"])
    found = client.get("/api/v1/search?q=jazz&limit=20").get_json()["results"]
    assert len(found) == 20
    for result in found:
        work = client.get(f"/api/v1/works/{result['id']}").get_json()
        jsonschema.validate(work, schema["schema"])
        added = {"other_editions", "related", "also_requested", "obtainability"}
        assert set(work) == set(WorkPayload.__annotations__) | added


def test_search_holdings_validate_against_the_holding_schema(client):
    document = client.get("/api/v1/openapi.json").get_json()
    holding = resolved(document, document["components"]["schemas"]["Holding"])
    results = client.get("/api/v1/search?q=jazz&limit=20").get_json()["results"]
    rows = [h for result in results for h in result["holdings"]]
    assert len(rows) >= 20
    for row in rows:
        jsonschema.validate(row, holding)
    assert holding["properties"]["status"]["enum"] == list(AVAILABILITY)
    optional = {"due_date"}  # NotRequired: only copies on loan whose feed gives one
    assert holding["required"] == sorted(set(HoldingRow.__annotations__) - optional)


def test_search_answers_validate_against_the_openapi_search_schema(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schema = resolved(document, document["components"]["schemas"]["SearchResponse"])
    for query in ("jazz", "zzzzqqq", "title:jazz&f.language=eng", "jazz&lang=zh"):
        body = client.get(f"/api/v1/search?q={query}").get_json()
        jsonschema.validate(body, schema)
    assert all(b["label"] for b in body["facets"]["language"])


def test_a_wrong_answer_does_not_validate():
    schema = json_schema(HoldingRow)
    row = {name: "" for name in HoldingRow.__annotations__} | {"status": "lost"}
    with pytest.raises(jsonschema.ValidationError, match="'lost' is not one of"):
        jsonschema.validate(row, schema)


class Sample(TypedDict):
    kind: Literal["a", "b"]
    year: int | None
    names: list[str]
    by_scheme: dict[str, list[str]]
    details: NotRequired[dict[str, Any]]


def test_schemas_are_derived_from_typeddicts_literals_lists_and_optionals():
    assert json_schema(Sample) == {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": ["a", "b"]},
            "year": {"type": ["integer", "null"]},
            "names": {"type": "array", "items": {"type": "string"}},
            "by_scheme": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "details": {"type": "object", "additionalProperties": {}},
        },
        "required": ["by_scheme", "kind", "names", "year"],
    }
    with pytest.raises(TypeError, match="no JSON Schema"):
        json_schema(set[str])
