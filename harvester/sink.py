"""What the harvester hands over: harvested records, to a sink the caller provides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

from config.partners import Partner


@dataclass
class HarvestedRecord:
    identifier: str
    datestamp: str
    deleted: bool
    metadata: etree._Element | None  # the element inside <metadata>; None when deleted
    sets: list[str] = field(default_factory=list)


class RecordSink(Protocol):
    """Where harvested records go (the indexer's catalog in fedcat, a dict in tests)."""

    def apply(self, partner: Partner, records: list[HarvestedRecord], run_id: str) -> None:
        """Upsert/delete these records durably; raises on failure.

        Called from a worker thread, one call at a time overall. Must be idempotent: after a
        crash the harvester applies the last unsaved batch again.
        """

    def sweep(self, partner: Partner, run_id: str) -> int:
        """After a COMPLETE full harvest of partner: remove its records not seen in run_id;
        returns how many were removed."""
