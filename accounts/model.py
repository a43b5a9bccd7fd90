"""The records of the accounts layer and the policies that govern them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, TypedDict, get_args

Role = Literal["patron", "staff", "operator"]
ROLES: tuple[Role, ...] = get_args(Role)


@dataclass(frozen=True)
class Account:
    """A person who signs in. Patrons have a card number, staff and operators a username.

    For a patron this is everything fedcat keeps: library, card number, name, e-mail (and,
    in the store only, the PIN's argon2 hash). An operator acts consortium-wide but still
    belongs to one library, the one that runs fedcat for the consortium.
    """

    id: int
    library_id: str
    role: Role
    card_number: str | None
    username: str | None
    name: str
    email: str

    @property
    def is_patron(self) -> bool:
        return self.role == "patron"


@dataclass(frozen=True)
class Session:
    """A signed-in browser. Its token is known only to the browser; fedcat keeps its SHA-256."""

    id: str
    account_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """What a successful sign-in gives the web layer: the account, its session, the token
    to put in the cookie (shown this once; fedcat cannot recover it later)."""

    account: Account
    session: Session
    token: str


@dataclass(frozen=True)
class ApiToken:
    """A library's key for its discovery layer to act for its signed-in patrons."""

    id: str
    library_id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class NewApiToken:
    """A token just created: `secret` is shown once and never stored."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class SessionPolicy:
    """A session ends after `idle` without use, and `absolute` after sign-in in any case."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failed sign-ins allowed before a lock-out, and how the lock-out grows.

    The `account_free`-th failure on one account (or the `client_free`-th from one client key:
    set higher, since a library's public terminals share an address) and each one after it
    lock for `base_lock` × 2^(failures − free), at most `max_lock`. Counters are forgotten
    `forget_after` the last failure; an account's counter also on a successful sign-in.
    """

    account_free: int = 5
    client_free: int = 20
    base_lock: timedelta = timedelta(seconds=30)
    max_lock: timedelta = timedelta(hours=1)
    forget_after: timedelta = timedelta(hours=24)

    def lock_for(self, failures: int, free: int) -> timedelta | None:
        """How long the failure numbered `failures` locks, or None while still free."""
        if failures < free:
            return None
        doublings = min(failures - free, 30)
        return min(self.max_lock, self.base_lock * (2**doublings))


@dataclass
class ImportReport:
    """What a patron import did. `new_pins` (card number -> PIN) is shown once, never stored."""

    library_id: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    new_pins: dict[str, str] = field(default_factory=dict)


class SessionExport(TypedDict):
    created_at: str
    last_seen_at: str
    expires_at: str


class PatronExport(TypedDict):
    """All the accounts layer holds about a patron, for "download my data"."""

    library_id: str
    role: str
    card_number: str | None
    name: str
    email: str
    pin: str
    sessions: list[SessionExport]
    failed_sign_ins: int
