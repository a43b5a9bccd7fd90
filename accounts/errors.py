"""What can go wrong with accounts, one type per kind, so callers branch on types, not text.

Messages never quote a card number, PIN, password, e-mail address or token: they may reach a
log or a screen the patron does not control. They name the library, the account id, the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class AccountError(Exception):
    """Base of the accounts layer; the CLI and the web app turn these into clear messages."""


class InvalidAccount(AccountError, ValueError):
    """A field of a new or changed account is missing or malformed."""


class AccountExists(AccountError):
    """The card number (in its library) or the username (consortium-wide) is taken."""


class AccountNotFound(AccountError, LookupError):
    pass


class SignInRefused(AccountError):
    """Wrong card number/PIN or username/password; deliberately does not say which."""

    def __init__(self) -> None:
        super().__init__("sign-in refused: unknown account or wrong PIN/password")


class SignInThrottled(AccountError):
    """Too many failed sign-ins for this account or from this client: try again later."""

    def __init__(self, retry_at: datetime, now: datetime) -> None:
        self.retry_at = retry_at
        self.retry_after = max(1, int((retry_at - now).total_seconds() + 0.999))
        super().__init__(f"too many failed sign-ins: try again in {self.retry_after} s")


class SessionInvalid(AccountError):
    """The session token is unknown, revoked or expired (idle or absolute)."""


class TokenInvalid(AccountError):
    """The API token is unknown or revoked."""


@dataclass(frozen=True)
class RowProblem:
    """One bad row of a patron file: its line (1 is the header) and what is wrong."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRefused(AccountError):
    """The patron file was refused as a whole; nothing was written. Lists every bad row."""

    def __init__(self, library_id: str, problems: list[RowProblem]) -> None:
        self.library_id = library_id
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"patron file for {library_id} refused, nothing imported: {shown}{more}")
