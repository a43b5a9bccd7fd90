"""ISO 18626 XML -> messages, for untrusted bodies; `codec.decode` is the entry point.

The order of checks gives a peer the most useful error type: size and well-formedness
(BadlyFormedMessage), the root, namespace and version, then an element the message does not
have (UnrecognisedDataElement), then the schema, where a value outside a closed list is
UnrecognisedDataValue (UnsupportedActionType / UnsupportedReasonForMessageType for an action
or reasonForMessage) and anything else it forbids BadlyFormedMessage. Only a message the schema
accepts is read into dataclasses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

from lxml import etree

from iso18626.errors import MessageError
from iso18626.messages import (
    NS,
    VERSION,
    AgencyId,
    Authentication,
    BibliographicInfo,
    Confirmation,
    ConfirmationKind,
    DeliveryInfo,
    ErrorData,
    Header,
    Message,
    MessageInfo,
    MessageStatus,
    PublicationInfo,
    Request,
    RequestedDeliveryInfo,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    RequestType,
    ServiceInfo,
    ServiceType,
    StatusInfo,
    SupplyingAgencyMessage,
)
from iso18626.schema import XSD_PATH, safe_parser, schema_errors

BAD = "BadlyFormedMessage"
NO_DOCTYPE = "a DOCTYPE is not allowed in an ISO 18626 message"
_DOCTYPE_MARKS = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
KINDS: dict[str, ConfirmationKind] = {
    "request": "request",
    "requestConfirmation": "request",
    "supplyingAgencyMessage": "supplyingAgencyMessage",
    "supplyingAgencyMessageConfirmation": "supplyingAgencyMessage",
    "requestingAgencyMessage": "requestingAgencyMessage",
    "requestingAgencyMessageConfirmation": "requestingAgencyMessage",
}
#: request children fedcat does not keep; patronInfo above all (no remote patron data)
_DROPPED = ("supplierInfo", "patronInfo", "billingInfo")
_XS = "{http://www.w3.org/2001/XMLSchema}"
_DATETIME = re.compile(
    r"(-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$",
)
_ENUM_ERROR = re.compile(
    r"Element '(?:\{[^}]*\})?(\w+)': \[facet 'enumeration'\] The value '(.*?)'"
)
_SPECIFIC = {
    "action": "UnsupportedActionType",
    "reasonForMessage": "UnsupportedReasonForMessageType",
}


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children_by_element() -> dict[str, frozenset[str]]:
    """Every element name of the schema -> the child element names it may have."""
    xsd = etree.parse(str(XSD_PATH), safe_parser()).getroot()
    named_types = {t.get("name"): t for t in xsd.iter(f"{_XS}complexType") if t.get("name")}
    allowed: dict[str, set[str]] = {}
    for element in xsd.iter(f"{_XS}element"):
        name = element.get("name")
        if name is None:
            continue
        type_name = (element.get("type") or "").split(":")[-1]
        content = named_types.get(type_name, element.find(f"{_XS}complexType"))
        children = allowed.setdefault(name, set())
        if content is not None:
            for child in content.iter(f"{_XS}element"):
                children.add(child.get("name") or child.get("ref") or "")
    return {name: frozenset(children) for name, children in allowed.items()}


_ALLOWED = _children_by_element()


def parse_datetime(text: str) -> datetime:
    """xs:dateTime -> aware datetime; no timezone is taken as UTC, fractions past µs dropped."""
    match = _DATETIME.match(text.strip())
    if match is None:
        raise ValueError(f"not an xs:dateTime: {text!r}")
    whole, fraction, zone = match.groups()
    moment = datetime.fromisoformat(whole)
    if fraction:
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    if zone in (None, "Z"):
        return moment.replace(tzinfo=UTC)
    sign = -1 if zone[0] == "-" else 1
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment.replace(tzinfo=timezone(sign * offset))


class _Node:
    """Read access to a validated element by child local names."""

    def __init__(self, element: etree._Element | None) -> None:
        self.element = element

    def child(self, name: str) -> _Node:
        if self.element is None:
            return _Node(None)
        return _Node(self.element.find(f"{{{NS}}}{name}"))

    def children(self, name: str) -> list[_Node]:
        if self.element is None:
            return []
        return [_Node(e) for e in self.element.findall(f"{{{NS}}}{name}")]

    @property
    def present(self) -> bool:
        return self.element is not None

    def text(self, name: str) -> str:
        found = self.child(name).element
        return (found.text or "").strip() if found is not None else ""

    def raw_text(self, name: str) -> str:
        """Free text (notes) as sent, surrounding blanks included."""
        found = self.child(name).element
        return (found.text or "") if found is not None else ""

    def moment(self, name: str) -> datetime | None:
        text = self.text(name)
        return parse_datetime(text) if text else None

    def agency(self, name: str) -> AgencyId | None:
        node = self.child(name)
        type_, value = node.text("agencyIdType"), node.text("agencyIdValue")
        return AgencyId(type_, value) if type_ or value else None


# -- the checks before reading -------------------------------------------------------------


def _parse(body: bytes, max_bytes: int) -> etree._Element:
    if len(body) > max_bytes:
        raise MessageError(BAD, f"the message is larger than {max_bytes} bytes")
    if any(mark in body for mark in _DOCTYPE_MARKS):  # refused before the parser sees it
        raise MessageError(BAD, NO_DOCTYPE)
    try:
        root = etree.fromstring(body, safe_parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        raise MessageError(BAD, f"not well-formed XML: {error}") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise MessageError(BAD, NO_DOCTYPE)
    return root


def _check_root(root: etree._Element) -> etree._Element:
    """The root and its namespace; returns the message element inside."""
    name = etree.QName(root)
    if name.localname != "ISO18626Message":
        raise MessageError(BAD, f"the root element is {name.localname}, not ISO18626Message")
    if name.namespace != NS:
        raise MessageError(BAD, f"ISO18626Message is not in the namespace {NS}")
    messages = [child for child in root if isinstance(child.tag, str)]
    if not messages:
        raise MessageError(BAD, "ISO18626Message holds no message")
    return messages[0]


def _check_version(root: etree._Element, partial: dict[str, Any]) -> None:
    # the schema wants ill:version; some peers send a plain version="1.2", taken as the same
    version = root.get(f"{{{NS}}}version", root.get("version"))
    if version is None:
        raise MessageError(BAD, "ISO18626Message has no version attribute", **partial)
    if version.strip() != VERSION:
        error_value = f"version {version!r}: fedcat speaks ISO 18626 version {VERSION}"
        raise MessageError("UnrecognisedDataValue", error_value, **partial)


def _partial(message: etree._Element) -> dict[str, Any]:
    """The header fields that can be read from a message that may not be valid."""
    kind = KINDS.get(_local(message)) if etree.QName(message).namespace == NS else None
    node = _Node(message)
    header = (
        node.child("header") if node.child("header").present else node.child("confirmationHeader")
    )
    try:
        timestamp = header.moment("timestamp")
    except ValueError:
        timestamp = None
    fields: dict[str, Any] = {
        "kind": kind,
        "supplying_agency": header.agency("supplyingAgencyId"),
        "requesting_agency": header.agency("requestingAgencyId"),
        "requesting_agency_request_id": header.text("requestingAgencyRequestId"),
        "multiple_item_request_id": header.text("multipleItemRequestId"),
        "timestamp": timestamp,
    }
    reason = node.child("messageInfo").text("reasonForMessage") or node.text("reasonForMessage")
    fields["reason_for_message"] = reason
    fields["action"] = node.text("action")
    return fields


def _check_elements(message: etree._Element, partial: dict[str, Any]) -> None:
    if _local(message) not in KINDS or etree.QName(message).namespace != NS:
        raise MessageError("UnrecognisedDataElement", f"no ISO 18626 message {message.tag}")
    for element in message.iter():
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        name = etree.QName(element)
        assert parent is not None
        if name.namespace != NS or name.localname not in _ALLOWED.get(_local(parent), ()):
            where = f"{_local(parent)}/{name.localname}"
            raise MessageError("UnrecognisedDataElement", where, **partial)


def _check_schema(root: etree._Element, partial: dict[str, Any]) -> None:
    for attribute in ("version", "scheme"):  # unqualified attributes: see _check_root
        for element in root.iter():
            if isinstance(element.tag, str) and attribute in element.attrib:
                value = element.attrib.pop(attribute)
                element.set(f"{{{NS}}}{attribute}", element.get(f"{{{NS}}}{attribute}", value))
    errors = schema_errors(root)
    if not errors:
        return
    for entry in errors:
        match = _ENUM_ERROR.search(entry.message)
        if match:
            element, value = match.groups()
            value = value if len(value) <= 80 else value[:80] + "..."
            error_type = _SPECIFIC.get(element, "UnrecognisedDataValue")
            raise MessageError(error_type, f"{element}: {value!r} is not in the list", **partial)
    first = errors[0]
    raise MessageError(BAD, f"line {first.line}: {first.message}", **partial)


# -- reading a valid message ---------------------------------------------------------------


def _header(node: _Node) -> Header:
    auth = node.child("requestingAgencyAuthentication")
    requesting = node.agency("requestingAgencyId")
    assert requesting is not None  # the schema requires it; empty values give AgencyId("", "")
    moment = node.moment("timestamp")
    assert moment is not None
    return Header(
        supplying_agency=node.agency("supplyingAgencyId"),
        requesting_agency=requesting,
        timestamp=moment,
        requesting_agency_request_id=node.text("requestingAgencyRequestId"),
        supplying_agency_request_id=node.text("supplyingAgencyRequestId"),
        multiple_item_request_id=node.text("multipleItemRequestId"),
        authentication=(
            Authentication(auth.text("accountId"), auth.text("securityCode"))
            if auth.present
            else None
        ),
    )


def _bibliographic(node: _Node) -> BibliographicInfo:
    return BibliographicInfo(
        supplier_unique_record_id=node.text("supplierUniqueRecordId"),
        title=node.text("title"),
        author=node.text("author"),
        subtitle=node.text("subtitle"),
        edition=node.text("edition"),
        title_of_component=node.text("titleOfComponent"),
        author_of_component=node.text("authorOfComponent"),
        volume=node.text("volume"),
        issue=node.text("issue"),
        pages_requested=node.text("pagesRequested"),
        item_ids=tuple(
            (item.text("bibliographicItemIdentifierCode"), item.text("bibliographicItemIdentifier"))
            for item in node.children("bibliographicItemId")
        ),
    )


def _email(addresses: list[_Node]) -> str:
    for address in addresses:
        electronic = address.child("electronicAddress")
        if electronic.present and electronic.text("electronicAddressType").lower() == "email":
            return electronic.text("electronicAddressData")
    return ""


def _requested_delivery(nodes: list[_Node]) -> RequestedDeliveryInfo | None:
    """All requestedDeliveryInfo into one: the first physical address and the first e-mail."""
    if not nodes:
        return None
    addresses = [node.child("address") for node in nodes]
    physical = next(
        (a.child("physicalAddress") for a in addresses if a.child("physicalAddress").present),
        _Node(None),
    )
    return RequestedDeliveryInfo(
        line1=physical.text("line1"),
        locality=physical.text("locality"),
        postal_code=physical.text("postalCode"),
        country=physical.text("country"),
        email=_email(addresses),
    )


def _request(node: _Node) -> Request:
    service = node.child("serviceInfo")
    publication = node.child("publicationInfo")
    agency_info = node.child("requestingAgencyInfo")
    return Request(
        header=_header(node.child("header")),
        bibliographic_info=_bibliographic(node.child("bibliographicInfo")),
        # serviceInfo is optional in the schema; without it the peer asks for a loan
        service_info=ServiceInfo(
            service_type=cast(ServiceType, service.text("serviceType") or "Loan"),
            request_type=cast(RequestType | None, service.text("requestType") or None),
            need_before_date=service.moment("needBeforeDate"),
            note=service.raw_text("note"),
        ),
        publication_info=(
            PublicationInfo(
                publisher=publication.text("publisher"),
                publication_date=publication.text("publicationDate"),
                place_of_publication=publication.text("placeOfPublication"),
            )
            if publication.present
            else None
        ),
        requested_delivery_info=_requested_delivery(node.children("requestedDeliveryInfo")),
        requesting_agency_info=(
            RequestingAgencyInfo(
                name=agency_info.text("name"),
                contact_name=agency_info.text("contactName"),
                email=_email(agency_info.children("address")),
            )
            if agency_info.present
            else None
        ),
        dropped=tuple(name for name in _DROPPED if node.child(name).present),
    )


def _supplying(node: _Node) -> SupplyingAgencyMessage:
    info, status, delivery = (node.child(n) for n in ("messageInfo", "statusInfo", "deliveryInfo"))
    answer = info.text("answerYesNo")
    last_change = status.moment("lastChange")
    date_sent = delivery.moment("dateSent")
    assert last_change is not None
    return SupplyingAgencyMessage(
        header=_header(node.child("header")),
        message_info=MessageInfo(
            reason_for_message=info.text("reasonForMessage"),
            answer_yes_no={"Y": True, "N": False}.get(answer),
            note=info.raw_text("note"),
            reason_unfilled=info.text("reasonUnfilled"),
            reason_retry=info.text("reasonRetry"),
            retry_after=info.moment("retryAfter"),
            retry_before=info.moment("retryBefore"),
        ),
        status_info=StatusInfo(
            status=status.text("status"),
            last_change=last_change,
            expected_delivery_date=status.moment("expectedDeliveryDate"),
            due_date=status.moment("dueDate"),
        ),
        delivery_info=(
            DeliveryInfo(
                date_sent=date_sent,
                item_id=delivery.text("itemId"),
                sent_via=delivery.text("sentVia"),
                loan_condition=delivery.text("loanCondition"),
            )
            if date_sent is not None
            else None
        ),
    )


def _requesting(node: _Node) -> RequestingAgencyMessage:
    return RequestingAgencyMessage(
        header=_header(node.child("header")),
        action=node.text("action"),
        note=node.raw_text("note"),
    )


def _confirmation(node: _Node) -> Confirmation:
    header = node.child("confirmationHeader")
    timestamp, received = header.moment("timestamp"), header.moment("timestampReceived")
    assert timestamp is not None and received is not None
    return Confirmation(
        kind=KINDS[_local(node.element)],
        supplying_agency=header.agency("supplyingAgencyId"),
        requesting_agency=header.agency("requestingAgencyId"),
        timestamp=timestamp,
        requesting_agency_request_id=header.text("requestingAgencyRequestId"),
        timestamp_received=received,
        message_status=cast(MessageStatus, header.text("messageStatus")),
        errors=tuple(
            ErrorData(error.text("errorType"), error.raw_text("errorValue"))
            for error in node.children("errorData")
        ),
        reason_for_message=node.text("reasonForMessage"),
        action=node.text("action"),
        multiple_item_request_id=header.text("multipleItemRequestId"),
    )


_READERS: dict[str, Callable[[_Node], Message]] = {
    "request": _request,
    "supplyingAgencyMessage": _supplying,
    "requestingAgencyMessage": _requesting,
    "requestConfirmation": _confirmation,
    "supplyingAgencyMessageConfirmation": _confirmation,
    "requestingAgencyMessageConfirmation": _confirmation,
}


def _statusless_notification(message: etree._Element) -> etree._Element | None:
    """Some systems send a Notification with an empty (or no) status, which the schema
    forbids; it changes nothing, so it is read (status "") rather than refused. Returns the
    status element the schema check must see filled, else None."""
    if _local(message) != "supplyingAgencyMessage":
        return None
    reason = message.find(f"{{{NS}}}messageInfo/{{{NS}}}reasonForMessage")
    status_info = message.find(f"{{{NS}}}statusInfo")
    if reason is None or (reason.text or "").strip() != "Notification" or status_info is None:
        return None
    status = status_info.find(f"{{{NS}}}status")
    if status is None:
        status = etree.Element(f"{{{NS}}}status")
        status_info.insert(0, status)
    return status if not (status.text or "").strip() else None


def read(body: bytes, max_bytes: int) -> Message:
    root = _parse(body, max_bytes)
    message = _check_root(root)
    partial = _partial(message)
    _check_version(root, partial)
    _check_elements(message, partial)
    empty_status = _statusless_notification(message)
    if empty_status is not None:
        empty_status.text = "RequestReceived"  # any listed status, for the schema check only
    _check_schema(root, partial)
    if empty_status is not None:
        empty_status.text = ""
    try:
        return _READERS[_local(message)](_Node(message))
    except ValueError as error:  # a date the schema took but Python cannot hold (year 0, 24:00)
        raise MessageError(BAD, str(error), **partial) from None
