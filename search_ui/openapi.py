"""The OpenAPI 3.1 document of the JSON API, built from the same constants the API uses."""

from __future__ import annotations

from typing import Any

from ai.related import RelatedWork, RequestedWork
from indexer.payloads import HoldingRow, WorkPayload
from indexer.query import FACET_FIELDS, SORTS
from search_ui.openapi_exports import export_paths
from search_ui.openapi_ill import NOT_BLANK, SECURITY_SCHEMES, ill_paths, ill_schemas
from search_ui.openapi_obtain import (
    NULLABLE_OBTAINABILITY,
    OBTAINABILITY,
    SOONEST,
    SORT_NOTE,
    obtain_params,
    search_response_properties,
)
from search_ui.request_params import MAX_YEAR, MIN_YEAR
from search_ui.schemas import json_schema

#: What a form sends for a number left blank: the API takes it as the parameter left out.
_BLANK = {"type": "string", "maxLength": 0}


def _param(name: str, description: str, schema: dict[str, Any], **extra) -> dict[str, Any]:
    """A query parameter; a number may also be sent blank (as absent), as forms send it."""
    if schema.get("type") == "integer":
        schema = {"anyOf": [schema, _BLANK]}
    return {"name": name, "in": "query", "description": description, "schema": schema, **extra}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _highlight_schemas() -> dict[str, Any]:
    segments = {
        "type": "array",
        "description": "The text cut into segments in order; matched words have match=true. "
        "Render each segment as text (a matched one inside <mark>), never as HTML.",
        "items": {
            "type": "object",
            "properties": {"text": {"type": "string"}, "match": {"type": "boolean"}},
            "required": ["text", "match"],
        },
    }
    return {
        "Segments": segments,
        "Highlight": {
            "type": "object",
            "description": "The display fields with the words the query matched marked.",
            "properties": {
                "title": _ref("Segments"),
                "subtitle": _ref("Segments"),
                "contributors": {
                    "type": "array",
                    "description": "One entry per contributor, in the order of contributors.",
                    "items": _ref("Segments"),
                },
                "subjects": {
                    "type": "array",
                    "description": "Only the subject headings in which a word matched.",
                    "items": _ref("Segments"),
                },
            },
            "required": ["title", "subtitle", "contributors", "subjects"],
        },
        "Suggestion": {
            "type": ["object", "null"],
            "description": "A corrected query, offered when a search finds few works and the "
            "correction finds more; null otherwise.",
            "properties": {"q": {"type": "string"}, "total": {"type": "integer"}},
            "required": ["q", "total"],
        },
        "Edition": {
            "type": "object",
            "description": "Another work with the same title proper, part and first author.",
            "properties": {
                "work_id": {"type": "string"},
                "title": {"type": "string"},
                "edition": {"type": "string"},
                "year": {"type": ["integer", "null"]},
                "format": {"type": "string"},
                "libraries": {"type": "integer", "description": "Libraries holding it."},
            },
            "required": ["work_id", "title", "edition", "year", "format", "libraries"],
        },
    }


def _autocomplete_path(max_length: int, max_limit: int) -> dict[str, Any]:
    return {
        "get": {
            "summary": "Titles and author names that complete what a patron has typed",
            "parameters": [
                _param(
                    "q",
                    "What has been typed so far; the last word may be incomplete.",
                    {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": max_length,
                        "pattern": NOT_BLANK,
                    },
                    required=True,
                ),
                _param(
                    "limit",
                    "Most suggestions to return.",
                    {"type": "integer", "minimum": 1, "maximum": max_limit},
                ),
            ],
            "responses": {
                "200": _json(
                    "Suggestions, best first: values starting with the typed words, then values "
                    "containing them.",
                    _ref("AutocompleteResponse"),
                ),
                "400": _error("q is missing or too long, or limit is out of range."),
                "503": _error("The search engine is unavailable."),
            },
        }
    }


def _autocomplete_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "q": {"type": "string"},
            "suggestions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "string"},
                        "field": {"type": "string", "enum": ["title", "author"]},
                        "works": {
                            "type": "integer",
                            "description": "Works carrying this value among those read.",
                        },
                    },
                    "required": ["value", "field", "works"],
                },
            },
        },
        "required": ["q", "suggestions"],
    }


