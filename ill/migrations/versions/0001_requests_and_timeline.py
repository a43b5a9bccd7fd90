"""Requests and their timeline.

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
        "ill_requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("work_id", sa.String(200), nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("patron_ref", sa.String(200), nullable=False),
        sa.Column("borrowing_library", sa.String(100), nullable=False),
        sa.Column("service", sa.String(10), nullable=False),
        sa.Column("citation", sa.Text),
        sa.Column("pickup_location", sa.Text, nullable=False, server_default=""),
        sa.Column("needed_by", sa.Date),
        sa.Column("state", sa.String(80), nullable=False),
        sa.Column("status", sa.String(40)),
        sa.Column("is_open", sa.Boolean, nullable=False),
        sa.Column("lender", sa.String(100)),
        sa.Column("rota", sa.Text, nullable=False),
        sa.Column("skipped", sa.Text, nullable=False),
        sa.Column("rota_position", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "ill_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(40), sa.ForeignKey("ill_requests.id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(80)),
        sa.Column("to_state", sa.String(80), nullable=False),
        sa.Column("lender", sa.String(100)),
        sa.Column("reason", sa.String(100), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ill_requests_patron_work", "ill_requests", ["patron_ref", "work_id"])
    op.create_index(
        "ill_one_open_request_per_work",
        "ill_requests",
        ["patron_ref", "work_id"],
        unique=True,
        sqlite_where=sa.text("is_open"),
        postgresql_where=sa.text("is_open"),
    )
    op.create_index("ill_events_request", "ill_events", ["request_id", "seq"])


def downgrade() -> None:
    op.drop_table("ill_events")
    op.drop_table("ill_requests")
