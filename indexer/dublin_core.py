"""Dublin Core (oai_dc) → Record.

Simple DC is flat and loose: every value is free text, so the standard numbers, the year
and the language are recognised from their shape by the shared helpers in normalize.
"""

from __future__ import annotations

from lxml import etree

from config.partners import Partner
from indexer import normalize as nz
from indexer.model import Contributor, Record, Subject

DC = "http://purl.org/dc/elements/1.1/"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
#: dcterms encoding schemes a subject may name in xsi:type, as our scheme names.
_SUBJECT_SCHEMES = {"lcsh": "lcsh", "mesh": "mesh", "ddc": "ddc", "lcc": "lcc", "udc": "udc"}


def _values(metadata: etree._Element, name: str) -> list[str]:
    return [nz.clean_space(e.text) for e in metadata.iter(f"{{{DC}}}{name}") if e.text]


def _subjects(metadata: etree._Element) -> tuple[list[Subject], dict[str, list[str]]]:
    """Subjects, and class numbers that DC carries as dcterms:LCC/DDC-typed subjects."""
    subjects: list[Subject] = []
    classification: dict[str, list[str]] = {}
    for element in metadata.iter(f"{{{DC}}}subject"):
        heading = nz.strip_isbd(nz.clean_space(element.text or ""))
        scheme = _SUBJECT_SCHEMES.get((element.get(XSI_TYPE) or "").split(":")[-1].casefold(), "")
        if not heading:
            continue
        if scheme in ("ddc", "lcc", "udc"):
            classification.setdefault(scheme, []).append(heading)
        else:
            subjects.append(Subject(heading=heading.replace(" - ", " -- "), scheme=scheme))
    return subjects, classification


def dc_to_record(
    metadata: etree._Element, partner: Partner, identifier: str, datestamp: str = ""
) -> Record:
    """Map one <oai_dc:dc>: the first dc:title is the title, descriptions become notes."""
    titles = _values(metadata, "title")
    title, subtitle, responsibility = nz.split_title(titles[0]) if titles else ("", "", "")
    nz.require_title(title, identifier, "Dublin Core")
    numbers = nz.standard_numbers(_values(metadata, "identifier"))
    subjects, classification = _subjects(metadata)
    contributors = [
        Contributor(name=nz.strip_isbd(name), role=role)
        for role, element in (("", "creator"), ("contributor", "contributor"))
        for name in nz.unique(_values(metadata, element))
    ]
    call_number = next(iter(classification.get("lcc", []) + classification.get("ddc", [])), "")
    return Record(
        partner_id=partner.id,
        identifier=identifier,
        source_format="oai_dc",
        datestamp=datestamp,
        title=title,
        subtitle=subtitle,
        responsibility=responsibility,
        contributors=contributors,
        subjects=subjects,
        classification=classification,
        isbns=numbers["isbn"],
        issns=numbers["issn"],
        oclc_numbers=numbers["oclc"],
        lccn=next(iter(numbers["lccn"]), ""),
        language=next(filter(None, map(nz.language, _values(metadata, "language"))), ""),
        format=nz.format_from_type(_values(metadata, "type")),
        publisher=nz.strip_isbd(next(iter(_values(metadata, "publisher")), "")),
        year=next(filter(None, map(nz.year, _values(metadata, "date"))), None),
        physical_description=next(
            (f for f in _values(metadata, "format") if "/" not in f or " " in f), ""
        ),
        notes=nz.unique(_values(metadata, "description")),
        urls=numbers["url"],
        holdings=[nz.partner_holding(partner, nz.local_id(identifier), call_number)],
    )
