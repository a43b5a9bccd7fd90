"""Per-library lending rules; loan conditions and outcome notes; indexes for staff queues.

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
        "ill_lending_rules",
        sa.Column("library_id", sa.String(100), primary_key=True),
        sa.Column("lends", sa.Boolean, nullable=False),
        sa.Column("loan_period_days", sa.Integer, nullable=False),
        sa.Column("daily_cap", sa.Integer),
        sa.Column("closures", sa.Text, nullable=False),
        sa.Column("ratio_lend", sa.Integer, nullable=False),
        sa.Column("ratio_borrow", sa.Integer, nullable=False),
    )
    op.add_column(
        "ill_requests", sa.Column("loan_condition", sa.Text, nullable=False, server_default="")
    )
    op.add_column(
        "ill_requests", sa.Column("outcome_note", sa.Text, nullable=False, server_default="")
    )
    op.create_index("ill_requests_lender_open", "ill_requests", ["lender", "is_open"])
    op.create_index("ill_events_action_at", "ill_events", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ill_events_action_at", "ill_events")
    op.drop_index("ill_requests_lender_open", "ill_requests")
    op.drop_column("ill_requests", "outcome_note")
    op.drop_column("ill_requests", "loan_condition")
    op.drop_table("ill_lending_rules")
