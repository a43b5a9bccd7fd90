"""MARC holdings: the item fields of a bibliographic record (852, SirsiDynix 949/999, Koha
952) and MARC holdings records (MFHD), as `Holding`s; and pairing bibs with their MFHDs,
in files or in one harvested MARCXML <collection>.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence

import pymarc
from lxml import etree

from config.partners import Partner
from indexer import normalize as nz
from indexer.marc_fields import field_text
from indexer.marc_tree import tree_record
from indexer.model import Holding

log = logging.getLogger(__name__)

# -- item fields of a bibliographic record ------------------------------------------------


def _holding_852(field: pymarc.Field) -> tuple[str, str, str]:
    flags = {v.strip().casefold() for v in field.get_subfields("x")}
    loanable = False if flags & {"reference", "noncirculating", "non-circulating"} else None
    status = nz.item_status(" ".join(field.get_subfields("z")), loanable)
    location = " ".join(nz.unique(v.strip() for v in field.get_subfields("b", "c")))
    return field_text(field, "khijm"), location, status


def _holding_sirsi(field: pymarc.Field) -> tuple[str, str, str]:
    """SirsiDynix item fields (949/999): $a call number, $l location, $k current, $r circ."""
    circulates = {"y": True, "n": False}.get((field.get("r") or "").strip().casefold())
    status = nz.item_status(field.get("k") or "", circulates)
    return field_text(field, "a"), (field.get("l") or field.get("m") or "").strip(), status


def _koha_flag(field: pymarc.Field, code: str) -> bool:
    """Koha item flags are numbers: '' and '0' mean no, anything else (1, 2, -1) yes."""
    return (field.get(code) or "").strip() not in ("", "0")


def koha_due_date(value: str) -> str:
    """952 $q as an ISO date: Koha writes 'yyyy-mm-dd' (or with a time after it); anything
    else is not a date a patron can be shown."""
    match = _ISO_DATE.match(value.strip())
    return match.group() if match else ""


_ISO_DATE = re.compile(r"\d{4}-[01]\d-[0-3]\d(?!\d)")


def _holding_koha(field: pymarc.Field) -> tuple[str, str, str, str] | None:
    """Koha items (952). A withdrawn copy ($0) is no longer held: left out. A lost copy ($1)
    is 'unknown', as lost items from every ILS are (nz.item_status). Then a due date ($q)
    means on loan, a not-for-loan code ($7, negative = on order) or a reference item type
    ($y) means not loanable, and otherwise the copy is on the shelf. Barcodes ($p) are not kept;
    the due date is, for the patron's "on loan, due back ...".
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
    due_date = koha_due_date(field.get("q") or "") if status == "on_loan" else ""
    return field_text(field, "o"), location, status, due_date


def _holding_alma(field: pymarc.Field) -> tuple[str, str, str]:
    """Alma's availability field (AVA), published with each bib whatever its format: $d call
    number, $q library and $c location, $e 'available', 'unavailable' or 'check_holdings'."""
    status = _ALMA_STATUS.get((field.get("e") or "").strip().casefold(), "unknown")
    location = " ".join(nz.unique((field.get(code) or "").strip() for code in "qc"))
    return field_text(field, "d"), location, status


_ALMA_STATUS = {"available": "available", "unavailable": "on_loan"}
_HOLDING_FIELDS = {
    "852": _holding_852,
    "949": _holding_sirsi,
    "999": _holding_sirsi,
    "952": _holding_koha,
    "AVA": _holding_alma,
}
#: The item fields of the UNIMARC family: 852, 949 and 999 mean other things there.
UNIMARC_ITEM_FIELDS = ("AVA",)


def holdings_of(
    record: pymarc.Record,
    partner: Partner,
    record_id: str,
    call: str,
    holdings_records: Sequence[pymarc.Record] = (),
    item_fields: Sequence[str] = tuple(_HOLDING_FIELDS),
) -> list[Holding]:
    """A bib's holdings: its item fields (`item_fields`), then its MFHDs; the partner's
    default holding (its location, the bib's call number `call`) when it states none."""
    holdings = []
    for field in record.get_fields(*item_fields):
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
    enumeration: list[str] = []
    chronology: list[str] = []
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
        prefix + field_text(field, "az", " ")
        for tag, prefix in _TEXTUAL_HOLDINGS.items()
        for field in mfhd.get_fields(tag)
        if field_text(field, "a")
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
    item: tuple[str, ...], partner: Partner, record_id: str, call: str, summary: str = ""
) -> Holding:
    """A holding from an item field's (call number, location, status), with the partner's
    defaults for what the field leaves out."""
    call_number, location, status, *due = item
    return Holding(
        library_id=partner.id,
        call_number=call_number or call,
        location=location or partner.location,
        status=status,
        catalog_url=partner.record_url(record_id),
        summary=summary,
        due_date=due[0] if due else "",
    )


def _bib_ids(bib: pymarc.Record) -> set[str]:
    """Ids an MFHD may point at: 001, Evergreen's TCN (901 $a), and 035 numbers."""
    ids = {(f.data or "").strip() for f in bib.get_fields("001")}
    ids |= {v.strip() for f in bib.get_fields("901") for v in f.get_subfields("a")}
    ids |= {v.split(")")[-1].strip() for f in bib.get_fields("035") for v in f.get_subfields("a")}
    return ids - {""}


def _holdings_link(mfhd: pymarc.Record) -> str:
    """The bib an MFHD belongs to: 004, or (legacy exports such as the Sirsi→Evergreen
    serials sample) its first 001, which repeats the bib's id."""
    for tag in ("004", "001"):
        field = mfhd.get(tag)
        link = (field.data or "").strip() if field is not None else ""
        if link:
            return link
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
        records = [tree_record(element)]
    else:
        records = [tree_record(r) for r in element if isinstance(r.tag, str)]
    bibs = [r for r in records if not is_holdings_record(r)]
    if len(bibs) != 1:
        kinds = "only holdings records" if not bibs else f"{len(bibs)} bibliographic records"
        raise nz.MappingError(f"MARCXML holds {kinds}; expected one bib and its holdings")
    return bibs[0], [r for r in records if is_holdings_record(r)]
