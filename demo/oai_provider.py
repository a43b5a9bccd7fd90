"""A small OAI-PMH 2.0 data provider: the demo partner libraries' feed, and the harvester's
test server.

`make_app(records, ...)` serves the six verbs over GET and POST with resumption-token paging,
from/until filtering at the declared granularity and the protocol's error codes. A `Faults`
object on the app (`app[FAULTS]`) can be changed while the server runs to make it misbehave
the way real partner servers do: 503s with Retry-After, 500s, slow answers, cut connections,
redirects, malformed or hostile pages, expired resumption tokens. `serve(app)` runs it on a
free loopback port in a background thread.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"

#: metadataPrefix -> (schema, namespace) of the formats a partner library may offer.
FORMATS = {
    "marc21": (
        "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
        "http://www.loc.gov/MARC21/slim",
    ),
    "marcxml": (
        "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
        "http://www.loc.gov/MARC21/slim",
    ),
    "unimarc": ("info:srw/schema/8/unimarcxml-v0.1", "info:srw/schema/8/unimarcxml-v0.1"),
    "cnmarc": ("http://www.nlc.cn/", "http://www.nlc.cn/"),
    "oai_dc": (
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        "http://www.openarchives.org/OAI/2.0/oai_dc/",
    ),
    "mods": ("http://www.loc.gov/standards/mods/v3/mods-3-7.xsd", "http://www.loc.gov/mods/v3"),
}

#: Arguments each verb takes: (required, optional). resumptionToken is exclusive.
VERBS = {
    "Identify": ((), ()),
    "ListMetadataFormats": ((), ("identifier",)),
    "ListSets": ((), ("resumptionToken",)),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "GetRecord": (("identifier", "metadataPrefix"), ()),
}

#: Page fault kinds, see `Faults.page_faults`.
PAGE_FAULTS = ("truncated", "control-char", "bare-ampersand", "expired-token", "xxe", "bomb")


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


@dataclass
class ProviderRecord:
    """One item in the repository; `metadata` maps a prefix to its XML metadata element."""

    identifier: str
    datestamp: datetime | str
    sets: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    deleted: bool = False

    def __post_init__(self) -> None:
        self.datestamp = _utc(self.datestamp)


@dataclass
class Faults:
    """How the server misbehaves; tests change these while it runs.

    Counters apply to the next N requests of any verb and count down. `page_faults` maps a
    list page number (1-based) to the faults served, one per request for that page, in order:
    `{3: ["expired-token"]}` rejects page 3's token once; `{2: ["truncated"] * 9}` keeps
    page 2 broken across retries.
    """

    unavailable: int = 0  # 503 with Retry-After
    retry_after: str = "1"
    server_errors: int = 0  # 500
    drops: int = 0  # connection closed halfway through the body
    redirects: int = 0  # 302 to the same request
    delay: float = 0.0  # seconds before every answer
    compress: bool = True  # gzip/deflate when the client accepts it
    page_faults: dict[int, list[str]] = field(default_factory=dict)
    #: What was asked, for assertions: (method, args, Accept-Encoding, answer status).
    log: list[tuple[str, dict[str, str], str, int]] = field(default_factory=list)

    def take(self, name: str) -> bool:
        """Use up one of counter `name`; True when it was still positive."""
        if getattr(self, name) > 0:
            setattr(self, name, getattr(self, name) - 1)
            return True
        return False

    def take_page_fault(self, page: int) -> str | None:
        queue = self.page_faults.get(page)
        return queue.pop(0) if queue else None


class Repository:
    """The records a provider serves, by identifier, in insertion order; safe to change live."""

    def __init__(self, records: Iterable[ProviderRecord], granularity: str = SECONDS):
        self.granularity = granularity
        self._records: dict[str, ProviderRecord] = {}
        #: formats the repository serves: those of every record it ever held, so one that
        #: empties still answers noRecordsMatch, as a real one does, not cannotDisseminateFormat
        self._formats: set[str] = set()
        for record in records:
            self.put(record)

    def put(self, record: ProviderRecord) -> None:
        self._records.pop(record.identifier, None)
        self._records[record.identifier] = record
        self._formats.update(record.metadata)

    def delete(self, identifier: str, datestamp: datetime | str) -> None:
        """Mark the record deleted (deletedRecord=persistent): it stays, with a tombstone."""
        old = self._records[identifier]
        self.put(ProviderRecord(identifier, datestamp, list(old.sets), {}, deleted=True))

    def vanish(self, identifier: str) -> None:
        """Drop the record without a trace, as a server with deletedRecord=no would."""
        self._records.pop(identifier, None)

    def get(self, identifier: str) -> ProviderRecord | None:
        return self._records.get(identifier)

    def __iter__(self) -> Iterator[ProviderRecord]:
        return iter(sorted(self._records.values(), key=lambda r: r.datestamp))

    def earliest(self) -> datetime | None:
        return min((r.datestamp for r in self._records.values()), default=None)

    def select(
        self, prefix: str, start: datetime | None, end: datetime | None, set_spec: str | None
    ) -> Sequence[ProviderRecord]:
        """The records a list request covers, in datestamp order (a subclass may compute
        them lazily: the provider only takes `len()` and slices of the answer)."""
        chosen = []
        for record in self:
            if not record.deleted and prefix not in record.metadata:
                continue
            if start and record.datestamp < start or end and record.datestamp > end:
                continue
            if set_spec is not None and not any(
                s == set_spec or s.startswith(set_spec + ":") for s in record.sets
            ):
                continue
            chosen.append(record)
        return chosen

    def prefixes(self) -> list[str]:
        found = self._formats
        return [p for p in FORMATS if p in found] + sorted(found - set(FORMATS))

    def sets(self) -> list[str]:
        return sorted({s for r in self._records.values() for s in r.sets})

    def stamp(self, moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d" if self.granularity == DAY else "%Y-%m-%dT%H:%M:%SZ")


REPOSITORY = web.AppKey("repository", Repository)
FAULTS = web.AppKey("faults", Faults)
SETTINGS = web.AppKey("settings", dict)


class OAIError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _encode_token(verb: str, offset: int, args: dict[str, str]) -> str:
    raw = json.dumps({"verb": verb, "offset": offset, "args": args}, sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_token(verb: str, token: str) -> tuple[int, dict[str, str]]:
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if state["verb"] != verb or not isinstance(state["offset"], int) or state["offset"] < 0:
            raise ValueError
        return state["offset"], dict(state["args"])
    except (ValueError, KeyError, TypeError):
        raise OAIError(
            "badResumptionToken", "The resumptionToken is invalid or has expired"
        ) from None


def _parse_date(value: str, granularity: str) -> tuple[datetime, bool]:
    """The moment and whether it was given at day granularity."""
    try:
        if len(value) == 10:
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC), True
        if granularity == SECONDS and len(value) == 20:
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), False
    except ValueError:
        pass
    raise OAIError("badArgument", f"Illegal date {value!r} for granularity {granularity}")


def _check_arguments(verb: str, args: dict[str, str]) -> None:
    required, optional = VERBS[verb]
    unknown = set(args) - set(required) - set(optional)
    if unknown:
        raise OAIError(
            "badArgument", f"Illegal argument(s) for {verb}: {', '.join(sorted(unknown))}"
        )
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument")
        return
    missing = [name for name in required if name not in args]
    if missing:
        raise OAIError("badArgument", f"Missing argument(s) for {verb}: {', '.join(missing)}")


def _header(repo: Repository, record: ProviderRecord) -> str:
    status = ' status="deleted"' if record.deleted else ""
    sets = "".join(f"<setSpec>{escape(s)}</setSpec>" for s in record.sets)
    return (
        f"<header{status}><identifier>{escape(record.identifier)}</identifier>"
        f"<datestamp>{repo.stamp(record.datestamp)}</datestamp>{sets}</header>"
    )


def _record(repo: Repository, record: ProviderRecord, prefix: str) -> str:
    if record.deleted:
        return f"<record>{_header(repo, record)}</record>"
    return f"<record>{_header(repo, record)}<metadata>{record.metadata[prefix]}</metadata></record>"


def _select(repo: Repository, args: dict[str, str]) -> Sequence[ProviderRecord]:
    prefix = args["metadataPrefix"]
    if prefix not in repo.prefixes():
        raise OAIError("cannotDisseminateFormat", f"metadataPrefix {prefix!r} is not supported")
    start = end = None
    if "from" in args:
        start, _ = _parse_date(args["from"], repo.granularity)
    if "until" in args:
        end, end_is_day = _parse_date(args["until"], repo.granularity)
        if end_is_day:
            end = end.replace(hour=23, minute=59, second=59)
    if "from" in args and "until" in args:
        if len(args["from"]) != len(args["until"]):
            raise OAIError("badArgument", "from and until must have the same granularity")
        if start > end:
            raise OAIError("badArgument", "from is after until")
    if "set" in args and not repo.sets():
        raise OAIError("noSetHierarchy", "This repository does not support sets")
    chosen = repo.select(prefix, start, end, args.get("set"))
    if not chosen:
        raise OAIError("noRecordsMatch", "No records match the request")
    return chosen


def _list(app: web.Application, verb: str, args: dict[str, str]) -> tuple[str, int]:
    """The body of a ListRecords/ListIdentifiers page and its 1-based page number."""
    repo, size = app[REPOSITORY], app[SETTINGS]["page_size"]
    offset = 0
    if "resumptionToken" in args:
        offset, args = _decode_token(verb, args["resumptionToken"])
    page = offset // size + 1
    if offset and (app[FAULTS].page_faults.get(page) or [None])[0] == "expired-token":
        app[FAULTS].take_page_fault(page)
        raise OAIError("badResumptionToken", "The resumptionToken has expired")
    chosen = _select(repo, args)
    if offset >= len(chosen) and offset:
        raise OAIError("badResumptionToken", "The resumptionToken points past the list")
    part = chosen[offset : offset + size]
    if verb == "ListRecords":
        items = "".join(_record(repo, r, args["metadataPrefix"]) for r in part)
    else:
        items = "".join(_header(repo, r) for r in part)
    more = offset + size < len(chosen)
    token = _encode_token(verb, offset + size, args) if more else ""
    items += (
        f'<resumptionToken completeListSize="{len(chosen)}" cursor="{offset}">'
        f"{token}</resumptionToken>"
        if offset or more
        else ""
    )
    return items, page


def _answer(app: web.Application, verb: str, args: dict[str, str]) -> tuple[str, int | None]:
    """The verb element's content and, for list pages, the page number."""
    repo = app[REPOSITORY]
    if verb == "Identify":
        earliest = repo.earliest() or datetime(2000, 1, 1, tzinfo=UTC)
        return (
            f"<repositoryName>{escape(app[SETTINGS]['repository_name'])}</repositoryName>"
            f"<baseURL>{escape(app[SETTINGS]['base_url'])}</baseURL>"
            "<protocolVersion>2.0</protocolVersion>"
            "<adminEmail>catalog@example.org</adminEmail>"
            f"<earliestDatestamp>{repo.stamp(earliest)}</earliestDatestamp>"
            "<deletedRecord>persistent</deletedRecord>"
            f"<granularity>{repo.granularity}</granularity>"
        ), None
    if verb == "ListMetadataFormats":
        prefixes = repo.prefixes()
        if "identifier" in args:
            record = repo.get(args["identifier"])
            if record is None:
                raise OAIError("idDoesNotExist", f"No item {args['identifier']!r}")
            prefixes = [p for p in prefixes if p in record.metadata]
            if not prefixes:
                raise OAIError("noMetadataFormats", "No formats for this item")
        body = ""
        for prefix in prefixes:
            schema, namespace = FORMATS.get(prefix, ("", ""))
            body += (
                f"<metadataFormat><metadataPrefix>{escape(prefix)}</metadataPrefix>"
                f"<schema>{schema}</schema><metadataNamespace>{namespace}</metadataNamespace>"
                "</metadataFormat>"
            )
        return body, None
    if verb == "ListSets":
        if "resumptionToken" in args:
            raise OAIError("badResumptionToken", "ListSets is answered in one response")
        if not repo.sets():
            raise OAIError("noSetHierarchy", "This repository does not support sets")
        return "".join(
            f"<set><setSpec>{escape(s)}</setSpec><setName>{escape(s)}</setName></set>"
            for s in repo.sets()
        ), None
    if verb == "GetRecord":
        record = repo.get(args["identifier"])
        if record is None:
            raise OAIError("idDoesNotExist", f"No item {args['identifier']!r}")
        prefix = args["metadataPrefix"]
        if not record.deleted and prefix not in record.metadata:
            raise OAIError("cannotDisseminateFormat", f"{prefix!r} not available for this item")
        return _record(repo, record, prefix), None
    return _list(app, verb, args)


