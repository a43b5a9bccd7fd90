"""Reading values out of MARC fields, shared by the bibliographic mapping and the holdings."""

from __future__ import annotations

import pymarc

from indexer import normalize as nz


def field_text(field: pymarc.Field, codes: str, sep: str = " ") -> str:
    """The field's subfields `codes`, trimmed, joined by `sep`, without ISBD punctuation."""
    values = [v.strip() for c, v in field.subfields if c in codes and v.strip()]
    return nz.strip_isbd(sep.join(values))
