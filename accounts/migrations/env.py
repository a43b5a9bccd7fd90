"""Alembic environment: always run on the connection `accounts.store.upgrade` hands over.

There is no alembic.ini: the store runs migrations itself when it opens, so an operator never
has to, and tests can stop at any revision. The version table is the accounts' own, so these
migrations and the ILL ones live side by side in one database.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    version_table="accounts_alembic_version",
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
