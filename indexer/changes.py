"""The journal of fedcat's own changes to works: what an OAI-PMH harvester of fedcat reads.

Every time the catalogue sends the engine a work, the journal keeps the work's datestamp (the
moment its display form last changed, in UTC seconds), a digest of that form, the OAI-PMH
sets it belongs to, and whether it is deleted. A rebuild that changes nothing moves no
datestamp; a work that goes away stays as a deleted entry for good (deletedRecord
"persistent"). It lives in the state file beside the work store, written in the same
transaction, so what it says is what the store says.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from indexer.payloads import WorkPayload

SCHEMA = """
CREATE TABLE IF NOT EXISTS work_changes (
    work_id TEXT PRIMARY KEY,
    datestamp TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    digest TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS work_changes_order ON work_changes(datestamp, work_id);
CREATE TABLE IF NOT EXISTS work_sets (
    set_spec TEXT NOT NULL,
    work_id TEXT NOT NULL,
    PRIMARY KEY (set_spec, work_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS work_sets_work ON work_sets(work_id);
"""
#: The set hierarchy: a work is in ``library:<partner id>`` per holding library and in
#: ``format:<format>``, and in their parents ``library`` and ``format``.
LIBRARY_SET, FORMAT_SET = "library", "format"


def set_specs(payload: WorkPayload) -> list[str]:
    """The OAI-PMH sets of a work."""
    libraries = sorted({h["library_id"] for h in payload["holdings"]})
    specs = [f"{LIBRARY_SET}:{library}" for library in libraries]
    if libraries:
        specs.insert(0, LIBRARY_SET)
    if payload["format"]:
        specs += [FORMAT_SET, f"{FORMAT_SET}:{payload['format']}"]
    return specs


def digest(payload: WorkPayload) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WorkJournal:
    """Writes the journal; callers own the transaction (the catalogue's batch)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.executescript(SCHEMA)

    def note(
        self, payloads: Mapping[str, WorkPayload], removed: Collection[str], now: str = ""
    ) -> None:
        """Record the works sent to the engine (changed ones get `now`) and those removed."""
        now = now or utc_now()
        known = self._digests([*payloads, *removed])
        for work_id, payload in payloads.items():
            fingerprint = digest(payload)
            if known.get(work_id) == (fingerprint, 0):
                continue
            self.db.execute(
                "INSERT INTO work_changes (work_id, datestamp, deleted, digest) "
                "VALUES (?, ?, 0, ?) ON CONFLICT (work_id) DO UPDATE SET "
                "datestamp = excluded.datestamp, deleted = 0, digest = excluded.digest",
                (work_id, now, fingerprint),
            )
            self.db.execute("DELETE FROM work_sets WHERE work_id = ?", (work_id,))
            self.db.executemany(
                "INSERT INTO work_sets (set_spec, work_id) VALUES (?, ?)",
                [(spec, work_id) for spec in set_specs(payload)],
            )
        for work_id in removed:
            state = known.get(work_id)
            if state is None or state[1] == 1 or work_id in payloads:
                continue
            self.db.execute(
                "UPDATE work_changes SET deleted = 1, datestamp = ? WHERE work_id = ?",
                (now, work_id),
            )

    def _digests(self, work_ids: list[str]) -> dict[str, tuple[str, int]]:
        found: dict[str, tuple[str, int]] = {}
        for start in range(0, len(work_ids), 500):
            chunk = work_ids[start : start + 500]
            sql = (
                "SELECT work_id, digest, deleted FROM work_changes "
                f"WHERE work_id IN ({','.join('?' * len(chunk))})"
            )
            for work_id, fingerprint, deleted in self.db.execute(sql, chunk):
                found[work_id] = (fingerprint, deleted)
        return found


@dataclass(frozen=True)
class JournalEntry:
    work_id: str
    datestamp: str
    deleted: bool
    sets: tuple[str, ...]


class JournalReader:
    """Reads the journal in datestamp order, for the OAI-PMH provider (read-only)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def has_journal(self) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'work_changes'"
        ).fetchone()
        return row is not None

    def earliest(self) -> str | None:
        if not self.has_journal():
            return None
        row = self.db.execute("SELECT MIN(datestamp) FROM work_changes").fetchone()
        return row[0] if row else None

    def entry(self, work_id: str) -> JournalEntry | None:
        if not self.has_journal():
            return None
        row = self.db.execute(
            "SELECT work_id, datestamp, deleted FROM work_changes WHERE work_id = ?", (work_id,)
        ).fetchone()
        return self._entry(row) if row else None

    def count(self, start: str, until: str, set_spec: str | None) -> int:
        if not self.has_journal():
            return 0
        sql, args = self._where(start, until, set_spec)
        return self.db.execute(f"SELECT COUNT(*) FROM work_changes c {sql}", args).fetchone()[0]

    def page(
        self,
        start: str,
        until: str,
        set_spec: str | None,
        after: tuple[str, str] | None,
        size: int,
    ) -> list[JournalEntry]:
        """Up to `size` entries with start <= datestamp <= until (in `set_spec`), in
        (datestamp, work id) order, after the entry `after` (the previous page's last)."""
        if not self.has_journal():
            return []
        sql, args = self._where(start, until, set_spec)
        if after is not None:
            sql += " AND (c.datestamp, c.work_id) > (?, ?)"
            args += list(after)
        rows = self.db.execute(
            "SELECT c.work_id, c.datestamp, c.deleted FROM work_changes c "
            f"{sql} ORDER BY c.datestamp, c.work_id LIMIT ?",
            [*args, size],
        )
        return [self._entry(row) for row in rows]

    def set_counts(self) -> Iterator[tuple[str, int]]:
        if not self.has_journal():
            return
        yield from self.db.execute(
            "SELECT set_spec, COUNT(*) FROM work_sets GROUP BY set_spec ORDER BY set_spec"
        )

    def _where(self, start: str, until: str, set_spec: str | None) -> tuple[str, list[str]]:
        sql = "WHERE c.datestamp >= ? AND c.datestamp <= ?"
        args = [start, until]
        if set_spec is not None:
            sql += " AND c.work_id IN (SELECT work_id FROM work_sets WHERE set_spec = ?)"
            args.append(set_spec)
        return sql, args

    def _entry(self, row) -> JournalEntry:
        work_id, datestamp, deleted = row
        sets = tuple(
            spec
            for (spec,) in self.db.execute(
                "SELECT set_spec FROM work_sets WHERE work_id = ? ORDER BY set_spec", (work_id,)
            )
        )
        return JournalEntry(work_id, datestamp, bool(deleted), sets)
