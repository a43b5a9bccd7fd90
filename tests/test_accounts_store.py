"""Account store conformance: schema, migrations and constraints, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from accounts import schema
from accounts.errors import AccountExists, AccountNotFound
from accounts.model import Account
from accounts.store import (
    VERSION_TABLE,
    PatronRow,
    PatronUpsert,
    current_revision,
    open_store,
    upgrade,
)

pytest_plugins = ["tests.fixtures.accounts_stores"]

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def patron(store, card: str = "P1", library: str = "north", **kw):
    values = dict(name="Ann Reader", email="ann@example.org", secret_hash="$argon2id$x")
    values.update(kw)
    return store.add_account(library_id=library, role="patron", card_number=card, **values)


def test_migrations_from_empty_reach_head_and_match_the_schema(account_store_factory):
    store = account_store_factory.open()
    assert current_revision(store.engine) == "0002"
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, schema.metadata) == []
        tables = set(sa.inspect(connection).get_table_names())
    assert tables == {
        "accounts",
        "account_sessions",
        "account_signin_throttle",
        "account_api_tokens",
        VERSION_TABLE,
    }


def test_upgrade_from_the_previous_revision_keeps_accounts_and_sessions(account_store_factory):
    engine = account_store_factory.engine()
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO accounts (library_id, role, card_number, name, email, secret_hash)"
                " VALUES ('north', 'patron', 'P1', 'Ann', '', 'h')"
            )
        )
        connection.execute(
            sa.text("INSERT INTO account_sessions VALUES ('s1', 'abc', 1, :t, :t, :t)").bindparams(
                t=NOW.replace(tzinfo=None)
            )
        )
    engine.dispose()
    store = account_store_factory.open()
    assert current_revision(store.engine) == "0002"
    assert store.get_account(1) == Account(1, "north", "patron", "P1", None, "Ann", "")
    assert [s.id for s in store.sessions_of(1)] == ["s1"]
    assert store.sessions_of(1)[0].created_at == NOW
    assert store.throttle_state("login:x") == (0, None)


def test_shares_a_database_with_another_alembic_history(account_store_factory):
    """The ILL tables have their own version table: ours starts from empty beside it."""
    engine = account_store_factory.engine()
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE ill_alembic_version (version_num VARCHAR(32))"))
        connection.execute(sa.text("INSERT INTO ill_alembic_version VALUES ('0002')"))
        connection.execute(sa.text("CREATE TABLE ill_requests (id VARCHAR(40) PRIMARY KEY)"))
    store = account_store_factory.open()
    assert current_revision(store.engine) == "0002"
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM ill_alembic_version")).all() == [
            ("0002",)
        ]
        assert "ill_requests" in sa.inspect(connection).get_table_names()
    engine.dispose()


def test_open_store_picks_the_back_end_from_the_location(account_store_factory):
    store = open_store(account_store_factory.dsn())
    assert store.backend == account_store_factory.kind
    assert current_revision(store.engine) == "0002"
    store.close()


def test_added_account_reads_back_by_each_login(account_store):
    ann = patron(account_store)
    staff = account_store.add_account(
        library_id="north", role="staff", username="desk", name="", email="", secret_hash="h2"
    )
    assert account_store.get_account(ann.id) == ann
    assert account_store.find_patron("north", "P1") == (ann, "$argon2id$x")
    assert account_store.find_patron("south", "P1") is None
    assert account_store.find_staff("desk") == (staff, "h2")
    assert account_store.list_accounts("north") == [ann, staff]
    assert account_store.list_accounts(role="staff") == [staff]
    with pytest.raises(AccountNotFound):
        account_store.get_account(999)


def test_a_card_number_is_unique_in_its_library_only(account_store):
    patron(account_store, "P1", "north")
    other = patron(account_store, "P1", "south")
    assert other.library_id == "south"
    with pytest.raises(AccountExists, match="library north already has a patron"):
        patron(account_store, "P1", "north")
    assert len(account_store.list_accounts()) == 2


def test_a_username_is_unique_across_the_consortium(account_store):
    values = dict(role="staff", username="desk", name="", email="", secret_hash="h")
    account_store.add_account(library_id="north", **values)
    with pytest.raises(AccountExists, match="the consortium already has this username"):
        account_store.add_account(library_id="south", **values)


def test_the_database_refuses_a_patron_without_a_card_number(account_store):
    with pytest.raises(sa.exc.IntegrityError):
        account_store.add_account(
            library_id="north", role="patron", username="p", name="x", email="", secret_hash="h"
        )
    assert account_store.list_accounts() == []


def test_upsert_patrons_counts_and_keeps_a_pin_when_none_is_given(account_store):
    ann = patron(account_store, "P1", name="Ann Reader")
    rows = [
        PatronRow("P1", "Ann Reader", "ann@example.org", None),
        PatronRow("P2", "Bo", "", "hash-2"),
    ]
    assert account_store.upsert_patrons("north", rows) == PatronUpsert(1, 0, 1, [])
    assert account_store.find_patron("north", "P1")[1] == "$argon2id$x"
    again = account_store.upsert_patrons("north", [PatronRow("P1", "Ann R.", "", "new")])
    assert again == PatronUpsert(0, 1, 0, [ann.id])
    assert account_store.find_patron("north", "P1") == (
        Account(ann.id, "north", "patron", "P1", None, "Ann R.", ""),
        "new",
    )
    assert account_store.existing_cards("north", ["P1", "P2", "P3"]) == {"P1", "P2"}


def test_a_failed_upsert_writes_nothing(account_store):
    with pytest.raises(ValueError, match="a new patron needs a PIN hash"):
        account_store.upsert_patrons(
            "north", [PatronRow("P1", "Ann", "", "h"), PatronRow("P2", "Bo", "", None)]
        )
    assert account_store.list_accounts() == []


def test_deleting_an_account_deletes_its_sessions(account_store):
    from accounts.model import Session

    ann, bo = patron(account_store), patron(account_store, "P2")
    for number, account in enumerate((ann, bo)):
        session = Session(f"s{number}", account.id, NOW, NOW, NOW + timedelta(hours=1))
        account_store.add_session(session, f"th{number}")
    assert account_store.delete_account(ann.id) is True
    assert account_store.delete_account(ann.id) is False
    assert account_store.list_accounts() == [bo]
    with account_store.engine.connect() as connection:
        rows = connection.execute(sa.select(schema.sessions.c.id)).all()
    assert rows == [("s1",)]
