"""`users` and `tokens` command groups, run through click against a real SQLite file."""

from __future__ import annotations

import csv
import io

import click
import pytest
from click.testing import CliRunner

from accounts.cli import register, tokens, users
from accounts.service import AccountService
from accounts.store import open_store

PASSWORD = "correct horse battery"


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "accounts.sqlite")


def run(group, db: str, *args: str, input: str | None = None):
    return CliRunner().invoke(group, ["--db", db, *args], input=input)


def service_over(db: str) -> AccountService:
    return AccountService(open_store(db))


def test_users_add_staff_asks_for_the_password_twice_and_it_signs_in(db):
    result = run(
        users, db, "add", "--library", "north", "--username", "desk", input=f"{PASSWORD}\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "added staff account 1 (desk) at north"
    assert PASSWORD not in result.output
    service = service_over(db)
    assert service.sign_in_staff("desk", PASSWORD, "cli-test").account.library_id == "north"
    service.store.close()


def test_users_add_patron_prints_a_generated_pin_once(db):
    args = ("add", "--library", "south", "--role", "patron", "--card", "S1", "--name", "Bo")
    result = run(users, db, *args, "--generate-pin")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "added patron account 1 at south"
    pin = lines[1].removeprefix("PIN (shown once): ")
    service = service_over(db)
    assert service.sign_in_patron("south", "S1", pin, "cli-test").account.name == "Bo"
    service.store.close()


def test_users_add_refuses_wrong_combinations_and_bad_fields(db):
    no_card = run(users, db, "add", "--library", "north", "--role", "patron", "--name", "x")
    assert no_card.exit_code == 2
    assert "a patron has --card (and no --username)" in no_card.output
    short = run(users, db, "add", "--library", "north", "--username", "desk", input="short\n" * 2)
    assert short.exit_code == 1
    assert short.output.endswith("Error: password: 12-1024 characters\n")
    twice = ("add", "--library", "north", "--username", "desk")
    assert run(users, db, *twice, input=f"{PASSWORD}\n" * 2).exit_code == 0
    again = run(users, db, *twice, input=f"{PASSWORD}\n" * 2)
    assert again.exit_code == 1
    assert again.output.endswith("Error: the consortium already has this username\n")


def test_users_list_shows_each_account(db):
    run(users, db, "add", "--library", "north", "--username", "desk", input=f"{PASSWORD}\n" * 2)
    run(users, db, "add", "--library", "north", "--role", "patron", "--card", "P1", "--name",
        "Ann Reader", input="4711\n4711\n")  # fmt: skip
    result = run(users, db, "list")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "     2  north        patron    P1                   Ann Reader",
        "     1  north        staff     desk                 ",
    ]
    assert run(users, db, "list", "--role", "staff").stdout.splitlines() == [
        "     1  north        staff     desk                 "
    ]


def test_import_patrons_reports_counts_and_prints_the_new_pins(db, tmp_path):
    path = tmp_path / "north.csv"
    path.write_text("card_number,name,email,notes\nP1,Ann,a@example.org,x\nP2,Bo,,y\n")
    result = run(users, db, "import-patrons", str(path), "--library", "north")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "north: 2 created, 0 updated, 0 unchanged",
        "ignored columns (not kept): notes",
        "generated PINs for 2 new patron(s), shown once:",
    ]
    pins = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["card_number"] for row in pins] == ["P1", "P2"]
    service = service_over(db)
    assert service.sign_in_patron("north", "P2", pins[1]["pin"], "c").account.name == "Bo"
    service.store.close()
    again = run(users, db, "import-patrons", str(path), "--library", "north")
    assert again.stderr.splitlines() == [
        "north: 0 created, 0 updated, 2 unchanged",
        "ignored columns (not kept): notes",
    ]
    assert again.stdout == ""


