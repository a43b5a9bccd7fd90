"""The OpenAPI description of obtainability: each work's tier for the patron's library, and
the `sort=soonest` and `tier` parameters of a search (`search_ui.obtain`)."""

from __future__ import annotations

from typing import Any

from search_ui.obtain import SOONEST, SOONEST_WINDOW, TIER_COUNT

_DELIVERY = {
    "type": ["object", "null"],
    "description": "About how many days a loan from the first lender takes: the median days "
    "from request to received in the consortium's own history, for that lender and your "
    "library (level pair), else that lender to any library (lender), else every loan "
    "(consortium); none: no history yet. `sample` is how many loans the median is of.",
    "properties": {
        "days": {"type": ["number", "null"]},
        "level": {"type": "string", "enum": ["pair", "lender", "consortium", "none"]},
        "sample": {"type": "integer"},
    },
    "required": ["days", "level", "sample"],
}

OBTAINABILITY = {
    "type": "object",
    "description": "How a patron of `library` can get the work. Tier 1 (shelf): a copy on the "
    "shelf at that library (in_library_only: for use in the library); 2 (on_loan): its copy is "
    "on loan (due_date when the partner's feed gives it) or of unknown status; 3 (lendable): "
    "`lenders` are the partner libraries that could lend it today under their lending rules, "
    "in the order they would be asked; 4 (not_lendable): none can: a copy request or a "
    "purchase suggestion is the way. `label` and `reason` are in the interface language.",
    "properties": {
        "tier": {"type": "integer", "minimum": 1, "maximum": TIER_COUNT},
        "kind": {"type": "string", "enum": ["shelf", "on_loan", "lendable", "not_lendable"]},
        "library": {"type": "string"},
        "in_library_only": {"type": "boolean"},
        "due_date": {"type": ["string", "null"], "format": "date"},
        "lenders": {"type": "array", "items": {"type": "string"}},
        "lender_count": {"type": "integer"},
        "delivery": _DELIVERY,
        "skipped": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"library": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["library", "reason"],
            },
        },
        "label": {"type": "string"},
        "reason": {"type": "string"},
    },
    "required": ["tier", "kind", "library", "lenders", "delivery", "label", "reason"],
}

NULLABLE_OBTAINABILITY = {
    "oneOf": [{"$ref": "#/components/schemas/Obtainability"}, {"type": "null"}],
    "description": "The work's tier for the library of the `library` parameter, else of the "
    "signed-in patron; null without either.",
}


def obtain_params() -> list[dict[str, Any]]:
    return [
        {
            "name": "tier",
            "in": "query",
            "description": f"Only works of this tier (1-{TIER_COUNT}), among the first "
            f"{SOONEST_WINDOW} by relevance. Needs a library (400 without).",
            "schema": {  # blank, as a form sends it, is the same as absent
                "anyOf": [
                    {"type": "integer", "minimum": 1, "maximum": TIER_COUNT},
                    {"type": "string", "maxLength": 0},
                ]
            },
        }
    ]


SORT_NOTE = (
    f"Order of results. `{SOONEST}`: available to the patron soonest — the first "
    f"{SOONEST_WINDOW} works by relevance ordered by tier, relevance within a tier; needs "
    "`library` or a signed-in patron (400 without), and pages only within those works."
)


def search_response_properties() -> dict[str, Any]:
    return {
        "obtainability_library": {
            "type": ["string", "null"],
            "description": "The library the results' tiers are for, or null.",
        },
        "window": {
            "type": "integer",
            "description": "With sort=soonest or tier: how many top relevance-ranked works "
            "were considered; `total` counts the shown ones among them.",
        },
    }
