"""The ISO 18626 v1.2 codec: messages to XML and back, and the confirmation of each.

`encode` writes what fedcat sends and checks it against the standard's XSD, so nothing
invalid leaves fedcat. `decode` reads what a peer sent, untrusted: no network, no DTD, no
entity expansion, a size limit, the XSD, and a `MessageError` with the ISO error type a peer
expects in an ERROR confirmation. `confirm` and `error_confirmation` build those answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from iso18626 import reader, writer
from iso18626.errors import MessageError
from iso18626.messages import (
    ACTIONS,
    REASONS_FOR_MESSAGE,
    Confirmation,
    ConfirmationKind,
    ErrorData,
    Message,
    Request,
    RequestingAgencyMessage,
    SupplyingAgencyMessage,
)
from iso18626.schema import schema_errors

MAX_BYTES = 1_000_000

__all__ = ["MessageError", "confirm", "decode", "encode", "error_confirmation", "kind_of"]


def encode(message: Message) -> bytes:
    """UTF-8 XML of one message; ValueError when the message would not be valid ISO 18626
    (a status or action outside the standard's lists, more than one error, ...)."""
    root = writer.to_tree(message)
    errors = schema_errors(root)
    if errors:
        details = "; ".join(entry.message for entry in errors)
        raise ValueError(f"{type(message).__name__} is not valid ISO 18626: {details}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def decode(body: bytes, *, max_bytes: int = MAX_BYTES) -> Message:
    """The message in a peer's body; MessageError (with the ISO error type) if it is refused."""
    return reader.read(body, max_bytes)


def confirm(message: Message, *, now: datetime, errors: Sequence[ErrorData] = ()) -> Confirmation:
    """The confirmation of a received message: OK, or ERROR with the first of `errors` (the
    schema allows one errorData), echoing the header's agencies and request ids, and the
    reasonForMessage or action confirmed."""
    if isinstance(message, Confirmation):
        raise ValueError("a confirmation is not itself confirmed")
    header = message.header
    reason = (
        message.message_info.reason_for_message
        if isinstance(message, SupplyingAgencyMessage)
        else ""
    )
    action = message.action if isinstance(message, RequestingAgencyMessage) else ""
    return Confirmation(
        kind=kind_of(message),
        supplying_agency=header.supplying_agency,
        requesting_agency=header.requesting_agency,
        timestamp=now,
        requesting_agency_request_id=header.requesting_agency_request_id,
        timestamp_received=header.timestamp,
        message_status="ERROR" if errors else "OK",
        errors=tuple(errors[:1]),
        reason_for_message=reason,
        action=action,
        multiple_item_request_id=header.multiple_item_request_id,
    )


def error_confirmation(error: MessageError, *, now: datetime) -> Confirmation:
    """The ERROR confirmation of a message that could not be decoded: of the message's kind
    when known (else a requestConfirmation), with whatever header ids could be read."""
    kind = error.kind or "request"
    reason = error.reason_for_message if error.reason_for_message in REASONS_FOR_MESSAGE else ""
    action = error.action if error.action in ACTIONS else ""
    return Confirmation(
        kind=kind,
        supplying_agency=error.supplying_agency,
        requesting_agency=error.requesting_agency,
        timestamp=now,
        requesting_agency_request_id=error.requesting_agency_request_id,
        timestamp_received=error.timestamp or now,
        message_status="ERROR",
        errors=(ErrorData(error.error_type, error.error_value),),
        reason_for_message=reason if kind == "supplyingAgencyMessage" else "",
        action=action if kind == "requestingAgencyMessage" else "",
        multiple_item_request_id=error.multiple_item_request_id,
    )


def kind_of(
    message: Request | SupplyingAgencyMessage | RequestingAgencyMessage,
) -> ConfirmationKind:
    """Which message a confirmation of this one confirms ("request", ...)."""
    if isinstance(message, Request):
        return "request"
    if isinstance(message, SupplyingAgencyMessage):
        return "supplyingAgencyMessage"
    return "requestingAgencyMessage"
