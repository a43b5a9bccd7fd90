"""Sign-in throttle counters (shared by every web host) and per-library API tokens.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_signin_throttle",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.DateTime, nullable=False),
        sa.Column("locked_until", sa.DateTime),
    )
    op.create_table(
        "account_api_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("library_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_used_at", sa.DateTime),
        sa.UniqueConstraint("library_id", "name", name="account_api_tokens_name"),
    )


def downgrade() -> None:
    op.drop_table("account_api_tokens")
    op.drop_table("account_signin_throttle")
