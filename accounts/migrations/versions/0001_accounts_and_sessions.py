"""Accounts and their server-side sessions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("library_id", sa.String(100), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("card_number", sa.String(64)),
        sa.Column("username", sa.String(100)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
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
    op.create_table(
        "account_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_account_sessions_account_id", "account_sessions", ["account_id"])


def downgrade() -> None:
    op.drop_table("account_sessions")
    op.drop_table("accounts")
