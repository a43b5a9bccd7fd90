"""Messages -> ISO 18626 XML, in the schema's element order; `codec.encode` is the entry point.

Optional elements with no value are left out; the header's required elements are always
written (an unknown supplying agency as empty agencyIdType/agencyIdValue, as ReShare does).
Attributes are in the ISO namespace (`ill:version`, `ill:scheme`) because the schema says
``attributeFormDefault="qualified"``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from iso18626.messages import (
    NS,
    VERSION,
    AgencyId,
    BibliographicInfo,
    Confirmation,
    DeliveryInfo,
    Header,
    Message,
    MessageInfo,
    PublicationInfo,
    Request,
    RequestedDeliveryInfo,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    ServiceInfo,
    StatusInfo,
    SupplyingAgencyMessage,
)

NSMAP = {None: NS, "ill": NS}


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def xs_datetime(moment: datetime) -> str:
    """xs:dateTime with a timezone; a naive datetime is taken as UTC (how fedcat stores time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    if text is not None:
        element.text = text
    return element


def _opt(parent: etree._Element, name: str, value: str | datetime | None) -> None:
    """An optional element: written only when it has a value."""
    if isinstance(value, datetime):
        _add(parent, name, xs_datetime(value))
    elif value:
        _add(parent, name, value)


def _agency(parent: etree._Element, name: str, agency: AgencyId | None) -> None:
    element = _add(parent, name)
    _add(element, "agencyIdType", agency.type if agency else "")
    _add(element, "agencyIdValue", agency.value if agency else "")


def _header(parent: etree._Element, header: Header) -> None:
    element = _add(parent, "header")
    _agency(element, "supplyingAgencyId", header.supplying_agency)
    _agency(element, "requestingAgencyId", header.requesting_agency)
    _add(element, "multipleItemRequestId", header.multiple_item_request_id)
    _add(element, "timestamp", xs_datetime(header.timestamp))
    _add(element, "requestingAgencyRequestId", header.requesting_agency_request_id)
    _opt(element, "supplyingAgencyRequestId", header.supplying_agency_request_id)
    if header.authentication is not None:
        auth = _add(element, "requestingAgencyAuthentication")
        _opt(auth, "accountId", header.authentication.account_id)
        _opt(auth, "securityCode", header.authentication.security_code)


def _bibliographic(parent: etree._Element, info: BibliographicInfo) -> None:
    element = _add(parent, "bibliographicInfo")
    _opt(element, "supplierUniqueRecordId", info.supplier_unique_record_id)
    _opt(element, "title", info.title)
    _opt(element, "author", info.author)
    _opt(element, "subtitle", info.subtitle)
    _opt(element, "edition", info.edition)
    _opt(element, "titleOfComponent", info.title_of_component)
    _opt(element, "authorOfComponent", info.author_of_component)
    _opt(element, "volume", info.volume)
    _opt(element, "issue", info.issue)
    _opt(element, "pagesRequested", info.pages_requested)
    for code, value in info.item_ids:
        item = _add(element, "bibliographicItemId")
        _add(item, "bibliographicItemIdentifier", value)
        _add(item, "bibliographicItemIdentifierCode", code)


def _publication(parent: etree._Element, info: PublicationInfo) -> None:
    element = _add(parent, "publicationInfo")
    _opt(element, "publisher", info.publisher)
    _opt(element, "publicationDate", info.publication_date)
    _opt(element, "placeOfPublication", info.place_of_publication)


def _service(parent: etree._Element, info: ServiceInfo) -> None:
    element = _add(parent, "serviceInfo")
    _opt(element, "requestType", info.request_type)
    _add(element, "serviceType", info.service_type)
    _opt(element, "needBeforeDate", info.need_before_date)
    _opt(element, "note", info.note)


def _email_address(parent: etree._Element, email: str) -> None:
    electronic = _add(_add(parent, "address"), "electronicAddress")
    _add(electronic, "electronicAddressType", "email")
    _add(electronic, "electronicAddressData", email)


def _delivery(parent: etree._Element, info: RequestedDeliveryInfo) -> None:
    """One requestedDeliveryInfo per address (the schema gives each one address)."""
    order = 1
    if info.line1 or info.locality or info.postal_code or info.country:
        element = _add(parent, "requestedDeliveryInfo")
        _add(element, "sortOrder", str(order))
        physical = _add(_add(element, "address"), "physicalAddress")
        _opt(physical, "line1", info.line1)
        _opt(physical, "locality", info.locality)
        _opt(physical, "postalCode", info.postal_code)
        _opt(physical, "country", info.country)
        order += 1
    if info.email:
        element = _add(parent, "requestedDeliveryInfo")
        _add(element, "sortOrder", str(order))
        _email_address(element, info.email)


def _requesting_agency_info(parent: etree._Element, info: RequestingAgencyInfo) -> None:
    element = _add(parent, "requestingAgencyInfo")
    _opt(element, "name", info.name)
    _opt(element, "contactName", info.contact_name)
    if info.email:
        _email_address(element, info.email)


def _request(root: etree._Element, message: Request) -> None:
    element = _add(root, "request")
    _header(element, message.header)
    _bibliographic(element, message.bibliographic_info)
    if message.publication_info is not None:
        _publication(element, message.publication_info)
    _service(element, message.service_info)
    if message.requested_delivery_info is not None:
        _delivery(element, message.requested_delivery_info)
    if message.requesting_agency_info is not None:
        _requesting_agency_info(element, message.requesting_agency_info)


def _message_info(parent: etree._Element, info: MessageInfo) -> None:
    element = _add(parent, "messageInfo")
    _add(element, "reasonForMessage", info.reason_for_message)
    if info.answer_yes_no is not None:
        _add(element, "answerYesNo", "Y" if info.answer_yes_no else "N")
    _opt(element, "note", info.note)
    _opt(element, "reasonUnfilled", info.reason_unfilled)
    _opt(element, "reasonRetry", info.reason_retry)
    _opt(element, "retryAfter", info.retry_after)
    _opt(element, "retryBefore", info.retry_before)


def _status_info(parent: etree._Element, info: StatusInfo) -> None:
    element = _add(parent, "statusInfo")
    _add(element, "status", info.status)
    _opt(element, "expectedDeliveryDate", info.expected_delivery_date)
    _opt(element, "dueDate", info.due_date)
    _add(element, "lastChange", xs_datetime(info.last_change))


def _delivery_info(parent: etree._Element, info: DeliveryInfo) -> None:
    element = _add(parent, "deliveryInfo")
    _add(element, "dateSent", xs_datetime(info.date_sent))
    _opt(element, "itemId", info.item_id)
    _opt(element, "sentVia", info.sent_via)
    _opt(element, "loanCondition", info.loan_condition)


def _supplying(root: etree._Element, message: SupplyingAgencyMessage) -> None:
    element = _add(root, "supplyingAgencyMessage")
    _header(element, message.header)
    _message_info(element, message.message_info)
    _status_info(element, message.status_info)
    if message.delivery_info is not None:
        _delivery_info(element, message.delivery_info)


def _requesting(root: etree._Element, message: RequestingAgencyMessage) -> None:
    element = _add(root, "requestingAgencyMessage")
    _header(element, message.header)
    _add(element, "action", message.action)
    _opt(element, "note", message.note)


def _confirmation(root: etree._Element, message: Confirmation) -> None:
    if message.reason_for_message and message.kind != "supplyingAgencyMessage":
        raise ValueError("only a supplyingAgencyMessageConfirmation has a reasonForMessage")
    if message.action and message.kind != "requestingAgencyMessage":
        raise ValueError("only a requestingAgencyMessageConfirmation has an action")
    if len(message.errors) > 1:
        raise ValueError("an ISO 18626 confirmation carries at most one errorData")
    element = _add(root, f"{message.kind}Confirmation")
    header = _add(element, "confirmationHeader")
    if message.supplying_agency is not None:
        _agency(header, "supplyingAgencyId", message.supplying_agency)
    if message.requesting_agency is not None:
        _agency(header, "requestingAgencyId", message.requesting_agency)
    _add(header, "timestamp", xs_datetime(message.timestamp))
    _opt(header, "requestingAgencyRequestId", message.requesting_agency_request_id)
    _opt(header, "multipleItemRequestId", message.multiple_item_request_id)
    _add(header, "timestampReceived", xs_datetime(message.timestamp_received))
    _add(header, "messageStatus", message.message_status)
    _opt(element, "reasonForMessage", message.reason_for_message)
    _opt(element, "action", message.action)
    for error in message.errors:
        data = _add(element, "errorData")
        _add(data, "errorType", error.error_type)
        _opt(data, "errorValue", error.error_value)


def to_tree(message: Message) -> etree._Element:
    """The ISO18626Message element for a message (not yet checked against the schema)."""
    root = etree.Element(_q("ISO18626Message"), nsmap=NSMAP)
    root.set(_q("version"), VERSION)
    if isinstance(message, Request):
        _request(root, message)
    elif isinstance(message, SupplyingAgencyMessage):
        _supplying(root, message)
    elif isinstance(message, RequestingAgencyMessage):
        _requesting(root, message)
    elif isinstance(message, Confirmation):
        _confirmation(root, message)
    else:
        raise TypeError(f"not an ISO 18626 message: {message!r}")
    return root
