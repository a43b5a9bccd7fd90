"""MARC21 → Record: the bibliographic mapping of one pymarc.Record (UNIMARC: indexer.unimarc).

Reading MARC (files, SQL dumps, MARCXML elements) is `indexer.marc_readers`; the holdings
(item fields and MFHDs) are `indexer.holdings`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pymarc

from config.partners import Partner
from indexer import normalize as nz
from indexer.cjk import vernacular_title_first
from indexer.holdings import holdings_of
from indexer.marc_fields import field_text
from indexer.marc_tree import ByTag
from indexer.model import Contributor, Record, Subject
from indexer.unimarc import is_unimarc, unimarc_to_record

_CONTROL_CODES = frozenset("0123456789")
_SUBDIVISIONS = frozenset("vxyz")
_NAME_TAGS = ("100", "110", "111", "700", "710", "711")
_NAME_PARTS = {"0": "abcq", "1": "abcdn", "1X1": "anqdc"}  # X00, X10, X11
_SUBJECT_TAGS = ("600", "610", "611", "630", "648", "650", "651", "653", "655", "690", "691")
#: 2nd indicator of 6XX → subject scheme ("7": named in $2)
_SUBJECT_SCHEMES = {"0": "lcsh", "1": "lcac", "2": "mesh", "3": "nal", "5": "cash", "6": "rvm"}
#: The vernacular (880) key of each linked tag.
_VERNACULAR_KEYS = {
    **dict.fromkeys(("130", "240", "245", "246"), "title"),
    **dict.fromkeys(_NAME_TAGS, "contributors"),
    **dict.fromkeys(_SUBJECT_TAGS, "subjects"),
    "250": "edition",
}


# -- field helpers ------------------------------------------------------------------------


def _first(record: pymarc.Record, tags: tuple[str, ...], codes: str) -> str:
    for field in record.get_fields(*tags):
        value = field_text(field, codes)
        if value:
            return value
    return ""


def _linked_tag(field: pymarc.Field) -> str:
    """The tag an 880 stands for ('245' from $6 '245-02/$1'); the field's own tag otherwise."""
    if field.tag != "880":
        return field.tag
    return (field.get("6") or "")[:3]


def _vernacular_link(field: pymarc.Field) -> str:
    """'245-02' for an 880 or for the romanised field that points at it."""
    link = (field.get("6") or "").split("/")[0]
    if field.tag == "880":
        return link
    return f"{field.tag}-{link[4:6]}" if link.startswith("880-") else ""


def _title_text(field: pymarc.Field) -> str:
    return " : ".join(v for v in (field_text(field, "a"), field_text(field, "b")) if v)


def _name_text(field: pymarc.Field) -> str:
    tag = _linked_tag(field)
    key = "1X1" if tag.endswith("11") else tag[1]
    return field_text(field, _NAME_PARTS.get(key, "a"))


def _role(field: pymarc.Field) -> str:
    terms = field.get_subfields("j" if _linked_tag(field).endswith("11") else "e")
    terms = [nz.strip_isbd(t) for t in terms]
    terms += [nz.relator(c) for c in field.get_subfields("4")]
    return ", ".join(nz.unique(terms))


def _subject_heading(field: pymarc.Field) -> str:
    segments: list[list[str]] = [[]]
    for code, value in field.subfields:
        if code in _CONTROL_CODES or (code == "e" and field.tag != "611"):
            continue
        if code in _SUBDIVISIONS and segments[-1]:
            segments.append([])
        segments[-1].append(value.strip())
    return " -- ".join(nz.strip_isbd(" ".join(s)) for s in segments if s)


def _subject_scheme(field: pymarc.Field) -> str:
    if _linked_tag(field) in ("653", "690", "691"):
        return "local"
    if field.indicator2 == "7":
        return nz.strip_isbd(field.get("2") or "").casefold()
    return _SUBJECT_SCHEMES.get(field.indicator2, "")


def _publication(record: pymarc.Record) -> list[pymarc.Field]:
    """264 publication statements first, then 260, then other 264s (copyright, ...)."""
    fields_264 = record.get_fields("264")
    return [
        *(f for f in fields_264 if f.indicator2 == "1"),
        *record.get_fields("260"),
        *(f for f in fields_264 if f.indicator2 != "1"),
    ]


