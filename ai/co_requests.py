"""Patrons who requested this also requested: pair counts over requesters, never profiles.

`count_pairs` reads the inter-library loan requests that still name a requester (a request
anonymised after its retention period no longer does, and so no longer counts) and, for each
pair of works, counts the distinct requesters who asked for both. Inside the pass a requester
is only a number; what leaves it, and is written to the state file, is (work, work, how many)
for the pairs that reach the minimum (FEDCAT_CO_REQUEST_MIN, default 5): no patron key, no
hash of one, no date, no library. The page shows a pair only while it has that many
requesters, so no list shown can be one patron's history (docs/privacy.md).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import sqlalchemy as sa

from ill import schema
from ill.store import RequestStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS co_requests (
    work_a TEXT NOT NULL,
    work_b TEXT NOT NULL,
    requesters INTEGER NOT NULL,
    PRIMARY KEY (work_a, work_b)
);
"""
#: Works one requester's requests are paired over at most (a library's bulk account would
#: otherwise make every pair of its requests count).
MAX_WORKS_PER_REQUESTER = 200
MAX_ALSO_REQUESTED = 5


def count_pairs(store: RequestStore, minimum: int) -> dict[tuple[str, str], int]:
    """Distinct requesters per pair of works (a < b), for the pairs with at least `minimum`."""
    r = schema.requests
    query = sa.select(r.c.patron_ref, r.c.work_id).where(r.c.patron_ref != "").distinct()
    numbers: dict[str, int] = {}
    works: dict[int, set[str]] = defaultdict(set)
    with store.engine.connect() as connection:
        for patron_ref, work_id in connection.execute(query):
            works[numbers.setdefault(patron_ref, len(numbers))].add(work_id)
    del numbers  # nothing past this line knows who anyone is
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for requested in works.values():
        if len(requested) <= MAX_WORKS_PER_REQUESTER:
            for pair in combinations(sorted(requested), 2):
                counts[pair] += 1
    return {pair: n for pair, n in counts.items() if n >= minimum}


def replace_pairs(db: sqlite3.Connection, pairs: dict[tuple[str, str], int]) -> None:
    """The state file's pair counts are now these (all at once)."""
    db.executescript(SCHEMA)
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("DELETE FROM co_requests")
        db.executemany(
            "INSERT INTO co_requests VALUES (?, ?, ?)", [(a, b, n) for (a, b), n in pairs.items()]
        )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def also_requested(
    db: sqlite3.Connection, work_id: str, minimum: int, limit: int = MAX_ALSO_REQUESTED
) -> list[str]:
    """The works requested together with `work_id` by at least `minimum` requesters, the
    most shared first."""
    try:
        rows = db.execute(
            "SELECT CASE WHEN work_a = ? THEN work_b ELSE work_a END, requesters"
            " FROM co_requests WHERE (work_a = ? OR work_b = ?) AND requesters >= ?"
            " ORDER BY requesters DESC, 1 LIMIT ?",
            (work_id, work_id, work_id, minimum, limit),
        ).fetchall()
    except sqlite3.OperationalError:  # no pairs counted yet
        return []
    return [other for other, _ in rows]


def also_requested_in_state(state_db: Path, work_id: str, minimum: int) -> list[str]:
    """`also_requested` from the state file, opened read-only (the web app's way)."""
    if not state_db.is_file():
        return []
    db = sqlite3.connect(f"file:{state_db}?mode=ro", uri=True, timeout=5)
    try:
        return also_requested(db, work_id, minimum)
    finally:
        db.close()
