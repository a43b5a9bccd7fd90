"""The bundled demo partner libraries: slices of real records from ../shared/data.

Three libraries hold overlapping parts of the same real catalogs (French university books,
jazz recordings, the Evergreen "concerto" set), so many titles are held by two or three of
them; a fourth holds real Japanese and Chinese records (the National Diet Library's, and
Beijing Normal University's in MARC 21 and in CNMARC). Each library's copy gets its own local
id, location, call number and item status in a SirsiDynix-style 949 item field, as real ILS
exports carry them.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymarc

from config.settings import REPO_ROOT

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class DemoLibrary:
    id: str
    name: str
    port: int
    location: str
    #: (source file under shared/data, first record, last record + 1)
    slices: tuple[tuple[str, int, int], ...]


LIBRARIES = (
    DemoLibrary(
        "north",
        "North City Public Library",
        8401,
        "Main Library",
        (
            ("evergreen/jazz_1k.mrc", 0, 600),
            ("evergreen/bibs_concerto.sql", 0, 60),
            ("evergreen/lul_fre_500.mrc", 0, 150),
        ),
    ),
    DemoLibrary(
        "south",
        "South University Library",
        8402,
        "University Stacks",
        (
            ("evergreen/lul_fre_500.mrc", 0, 500),
            ("evergreen/jazz_1k.mrc", 400, 700),
        ),
    ),
    DemoLibrary(
        "east",
        "East County Music Library",
        8403,
        "Music Room",
        (
            ("evergreen/jazz_1k.mrc", 500, 1000),
            ("evergreen/bibs_concerto.sql", 30, 100),
            ("evergreen/lul_fre_500.mrc", 100, 160),
        ),
    ),
    DemoLibrary(
        "asia",
        "Asia Collections Library",
        8404,
        "East Asian Stacks",
        (
            # the National Diet Library's Japanese books (kanji 245, kana reading in 880)
            ("cjk/enju-ndl/marc21.dat", 0, 233),
            # Beijing Normal University: MARC 21 and CNMARC records (pinyin in $A/$F)
            ("cjk/dp2-bnu-sru/sample_marcxml.xml", 0, 10),
            ("cjk/dp2-bnu-sru/sample_cnmarcxml.xml", 0, 10),
        ),
    ),
)


def _stable_fraction(*parts: str) -> float:
    digest = hashlib.sha1("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _source_records(path: Path) -> list[pymarc.Record]:
    from indexer.marc_readers import marc_records_from_file, marc_records_from_sql

    reader = marc_records_from_sql if path.suffix == ".sql" else marc_records_from_file
    return list(reader(path))


def _call_number(record: pymarc.Record) -> str:
    for tag, code in (("949", "a"), ("050", "a"), ("090", "a"), ("082", "a")):
        for field in record.get_fields(tag):
            values = field.get_subfields(code)
            if values:
                return " ".join(values).strip()
    return ""


def _library_copy(record: pymarc.Record, library: DemoLibrary, local_id: str) -> pymarc.Record:
    """The record as this library's catalog would export it."""
    copy_ = copy.deepcopy(record)
    call_number = _call_number(record)
    for tag in ("001", "003", "852", "949", "952"):
        copy_.remove_fields(tag)
    copy_.add_ordered_field(pymarc.Field(tag="001", data=local_id))
    chance = _stable_fraction(library.id, local_id)
    item = [
        pymarc.Subfield("a", call_number or "Unclassified"),
        pymarc.Subfield("l", library.location),
        pymarc.Subfield("m", library.id.upper()),
        pymarc.Subfield("r", "N" if chance > 0.9 else "Y"),
    ]
    if chance < 0.2:
        item.append(pymarc.Subfield("k", "CHECKEDOUT"))
    copy_.add_ordered_field(pymarc.Field(tag="949", indicators=[" ", " "], subfields=item))
    return copy_


@dataclass
class DemoRecord:
    identifier: str
    datestamp: datetime
    record: pymarc.Record


def library_records(library: DemoLibrary, data_dir: Path = SHARED_DATA) -> Iterator[DemoRecord]:
    """This library's demo catalog, in a stable order with datestamps over a few days."""
    if not data_dir.is_dir():
        raise FileNotFoundError(
            f"demo data not found at {data_dir}: the demo reads the real records in "
            "../shared/data beside the repository"
        )
    base = datetime(2026, 11, 1, tzinfo=UTC)
    n = 0
    for source, start, stop in library.slices:
        for position, record in enumerate(_source_records(data_dir / source)[start:stop], start):
            local_id = f"{Path(source).stem}-{position}"
            stamp = base + timedelta(minutes=n * 7)
            yield DemoRecord(
                f"oai:{library.id}.demo:{local_id}", stamp, _library_copy(record, library, local_id)
            )
            n += 1
