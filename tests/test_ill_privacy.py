"""Closed requests lose their patron after the retention period, on both stores; no patron
data reaches a log while requests are placed, answered and housekept; `docs/privacy.md` says
what the request tables keep, and for how long."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from accounts.service import AccountService
from accounts.store import SqliteAccountStore
from config.partners import parse_registry
from config.settings import SETTINGS
from ill import schema
from ill.cli import address_book
from ill.copies import CopySettings
from ill.notify import SmtpSettings, send_due
from ill.retention import ANONYMOUS_PATRON, DEFAULT_RETENTION_DAYS, anonymise_closed
from ill.service import IllService
from ill.states import Action, Role
from tests.fixtures.ill_builders import holdings, patron, staff

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.smtp"]

CARD = "CARD5501297"
NAME = "Ottilie Quernsby"
EMAIL = "o.quernsby.55@example.org"
PRIVACY = Path(__file__).resolve().parents[1] / "docs" / "privacy.md"
SOUTH, EAST = staff("south", Role.lender), staff("east", Role.lender)


@pytest.fixture
def ill(store, clock):
    return IllService(store, clock=clock)


def place(ill, card=CARD, work="w1"):
    return ill.place_request(
        patron(card),
        work_id=work,
        title="Moby-Dick",
        holdings=holdings(south="available", east="on_loan"),
    )


def rows(store, table) -> list[dict]:
    key = table.c.seq if "seq" in table.c else table.c.id
    with store.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(table.select().order_by(key))]


def test_closed_requests_lose_their_patron_after_the_retention_period(ill, store, clock):
    cancelled = place(ill, work="w-cancelled")
    ill.act(cancelled.id, patron(CARD), Action.Cancel, note=f"call me, {NAME}")
    clock.advance(days=10)
    recent = place(ill, work="w-recent")
    ill.act(recent.id, SOUTH, Action.CannotSupply, reason="NotOnShelf")
    ill.act(recent.id, EAST, Action.CannotSupply, reason="Damaged")  # closes: Unfilled
    still_open = place(ill, work="w-open")
    before = {table.name: rows(store, table) for table in (schema.requests, schema.events)}

    clock.advance(days=DEFAULT_RETENTION_DAYS - 10)  # cancelled: 90 days closed, recent: 80
    assert anonymise_closed(store, clock(), DEFAULT_RETENTION_DAYS) == 1
    after = {table.name: rows(store, table) for table in (schema.requests, schema.events)}

    expected_requests = [
        {**row, "patron_ref": "", "version": row["version"] + 1}
        if row["id"] == cancelled.id
        else row
        for row in before["ill_requests"]
    ]
    assert after["ill_requests"] == expected_requests
    expected_events = [
        {**row, "actor": ANONYMOUS_PATRON, "note": ""}
        if row["request_id"] == cancelled.id and row["role"] == "patron"
        else row
        for row in before["ill_events"]
    ]
    assert after["ill_events"] == expected_events
    assert [r["id"] for r in rows(store, schema.outbox) if r["request_id"] == cancelled.id] == []
    assert {r.id for r in ill.requests_for_patron(patron(CARD))} == {still_open.id, recent.id}
    kept = store.get(cancelled.id)
    assert (kept.work_id, kept.borrowing_library, kept.state.name) == (
        "w-cancelled", "north", "Cancelled/closed",
    )  # fmt: skip
    assert kept.created_at == cancelled.created_at

    clock.advance(days=10)
    assert anonymise_closed(store, clock(), DEFAULT_RETENTION_DAYS) == 1  # now `recent`
    assert anonymise_closed(store, clock(), DEFAULT_RETENTION_DAYS) == 0
    assert [r.id for r in ill.requests_for_patron(patron(CARD))] == [still_open.id]


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    return caplog


def leaked(caplog, secrets: list[str]) -> list[str]:
    """Secrets in any record but the test SMTP server's own (`mail.log`: not fedcat's)."""
    records = [r for r in caplog.records if not r.name.startswith("mail.log")]
    texts = []
    for record in records:
        texts += [record.getMessage(), repr(record.args), str(record.exc_info)]
    return [secret for secret in secrets if secret in "\n".join(texts)]


def test_placing_acting_and_housekeeping_log_no_patron_data(
    all_logs, store_factory, clock, tmp_path, smtp_server
):
    accounts = SqliteAccountStore(tmp_path / "accounts.sqlite")
    AccountService(accounts).add_patron("north", CARD, NAME, EMAIL, "5501")
    registry = 'id = "south"\nname = "S"\nbase_url = "http://127.0.0.1:1/"\nill_email = "i@s.ex"'
    addresses = address_book(accounts, parse_registry("[[partner]]\n" + registry))
    ill = IllService(store_factory.open(), clock=clock)
    request = place(ill)
    ill.act(request.id, SOUTH, Action.Shipped)
    borrower = staff("north", Role.borrower)
    for action in (Action.Received, Action.OnHoldShelf, Action.LentToPatron):
        ill.act(request.id, borrower, action)
    second = place(ill, work="w2")
    ill.act(second.id, patron(CARD), Action.Cancel, note=NAME)
    clock.advance(days=DEFAULT_RETENTION_DAYS + 30)
    ill.expire_unanswered(), ill.mark_overdue()
    smtp = SmtpSettings("127.0.0.1", smtp_server.port)
    assert (
        send_due(ill.store, addresses, smtp, clock()).sent == 5
    )  # 2 new, shipped, pickup, overdue
    smtp_server.stop()
    place(ill, work="w3")
    assert send_due(ill.store, addresses, smtp, clock()).retry == 1
    assert anonymise_closed(ill.store, clock(), DEFAULT_RETENTION_DAYS) == 1
    accounts.close()

    assert EMAIL in [r for m in smtp_server.received for r in m.recipients]  # it was sent
    assert leaked(all_logs, [CARD, NAME, EMAIL]) == []
    loggers = {record.name for record in all_logs.records}
    assert {"ill.notify", "sqlalchemy.engine.Engine.ill"} <= loggers


def test_a_plain_engine_would_leak_the_card(all_logs, tmp_path):
    """The check above sees what an engine without the store's options logs."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'plain.sqlite'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE r (patron_ref TEXT)"))
        connection.execute(sa.text("INSERT INTO r VALUES (:p)"), {"p": f"north:{CARD}"})
    engine.dispose()
    assert leaked(all_logs, [CARD]) == [CARD]


def _ill_section() -> str:
    text = PRIVACY.read_text(encoding="utf-8")
    start = text.index("\n## Inter-library loan\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_privacy_page_names_every_request_table_and_column():
    section = _ill_section()
    for table in schema.metadata.sorted_tables:
        assert f"`{table.name}`" in section, table.name
        for column in table.columns:
            assert f"`{column.name}`" in section, f"{table.name}.{column.name}"


def test_the_privacy_page_states_the_retention_the_code_applies():
    section = _ill_section()
    defaults = {s.env: s.default for s in SETTINGS}
    assert defaults["FEDCAT_ILL_RETENTION_DAYS"] == str(DEFAULT_RETENTION_DAYS)
    assert f"{DEFAULT_RETENTION_DAYS} days after the request closed" in section
    assert "`FEDCAT_ILL_RETENTION_DAYS`" in section and "`FEDCAT_COPY_DAYS`" in section
    copy_days = CopySettings(Path(".")).days
    assert defaults["FEDCAT_COPY_DAYS"] == str(copy_days)
    assert f"{copy_days} days after the upload" in section
    assert re.search(r"No\s+name and no e-mail address is stored with a request", section)
