"""MARC21 → Record, and reading MARC from the files and SQL dumps partners hand us.

The mapping reads a pymarc.Record; MARCXML (from OAI-PMH or a file) is walked with lxml
into one first, so binary and XML records take the same path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path

import pymarc
from lxml import etree

from config.partners import Partner
from indexer import normalize as nz
from indexer.model import Contributor, Holding, Record, Subject

log = logging.getLogger(__name__)

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


# -- reading ------------------------------------------------------------------------------

_PARSER = dict(resolve_entities=False, no_network=True, huge_tree=False)
_RECORD_TAGS = ("{http://www.loc.gov/MARC21/slim}record", "record")
_SQL_STRING = re.compile(r"'((?:[^']|'')*)'")


def record_from_element(element: etree._Element) -> pymarc.Record:
    """A MARCXML <record> element (any namespace or none) as a pymarc.Record.

    Runs once per harvested record, so it avoids per-element QName objects and builds the
    subfield tuples directly.
    """
    fields: list[pymarc.Field] = []
    leader = None
    for child in element.iterchildren("{*}datafield", "{*}controlfield", "{*}leader"):
        name = _localname(child.tag)
        if name == "datafield":
            subfields = [
                _subfield((sub.get("code", ""), sub.text or ""))
                for sub in child.iterchildren("{*}subfield")
            ]
            indicators = (child.get("ind1") or " ", child.get("ind2") or " ")
            fields.append(pymarc.Field(child.get("tag", ""), indicators, subfields))
        elif name == "controlfield":
            fields.append(pymarc.Field(child.get("tag", ""), data=child.text or ""))
        else:
            leader = child.text or ""
    record = pymarc.Record(fields=fields)
    if leader is not None:
        record.leader = pymarc.Leader(leader.ljust(24))
    return record


#: pymarc.Subfield from a (code, value) pair without the namedtuple's Python-level __new__.
_subfield = partial(tuple.__new__, pymarc.Subfield)
_LOCALNAMES: dict[str, str] = {}


def _localname(tag: str) -> str:
    """'{ns}datafield' → 'datafield'."""
    name = _LOCALNAMES.get(tag)
    if name is None:
        name = _LOCALNAMES[tag] = tag.rpartition("}")[2]
    return name


def _binary_chunks(data: bytes) -> Iterator[bytes]:
    position = 0
    while position < len(data):
        end = data.find(b"\x1d", position)
        end = len(data) if end < 0 else end + 1
        chunk = data[position:end]
        position = end
        if chunk.strip():
            yield chunk.lstrip()


def _looks_utf8(chunk: bytes) -> bool:
    """Leader/09 says 'a', or the bytes are valid UTF-8 (MARC-8 text almost never is)."""
    if chunk[9:10] == b"a":
        return True
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not chunk.isascii()


def _binary_records(path: Path) -> Iterator[pymarc.Record]:
    for number, chunk in enumerate(_binary_chunks(path.read_bytes()), 1):
        try:
            yield pymarc.Record(
                data=chunk,
                force_utf8=_looks_utf8(chunk),
                hide_utf8_warnings=True,
                utf8_handling="replace",
            )
        except Exception as exc:  # pymarc raises many types for broken records
            log.warning("%s: skipped record #%d: %s", path, number, exc or type(exc).__name__)


def _xml_records(path: Path) -> Iterator[pymarc.Record]:
    """Records of a MARCXML file, with or without a <collection> root (some are bare lists)."""
    parser = etree.XMLPullParser(events=("end",), tag=_RECORD_TAGS, **_PARSER)
    parser.feed(b"<fedcat-file>")
    with path.open("rb") as fh:
        head = fh.read(65536)
        if head.lstrip().startswith(b"<?xml"):
            head = head[head.index(b"?>") + 2 :]
        try:
            for chunk in iter(lambda: fh.read(65536), b""):
                parser.feed(head)
                yield from _pull_records(parser)
                head = chunk
            parser.feed(head + b"</fedcat-file>")
            yield from _pull_records(parser)
        except etree.XMLSyntaxError as exc:
            log.warning("%s: stopped reading at broken XML: %s", path, exc)


def _pull_records(parser: etree.XMLPullParser) -> Iterator[pymarc.Record]:
    for _, element in parser.read_events():
        yield record_from_element(element)
        element.clear()


def marc_records_from_file(path: Path | str) -> Iterator[pymarc.Record]:
    """Binary MARC (UTF-8 or MARC-8) or MARCXML; broken records are logged and skipped."""
    path = Path(path)
    with path.open("rb") as fh:
        is_xml = fh.read(1).lstrip() == b"<" or path.suffix.lower() == ".xml"
    yield from (_xml_records(path) if is_xml else _binary_records(path))


def marc_records_from_sql(path: Path | str) -> Iterator[pymarc.Record]:
    """The MARCXML string literals of an Evergreen bibs_*.sql INSERT dump."""
    parser = etree.XMLParser(**_PARSER)
    text = Path(path).read_text(encoding="utf-8")
    for number, match in enumerate(_SQL_STRING.finditer(text), 1):
        literal = match.group(1)
        if not literal.lstrip().startswith("<record"):
            continue
        try:
            element = etree.fromstring(literal.replace("''", "'").encode("utf-8"), parser)
        except etree.XMLSyntaxError as exc:
            log.warning("%s: skipped string #%d: %s", path, number, exc)
            continue
        yield record_from_element(element)


# -- field helpers ------------------------------------------------------------------------


def _text(field: pymarc.Field, codes: str, sep: str = " ") -> str:
    values = [v.strip() for c, v in field.subfields if c in codes and v.strip()]
    return nz.strip_isbd(sep.join(values))


def _first(record: pymarc.Record, tags: tuple[str, ...], codes: str) -> str:
    for field in record.get_fields(*tags):
        value = _text(field, codes)
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
    return " : ".join(v for v in (_text(field, "a"), _text(field, "b")) if v)


def _name_text(field: pymarc.Field) -> str:
    tag = _linked_tag(field)
    key = "1X1" if tag.endswith("11") else tag[1]
    return _text(field, _NAME_PARTS.get(key, "a"))


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


class _ByTag(pymarc.Record):
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


def _vernacular(record: pymarc.Record) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for field in record.get_fields("880"):
        tag = _linked_tag(field)
        if tag in _VERNACULAR_KEYS:
            key = _VERNACULAR_KEYS[tag]
            extract = {"title": _title_text, "contributors": _name_text}.get(key)
            value = extract(field) if extract else _subject_heading(field)
            if key == "edition":
                value = _text(field, "ab")
            found.setdefault(key, []).append(value)
        elif tag in ("260", "264"):
            found.setdefault("place", []).append(_publication_text(field, "a"))
            found.setdefault("publisher", []).append(_publication_text(field, "b"))
        elif tag.startswith("5"):
            found.setdefault("notes", []).append(_text(field, "abcdefghijklmnopqrstuvwxyz"))
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
        "lcc": [_text(f, "ab").replace("'", " ") for f in record.get_fields("050", "090")],
        "ddc": [_text(f, "a").replace("/", "") for f in record.get_fields("082")],
        "udc": [_text(f, "a") for f in record.get_fields("080")],
    }
    for field in record.get_fields("084"):
        scheme = nz.strip_isbd(field.get("2") or "other").casefold()
        found.setdefault(scheme, []).append(_text(field, "a"))
    return {scheme: nz.unique(values) for scheme, values in found.items() if nz.unique(values)}


def _call_number(classification: dict[str, list[str]]) -> str:
    for scheme in ("lcc", "ddc", "clc"):
        if classification.get(scheme):
            return classification[scheme][0]
    return ""


def _holding_852(field: pymarc.Field) -> tuple[str, str, str]:
    flags = {v.strip().casefold() for v in field.get_subfields("x")}
    loanable = False if flags & {"reference", "noncirculating", "non-circulating"} else None
    status = nz.item_status(" ".join(field.get_subfields("z")), loanable)
    location = " ".join(nz.unique(v.strip() for v in field.get_subfields("b", "c")))
    return _text(field, "khijm"), location, status


def _holding_sirsi(field: pymarc.Field) -> tuple[str, str, str]:
    """SirsiDynix item fields (949/999): $a call number, $l location, $k current, $r circ."""
    circulates = {"y": True, "n": False}.get((field.get("r") or "").strip().casefold())
    status = nz.item_status(field.get("k") or "", circulates)
    return _text(field, "a"), (field.get("l") or field.get("m") or "").strip(), status


def _koha_flag(field: pymarc.Field, code: str) -> bool:
    """Koha item flags are numbers: '' and '0' mean no, anything else (1, 2, -1) yes."""
    return (field.get(code) or "").strip() not in ("", "0")


def _holding_koha(field: pymarc.Field) -> tuple[str, str, str] | None:
    """Koha items (952). A withdrawn copy ($0) is no longer held: left out. A lost copy ($1)
    is 'unknown', as lost items from every ILS are (nz.item_status). Then a due date ($q)
    means on loan, a not-for-loan code ($7, negative = on order) or a reference item type
    ($y) means not loanable, and otherwise the copy is on the shelf. Barcodes ($p) are not kept.
    """
    if _koha_flag(field, "0"):
        return None
    if _koha_flag(field, "1"):
        status = nz.item_status("lost")
    elif (field.get("q") or "").strip():
        status = "on_loan"
    elif _koha_flag(field, "7") or nz.item_status(field.get("y") or "") == "not_loanable":
        status = "not_loanable"
    else:
        status = "available"
    home, current = (field.get("a") or "").strip(), (field.get("b") or "").strip()
    location = " ".join(nz.unique([home or current, (field.get("c") or "").strip()]))
    if home and current and current != home:
        location += f" (at {current})"
    return _text(field, "o"), location, status


_HOLDING_FIELDS = {
    "852": _holding_852,
    "949": _holding_sirsi,
    "999": _holding_sirsi,
    "952": _holding_koha,
}


def _holdings(
    record: pymarc.Record,
    partner: Partner,
    record_id: str,
    call: str,
    holdings_records: Sequence[pymarc.Record] = (),
) -> list[Holding]:
    holdings = []
    for field in record.get_fields(*_HOLDING_FIELDS):
        item = _HOLDING_FIELDS[field.tag](field)
        if item is not None:
            holdings.append(_holding(item, partner, record_id, call))
    for mfhd in holdings_records:
        holdings.extend(mfhd_holdings(mfhd, partner, record_id, call))
    return nz.unique_holdings(holdings) or [nz.partner_holding(partner, record_id, call)]


# -- MARC holdings records (MFHD) ---------------------------------------------------------

#: Leader/06 of a MARC21 holdings record (single-part, multipart, serial, unknown).
_HOLDINGS_TYPES = frozenset("uvxy")
_TEXTUAL_HOLDINGS = {"866": "", "867": "Supplements: ", "868": "Indexes: "}


def is_holdings_record(record: pymarc.Record) -> bool:
    return str(record.leader)[6:7] in _HOLDINGS_TYPES


def _issue(captions: dict[str, str], field: pymarc.Field) -> str:
    """One 863 as a reader writes it: 'v.18:no.4 (2007:02)'; '(year)' captions show bare."""
    enumeration, chronology = [], []
    for code, value in field.subfields:
        if code not in "abcdefghijklm" or not value.strip():
            continue
        caption = captions.get(code, "")
        text = value.strip() if caption.startswith("(") else caption + value.strip()
        (chronology if code in "ijklm" else enumeration).append(text)
    if enumeration and chronology:
        return f"{':'.join(enumeration)} ({':'.join(chronology)})"
    return ":".join(enumeration or chronology)


def holdings_summary(mfhd: pymarc.Record) -> str:
    """866-868 textual holdings as stated, then each 863 issue rendered with its 853 captions."""
    parts = [
        prefix + _text(field, "az", " ")
        for tag, prefix in _TEXTUAL_HOLDINGS.items()
        for field in mfhd.get_fields(tag)
        if _text(field, "a")
    ]
    captions = {
        (field.get("8") or "").split(".")[0]: dict(field.subfields)
        for field in mfhd.get_fields("853")
    }
    issues = [
        _issue(captions.get((field.get("8") or "").split(".")[0], {}), field)
        for field in mfhd.get_fields("863")
    ]
    if any(issues):
        parts.append(", ".join(nz.unique(issues)))
    return "; ".join(parts)


def mfhd_holdings(
    mfhd: pymarc.Record, partner: Partner, record_id: str, call: str = ""
) -> list[Holding]:
    """One holding per 852 of a holdings record, each carrying the record's summary."""
    summary = holdings_summary(mfhd)
    return [
        _holding(item, partner, record_id, call, summary)
        for item in map(_holding_852, mfhd.get_fields("852"))
    ]


