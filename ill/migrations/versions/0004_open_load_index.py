"""An index of open requests by lender and borrower, for the load balance read at every placement.

Without it, `RequestStore.open_load` read every request ever made (closed ones included), so
placing a request got slower with each year of history.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ill_requests_open_load",
        "ill_requests",
        ["lender", "borrowing_library"],
        sqlite_where=sa.text("is_open IS 1"),
        postgresql_where=sa.text("is_open IS true"),
    )


def downgrade() -> None:
    op.drop_index("ill_requests_open_load", "ill_requests")
