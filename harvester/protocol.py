"""OAI-PMH 2.0 on the wire: the requests the harvester makes and reading the answers.

Responses are parsed with a parser that resolves no entities, reads nothing from the network
and refuses huge trees; a response that declares a DTD is refused outright (OAI-PMH responses
never need one, and it is how XXE and entity bombs arrive). A malformed page is first
repaired (stray control characters, bare ampersands), then salvaged with lxml's recovering
parser if it is otherwise complete; what was repaired is reported with the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from harvester.errors import (
    BadResumptionToken,
    MalformedResponse,
    OAIProtocolError,
    RefusedResponse,
)
from harvester.sink import HarvestedRecord

OAI = "{http://www.openarchives.org/OAI/2.0/}"
LIST_VERBS = ("ListRecords", "ListIdentifiers")

_SAFE = dict(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
_STRICT = etree.XMLParser(**_SAFE)
_RECOVER = etree.XMLParser(recover=True, **_SAFE)
_CONTROL_CHARS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
_CLOSED = re.compile(rb"</(?:[\w.-]+:)?OAI-PMH>\s*$")


@dataclass
class Page:
    """One answer to ListRecords: its records, where the list continues, what was wrong."""

    records: list[HarvestedRecord]
    resumption_token: str | None  # None: the list is complete
    complete_list_size: int | None = None
    cursor: int | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Identity:
    """What Identify says about a repository."""

    repository_name: str
    base_url: str
    granularity: str
    earliest_datestamp: str
    deleted_record: str

    @property
    def day_granularity(self) -> bool:
        return self.granularity == "YYYY-MM-DD"


def list_request(
    prefix: str, set_spec: str = "", from_date: str | None = None, until: str | None = None
) -> dict[str, str]:
    """Arguments of the first ListRecords request of a harvest."""
    args = {"verb": "ListRecords", "metadataPrefix": prefix}
    if set_spec:
        args["set"] = set_spec
    if from_date:
        args["from"] = from_date
    if until:
        args["until"] = until
    return args


def resume_request(token: str) -> dict[str, str]:
    return {"verb": "ListRecords", "resumptionToken": token}


def parse_xml(body: bytes, partner_id: str, *, salvage: bool) -> tuple[etree._Element, list[str]]:
    """The response's root element and notes on repairs; raises MalformedResponse."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise RefusedResponse(
            partner_id, "refused a response declaring a DTD or entities (XXE / entity expansion)"
        )
    try:
        return etree.fromstring(body, _STRICT), []
    except etree.XMLSyntaxError as exc:
        if not salvage:
            raise MalformedResponse(partner_id, f"malformed XML: {exc}") from None
        first_error = str(exc)
    repaired = _BARE_AMPERSAND.sub(b"&amp;", _CONTROL_CHARS.sub(b"", body))
    try:
        return etree.fromstring(repaired, _STRICT), [f"repaired malformed XML ({first_error})"]
    except etree.XMLSyntaxError:
        pass
    if not _CLOSED.search(body):
        raise MalformedResponse(partner_id, f"truncated response ({first_error})")
    root = etree.fromstring(repaired, _RECOVER)
    if root is None:
        raise MalformedResponse(partner_id, f"unreadable response ({first_error})")
    return root, [f"salvaged what was readable from malformed XML ({first_error})"]


def raise_for_error(root: etree._Element, partner_id: str) -> str | None:
    """Raise the OAI-PMH error the response carries; returns "noRecordsMatch" (not an error
    for a harvester) or None."""
    if root.tag != f"{OAI}OAI-PMH":
        raise MalformedResponse(partner_id, f"not an OAI-PMH response (root {root.tag!r})")
    error = root.find(f"{OAI}error")
    if error is None:
        return None
    code, message = error.get("code", "unknown"), (error.text or "").strip()
    if code == "noRecordsMatch":
        return code
    if code == "badResumptionToken":
        raise BadResumptionToken(partner_id, code, message)
    raise OAIProtocolError(partner_id, code, message)


def _text(element: etree._Element | None, path: str) -> str:
    found = None if element is None else element.findtext(path)
    return (found or "").strip()


