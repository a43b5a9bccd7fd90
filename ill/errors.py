"""One exception hierarchy for inter-library loan, each kind carrying the HTTP status the web
layer should answer with, so no caller has to parse a message to pick a response."""

from __future__ import annotations


class IllError(Exception):
    """Base of every refusal the ILL layer makes; `str(error)` is a message for people."""

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadArguments(IllError):
    """An action or request came with missing or malformed details (a due date, a reason)."""

    http_status = 400


class NotPermitted(IllError):
    """The actor may not do this to this request (wrong library, not the patron's own)."""

    http_status = 403


class RequestNotFound(IllError):
    """No request has that id."""

    http_status = 404

    def __init__(self, request_id: str) -> None:
        super().__init__(f"no inter-library loan request {request_id!r}")
        self.request_id = request_id


class ActionNotAllowed(IllError):
    """The action is not allowed in the request's current state (HTTP 409); nothing changed."""

    http_status = 409

    def __init__(self, message: str, *, state: str, action: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.state = state
        self.action = action
        self.allowed = allowed


class RequestConflict(IllError):
    """Someone else changed the request between reading and writing it; nothing was applied."""

    http_status = 409

    def __init__(self, request_id: str, expected_version: int) -> None:
        super().__init__(
            f"request {request_id} was changed by someone else (expected version "
            f"{expected_version}); reload it and try again"
        )
        self.request_id = request_id
        self.expected_version = expected_version


class RequestRefused(IllError):
    """A new request breaks a rule (own library has it on the shelf, a duplicate)."""

    http_status = 409


class ScanRefused(IllError):
    """An uploaded scan is not acceptable: not a PDF (415), too large (413), empty (400)."""

    def __init__(self, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.http_status = http_status


class CopyGone(IllError):
    """The patron's copy was there but its download period is over (the file is deleted)."""

    http_status = 410