def _holding(
    item: tuple[str, str, str], partner: Partner, record_id: str, call: str, summary: str = ""
) -> Holding:
    """A holding from an item field's (call number, location, status), with the partner's
    defaults for what the field leaves out."""
    call_number, location, status = item
    return Holding(
        library_id=partner.id,
        call_number=call_number or call,
        location=location or partner.location,
        status=status,
        catalog_url=partner.record_url(record_id),
        summary=summary,
    )


def _bib_ids(bib: pymarc.Record) -> set[str]:
    """Ids an MFHD may point at: 001, Evergreen's TCN (901 $a), and 035 numbers."""
    ids = {f.data.strip() for f in bib.get_fields("001")}
    ids |= {v.strip() for f in bib.get_fields("901") for v in f.get_subfields("a")}
    ids |= {v.split(")")[-1].strip() for f in bib.get_fields("035") for v in f.get_subfields("a")}
    return ids - {""}


def _holdings_link(mfhd: pymarc.Record) -> str:
    """The bib an MFHD belongs to: 004, or (legacy exports such as the Sirsi→Evergreen
    serials sample) its first 001, which repeats the bib's id."""
    for tag in ("004", "001"):
        field = mfhd.get(tag)
        if field is not None and field.data.strip():
            return field.data.strip()
    return ""


