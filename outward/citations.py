"""A work as reference managers read it: RIS, BibTeX and CSL-JSON.

Written with the formats' maintained libraries (rispy, bibtexparser) so quoting and line
rules are theirs, not ours; CSL-JSON is plain JSON of the CSL data model.
"""

from __future__ import annotations

import re
from typing import Any

import bibtexparser
import rispy
from bibtexparser import model as bibtex

from indexer.payloads import WorkPayload

#: RIS reference type per fedcat format (GEN for the rest).
RIS_TYPE = {
    "book": "BOOK", "serial": "JFULL", "map": "MAP", "score": "MUSIC", "recording": "SOUND",
    "spoken_word": "SOUND", "video": "VIDEO", "eresource": "ELEC", "manuscript": "MANSCPT",
    "image": "ART", "kit": "GEN", "mixed": "GEN",
}  # fmt: skip
#: BibTeX entry type per fedcat format (misc for the rest).
BIBTEX_TYPE = {"book": "book", "serial": "periodical", "manuscript": "unpublished"}
#: CSL item type per fedcat format (document for the rest).
CSL_TYPE = {
    "book": "book", "serial": "periodical", "map": "map", "score": "musical_score",
    "recording": "song", "spoken_word": "song", "video": "motion_picture",
    "eresource": "webpage", "manuscript": "manuscript", "image": "graphic",
}  # fmt: skip


def full_title(payload: WorkPayload) -> str:
    return ": ".join(p for p in (payload["title"], payload["subtitle"], payload["part"]) if p)


def authors(payload: WorkPayload) -> list[str]:
    return [c["name"] for c in payload["contributors"] if c["name"]]


def ris_entry(payload: WorkPayload) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type_of_reference": RIS_TYPE.get(payload["format"], "GEN"),
        "id": payload["id"],
        "title": full_title(payload) or "[Untitled]",
    }
    optional: dict[str, Any] = {
        "authors": authors(payload),
        "year": str(payload["year"]) if payload["year"] is not None else "",
        "publisher": payload["publisher"],
        "place_published": payload["place"],
        "edition": payload["edition"],
        "language": payload["language"],
        "issn": "; ".join(payload["isbns"] + payload["issns"]),
        "keywords": payload["subjects"],
        "urls": payload["urls"],
        "notes": payload["notes"],
        "call_number": "; ".join(
            dict.fromkeys(h["call_number"] for h in payload["holdings"] if h["call_number"])
        ),
    }
    entry.update({key: value for key, value in optional.items() if value})
    return entry


def ris(payloads: list[WorkPayload]) -> str:
    """The works as one RIS file."""
    return rispy.dumps([ris_entry(p) for p in payloads])


_BRACES = re.compile(r"[{}\\]")


def _bibtex_value(text: str) -> str:
    """A field value in braces: braces and backslashes in partner data would unbalance it."""
    return "{" + _BRACES.sub("", text) + "}"


def bibtex_entry(payload: WorkPayload) -> bibtex.Entry:
    values = {
        "title": full_title(payload) or "[Untitled]",
        "author": " and ".join(authors(payload)),
        "year": str(payload["year"]) if payload["year"] is not None else "",
        "publisher": payload["publisher"],
        "address": payload["place"],
        "edition": payload["edition"],
        "isbn": ", ".join(payload["isbns"]),
        "issn": ", ".join(payload["issns"]),
        "language": payload["language"],
        "keywords": ", ".join(payload["subjects"]),
        "url": payload["urls"][0] if payload["urls"] else "",
    }
    fields = [bibtex.Field(k, _bibtex_value(v)) for k, v in values.items() if v]
    return bibtex.Entry(BIBTEX_TYPE.get(payload["format"], "misc"), payload["id"], fields)


def bibtex_text(payloads: list[WorkPayload]) -> str:
    """The works as one BibTeX file (UTF-8; the work id is the citation key)."""
    library = bibtexparser.Library([bibtex_entry(p) for p in payloads])
    return bibtexparser.write_string(library)


def _csl_name(name: str) -> dict[str, str]:
    family, comma, given = name.partition(",")
    if not comma:
        return {"literal": name}
    return {"family": family.strip(), "given": given.strip().rstrip(",. ")}


def csl_item(payload: WorkPayload) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": payload["id"],
        "type": CSL_TYPE.get(payload["format"], "document"),
        "title": full_title(payload) or "[Untitled]",
    }
    optional: dict[str, Any] = {
        "author": [_csl_name(a) for a in authors(payload)],
        "issued": {"date-parts": [[payload["year"]]]} if payload["year"] is not None else None,
        "publisher": payload["publisher"],
        "publisher-place": payload["place"],
        "edition": payload["edition"],
        "language": payload["language"],
        "ISBN": " ".join(payload["isbns"]),
        "ISSN": " ".join(payload["issns"]),
        "URL": payload["urls"][0] if payload["urls"] else "",
        "keyword": ", ".join(payload["subjects"]),
    }
    item.update({key: value for key, value in optional.items() if value})
    return item


def csl_json(payloads: list[WorkPayload]) -> list[dict[str, Any]]:
    """The works as a CSL-JSON array (what Zotero, citeproc-js and pandoc read)."""
    return [csl_item(p) for p in payloads]
