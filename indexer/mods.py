"""MODS 3.x → Record.

MODS says explicitly what MARC says with tags (typed identifiers, @authority on subjects
and classes, roles), so this module mostly picks elements; what values mean is decided
by the shared helpers in normalize.
"""

from __future__ import annotations

from lxml import etree

from config.partners import Partner
from indexer import normalize as nz
from indexer.model import Contributor, Holding, Record, Subject

MODS = "http://www.loc.gov/mods/v3"
_NS = {"m": MODS}
_SUBJECT_PARTS = ("topic", "geographic", "temporal", "genre", "name", "titleInfo", "occupation")
_IDENTIFIERS = {"isbn": nz.isbn13, "issn": nz.issn, "lccn": nz.lccn, "oclc": nz.oclc_number}
_AUTHORITIES = {"lcsh": "lcsh", "mesh": "mesh", "fast": "fast", "local": "local", "gnd": "gnd"}


def _find(element: etree._Element, path: str) -> list[etree._Element]:
    return element.xpath(path, namespaces=_NS)


def _text(element: etree._Element | None, path: str = ".") -> str:
    """All text under the first match of `path`, whitespace collapsed."""
    if element is None:
        return ""
    found = _find(element, path)
    return nz.clean_space("".join(found[0].itertext())) if found else ""


def _texts(element: etree._Element, path: str) -> list[str]:
    return nz.unique(nz.clean_space("".join(e.itertext())) for e in _find(element, path))


def _title_parts(info: etree._Element) -> tuple[str, str, str]:
    title = " ".join(v for v in (_text(info, "m:nonSort"), _text(info, "m:title")) if v)
    part = ", ".join(_texts(info, "m:partNumber|m:partName"))
    return nz.strip_isbd(title), nz.strip_isbd(_text(info, "m:subTitle")), nz.strip_isbd(part)


def _main_title(mods: etree._Element) -> etree._Element | None:
    infos = _find(mods, "m:titleInfo[not(@type)]") or _find(mods, "m:titleInfo")
    return infos[0] if infos else None


def _vernacular_titles(mods: etree._Element, main: etree._Element | None) -> list[str]:
    """Other-script titles linked to the main one by altRepGroup (MODS's form of MARC 880)."""
    group = main.get("altRepGroup") if main is not None else None
    if not group:
        return []
    titles = []
    others = [i for i in _find(mods, "m:titleInfo") if i.get("altRepGroup") == group]
    for info in others:
        if info is not main:
            title, subtitle, _ = _title_parts(info)
            titles.append(" : ".join(v for v in (title, subtitle) if v))
    return nz.unique(titles)


def _name(name: etree._Element) -> str:
    parts = {p.get("type", ""): nz.clean_space(p.text or "") for p in _find(name, "m:namePart")}
    if "family" in parts or "given" in parts:
        main = ", ".join(v for v in (parts.get("family"), parts.get("given")) if v)
        return nz.strip_isbd(main)
    return nz.strip_isbd(", ".join(_texts(name, "m:namePart[not(@type='date')]")))


def _contributors(mods: etree._Element) -> list[Contributor]:
    """Names with roles; an other-script twin (same altRepGroup) is the vernacular form."""
    names = sorted(_find(mods, "m:name"), key=lambda n: n.get("usage") != "primary")
    twins: dict[str, list[etree._Element]] = {}
    for name in names:
        if name.get("altRepGroup"):
            twins.setdefault(name.get("altRepGroup"), []).append(name)
    contributors = []
    for name in names:
        group = twins.get(name.get("altRepGroup") or "", [name])
        if name is not group[0] or not _name(name):
            continue
        roles = [nz.relator(r) for r in _texts(name, "m:role/m:roleTerm")]
        vernacular = next((_name(twin) for twin in group[1:] if _name(twin)), "")
        contributors.append(
            Contributor(name=_name(name), role=", ".join(nz.unique(roles)), vernacular=vernacular)
        )
    return contributors


def _subjects(mods: etree._Element) -> list[Subject]:
    subjects = []
    for subject in _find(mods, "m:subject"):
        parts = [
            _name(child) if etree.QName(child).localname == "name" else _text(child)
            for child in subject
            if isinstance(child.tag, str) and etree.QName(child).localname in _SUBJECT_PARTS
        ]
        heading = " -- ".join(nz.strip_isbd(p) for p in parts if p)
        scheme = (subject.get("authority") or "").casefold()
        if heading:
            subjects.append(Subject(heading=heading, scheme=_AUTHORITIES.get(scheme, scheme)))
    return subjects


def _classification(mods: etree._Element) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for element in _find(mods, "m:classification"):
        scheme = (element.get("authority") or "other").casefold()
        found.setdefault(scheme, []).append(nz.clean_space(element.text or ""))
    return {scheme: nz.unique(values) for scheme, values in found.items()}


