"""OAI-PMH 2.0 data provider of the union catalogue: one record per work.

The six verbs over `indexer.changes.JournalReader` (datestamps, deletions and sets from
fedcat's own changes) and a lookup of each work's payload. Metadata formats: ``oai_dc`` and
``marcxml`` (one 852 per holding library). Sets: ``library:<partner id>`` and
``format:<format>`` under ``library`` and ``format``. Resumption tokens carry the whole state
of a list (its arguments and the last entry sent), so they survive a restart of fedcat and
work on any of its web processes; a list is ordered by (datestamp, work id), so a work that
changes during a harvest moves to the end of it rather than being missed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from indexer.changes import FORMAT_SET, LIBRARY_SET, JournalEntry, JournalReader
from indexer.normalize import FORMATS
from indexer.payloads import WorkPayload
from outward.dc import OAI_DC_NS, OAI_DC_SCHEMA, dublin_core
from outward.marcxml import MARC_NS, marcxml_record
from outward.xml import parse_fragment, sub

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI = f"{{{OAI_NS}}}"
IDENTIFIER_PREFIX = "oai:fedcat:"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
PAGE_SIZE = 50
EARLIEST_EVER = "1970-01-01T00:00:00Z"
LATEST_EVER = "9999-12-31T23:59:59Z"

#: metadataPrefix -> (schema, namespace, writer)
FORMATS_OFFERED: dict[str, tuple[str, str, Callable[[WorkPayload], etree._Element]]] = {
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS, dublin_core),
    "marcxml": (
        "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
        MARC_NS,
        lambda payload: parse_fragment(marcxml_record(payload)),
    ),
}
#: Arguments of each verb: (required, optional); resumptionToken is exclusive.
VERBS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Identify": ((), ()),
    "ListMetadataFormats": ((), ("identifier",)),
    "ListSets": ((), ("resumptionToken",)),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "GetRecord": (("identifier", "metadataPrefix"), ()),
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class OaiError(Exception):
    """An OAI-PMH error condition: its code and a message for the harvester's operator."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Repository:
    """What Identify says, and what the provider needs to answer."""

    name: str
    base_url: str
    admin_email: str
    #: partner id -> name, for ListSets
    libraries: Mapping[str, str]


@dataclass(frozen=True)
class ListState:
    """Everything a resumption token carries."""

    prefix: str
    start: str
    until: str
    set_spec: str | None
    after: tuple[str, str] | None
    cursor: int

    def token(self) -> str:
        data = [self.prefix, self.start, self.until, self.set_spec, self.after, self.cursor]
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> ListState:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            prefix, start, until, set_spec, after, cursor = json.loads(raw)
            state = cls(
                prefix, start, until, set_spec, tuple(after) if after else None, int(cursor)
            )
            if not (isinstance(prefix, str) and isinstance(start, str) and isinstance(until, str)):
                raise ValueError("bad token fields")
            if set_spec is not None and not isinstance(set_spec, str):
                raise ValueError("bad token set")
            if state.after is not None and not all(isinstance(v, str) for v in state.after):
                raise ValueError("bad token position")
            if len(state.after or ()) not in (0, 2) or state.cursor < 0:
                raise ValueError("bad token position")
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
            raise OaiError(
                "badResumptionToken", "The resumption token is not one of ours."
            ) from None
        return state


