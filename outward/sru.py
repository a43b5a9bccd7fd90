"""SRU 2.0 and 1.2 over fedcat's engine: explain and searchRetrieve, answered as XML.

`SruService.respond(params)` takes the request's parameters and returns the response
document; every refusal is an SRU diagnostic in that document (never an HTTP error page),
so an SRU client always reads what went wrong. A request with ``version=1.1`` or ``1.2`` is
answered in SRU 1.2 (namespace ``http://www.loc.gov/zing/srw/``); any other in SRU 2.0.
Records are MARCXML with one 852 per holding (`outward.marcxml`), Dublin Core or MODS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lxml import etree

from indexer.engine import SearchEngine
from indexer.payloads import WorkPayload
from indexer.query import MatchAll, SearchRequest
from outward.cql import CqlSearch, parse_cql, sort_keys_parameter
from outward.dc import SRW_DC_NS, dublin_core
from outward.diagnostics import SruDiagnostic
from outward.marcxml import marcxml_record
from outward.mods import mods
from outward.xml import parse_fragment, sub

SRU12_NS = "http://www.loc.gov/zing/srw/"
SRU12_DIAG_NS = "http://www.loc.gov/zing/srw/diagnostic/"
SRU20_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
SRU20_DIAG_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
EXPLAIN_NS = "http://explain.z3950.org/dtd/2.0/"
DEFAULT_RECORDS = 10
MAX_RECORDS = 100
#: How deep a client may page (as on the search page: deep pages cost both engines).
MAX_POSITION = 1000


@dataclass(frozen=True)
class RecordSchema:
    name: str
    identifier: str
    title: str
    write: Callable[[WorkPayload], etree._Element]


SCHEMAS = (
    RecordSchema(
        "marcxml",
        "info:srw/schema/1/marcxml-v1.1",
        "MARCXML, one 852 per holding library",
        lambda p: parse_fragment(marcxml_record(p)),
    ),
    RecordSchema(
        "dc", "info:srw/schema/1/dc-v1.1", "Dublin Core", lambda p: dublin_core(p, SRW_DC_NS)
    ),
    RecordSchema("mods", "info:srw/schema/1/mods-v3.7", "MODS 3.7", mods),
)
#: Every name a client may give recordSchema (lower case) -> the schema.
SCHEMA_NAMES: dict[str, RecordSchema] = {
    **{s.name: s for s in SCHEMAS},
    **{s.identifier.lower(): s for s in SCHEMAS},
    "marc21": SCHEMAS[0],
    "marc21-xml": SCHEMAS[0],
    "info:srw/schema/1/marcxml-v1.2": SCHEMAS[0],
    "info:srw/schema/1/dc-schema": SCHEMAS[1],
    "oai_dc": SCHEMAS[1],
    "info:srw/schema/1/mods-v3.6": SCHEMAS[2],
}
#: The parameters of SRU 1.2 and 2.0 that fedcat reads; others (but x-...) are refused (8).
KNOWN_PARAMETERS = frozenset(
    {
        "operation", "version", "query", "queryType", "startRecord", "maximumRecords",
        "recordSchema", "recordPacking", "recordXMLEscaping", "sortKeys", "stylesheet",
        "resultSetTTL", "httpAccept", "renderedBy", "responseType",
    }
)  # fmt: skip
#: Indexes listed by explain: (set, name, title).
EXPLAIN_INDEXES = (
    ("cql", "serverChoice", "Any field"),
    ("cql", "allRecords", "Every record"),
    ("dc", "title", "Title"),
    ("dc", "creator", "Author or contributor"),
    ("dc", "subject", "Subject"),
    ("dc", "publisher", "Publisher"),
    ("bath", "isbn", "ISBN"),
    ("bath", "issn", "ISSN"),
    ("rec", "identifier", "fedcat work id"),
    ("fedcat", "library", "Held by library (partner id)"),
    ("fedcat", "availableAt", "Available at library (partner id)"),
)
CONTEXT_SETS = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
    "rec": "info:srw/cql-context-set/2/rec-1.1",
    "fedcat": "info:fedcat/cql-context-set/1/holdings",
}


class SruService:
    """Answers SRU requests from `engine`; `base_url` is what explain says the server is."""

    def __init__(
        self, engine: SearchEngine, known_libraries: set[str], base_url: str, title: str
    ) -> None:
        self.engine = engine
        self.known_libraries = known_libraries
        self.base_url = base_url
        self.title = title

    def respond(self, params: Mapping[str, list[str]]) -> bytes:
        version = single_or_none(params, "version")
        legacy = version in ("1.1", "1.2")
        ns = SRU12_NS if legacy else SRU20_NS
        try:
            if version not in (None, "1.1", "1.2", "2.0"):
                raise SruDiagnostic(5, "2.0")
            single = {name: _single(params, name) for name in params}
            unknown = [n for n in params if n not in KNOWN_PARAMETERS and not n.startswith("x-")]
            operation = single.get("operation") or (
                "searchRetrieve" if single.get("query") is not None else "explain"
            )
            if operation == "explain" and not unknown:
                return self._explain(ns, legacy, [])
            if operation not in ("explain", "searchRetrieve"):
                raise SruDiagnostic(4, operation)
            if unknown:
                raise SruDiagnostic(8, unknown[0][:50])
            if operation == "explain":
                return self._explain(ns, legacy, [])
            return self._search_retrieve(ns, legacy, single)
        except SruDiagnostic as diagnostic:
            if single_or_none(params, "operation") == "explain" or (
                single_or_none(params, "query") is None
                and single_or_none(params, "operation") is None
            ):
                return self._explain(ns, legacy, [diagnostic])
            return self._failed_search(ns, legacy, diagnostic)

    # -- searchRetrieve ---------------------------------------------------------------
    def _search_retrieve(self, ns: str, legacy: bool, params: Mapping[str, str | None]) -> bytes:
        if params.get("stylesheet"):
            raise SruDiagnostic(110, "")
        query = params.get("query")
        if query is None:
            raise SruDiagnostic(7, "query")
        if (params.get("queryType") or "cql") not in ("cql", "searchTerms"):
            raise SruDiagnostic(6, "queryType")
        start = _whole(params.get("startRecord"), "startRecord", 1)
        count = _whole(params.get("maximumRecords"), "maximumRecords", DEFAULT_RECORDS, low=0)
        if count > MAX_RECORDS:
            raise SruDiagnostic(60, str(MAX_RECORDS))
        if start + count - 1 > MAX_POSITION:
            raise SruDiagnostic(61, f"only the first {MAX_POSITION} records can be retrieved")
        schema_name = (params.get("recordSchema") or "marcxml").lower()
        schema = SCHEMA_NAMES.get(schema_name)
        if schema is None:
            raise SruDiagnostic(66, schema_name[:100])
        escaping = _escaping(params, legacy)
        search = parse_cql(query)
        sort = params.get("sortKeys")
        if sort:
            search.sort = sort_keys_parameter(sort)
        total, works = self._run(search, start - 1, count)
        if total and start > total:
            raise SruDiagnostic(61, str(start))
        root = etree.Element(f"{{{ns}}}searchRetrieveResponse", nsmap={"sru": ns})
        sub(root, f"{{{ns}}}version", "1.2" if legacy else "2.0")
        sub(root, f"{{{ns}}}numberOfRecords", str(total))
        if works:
            records = sub(root, f"{{{ns}}}records")
            for position, work in enumerate(works, start):
                self._record(records, ns, legacy, schema, escaping, work, position)
        following = start + len(works)
        if works and following <= total and following <= MAX_POSITION:
            sub(root, f"{{{ns}}}nextRecordPosition", str(following))
        self._echo(root, ns, legacy, params, schema)
        return _document(root)

    def _run(self, search: CqlSearch, offset: int, count: int) -> tuple[int, list[WorkPayload]]:
        unknown = {
            value for values in search.filters.values() for value in values
        } - self.known_libraries
        if unknown:  # a library fedcat does not know holds nothing
            return 0, []
        if search.work_ids is not None:
            if not isinstance(search.query, MatchAll):
                raise SruDiagnostic(48, "rec.identifier with other search terms")
            found = [w for w in (self._get(i) for i in search.work_ids[:MAX_RECORDS]) if w]
            found = [w for w in found if _held(w, search.filters)]
            return len(found), found[offset : offset + count]
        request = SearchRequest(
            query=search.query,
            filters=search.filters,
            sort=search.sort or "relevance",
            offset=offset,
            limit=max(count, 1),
            fuzzy_fallback=False,
        )
        result = self.engine.search(request)
        return result.total, [hit.payload for hit in result.hits][:count]

    def _get(self, work_id: str) -> WorkPayload | None:
        if not work_id.isascii() or not work_id.replace("-", "").replace("_", "").isalnum():
            return None
        return self.engine.get(work_id[:128])

    def _record(self, records, ns, legacy, schema, escaping, work, position) -> None:
        record = sub(records, f"{{{ns}}}record")
        sub(record, f"{{{ns}}}recordSchema", schema.identifier)
        sub(record, f"{{{ns}}}recordPacking" if legacy else f"{{{ns}}}recordXMLEscaping", escaping)
        data = sub(record, f"{{{ns}}}recordData")
        element = schema.write(work)
        if escaping == "string":
            data.text = etree.tostring(element, encoding="unicode")
        else:
            data.append(element)
        sub(record, f"{{{ns}}}recordPosition", str(position))

    def _echo(self, root, ns, legacy, params, schema: RecordSchema | None) -> None:
        echo = sub(root, f"{{{ns}}}echoedSearchRetrieveRequest")
        if legacy:
            sub(echo, f"{{{ns}}}version", "1.2")
        for name in ("query", "startRecord", "maximumRecords", "sortKeys"):
            value = params.get(name)
            if value is not None:
                sub(echo, f"{{{ns}}}{name}", value[:2000])
        if schema is not None:
            sub(echo, f"{{{ns}}}recordSchema", schema.name)

    def _failed_search(self, ns: str, legacy: bool, diagnostic: SruDiagnostic) -> bytes:
        root = etree.Element(f"{{{ns}}}searchRetrieveResponse", nsmap={"sru": ns})
        sub(root, f"{{{ns}}}version", "1.2" if legacy else "2.0")
        sub(root, f"{{{ns}}}numberOfRecords", "0")
        _diagnostics(root, ns, legacy, [diagnostic])
        return _document(root)

    # -- explain ------------------------------------------------------------------------
    def _explain(self, ns: str, legacy: bool, diagnostics: list[SruDiagnostic]) -> bytes:
        root = etree.Element(f"{{{ns}}}explainResponse", nsmap={"sru": ns})
        sub(root, f"{{{ns}}}version", "1.2" if legacy else "2.0")
        record = sub(root, f"{{{ns}}}record")
        sub(record, f"{{{ns}}}recordSchema", EXPLAIN_NS)
        sub(record, f"{{{ns}}}recordPacking" if legacy else f"{{{ns}}}recordXMLEscaping", "xml")
        data = sub(record, f"{{{ns}}}recordData")
        data.append(self._explain_record(legacy))
        if diagnostics:
            _diagnostics(root, ns, legacy, diagnostics)
        return _document(root)

    def _explain_record(self, legacy: bool) -> etree._Element:
        zr = f"{{{EXPLAIN_NS}}}"
        explain = etree.Element(f"{zr}explain", nsmap={"zr": EXPLAIN_NS})
        host, _, rest = self.base_url.partition("://")[2].partition("/")
        hostname, _, port = host.partition(":")
        server = sub(explain, f"{zr}serverInfo", protocol="SRU", version="1.2" if legacy else "2.0")
        sub(server, f"{zr}host", hostname)
        sub(server, f"{zr}port", port or ("443" if self.base_url.startswith("https") else "80"))
        sub(server, f"{zr}database", rest or "sru")
        database = sub(explain, f"{zr}databaseInfo")
        sub(database, f"{zr}title", self.title, lang="en", primary="true")
        index_info = sub(explain, f"{zr}indexInfo")
        for name, identifier in CONTEXT_SETS.items():
            sub(index_info, f"{zr}set", name=name, identifier=identifier)
        for context, name, title in EXPLAIN_INDEXES:
            index = sub(index_info, f"{zr}index", search="true")
            sub(index, f"{zr}title", title)
            sub(sub(index, f"{zr}map"), f"{zr}name", name, set=context)
        schema_info = sub(explain, f"{zr}schemaInfo")
        for schema in SCHEMAS:
            element = sub(
                schema_info, f"{zr}schema", identifier=schema.identifier, name=schema.name
            )
            sub(element, f"{zr}title", schema.title)
        config = sub(explain, f"{zr}configInfo")
        sub(config, f"{zr}default", str(DEFAULT_RECORDS), type="numberOfRecords")
        sub(config, f"{zr}setting", str(MAX_RECORDS), type="maximumRecords")
        sub(config, f"{zr}supports", "=", type="relation")
        for relation in ("all", "any", "adj", "==", "exact"):
            sub(config, f"{zr}supports", relation, type="relation")
        for boolean in ("and", "or", "not"):
            sub(config, f"{zr}supports", boolean, type="booleanModifier")
        sub(config, f"{zr}supports", "*", type="maskingCharacter")
        sub(config, f"{zr}supports", "", type="sort")
        return explain


def _diagnostics(root, ns: str, legacy: bool, diagnostics: list[SruDiagnostic]) -> None:
    diag_ns = SRU12_DIAG_NS if legacy else SRU20_DIAG_NS
    container = sub(root, f"{{{ns}}}diagnostics")
    for diagnostic in diagnostics:
        element = etree.SubElement(container, f"{{{diag_ns}}}diagnostic", nsmap={"diag": diag_ns})
        sub(element, f"{{{diag_ns}}}uri", diagnostic.uri)
        if diagnostic.details:
            sub(element, f"{{{diag_ns}}}details", diagnostic.details[:300])
        sub(element, f"{{{diag_ns}}}message", diagnostic.message)


def unavailable_response(params: Mapping[str, list[str]], details: str) -> bytes:
    """A searchRetrieve answer of diagnostic 2 (system temporarily unavailable), in the SRU
    version asked for: what /sru says when a client is over the rate limit."""
    legacy = single_or_none(params, "version") in ("1.1", "1.2")
    ns = SRU12_NS if legacy else SRU20_NS
    root = etree.Element(f"{{{ns}}}searchRetrieveResponse", nsmap={"sru": ns})
    sub(root, f"{{{ns}}}version", "1.2" if legacy else "2.0")
    sub(root, f"{{{ns}}}numberOfRecords", "0")
    _diagnostics(root, ns, legacy, [SruDiagnostic(2, details)])
    return _document(root)


def _document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _single(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(set(values)) > 1:
        raise SruDiagnostic(6, f"{name} given more than once")
    return values[0] if values else None


def single_or_none(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    return values[0] if values else None


def _whole(value: str | None, name: str, default: int, low: int = 1) -> int:
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise SruDiagnostic(6, name)
    number = int(value)
    if number < low:
        raise SruDiagnostic(6, name)
    return number


def _escaping(params: Mapping[str, str | None], legacy: bool) -> str:
    name = "recordPacking" if legacy else "recordXMLEscaping"
    value = params.get(name) or "xml"
    if value not in ("xml", "string"):
        if not legacy and name == "recordXMLEscaping":
            raise SruDiagnostic(6, name)
        raise SruDiagnostic(71, value[:50])
    if not legacy and params.get("recordPacking") not in (None, "", "packed"):
        raise SruDiagnostic(6, "recordPacking")
    return value


def _held(work: WorkPayload, filters: dict[str, list[str]]) -> bool:
    for facet, libraries in filters.items():
        held = {
            h["library_id"]
            for h in work["holdings"]
            if facet == "library" or h["status"] == "available"
        }
        if not held & set(libraries):
            return False
    return True