def parse_record(element: etree._Element) -> HarvestedRecord:
    """One <record>; raises ValueError when it lacks what a harvester needs."""
    header = element.find(f"{OAI}header")
    identifier = _text(header, f"{OAI}identifier")
    datestamp = _text(header, f"{OAI}datestamp")
    if not identifier or not datestamp:
        raise ValueError("record without identifier or datestamp")
    deleted = header.get("status") == "deleted"
    metadata = None
    if not deleted:
        container = element.find(f"{OAI}metadata")
        children = [] if container is None else [c for c in container if isinstance(c.tag, str)]
        if not children:
            raise ValueError(f"record {identifier} has no metadata")
        metadata = children[0]
    sets = [s.text.strip() for s in header.findall(f"{OAI}setSpec") if s.text]
    return HarvestedRecord(identifier, datestamp, deleted, metadata, sets)


def parse_list_page(body: bytes, partner_id: str, *, salvage: bool = False) -> Page:
    """A ListRecords answer; noRecordsMatch is an empty, complete page."""
    root, problems = parse_xml(body, partner_id, salvage=salvage)
    if raise_for_error(root, partner_id) == "noRecordsMatch":
        return Page([], None)
    container = root.find(f"{OAI}ListRecords")
    if container is None:
        raise MalformedResponse(partner_id, "ListRecords answer without <ListRecords>")
    records = []
    for element in container.findall(f"{OAI}record"):
        try:
            records.append(parse_record(element))
        except ValueError as exc:
            problems.append(f"skipped a record: {exc}")
    token = container.find(f"{OAI}resumptionToken")
    if token is None:
        return Page(records, None, problems=problems)
    size, cursor = token.get("completeListSize"), token.get("cursor")
    return Page(
        records,
        (token.text or "").strip() or None,
        int(size) if size and size.isdigit() else None,
        int(cursor) if cursor and cursor.isdigit() else None,
        problems,
    )


def parse_identify(body: bytes, partner_id: str) -> Identity:
    root, _ = parse_xml(body, partner_id, salvage=False)
    raise_for_error(root, partner_id)
    identify = root.find(f"{OAI}Identify")
    if identify is None:
        raise MalformedResponse(partner_id, "Identify answer without <Identify>")
    return Identity(
        _text(identify, f"{OAI}repositoryName"),
        _text(identify, f"{OAI}baseURL"),
        _text(identify, f"{OAI}granularity") or "YYYY-MM-DD",
        _text(identify, f"{OAI}earliestDatestamp"),
        _text(identify, f"{OAI}deletedRecord"),
    )


def parse_metadata_formats(body: bytes, partner_id: str) -> list[str]:
    root, _ = parse_xml(body, partner_id, salvage=False)
    raise_for_error(root, partner_id)
    return [p.text.strip() for p in root.iter(f"{OAI}metadataPrefix") if p.text]


@dataclass
class SetList:
    """One answer to ListSets: (setSpec, setName) pairs, and where the list continues."""

    sets: list[tuple[str, str]]
    resumption_token: str | None = None  # None: the list is complete


def sets_request(token: str | None = None) -> dict[str, str]:
    return {"verb": "ListSets", "resumptionToken": token} if token else {"verb": "ListSets"}


def parse_sets(body: bytes, partner_id: str) -> SetList:
    """A ListSets answer; a repository without sets (noSetHierarchy) has none."""
    root, _ = parse_xml(body, partner_id, salvage=False)
    try:
        raise_for_error(root, partner_id)
    except OAIProtocolError as exc:
        if exc.code == "noSetHierarchy":
            return SetList([])
        raise
    container = root.find(f"{OAI}ListSets")
    if container is None:
        raise MalformedResponse(partner_id, "ListSets answer without <ListSets>")
    sets = [
        (_text(s, f"{OAI}setSpec"), _text(s, f"{OAI}setName"))
        for s in container.findall(f"{OAI}set")
    ]
    return SetList(sets, _text(container, f"{OAI}resumptionToken") or None)
