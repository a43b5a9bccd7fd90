"""A borrowing library's choice to print its patrons' names on lenders' pull slips.

Off for every library (the lender sees the borrowing library and the request id only) until
the operator turns it on: `fedcat libraries rules LIBRARY --print-patron-names`.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ill_lending_rules") as batch:
        batch.add_column(
            sa.Column("print_patron_names", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("ill_lending_rules") as batch:
        batch.drop_column("print_patron_names")
