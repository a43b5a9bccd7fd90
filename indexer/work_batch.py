"""What a batch of records would otherwise ask the work store one record at a time.

`WorkStore.upsert` looks up each record's stored row and the works that share its match keys.
At the start of a batch (inside its transaction, which holds SQLite's write lock, so nothing
else writes meanwhile) `BatchLookups.load` asks once for all of them: which of the batch's
records are stored, and which of its match keys any stored record has. The answers stay exact
as the batch goes on: a key the batch inserts is added, and a record the batch has already
written or removed is asked about again, as before.

What it lets `upsert` skip: the candidate query of a record none of whose keys any record has
(the first copy of every work, most records of a first harvest) and the row query of a record
the batch sees unchanged or new (most records of a re-harvest). Whether a candidate work
matches is still decided record by record, in order, by `indexer.matching`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Values per `IN (...)` list, well under SQLite's bound on statement parameters.
_IN_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


@dataclass
class BatchLookups:
    #: stored JSON of the batch's records that were stored when the batch began
    stored_data: dict[str, str] = field(default_factory=dict)
    #: the batch's match keys that some record has (at the start, or written by the batch)
    present_keys: set[str] = field(default_factory=set)
    #: record keys the batch has written or removed since (asked again, not looked up here)
    touched: set[str] = field(default_factory=set)
    #: whether the store holds no operator decision (nothing in the batch adds one)
    no_overrides: bool = False

    @classmethod
    def load(
        cls, db: sqlite3.Connection, record_keys: Sequence[str], match_keys: Sequence[str]
    ) -> BatchLookups:
        found = cls()
        for chunk in _chunks(sorted(set(record_keys))):
            sql = f"SELECT record_key, data FROM records WHERE record_key IN ({_marks(chunk)})"
            found.stored_data.update(db.execute(sql, chunk))
        for chunk in _chunks(sorted(set(match_keys))):
            sql = f"SELECT DISTINCT match_key FROM record_keys WHERE match_key IN ({_marks(chunk)})"
            found.present_keys.update(key for (key,) in db.execute(sql, chunk))
        any_override = db.execute("SELECT 1 FROM work_overrides LIMIT 1").fetchone()
        found.no_overrides = any_override is None
        return found

    def known_absent(self, record_key: str) -> bool:
        """The record is surely not stored now (it was not, and the batch did not write it)."""
        return record_key not in self.touched and record_key not in self.stored_data

    def unchanged(self, record_key: str, data: str) -> bool:
        """The record is surely stored now exactly as `data`."""
        return record_key not in self.touched and self.stored_data.get(record_key) == data

    def no_candidates(self, keys: Iterable[str]) -> bool:
        """No stored record surely has any of these match keys."""
        return not any(key in self.present_keys for key in keys)

    def wrote(self, record_key: str, keys: Iterable[str]) -> None:
        self.touched.add(record_key)
        self.present_keys.update(keys)


def _marks(values: Sequence[str]) -> str:
    return ",".join("?" * len(values))