def openapi_document(
    max_per_page: int, max_results: int, max_autocomplete_length: int, max_autocomplete: int
) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fedcat union catalogue API",
            "version": "1",
            "description": "Holdings-aware search across every partner library: one result per "
            "work, listing each library's copies.",
        },
        "paths": {
            "/api/v1/search": _search_path(max_per_page, max_results),
            "/api/v1/works/{work_id}": _work_path(),
            "/api/v1/autocomplete": _autocomplete_path(max_autocomplete_length, max_autocomplete),
            **export_paths(),
            **_service_paths(),
            **ill_paths(),
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"status": {"type": "integer"}, "error": {"type": "string"}},
                    "required": ["status", "error"],
                },
                **_highlight_schemas(),
                "AutocompleteResponse": _autocomplete_schema(),
                **_result_schemas(),
                **ill_schemas(),
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


_STRING_LIST = {"type": "array", "items": {"type": "string"}}
#: the bounds request_params.py accepts for year_from / year_to
_YEAR = {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR}


def _paging_params(max_per_page: int, max_results: int) -> list[dict[str, Any]]:
    """page, per_page and sort: which page of results, in what order."""
    return [
        _param(
            "page",
            f"1-based page; page × per_page may not pass {max_results}.",
            {"type": "integer", "minimum": 1, "maximum": max_results},
        ),
        _param(
            "per_page",
            "Results per page.",
            {"type": "integer", "minimum": 1, "maximum": max_per_page},
        ),
        _param(
            "sort",
            SORT_NOTE + " Empty (as a form sends it) is relevance, the default.",
            {"type": "string", "enum": [*SORTS, SOONEST, ""]},
        ),
    ]


def _search_path(max_per_page: int, max_results: int) -> dict[str, Any]:
    facet_params = [
        _param(
            f"f.{name}",
            f"Filter on {name}; repeat for several values (ORed within a facet).",
            _STRING_LIST,
            style="form",
            explode=True,
        )
        for name in FACET_FIELDS
    ]
    return {
        "get": {
            "summary": "Search works: facet counts, marked matches, a spelling suggestion",
            "parameters": [
                _param(
                    "q",
                    'Query: words, "phrases", title:/author:/subject:/isbn: fields, '
                    "AND OR NOT, -word, parentheses.",
                    {"type": "string", "maxLength": 500},
                ),
                *_paging_params(max_per_page, max_results),
                *obtain_params(),
                _param("year_from", "Earliest year.", _YEAR),
                _param("year_to", "Latest year.", _YEAR),
                _param(
                    "library",
                    "Home library id: its works and copies come first, and each result's "
                    "obtainability is for it (else for the signed-in patron's library).",
                    {"type": "string"},
                ),
                _param(
                    "suggested",
                    "1: the subject facet (subject_facet_suggested) also counts machine-"
                    "suggested headings; any other value, or none, counts catalogued headings "
                    "only.",
                    {"type": "string"},
                ),
                *facet_params,
            ],
            "responses": {
                "200": {
                    "description": f"A page of results (at most {max_results} reachable).",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/SearchResponse"}
                        }
                    },
                },
                "400": _error("A parameter or the query is not valid."),
                "503": _error("The search engine is unavailable."),
            },
        }
    }


def _work_schema() -> dict[str, Any]:
    """The work payload as stored (`indexer.payloads.WorkPayload`) plus its other editions."""
    schema = json_schema(WorkPayload)
    schema["properties"]["holdings"] = {"type": "array", "items": _ref("Holding")}
    schema["properties"]["other_editions"] = {"type": "array", "items": _ref("Edition")}
    schema["properties"]["related"] = {"type": "array", "items": json_schema(RelatedWork)}
    schema["properties"]["also_requested"] = {
        "type": "array",
        "items": json_schema(RequestedWork),
    }
    schema["properties"]["obtainability"] = NULLABLE_OBTAINABILITY
    schema["required"] = sorted(
        [*schema["required"], "other_editions", "related", "also_requested", "obtainability"]
    )
    return schema


