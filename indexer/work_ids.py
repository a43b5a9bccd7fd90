"""Work ids that depend on a work's records, not on the order the records arrived.

A work's id is derived from the smallest key of its records (`stable_work_id`), so two harvests
of the same catalogues into two fresh data directories, partners fetched in any order, give the
same works the same ids, and so does a rebuilt store. While a batch is applied a work may carry a
provisional id; `settle_ids`, at the end of the batch and in its transaction, gives every touched
work its stable id and leaves a redirect from each id it stops using, so every id ever published
keeps answering (a record page redirects, the API answers with the new work).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable

PREFIX = "w"


def stable_work_id(record_key: str) -> str:
    """The id of the work whose smallest record key is `record_key` (the form ids had when a
    work's first record named it, so works already named by their smallest record keep it)."""
    return PREFIX + hashlib.sha1(f"{record_key}#0".encode()).hexdigest()[:15]


def settle_ids(
    db: sqlite3.Connection,
    work_ids: set[str],
    redirect: Callable[[str, str], None],
) -> dict[str, str]:
    """Give each of these works its stable id; returns {old id: new id} for those renamed.

    A stable id may still be held, provisionally, by another work of the batch (whose smallest
    record moved here); such works are renamed first, and a cycle is broken through a
    temporary id, so two works never share an id for a moment.
    """
    wanted: dict[str, str] = {}
    for work_id in sorted(work_ids):
        row = db.execute("SELECT min(record_key) FROM records WHERE work_id = ?", (work_id,))
        smallest = row.fetchone()[0]
        if smallest is not None and stable_work_id(smallest) != work_id:
            wanted[work_id] = stable_work_id(smallest)
    renamed: dict[str, str] = {}
    while wanted:
        free = [old for old, new in wanted.items() if not _in_use(db, new)]
        if not free:  # a cycle: park one work on a temporary id and go on
            old = min(wanted)
            parked = f"{PREFIX}-settling-{old}"
            _rename(db, old, parked)
            wanted[parked] = wanted.pop(old)
            renamed[old] = parked
            continue
        for old in free:
            new = wanted.pop(old)
            _rename(db, old, new)
            renamed[old] = new
    final = {}
    for old, new in renamed.items():
        while new in renamed:
            new = renamed[new]
        if not old.startswith(f"{PREFIX}-settling-"):
            final[old] = new
            redirect(old, new)
    return final


def _in_use(db: sqlite3.Connection, work_id: str) -> bool:
    return (
        db.execute("SELECT 1 FROM records WHERE work_id = ? LIMIT 1", (work_id,)).fetchone()
        is not None
    )


def _rename(db: sqlite3.Connection, old: str, new: str) -> None:
    db.execute("UPDATE records SET work_id = ? WHERE work_id = ?", (new, old))
