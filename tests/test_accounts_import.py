"""Patron import from CSV files: all or nothing, every bad line named, on both stores."""

from __future__ import annotations

import pytest

from accounts.errors import ImportRefused, RowProblem, SessionInvalid, SignInRefused
from accounts.model import Account
from accounts.patron_import import read_patron_file

pytest_plugins = ["tests.fixtures.accounts_stores"]

GOOD = (
    "card_number,name,email\n"
    "P1,Ann Reader,ann@example.org\n"
    "P2,Bo Wen,\n"
    '"P3","Zhāng, Wěi",wei@example.cn\n'
)


def write(tmp_path, text: str, *, bom: bool = False, name: str = "patrons.csv"):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def problems(data: str | bytes) -> list[RowProblem]:
    with pytest.raises(ImportRefused) as refused:
        read_patron_file("east", data.encode() if isinstance(data, str) else data)
    assert refused.value.library_id == "east"
    return refused.value.problems


def test_a_file_creates_patrons_with_pins_returned_once(account_service, tmp_path):
    report = account_service.import_patrons("north", write(tmp_path, GOOD))
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert sorted(report.new_pins) == ["P1", "P2", "P3"]
    assert all(len(pin) == 8 and pin.isdigit() for pin in report.new_pins.values())
    assert account_service.store.list_accounts("north") == [
        Account(1, "north", "patron", "P1", None, "Ann Reader", "ann@example.org"),
        Account(2, "north", "patron", "P2", None, "Bo Wen", ""),
        Account(3, "north", "patron", "P3", None, "Zhāng, Wěi", "wei@example.cn"),
    ]
    signed_in = account_service.sign_in_patron("north", "P3", report.new_pins["P3"], "c")
    assert signed_in.account.name == "Zhāng, Wěi"


def test_a_byte_order_mark_and_header_spelling_do_not_matter(account_service, tmp_path):
    text = "Card Number,NAME,E-mail\r\nP1,Ann,ann@example.org\r\n"
    report = account_service.import_patrons("north", write(tmp_path, text, bom=True))
    assert report.created == 1
    assert account_service.store.find_patron("north", "P1")[0].email == "ann@example.org"


def test_a_second_import_updates_by_card_number_and_keeps_pins(account_service, tmp_path):
    first = account_service.import_patrons("north", write(tmp_path, GOOD))
    changed = GOOD.replace("Bo Wen,", "Bo Wen,bo@example.org").replace("P1,", "P9,")
    report = account_service.import_patrons("north", write(tmp_path, changed))
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert sorted(report.new_pins) == ["P9"]
    assert len(account_service.store.list_accounts("north")) == 4
    bo = account_service.sign_in_patron("north", "P2", first.new_pins["P2"], "c").account
    assert bo.email == "bo@example.org"


def test_a_pin_column_sets_pins_and_an_empty_cell_keeps_or_generates(account_service, tmp_path):
    account_service.add_patron("north", "P1", "Ann Reader", "ann@example.org", "1111")
    text = "card_number,name,email,pin\nP1,Ann Reader,ann@example.org,\nP2,Bo,,2222\nP3,Cy,,\n"
    report = account_service.import_patrons("north", write(tmp_path, text))
    assert (report.created, report.updated, report.unchanged) == (2, 0, 1)
    assert sorted(report.new_pins) == ["P3"]
    assert account_service.sign_in_patron("north", "P1", "1111", "c").account.name == "Ann Reader"
    assert account_service.sign_in_patron("north", "P2", "2222", "c").account.name == "Bo"
    with pytest.raises(SignInRefused):
        account_service.sign_in_patron("north", "P3", "2222", "c")
    text = "card_number,name,email,pin\nP1,Ann Reader,ann@example.org,3333\n"
    report = account_service.import_patrons("north", write(tmp_path, text))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert account_service.sign_in_patron("north", "P1", "3333", "c").account.card_number == "P1"


def test_the_same_card_number_at_another_library_is_another_patron(account_service, tmp_path):
    account_service.import_patrons("north", write(tmp_path, GOOD))
    report = account_service.import_patrons("south", write(tmp_path, GOOD))
    assert report.created == 3
    assert len(account_service.store.list_accounts()) == 6


