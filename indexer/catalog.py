"""The union catalog: harvested records in, works out to the search engine.

`Catalog` is the sink the harvester hands its batches to. A batch is applied in one SQLite
transaction; the engine confirms the changed works before that transaction commits, so a
checkpoint saved after `apply` returns never points past data the index lacks; a batch that
fails is rolled back in the store and, while the engine answers, in the engine too. Applying a
batch twice gives the same result (kill -9 safe).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lxml import etree

from config.partners import Partner
from harvester.sink import HarvestedRecord, Rejection, SinkResult
from indexer.changes import WorkJournal
from indexer.documents import index_document, work_payload
from indexer.engine import SearchEngine
from indexer.mapping_process import Item, Mapped, MappingProcess
from indexer.mapping_process import MappingError as MappingProcessError
from indexer.model import Record
from indexer.payloads import SuggestedSubjectRow, WorkPayload
from indexer.quality import partner_quality
from indexer.works import Change, WorkStore

log = logging.getLogger(__name__)


@dataclass
class ApplyReport:
    """What a direct write did: records upserted and deleted."""

    upserted: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class Prepared:
    """A harvested batch mapped ahead of `Catalog.apply`: one `Mapped` per record that is not
    a deletion, in the batch's order."""

    records: Sequence[HarvestedRecord]
    mapped: list[Mapped]


def match_evidence(records: Sequence[Record], stored: Mapping[str, dict]) -> list[dict[str, Any]]:
    """Why each record is in this work (and which works it was kept apart from), for staff:
    the words of `indexer.matching.describe` and the fields that agreed, differed or were
    absent. The first record of a work has no "joined"."""
    evidence = []
    for record in records:
        decision = stored.get(record.key) or {}
        joined = decision.get("joined") or {}
        fields = joined.get("fields", [])
        evidence.append(
            {
                "partner_id": record.partner_id,
                "identifier": record.identifier,
                "joined_with": joined.get("with", "").partition("\x1f")[2],
                "summary": joined.get("summary", ""),
                "score": joined.get("score"),
                "agreed": [f["name"] for f in fields if f["outcome"] == "agree"],
                "differed": [f["name"] for f in fields if f["outcome"] == "differ"],
                "absent": [f["name"] for f in fields if f["outcome"] == "absent"],
                "kept_apart": decision.get("kept_apart", []),
            }
        )
    return evidence


class WorkAnnotations(Protocol):
    """What a higher layer adds to a work's payload without the indexer knowing it: the
    machine-suggested subjects (`ai.suggestions.SuggestionStore`), shown and indexed apart
    from the catalogued headings."""

    def suggested_subjects(self, work_id: str) -> list[SuggestedSubjectRow]: ...


