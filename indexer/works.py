"""Work matching: which records, from which libraries, describe the same title.

Match keys find candidates; `indexer.matching.compare` decides, by the rules of
`indexer/match_rules.toml`, whether two records are one edition. A record joins a work only
when it is compatible with every record already in it, so one weak record never chains two
editions together; a record that could join several works joins the best one and the rest
are merged only if every record of one is compatible with every record of the other. Every
record keeps the evidence that brought it in and the works it was kept apart from, and the
operator's decisions (`indexer.overrides`) win over the rules.

The store is SQLite (the state file in the data directory): the normalised records, their
keys and their work. Engines hold only derived documents and can be rebuilt from here.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from indexer.matching import Evidence, compare, compatible, has_strong_key, match_keys
from indexer.model import Record
from indexer.overrides import Overrides
from indexer.work_batch import BatchLookups
from indexer.work_ids import settle_ids, stable_work_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    record_key TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    work_id TEXT NOT NULL,
    merged_by TEXT NOT NULL DEFAULT '',
    has_strong INTEGER NOT NULL,
    run_id TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT ''
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


#: Works compared with a new record at most (a title shared by more works is a common one).
MAX_CANDIDATE_WORKS = 200
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
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(records)")}
        if "evidence" not in columns:  # a state file from before match evidence was kept
            self.db.execute("ALTER TABLE records ADD COLUMN evidence TEXT NOT NULL DEFAULT ''")
        self.overrides = Overrides(db)
        self._batch: BatchLookups | None = None

    # -- batches ------------------------------------------------------------------------
    def begin_batch(self, records: Collection[Record]) -> None:
        """Look up, in one query each, what `upsert` asks about these records (see
        `indexer.work_batch`); until `end_batch`. Inside the caller's write transaction."""
        keys = [key for record in records for key in match_keys(record)]
        self._batch = BatchLookups.load(self.db, [r.key for r in records], keys)
        self.overrides.none_stored = self._batch.no_overrides

    def end_batch(self) -> None:
        self._batch = None
        self.overrides.none_stored = False

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
    def _candidate_works(self, keys: list[str], record_key: str) -> list[str]:
        """Works holding a record that shares a match key with this one."""
        if not keys or (self._batch is not None and self._batch.no_candidates(keys)):
            return []
        sql = (
            "SELECT DISTINCT r.work_id FROM record_keys k JOIN records r"
            " ON r.record_key = k.record_key WHERE k.record_key != ? AND k.match_key IN"
            f" ({','.join('?' * len(keys))}) ORDER BY r.work_id LIMIT {MAX_CANDIDATE_WORKS}"
        )
        return [work_id for (work_id,) in self.db.execute(sql, [record_key, *keys])]

    def _new_work_id(self, seed: str) -> str:
        """A provisional id for a new work: its stable id when free (it usually is), else a
        unique one that `settle_ids` replaces at the end of the batch."""
        for n in range(1000):
            work_id = (
                stable_work_id(seed)
                if n == 0
                else "w" + hashlib.sha1(f"{seed}#{n}".encode()).hexdigest()[:15]
            )
            taken = self.db.execute("SELECT 1 FROM records WHERE work_id = ?", (work_id,))
            if not taken.fetchone():
                return work_id
        raise RuntimeError("could not allocate a work id")

    def settle_ids(self, change: Change) -> dict[str, str]:
        """At the end of a batch: every touched work gets its stable id (`indexer.work_ids`);
        the ids it stops using redirect to it. Returns {old id: new id}."""
        renamed = settle_ids(self.db, set(change.reindex), self.overrides.redirect)
        for old, new in renamed.items():
            change.drop(old)
            change.touch(new)
        return renamed

    def _judge(self, record: Record, candidates: list[str]) -> list[Verdict]:
        """How this record compares with each candidate work as a whole, best first."""
        apart = self.overrides.partners(record.key, "apart")
        together = self.overrides.partners(record.key, "together")
        forced = {w for k in together if (w := self.work_of(k))}
        members_of = self.members_of(set(candidates) | forced)
        verdicts = []
        for work_id, members in members_of.items():
            compared = [(m, compare(record, m)) for m, _ in members if m.key != record.key]
            if not compared:
                continue
            best_member, best = max(compared, key=lambda c: (c[1].score, c[0].key))
            blocking = [(m, e) for m, e in compared if m.key in apart or not compatible(e)]
            verdicts.append(
                Verdict(work_id, best_member.key, best, blocking, work_id in forced, apart)
            )
        verdicts.sort(key=lambda v: (not v.forced, -v.best.score, v.work_id))
        return verdicts

    def _bridgeable(self, record: Record, group: list[str], other: str) -> bool:
        """Whether work `other` can join the works in `group` (with `record`): every record
        of one side compatible with every record of the other, and no operator said apart."""
        members = self.members_of([*group, other])
        ours = [record, *(m for w in group for m, _ in members.get(w, []))]
        theirs = [m for m, _ in members.get(other, [])]
        for a in ours:
            apart = self.overrides.partners(a.key, "apart")
            for b in theirs:
                if b.key in apart or not compatible(compare(a, b)):
                    return False
        return True

    def _place(
        self, record: Record, previous: str | None, change: Change, keys: list[str]
    ) -> tuple[str, dict]:
        """Choose the record's work; returns it and the evidence to store with the record."""
        verdicts = self._judge(record, self._candidate_works(keys, record.key))
        joinable = [v for v in verdicts if v.forced or (v.best.merge and not v.blocking)]
        evidence: dict[str, Any] = {
            "kept_apart": [v.explain() for v in verdicts if v not in joinable]
        }
        if not joinable:
            in_use = "SELECT 1 FROM records WHERE work_id = ?"
            reuse = previous and not self.db.execute(in_use, (previous,)).fetchone()
            return (previous if previous and reuse else self._new_work_id(record.key)), evidence
        chosen, group = joinable[0], [joinable[0].work_id]
        for other in joinable[1:]:
            if other.forced or self._bridgeable(record, group, other.work_id):
                group.append(other.work_id)
            else:
                evidence["kept_apart"].append(other.explain("would bridge two works"))
        work_id = previous if previous is not None and previous in group else min(group)
        for other_id in group:
            if other_id != work_id:
                self.db.execute(
                    "UPDATE records SET work_id = ? WHERE work_id = ?", (work_id, other_id)
                )
                self.overrides.redirect(other_id, work_id)
                change.drop(other_id)
        evidence["joined"] = {"with": chosen.member, **chosen.best.to_dict()}
        if chosen.forced:
            evidence["joined"]["summary"] = "merged by an operator; " + chosen.best.summary()
        return work_id, evidence

    def upsert(
        self,
        record: Record,
        run_id: str,
        change: Change,
        force: bool = False,
        data: str | None = None,
    ) -> None:
        """Add or replace a record; an unchanged record is only marked as seen in `run_id`
        (`force` matches it again anyway, for `rematch`). `data` is `record_json(record)`
        when the caller made it already (the mapping process does)."""
        data = data or record_json(record)
        batch = self._batch
        if batch is not None and not force and batch.unchanged(record.key, data):
            old = (data, "")
        elif batch is not None and batch.known_absent(record.key):
            old = None
        else:
            old = self.db.execute(
                "SELECT data, work_id FROM records WHERE record_key = ?", (record.key,)
            ).fetchone()
        if old and old[0] == data and not force:
            sql = "UPDATE records SET run_id = ? WHERE record_key = ?"
            self.db.execute(sql, (run_id, record.key))
            return
        previous = self._remove(record.key, change, old[1]) if old else None
        keys = match_keys(record)
        work_id, evidence = self._place(record, previous, change, keys)
        joined = evidence.get("joined")
        merged_by = self._linking_key(keys, joined["with"]) if joined else ""
        self.db.execute(
            "INSERT INTO records (record_key, partner_id, identifier, work_id, merged_by,"
            " has_strong, run_id, data, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.key,
                record.partner_id,
                record.identifier,
                work_id,
                merged_by,
                int(has_strong_key(keys)),
                run_id,
                data,
                json.dumps(evidence, ensure_ascii=False),
            ),
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO record_keys (match_key, record_key) VALUES (?, ?)",
            [(k, record.key) for k in keys],
        )
        if previous and previous != work_id and self.work_size(previous) == 0:
            self.overrides.redirect(previous, work_id)
        change.touch(work_id)
        if batch is not None:
            batch.wrote(record.key, keys)

    def _linking_key(self, keys: list[str], member: str) -> str:
        """The first of this record's match keys the member it matched best shares (kept
        as `merged_by` for the record page and the API); "operator" when none does."""
        sql = "SELECT match_key FROM record_keys WHERE record_key = ?"
        theirs = {key for (key,) in self.db.execute(sql, (member,))}
        return next((key for key in keys if key in theirs), "operator")

    def work_size(self, work_id: str) -> int:
        sql = "SELECT count(*) FROM records WHERE work_id = ?"
        return self.db.execute(sql, (work_id,)).fetchone()[0]

    def evidence_of(self, work_id: str) -> dict[str, dict]:
        """The stored matching evidence of each record of a work, by record key."""
        rows = self.db.execute(
            "SELECT record_key, evidence FROM records WHERE work_id = ?", (work_id,)
        )
        return {key: json.loads(text) if text else {} for key, text in rows}

    def delete(self, record_key: str, change: Change) -> None:
        work_id = self._remove(record_key, change)
        if work_id is not None and self.work_size(work_id) == 0:
            self.overrides.gone(work_id)

    def _remove(self, record_key: str, change: Change, work_id: str | None = None) -> str | None:
        if self._batch is not None:
            self._batch.touched.add(record_key)
        work_id = work_id or self.work_of(record_key)
        if work_id is None:
            return None
        self.db.execute("DELETE FROM records WHERE record_key = ?", (record_key,))
        self.db.execute("DELETE FROM record_keys WHERE record_key = ?", (record_key,))
        self._split_if_disconnected(work_id, change)
        return work_id

    def _split_if_disconnected(self, work_id: str, change: Change) -> None:
        """After a record left a work, the rest may no longer be one edition: split them."""
        members = [r for r, _ in self.records_of(work_id)]
        if not members:
            change.drop(work_id)
            return
        components = self._components(members)
        if len(components) > 1:
            self.overrides.lineage(work_id, [r.key for r in members])
            components.sort(key=lambda c: (-len(c), min(c)))
            for component in components[1:]:
                new_id = self._new_work_id(min(component))
                self.db.executemany(
                    "UPDATE records SET work_id = ? WHERE record_key = ?",
                    [(new_id, key) for key in component],
                )
                change.touch(new_id)
        change.touch(work_id)

    def _components(self, members: list[Record]) -> list[set[str]]:
        """Groups of a work's records that still belong together: linked by a merge the
        rules make, or by an operator's "together", never across an operator's "apart"."""
        parent = {m.key: m.key for m in members}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for i, a in enumerate(members):
            together = self.overrides.partners(a.key, "together")
            apart = self.overrides.partners(a.key, "apart")
            for b in members[i + 1 :]:
                if b.key in together or (b.key not in apart and compare(a, b).merge):
                    parent[find(a.key)] = find(b.key)
        groups: dict[str, set[str]] = {}
        for key in parent:
            groups.setdefault(find(key), set()).add(key)
        return list(groups.values())

    # -- operator decisions and re-matching ----------------------------------------------
    def split(self, record_key: str, operator: str, change: Change) -> str:
        """Take a record out of its work for good; returns the record's new work id."""
        work_id = self.work_of(record_key)
        if work_id is None:
            raise UnknownRecord(record_key)
        others = [r.key for r, _ in self.records_of(work_id) if r.key != record_key]
        self.overrides.add("apart", [(record_key, other) for other in others])
        self.overrides.lineage(work_id, [record_key, *others])
        record = self._record(record_key)
        run_id = self._run_id(record_key)
        self.upsert(record, run_id, change, force=True)
        new_id = self.work_of(record_key) or work_id
        detail = {"record": record_key, "from_work": work_id, "to_work": new_id}
        self.overrides.log("split", operator, detail)
        return new_id

    def merge(self, keep: str, other: str, operator: str, change: Change) -> str:
        """Make two works one (under `keep`'s id); `other` redirects to it from now on."""
        ours, theirs = self.records_of(keep), self.records_of(other)
        if not ours or not theirs:
            raise UnknownWork(keep if not ours else other)
        pairs = [(a.key, b.key) for a, _ in ours for b, _ in theirs]
        self.overrides.add("together", pairs)
        if keep != other:
            self.overrides.lineage(other, [b.key for b, _ in theirs])
            self.db.execute("UPDATE records SET work_id = ? WHERE work_id = ?", (keep, other))
            self.overrides.redirect(other, keep)
            change.drop(other)
        change.touch(keep)
        self.overrides.log("merge", operator, {"work": keep, "merged": other})
        return keep

    def rematch(self, change: Change) -> int:
        """Match every record again under the present rules and operator decisions."""
        keys = [key for (key,) in self.db.execute("SELECT record_key FROM records ORDER BY 1")]
        for key in keys:
            self.upsert(self._record(key), self._run_id(key), change, force=True)
        return len(keys)

    def _record(self, record_key: str) -> Record:
        row = self.db.execute("SELECT data FROM records WHERE record_key = ?", (record_key,))
        return Record.from_dict(json.loads(row.fetchone()[0]))

    def _run_id(self, record_key: str) -> str:
        row = self.db.execute("SELECT run_id FROM records WHERE record_key = ?", (record_key,))
        return row.fetchone()[0]


@dataclass
class Verdict:
    """How a record compares with one candidate work."""

    work_id: str
    member: str  # the record of the work it matches best
    best: Evidence
    blocking: list[tuple[Record, Evidence]]  # members it cannot share a work with
    forced: bool  # an operator merged them
    apart: set[str]  # records an operator split from it

    def explain(self, why: str = "") -> dict[str, Any]:
        """The recorded decision not to join this work, in words."""
        if not why and self.blocking:
            record, evidence = self.blocking[0]
            why = (
                "split by an operator"
                if record.key in self.apart
                else f"incompatible with {record.identifier}: {evidence.summary()}"
            )
        return {"work_id": self.work_id, "why": why or f"not enough: {self.best.summary()}"}


class UnknownRecord(KeyError):
    """No record with this key in the store."""


class UnknownWork(KeyError):
    """No work with this id in the store."""