def _publication_text(field: pymarc.Field, code: str) -> str:
    return nz.strip_brackets(field.get(code) or "")


# -- the mapping --------------------------------------------------------------------------


def _vernacular(record: pymarc.Record) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for field in record.get_fields("880"):
        tag = _linked_tag(field)
        if tag in _VERNACULAR_KEYS:
            key = _VERNACULAR_KEYS[tag]
            extract = {"title": _title_text, "contributors": _name_text}.get(key)
            value = extract(field) if extract else _subject_heading(field)
            if key == "edition":
                value = field_text(field, "ab")
            found.setdefault(key, []).append(value)
        elif tag in ("260", "264"):
            found.setdefault("place", []).append(_publication_text(field, "a"))
            found.setdefault("publisher", []).append(_publication_text(field, "b"))
        elif tag.startswith("5"):
            found.setdefault("notes", []).append(field_text(field, "abcdefghijklmnopqrstuvwxyz"))
    return {key: nz.unique(values) for key, values in found.items() if nz.unique(values)}


def _contributors(record: pymarc.Record) -> list[Contributor]:
    linked = {_vernacular_link(f): f for f in record.get_fields("880")}
    contributors: list[Contributor] = []
    seen: set[tuple[str, str]] = set()
    for field in record.get_fields(*_NAME_TAGS):
        name = _name_text(field)
        role = _role(field)
        if not name or (name, role) in seen:
            continue
        seen.add((name, role))
        vernacular_field = linked.get(_vernacular_link(field))
        vernacular = _name_text(vernacular_field) if vernacular_field is not None else ""
        contributors.append(Contributor(name=name, role=role, vernacular=vernacular))
    return contributors


def _subjects(record: pymarc.Record) -> list[Subject]:
    subjects = [
        Subject(heading=_subject_heading(f), scheme=_subject_scheme(f))
        for f in record.get_fields(*_SUBJECT_TAGS)
    ]
    unique = {(s.heading, s.scheme): s for s in reversed(subjects) if s.heading}
    return list(reversed(unique.values()))


def _classification(record: pymarc.Record) -> dict[str, list[str]]:
    found = {
        "lcc": [field_text(f, "ab").replace("'", " ") for f in record.get_fields("050", "090")],
        "ddc": [field_text(f, "a").replace("/", "") for f in record.get_fields("082")],
        "udc": [field_text(f, "a") for f in record.get_fields("080")],
    }
    for field in record.get_fields("084"):
        scheme = nz.strip_isbd(field.get("2") or "other").casefold()
        found.setdefault(scheme, []).append(field_text(field, "a"))
    return {scheme: nz.unique(values) for scheme, values in found.items() if nz.unique(values)}


def _call_number(classification: dict[str, list[str]]) -> str:
    for scheme in ("lcc", "ddc", "clc"):
        if classification.get(scheme):
            return classification[scheme][0]
    return ""


def _title(record: pymarc.Record, identifier: str) -> tuple[str, pymarc.Field | None]:
    field_245 = record.get("245")
    title = field_text(field_245, "a") if field_245 is not None else ""
    title = title or _first(record, ("130", "240", "246", "210"), "a")
    if not title and field_245 is not None:
        title = field_text(field_245, "knp")
    if not title:
        raise nz.MappingError(f"{identifier}: MARC record has no title (245/130/240/246)")
    return title, field_245


