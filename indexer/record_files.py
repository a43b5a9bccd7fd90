"""A partner's exported files read as the harvester reads a feed, for `fedcat import`.

Partners without OAI-PMH send files: binary MARC 21 (ISO 2709, MARC-8 or UTF-8, including
leaders that say MARC-8 over UTF-8 bytes), MARCXML (MARC 21, CNMARC, UNIMARC, MarcXchange
namespaces) and MODS. `FileSource` lists their records as pages of `HarvestedRecord`s, like
one ListRecords list, so the harvester's runner gives an import everything a harvest has:
the same mapping entry point (`indexer.mapping.map_record`, by the metadata prefix the files
call for), checkpoints after every page, resumption after a crash, the full run's sweep
under the removal guard and the run report.

A record's identifier is ``file:<001>`` (MARC) or ``file:<recordIdentifier>`` (MODS), so a
newer export of the same catalogue replaces each record; a record without one is known by
its place in its file (and the report says so). A MARC record whose leader/05 is ``d`` is
a deletion. A datestamp is the file's modification time. The resumption token names the
files (their SHA-256) and how many records were applied, so a rerun over other files starts
the list again instead of skipping records.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pymarc
from lxml import etree

from harvester.errors import BadResumptionToken, HarvestError
from harvester.protocol import Identity, Page
from harvester.sink import HarvestedRecord
from indexer.marc_readers import MARC_NAMESPACES, marc_records_from_file

MODS_NS = "http://www.loc.gov/mods/v3"
FileKind = Literal["iso2709", "marcxml", "mods"]
#: The metadata prefix (hence the mapping) each kind of file is read with.
PREFIX: dict[FileKind, str] = {"iso2709": "marcxml", "marcxml": "marcxml", "mods": "mods"}
_MARC_RECORD_TAGS = (*(f"{{{ns}}}record" for ns in MARC_NAMESPACES), "record")
_SAFE = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_BOM = b"\xef\xbb\xbf"


class ImportFailed(HarvestError):
    """A file that cannot be imported (unreadable, or not MARC or MODS)."""


@dataclass(frozen=True)
class RecordFile:
    path: Path
    kind: FileKind
    digest: str
    datestamp: str


def open_record_file(partner_id: str, path: Path) -> RecordFile:
    """The file, its kind told from its first bytes; ImportFailed when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(partner_id, f"cannot read {path}: {exc.strerror}") from None
    moment = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return RecordFile(
        path,
        _kind(partner_id, path, data),
        hashlib.sha256(data).hexdigest(),
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _kind(partner_id: str, path: Path, data: bytes) -> FileKind:
    head = data.removeprefix(_BOM).lstrip()
    if not head.startswith(b"<"):
        if len(head) >= 24 and head[:5].isdigit():  # an ISO 2709 leader: the record length
            return "iso2709"
        raise ImportFailed(partner_id, f"{path} is neither ISO 2709 MARC nor XML")
    try:  # the first MARC or MODS record tells, wherever it is (an SRU answer, a collection)
        for _, element in etree.iterparse(path, events=("start",), **_SAFE):
            if etree.QName(element).namespace == MODS_NS:
                return "mods"
            if element.tag in _MARC_RECORD_TAGS:
                return "marcxml"
    except etree.XMLSyntaxError as exc:
        raise ImportFailed(partner_id, f"{path} is not well-formed XML: {exc}") from None
    raise ImportFailed(partner_id, f"{path} holds no MARCXML or MODS record")


def import_prefix(partner_id: str, files: list[RecordFile]) -> str:
    """The one metadata prefix the files are mapped with (MARC and MODS cannot be mixed)."""
    prefixes = {PREFIX[f.kind] for f in files}
    if len(prefixes) != 1:
        raise ImportFailed(partner_id, "import MARC files and MODS files in separate runs")
    return prefixes.pop()


@dataclass
class FileSource:
    """The files as one list of pages, `page_size` records each (a `RecordSource`)."""

    partner_id: str
    files: list[RecordFile]
    page_size: int
    retries: int = 0

    async def identify(self) -> Identity:
        earliest = min((f.datestamp for f in self.files), default="")
        return Identity("files", "file:", "YYYY-MM-DDThh:mm:ssZ", earliest, "transient")

    async def sets(self) -> list[tuple[str, str]]:
        return []

    async def list_records(
        self,
        prefix: str,
        *,
        set_spec: str = "",
        from_date: str | None = None,
        until: str | None = None,
        resumption_token: str | None = None,
    ) -> AsyncIterator[Page]:
        """Every record of every file in order; from `resumption_token`, those not yet applied."""
        skip = self._position(resumption_token) if resumption_token else 0
        done = skip
        page = Page([], None)
        for item in self._items():
            if isinstance(item, str):
                if done >= skip:
                    page.problems.append(item)
                continue
            done += 1
            if done <= skip:
                continue
            page.records.append(item)
            if len(page.records) >= self.page_size:
                page.resumption_token = self._token(done)
                yield page
                page = Page([], None)
        yield page  # the last page: no token, the list is complete

    def _token(self, done: int) -> str:
        return json.dumps({"files": [f.digest for f in self.files], "done": done})

    def _position(self, token: str) -> int:
        try:
            state = json.loads(token)
            files, done = state["files"], state["done"]
        except (ValueError, KeyError, TypeError):
            files, done = None, None
        if files != [f.digest for f in self.files] or not isinstance(done, int):
            raise BadResumptionToken(
                self.partner_id,
                "badResumptionToken",
                "the unfinished run read other files than these",
            )
        return done

    def _items(self) -> Iterator[HarvestedRecord | str]:
        for record_file in self.files:
            try:
                yield from self._file_items(record_file)
            except etree.XMLSyntaxError as exc:  # stop: a full run must not sweep the rest
                message = f"{record_file.path}: broken XML, import stopped: {exc}"
                raise ImportFailed(self.partner_id, message) from None

    def _file_items(self, record_file: RecordFile) -> Iterator[HarvestedRecord | str]:
        reader = {"iso2709": _binary, "marcxml": _marcxml, "mods": _mods}[record_file.kind]
        number = 0
        for item in reader(record_file.path):
            if isinstance(item, str):
                yield f"{record_file.path.name}: {item}"
                continue
            number += 1
            local, deleted, element = item
            if not local:
                local = f"{record_file.path.name}#{number}"
                yield f"{record_file.path.name}: record {number} has no id; known as {local}"
            metadata = None if deleted else element
            yield HarvestedRecord(f"file:{local}", record_file.datestamp, deleted, metadata)


_Read = tuple[str, bool, etree._Element]


def _control_number(record: pymarc.Record) -> str:
    field = record.get("001")
    return (field.data or "").strip() if field is not None else ""


def _binary(path: Path) -> Iterator[_Read | str]:
    """ISO 2709 through the MARC readers (their MARC-8/UTF-8 rules), each as MARCXML."""
    with _warnings_from("indexer.marc_readers") as skipped:
        for record in marc_records_from_file(path):
            yield from skipped()
            xml = pymarc.record_to_xml(record, namespace=True)
            element = etree.fromstring(xml, etree.XMLParser(**_SAFE))
            deleted = str(record.leader)[5:6] == "d"
            yield _control_number(record), deleted, element
        yield from skipped()


def _marcxml(path: Path) -> Iterator[_Read | str]:
    for element in _elements(path, _MARC_RECORD_TAGS):
        f001 = element.find("{*}controlfield[@tag='001']")
        if f001 is None:
            f001 = element.find("controlfield[@tag='001']")
        local = (f001.text or "").strip() if f001 is not None else ""
        leader = element.findtext("{*}leader") or element.findtext("leader") or ""
        yield local, leader[5:6] == "d", element


def _mods(path: Path) -> Iterator[_Read | str]:
    for element in _elements(path, (f"{{{MODS_NS}}}mods",)):
        local = element.findtext(f"{{{MODS_NS}}}recordInfo/{{{MODS_NS}}}recordIdentifier")
        yield (local or "").strip(), False, element


def _elements(path: Path, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """Each element named `tags`, detached as it is read. The file is read inside a root of
    our own, as the MARC readers do, since some exports are bare lists of records."""
    parser = etree.XMLPullParser(events=("end",), tag=tags, **_SAFE)
    parser.feed(b"<fedcat-file>")
    with path.open("rb") as fh:
        head = fh.read(65536).removeprefix(_BOM).lstrip()
        if head.startswith(b"<?xml"):
            head = head[head.index(b"?>") + 2 :]
        parser.feed(head)
        yield from _detached(parser)
        for chunk in iter(lambda: fh.read(65536), b""):
            parser.feed(chunk)
            yield from _detached(parser)
    parser.feed(b"</fedcat-file>")
    yield from _detached(parser)
    parser.close()


def _detached(parser: etree.XMLPullParser) -> Iterator[etree._Element]:
    for _, element in parser.read_events():
        yield copy.deepcopy(element)
        element.clear()
        parent = element.getparent()
        while parent is not None and element.getprevious() is not None:
            del parent[0]


@contextmanager
def _warnings_from(logger_name: str):
    """What `logger_name` warns about while reading (records it skipped), as problems."""
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(record.getMessage())

    def drain() -> Iterator[str]:
        while found:
            yield found.pop(0)

    handler = Collect(logging.WARNING)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield drain
    finally:
        logger.removeHandler(handler)
