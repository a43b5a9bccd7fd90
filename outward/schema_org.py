"""A work as schema.org JSON-LD, for search engines and citation tools reading record pages.

Each holding is an Offer by its library (a loan, not a sale): availability, call number as
the offer's sku, shelving location as where it is, the library's own record as its url.
"""

from __future__ import annotations

from typing import Any

from indexer.payloads import WorkPayload
from outward.citations import full_title

#: schema.org type per fedcat format (CreativeWork for the rest).
SCHEMA_TYPE = {
    "book": "Book", "serial": "Periodical", "map": "Map", "score": "MusicComposition",
    "recording": "MusicRecording", "spoken_word": "AudioObject", "video": "Movie",
    "eresource": "WebSite", "manuscript": "Manuscript", "image": "VisualArtwork",
}  # fmt: skip
AVAILABILITY = {
    "available": "https://schema.org/InStock",
    "on_loan": "https://schema.org/OutOfStock",
    "not_loanable": "https://schema.org/InStoreOnly",
    "unknown": "https://schema.org/LimitedAvailability",
}


def work_json_ld(payload: WorkPayload, url: str) -> dict[str, Any]:
    """The JSON-LD object of a work whose record page is at `url`."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPE.get(payload["format"], "CreativeWork"),
        "@id": url,
        "url": url,
        "name": full_title(payload) or "[Untitled]",
    }
    optional: dict[str, Any] = {
        "author": [{"@type": "Person", "name": c["name"]} for c in payload["contributors"]],
        "datePublished": str(payload["year"]) if payload["year"] is not None else "",
        "publisher": {"@type": "Organization", "name": payload["publisher"]}
        if payload["publisher"]
        else None,
        "inLanguage": payload["language"],
        "isbn": payload["isbns"] if payload["format"] == "book" else [],
        "issn": payload["issns"],
        "bookEdition": payload["edition"] if payload["format"] == "book" else "",
        "about": payload["subjects"],
        "offers": [_offer(h) for h in payload["holdings"]],
    }
    data.update({key: value for key, value in optional.items() if value})
    return data


def _offer(holding) -> dict[str, Any]:
    offer: dict[str, Any] = {
        "@type": "Offer",
        "businessFunction": "http://purl.org/goodrelations/v1#LeaseOut",
        "availability": AVAILABILITY.get(holding["status"], AVAILABILITY["unknown"]),
        "offeredBy": {"@type": "Library", "name": holding["library_name"]},
    }
    if holding["call_number"]:
        offer["sku"] = holding["call_number"]
    if holding["location"]:
        offer["availableAtOrFrom"] = {"@type": "Place", "name": holding["location"]}
    if holding["catalog_url"].lower().startswith(("http://", "https://")):
        offer["url"] = holding["catalog_url"]
    return offer