def test_other_columns_are_ignored_named_and_not_kept(account_service, tmp_path):
    text = "card_number,name,address,email,birth date\nP1,Ann,1 High St,ann@example.org,1990\n"
    report = account_service.import_patrons("north", write(tmp_path, text))
    assert report.ignored_columns == ["address", "birth_date"]
    assert account_service.export_patron_data(
        account_service.store.find_patron("north", "P1")[0]
    ) == {
        "library_id": "north",
        "role": "patron",
        "card_number": "P1",
        "name": "Ann",
        "email": "ann@example.org",
        "pin": "stored only as an argon2 hash, which cannot be turned back into the PIN",
        "sessions": [],
        "failed_sign_ins": 0,
    }


def test_one_bad_row_refuses_the_file_and_writes_nothing(account_service, tmp_path):
    text = GOOD + "P4,Dee,not-an-email\nP5,,e@example.org\n"
    with pytest.raises(ImportRefused) as refused:
        account_service.import_patrons("north", write(tmp_path, text))
    assert refused.value.library_id == "north"
    assert refused.value.problems == [
        RowProblem(5, "email: not an e-mail address (like name@example.org)"),
        RowProblem(6, "name: must not be empty"),
    ]
    assert str(refused.value).startswith("patron file for north refused, nothing imported: line 5")
    assert account_service.store.list_accounts() == []


def test_line_numbers_count_blank_lines_and_quoted_newlines():
    text = 'card_number,name,email\n\nP1,"Ann\nReader",a@example.org\nP 2,Bo,\n'
    assert problems(text) == [
        RowProblem(5, "card number: 1-64 letters, digits, '.' or '-', no spaces")
    ]


def test_a_repeated_card_number_names_both_lines():
    text = "card_number,name,email\nP1,Ann,\nP2,Bo,\nP1,Ann again,\n"
    assert problems(text) == [RowProblem(4, "the card number of line 2 again")]


def test_a_row_with_the_wrong_number_of_cells_is_named():
    assert problems("card_number,name,email\nP1,Ann\nP2,Bo,,extra\n") == [
        RowProblem(2, "2 cells, the header has 3"),
        RowProblem(3, "4 cells, the header has 3"),
    ]


def test_a_file_that_is_not_utf8_is_refused_at_its_line():
    data = b"card_number,name,email\nP1,Ann,\n" + "P2,Zoë,\n".encode("latin-1")
    assert problems(data) == [RowProblem(3, "not UTF-8 text: save the file as CSV UTF-8")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header row: the first line must name the columns card_number, name, email"),
        (
            "card_number;name;email\nP1;Ann;\n",
            "columns are separated by ';': save the file with commas (CSV)",
        ),
        (
            "card_number,name\nP1,Ann\n",
            "missing column(s) email; the header has card_number, name",
        ),
        ("card_number,name,email,Name\n", "column(s) name appear more than once"),
    ],
)
def test_a_bad_header_is_refused_at_line_one(text, message):
    assert problems(text) == [RowProblem(1, message)]


def test_broken_csv_quoting_is_refused_with_its_line():
    found = problems('card_number,name,email\nP1,"Ann" x,\n')
    assert [p.line for p in found] == [2]
    assert found[0].message.startswith("not valid CSV (")


def test_a_new_pin_from_a_file_ends_that_patrons_sessions(account_service, tmp_path):
    account_service.add_patron("north", "P1", "Ann", "", "1111")
    account_service.add_patron("north", "P2", "Bo", "", "2222")
    ann = account_service.sign_in_patron("north", "P1", "1111", "c").token
    bo = account_service.sign_in_patron("north", "P2", "2222", "c").token
    text = "card_number,name,email,pin\nP1,Ann,,5555\nP2,Bo,,\n"
    account_service.import_patrons("north", write(tmp_path, text))
    with pytest.raises(SessionInvalid):
        account_service.session(ann)
    assert account_service.session(bo)[0].card_number == "P2"