def marc_to_record(
    marc: pymarc.Record,
    partner: Partner,
    identifier: str,
    datestamp: str = "",
    holdings_records: Sequence[pymarc.Record] = (),
) -> Record:
    """Map one MARC bibliographic record, with its item fields and MFHDs, for one partner.

    A UNIMARC or CNMARC record (told by its fields, see indexer.unimarc) takes the UNIMARC
    mapping, whatever the feed called it."""
    marc = marc if isinstance(marc, ByTag) else ByTag(marc)
    if is_unimarc(marc):
        return unimarc_to_record(marc, partner, identifier, datestamp, holdings_records)
    title, field_245 = _title(marc, identifier)
    f001, f008 = marc.get("001"), marc.get("008")
    f003 = marc.get("003")
    control_008 = f008.data if f008 is not None else ""
    record_id = (f001.data.strip() if f001 is not None else "") or nz.local_id(identifier)
    field_007 = next((f.data for f in marc.get_fields("007")), "")
    publication = _publication(marc)
    classification = _classification(marc)
    oclc = [nz.oclc_number(v) for f in marc.get_fields("035") for v in f.get_subfields("a")]
    if f003 is not None and f003.data.strip() == "OCoLC" and f001 is not None:
        oclc.append(nz.oclc_number(f001.data, prefixed=False))
    years = [nz.year(v) for f in publication for v in f.get_subfields("c")]
    language = nz.language(control_008[35:38]) or nz.language(_first(marc, ("041",), "a")[:3])
    record = Record(
        partner_id=partner.id,
        identifier=identifier,
        source_format="marc21",
        datestamp=datestamp,
        title=title,
        subtitle=field_text(field_245, "b") if field_245 is not None else "",
        part=field_text(field_245, "np", ", ") if field_245 is not None else "",
        responsibility=field_text(field_245, "c") if field_245 is not None else "",
        contributors=_contributors(marc),
        subjects=_subjects(marc),
        classification=classification,
        isbns=nz.unique(nz.isbn13(v) for f in marc.get_fields("020") for v in f.get_subfields("a")),
        issns=nz.unique(nz.issn(v) for f in marc.get_fields("022") for v in f.get_subfields("a")),
        oclc_numbers=nz.unique(oclc),
        lccn=nz.lccn(_first(marc, ("010",), "a")),
        weak_isbns=nz.unique(
            nz.isbn13(v) or _digits(v) for f in marc.get_fields("020") for v in f.get_subfields("z")
        ),
        weak_issns=nz.unique(
            nz.issn(v) or v.strip()
            for f in marc.get_fields("022")
            for v in f.get_subfields("y", "z")
        ),
        language=language,
        format=nz.format_from_marc(
            str(marc.leader), field_007, control_008, _first(marc, ("300",), "a")
        ),
        carrier=_carrier(str(marc.leader), field_007, control_008),
        series=_first(marc, ("490", "830"), "a"),
        publisher=next(filter(None, (_publication_text(f, "b") for f in publication)), ""),
        place=next(filter(None, (_publication_text(f, "a") for f in publication)), ""),
        year=next(filter(None, years), None) or nz.year(control_008[7:11]),
        edition=_first(marc, ("250",), "ab"),
        physical_description=_first(marc, ("300",), "abcefg"),
        notes=nz.unique(field_text(f, "abcdefghijklmnopqrstuvwxyz") for f in _notes(marc)),
        urls=nz.unique(u.strip() for f in marc.get_fields("856") for u in f.get_subfields("u")),
        vernacular=_vernacular(marc),
        holdings=holdings_of(
            marc, partner, record_id, _call_number(classification), holdings_records
        ),
    )
    return vernacular_title_first(record)


#: 008 "form of item" codes and 007/00 categories that name a carrier (MARC 21 bibliographic).
_FORM_OF_ITEM = {"a": "microform", "b": "microform", "c": "microform", "d": "large_print",
                 "f": "braille", "o": "online", "q": "online", "s": "online"}  # fmt: skip
_CATEGORY_007 = {"h": "microform", "f": "braille"}


def _digits(value: str) -> str:
    """An invalid number as its digits (and check letter X), to compare with other records'."""
    return "".join(c for c in value.upper() if c.isdigit() or c == "X")


def _carrier(leader: str, field_007: str, field_008: str) -> str:
    """The carrier the matcher must not mix: online, microform, braille or large print.

    Form of item sits at 008/23 for books, music, serials and mixed material and at 008/29
    for maps and visual material; 007 cr (remote) and 007 h/f say it for any type."""
    if field_007[:2] == "cr":
        return "online"
    if field_007[:1] in _CATEGORY_007:
        return _CATEGORY_007[field_007[:1]]
    record_type = leader.ljust(8)[6]
    position = 29 if record_type in "efgkor" else 23
    carrier = _FORM_OF_ITEM.get(field_008[position : position + 1], "")
    # a sound recording has no large print or braille: such a code there is a slip
    return carrier if record_type not in "ij" or carrier == "online" else ""


def _notes(record: pymarc.Record) -> list[pymarc.Field]:
    return [f for f in record.fields if f.tag.startswith("5") and not f.tag.startswith("59")]
