"""Load a library's patrons from a CSV file: card number, name, e-mail, and optionally a PIN.

The file is all or nothing: every row is checked first, and if any is bad the whole file is
refused with every bad line named (`ImportRefused`), and nothing is written. A library fixes
its export and loads it again; it never has to work out which half of a file went in.
Good files are upserted by card number within the library in one transaction.

Columns (header row, any order, names case-insensitive, spaces or '-' as '_'):
`card_number` (or `card`), `name`, `email` (or `e-mail`; required, but a cell may be empty),
`pin` (optional).
Other columns are ignored and named in the report: fedcat keeps no other patron data. A patron
new to fedcat without a PIN cell gets a generated PIN, returned once in the report; an existing
patron without one keeps their PIN. The file is UTF-8, with or without a byte-order mark.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts import fields
from accounts.errors import ImportRefused, InvalidAccount, RowProblem
from accounts.model import ImportReport
from accounts.passwords import generate_pin
from accounts.store import PatronRow

if TYPE_CHECKING:
    from accounts.service import AccountService

log = logging.getLogger("accounts")

REQUIRED = ("card_number", "name", "email")
OPTIONAL = ("pin",)
#: other spellings of the column names that library systems export
ALIASES = {"card": "card_number", "cardnumber": "card_number", "e_mail": "email"}


@dataclass(frozen=True)
class PatronLine:
    line: int
    card_number: str
    name: str
    email: str
    pin: str | None


def import_patrons(service: AccountService, library_id: str, data: bytes) -> ImportReport:
    """Check the whole file, then upsert it; raises `ImportRefused` with nothing written."""
    try:
        patrons, ignored = read_patron_file(library_id, data)
    except ImportRefused as refused:
        lines = ", ".join(str(p.line) for p in refused.problems[:20])
        log.warning(
            "patron import for %s refused: %d problem(s), line(s) %s",
            library_id,
            len(refused.problems),
            lines,
        )
        raise refused from None
    report = ImportReport(library_id, ignored_columns=ignored)
    existing = service.store.existing_cards(library_id, (p.card_number for p in patrons))
    rows = []
    for patron in patrons:
        pin = patron.pin
        if pin is None and patron.card_number not in existing:
            pin = report.new_pins[patron.card_number] = generate_pin()
        secret_hash = service.hasher.hash(pin) if pin is not None else None
        rows.append(PatronRow(patron.card_number, patron.name, patron.email, secret_hash))
    done = service.store.upsert_patrons(library_id, rows)
    report.created, report.updated, report.unchanged = done.created, done.updated, done.unchanged
    if done.new_secret:  # a new PIN ends the sessions begun with the old one
        service.store.delete_sessions_of(done.new_secret)
    log.info(
        "patron import for %s: %d created, %d updated, %d unchanged",
        library_id,
        report.created,
        report.updated,
        report.unchanged,
    )
    return report


def read_patron_file(library_id: str, data: bytes) -> tuple[list[PatronLine], list[str]]:
    """The checked patrons of a file and the names of ignored columns, or `ImportRefused`."""
    try:
        return _read(data)
    except _Refused as refused:
        raise ImportRefused(library_id, refused.problems) from None


class _Refused(Exception):
    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems


def _read(data: bytes) -> tuple[list[PatronLine], list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _refused(line, "not UTF-8 text: save the file as CSV UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        columns, ignored = _columns(header)
        patrons, problems = _rows(reader, columns, len(header or ()))
    except csv.Error as exc:
        raise _refused(reader.line_num, f"not valid CSV ({exc})") from None
    if problems:
        raise _Refused(problems)
    return patrons, ignored


def _columns(header: list[str] | None) -> tuple[dict[str, int], list[str]]:
    if not header or not any(cell.strip() for cell in header):
        raise _refused(
            1, "no header row: the first line must name the columns " + ", ".join(REQUIRED)
        )
    names = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in header]
    names = [ALIASES.get(name, name) for name in names]
    if len(names) == 1 and ";" in names[0]:
        raise _refused(1, "columns are separated by ';': save the file with commas (CSV)")
    repeated = sorted({n for n in names if names.count(n) > 1 and n})
    if repeated:
        raise _refused(1, f"column(s) {', '.join(repeated)} appear more than once")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise _refused(
            1, f"missing column(s) {', '.join(missing)}; the header has {', '.join(names)}"
        )
    known = REQUIRED + OPTIONAL
    return {n: i for i, n in enumerate(names) if n in known}, [n for n in names if n not in known]


def _rows(reader, columns: dict[str, int], width: int) -> tuple[list[PatronLine], list[RowProblem]]:
    patrons: list[PatronLine] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != width:
            problems.append(RowProblem(start, f"{len(cells)} cells, the header has {width}"))
            continue
        try:
            patron = _patron(start, cells, columns)
        except InvalidAccount as exc:
            problems.append(RowProblem(start, str(exc)))
            continue
        if patron.card_number in seen:
            first = seen[patron.card_number]
            problems.append(RowProblem(start, f"the card number of line {first} again"))
            continue
        seen[patron.card_number] = start
        patrons.append(patron)
    return patrons, problems


def _patron(line: int, cells: list[str], columns: dict[str, int]) -> PatronLine:
    pin_cell = cells[columns["pin"]] if "pin" in columns else ""
    return PatronLine(
        line=line,
        card_number=fields.card_number(cells[columns["card_number"]]),
        name=fields.name(cells[columns["name"]]),
        email=fields.email(cells[columns["email"]]),
        pin=fields.pin(pin_cell.strip()) if pin_cell.strip() else None,
    )


def _refused(line: int, message: str) -> _Refused:
    return _Refused([RowProblem(line, message)])
