"""Requests exchanged with partners' own ILL systems (ISO 18626): the other side's request id,
the queue of messages to send to peers, and the log of every message sent and received.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ill_requests") as batch:
        batch.add_column(
            sa.Column("peer_request_id", sa.String(200), nullable=False, server_default="")
        )
    op.create_index("ill_requests_peer", "ill_requests", ["borrowing_library", "peer_request_id"])
    op.create_table(
        "ill_peer_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(40), sa.ForeignKey("ill_requests.id"), nullable=False),
        sa.Column("peer", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
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
    op.create_index(
        "ill_peer_outbox_due", "ill_peer_outbox", ["sent_at", "gave_up_at", "next_attempt_at"]
    )
    op.create_index("ill_peer_outbox_request", "ill_peer_outbox", ["request_id", "id"])
    op.create_table(
        "ill_peer_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(40)),
        sa.Column("peer", sa.String(100), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("digest", sa.String(64)),
    )
    op.create_index("ill_peer_log_request", "ill_peer_log", ["request_id", "seq"])
    op.create_index("ill_peer_log_digest", "ill_peer_log", ["peer", "digest"], unique=True)


def downgrade() -> None:
    op.drop_index("ill_peer_log_digest", "ill_peer_log")
    op.drop_index("ill_peer_log_request", "ill_peer_log")
    op.drop_table("ill_peer_log")
    op.drop_index("ill_peer_outbox_request", "ill_peer_outbox")
    op.drop_index("ill_peer_outbox_due", "ill_peer_outbox")
    op.drop_table("ill_peer_outbox")
    op.drop_index("ill_requests_peer", "ill_requests")
    with op.batch_alter_table("ill_requests") as batch:
        batch.drop_column("peer_request_id")
