"""JSON Schemas of the typed payloads, derived from their TypedDicts.

The OpenAPI document describes a work and its holdings from `indexer.payloads` itself, so a
field added to the payload cannot be left out of the API's description.
"""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict

_SCALARS: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def json_schema(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of a type built from TypedDicts, lists, dicts, Literals and scalars."""
    if is_typeddict(annotation):
        hints = get_type_hints(annotation)
        return {
            "type": "object",
            "properties": {name: json_schema(hint) for name, hint in hints.items()},
            "required": sorted(annotation.__required_keys__),
        }
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return {"type": "string", "enum": list(args)}
    if origin is list:
        return {"type": "array", "items": json_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": json_schema(args[1])}
    if origin in (Union, types.UnionType):
        return _optional(args)
    if annotation in _SCALARS:
        return {"type": _SCALARS[annotation]}
    raise TypeError(f"no JSON Schema for {annotation!r}")


def _optional(args: tuple[Any, ...]) -> dict[str, Any]:
    """`X | None` as X's schema that also admits null (the one kind of union payloads use)."""
    present = [a for a in args if a is not type(None)]
    if len(present) != 1 or present[0] not in _SCALARS:
        raise TypeError(f"no JSON Schema for a union of {args!r}")
    return {"type": [_SCALARS[present[0]], "null"]}
