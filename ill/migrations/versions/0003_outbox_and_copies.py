"""The mail outbox and the uploaded copies of articles and chapters.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ill_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(40), sa.ForeignKey("ill_requests.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipient_kind", sa.String(20), nullable=False),
        sa.Column("recipient_ref", sa.String(200), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("claim", sa.String(40)),
        sa.Column("claimed_until", sa.DateTime),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("gave_up_at", sa.DateTime),
    )
    op.create_index("ill_outbox_due", "ill_outbox", ["sent_at", "gave_up_at", "next_attempt_at"])
    op.create_index("ill_outbox_request", "ill_outbox", ["request_id"])
    op.create_table(
        "ill_copies",
        sa.Column("request_id", sa.String(40), sa.ForeignKey("ill_requests.id"), primary_key=True),
        sa.Column("file_name", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("uploaded_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("ill_copies")
    op.drop_index("ill_outbox_request", "ill_outbox")
    op.drop_index("ill_outbox_due", "ill_outbox")
    op.drop_table("ill_outbox")
