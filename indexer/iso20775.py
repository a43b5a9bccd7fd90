"""ISO 20775 holdings (the standard holdings schema, as Alma and dp2 serve it over SRU and
OAI-PMH) → fedcat `Holding`s: one per copy, with its location, shelf mark and availability.

A partner sends them beside the bibliographic record in one OAI-PMH metadata element:

    <collection>
      <record xmlns="http://www.nlc.cn/">…CNMARC…</record>
      <holdings xmlns="http://www.loc.gov/standards/iso20775/">…</holdings>
    </collection>

(any MARC family, any wrapper name); `split_holdings` takes them out before the MARC mapping.
"""

from __future__ import annotations

from lxml import etree

from config.partners import Partner
from indexer import normalize as nz
from indexer.model import Holding

NAMESPACE = "http://www.loc.gov/standards/iso20775/"
_NS = f"{{{NAMESPACE}}}"
#: availableFor: 1 is a loan (2 and 3 are inter-library loan and copies); a copy's status
#: for a loan is the one patrons need.
_LOAN = "1"
#: availabilityStatus codes, as Alma fills them: BNU's copies with code 1 are the ones its
#: Alma AVA fields call available and its copiesSummary counts as available.
_STATUS_CODES = {"1": "available", "0": "on_loan", "2": "on_loan", "3": "unknown"}


def is_holdings(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and element.tag == f"{_NS}holdings"


def split_holdings(
    element: etree._Element,
) -> tuple[etree._Element, list[etree._Element]]:
    """A harvested metadata element without its ISO 20775 <holdings> children, and those.

    A wrapper left with one record becomes that record; anything else is returned whole."""
    children = [c for c in element if isinstance(c.tag, str)]
    holdings = [c for c in children if is_holdings(c)]
    if not holdings:
        return element, []
    rest = [c for c in children if not is_holdings(c)]
    if len(rest) == 1:
        return rest[0], holdings
    wrapper = etree.Element(element.tag)
    wrapper.extend(rest)
    return wrapper, holdings


def _text(element: etree._Element | None, path: str) -> str:
    """The text at `path` ('a/b', names in the ISO 20775 namespace), spaces cleaned."""
    if element is None:
        return ""
    found = element.findtext("/".join(_NS + name for name in path.split("/")))
    return nz.clean_space(found or "")


def _status(information: etree._Element | None) -> str:
    """A copy's status for a loan (else its first stated status), one of AVAILABILITY."""
    if information is None:
        return "unknown"
    statuses = information.findall(f"{_NS}status")
    loan = [s for s in statuses if _text(s, "availableFor") == _LOAN] or statuses
    for status in loan:
        code = _text(status, "availabilityStatus")
        if code:
            return _STATUS_CODES.get(code) or nz.item_status(code)
    return "unknown"


def _summary_status(holding: etree._Element) -> str:
    """The status copiesSummary gives: available when a copy is, on loan when none is."""
    summary = holding.find(f"{_NS}holdingSimple/{_NS}copiesSummary")
    if summary is None:
        return "unknown"
    loan = [s for s in summary.findall(f"{_NS}status") if _text(s, "availableFor") in ("", _LOAN)]
    counts = [_text(s, "availableCount") for s in loan]
    if any(c.isdigit() and int(c) > 0 for c in counts):
        return "available"
    if counts and all(c == "0" for c in counts):
        return "on_loan"
    return "unknown"


def iso20775_holdings(
    element: etree._Element, partner: Partner, record_id: str, call: str = ""
) -> list[Holding]:
    """Every copy an ISO 20775 <holdings> element describes, as a Holding.

    Simple holdings give one Holding per copyInformation; structured holdings (serial sets)
    one per component, its enumeration and chronology as the summary. A holding that lists
    no copies gives one Holding with the status its copiesSummary counts say."""
    found: list[Holding] = []
    for holding in element.iter(f"{_NS}holding"):
        place = _text(holding, "physicalLocation") or partner.location
        copies = [
            *holding.iterfind(f"{_NS}holdingSimple/{_NS}copyInformation"),
            *holding.iterfind(f"{_NS}holdingStructured/{_NS}set/{_NS}component"),
        ]
        for copy in copies:
            sublocation = _text(copy, "sublocation")
            found.append(
                Holding(
                    library_id=partner.id,
                    call_number=_text(copy, "shelfLocator") or call,
                    location=" ".join(nz.unique([place, sublocation])),
                    status=_status(copy.find(f"{_NS}availabilityInformation")),
                    catalog_url=partner.record_url(record_id),
                    summary=_text(copy, "enumerationAndChronology/text"),
                )
            )
        if not copies:
            found.append(
                Holding(
                    library_id=partner.id,
                    call_number=_text(holding, "shelfLocator") or call,
                    location=place,
                    status=_summary_status(holding),
                    catalog_url=partner.record_url(record_id),
                )
            )
    return found
