"""From a work (the records of one title at several libraries) to what engines store.

The payload is the display form the API returns; the text and keyword fields are what
searches and facets run on. Both are built here once, for every engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields

from indexer.engine import (
    LOOSE_FIELDS,
    TITLE_KEY,
    TITLE_KEY_LENGTH,
    TITLE_START,
    TITLE_START_WORDS,
    IndexDocument,
)
from indexer.hanzi import word_terms
from indexer.model import STATUS_RANK, Record, availability
from indexer.normalize import unique
from indexer.payloads import HoldingRow, WorkPayload
from indexer.stemming import stem_terms
from indexer.text import analyze, fold, hangul_gap_bigrams, join_divided_cjk
from indexer.transliterate import romanised_key

#: MARC-ish "best record" preference when several libraries describe one work.
_FORMAT_RANK = {"marc21": 0, "marcxml": 0, "unimarc": 0, "cnmarc": 0, "mods": 1, "oai_dc": 2}


_RECORD_FIELDS = tuple(f.name for f in fields(Record))


def _richness(record: Record) -> tuple:
    filled = sum(1 for name in _RECORD_FIELDS if getattr(record, name))
    return (_FORMAT_RANK.get(record.source_format, 3), -filled, record.key)


def primary_record(records: Sequence[Record]) -> Record:
    """The record whose description the work shows: the fullest, MARC first."""
    return records[0] if len(records) == 1 else min(records, key=_richness)


def _holdings(records: Sequence[Record], library_names: Mapping[str, str]) -> list[HoldingRow]:
    rows: list[HoldingRow] = []
    for record in records:
        for holding in record.holdings:
            row: HoldingRow = {
                "library_id": holding.library_id,
                "library_name": library_names.get(holding.library_id, holding.library_id),
                "call_number": holding.call_number,
                "location": holding.location,
                "status": availability(holding.status),
                "catalog_url": holding.catalog_url,
                "summary": holding.summary,
                "record_id": record.identifier,
            }
            if holding.due_date:
                row["due_date"] = holding.due_date
            rows.append(row)
    rows.sort(key=lambda h: (h["library_name"], STATUS_RANK[h["status"]], h["call_number"]))
    return rows


def work_payload(
    work_id: str,
    records: Sequence[Record],
    merged_by: Mapping[str, str],
    library_names: Mapping[str, str],
) -> WorkPayload:
    """The display form of a work: the primary record's description, every holding."""
    main = primary_record(records)
    vernacular: dict[str, list[str]] = {}
    for record in records:
        for name, values in record.vernacular.items():
            vernacular[name] = unique([*vernacular.get(name, []), *values])
    return {
        "id": work_id,
        "title": main.title,
        "subtitle": main.subtitle,
        "part": main.part,
        "responsibility": main.responsibility,
        "contributors": [
            {"name": c.name, "role": c.role, "vernacular": c.vernacular} for c in main.contributors
        ],
        "subjects": unique(s.heading for r in records for s in r.subjects),
        "classification": main.classification,
        "isbns": unique(i for r in records for i in r.isbns),
        "issns": unique(i for r in records for i in r.issns),
        "oclc_numbers": unique(o for r in records for o in r.oclc_numbers),
        "lccn": main.lccn,
        "language": main.language,
        "format": main.format,
        "publisher": main.publisher,
        "place": main.place,
        "year": main.year,
        "edition": main.edition,
        "series": main.series,
        "physical_description": main.physical_description,
        "notes": main.notes,
        "urls": unique(u for r in records for u in r.urls),
        "vernacular": vernacular,
        "holdings": _holdings(records, library_names),
        "records": [
            {
                "partner_id": r.partner_id,
                "identifier": r.identifier,
                "source_format": r.source_format,
                "merged_by": merged_by.get(r.key, ""),
            }
            for r in records
        ],
    }


def _isbn10(isbn13: str) -> str:
    if len(isbn13) != 13 or not isbn13.startswith("978") or not isbn13.isdigit():
        return ""
    body = isbn13[3:12]
    check = sum((10 - i) * int(d) for i, d in enumerate(body)) % 11
    return body + ("X" if (11 - check) % 11 == 10 else str((11 - check) % 11))


def _tokens(values: Iterable[str]) -> list[str]:
    """The tokens of each value in turn, analysed in one call: no token spans two values.

    Word-divided CJK (理智　与　情感) is joined within each value, as the query parser
    joins it in a query, so divided and undivided forms meet on the same bigrams; hangul
    keeps its word divisions, and the bigrams across them come after the field's own terms
    (`hangul_gap_bigrams`), so a phrase of its words is still found where it stands."""
    joined = [join_divided_cjk(value) for value in values if value]
    tokens = analyze(" ".join(joined))
    gaps = hangul_gap_bigrams(joined)
    return [*tokens, *gaps] if gaps else tokens


