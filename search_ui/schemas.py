"""JSON Schemas of the typed payloads, derived from their TypedDicts.

The OpenAPI document describes a work and its holdings from `indexer.payloads` itself, so a
field added to the payload cannot be left out of the API's description.
"""

from __future__ import annotations

import types
from typing import (
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

_SCALARS: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def json_schema(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of a type built from TypedDicts, lists, dicts, Literals and scalars."""
    if is_typeddict(annotation):
        return _object(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is Any:  # a free-form value (e.g. the match evidence's field details)
        return {}
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


def _object(typed_dict: Any) -> dict[str, Any]:
    """A TypedDict's schema. `NotRequired[...]` is read from the hints themselves, because
    `__required_keys__` misses it when the module postpones annotations (Python 3.11)."""
    properties, required = {}, []
    for name, hint in get_type_hints(typed_dict, include_extras=True).items():
        if get_origin(hint) in (NotRequired, Required):
            optional, hint = get_origin(hint) is NotRequired, get_args(hint)[0]
        else:
            optional = name not in typed_dict.__required_keys__
        properties[name] = json_schema(hint)
        if not optional:
            required.append(name)
    return {"type": "object", "properties": properties, "required": sorted(required)}


def _optional(args: tuple[Any, ...]) -> dict[str, Any]:
    """`X | None` as X's schema that also admits null (the one kind of union payloads use)."""
    present = [a for a in args if a is not type(None)]
    if len(present) != 1 or present[0] not in _SCALARS:
        raise TypeError(f"no JSON Schema for a union of {args!r}")
    return {"type": [_SCALARS[present[0]], "null"]}
