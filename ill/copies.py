"""Copies of articles and chapters: the lender's scan, the patron's download, the CONTU count.

The lender's staff upload the scan (a PDF) for a Copy request; it is kept in the data
directory under a random name (`copies/<random>`), and the request becomes CopyCompleted in
the same step (which queues the patron's mail). Only the requesting patron may download it,
until `copy_days` after the upload; `delete_expired` (run by `fedcat ill tick`) then deletes
the file. To anyone else the copy does not exist (404).

Copyright compliance is the borrowing library's duty: `contu_check` counts the library's copy
requests this calendar year from one journal (by ISSN, else by normalised title) for articles
of its last five years, and says when the count is past the limit (CONTU's "rule of five").
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from ill import schema
from ill.errors import CopyGone, NotPermitted, RequestNotFound, ScanRefused
from ill.model import Actor, Citation, Request
from ill.service import IllService
from ill.states import Action, Role, Status

PDF_TYPES = ("application/pdf",)
PDF_MAGIC = b"%PDF-"
#: articles of a journal's last this many years count towards the CONTU limit
CONTU_YEARS = 5
#: statuses of copy requests that count: asked for and not refused or withdrawn
_COUNTED = ("Cancelled", "Unfilled")


@dataclass(frozen=True)
class CopySettings:
    """FEDCAT_COPY_DAYS, FEDCAT_COPY_LIMIT, FEDCAT_COPY_MAX_MB, and the data directory."""

    directory: Path  # data_dir / "copies"
    days: int = 14
    limit: int = 5
    max_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class CopyFile:
    request_id: str
    path: Path
    size: int
    uploaded_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ContuCheck:
    """This year's copy requests of one borrowing library from one journal's recent years."""

    journal: str  # the key counted by: "issn:0028-0836" or "title:nature"
    year: int
    count: int
    limit: int

    @property
    def past_limit(self) -> bool:
        return self.count > self.limit


class Copies:
    """Scans of one request store, in one directory."""

    def __init__(self, service: IllService, settings: CopySettings) -> None:
        self.service, self.settings = service, settings
        self.engine = service.store.engine

    # upload ---------------------------------------------------------------------------------

    def upload(
        self, request_id: str, actor: Actor, scan: IO[bytes], content_type: str, now: datetime
    ) -> CopyFile:
        """Keep the lender's scan and complete the request; refused, nothing is kept."""
        request = self.service.get(request_id, actor)
        if actor.role is not Role.lender or request.service != "Copy":
            raise NotPermitted("only the lending library's staff upload the scan of a copy")
        data = self._read_pdf(scan, content_type)
        self.settings.directory.mkdir(parents=True, exist_ok=True)
        path = self.settings.directory / secrets.token_hex(16)
        path.write_bytes(data)
        copy = CopyFile(request_id, path, len(data), now, now + timedelta(days=self.settings.days))
        try:
            self._insert(copy)
            self.service.act(request_id, actor, Action.CopyDelivered, note="scan uploaded")
        except Exception:
            self._remove(copy)
            raise
        return copy

    def _read_pdf(self, scan: IO[bytes], content_type: str) -> bytes:
        if content_type.split(";")[0].strip().lower() not in PDF_TYPES:
            raise ScanRefused(f"the scan must be a PDF, not {content_type or 'unknown'}", 415)
        data = scan.read(self.settings.max_bytes + 1)
        if len(data) > self.settings.max_bytes:
            limit = self.settings.max_bytes // (1024 * 1024)
            raise ScanRefused(f"the scan is larger than {limit} MB", 413)
        if not data.startswith(PDF_MAGIC):
            raise ScanRefused("the file is not a PDF (it does not start with %PDF-)", 415)
        return data

    def _insert(self, copy: CopyFile) -> None:
        row = {
            "request_id": copy.request_id,
            "file_name": copy.path.name,
            "size": copy.size,
            "uploaded_at": copy.uploaded_at,
            "expires_at": copy.expires_at,
        }
        with self.engine.begin() as tx:
            tx.execute(schema.copies.insert().values(**row))

    def _remove(self, copy: CopyFile) -> None:
        copy.path.unlink(missing_ok=True)
        with self.engine.begin() as tx:
            tx.execute(schema.copies.delete().where(schema.copies.c.request_id == copy.request_id))

    # download -------------------------------------------------------------------------------

    def for_patron(self, request_id: str, patron: Actor, now: datetime) -> CopyFile:
        """The scan the requesting patron may download; 404 for anyone else, 410 once expired."""
        try:
            request = self.service.get(request_id, patron)
        except NotPermitted:
            raise RequestNotFound(request_id) from None
        copy = self.find(request_id)
        if patron.role is not Role.patron or copy is None or not _completed(request):
            raise RequestNotFound(request_id)
        if now >= copy.expires_at or not copy.path.exists():
            raise CopyGone(
                f"the copy for {request_id} could be downloaded until {copy.expires_at:%Y-%m-%d}"
            )
        return copy

    def find(self, request_id: str) -> CopyFile | None:
        t = schema.copies
        with self.engine.connect() as connection:
            row = connection.execute(t.select().where(t.c.request_id == request_id)).first()
        if row is None:
            return None
        path = self.settings.directory / row.file_name
        return CopyFile(row.request_id, path, row.size, row.uploaded_at, row.expires_at)

    # housekeeping ---------------------------------------------------------------------------

    def delete_expired(self, now: datetime) -> int:
        """Delete the files whose download period is over; how many were."""
        t = schema.copies
        query = t.select().where(t.c.expires_at <= now, t.c.deleted_at.is_(None))
        with self.engine.begin() as tx:
            rows = list(tx.execute(query))
            for row in rows:
                (self.settings.directory / row.file_name).unlink(missing_ok=True)
            if rows:
                ids = [row.request_id for row in rows]
                tx.execute(t.update().where(t.c.request_id.in_(ids)).values(deleted_at=now))
        return len(rows)

    # CONTU ----------------------------------------------------------------------------------

    def contu_check(self, request: Request) -> ContuCheck | None:
        """The count this request belongs to (None for a loan or a citation without a journal)."""
        key = journal_key(request.citation)
        if request.service != "Copy" or key is None or request.created_at is None:
            return None
        year = request.created_at.year
        counted = [
            other
            for other in self._copy_requests(request.borrowing_library, year)
            if journal_key(other.citation) == key and recent(other.citation, year)
        ]
        return ContuCheck(key, year, len(counted), self.settings.limit)

    def _copy_requests(self, library_id: str, year: int) -> list[Request]:
        start = datetime(year, 1, 1, tzinfo=UTC)
        return [
            r
            for r in self.service.store.find(borrowing_library=library_id)
            if r.service == "Copy"
            and r.created_at is not None
            and start <= r.created_at < start.replace(year=year + 1)
            and (r.state.status is None or r.state.status.value not in _COUNTED)
        ]


def journal_key(citation: Citation | None) -> str | None:
    """What copies are counted by: the ISSN when given, else the journal title, normalised."""
    if citation is None:
        return None
    issn = re.sub(r"[^0-9X]", "", citation.issn.upper())
    if len(issn) == 8:
        return f"issn:{issn[:4]}-{issn[4:]}"
    title = unicodedata.normalize("NFKD", citation.source_title).casefold()
    title = " ".join(re.sub(r"[^\w\s]", " ", title).split())
    title = re.sub(r"^(the|a|an) ", "", title)
    return f"title:{title}" if title else None


def recent(citation: Citation | None, year: int) -> bool:
    """An article of the journal's last five years (an unknown year counts: to be safe)."""
    digits = re.search(r"\d{4}", citation.year if citation else "")
    return digits is None or int(digits.group()) > year - CONTU_YEARS


def _completed(request: Request) -> bool:
    return request.state.status is Status.CopyCompleted