def loose_terms(tokens: Sequence[str], language: str) -> list[str]:
    """The other forms of a field's words, for its loose field: each word's stem in the
    record's language (engine-neutral terms such as "fre:lettr", see indexer.stemming), the
    Chinese dictionary words of its Han ("zh:图书馆", see indexer.hanzi), and each word's
    romanised key where that differs from the word (a key equal to a word is found in the
    exact field, where the query looks for keys too)."""
    forms = dict.fromkeys(stem_terms(list(tokens), language))
    forms.update(dict.fromkeys(word_terms(list(tokens))))
    for token in tokens:
        key = romanised_key(token)
        if key and key != token:
            forms[key] = None
    return list(forms)


def title_keys(payload: WorkPayload) -> list[str]:
    """Each title of the work as one value: the title, with its subtitle, in other scripts."""
    titles = [
        payload["title"],
        " ".join(v for v in (payload["title"], payload["subtitle"], payload["part"]) if v),
        *payload["vernacular"].get("title", []),
    ]
    keys = (" ".join(analyze(join_divided_cjk(t)))[:TITLE_KEY_LENGTH] for t in titles)
    return unique(key for key in keys if key)


def title_starts(keys: Sequence[str]) -> list[str]:
    """The TITLE_START values of a work's title keys: each key's first 1, 2, ... words, up to
    the word before its last (and at most TITLE_START_WORDS words): exactly the strings
    `start` for which the key begins with `start + " "`."""
    starts: dict[str, None] = {}
    for key in keys:
        words = key.split(" ")
        for count in range(1, min(len(words), TITLE_START_WORDS + 1)):
            starts[" ".join(words[:count])] = None
    return list(starts)


def suggested_headings(payload: WorkPayload) -> list[str]:
    """The machine-suggested headings of a work (accepted or not; rejected ones are gone)."""
    return [row["heading"] for row in payload.get("suggested_subjects", [])]


def sort_title(title: str) -> str:
    return " ".join(analyze(title))[:200]


def sort_author(payload: WorkPayload) -> str:
    """The first contributor's name as analysed ("tolstoy leo"), or "" for a work without."""
    contributors = payload["contributors"]
    return " ".join(analyze(contributors[0]["name"]))[:200] if contributors else ""


def index_document(payload: WorkPayload, records: Sequence[Record]) -> IndexDocument:
    """The engine document of a work: analysed text, facet values, year, sort key."""
    vern = payload["vernacular"]
    holdings = payload["holdings"]
    identifiers = [*payload["isbns"], *(_isbn10(i) for i in payload["isbns"]), *payload["issns"]]
    identifiers += [*payload["oclc_numbers"], payload["lccn"]]
    series = unique(r.series for r in records if r.series)
    text = {
        "title": _tokens(
            [payload["title"], payload["subtitle"], payload["part"], *vern.get("title", [])]
        ),
        "author": _tokens(
            [
                *(c.name for r in records for c in r.contributors),
                payload["responsibility"],
                *vern.get("contributors", []),
            ]
        ),
        "subject": _tokens([*payload["subjects"], *vern.get("subjects", [])]),
        "suggested_subject": _tokens(suggested_headings(payload)),
        "isbn": _tokens(identifiers),
        "other": _tokens(
            [
                payload["publisher"],
                payload["place"],
                payload["edition"],
                *series,
                *payload["notes"],
                *(c for values in payload["classification"].values() for c in values),
                *vern.get("publisher", []),
                *vern.get("place", []),
                *vern.get("edition", []),
                *vern.get("notes", []),
            ]
        ),
    }
    text["publisher"] = _tokens([payload["publisher"], *vern.get("publisher", [])])
    text["series"] = _tokens(series)
    language = payload["language"]
    for name, loose in LOOSE_FIELDS.items():
        text[loose] = loose_terms(text[name], language)
    year = payload["year"]
    keys = title_keys(payload)
    keywords = {
        TITLE_KEY: keys,
        TITLE_START: title_starts(keys),
        "library": unique(h["library_id"] for h in holdings),
        "format": [payload["format"]] if payload["format"] else [],
        "language": [payload["language"]] if payload["language"] else [],
        "decade": [f"{year // 10 * 10}s"] if year else [],
        "subject_facet": unique(s.split(" -- ")[0] for s in payload["subjects"])[:20],
        "subject_facet_suggested": unique(
            s.split(" -- ")[0] for s in [*payload["subjects"], *suggested_headings(payload)]
        )[:25],
        "availability": unique(h["status"] for h in holdings),
        "available_at": unique(h["library_id"] for h in holdings if h["status"] == "available"),
    }
    return IndexDocument(
        work_id=payload["id"],
        text=text,
        keywords=keywords,
        year=year,
        sort_title=sort_title(payload["title"]) or fold(payload["id"]),
        sort_author=sort_author(payload),
        payload=payload,
    )
