"""No password, PIN, card number, e-mail, name, token or client address reaches a log record;
`docs/privacy.md` says what the account tables keep, and for how long."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from accounts import schema
from accounts.cli import users
from accounts.errors import ImportRefused, SignInRefused, SignInThrottled
from accounts.model import SessionPolicy, ThrottlePolicy

pytest_plugins = ["tests.fixtures.accounts_stores"]

CARD = "CARD7730551"
PIN = "pin-5521-x"
EMAIL = "ann.reader.7731@example.org"
NAME = "Annabel Zyxwood"
USERNAME = "desk.qvort"
PASSWORD = "pw-correct-horse-88"
CLIENT = "198.51.100.23"
PRIVACY = Path(__file__).resolve().parents[1] / "docs" / "privacy.md"


@pytest.fixture
def all_logs(caplog):
    """Every logger at DEBUG, SQLAlchemy's SQL log included (it is on before stores open)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # it sets itself to WARNING on import
    return caplog


def leaked(caplog, secrets: list[str]) -> list[str]:
    texts = [caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), str(record.exc_info)]
    joined = "\n".join(texts)
    return [secret for secret in secrets if secret in joined]


def test_sign_in_import_and_tokens_log_nothing_personal(
    all_logs, account_store_factory, make_account_service, tmp_path
):
    service = make_account_service(account_store_factory.open())
    patron, _ = service.add_patron("north", CARD, NAME, EMAIL, PIN)
    service.add_staff("north", USERNAME, PASSWORD, name=NAME, email=EMAIL)
    signed_in = service.sign_in_patron("north", CARD, PIN, CLIENT)
    service.session(signed_in.token)
    staff = service.sign_in_staff(USERNAME, PASSWORD, CLIENT)
    for _ in range(6):
        with pytest.raises((SignInRefused, SignInThrottled)):
            service.sign_in_patron("north", CARD, PIN + "-wrong", CLIENT)
    with pytest.raises(SignInRefused):
        service.sign_in_staff(USERNAME, PASSWORD + "-wrong", CLIENT)
    good = tmp_path / "good.csv"
    good.write_text(f"card_number,name,email,pin\n{CARD},{NAME},{EMAIL},{PIN}\nC2,Bo Q,,\n")
    report = service.import_patrons("north", good)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"card_number,name,email\n{CARD},{NAME},{EMAIL}x@\n{CARD},,\n")
    with pytest.raises(ImportRefused):
        service.import_patrons("north", bad)
    token = service.create_token("north", "discovery")
    service.authenticate_token(token.secret)
    service.export_patron_data(patron)
    service.revoke_all_sessions(patron.id)
    service.set_secret(patron.id, PIN + "2")

    secrets = [CARD, PIN, EMAIL, NAME, USERNAME, PASSWORD, CLIENT, signed_in.token]
    secrets += [staff.token, token.secret, *report.new_pins.values()]
    assert leaked(all_logs, secrets) == []
    loggers = {record.name for record in all_logs.records}
    assert "accounts" in loggers and "sqlalchemy.engine.Engine.accounts" in loggers
    messages = [r.getMessage() for r in all_logs.records if r.name == "accounts"]
    assert f"account {patron.id} (patron, library north) signed in" in messages
    assert "sign-in refused (library north): unknown account or wrong secret" in messages
    assert "patron import for north: 1 created, 1 updated, 0 unchanged" in messages
    assert "patron import for north refused: 2 problem(s), line(s) 2, 3" in messages


@pytest.mark.parametrize("shown", ["parameter", "row"])
def test_the_check_sees_what_a_plain_engine_logs(all_logs, tmp_path, shown):
    """A plain engine logs bound values (INFO) and rows (DEBUG): the store's engines do not."""
    engine = sa.create_engine(
        f"sqlite:///{tmp_path / 'plain.sqlite'}", hide_parameters=shown == "row"
    )
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE cards (card TEXT)"))
        connection.execute(sa.text("INSERT INTO cards VALUES (:card)"), {"card": CARD})
        assert connection.execute(sa.text("SELECT card FROM cards")).scalar_one() == CARD
    engine.dispose()
    assert leaked(all_logs, [CARD]) == [CARD]
    if shown == "row":
        assert not any(
            CARD in r.getMessage() for r in all_logs.records if r.levelno > logging.DEBUG
        )


def test_the_cli_logs_nothing_personal(all_logs, tmp_path):
    db = str(tmp_path / "accounts.sqlite")
    path = tmp_path / "north.csv"
    path.write_text(f"card_number,name,email\n{CARD},{NAME},{EMAIL}\n")
    runner = CliRunner()
    assert (
        runner.invoke(
            users, ["--db", db, "import-patrons", str(path), "--library", "north"]
        ).exit_code
        == 0
    )
    add = ["--db", db, "add", "--library", "north", "--username", USERNAME]
    assert runner.invoke(users, add, input=f"{PASSWORD}\n" * 2).exit_code == 0
    assert leaked(all_logs, [CARD, NAME, EMAIL, USERNAME, PASSWORD]) == []
    assert any(r.name == "accounts" for r in all_logs.records)


def _accounts_section() -> str:
    text = PRIVACY.read_text(encoding="utf-8")
    start = text.index("\n## Accounts\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_privacy_page_names_every_account_table_and_column():
    section = _accounts_section()
    for table in schema.metadata.sorted_tables:
        assert f"`{table.name}`" in section, table.name
        for column in table.columns:
            assert f"`{column.name}`" in section, f"{table.name}.{column.name}"


def test_the_privacy_page_states_the_retention_the_code_applies():
    section = _accounts_section()
    sessions, throttle = SessionPolicy(), ThrottlePolicy()
    hours = int(sessions.absolute.total_seconds() // 3600)
    minutes = int(sessions.idle.total_seconds() // 60)
    forget = int(throttle.forget_after.total_seconds() // 3600)
    assert f"{minutes} minutes" in section and f"{hours} hours" in section
    assert f"{forget} hours" in section
    assert (
        f"{throttle.account_free} failed" in section and f"{throttle.client_free} failed" in section
    )
    assert re.search(r"no other patron data", section, re.IGNORECASE)