def attach_holdings(
    bibs: Iterable[pymarc.Record], holdings_records: Iterable[pymarc.Record]
) -> Iterator[tuple[pymarc.Record, list[pymarc.Record]]]:
    """Each bib with the holdings records that point at it; unlinked MFHDs are logged."""
    by_link: dict[str, list[pymarc.Record]] = {}
    for mfhd in holdings_records:
        by_link.setdefault(_holdings_link(mfhd), []).append(mfhd)
    used: set[str] = set()
    for bib in bibs:
        links = sorted(_bib_ids(bib) & by_link.keys())
        used.update(links)
        yield bib, [mfhd for link in links for mfhd in by_link[link]]
    for link in sorted(by_link.keys() - used):
        log.warning("holdings record(s) for %r match no bibliographic record", link)


def bib_and_holdings(element: etree._Element) -> tuple[pymarc.Record, list[pymarc.Record]]:
    """One harvested MARCXML record: a <record>, or a <collection> of the bib and its MFHDs
    (how a partner sends serial holdings in one OAI-PMH record)."""
    if etree.QName(element).localname != "collection":
        records = [record_from_element(element)]
    else:
        records = [record_from_element(r) for r in element if isinstance(r.tag, str)]
    bibs = [r for r in records if not is_holdings_record(r)]
    if len(bibs) != 1:
        kinds = "only holdings records" if not bibs else f"{len(bibs)} bibliographic records"
        raise nz.MappingError(f"MARCXML holds {kinds}; expected one bib and its holdings")
    return bibs[0], [r for r in records if is_holdings_record(r)]


