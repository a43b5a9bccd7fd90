"""Accounts of the consortium: patrons, staff and operators of partner libraries.

Sign-in (argon2 hashes, throttling shared through the database), server-side sessions,
per-library API tokens, patron import from CSV and "download my data". Storage is one small
interface (`AccountStore`) with SQLite and PostgreSQL back ends; no web routes live here.
"""

from accounts.errors import (
    AccountError,
    AccountExists,
    AccountNotFound,
    ImportRefused,
    InvalidAccount,
    RowProblem,
    SessionInvalid,
    SignInRefused,
    SignInThrottled,
    TokenInvalid,
)
from accounts.model import (
    ROLES,
    Account,
    ApiToken,
    ImportReport,
    NewApiToken,
    PatronExport,
    Role,
    Session,
    SessionPolicy,
    SignedIn,
    ThrottlePolicy,
)
from accounts.passwords import SecretHasher
from accounts.service import AccountService
from accounts.store import AccountStore, PostgresAccountStore, SqliteAccountStore, open_store

__all__ = [
    "ROLES",
    "Account",
    "AccountError",
    "AccountExists",
    "AccountNotFound",
    "AccountService",
    "AccountStore",
    "ApiToken",
    "ImportRefused",
    "ImportReport",
    "InvalidAccount",
    "NewApiToken",
    "PatronExport",
    "PostgresAccountStore",
    "Role",
    "RowProblem",
    "SecretHasher",
    "Session",
    "SessionInvalid",
    "SessionPolicy",
    "SignInRefused",
    "SignInThrottled",
    "SignedIn",
    "SqliteAccountStore",
    "ThrottlePolicy",
    "TokenInvalid",
    "open_store",
]
