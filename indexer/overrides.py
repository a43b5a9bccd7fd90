"""Operator decisions about works: split a record out, merge two works, and what they left.

A decision is stored as pairs of records, not as work ids, so it survives everything that
re-creates works: a re-harvest (the record comes back under the same key), re-matching,
`fedcat reindex`. "apart" pairs may never share a work; "together" pairs always do. Every
decision and every work id that stopped existing is kept: the audit log says who decided
what, and old work ids redirect to the work their records are in now.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SCHEMA = """
CREATE TABLE IF NOT EXISTS work_overrides (
    kind TEXT NOT NULL CHECK (kind IN ('apart', 'together')),
    record_a TEXT NOT NULL,
    record_b TEXT NOT NULL,
    PRIMARY KEY (kind, record_a, record_b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS work_overrides_b ON work_overrides(record_b);
CREATE TABLE IF NOT EXISTS work_redirects (
    old_id TEXT PRIMARY KEY,
    new_id TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS work_lineage (
    old_id TEXT NOT NULL,
    record_key TEXT NOT NULL,
    PRIMARY KEY (old_id, record_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS work_gone (
    work_id TEXT PRIMARY KEY,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS work_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    action TEXT NOT NULL,
    operator TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""

Kind = Literal["apart", "together"]


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: float
    action: str
    operator: str
    detail: dict

    def line(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.at))
        return f"{self.seq:>4} {when}Z {self.action:<6} {self.operator}: {json.dumps(self.detail)}"


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


class Overrides:
    """The decisions and redirects in the state file. Callers own the transaction."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.db.executescript(SCHEMA)
        #: set by the work store for a batch when it found no decision stored: `partners`
        #: then needs no query (nothing but `add` stores one, and `add` clears it)
        self.none_stored = False

    def add(self, kind: Kind, pairs: Iterable[tuple[str, str]]) -> None:
        self.none_stored = False
        rows = [(kind, *_pair(a, b)) for a, b in pairs if a != b]
        other = "together" if kind == "apart" else "apart"
        self.db.executemany(
            "DELETE FROM work_overrides WHERE kind = ? AND record_a = ? AND record_b = ?",
            [(other, a, b) for _, a, b in rows],
        )
        self.db.executemany("INSERT OR IGNORE INTO work_overrides VALUES (?, ?, ?)", rows)

    def partners(self, record_key: str, kind: Kind) -> set[str]:
        """The records this one must (together) or must not (apart) share a work with."""
        if self.none_stored:
            return set()
        rows = self.db.execute(
            "SELECT record_a, record_b FROM work_overrides WHERE kind = ?"
            " AND (record_a = ? OR record_b = ?)",
            (kind, record_key, record_key),
        )
        return {b if a == record_key else a for a, b in rows}

    def apart(self, a: str, b: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM work_overrides WHERE kind = 'apart' AND record_a = ? AND record_b = ?",
            _pair(a, b),
        ).fetchone()
        return row is not None

    # -- redirects ------------------------------------------------------------------------
    def redirect(self, old_id: str, new_id: str) -> None:
        """`old_id` no longer exists; its records are in `new_id` now."""
        if old_id == new_id:
            return
        self.db.execute(
            "INSERT OR REPLACE INTO work_redirects VALUES (?, ?, ?)", (old_id, new_id, time.time())
        )
        self.db.execute("DELETE FROM work_redirects WHERE old_id = ?", (new_id,))

    def resolve(self, work_id: str) -> str | None:
        return resolve_redirect(self.db, work_id)

    def lineage(self, old_id: str, record_keys: Iterable[str]) -> None:
        """`old_id`'s records are being parted (a split) or moved (a merge): should the id
        stop naming a work, it answers with the works these records are in then
        (`work_fate`: one is a move, several a split, none gone)."""
        self.db.executemany(
            "INSERT OR IGNORE INTO work_lineage VALUES (?, ?)", [(old_id, k) for k in record_keys]
        )

    def gone(self, work_id: str) -> None:
        """The work's last record was deleted: its id answers 410 Gone, not 404."""
        self.db.execute("INSERT OR REPLACE INTO work_gone VALUES (?, ?)", (work_id, time.time()))

    # -- audit ------------------------------------------------------------------------------
    def log(self, action: str, operator: str, detail: dict) -> None:
        self.db.execute(
            "INSERT INTO work_audit (at, action, operator, detail) VALUES (?, ?, ?, ?)",
            (time.time(), action, operator, json.dumps(detail, ensure_ascii=False)),
        )

    def audit(self) -> Iterator[AuditEntry]:
        rows = self.db.execute(
            "SELECT seq, at, action, operator, detail FROM work_audit ORDER BY seq"
        )
        for seq, at, action, operator, detail in rows:
            yield AuditEntry(seq, at, action, operator, json.loads(detail))


def resolve_redirect(db: sqlite3.Connection, work_id: str) -> str | None:
    """The work an old id now lives in (following redirects of redirects), or None."""
    seen = {work_id}
    current = work_id
    while True:
        try:
            row = db.execute(
                "SELECT new_id FROM work_redirects WHERE old_id = ?", (current,)
            ).fetchone()
        except sqlite3.OperationalError:  # a state file from before redirects existed
            return None
        if row is None:
            return current if current != work_id else None
        current = row[0]
        if current in seen:
            return None
        seen.add(current)


@dataclass(frozen=True)
class Fate:
    """What became of a work id that names no work now: moved to one work (301), split
    into several (300 Multiple Choices), or gone with all its records (410)."""

    kind: Literal["moved", "split", "gone"]
    works: tuple[str, ...] = ()


def work_fate(
    db: sqlite3.Connection, work_id: str, seen: frozenset[str] = frozenset()
) -> Fate | None:
    """Where an id that names no work now has gone; None for an id never published."""
    if work_id in seen or len(seen) > 50:
        return None
    try:
        parted = db.execute(
            "SELECT DISTINCT r.work_id FROM work_lineage s LEFT JOIN records r"
            " ON r.record_key = s.record_key WHERE s.old_id = ?",
            (work_id,),
        ).fetchall()
    except sqlite3.OperationalError:  # a state file from before lineage was kept
        return None
    now = tuple(sorted(w for (w,) in parted if w is not None and w != work_id))
    if len(now) > 1:
        return Fate("split", now)
    if now:
        return Fate("moved", now)
    if parted:
        return Fate("gone")
    moved = resolve_redirect(db, work_id)
    if moved is not None:
        in_use = db.execute("SELECT 1 FROM records WHERE work_id = ? LIMIT 1", (moved,)).fetchone()
        return (
            Fate("moved", (moved,))
            if in_use
            else work_fate(db, moved, seen | {work_id}) or Fate("gone")
        )
    row = db.execute("SELECT 1 FROM work_gone WHERE work_id = ?", (work_id,)).fetchone()
    return Fate("gone") if row else None


def fate_in_state(state_db: Path, work_id: str) -> Fate | None:
    """For the web app: what became of an id that names no work, read-only."""
    if not state_db.exists():
        return None
    db = sqlite3.connect(f"file:{state_db}?mode=ro", uri=True, timeout=5)
    try:
        return work_fate(db, work_id)
    finally:
        db.close()


def redirect_in_state(state_db: Path, work_id: str) -> str | None:
    """For the web app: look an old work id up in the state file, read-only."""
    if not state_db.exists():
        return None
    db = sqlite3.connect(f"file:{state_db}?mode=ro", uri=True, timeout=5)
    try:
        return resolve_redirect(db, work_id)
    finally:
        db.close()
