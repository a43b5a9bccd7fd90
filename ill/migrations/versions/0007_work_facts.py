"""What demand statistics need to know of each requested work: its subject area and year.

A request names its work by id only; the subject area (the first heading's main part) and
the year of publication come from the catalogue and are kept here, one row a work, so the
demand statistics group by subject in the database and purchase suggestions can see a recent
work. No patron data: a work's facts are the same whoever asked for it. An index of events by
action and request lets the statistics find each request's shipment and arrival from the
index alone, however long the timeline table grows.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ill_work_facts",
        sa.Column("work_id", sa.String(200), primary_key=True),
        sa.Column("subject_area", sa.Text, nullable=False, server_default=""),
        sa.Column("published_year", sa.Integer),
    )
    op.create_index(
        "ill_events_action_request",
        "ill_events",
        ["action", "request_id", "lender", "at"],
    )


def downgrade() -> None:
    op.drop_index("ill_events_action_request", table_name="ill_events")
    op.drop_table("ill_work_facts")
