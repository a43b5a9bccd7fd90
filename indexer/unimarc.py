"""UNIMARC and CNMARC → Record: the bibliographic mapping of a UNIMARC-family pymarc.Record.

CNMARC (the National Library of China's UNIMARC) is UNIMARC with the pinyin of a Chinese
value in the upper-case subfield beside it (200 $A beside $a, 701 $A beside $a). The pinyin is
kept as a romanised form of the title, names and subjects, indexed beside the characters.

Whether a record is UNIMARC is decided by its content (`is_unimarc`), never by one byte or by
the metadata prefix alone: partners label feeds loosely, and pymarc reads both families alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import pymarc

from config.partners import Partner
from indexer import normalize as nz
from indexer.holdings import UNIMARC_ITEM_FIELDS, holdings_of
from indexer.marc_fields import field_text
from indexer.model import Contributor, Holding, Record, Subject

#: Fields only UNIMARC has (title 200, publication 210/214, physical description 215,
#: language 101, originating source 801), and fields only MARC 21 has (title 245,
#: publication 260/264, cataloguing source 040, fixed-length data 008).
_UNIMARC_TAGS = frozenset(("200", "210", "214", "215", "101", "801"))
_MARC21_TAGS = frozenset(("245", "260", "264", "040", "008"))
_SUBDIVISIONS = frozenset("jxyz")
_SUBJECT_TAGS = ("600", "601", "602", "604", "605", "606", "607", "608", "610", "615", "616")
_PERSON_TAGS = ("700", "701", "702")
_BODY_TAGS = ("710", "711", "712")
#: UNIMARC relator codes (Appendix C) as the terms patrons read, the common ones.
_RELATORS = {
    "070": "author", "340": "editor", "730": "translator", "440": "illustrator",
    "230": "composer", "220": "compiler", "651": "publishing director", "080": "author",
    "557": "organiser", "595": "research team", "205": "contributor",
}  # fmt: skip
#: Leader/06 (type of record) → fedcat format; language material splits on leader/07.
_LEADER_TYPE = {
    "b": "manuscript", "c": "score", "d": "score", "e": "map", "f": "map", "g": "video",
    "i": "spoken_word", "j": "recording", "k": "image", "l": "eresource", "m": "kit",
    "r": "image",
}  # fmt: skip
#: Classification fields → fedcat scheme names (690: the Chinese Library Classification).
_CLASSIFICATION = {"690": "clc", "676": "ddc", "675": "udc", "680": "lcc", "692": "cas"}


def is_unimarc(record: pymarc.Record) -> bool:
    """A UNIMARC-family record (UNIMARC, CNMARC), told from MARC 21 by which fields it has.

    A title in 200 and more UNIMARC-only fields than MARC 21-only ones: a MARC 21 record
    never has 200, 215 or 801, and a UNIMARC one has no 245, 260 or 008.
    """
    tags = {field.tag for field in record.fields}
    if "200" not in tags:
        return False
    return len(tags & _UNIMARC_TAGS) > len(tags & _MARC21_TAGS)


def _subfields(field: pymarc.Field, code: str) -> list[str]:
    return [value.strip() for c, value in field.subfields if c == code and value.strip()]


def _text(record: pymarc.Record, tag: str, codes: str, sep: str = " ") -> str:
    field = record.get(tag)
    return field_text(field, codes, sep) if field is not None else ""


def _romanised(field: pymarc.Field) -> str:
    """The pinyin a CNMARC field carries beside its characters ($A, $E, ...), as one value."""
    values = [v.strip() for c, v in field.subfields if c in "ABEHI" and v.strip()]
    return nz.strip_isbd(" ".join(values))


def _title_forms(record: pymarc.Record, field_200: pymarc.Field) -> list[str]:
    """Other forms of the title: 200's parallel titles ($d) and pinyin, further titles
    by the same author ($a after the first), parallel (510), variant (512-517, 540) and
    uniform (500) titles, each with its pinyin."""
    forms = [nz.strip_isbd(v.lstrip("= ")) for v in _subfields(field_200, "d")]
    forms += _subfields(field_200, "a")[1:]
    forms.append(_romanised(field_200))
    for field in record.get_fields("500", "510", "512", "513", "514", "516", "517", "540"):
        forms += [field_text(field, "ae", " : "), _romanised(field)]
    return nz.unique(nz.strip_isbd(form) for form in forms)


def _name(field: pymarc.Field) -> str:
    """'叶震', 'Dupont, Jean', 'Université de Paris. Faculté des lettres'."""
    if field.tag in _BODY_TAGS:
        return nz.strip_isbd(". ".join(_subfields(field, "a") + _subfields(field, "b")))
    surname, forenames = field_text(field, "a"), field_text(field, "b")
    return f"{surname}, {forenames}" if forenames else surname


def _role(field: pymarc.Field) -> str:
    """A relator code as its term ('070' → author); a term (CNMARC's '主编') as written."""
    return ", ".join(nz.unique(_RELATORS.get(v, nz.strip_isbd(v)) for v in _subfields(field, "4")))


def _contributors(record: pymarc.Record) -> list[Contributor]:
    """7XX names; CNMARC's pinyin ($A) is the name's other form (shown beside it, indexed)."""
    found: dict[tuple[str, str], Contributor] = {}
    for field in record.get_fields(*_PERSON_TAGS, *_BODY_TAGS):
        name = _name(field)
        if name:
            contributor = Contributor(name=name, role=_role(field), vernacular=_romanised(field))
            found.setdefault((name, contributor.role), contributor)
    return list(found.values())


def _heading(field: pymarc.Field) -> str:
    segments: list[list[str]] = [[]]
    for code, value in field.subfields:
        if not code.islower() or not value.strip() or code in "2345":
            continue
        if code in _SUBDIVISIONS and segments[-1]:
            segments.append([])
        segments[-1].append(value.strip())
    return " -- ".join(nz.strip_isbd(" ".join(s)) for s in segments if s)


def _subjects(record: pymarc.Record) -> tuple[list[Subject], list[str]]:
    """6XX headings with their scheme ($2, or 'local' for 610), and their pinyin forms."""
    subjects: dict[tuple[str, str], Subject] = {}
    romanised: list[str] = []
    for field in record.get_fields(*_SUBJECT_TAGS):
        heading = _heading(field)
        scheme = "local" if field.tag == "610" else nz.strip_isbd(field.get("2") or "").casefold()
        if heading:
            subjects.setdefault((heading, scheme), Subject(heading=heading, scheme=scheme))
        romanised.append(_romanised(field))
    return list(subjects.values()), nz.unique(romanised)


def _classification(record: pymarc.Record) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag, scheme in _CLASSIFICATION.items():
        for field in record.get_fields(tag):
            found.setdefault(scheme, []).append(field_text(field, "a"))
    for field in record.get_fields("686"):
        scheme = nz.strip_isbd(field.get("2") or "other").casefold()
        found.setdefault(scheme, []).append(field_text(field, "a"))
    return {scheme: nz.unique(values) for scheme, values in found.items() if nz.unique(values)}


def _format(leader: str) -> str:
    leader = leader.ljust(8)
    record_type, level = leader[6], leader[7]
    if record_type == "a":
        return "serial" if level == "s" else "book"
    return _LEADER_TYPE.get(record_type, "")


def _publication(record: pymarc.Record) -> tuple[str, str, int | None]:
    """Place, publisher and year from 210 (or 214, UNIMARC's newer publication field), the
    year from 100/09-12 when the statement gives none."""
    place = publisher = ""
    year = None
    for field in record.get_fields("210", "214"):
        place = place or nz.strip_brackets(field.get("a") or "")
        publisher = publisher or nz.strip_brackets(field.get("c") or "")
        year = year or next(filter(None, map(nz.year, _subfields(field, "d"))), None)
    coded = _text(record, "100", "a")
    return place, publisher, year or nz.year(coded[9:13])


def _holdings_905(record: pymarc.Record, partner: Partner, record_id: str) -> list[Holding]:
    """CNMARC 905 (the holding institution's copy): $d class number and $e book number make
    the call number. It states no item status."""
    holdings = []
    for field in record.get_fields("905"):
        call_number = field_text(field, "s") or " ".join(
            _subfields(field, "d") + _subfields(field, "e")
        )
        holdings.append(
            Holding(
                library_id=partner.id,
                call_number=call_number,
                location=partner.location,
                catalog_url=partner.record_url(record_id),
            )
        )
    return holdings


def _call_number(record: pymarc.Record, classification: dict[str, list[str]]) -> str:
    """The local call number (905, or BNU's 090 $u), else the first CLC class."""
    for tag, codes in (("905", "s"), ("090", "u")):
        value = _text(record, tag, codes)
        if value:
            return value
    return next(iter(classification.get("clc", [])), "")


def source_format(record: pymarc.Record) -> str:
    """'cnmarc' for a record catalogued in China (801 $a CN), otherwise 'unimarc'."""
    countries = {v.upper() for f in record.get_fields("801") for v in _subfields(f, "a")}
    return "cnmarc" if "CN" in countries else "unimarc"


def unimarc_to_record(
    marc: pymarc.Record,
    partner: Partner,
    identifier: str,
    datestamp: str = "",
    holdings_records: Sequence[pymarc.Record] = (),
) -> Record:
    """Map one UNIMARC or CNMARC bibliographic record, with its holdings, for one partner."""
    field_200 = marc.get("200")
    title = field_text(field_200, "a") if field_200 is not None else ""
    if field_200 is None or not title:
        raise nz.MappingError(f"{identifier}: UNIMARC record has no title (200 $a)")
    f001 = marc.get("001")
    record_id = (f001.data.strip() if f001 is not None and f001.data else "") or nz.local_id(
        identifier
    )
    classification = _classification(marc)
    subjects, subject_forms = _subjects(marc)
    place, publisher, year = _publication(marc)
    responsibility = " ; ".join(_subfields(field_200, "f") + _subfields(field_200, "g"))
    vernacular = {
        "title": _title_forms(marc, field_200),
        "subjects": subject_forms,
        "publisher": nz.unique(_romanised(f) for f in marc.get_fields("210")),
    }
    contributors = _contributors(marc)
    vernacular["contributors"] = nz.unique(c.vernacular for c in contributors)
    call_number = _call_number(marc, classification)
    holdings = holdings_of(
        marc, partner, record_id, call_number, holdings_records, UNIMARC_ITEM_FIELDS
    )
    if not any(h.status != "unknown" for h in holdings):
        holdings = _holdings_905(marc, partner, record_id) or holdings
    isbn_fields = marc.get_fields("010")
    issn_fields = marc.get_fields("011")
    return Record(
        partner_id=partner.id,
        identifier=identifier,
        source_format=source_format(marc),
        datestamp=datestamp,
        title=title,
        subtitle=" : ".join(_subfields(field_200, "e")),
        part=field_text(field_200, "hi", ", "),
        responsibility=nz.strip_isbd(responsibility),
        contributors=contributors,
        subjects=subjects,
        classification=classification,
        isbns=nz.unique(nz.isbn13(v) for f in isbn_fields for v in f.get_subfields("a")),
        issns=nz.unique(nz.issn(v) for f in issn_fields for v in f.get_subfields("a")),
        weak_isbns=nz.unique(nz.isbn13(v) for f in isbn_fields for v in f.get_subfields("z")),
        weak_issns=nz.unique(nz.issn(v) for f in issn_fields for v in f.get_subfields("y", "z")),
        language=nz.language(_text(marc, "101", "a")[:3]),
        format=_format(str(marc.leader)),
        series=_text(marc, "225", "a") or _text(marc, "410", "at"),
        publisher=publisher,
        place=place,
        year=year,
        edition=_text(marc, "205", "ab"),
        physical_description=_text(marc, "215", "acde", " ; "),
        notes=nz.unique(
            field_text(f, "a") for f in marc.fields if f.tag.startswith("3") and f.tag != "345"
        ),
        urls=nz.unique(u.strip() for f in marc.get_fields("856") for u in f.get_subfields("u")),
        vernacular={key: values for key, values in vernacular.items() if values},
        holdings=holdings,
    )
