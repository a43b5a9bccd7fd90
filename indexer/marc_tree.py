"""MARCXML read straight from the parsed tree, for the mapping: no pymarc objects built.

`tree_record(element)` reads a harvested MARCXML <record> (any of the MARC namespaces, or
none) once, into a read-only view: each field's tag, indicators, data and (code, value)
pairs as plain tuples, and the fields by tag in a dict made in the same pass. The mapping
asks a record for some twenty tags and its fields for their subfields; pymarc's `Field` and
`Record` constructors (tag checks, indicator tuples, a field list scanned on every lookup)
were half of mapping a harvested record. The view types are subclasses of pymarc's, so the
mapping reads binary MARC files (pymarc) and MARCXML (this) through the same functions, and
gives the same values: tags, control fields and indicators are read by pymarc's rules.
"""

from __future__ import annotations

import pymarc
from lxml import etree


class ByTag(pymarc.Record):
    """A read-only view of a record for the mapping: fields found by tag in a dict built once.

    pymarc scans every field on each get/get_fields; the mapping asks some twenty times per
    record, once per harvested record.
    """

    __slots__ = ("_by_tag",)

    def __init__(self, record: pymarc.Record):  # noqa: D107 - shares the record's fields
        self.leader, self.fields, self.pos = record.leader, record.fields, 0
        self.force_utf8, self.to_unicode = record.force_utf8, record.to_unicode
        self._by_tag: dict[str, list[pymarc.Field]] = {}
        for field in record.fields:
            self._by_tag.setdefault(field.tag, []).append(field)

    def get_fields(self, *tags):
        try:
            present = [tag for tag in tags if tag in self._by_tag]
        except TypeError:  # pymarc also takes lists of tags
            return super().get_fields(*tags)
        if not tags:
            return self.fields
        if len(present) <= 1:
            return list(self._by_tag[present[0]]) if present else []
        return [field for field in self.fields if field.tag in present]  # record order

    def get(self, tag, default=None):
        fields = self._by_tag.get(tag)
        return fields[0] if fields else default


class TreeRecord(ByTag):
    """A MARCXML record as read by `tree_record` (made without pymarc's constructor)."""

    __slots__ = ()


_DEFAULT_LEADER = str(pymarc.Record().leader)
_NO_SUBFIELDS: list[pymarc.Subfield] = []
_new_field = pymarc.Field.__new__
_new_subfield = tuple.__new__
_Subfield = pymarc.Subfield
_Indicators = pymarc.Indicators
_SUBFIELD_TAGS = ("{*}subfield",)
_FIELD_TAGS = ("{*}datafield", "{*}controlfield", "{*}leader")
_KINDS: dict[str, str] = {}


def _kind(tag: str) -> str:
    """'{ns}datafield' → 'datafield'."""
    kind = _KINDS.get(tag)
    if kind is None:
        kind = _KINDS[tag] = tag.rpartition("}")[2]
    return kind


_INDICATORS: dict[tuple[str, str], pymarc.Indicators] = {}


def _indicators(first: str, second: str) -> pymarc.Indicators:
    """The same immutable pair for every field with these indicators (there are few)."""
    pair = _INDICATORS.get((first, second))
    if pair is None:
        pair = _INDICATORS[(first, second)] = _Indicators(first, second)
    return pair


def _field(tag: str, indicators, subfields, data: str | None) -> pymarc.Field:
    """A field as `pymarc.Field(tag, indicators, subfields, data)` would make it."""
    if len(tag) != 3 and tag.isdigit():
        tag = f"{int(tag):03}"
    field = _new_field(pymarc.Field)
    field.tag = tag
    if tag < "010" and tag.isdigit():  # pymarc's rule for control fields
        field.control_field, field.data, field._indicators = True, data, None
        field.subfields = _NO_SUBFIELDS
    else:
        field.control_field, field.data = False, None
        field._indicators = indicators or _indicators(" ", " ")
        field.subfields = subfields or []
    return field


def tree_record(element: etree._Element) -> TreeRecord:
    """A MARCXML <record> element as the mapping's read-only record."""
    record = TreeRecord.__new__(TreeRecord)
    fields: list[pymarc.Field] = []
    by_tag: dict[str, list[pymarc.Field]] = {}
    leader = None
    for child in element.iterchildren(*_FIELD_TAGS):
        kind = _kind(child.tag)
        if kind == "datafield":
            subfields = [
                _new_subfield(_Subfield, (sub.get("code", ""), sub.text or ""))
                for sub in child.iterchildren(*_SUBFIELD_TAGS)
            ]
            indicators = _indicators(child.get("ind1") or " ", child.get("ind2") or " ")
            field = _field(child.get("tag", ""), indicators, subfields, None)
        elif kind == "controlfield":
            field = _field(child.get("tag", ""), None, None, child.text or "")
        else:
            leader = child.text or ""
            continue
        fields.append(field)
        found = by_tag.get(field.tag)
        if found is None:
            by_tag[field.tag] = [field]
        else:
            found.append(field)
    record.leader = pymarc.Leader(leader.ljust(24) if leader is not None else _DEFAULT_LEADER)
    record.fields, record.pos = fields, 0
    record.force_utf8, record.to_unicode = False, True
    record._by_tag = by_tag
    return record
