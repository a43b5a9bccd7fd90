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
_NOTES = "m:note[not(@type='statement of responsibility')]|m:abstract"
_PLACE = "m:place/m:placeTerm[@type='text']"
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


def _script_twins(
    elements: list[etree._Element],
) -> tuple[list[etree._Element], list[etree._Element]]:
    """(main forms, other-script twins). altRepGroup links one statement written in several
    scripts; the romanised one (no @script, or Latn) is the main form, as MARC's field is to
    its 880; the rest are kept as vernacular forms beside it."""
    groups: dict[str, list[etree._Element]] = {}
    for element in elements:
        if element.get("altRepGroup"):
            groups.setdefault(element.get("altRepGroup"), []).append(element)
    mains = {
        id(min(group, key=lambda e: e.get("script") not in (None, "Latn")))
        for group in groups.values()
    }
    main = [e for e in elements if not e.get("altRepGroup") or id(e) in mains]
    return main, [e for e in elements if e.get("altRepGroup") and id(e) not in mains]


def _subjects(subjects: list[etree._Element]) -> list[Subject]:
    found = []
    for subject in subjects:
        parts = [
            _name(child) if etree.QName(child).localname == "name" else _text(child)
            for child in subject
            if isinstance(child.tag, str) and etree.QName(child).localname in _SUBJECT_PARTS
        ]
        heading = " -- ".join(nz.strip_isbd(p) for p in parts if p)
        scheme = (subject.get("authority") or "").casefold()
        if heading:
            found.append(Subject(heading=heading, scheme=_AUTHORITIES.get(scheme, scheme)))
    return found


def _first_text(elements: list[etree._Element], path: str) -> str:
    return next(filter(None, (_text(e, path) for e in elements)), "")


def _all_texts(elements: list[etree._Element], path: str = ".") -> list[str]:
    return nz.unique(text for e in elements for text in _texts(e, path))


def _vernacular(
    mods: etree._Element, main_title: etree._Element | None, contributors: list[Contributor]
) -> dict[str, list[str]]:
    """Other-script forms, under the keys MARC 880 uses (model.Record.vernacular)."""
    _, origins = _script_twins(_find(mods, "m:originInfo"))
    _, subjects = _script_twins(_find(mods, "m:subject"))
    _, notes = _script_twins(_find(mods, _NOTES))
    found = {
        "title": _vernacular_titles(mods, main_title),
        "contributors": nz.unique(c.vernacular for c in contributors),
        "subjects": nz.unique(s.heading for s in _subjects(subjects)),
        "publisher": [nz.strip_brackets(v) for v in _all_texts(origins, "m:publisher")],
        "place": [nz.strip_brackets(v) for v in _all_texts(origins, _PLACE)],
        "edition": [nz.strip_isbd(v) for v in _all_texts(origins, "m:edition")],
        "notes": _all_texts(notes),
    }
    return {key: nz.unique(values) for key, values in found.items() if nz.unique(values)}


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
    origins, _ = _script_twins(_find(mods, "m:originInfo"))
    subjects, _ = _script_twins(_find(mods, "m:subject"))
    notes, _ = _script_twins(_find(mods, _NOTES))
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
        subjects=_subjects(subjects),
        classification=classification,
        isbns=numbers["isbn"],
        issns=numbers["issn"],
        oclc_numbers=numbers["oclc"],
        lccn=next(iter(numbers["lccn"]), ""),
        language=next(filter(None, map(nz.language, languages)), ""),
        format=_format(mods),
        publisher=nz.strip_brackets(_first_text(origins, "m:publisher")),
        place=nz.strip_brackets(_first_text(origins, _PLACE)),
        year=_origin_date(mods),
        edition=nz.strip_isbd(_first_text(origins, "m:edition")),
        physical_description=nz.strip_isbd(_text(mods, "m:physicalDescription/m:extent")),
        notes=_all_texts(notes),
        urls=numbers["url"],
        vernacular=_vernacular(mods, main, contributors),
        holdings=_holdings(mods, partner, record_id, call),
    )
