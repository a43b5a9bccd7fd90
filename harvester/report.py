"""The run report an operator reads after a harvest, and the progress callback interface.

The report is written to data_dir/reports/<run_id>.json (and kept in the checkpoint store):
per partner the records and deletions applied, pages, retries, errors with their messages,
duration and rate, and whether the run completed.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol


class Progress(Protocol):
    """Told as a harvest goes: counters to add (records, deleted, pages, errors) or a state
    ("identify", "harvesting", "applying", "done", "failed"). fedcat.progress draws it."""

    def __call__(self, partner_id: str, **changes: int | str) -> None: ...


def no_progress(partner_id: str, **changes: int | str) -> None:
    """The progress callback when nobody watches."""


@dataclass
class PartnerReport:
    partner_id: str
    run_id: str
    mode: str  # "full", "incremental", "resumed" or "not started" (stopped before its turn)
    from_date: str | None = None
    records: int = 0  # records applied (upserts and deletions)
    deleted: int = 0
    pages: int = 0
    retries: int = 0
    restarts: int = 0  # list restarts after a rejected resumption token
    swept: int = 0  # records a full harvest found gone
    #: a full harvest's sweep: what it removed, or held (harvester.removal.Removal)
    removal: dict | None = None
    complete: bool = False
    problems: list[str] = field(default_factory=list)  # things survived (salvaged pages, ...)
    error: str | None = None  # why the partner's run stopped, None if it did not
    interrupted: bool = False  # stopped on request (SIGTERM, Ctrl-C), checkpoint saved
    #: records refused in this run (by the sink, or skipped on their page), counted by reason
    rejected: dict[str, int] = field(default_factory=dict)
    #: pages whose malformed XML was repaired or salvaged in this run
    repairs: int = 0
    #: the partner's metadata quality at the end of the run, when the sink says it
    #: (indexer.quality: {"records", "holdings", "shares": {name: 0..1}})
    quality: dict | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None

    @property
    def duration(self) -> float:
        return max((self.finished or time.time()) - self.started, 0.0)

    @property
    def rate(self) -> float:
        """Records per second."""
        return self.records / self.duration if self.duration else 0.0

    @property
    def errors(self) -> int:
        return len(self.problems) + (1 if self.error else 0)

    def reject(self, reason: str, identifier: str = "") -> None:
        """Count one refused record under its reason (the record's own identifier left out,
        so that one reason's refusals add up)."""
        kind = reject_reason(reason, identifier)
        self.rejected[kind] = self.rejected.get(kind, 0) + 1

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "duration_seconds": round(self.duration, 3),
            "records_per_second": round(self.rate, 1),
            "errors": self.errors,
        }


@dataclass
class RunReport:
    run_id: str
    started: float = field(default_factory=time.time)
    finished: float | None = None
    partners: list[PartnerReport] = field(default_factory=list)
    path: Path | None = None
    #: why the harvest was stopped early ("SIGTERM", "SIGINT"), None when it ran to its end
    interrupted: str | None = None

    @property
    def ok(self) -> bool:
        return all(p.error is None for p in self.partners)

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "started": _iso(self.started),
            "finished": _iso(self.finished) if self.finished else None,
            "ok": self.ok,
            "interrupted": self.interrupted,
            "partners": [p.to_dict() for p in self.partners],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def summary(self) -> str:
        """A few lines for the terminal."""
        outcome = "ok" if self.ok else "with failures"
        if self.interrupted:
            outcome = (
                f"interrupted by {self.interrupted} (every batch in hand was checkpointed; "
                "the next fedcat harvest resumes)"
            )
        lines = [f"harvest {self.run_id}: {outcome}"]
        for p in self.partners:
            outcome = "complete" if p.complete else f"stopped: {p.error}"
            if p.complete and p.swept:
                outcome += f", {p.swept} vanished records removed"
            lines.append(
                f"  {p.partner_id}: {p.records} records ({p.deleted} deleted), {p.pages} pages, "
                f"{p.rate:,.0f}/s, {p.errors} errors, {outcome}"
            )
        if self.path:
            lines.append(f"  report: {self.path}")
        return "\n".join(lines)


_RECORD_NAMED = re.compile(r"\brecord \S+ (has|is)\b")


def reject_reason(reason: str, identifier: str = "") -> str:
    """A refusal's reason without what names the one record: "x: MARC record has no title"
    and "y: MARC record has no title" are one reason."""
    if identifier:
        reason = reason.replace(f"{identifier}: ", "").replace(identifier, "…")
    reason = _RECORD_NAMED.sub(r"record \1", reason).strip()
    return reason[:120] or "no reason given"


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
