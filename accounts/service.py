"""Accounts as the web app and the CLI use them: sign-in, sessions, API tokens, patron data.

`AccountService` decides; `AccountStore` keeps the rows. Log records name the account id,
library and role only: never a card number, username, PIN, password, e-mail or token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accounts import fields
from accounts.errors import (
    AccountError,
    AccountNotFound,
    SessionInvalid,
    SignInRefused,
    SignInThrottled,
    TokenInvalid,
)
from accounts.model import (
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
from accounts.passwords import SecretHasher, generate_pin
from accounts.store import AccountStore

log = logging.getLogger("accounts")

TOKEN_PREFIX = "fedcat_"
#: an API token's last-used time is written at most this often (one write per call is waste)
TOKEN_TOUCH_EVERY = timedelta(minutes=1)
#: likewise a session's last-seen time: the idle timeout is kept to within this
SESSION_TOUCH_EVERY = timedelta(seconds=30)
DEFAULT_SESSIONS = SessionPolicy()
DEFAULT_THROTTLE = ThrottlePolicy()


def _utcnow() -> datetime:
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    """How a session or API token is stored: its SHA-256, hex (tokens have 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccountService:
    """Accounts of the consortium's libraries over one store.

    `secret` keys the hashes that name a login or a client in the throttle table: every web
    host must be given the same one (the app's secret key) to share the counters. Without it,
    a random key of this instance is used (fine for the CLI, which signs nobody in).
    """

    def __init__(
        self,
        store: AccountStore,
        *,
        secret: bytes | None = None,
        hasher: SecretHasher | None = None,
        sessions: SessionPolicy = DEFAULT_SESSIONS,
        throttle: ThrottlePolicy = DEFAULT_THROTTLE,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.store = store
        self.hasher = hasher or SecretHasher()
        self.session_policy = sessions
        self.throttle_policy = throttle
        self.clock = clock
        self._secret = secret or secrets.token_bytes(32)

    # accounts -------------------------------------------------------------------------------

    def add_patron(
        self, library_id: str, card_number: str, name: str, email: str = "", pin: str | None = None
    ) -> tuple[Account, str | None]:
        """A new patron; returns it and the generated PIN when none was given (shown once)."""
        generated = generate_pin() if pin is None else None
        account = self.store.add_account(
            library_id=fields.library_id(library_id),
            role="patron",
            card_number=fields.card_number(card_number),
            name=fields.name(name),
            email=fields.email(email),
            secret_hash=self.hasher.hash(fields.pin(generated or pin or "")),
        )
        log.info("added patron account %d (library %s)", account.id, account.library_id)
        return account, generated

    def add_staff(
        self,
        library_id: str,
        username: str,
        password: str,
        *,
        role: Role = "staff",
        name: str = "",
        email: str = "",
    ) -> Account:
        """A staff member of one library, or (role "operator") a consortium operator."""
        if role not in ("staff", "operator"):
            raise AccountError(f"role {role!r}: staff accounts are 'staff' or 'operator'")
        account = self.store.add_account(
            library_id=fields.library_id(library_id),
            role=role,
            username=fields.username(username),
            name=fields.name(name, required=False),
            email=fields.email(email),
            secret_hash=self.hasher.hash(fields.password(password)),
        )
        log.info("added %s account %d (library %s)", role, account.id, account.library_id)
        return account

    def set_secret(self, account_id: int, secret: str) -> int:
        """A new PIN or password; every session of the account ends. Returns how many did."""
        account = self.store.get_account(account_id)
        checked = fields.pin(secret) if account.is_patron else fields.password(secret)
        self.store.set_secret_hash(account_id, self.hasher.hash(checked))
        ended = self.store.delete_sessions_of([account_id])
        log.info("new secret for account %d; %d session(s) ended", account_id, ended)
        return ended

    def remove_account(self, account_id: int) -> None:
        """Delete an account and its sessions (a patron who left, a staff member who moved).

        Its throttle counter, keyed by a hash, is forgotten like any other (`purge_expired`).
        """
        if not self.store.delete_account(account_id):
            raise AccountNotFound(f"no account {account_id}")
        log.info("removed account %d", account_id)

    def import_patrons(self, library_id: str, source: Path | bytes) -> ImportReport:
        """Load a library's patrons from a CSV file; see `accounts.patron_import`."""
        from accounts.patron_import import import_patrons

        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        return import_patrons(self, fields.library_id(library_id), data)

    def export_patron_data(self, account: Account) -> PatronExport:
        """All the accounts layer holds about a patron (the ILL layer adds their requests)."""
        sessions = self.store.sessions_of(account.id)
        failures = 0
        if account.card_number is not None:
            failures, _ = self.store.throttle_state(
                self._login_key(account.library_id, account.card_number)
            )
        return PatronExport(
            library_id=account.library_id,
            role=account.role,
            card_number=account.card_number,
            name=account.name,
            email=account.email,
            pin="stored only as an argon2 hash, which cannot be turned back into the PIN",
            sessions=[
                {
                    "created_at": s.created_at.isoformat(),
                    "last_seen_at": s.last_seen_at.isoformat(),
                    "expires_at": s.expires_at.isoformat(),
                }
                for s in sessions
            ],
            failed_sign_ins=failures,
        )

    # sign-in ----------------------------------------------------------------------------------

    def sign_in_patron(
        self, library_id: str, card_number: str, pin: str, client_key: str
    ) -> SignedIn:
        """Card number + PIN at the patron's home library; `client_key` names the client
        (the web layer passes its address); it is stored only as a keyed hash."""
        found = self.store.find_patron(library_id.strip(), card_number.strip())
        login = self._login_key(library_id.strip(), card_number.strip())
        return self._sign_in(found, login, pin, client_key, f"library {library_id.strip()}")

    def sign_in_staff(self, username: str, password: str, client_key: str) -> SignedIn:
        """Username + password, for staff and operators (usernames are consortium-wide)."""
        name = username.strip().lower()
        found = self.store.find_staff(name)
        return self._sign_in(found, self._login_key("*", name), password, client_key, "staff")

    def _sign_in(
        self,
        found: tuple[Account, str] | None,
        login_key: str,
        secret: str,
        client_key: str,
        where: str,
    ) -> SignedIn:
        now = self.clock()
        policy = self.throttle_policy
        client = (self._client_key(client_key), policy.client_free)
        retry_at = self.store.reserve_attempt(
            [(login_key, policy.account_free), client], now, policy
        )
        if retry_at is not None:
            log.warning("sign-in throttled (%s) until %s", where, retry_at.isoformat())
            raise SignInThrottled(retry_at, now)
        secret_hash = found[1] if found is not None else None
        too_long = len(secret) > fields.MAX_PASSWORD  # refused unhashed: no work to be made
        if found is None or too_long or not self.hasher.verify(secret_hash, secret):
            log.warning("sign-in refused (%s): unknown account or wrong secret", where)
            raise SignInRefused()
        account = found[0]
        self.store.attempt_succeeded(clear=login_key, undo=[client])
        if self.hasher.needs_rehash(found[1]):
            self.store.set_secret_hash(account.id, self.hasher.hash(secret))
            log.info("rehashed the secret of account %d with the current parameters", account.id)
        signed_in = self._new_session(account, now)
        log.info(
            "account %d (%s, library %s) signed in", account.id, account.role, account.library_id
        )
        return signed_in

    def _login_key(self, scope: str, login: str) -> str:
        return "login:" + self._keyed(f"{scope}\0{login}")

    def _client_key(self, client_key: str) -> str:
        return "client:" + self._keyed(client_key)

    def _keyed(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()

    # sessions ---------------------------------------------------------------------------------

    def _new_session(self, account: Account, now: datetime) -> SignedIn:
        token = secrets.token_urlsafe(32)
        session = Session(
            id=secrets.token_hex(16),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self.session_policy.absolute,
        )
        self.store.add_session(session, token_hash(token))
        return SignedIn(account, session, token)

    def session(self, token: str) -> tuple[Account, Session]:
        """The account behind a browser's session token; refreshes its idle timer."""
        now = self.clock()
        session = self.store.session_by_token_hash(token_hash(token))
        if session is None:
            raise SessionInvalid("unknown or revoked session: sign in again")
        idle_end = session.last_seen_at + self.session_policy.idle
        if now >= session.expires_at or now >= idle_end:
            self.store.delete_session(session.id)
            raise SessionInvalid("session expired: sign in again")
        if now - session.last_seen_at >= SESSION_TOUCH_EVERY:
            self.store.touch_session(session.id, now)
            session = replace(session, last_seen_at=now)
        return self.store.get_account(session.account_id), session

    def sign_out(self, token: str) -> bool:
        session = self.store.session_by_token_hash(token_hash(token))
        return session is not None and self.revoke_session(session.id)

    def revoke_session(self, session_id: str) -> bool:
        ended = self.store.delete_session(session_id)
        if ended:
            log.info("session %s ended", session_id[:8])
        return ended

    def revoke_all_sessions(self, account_id: int) -> int:
        ended = self.store.delete_sessions_of([account_id])
        log.info("all %d session(s) of account %d ended", ended, account_id)
        return ended

    def sessions_of(self, account_id: int) -> list[Session]:
        return self.store.sessions_of(account_id)

    def purge_expired(self) -> tuple[int, int]:
        """Delete expired sessions and throttle counters past `forget_after`: (sessions, rows)."""
        now = self.clock()
        ended = self.store.delete_expired_sessions(now, self.session_policy.idle)
        forgotten = self.store.purge_throttle(now - self.throttle_policy.forget_after)
        log.info("purged %d expired session(s), %d old throttle counter(s)", ended, forgotten)
        return ended, forgotten

    # API tokens -------------------------------------------------------------------------------

    def create_token(self, library_id: str, name: str) -> NewApiToken:
        """A new token for a library's discovery layer; its secret is shown this once."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            id=secrets.token_hex(8),
            library_id=fields.library_id(library_id),
            name=fields.token_name(name),
            created_at=self.clock(),
            last_used_at=None,
        )
        self.store.add_token(token, token_hash(secret))
        log.info("created API token %s (library %s)", token.id, token.library_id)
        return NewApiToken(token, secret)

    def authenticate_token(self, secret: str) -> ApiToken:
        """The token (and so the library) a request's bearer token stands for."""
        token = self.store.token_by_hash(token_hash(secret.strip()))
        if token is None:
            raise TokenInvalid("unknown or revoked API token")
        now = self.clock()
        if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_EVERY:
            self.store.touch_token(token.id, now)
            token = replace(token, last_used_at=now)
        return token

    def list_tokens(self, library_id: str | None = None) -> list[ApiToken]:
        return self.store.list_tokens(library_id)

    def revoke_token(self, token_id: str) -> bool:
        revoked = self.store.delete_token(token_id)
        if revoked:
            log.info("revoked API token %s", token_id)
        return revoked