def _envelope(app: web.Application, verb: str | None, args: dict[str, str], inner: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in sorted(args.items()))
    verb_attribute = f" verb={quoteattr(verb)}" if verb in VERBS else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
        f"<responseDate>{now}</responseDate>"
        f"<request{verb_attribute}{attributes}>{escape(app[SETTINGS]['base_url'])}</request>"
        f"{inner}</OAI-PMH>"
    )


def _spoil(body: str, kind: str) -> str:
    """The page as a broken or hostile server would send it."""
    if kind == "truncated":
        return body[: len(body) * 2 // 3]
    if kind == "control-char":
        return body.replace("</identifier>", "\x0b</identifier>", 1)
    if kind == "bare-ampersand":
        return body.replace("</identifier>", " & co</identifier>", 1)
    if kind in ("xxe", "bomb"):
        if kind == "xxe":
            dtd = '<!ENTITY leak SYSTEM "file:///etc/passwd">'
            use = "&leak;"
        else:
            dtd = '<!ENTITY lol0 "lol">' + "".join(
                f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
            )
            use = "&lol9;"
        head, _, rest = body.partition("\n")
        return f"{head}\n<!DOCTYPE OAI-PMH [{dtd}]>\n" + rest.replace(
            "</identifier>", f"{use}</identifier>", 1
        )
    raise ValueError(f"unknown page fault {kind!r}")


async def _arguments(request: web.Request) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    sources = [request.query]
    if request.method == "POST":
        sources.append(await request.post())
    for source in sources:
        for key, value in source.items():
            values.setdefault(key, []).append(str(value))
    return values


async def _handle(request: web.Request) -> web.StreamResponse:
    app, faults = request.app, request.app[FAULTS]
    values = await _arguments(request)
    args = {k: v[0] for k, v in values.items() if k != "verb"}
    accept = request.headers.get("Accept-Encoding", "")
    if faults.delay:
        await asyncio.sleep(faults.delay)
    if faults.take("redirects"):
        location = request.url.with_query({k: v[0] for k, v in values.items()})
        faults.log.append((request.method, args, accept, 302))
        raise web.HTTPFound(location=str(location))
    if faults.take("unavailable"):
        faults.log.append((request.method, args, accept, 503))
        return web.Response(status=503, text="busy", headers={"Retry-After": faults.retry_after})
    if faults.take("server_errors"):
        faults.log.append((request.method, args, accept, 500))
        return web.Response(status=500, text="internal error")

    verb = values.get("verb", [None])[0]
    page = None
    try:
        if verb not in VERBS or len(values.get("verb", [])) > 1:
            raise OAIError("badVerb", "Missing, repeated or illegal verb")
        if any(len(v) > 1 for v in values.values()):
            raise OAIError("badArgument", "Repeated argument")
        _check_arguments(verb, args)
        inner, page = _answer(app, verb, args)
        body = _envelope(app, verb, args, f"<{verb}>{inner}</{verb}>")
    except OAIError as error:
        shown = {} if error.code in ("badVerb", "badArgument") else args
        inner = f'<error code="{error.code}">{escape(error.message)}</error>'
        body = _envelope(app, verb, shown, inner)
    fault = faults.take_page_fault(page) if page else None
    if fault:
        body = _spoil(body, fault)
    faults.log.append((request.method, {"verb": verb or "", **args}, accept, 200))
    return await _send(request, body.encode("utf-8"), faults)


async def _send(request: web.Request, payload: bytes, faults: Faults) -> web.StreamResponse:
    if faults.take("drops"):
        response = web.StreamResponse(headers={"Content-Type": "text/xml; charset=utf-8"})
        response.content_length = len(payload)
        await response.prepare(request)
        await response.write(payload[: len(payload) // 2])
        request.transport.close()
        return response
    response = web.Response(body=payload, content_type="text/xml", charset="utf-8")
    if faults.compress:
        response.enable_compression()
    return response


def make_app(
    records: Iterable[ProviderRecord] | Repository,
    *,
    repository_name: str,
    base_url_path: str = "/oai",
    granularity: str = SECONDS,
    page_size: int = 100,
    faults: Faults | None = None,
) -> web.Application:
    """An OAI-PMH 2.0 repository serving `records` at `base_url_path` (GET and POST).

    `records` may be a ready `Repository` (e.g. one that makes its records on demand)."""
    if granularity not in (DAY, SECONDS):
        raise ValueError(f"granularity must be {DAY!r} or {SECONDS!r}")
    app = web.Application()
    app[REPOSITORY] = (
        records if isinstance(records, Repository) else Repository(records, granularity)
    )
    app[FAULTS] = faults if faults is not None else Faults()
    app[SETTINGS] = {
        "repository_name": repository_name,
        "page_size": page_size,
        "base_url": base_url_path,
    }
    app.router.add_route("GET", base_url_path, _handle)
    app.router.add_route("POST", base_url_path, _handle)
    return app


@contextmanager
def serve(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run `app` in a background thread (its own event loop) on a free port; yields the OAI
    base URL. Works from plain code and from inside a running event loop alike."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="oai-provider", daemon=True)
    thread.start()
    runner = web.AppRunner(app, access_log=None)

    async def start() -> int:
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        return runner.addresses[0][1]

    try:
        bound_port = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
        path = next(r.resource.canonical for r in app.router.routes())
        url = f"http://{host}:{bound_port}{path}"
        app[SETTINGS]["base_url"] = url
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def marcxml(record) -> str:
    """A pymarc record as the MARCXML <record> element a marc21 feed carries."""
    import pymarc

    return pymarc.record_to_xml(record, namespace=True).decode("utf-8")