class OaiProvider:
    def __init__(
        self,
        repository: Repository,
        journal: JournalReader,
        work: Callable[[str], WorkPayload | None],
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.repository = repository
        self.journal = journal
        self.work = work
        self.page_size = page_size

    def respond(self, params: Mapping[str, list[str]], now: str | None = None) -> bytes:
        root = etree.Element(f"{OAI}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
        root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
        sub(root, f"{OAI}responseDate", now or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        request = sub(root, f"{OAI}request", self.repository.base_url)
        try:
            verb, args = _arguments(params)
            for name, value in [("verb", verb), *args.items()]:
                request.set(name, value)
            getattr(self, f"_{verb}")(root, args)
        except OaiError as error:
            if error.code in ("badVerb", "badArgument"):
                for name in list(request.attrib):
                    del request.attrib[name]
            del root[2:]
            sub(root, f"{OAI}error", error.message, code=error.code)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    # -- verbs --------------------------------------------------------------------------
    def _Identify(self, root, args) -> None:
        identify = sub(root, f"{OAI}Identify")
        sub(identify, f"{OAI}repositoryName", self.repository.name)
        sub(identify, f"{OAI}baseURL", self.repository.base_url)
        sub(identify, f"{OAI}protocolVersion", "2.0")
        sub(identify, f"{OAI}adminEmail", self.repository.admin_email)
        sub(identify, f"{OAI}earliestDatestamp", self.journal.earliest() or EARLIEST_EVER)
        sub(identify, f"{OAI}deletedRecord", "persistent")
        sub(identify, f"{OAI}granularity", GRANULARITY)

    def _ListMetadataFormats(self, root, args) -> None:
        if "identifier" in args:
            self._entry(args["identifier"])
        formats = sub(root, f"{OAI}ListMetadataFormats")
        for prefix, (schema, namespace, _) in FORMATS_OFFERED.items():
            element = sub(formats, f"{OAI}metadataFormat")
            sub(element, f"{OAI}metadataPrefix", prefix)
            sub(element, f"{OAI}schema", schema)
            sub(element, f"{OAI}metadataNamespace", namespace)

    def _ListSets(self, root, args) -> None:
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "ListSets is answered in one page.")
        sets = sub(root, f"{OAI}ListSets")
        names = {LIBRARY_SET: "Holding libraries", FORMAT_SET: "Formats"}
        names |= {f"{LIBRARY_SET}:{k}": v for k, v in self.repository.libraries.items()}
        names |= {f"{FORMAT_SET}:{f}": f.replace("_", " ").capitalize() for f in FORMATS}
        for spec in sorted(names):
            element = sub(sets, f"{OAI}set")
            sub(element, f"{OAI}setSpec", spec)
            sub(element, f"{OAI}setName", names[spec])

    def _GetRecord(self, root, args) -> None:
        writer = self._writer(args["metadataPrefix"])
        entry = self._entry(args["identifier"])
        self._record(sub(root, f"{OAI}GetRecord"), entry, writer)

    def _ListIdentifiers(self, root, args) -> None:
        self._list(root, args, records=False)

    def _ListRecords(self, root, args) -> None:
        self._list(root, args, records=True)

    # -- lists ------------------------------------------------------------------------
    def _list(self, root, args, records: bool) -> None:
        if "resumptionToken" in args:
            state = ListState.from_token(args["resumptionToken"])
            self._writer(state.prefix, token=True)
        else:
            state = self._new_list(args)
        writer = self._writer(state.prefix)
        entries = self.journal.page(
            state.start, state.until, state.set_spec, state.after, self.page_size + 1
        )
        if not entries and state.after is None:
            raise OaiError("noRecordsMatch", "No record matches these arguments.")
        more, entries = len(entries) > self.page_size, entries[: self.page_size]
        container = sub(root, f"{OAI}{'ListRecords' if records else 'ListIdentifiers'}")
        for entry in entries:
            if records:
                self._record(container, entry, writer)
            else:
                self._header(container, entry)
        if state.after is None and not more:
            return  # a complete list in one answer carries no token
        total = self.journal.count(state.start, state.until, state.set_spec)
        token = sub(container, f"{OAI}resumptionToken", completeListSize=str(total))
        token.set("cursor", str(state.cursor))
        if more:
            last = entries[-1]
            following = ListState(
                state.prefix,
                state.start,
                state.until,
                state.set_spec,
                (last.datestamp, last.work_id),
                state.cursor + len(entries),
            )
            token.text = following.token()

    def _new_list(self, args: Mapping[str, str]) -> ListState:
        start = _datestamp(args.get("from"), end=False)
        until = _datestamp(args.get("until"), end=True)
        given = [args[k] for k in ("from", "until") if k in args]
        if len(given) == 2 and len(given[0]) != len(given[1]):
            raise OaiError("badArgument", "from and until must have the same granularity.")
        if start > until:
            raise OaiError("badArgument", "from is later than until.")
        set_spec = args.get("set")
        if set_spec is not None and not self._known_set(set_spec):
            raise OaiError("noRecordsMatch", f"No record is in the set {set_spec[:60]!r}.")
        return ListState(args["metadataPrefix"], start, until, set_spec, None, 0)

    def _known_set(self, spec: str) -> bool:
        family, _, member = spec.partition(":")
        if not member:
            return family in (LIBRARY_SET, FORMAT_SET)
        if family == LIBRARY_SET:
            return member in self.repository.libraries
        return family == FORMAT_SET and member in FORMATS

    def _writer(self, prefix: str, token: bool = False):
        offered = FORMATS_OFFERED.get(prefix)
        if offered is None:
            if token:
                raise OaiError("badResumptionToken", "The resumption token is not one of ours.")
            raise OaiError(
                "cannotDisseminateFormat",
                f"The metadata format {prefix[:40]!r} is not offered; "
                f"try {', '.join(FORMATS_OFFERED)}.",
            )
        return offered[2]

    def _entry(self, identifier: str) -> JournalEntry:
        work_id = identifier.removeprefix(IDENTIFIER_PREFIX)
        entry = self.journal.entry(work_id) if identifier.startswith(IDENTIFIER_PREFIX) else None
        if entry is None:
            raise OaiError("idDoesNotExist", f"No record has the identifier {identifier[:80]!r}.")
        return entry

    def _header(self, parent, entry: JournalEntry) -> None:
        header = sub(parent, f"{OAI}header")
        if entry.deleted:
            header.set("status", "deleted")
        sub(header, f"{OAI}identifier", IDENTIFIER_PREFIX + entry.work_id)
        sub(header, f"{OAI}datestamp", entry.datestamp)
        for spec in entry.sets:
            sub(header, f"{OAI}setSpec", spec)

    def _record(self, parent, entry: JournalEntry, writer) -> None:
        payload = None if entry.deleted else self.work(entry.work_id)
        record = sub(parent, f"{OAI}record")
        if payload is None and not entry.deleted:
            # the engine lags the journal (a rebuild under way): announce the work as it
            # stands rather than leave a hole in the list; the next change re-announces it
            entry = JournalEntry(entry.work_id, entry.datestamp, True, entry.sets)
        self._header(record, entry)
        if payload is not None:
            sub(record, f"{OAI}metadata").append(writer(payload))


def _arguments(params: Mapping[str, list[str]]) -> tuple[str, dict[str, str]]:
    verbs = params.get("verb") or []
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OaiError("badVerb", "The verb is missing, repeated or not an OAI-PMH verb.")
    verb = verbs[0]
    required, optional = VERBS[verb]
    args: dict[str, str] = {}
    for name, values in params.items():
        if name == "verb":
            continue
        if name not in required and name not in optional:
            raise OaiError("badArgument", f"{verb} takes no argument {name[:40]!r}.")
        if len(values) != 1:
            raise OaiError("badArgument", f"The argument {name!r} is repeated.")
        args[name] = values[0]
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument.")
        return verb, args
    missing = [name for name in required if name not in args]
    if missing:
        raise OaiError("badArgument", f"{verb} needs the argument {missing[0]}.")
    return verb, args


def _datestamp(value: str | None, end: bool) -> str:
    """A from/until argument at the seconds granularity (a day covers the whole day)."""
    if value is None:
        return LATEST_EVER if end else EARLIEST_EVER
    if _SECOND.fullmatch(value):
        stamp = value
    elif _DAY.fullmatch(value):
        stamp = value + ("T23:59:59Z" if end else "T00:00:00Z")
    else:
        raise OaiError("badArgument", f"{value[:40]!r} is not a date of granularity {GRANULARITY}.")
    try:
        datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise OaiError("badArgument", f"{value[:40]!r} is not a real date.") from None
    return stamp
