"""Work matching: which records, from which libraries, describe the same title.

Records are linked by match keys, by the policy of `indexer.matching` (which keys a record
has, which keys may link two records). Every record remembers the key that brought it into
its work, so a merge can always be explained.

The store is SQLite (the state file in the data directory): the normalised records, their
keys and their work. Engines hold only derived documents and can be rebuilt from here.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from indexer.matching import has_strong_key, match_keys, may_link
from indexer.model import Record

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    record_key TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    work_id TEXT NOT NULL,
    merged_by TEXT NOT NULL DEFAULT '',
    has_strong INTEGER NOT NULL,
    run_id TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_work ON records(work_id);
CREATE INDEX IF NOT EXISTS records_partner_run ON records(partner_id, run_id);
CREATE TABLE IF NOT EXISTS record_keys (
    match_key TEXT NOT NULL,
    record_key TEXT NOT NULL,
    PRIMARY KEY (match_key, record_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_keys_record ON record_keys(record_key);
"""


#: Values per `IN (...)` list, well under SQLite's bound on statement parameters.
_IN_CHUNK = 500
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _as_fields(value: object) -> dict[str, Any]:
    """json.dumps hook: a model dataclass as its fields, exactly as `asdict` would give them.

    `Record.to_dict()` (dataclasses.asdict) deep-copies every value first, which made
    serialising the record the largest cost of storing it; the JSON text is the same.
    """
    names = _FIELD_NAMES.get(type(value))
    if names is None:
        try:
            names = _FIELD_NAMES[type(value)] = tuple(f.name for f in fields(value))  # type: ignore[arg-type]  # non-dataclasses raise TypeError below
        except TypeError:
            raise TypeError(f"cannot store a {type(value).__name__} in a record") from None
    return {name: getattr(value, name) for name in names}


def record_json(record: Record) -> str:
    """The stored form of a record (compared byte for byte to see if a record changed)."""
    return json.dumps(record, default=_as_fields, ensure_ascii=False)


@dataclass
class Change:
    """What a batch did to works: the ones to re-index and the ones to delete."""

    reindex: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)

    def touch(self, work_id: str) -> None:
        self.reindex.add(work_id)
        self.removed.discard(work_id)

    def drop(self, work_id: str) -> None:
        self.removed.add(work_id)
        self.reindex.discard(work_id)


