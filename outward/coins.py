"""COinS: an OpenURL 1.0 ContextObject of a work in a ``<span class="Z3988">``.

Zotero, link resolvers' browser buttons and other citation tools read the span's title, a
KEV (key/encoded-value) ContextObject (Z39.88-2004): the book format for everything but
serials, which use the journal format. The same fields feed the result and record pages, so
both are built from `OpenUrlCitation`, whichever shape the page holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from indexer.payloads import WorkPayload

CTX_VER = "Z39.88-2004"
BOOK_FORMAT = "info:ofi/fmt:kev:mtx:book"
JOURNAL_FORMAT = "info:ofi/fmt:kev:mtx:journal"
#: Who wrote the ContextObject (an OpenURL referrer id).
REFERRER = "info:sid/fedcat:union-catalogue"


@dataclass(frozen=True)
class OpenUrlCitation:
    """What a ContextObject says about a work."""

    title: str
    format: str
    authors: Sequence[str] = ()
    year: int | None = None
    publisher: str = ""
    place: str = ""
    edition: str = ""
    isbns: Sequence[str] = ()
    issns: Sequence[str] = ()
    url: str = ""


def citation_from_payload(payload: WorkPayload, url: str = "") -> OpenUrlCitation:
    """The citation of a stored work whose record page is at `url`."""
    title = " : ".join(p for p in (payload["title"], payload["subtitle"]) if p)
    return OpenUrlCitation(
        title=title,
        format=payload["format"],
        authors=[c["name"] for c in payload["contributors"] if c["name"]],
        year=payload["year"],
        publisher=payload["publisher"],
        place=payload["place"],
        edition=payload["edition"],
        isbns=payload["isbns"],
        issns=payload["issns"],
        url=url,
    )


def context_object(citation: OpenUrlCitation) -> str:
    """The KEV ContextObject of `citation` (the Z3988 span's title, already URL-encoded)."""
    journal = citation.format == "serial"
    pairs: list[tuple[str, str]] = [
        ("ctx_ver", CTX_VER),
        ("rfr_id", REFERRER),
        ("rft_val_fmt", JOURNAL_FORMAT if journal else BOOK_FORMAT),
        ("rft.genre", "journal" if journal else "book"),
        ("rft.jtitle" if journal else "rft.btitle", citation.title or "[Untitled]"),
        ("rft.title", citation.title or "[Untitled]"),
    ]
    pairs += [("rft.au", name) for name in citation.authors]
    if citation.year is not None:
        pairs.append(("rft.date", str(citation.year)))
    if not journal:
        optional = {"rft.pub": citation.publisher, "rft.place": citation.place}
        optional["rft.edition"] = citation.edition
        pairs += [(key, value) for key, value in optional.items() if value]
    pairs += [("rft.isbn", isbn) for isbn in citation.isbns]
    pairs += [("rft.issn", issn) for issn in citation.issns]
    if citation.url:
        pairs.append(("rft_id", citation.url))
    return urlencode(pairs)
