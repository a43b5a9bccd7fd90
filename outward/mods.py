"""A work as a MODS 3.7 record (SRU's mods schema), holdings as <location> elements."""

from __future__ import annotations

from lxml import etree

from indexer.payloads import WorkPayload
from outward.xml import sub

MODS_NS = "http://www.loc.gov/mods/v3"
M = f"{{{MODS_NS}}}"
#: MODS typeOfResource per fedcat format.
RESOURCE_TYPE = {
    "book": "text", "serial": "text", "manuscript": "text", "map": "cartographic",
    "score": "notated music", "recording": "sound recording-musical",
    "spoken_word": "sound recording-nonmusical", "video": "moving image",
    "image": "still image", "eresource": "software, multimedia", "kit": "mixed material",
    "mixed": "mixed material",
}  # fmt: skip


def mods(payload: WorkPayload) -> etree._Element:
    root = etree.Element(f"{M}mods", nsmap={None: MODS_NS}, version="3.7")
    title_info = sub(root, f"{M}titleInfo")
    sub(title_info, f"{M}title", payload["title"] or "[Untitled]")
    if payload["subtitle"]:
        sub(title_info, f"{M}subTitle", payload["subtitle"])
    if payload["part"]:
        sub(title_info, f"{M}partName", payload["part"])
    for contributor in payload["contributors"]:
        name = sub(root, f"{M}name")
        sub(name, f"{M}namePart", contributor["name"])
        if contributor["role"]:
            role = sub(name, f"{M}role")
            sub(role, f"{M}roleTerm", contributor["role"], type="text")
    if payload["format"] in RESOURCE_TYPE:
        sub(root, f"{M}typeOfResource", RESOURCE_TYPE[payload["format"]])
    origin = sub(root, f"{M}originInfo")
    if payload["place"]:
        sub(sub(origin, f"{M}place"), f"{M}placeTerm", payload["place"], type="text")
    if payload["publisher"]:
        sub(origin, f"{M}publisher", payload["publisher"])
    if payload["year"] is not None:
        sub(origin, f"{M}dateIssued", str(payload["year"]))
    if payload["edition"]:
        sub(origin, f"{M}edition", payload["edition"])
    if payload["language"]:
        language = sub(root, f"{M}language")
        sub(language, f"{M}languageTerm", payload["language"], type="code", authority="iso639-2b")
    if payload["physical_description"]:
        sub(sub(root, f"{M}physicalDescription"), f"{M}extent", payload["physical_description"])
    for note in payload["notes"]:
        sub(root, f"{M}note", note)
    for subject in payload["subjects"]:
        sub(sub(root, f"{M}subject"), f"{M}topic", subject)
    for isbn in payload["isbns"]:
        sub(root, f"{M}identifier", isbn, type="isbn")
    for issn in payload["issns"]:
        sub(root, f"{M}identifier", issn, type="issn")
    for holding in payload["holdings"]:
        location = sub(root, f"{M}location")
        sub(location, f"{M}physicalLocation", holding["library_name"] or holding["library_id"])
        if holding["call_number"]:
            sub(location, f"{M}shelfLocator", holding["call_number"])
        if holding["catalog_url"]:
            sub(location, f"{M}url", holding["catalog_url"])
    for url in payload["urls"]:
        sub(sub(root, f"{M}location"), f"{M}url", url)
    record_info = sub(root, f"{M}recordInfo")
    sub(record_info, f"{M}recordIdentifier", payload["id"], source="fedcat")
    return root
