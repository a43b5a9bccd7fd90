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


@dataclass(frozen=True)
class Rejection:
    """A record the sink could not use (it could not be mapped, say), and why."""

    identifier: str
    reason: str


@dataclass
class SinkResult:
    """What a sink says about a batch it applied: the records it rejected, each with why.

    A rejected record is not an error of the batch: the rest is applied and checkpointed, and
    each rejection becomes a problem in the partner's run report.
    """

    rejected: list[Rejection] = field(default_factory=list)


class RecordSink(Protocol):
    """Where harvested records go (the indexer's catalog in fedcat)."""

    def apply(self, partner: Partner, records: list[HarvestedRecord], run_id: str) -> SinkResult:
        """Upsert/delete these records durably; raises on failure; says what it rejected.

        Called from a worker thread, one call at a time overall. Must be idempotent: after a
        crash the harvester applies the last unsaved batch again.
        """
        ...

    # A sink may also offer `prepare(partner, records) -> object | None`: the harvester calls
    # it (in a worker thread, several at a time) before taking its one-apply-at-a-time lock,
    # and passes what it returns, unless None, to `apply` as the keyword `prepared`.

    def sweep(self, partner: Partner, run_id: str) -> int:
        """After a COMPLETE full harvest of partner: remove its records not seen in run_id;
        returns how many were removed."""
        ...
