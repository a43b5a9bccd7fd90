"""A work as simple Dublin Core (oai_dc), for OAI-PMH and SRU's dc schema."""

from __future__ import annotations

from lxml import etree

from indexer.payloads import WorkPayload
from outward.citations import full_title
from outward.xml import sub

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
#: dc:type per fedcat format (the DCMI Type vocabulary).
DC_TYPE = {
    "book": "Text", "serial": "Text", "manuscript": "Text", "map": "Image", "image": "StillImage",
    "score": "Text", "recording": "Sound", "spoken_word": "Sound", "video": "MovingImage",
    "eresource": "Text", "kit": "PhysicalObject", "mixed": "Collection",
}  # fmt: skip


#: SRU's own container of the same elements (the dc schema, info:srw/schema/1/dc-v1.1).
SRW_DC_NS = "info:srw/schema/1/dc-schema"


def dublin_core(payload: WorkPayload, container: str = OAI_DC_NS) -> etree._Element:
    """The <oai_dc:dc> (or `container`'s <dc>) element of a work; each holding library is
    named in a dc:description (simple Dublin Core has no element for copies)."""
    prefix = "oai_dc" if container == OAI_DC_NS else "srw_dc"
    root = etree.Element(
        f"{{{container}}}dc", nsmap={prefix: container, "dc": DC_NS, "xsi": XSI_NS}
    )
    if container == OAI_DC_NS:
        root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")

    def dc(name: str, value: str) -> None:
        if value:
            sub(root, f"{{{DC_NS}}}{name}", value)

    dc("title", full_title(payload) or "[Untitled]")
    for contributor in payload["contributors"]:
        dc("creator", contributor["name"])
    for subject in payload["subjects"]:
        dc("subject", subject)
    for note in payload["notes"]:
        dc("description", note)
    dc("publisher", payload["publisher"])
    dc("date", str(payload["year"]) if payload["year"] is not None else "")
    dc("type", DC_TYPE.get(payload["format"], ""))
    dc("format", payload["physical_description"])
    for isbn in payload["isbns"]:
        dc("identifier", f"urn:isbn:{isbn}")
    for issn in payload["issns"]:
        dc("identifier", f"urn:issn:{issn}")
    for url in payload["urls"]:
        dc("identifier", url)
    dc("language", payload["language"])
    for holding in payload["holdings"]:
        where = ", ".join(v for v in (holding["library_name"], holding["call_number"]) if v)
        dc("description", f"Held by {where} ({holding['status']})")
    return root
