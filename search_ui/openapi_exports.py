"""The export endpoints of the API in the OpenAPI document: a work, and a page of results, in
each of `outward.exports.EXPORT_FORMATS`."""

from __future__ import annotations

from typing import Any

from outward.exports import EXPORT_FORMATS

_FORMAT = {
    "name": "fmt",
    "in": "path",
    "required": True,
    "description": "The export format.",
    "schema": {"type": "string", "enum": list(EXPORT_FORMATS)},
}


def _body_schema(media_type: str) -> dict[str, Any]:
    """A JSON format's body is a JSON document (CSL-JSON: an array of items); others are text."""
    if media_type.split(";")[0].strip().endswith("json"):
        return {"type": ["array", "object"]}
    return {"type": "string"}


def _answers(what: str) -> dict[str, Any]:
    media = {f.media_type: {"schema": _body_schema(f.media_type)} for f in EXPORT_FORMATS.values()}
    problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "200": {"description": what, "content": media},
        "400": {"description": "A parameter is not valid.", "content": problem},
        "404": {"description": "No such work or export format.", "content": problem},
    }


def export_paths() -> dict[str, Any]:
    return {
        "/api/v1/works/{work_id}/export/{fmt}": {
            "get": {
                "summary": "One work in a citation or record format, with its holdings",
                "parameters": [
                    {
                        "name": "work_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    _FORMAT,
                ],  # fmt: skip
                "responses": _answers("The work in that format."),
            }
        },
        "/api/v1/search/export/{fmt}": {
            "get": {
                "summary": "A page of search results in a citation or record format",
                "description": "Takes the parameters of /api/v1/search.",
                "parameters": [_FORMAT],
                "responses": _answers("The page's works in that format."),
            }
        },
    }