def open_state(path: Path) -> sqlite3.Connection:
    """The SQLite state file, in WAL mode so the web app can read while a harvest writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class Catalog:
    """Keeps the work store and the engine in step."""

    def __init__(
        self,
        db: sqlite3.Connection,
        engine: SearchEngine,
        library_names: Mapping[str, str],
        mapper=None,
        annotations: WorkAnnotations | None = None,
        mapping_process: bool | None = None,
    ):
        self.db = db
        self.annotations = annotations
        self.store = WorkStore(db)
        self.journal = WorkJournal(db)
        self.engine = engine
        self.library_names = dict(library_names)
        self._mapper = mapper
        #: map in a process of its own when there is a second core (see `prepare`)
        if mapping_process is None:
            mapping_process = (os.cpu_count() or 1) > 1
        self._use_process = mapping_process
        self._process: MappingProcess | None = None
        self._process_lock = threading.Lock()

    # -- the harvester's sink -----------------------------------------------------------
    def prepare(self, partner: Partner, records: Sequence[HarvestedRecord]) -> Prepared | None:
        """Map a batch before it is applied, in the mapping process (the second core) while
        the harvest applies another batch; None when mapping stays in `apply` (one core, or a
        mapper of the caller's own). Thread-safe; the harvester calls it outside its lock."""
        if self._mapper is not None or not self._use_process:
            return None
        items = [
            Item(r.identifier, r.datestamp, etree.tostring(r.metadata), partner.metadata_prefix)
            for r in records
            if not r.deleted and r.metadata is not None
        ]
        if not items:
            return None
        try:
            if self._process is None:
                with self._process_lock:
                    self._process = self._process or MappingProcess()
            return Prepared(records, self._process.map(partner, items))
        except MappingProcessError as exc:
            log.warning("mapping in the harvest's process: %s", exc)
            return None

    def apply(
        self,
        partner: Partner,
        records: Sequence[HarvestedRecord],
        run_id: str,
        prepared: Prepared | None = None,
    ) -> SinkResult:
        """Map and write one harvested batch; a record that cannot be mapped is rejected (and
        said so in the result), the rest of the batch is written. `prepared` is what
        `prepare` made of this same batch."""
        if self._mapper is None:
            from indexer.mapping import map_record

            mapper = map_record
        else:
            mapper = self._mapper
        result = SinkResult()
        mapped: list[Record | str] = []
        data: list[str | None] = []
        done = iter(prepared.mapped) if prepared and prepared.records is records else None
        for harvested in records:
            if harvested.deleted or harvested.metadata is None:
                mapped.append(f"{partner.id}\x1f{harvested.identifier}")
                data.append(None)
                continue
            if done is not None:
                one = next(done)
                if one.record is None:
                    result.rejected.append(Rejection(harvested.identifier, one.error))
                else:
                    mapped.append(one.record)
                    data.append(one.data)
                continue
            try:
                mapped.append(
                    mapper(
                        partner,
                        harvested.identifier,
                        harvested.datestamp,
                        harvested.metadata,
                        partner.metadata_prefix,
                    )
                )
                data.append(None)
            except ValueError as exc:
                result.rejected.append(Rejection(harvested.identifier, str(exc)))
        self._write(mapped, run_id, ApplyReport(), data)
        return result

    def quality(self, partner: Partner) -> dict:
        """The partner's metadata quality now (indexer.quality), for its run report."""
        return partner_quality(self.db, partner.id).to_dict()

    def close(self) -> None:
        """Stop the mapping process, if one was started (it also stops with the harvest)."""
        if self._process is not None:
            self._process.close()
            self._process = None

    def sweep(self, partner: Partner, run_id: str) -> int:
        """Remove the partner's records that a complete full harvest did not see."""
        stale = self.store.stale_records(partner.id, run_id)
        if stale:
            self._write(stale, run_id, ApplyReport())
        return len(stale)

    # -- direct use (demo loading, tests, reindex) --------------------------------------
    def add_records(self, records: Iterable[Record], run_id: str = "") -> ApplyReport:
        report = ApplyReport()
        self._write(list(records), run_id, report)
        return report

    def remove_records(self, record_keys: Iterable[str]) -> ApplyReport:
        report = ApplyReport()
        self._write(list(record_keys), "", report)
        return report

    def reindex(self, batch_size: int = 1000) -> int:
        """Rebuild the engine's documents from the work store (no harvest needed).

        Searches keep seeing the old documents until the new ones are all in: the engine
        swaps them in at the final commit. A rebuild that fails leaves the old ones.
        """
        self.engine.begin_rebuild()
        try:
            batch: list[str] = []
            total = 0
            for work_id in self.store.work_ids():
                batch.append(work_id)
                if len(batch) >= batch_size:
                    total += self._index_works(set(batch), set())
                    batch = []
            total += self._index_works(set(batch), set())
            self.engine.commit()
        except BaseException:
            self.engine.abort_rebuild()
            raise
        return total

    def work(self, work_id: str) -> WorkPayload | None:
        """The payload of a work, built from the store (the source of truth)."""
        members = self.store.records_of(work_id)
        if not members:
            return None
        return self._payload(work_id, members)

    # -- internals ----------------------------------------------------------------------
    def _write(
        self,
        items: Sequence[Record | str],
        run_id: str,
        report: ApplyReport,
        data: Sequence[str | None] = (),
    ) -> None:
        """`data[i]`, when given, is the stored JSON of `items[i]` (made already)."""
        change = Change()
        stored: dict[str, Record] = {}
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.store.begin_batch([item for item in items if isinstance(item, Record)])
            for number, item in enumerate(items):
                if isinstance(item, Record):
                    made = data[number] if number < len(data) else None
                    self.store.upsert(item, run_id, change, data=made)
                    stored[item.key] = item
                    report.upserted += 1
                else:
                    self.store.delete(item, change)
                    stored.pop(item, None)
                    report.deleted += 1
            self.store.settle_ids(change)
            self._index_works(change.reindex, change.removed, stored)
            self.engine.commit()
        except BaseException as exc:
            self.store.end_batch()
            self.db.execute("ROLLBACK")
            if isinstance(exc, Exception):
                self._restore_engine(change)
            raise
        self.store.end_batch()
        self.db.execute("COMMIT")

    def _restore_engine(self, change: Change) -> None:
        """After a rollback, give the batch's works back the store's documents, so a batch the
        engine partly took (a bulk with one rejected item) leaves nothing behind. When the
        engine is unreachable this fails too; re-applying the batch then overwrites them."""
        touched = change.reindex | change.removed
        if not touched:
            return
        try:
            self._index_works(touched, set())
            self.engine.commit()
        except Exception as exc:  # noqa: BLE001 - the batch's own error is the one to raise
            log.warning("could not restore the engine after a failed batch: %s", exc)

    def _payload(self, work_id: str, members: list[tuple[Record, str]]) -> WorkPayload:
        records = [r for r, _ in members]
        merged_by = {r.key: m for r, m in members}
        payload = work_payload(work_id, records, merged_by, self.library_names)
        payload["match_evidence"] = match_evidence(records, self.store.evidence_of(work_id))
        annotations = self.annotations
        payload["suggested_subjects"] = (
            annotations.suggested_subjects(work_id) if annotations is not None else []
        )
        return payload

    def refresh(self, work_ids: Iterable[str]) -> int:
        """Index these works again from the store (after their annotations changed)."""
        ids = set(work_ids)

        def reindex(change: Change) -> int:
            change.reindex.update(ids)
            return len(ids)

        return self._decide(reindex)

    # -- operator decisions ---------------------------------------------------------------
    def split(self, record_key: str, operator: str) -> str:
        """Take a record out of its work for good (survives re-harvest and rebuilds)."""
        return self._decide(lambda change: self.store.split(record_key, operator, change))

    def merge(self, keep: str, other: str, operator: str) -> str:
        """Make two works one; `other`'s id redirects to `keep` from now on."""
        return self._decide(lambda change: self.store.merge(keep, other, operator, change))

    def rematch(self) -> int:
        """Match every stored record again (after the rules changed), overrides kept."""
        return self._decide(self.store.rematch)

    def _decide(self, action):
        change = Change()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            outcome = action(change)
            renamed = self.store.settle_ids(change)
            if isinstance(outcome, str):
                outcome = renamed.get(outcome, outcome)
            self._index_works(change.reindex, change.removed)
            self.engine.commit()
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return outcome

    def _index_works(
        self, reindex: set[str], removed: set[str], stored: Mapping[str, Record] | None = None
    ) -> int:
        """Send the engine the documents of `reindex` and the deletions of `removed`.

        `stored` are the Records this batch has just written, by record key; they are used
        as they are rather than read back from the store.
        """
        documents = []
        payloads: dict[str, WorkPayload] = {}
        members_of = self.store.members_of(reindex, stored)
        for work_id in sorted(reindex):
            members = members_of.get(work_id)
            if members:
                payload = payloads[work_id] = self._payload(work_id, members)
                documents.append(index_document(payload, [r for r, _ in members]))
            else:
                removed = removed | {work_id}
        self.journal.note(payloads, removed)  # the OAI-PMH provider's datestamps
        if documents:
            self.engine.upsert(documents)
        if removed:
            self.engine.delete(sorted(removed))
        return len(documents)