def _work_path() -> dict[str, Any]:
    return {
        "get": {
            "summary": "One work with every field, every holding and its other editions",
            "parameters": [
                {
                    "name": "work_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
            "responses": {
                "200": {
                    "description": (
                        "The work. `subjects` are the catalogued headings; "
                        "`suggested_subjects` are machine suggestions, kept apart, each with "
                        "its score, status (suggested, or accepted by staff), the record's "
                        "words that drove it and the model that made it. `other_editions` "
                        "lists the other works with the same "
                        "title proper, part and first author (other editions are other "
                        "works), newest first, at most ten. `related` (more like this) lists "
                        "works sharing subjects, authors, series, classification or title "
                        "words, each with its reasons; `also_requested` lists works that at "
                        "least FEDCAT_CO_REQUEST_MIN distinct patrons requested together with "
                        "this one (pair counts only, see docs/privacy.md)."
                    ),
                    "content": {
                        "application/json": {
                            "schema": _work_schema(),
                        }
                    },
                },
                "300": _json(
                    "The id was split by an operator and names no work now: `works` lists "
                    "the ids of the works its records are in (each at /api/v1/works/{id}).",
                    {
                        "type": "object",
                        "properties": {
                            "status": {"type": "integer", "enum": [300]},
                            "error": {"type": "string"},
                            "works": {"type": "array", "items": {"type": "string"}},
                        },
                        "required": ["status", "error", "works"],
                    },
                ),
                "404": _error("No such work (an id never published)."),
                "410": _error("The work's records were all withdrawn: it is gone for good."),
                "503": _error("The search engine is unavailable."),
            },
        }
    }


def _service_paths() -> dict[str, Any]:
    """The paths that describe the service rather than search it."""
    return {
        "/api/v1/partners": {
            "get": {
                "summary": "The partner libraries",
                "responses": {
                    "200": {
                        "description": "Every partner in the registry.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/api/v1/health": {
            "get": {
                "summary": "Whether the search engine answers, and how many works it holds",
                "responses": {
                    "200": _json(
                        "The engine answers.",
                        {
                            "type": "object",
                            "properties": {
                                "status": {"type": "string"},
                                "engine": {"type": "string"},
                                "works": {"type": "integer"},
                            },
                        },
                    ),
                    "503": _error("The search engine is unavailable."),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": _json("The OpenAPI document.", {"type": "object"})},
            }
        },
        "/api/v1/messages": _messages_path(),
    }


def _messages_path() -> dict[str, Any]:
    return {
        "get": {
            "summary": "The interface text in one language, from the app's message catalogue",
            "parameters": [
                _param(
                    "lang",
                    "Language (BCP 47, e.g. zh or zh-CN); the nearest supported one is used, "
                    "else the Accept-Language header decides.",
                    {"type": "string"},
                )
            ],
            "responses": {
                "200": _json(
                    "`messages` maps each English msgid to its text, or a plural message's "
                    "singular msgid to its text per CLDR plural category; placeholders such "
                    "as %(num)d are left for the client to fill.",
                    {
                        "type": "object",
                        "properties": {
                            "lang": {"type": "string"},
                            "messages": {"type": "object"},
                        },
                        "required": ["lang", "messages"],
                    },
                )
            },
        }
    }


def _holding_schema() -> dict[str, Any]:
    return json_schema(HoldingRow)


def _facet_value_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "value": {"type": "string"},
            "label": {
                "type": "string",
                "description": "The value as the page shows it, in the interface language: "
                "a library's name, a language's or format's name.",
            },
            "count": {"type": "integer"},
        },
        "required": ["value", "label", "count"],
    }


def _result_schemas() -> dict[str, Any]:
    summary = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "subtitle": {"type": "string"},
            "contributors": _STRING_LIST,
            "year": {"type": ["integer", "null"]},
            "format": {"type": "string"},
            "language": {"type": "string", "description": "MARC language code, e.g. fre."},
            "language_name": {
                "type": "string",
                "description": "The language's name in the interface language (lang, "
                "Accept-Language), as the page shows it: French, 法语.",
            },
            "isbns": _STRING_LIST,
            "libraries": _STRING_LIST,
            "available": {"type": "boolean"},
            "holdings": {"type": "array", "items": {"$ref": "#/components/schemas/Holding"}},
            "highlight": _ref("Highlight"),
            "obtainability": NULLABLE_OBTAINABILITY,
        },
        "required": ["id", "title", "holdings", "libraries", "highlight", "obtainability"],
    }
    return {
        "Holding": _holding_schema(),
        "Obtainability": OBTAINABILITY,
        "WorkSummary": summary,
        "SearchResponse": {
            "type": "object",
            "properties": {
                "total": {"type": "integer"},
                "offset": {"type": "integer"},
                "limit": {"type": "integer"},
                "suggestion": _ref("Suggestion"),
                "results": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/WorkSummary"},
                },
                "facets": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "array",
                        "items": _facet_value_schema(),
                    },
                },
                **search_response_properties(),
            },
            "required": ["total", "suggestion", "results", "facets"],
        },
    }
