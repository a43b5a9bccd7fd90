"""The tables of the account store, as SQLAlchemy Core objects, for the store's queries.

The migrations in `accounts/migrations/versions` create these tables; this module describes
the newest schema, and a test checks that the two agree. Every table name starts with
`account` so the accounts share a database with the ILL tables (`ill_*`) without a clash.
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.sql import UtcDateTime

metadata = sa.MetaData()


accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("library_id", sa.String(100), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("card_number", sa.String(64)),
    sa.Column("username", sa.String(100)),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    #: argon2id hash of the PIN (patrons) or password (staff, operators)
    sa.Column("secret_hash", sa.String(200), nullable=False),
    sa.UniqueConstraint("library_id", "card_number", name="accounts_card_in_library"),
    sa.UniqueConstraint("username", name="accounts_username"),
    sa.CheckConstraint("role IN ('patron', 'staff', 'operator')", name="accounts_role_known"),
    sa.CheckConstraint(
        "(role = 'patron' AND card_number IS NOT NULL AND username IS NULL)"
        " OR (role <> 'patron' AND username IS NOT NULL AND card_number IS NULL)",
        name="accounts_one_login",
    ),
)

sessions = sa.Table(
    "account_sessions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    #: SHA-256 (hex) of the browser's token; the token itself is never stored
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column(
        "account_id",
        sa.Integer,
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)

throttle = sa.Table(
    "account_signin_throttle",
    metadata,
    #: "account:<id>" or "client:<keyed hash of the client key>"
    sa.Column("key", sa.String(80), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", UtcDateTime, nullable=False),
    sa.Column("locked_until", UtcDateTime),
)

api_tokens = sa.Table(
    "account_api_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("library_id", sa.String(100), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_used_at", UtcDateTime),
    sa.UniqueConstraint("library_id", "name", name="account_api_tokens_name"),
)