def test_import_patrons_can_write_the_pins_to_a_private_file(db, tmp_path):
    path = tmp_path / "north.csv"
    path.write_text("card_number,name,email\nP1,Ann,\n")
    pins = tmp_path / "pins.csv"
    result = run(
        users, db, "import-patrons", str(path), "--library", "north", "--pins-file", str(pins)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert pins.stat().st_mode & 0o777 == 0o600
    rows = list(csv.reader(pins.open()))
    assert rows[0] == ["card_number", "pin"] and rows[1][0] == "P1" and len(rows[1][1]) == 8


def test_a_refused_import_names_every_bad_line_and_imports_nothing(db, tmp_path):
    path = tmp_path / "north.csv"
    path.write_text("card_number,name,email\nP1,Ann,\nP2,,\nP3,Cy,bad\n")
    result = run(users, db, "import-patrons", str(path), "--library", "north")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: north: the file was refused and nothing was imported:\n"
        "  line 3: name: must not be empty\n"
        "  line 4: email: not an e-mail address (like name@example.org)\n"
    )
    assert run(users, db, "list").stdout == ""


def test_revoke_sessions_signs_an_account_out_everywhere(db):
    service = service_over(db)
    account = service.add_staff("north", "desk", PASSWORD)
    token = service.sign_in_staff("desk", PASSWORD, "c").token
    service.sign_in_staff("desk", PASSWORD, "c")
    result = run(users, db, "revoke-sessions", str(account.id))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ended 2 session(s) of account {account.id}\n"
    assert service.sessions_of(account.id) == []
    missing = run(users, db, "revoke-sessions", "99")
    assert missing.exit_code == 1 and "no account 99" in missing.output
    assert token not in result.output
    service.store.close()


def test_tokens_create_list_and_revoke(db):
    created = run(tokens, db, "create", "--library", "north", "--name", "north discovery")
    assert created.exit_code == 0, created.output
    header, secret = created.stdout.splitlines()
    token_id = header.split()[1]
    assert header == f"token {token_id} for north (north discovery), shown once:"
    service = service_over(db)
    assert service.authenticate_token(secret).library_id == "north"
    listed = run(tokens, db, "list").stdout.splitlines()
    assert len(listed) == 1 and listed[0].startswith(f"{token_id}  north        north discovery")
    assert secret not in run(tokens, db, "list").output
    assert run(tokens, db, "revoke", token_id).stdout == f"revoked token {token_id}\n"
    assert run(tokens, db, "list").stdout == ""
    gone = run(tokens, db, "revoke", token_id)
    assert gone.exit_code == 1 and f"no API token {token_id}" in gone.output
    service.store.close()


def test_the_store_comes_from_the_environment_and_the_groups_register(db, monkeypatch):
    main = click.Group("fedcat")
    register(main)
    assert sorted(main.commands) == ["tokens", "users"]
    runner = CliRunner(env={"FEDCAT_DATABASE": db})
    result = runner.invoke(main, ["tokens", "create", "--library", "east", "--name", "widget"])
    assert result.exit_code == 0, result.output
    assert run(tokens, db, "list").stdout.split()[1:3] == ["east", "widget"]


def test_without_a_store_setting_it_lives_in_the_data_dir(tmp_path):
    runner = CliRunner(env={"FEDCAT_DATA_DIR": str(tmp_path), "FEDCAT_DATABASE": None})
    result = runner.invoke(tokens, ["create", "--library", "east", "--name", "widget"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "shared.sqlite").is_file()
    assert run(tokens, str(tmp_path / "shared.sqlite"), "list").stdout.split()[1] == "east"


def test_users_remove_asks_first_then_deletes_the_account(db):
    service = service_over(db)
    account, _ = service.add_patron("north", "P1", "Ann", "", "1111")
    service.store.close()
    kept = run(users, db, "remove", str(account.id), input="n\n")
    assert kept.exit_code == 1
    assert run(users, db, "list").stdout.split()[3] == "P1"
    removed = run(users, db, "remove", str(account.id), "--yes")
    assert removed.exit_code == 0, removed.output
    assert removed.stdout == f"removed account {account.id}\n"
    assert run(users, db, "list").stdout == ""
    again = run(users, db, "remove", str(account.id), "--yes")
    assert again.exit_code == 1 and f"no account {account.id}" in again.output
