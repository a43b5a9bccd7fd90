"""Reading MARC from what partners hand us: binary MARC (UTF-8 or MARC-8) and MARCXML files
(MARC 21, UNIMARC and CNMARC, also inside SRU responses),
Evergreen SQL dumps, and MARCXML elements from OAI-PMH. Everything comes out as pymarc.Record,
so binary and XML records take the same path through the mapping.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pymarc
from lxml import etree

from indexer import marc8

log = logging.getLogger(__name__)

_PARSER = dict(resolve_entities=False, no_network=True, huge_tree=False)
#: MARC-family XML record namespaces: MARC 21 slim, MarcXchange (ISO 25577), the CNMARC and
#: UNIMARC ones of the SRU schemas, and KORMARC's. Whether a record is UNIMARC is told from its
#: fields later (indexer.unimarc.is_unimarc), not from the namespace: BNU serves the same
#: CNMARC records under all three.
MARC_NAMESPACES = (
    "http://www.loc.gov/MARC21/slim",
    "info:lc/xmlns/marcxchange-v1",
    "info:lc/xmlns/marcxchange-v2",
    "http://www.nlc.cn/",
    "info:srw/schema/8/unimarcxml-v0.1",
    "http://www.nl.go.kr/kormarc/",
)
_RECORD_TAGS = (*(f"{{{ns}}}record" for ns in MARC_NAMESPACES), "record")
_BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark, as Windows tools (and dp2's SRU samples) write
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
            fields.append(
                pymarc.Field(child.get("tag", ""), pymarc.Indicators(*indicators), subfields)
            )
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
    """Each record of an ISO 2709 file; one pymarc cannot read, or whose MARC-8 it cannot
    decode (`indexer.marc8`), is skipped with a warning that names it and says why."""
    for number, chunk in enumerate(_binary_chunks(path.read_bytes()), 1):
        try:
            decoded = marc8.decode(chunk, utf8=_looks_utf8(chunk))
        except Exception as exc:  # pymarc raises many types for broken records
            log.warning("%s: skipped record #%d: %s", path, number, exc or type(exc).__name__)
            continue
        name = _record_name(decoded.record, number)
        if decoded.undecodable:
            log.warning(
                "%s: skipped %s: MARC-8 that cannot be decoded (%s)",
                path,
                name,
                "; ".join(decoded.undecodable[:3]),
            )
            continue
        for repair in decoded.repairs:
            log.warning("%s: repaired %s: %s", path, name, repair)
        yield decoded.record


def _record_name(record: pymarc.Record, number: int) -> str:
    control = record.get("001")
    own = (control.data or "").strip() if control is not None else ""
    return f"record #{number} ({own})" if own else f"record #{number}"


def _xml_records(path: Path) -> Iterator[pymarc.Record]:
    """Records of a MARCXML file, with or without a <collection> root (some are bare lists)."""
    parser = etree.XMLPullParser(events=("end",), tag=_RECORD_TAGS, **_PARSER)
    parser.feed(b"<fedcat-file>")
    with path.open("rb") as fh:
        head = fh.read(65536).removeprefix(_BOM).lstrip()
        if head.startswith(b"<?xml"):
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
        is_xml = fh.read(4).removeprefix(_BOM)[:1] == b"<" or path.suffix.lower() == ".xml"
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