class WorkStore:
    """Records grouped into works, in SQLite. Callers own the transaction (commit/rollback)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.db.executescript(SCHEMA)

    # -- reading ----------------------------------------------------------------------
    def records_of(self, work_id: str) -> list[tuple[Record, str]]:
        return self.members_of([work_id]).get(work_id, [])

    def members_of(
        self, work_ids: Collection[str], known: Mapping[str, Record] | None = None
    ) -> dict[str, list[tuple[Record, str]]]:
        """(record, merged_by) of each work, ordered by record key, in a few statements.

        `known` maps record keys to Records the caller has just stored; those are taken as they
        are instead of being decoded again from their stored JSON (a batch touches mostly the
        records it brought).
        """
        known = known or {}
        members: dict[str, list[tuple[Record, str]]] = {}
        ids = sorted(set(work_ids))
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            sql = (
                "SELECT work_id, record_key, data, merged_by FROM records "
                f"WHERE work_id IN ({','.join('?' * len(chunk))}) ORDER BY work_id, record_key"
            )
            for work_id, record_key, data, merged_by in self.db.execute(sql, chunk):
                record = known.get(record_key) or Record.from_dict(json.loads(data))
                members.setdefault(work_id, []).append((record, merged_by))
        return members

    def work_of(self, record_key: str) -> str | None:
        row = self.db.execute(
            "SELECT work_id FROM records WHERE record_key = ?", (record_key,)
        ).fetchone()
        return row[0] if row else None

    def work_ids(self) -> Iterator[str]:
        for (work_id,) in self.db.execute("SELECT DISTINCT work_id FROM records ORDER BY work_id"):
            yield work_id

    def record_count(self, partner_id: str | None = None) -> int:
        if partner_id is None:
            return self.db.execute("SELECT count(*) FROM records").fetchone()[0]
        sql = "SELECT count(*) FROM records WHERE partner_id = ?"
        return self.db.execute(sql, (partner_id,)).fetchone()[0]

    def stale_records(self, partner_id: str, run_id: str) -> list[str]:
        """Record keys of a partner not seen in `run_id` (vanished from its feed)."""
        rows = self.db.execute(
            "SELECT record_key FROM records WHERE partner_id = ? AND run_id != ?",
            (partner_id, run_id),
        )
        return [key for (key,) in rows]

    # -- matching -----------------------------------------------------------------------
    def _candidates(self, keys: list[str], has_strong: bool) -> dict[str, str]:
        """work_id -> the key that links this record to it (the first such key, in key order)."""
        if not keys:
            return {}
        sql = (
            "SELECT k.match_key, r.work_id, r.has_strong FROM record_keys k "
            f"JOIN records r ON r.record_key = k.record_key WHERE k.match_key IN "
            f"({','.join('?' * len(keys))})"
        )
        linked: dict[str, list[tuple[str, int]]] = {}
        for key, work_id, other_strong in self.db.execute(sql, keys):
            linked.setdefault(key, []).append((work_id, other_strong))
        found: dict[str, str] = {}
        for key in keys:
            for work_id, other_strong in linked.get(key, ()):
                if may_link(key, has_strong, bool(other_strong)):
                    found.setdefault(work_id, key)
        return found

    def _new_work_id(self, seed: str) -> str:
        for n in range(1000):
            work_id = "w" + hashlib.sha1(f"{seed}#{n}".encode()).hexdigest()[:15]
            if not self.db.execute(
                "SELECT 1 FROM records WHERE work_id = ?", (work_id,)
            ).fetchone():
                return work_id
        raise RuntimeError("could not allocate a work id")

    def upsert(self, record: Record, run_id: str, change: Change) -> None:
        """Add or replace a record; an unchanged record is only marked as seen in `run_id`."""
        data = record_json(record)
        old = self.db.execute(
            "SELECT data, merged_by, work_id FROM records WHERE record_key = ?", (record.key,)
        ).fetchone()
        if old and old[0] == data:
            sql = "UPDATE records SET run_id = ? WHERE record_key = ?"
            self.db.execute(sql, (run_id, record.key))
            return
        previous = self._remove(record.key, change, old[2]) if old else None
        keys = match_keys(record)
        has_strong = has_strong_key(keys)
        candidates = self._candidates(keys, has_strong)
        merged_by = ""
        if not candidates:
            in_use = "SELECT 1 FROM records WHERE work_id = ?"
            reuse = previous and not self.db.execute(in_use, (previous,)).fetchone()
            work_id = previous if previous and reuse else self._new_work_id(record.key)
        elif previous in candidates:
            # a changed record staying in its work keeps its explanation while it still holds
            work_id = previous
            still_valid = old and (not old[1] or old[1] in keys)
            merged_by = old[1] if still_valid else candidates[work_id]
        else:
            work_id = min(candidates)
            merged_by = candidates[work_id]
            for other in candidates:
                if other != work_id:
                    self.db.execute(
                        "UPDATE records SET work_id = ? WHERE work_id = ?", (work_id, other)
                    )
                    change.drop(other)
        self.db.execute(
            "INSERT INTO records (record_key, partner_id, identifier, work_id, merged_by,"
            " has_strong, run_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.key,
                record.partner_id,
                record.identifier,
                work_id,
                merged_by,
                int(has_strong),
                run_id,
                data,
            ),
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO record_keys (match_key, record_key) VALUES (?, ?)",
            [(k, record.key) for k in keys],
        )
        change.touch(work_id)

    def delete(self, record_key: str, change: Change) -> None:
        self._remove(record_key, change)

    def _remove(self, record_key: str, change: Change, work_id: str | None = None) -> str | None:
        work_id = work_id or self.work_of(record_key)
        if work_id is None:
            return None
        self.db.execute("DELETE FROM records WHERE record_key = ?", (record_key,))
        self.db.execute("DELETE FROM record_keys WHERE record_key = ?", (record_key,))
        self._split_if_disconnected(work_id, change)
        return work_id

    def _split_if_disconnected(self, work_id: str, change: Change) -> None:
        """After a record left a work, the rest may no longer be linked: split them."""
        rows = self.db.execute(
            "SELECT r.record_key, r.has_strong, k.match_key FROM records r "
            "JOIN record_keys k ON k.record_key = r.record_key WHERE r.work_id = ?",
            (work_id,),
        ).fetchall()
        if not rows:
            members = self.db.execute("SELECT 1 FROM records WHERE work_id = ?", (work_id,))
            if members.fetchone() is None:
                change.drop(work_id)
            return
        components = _components(rows)
        if len(components) > 1:
            components.sort(key=lambda c: (-len(c), min(c)))
            for component in components[1:]:
                new_id = self._new_work_id(min(component))
                self.db.executemany(
                    "UPDATE records SET work_id = ? WHERE record_key = ?",
                    [(new_id, key) for key in component],
                )
                change.touch(new_id)
        change.touch(work_id)


def _components(rows: Iterable[tuple[str, int, str]]) -> list[set[str]]:
    """Connected record groups, linking through keys by the same rule as matching."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_key: dict[str, list[tuple[str, int]]] = {}
    for record_key, has_strong, key in rows:
        parent.setdefault(record_key, record_key)
        by_key.setdefault(key, []).append((record_key, has_strong))
    for key, members in by_key.items():
        for i, (a, a_strong) in enumerate(members):
            for b, b_strong in members[i + 1 :]:
                if may_link(key, bool(a_strong), bool(b_strong)):
                    parent[find(a)] = find(b)
    groups: dict[str, set[str]] = {}
    for record_key in parent:
        groups.setdefault(find(record_key), set()).add(record_key)
    return list(groups.values())