def _identifiers(mods: etree._Element) -> dict[str, list[str]]:
    typed: dict[str, list[str]] = {kind: [] for kind in _IDENTIFIERS}
    untyped = []
    for element in _find(mods, "m:identifier[not(@invalid='yes')]"):
        kind, value = (element.get("type") or "").casefold(), element.text or ""
        if kind == "oclc":
            typed[kind].append(nz.oclc_number(value, prefixed=False))
        elif kind in _IDENTIFIERS:
            typed[kind].append(_IDENTIFIERS[kind](value))
        else:
            untyped.append(value)
    numbers = nz.standard_numbers([*untyped, *_texts(mods, "m:location/m:url")])
    return {kind: nz.unique([*typed.get(kind, []), *numbers[kind]]) for kind in numbers}


def _format(mods: etree._Element) -> str:
    kinds = _find(mods, "m:typeOfResource")
    if any(k.get("manuscript") == "yes" for k in kinds):
        return "manuscript"
    issuance = _texts(mods, "m:originInfo/m:issuance")
    fmt = nz.format_from_type(_texts(mods, "m:typeOfResource"))
    if fmt in ("book", "") and {"continuing", "serial", "integrating resource"} & set(issuance):
        return "serial"
    return fmt or nz.format_from_type(_texts(mods, "m:genre"))


def _holdings(mods: etree._Element, partner: Partner, record_id: str, call: str) -> list[Holding]:
    holdings = []
    for location in _find(mods, "m:location[m:physicalLocation or m:holdingSimple]"):
        place = _text(location, "m:physicalLocation")
        copies = _find(location, "m:holdingSimple/m:copyInformation") or [location]
        for copy in copies:
            notes = " ".join(_texts(copy, "m:note|m:itemDetails"))
            holdings.append(
                Holding(
                    library_id=partner.id,
                    call_number=_text(copy, "m:shelfLocator") or call,
                    location=" ".join(nz.unique([place, _text(copy, "m:subLocation")]))
                    or partner.location,
                    status=nz.item_status(notes),
                    catalog_url=partner.record_url(record_id),
                )
            )
    return nz.unique_holdings(holdings) or [nz.partner_holding(partner, record_id, call)]


def _origin_date(mods: etree._Element) -> int | None:
    paths = ("m:originInfo/*[@keyDate='yes']", "m:originInfo/m:dateIssued", "m:originInfo/*")
    for path in paths:
        for value in _texts(mods, path):
            if nz.year(value):
                return nz.year(value)
    return None


def mods_to_record(
    mods: etree._Element, partner: Partner, identifier: str, datestamp: str = ""
) -> Record:
    """Map one <mods:mods>: main titleInfo, names with roles, typed identifiers, holdings."""
    main = _main_title(mods)
    title, subtitle, part = _title_parts(main) if main is not None else ("", "", "")
    nz.require_title(title, identifier, "MODS")
    numbers = _identifiers(mods)
    classification = _classification(mods)
    call = next((v[0] for s in ("lcc", "ddc", "clc") if (v := classification.get(s))), "")
    record_id = _text(mods, "m:recordInfo/m:recordIdentifier") or nz.local_id(identifier)
    languages = _texts(mods, "m:language/m:languageTerm")
    contributors = _contributors(mods)
    vernacular = {
        "title": _vernacular_titles(mods, main),
        "contributors": nz.unique(c.vernacular for c in contributors),
    }
    return Record(
        partner_id=partner.id,
        identifier=identifier,
        source_format="mods",
        datestamp=datestamp,
        title=title,
        subtitle=subtitle,
        part=part,
        responsibility=nz.strip_isbd(_text(mods, "m:note[@type='statement of responsibility']")),
        contributors=contributors,
        subjects=_subjects(mods),
        classification=classification,
        isbns=numbers["isbn"],
        issns=numbers["issn"],
        oclc_numbers=numbers["oclc"],
        lccn=next(iter(numbers["lccn"]), ""),
        language=next(filter(None, map(nz.language, languages)), ""),
        format=_format(mods),
        publisher=nz.strip_brackets(_text(mods, "m:originInfo/m:publisher")),
        place=nz.strip_brackets(_text(mods, "m:originInfo/m:place/m:placeTerm[@type='text']")),
        year=_origin_date(mods),
        edition=nz.strip_isbd(_text(mods, "m:originInfo/m:edition")),
        physical_description=nz.strip_isbd(_text(mods, "m:physicalDescription/m:extent")),
        notes=_texts(mods, "m:note[not(@type='statement of responsibility')]|m:abstract"),
        urls=numbers["url"],
        vernacular={key: values for key, values in vernacular.items() if values},
        holdings=_holdings(mods, partner, record_id, call),
    )
