"""Harvest checkpoints: where each partner's harvest stands, in SQLite in the data directory.

Per partner, one row in `harvest_state` says which run is in progress (its id, whether it is
full, its from-date and the resumption token to continue from) and what the last completed
run established: the last safe datestamp, the next incremental start, last success and last
error. `harvest_items` lists every identifier the partner delivered (live or deleted), so the
status can count records without asking the index. `harvest_runs` keeps the run reports.

The runner saves a checkpoint only after the sink has applied the batch, so a crash at any
moment loses nothing: the next run re-applies at most one batch, which the sink absorbs.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harvester.sink import HarvestedRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS harvest_state (
    partner_id TEXT PRIMARY KEY,
    run_id TEXT,                 -- the run in progress, NULL when none
    run_full INTEGER NOT NULL DEFAULT 0,
    run_from TEXT,               -- from-date of the run in progress, NULL: from the start
    resumption_token TEXT,       -- where the run in progress continues, NULL: first page
    run_max_datestamp TEXT,      -- newest datestamp the run in progress has applied
    safe_datestamp TEXT,         -- newest datestamp of the last completed run
    next_from TEXT,              -- where the next incremental run starts
    last_success TEXT,
    last_error TEXT,
    errors INTEGER NOT NULL DEFAULT 0   -- errors in the partner's most recent run
);
CREATE TABLE IF NOT EXISTS harvest_items (
    partner_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    datestamp TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (partner_id, identifier)
);
CREATE TABLE IF NOT EXISTS harvest_runs (
    run_id TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    report TEXT NOT NULL         -- the JSON run report
);
"""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(datestamp: str) -> datetime:
    if len(datestamp) == 10:
        return datetime.strptime(datestamp, "%Y-%m-%d").replace(tzinfo=UTC)
    return datetime.fromisoformat(datestamp.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class PartnerState:
    partner_id: str
    run_id: str | None = None
    run_full: bool = False
    run_from: str | None = None
    resumption_token: str | None = None
    run_max_datestamp: str | None = None
    safe_datestamp: str | None = None
    next_from: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    errors: int = 0


@dataclass
class PartnerStatus:
    """One row of `fedcat status`."""

    partner_id: str
    last_success: str | None
    records: int
    deleted: int
    errors: int
    last_error: str | None
    next_from: str | None
    run_in_progress: str | None

    def to_dict(self) -> dict:
        return asdict(self)


class Checkpoints:
    """The checkpoint store; safe to call from worker threads (one connection, one lock)."""

    def __init__(
        self,
        path: Path,
        *,
        reports_dir: Path | None = None,
        overlap: timedelta = timedelta(hours=1),
    ):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.reports_dir = Path(reports_dir) if reports_dir else self.path.parent / "reports"
        self.overlap = overlap
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=30, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def load(self, partner_id: str) -> PartnerState:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM harvest_state WHERE partner_id = ?", (partner_id,)
            ).fetchone()
            names = [
                c[0] for c in self._db.execute("SELECT * FROM harvest_state LIMIT 0").description
            ]
        if row is None:
            return PartnerState(partner_id)
        state = PartnerState(**dict(zip(names, row, strict=True)))
        state.run_full = bool(state.run_full)
        return state

    def begin_run(self, partner_id: str, run_id: str, *, full: bool, from_date: str | None) -> None:
        """Start a new run for the partner, forgetting any unfinished one."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO harvest_state (partner_id) VALUES (?) ON CONFLICT DO NOTHING",
                (partner_id,),
            )
            db.execute(
                "UPDATE harvest_state SET run_id = ?, run_full = ?, run_from = ?, "
                "resumption_token = NULL, run_max_datestamp = NULL WHERE partner_id = ?",
                (run_id, int(full), from_date, partner_id),
            )

    def restart_run(self, partner_id: str) -> None:
        """Continue the run in progress from its first page (its token was rejected)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE harvest_state SET resumption_token = NULL WHERE partner_id = ?",
                (partner_id,),
            )

    def save_batch(
        self, partner_id: str, run_id: str, records: list[HarvestedRecord], token: str | None
    ) -> None:
        """After the sink applied `records`: the run continues at `token`."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO harvest_items VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (partner_id, identifier) DO UPDATE SET "
                "datestamp = excluded.datestamp, deleted = excluded.deleted, "
                "run_id = excluded.run_id",
                [(partner_id, r.identifier, r.datestamp, int(r.deleted), run_id) for r in records],
            )
            newest = max((r.datestamp for r in records), default=None)
            db.execute(
                "UPDATE harvest_state SET resumption_token = ?, run_max_datestamp = "
                "CASE WHEN run_max_datestamp IS NULL OR run_max_datestamp < ? THEN ? "
                "ELSE run_max_datestamp END WHERE partner_id = ? AND run_id = ?",
                (token, newest, newest, partner_id, run_id),
            )

    def complete_run(self, partner_id: str, run_id: str, *, errors: int = 0) -> None:
        """The run saw the whole list: advance the safe datestamp, clear the run."""
        state = self.load(partner_id)
        safe = max(filter(None, (state.safe_datestamp, state.run_max_datestamp)), default=None)
        if state.run_full and state.run_max_datestamp:
            safe = state.run_max_datestamp
        next_from = None
        if safe:
            moment = _moment(safe) - self.overlap
            next_from = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._transaction() as db:
            if state.run_full:
                db.execute(
                    "DELETE FROM harvest_items WHERE partner_id = ? AND run_id != ?",
                    (partner_id, run_id),
                )
            db.execute(
                "UPDATE harvest_state SET run_id = NULL, run_full = 0, run_from = NULL, "
                "resumption_token = NULL, run_max_datestamp = NULL, safe_datestamp = ?, "
                "next_from = ?, last_success = ?, errors = ?, last_error = NULL "
                "WHERE partner_id = ?",
                (safe, next_from, utc_now(), errors, partner_id),
            )

    def fail_run(self, partner_id: str, message: str, *, errors: int = 1) -> None:
        """The run stopped early; it stays in progress so the next harvest resumes it."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO harvest_state (partner_id) VALUES (?) ON CONFLICT DO NOTHING",
                (partner_id,),
            )
            db.execute(
                "UPDATE harvest_state SET last_error = ?, errors = ? WHERE partner_id = ?",
                (message, errors, partner_id),
            )

    def unseen(
        self, partner_id: str, run_id: str, *, sample: int = 10
    ) -> tuple[int, int, list[str]]:
        """What the sweep of a complete full run would remove: (records not seen in `run_id`,
        live records held for the partner, up to `sample` of the unseen identifiers)."""
        with self._lock:
            count, held = self._db.execute(
                "SELECT coalesce(sum(run_id != ?), 0), count(*) FROM harvest_items "
                "WHERE partner_id = ? AND deleted = 0",
                (run_id, partner_id),
            ).fetchone()
            some = self._db.execute(
                "SELECT identifier FROM harvest_items WHERE partner_id = ? AND deleted = 0 "
                "AND run_id != ? ORDER BY identifier LIMIT ?",
                (partner_id, run_id, sample),
            ).fetchall()
        return count, held, [identifier for (identifier,) in some]

    def status(self, partner_ids: Iterable[str] | None = None) -> list[PartnerStatus]:
        """Per partner: last success, records held, deleted, errors, next incremental start."""
        with self._lock:
            counts = {
                (pid, deleted): n
                for pid, deleted, n in self._db.execute(
                    "SELECT partner_id, deleted, count(*) FROM harvest_items "
                    "GROUP BY partner_id, deleted"
                )
            }
            known = [r[0] for r in self._db.execute("SELECT partner_id FROM harvest_state")]
        wanted = list(partner_ids) if partner_ids is not None else sorted(known)
        rows = []
        for pid in wanted:
            state = self.load(pid)
            rows.append(
                PartnerStatus(
                    pid,
                    state.last_success,
                    counts.get((pid, 0), 0),
                    counts.get((pid, 1), 0),
                    state.errors,
                    state.last_error,
                    state.next_from,
                    state.run_id,
                )
            )
        return rows

    def run_reports(self, limit: int = 200) -> list[dict]:
        """The newest `limit` run reports, oldest first (the JSON of each, read back)."""
        import json

        with self._lock:
            rows = self._db.execute(
                "SELECT report FROM harvest_runs ORDER BY started DESC, run_id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [json.loads(report) for (report,) in reversed(rows)]

    def save_report(self, run_id: str, started: str, finished: str, report_json: str) -> Path:
        """Keep the run report in SQLite and as data_dir/reports/<run_id>.json."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO harvest_runs VALUES (?, ?, ?, ?)",
                (run_id, started, finished, report_json),
            )
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        path = self.reports_dir / f"{run_id}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(report_json, encoding="utf-8")
        temporary.replace(path)
        return path