def _title(record: pymarc.Record, identifier: str) -> tuple[str, pymarc.Field | None]:
    field_245 = record.get("245")
    title = _text(field_245, "a") if field_245 is not None else ""
    title = title or _first(record, ("130", "240", "246", "210"), "a")
    if not title and field_245 is not None:
        title = _text(field_245, "knp")
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
    """Map one MARC21 bibliographic record, with its item fields and MFHDs, for one partner."""
    marc = _ByTag(marc)
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
    return Record(
        partner_id=partner.id,
        identifier=identifier,
        source_format="marc21",
        datestamp=datestamp,
        title=title,
        subtitle=_text(field_245, "b") if field_245 is not None else "",
        part=_text(field_245, "np", ", ") if field_245 is not None else "",
        responsibility=_text(field_245, "c") if field_245 is not None else "",
        contributors=_contributors(marc),
        subjects=_subjects(marc),
        classification=classification,
        isbns=nz.unique(nz.isbn13(v) for f in marc.get_fields("020") for v in f.get_subfields("a")),
        issns=nz.unique(nz.issn(v) for f in marc.get_fields("022") for v in f.get_subfields("a")),
        oclc_numbers=nz.unique(oclc),
        lccn=nz.lccn(_first(marc, ("010",), "a")),
        language=language,
        format=nz.format_from_marc(
            str(marc.leader), field_007, control_008, _first(marc, ("300",), "a")
        ),
        publisher=next(filter(None, (_publication_text(f, "b") for f in publication)), ""),
        place=next(filter(None, (_publication_text(f, "a") for f in publication)), ""),
        year=next(filter(None, years), None) or nz.year(control_008[7:11]),
        edition=_first(marc, ("250",), "ab"),
        physical_description=_first(marc, ("300",), "abcefg"),
        notes=nz.unique(_text(f, "abcdefghijklmnopqrstuvwxyz") for f in _notes(marc)),
        urls=nz.unique(u.strip() for f in marc.get_fields("856") for u in f.get_subfields("u")),
        vernacular=_vernacular(marc),
        holdings=_holdings(
            marc, partner, record_id, _call_number(classification), holdings_records
        ),
    )


def _notes(record: pymarc.Record) -> list[pymarc.Field]:
    return [f for f in record.fields if f.tag.startswith("5") and not f.tag.startswith("59")]
