"""The ISO 18626 v1.2 messages as frozen dataclasses: what fedcat sends and reads.

Only the parts of the standard fedcat uses are modelled; the codec (`iso18626.codec`) turns
them into XML and back. Fields are snake_case forms of the schema's element names; an absent
optional element is ``""`` (text) or ``None`` (dates, structures). Open code lists (a
scheme/value pair such as reasonUnfilled) keep only the value. patronInfo and billingInfo are
never produced, and a received patronInfo is dropped on decoding: fedcat keeps no patron data
of another library's system (see `Request.dropped`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

NS = "http://illtransactions.org/2013/iso18626"
VERSION = "1.2"

#: statusInfo/status (type_status)
STATUSES: tuple[str, ...] = (
    "RequestReceived",
    "ExpectToSupply",
    "WillSupply",
    "Loaned",
    "Overdue",
    "Recalled",
    "RetryPossible",
    "Unfilled",
    "CopyCompleted",
    "LoanCompleted",
    "CompletedWithoutReturn",
    "Cancelled",
)
#: messageInfo/reasonForMessage (type_reasonForMessage)
REASONS_FOR_MESSAGE: tuple[str, ...] = (
    "RequestResponse",
    "StatusRequestResponse",
    "RenewResponse",
    "CancelResponse",
    "StatusChange",
    "Notification",
)
#: requestingAgencyMessage/action (type_action)
ACTIONS: tuple[str, ...] = (
    "StatusRequest",
    "Received",
    "Cancel",
    "Renew",
    "ShippedReturn",
    "ShippedForward",
    "Notification",
)
#: serviceInfo/serviceType (type_serviceType)
SERVICE_TYPES: tuple[str, ...] = ("Copy", "Loan", "CopyOrLoan")
#: serviceInfo/requestType (type_requestType)
REQUEST_TYPES: tuple[str, ...] = ("New", "Retry", "Reminder")
#: errorData/errorType (type_errorType)
ERROR_TYPES: tuple[str, ...] = (
    "UnsupportedActionType",
    "UnsupportedReasonForMessageType",
    "UnrecognisedDataElement",
    "UnrecognisedDataValue",
    "BadlyFormedMessage",
)
#: confirmationHeader/messageStatus (type_messageStatus)
MESSAGE_STATUSES: tuple[str, ...] = ("OK", "ERROR")

ServiceType = Literal["Loan", "Copy", "CopyOrLoan"]
RequestType = Literal["New", "Retry", "Reminder"]
ConfirmationKind = Literal["request", "supplyingAgencyMessage", "requestingAgencyMessage"]
MessageStatus = Literal["OK", "ERROR"]


@dataclass(frozen=True)
class AgencyId:
    """An agency (library) as ISO 18626 names it: an id type such as ISIL, and the id."""

    type: str
    value: str

    @classmethod
    def parse(cls, text: str) -> AgencyId:
        """``"ISIL:DK-710100"`` -> AgencyId("ISIL", "DK-710100"); the value may hold colons."""
        type_, sep, value = text.partition(":")
        if not sep or not type_.strip() or not value.strip():
            raise ValueError(f"an agency id is TYPE:VALUE, e.g. ISIL:DK-710100, not {text!r}")
        return cls(type_.strip(), value.strip())

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


@dataclass(frozen=True)
class Authentication:
    """header/requestingAgencyAuthentication."""

    account_id: str = ""
    security_code: str = ""


@dataclass(frozen=True)
class Header:
    """The header every request, supplyingAgencyMessage and requestingAgencyMessage carries."""

    supplying_agency: AgencyId | None
    requesting_agency: AgencyId
    timestamp: datetime
    requesting_agency_request_id: str
    supplying_agency_request_id: str = ""
    multiple_item_request_id: str = ""
    authentication: Authentication | None = None


@dataclass(frozen=True)
class BibliographicInfo:
    supplier_unique_record_id: str = ""
    title: str = ""
    author: str = ""
    subtitle: str = ""
    edition: str = ""
    title_of_component: str = ""
    author_of_component: str = ""
    volume: str = ""
    issue: str = ""
    pages_requested: str = ""
    #: bibliographicItemId as (code, value) pairs, e.g. ("ISBN", "9780141439518")
    item_ids: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PublicationInfo:
    publisher: str = ""
    publication_date: str = ""
    place_of_publication: str = ""


@dataclass(frozen=True)
class ServiceInfo:
    service_type: ServiceType
    request_type: RequestType | None = None
    need_before_date: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class RequestedDeliveryInfo:
    """Where the item should go: a physical address, an e-mail address, or both."""

    line1: str = ""
    locality: str = ""
    postal_code: str = ""
    country: str = ""
    email: str = ""


@dataclass(frozen=True)
class RequestingAgencyInfo:
    name: str = ""
    contact_name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Request:
    """ISO 18626 request: the requester asks a supplier for an item."""

    header: Header
    bibliographic_info: BibliographicInfo
    service_info: ServiceInfo
    publication_info: PublicationInfo | None = None
    requested_delivery_info: RequestedDeliveryInfo | None = None
    requesting_agency_info: RequestingAgencyInfo | None = None
    #: elements the peer sent that decoding deliberately dropped (e.g. "patronInfo")
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageInfo:
    reason_for_message: str
    answer_yes_no: bool | None = None
    note: str = ""
    reason_unfilled: str = ""
    reason_retry: str = ""
    retry_after: datetime | None = None
    retry_before: datetime | None = None


@dataclass(frozen=True)
class StatusInfo:
    status: str
    last_change: datetime
    expected_delivery_date: datetime | None = None
    due_date: datetime | None = None


@dataclass(frozen=True)
class DeliveryInfo:
    date_sent: datetime
    item_id: str = ""
    sent_via: str = ""
    loan_condition: str = ""


@dataclass(frozen=True)
class SupplyingAgencyMessage:
    """The supplier's answer or news: a status, why it is sent, and shipping details."""

    header: Header
    message_info: MessageInfo
    status_info: StatusInfo
    delivery_info: DeliveryInfo | None = None


@dataclass(frozen=True)
class RequestingAgencyMessage:
    """The requester's action on a request: Received, ShippedReturn, Cancel, Renew, ..."""

    header: Header
    action: str
    note: str = ""


@dataclass(frozen=True)
class ErrorData:
    error_type: str
    error_value: str = ""


@dataclass(frozen=True)
class Confirmation:
    """The answer to every message: OK, or ERROR with what was wrong.

    ``kind`` is the message confirmed (a requestConfirmation confirms a request, ...);
    ``reason_for_message`` is only in a supplyingAgencyMessageConfirmation and ``action``
    only in a requestingAgencyMessageConfirmation.
    """

    kind: ConfirmationKind
    supplying_agency: AgencyId | None
    requesting_agency: AgencyId | None
    timestamp: datetime
    requesting_agency_request_id: str
    timestamp_received: datetime
    message_status: MessageStatus
    errors: tuple[ErrorData, ...] = ()
    reason_for_message: str = ""
    action: str = ""
    multiple_item_request_id: str = ""

    @property
    def ok(self) -> bool:
        return self.message_status == "OK"


Message = Request | SupplyingAgencyMessage | RequestingAgencyMessage | Confirmation
