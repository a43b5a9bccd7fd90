"""The one error of the ISO 18626 layer: a message that cannot be taken as it is.

It carries what the confirmation needs (`iso18626.codec.error_confirmation`): the ISO error
type and value, which message it was when that could be told, and the header fields that could
be read, so the ERROR confirmation can echo the ids the peer will look for.
"""

from __future__ import annotations

from datetime import datetime

from iso18626.messages import AgencyId, ConfirmationKind


class MessageError(Exception):
    """A received message fedcat refuses; `error_type` is one of `messages.ERROR_TYPES`."""

    def __init__(
        self,
        error_type: str,
        error_value: str = "",
        *,
        kind: ConfirmationKind | None = None,
        supplying_agency: AgencyId | None = None,
        requesting_agency: AgencyId | None = None,
        requesting_agency_request_id: str = "",
        multiple_item_request_id: str = "",
        timestamp: datetime | None = None,
        reason_for_message: str = "",
        action: str = "",
    ) -> None:
        super().__init__(f"{error_type}: {error_value}" if error_value else error_type)
        self.error_type = error_type
        self.error_value = error_value
        self.kind = kind
        self.supplying_agency = supplying_agency
        self.requesting_agency = requesting_agency
        self.requesting_agency_request_id = requesting_agency_request_id
        self.multiple_item_request_id = multiple_item_request_id
        self.timestamp = timestamp
        self.reason_for_message = reason_for_message
        self.action = action
