"""Cleaning shared by the MARC, Dublin Core and MODS mappings.

Each format finds its values in its own places; what a value *means* (an ISBN, a year, a
language, an item status) is decided here once, so the three mappings cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from stdnum import isbn as stdnum_isbn
from stdnum import issn as stdnum_issn
from stdnum.exceptions import ValidationError

from config.partners import Partner
from indexer.languages import language as language  # the mappings call nz.language
from indexer.model import Holding


class MappingError(ValueError):
    """A harvested record that cannot become a Record; the message names its identifier."""


def unique(values: Iterable[str]) -> list[str]:
    """Non-empty values, first occurrence kept, order kept."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def clean_space(value: str) -> str:
    return " ".join(value.split())


# -- trailing ISBD punctuation ------------------------------------------------------------

_TRAILING = re.compile(r"[\s/:;=,]+$")
_ABBREVIATIONS = frozenset(
    "jr sr st dr mr mrs ms co inc ltd corp bros etc ed eds comp comps trans tr rev ca"
    " cm mm p pp v vol vols no nos pt pts ill col n.d s.l s.n b d fl".split()
)


def strip_isbd(value: str) -> str:
    """'Da Qiao bian zhu.' → 'Da Qiao bian zhu'; ' /', ' :', ' ;', ',' go; 'Jr.', 'A.' stay."""
    value = clean_space(value)
    while True:
        before = value
        value = _TRAILING.sub("", value)
        if value.endswith(".") and not value.endswith("..."):
            last = value[:-1].rsplit(None, 1)[-1] if value[:-1].strip() else ""
            word = last.lstrip("([").casefold()
            if not (len(word) == 1 and word.isalpha()) and word not in _ABBREVIATIONS:
                value = value[:-1]
        if value == before:
            return value.strip()


def strip_brackets(value: str) -> str:
    """'[Paris]' → 'Paris': cataloguers bracket what they supplied; patrons do not care."""
    value = strip_isbd(value)
    if value.startswith("[") and value.endswith("]") and value.count("[") == 1:
        value = value[1:-1]
    return strip_isbd(value.replace("[", "").replace("]", "") if "[" in value else value)


# -- standard numbers ---------------------------------------------------------------------

_ISBN_CANDIDATE = re.compile(r"(?<![\dX])(?:97[89][\s-]?)?\d(?:[\s-]?\d){8}[\s-]?[\dX](?![\dX])")


def isbn13(value: str) -> str:
    """The ISBN in `value` as a valid ISBN-13, '' when there is none (qualifiers dropped).

    Finding the number in a cataloguer's text ('0-14-044913-2 (pbk.) : $12.00') is ours;
    the check digits and the ISBN-10 → 13 conversion are python-stdnum's.
    """
    match = _ISBN_CANDIDATE.search(value.upper())
    if not match:
        return ""
    try:
        return stdnum_isbn.validate(match.group(), convert=True)
    except ValidationError:
        return ""


_ISSN = re.compile(r"(?<!\d)(\d{4})[\s-]?(\d{3}[\dXx])(?![\dXx])")


def issn(value: str) -> str:
    """The valid ISSN in `value` as NNNN-NNNX, '' when there is none (check by python-stdnum)."""
    match = _ISSN.search(value)
    if not match:
        return ""
    try:
        return stdnum_issn.format(stdnum_issn.validate(match.group()))
    except ValidationError:
        return ""


_OCLC = re.compile(r"^\s*(?:\(OCoLC\)\s*)?(?:ocm|ocn|on)?\s*0*(\d+)\s*$", re.IGNORECASE)


def oclc_number(value: str, *, prefixed: bool = True) -> str:
    """'(OCoLC)ocm01234567' → '1234567'; with prefixed=True other 035 sources give ''."""
    if prefixed and "(ocolc)" not in value.casefold():
        return ""
    match = _OCLC.match(value)
    return match.group(1) if match else ""


def lccn(value: str) -> str:
    """LC's normalised LCCN: 'n 79-21164 ' → 'n79021164', '2001-000002' → '2001000002'.

    Ours, not a library's: python-stdnum has no LCCN module and none of the maintained
    packages implements LC's normalisation rules (loc.gov/marc/lccn-namespace.html).
    """
    value = value.split("/")[0].replace(" ", "").strip().lower()
    if "-" in value:
        prefix, _, serial = value.partition("-")
        if serial.isdigit() and len(serial) <= 6:
            value = prefix + serial.zfill(6)
    if not re.fullmatch(r"[a-z]{0,3}\d{8,10}", value):
        return ""
    return value


# -- dates --------------------------------------------------------------------------------

_YEAR = re.compile(r"(?<!\d)(1[0-9]|20)(\d\d|\d-|--)(?!\d)")


def year(value: str) -> int | None:
    """The first plausible year: 'c1998.' → 1998, '[199-?]' → 1990, '1998-2001' → 1998."""
    match = _YEAR.search(value.replace("u", "-").replace("?", "-"))
    if not match:
        return None
    text = (match.group(1) + match.group(2)).replace("-", "0")
    found = int(text)
    return found if 1000 <= found <= 2100 and not match.group(2) == "--" else None


# -- format ("book", "score", ...) ---------------------------------------------------------

#: Every format a Record may carry; "recording" is music, "spoken_word" is speech.
FORMATS = (
    "book", "serial", "map", "score", "recording", "spoken_word", "video", "eresource",
    "manuscript", "image", "kit", "mixed",
)  # fmt: skip
_LEADER_TYPE = {
    "c": "score", "d": "score", "e": "map", "f": "map", "i": "spoken_word", "j": "recording",
    "k": "image", "m": "eresource", "o": "kit", "p": "mixed", "r": "image", "t": "manuscript",
}  # fmt: skip


_SOUND_CARRIER = re.compile(r"^\W*\d*\s*(sound (disc|cassette|recording)|compact disc|audio)")


def format_from_marc(
    leader: str, field_007: str = "", field_008: str = "", extent: str = ""
) -> str:
    """Leader/06-07 first; 007/008 split visual material and spot online text.

    `extent` (300 $a) corrects one common slip: a CD catalogued with the leader type of the
    score or book it accompanies ('ncm' + '1 sound disc'), which patrons borrow as a disc.
    """
    leader = leader.ljust(8)
    record_type, level = leader[6], leader[7]
    if record_type in "acd" and _SOUND_CARRIER.match(extent.casefold()):
        return "spoken_word" if record_type == "a" else "recording"
    if record_type == "a":
        if level in "bis":
            return "serial"
        if field_007[:2] == "cr" or field_008[23:24] in ("o", "q", "s"):
            return "eresource"
        return "book"
    if record_type == "g":
        is_video = field_007[:1] in ("v", "m") or field_008[33:34] in ("f", "m", "v")
        return "video" if is_video else "image"
    return _LEADER_TYPE.get(record_type, "")


# Folded words found in DC type / MODS typeOfResource and genre values, tried in order.
_TYPE_WORDS = (
    ("nonmusical", "spoken_word"), ("spoken", "spoken_word"), ("audiobook", "spoken_word"),
    ("notated music", "score"), ("score", "score"), ("cartographic", "map"), ("map", "map"),
    ("moving image", "video"), ("movingimage", "video"), ("video", "video"), ("film", "video"),
    ("sound", "recording"), ("audio", "recording"), ("music", "recording"),
    ("still image", "image"), ("stillimage", "image"), ("image", "image"),
    ("photograph", "image"), ("three dimensional", "image"), ("physicalobject", "kit"),
    ("kit", "kit"), ("mixed material", "mixed"), ("collection", "mixed"),
    ("software", "eresource"), ("dataset", "eresource"), ("interactive", "eresource"),
    ("electronic", "eresource"), ("online", "eresource"), ("periodical", "serial"),
    ("journal", "serial"), ("serial", "serial"), ("newspaper", "serial"),
    ("manuscript", "manuscript"), ("text", "book"), ("book", "book"),
)  # fmt: skip


def format_from_type(values: Iterable[str]) -> str:
    """The format named by DC type or MODS typeOfResource/genre words; '' if none fits."""
    folded = [" ".join(v.casefold().replace("-", " ").split()) for v in values if v]
    for word, fmt in _TYPE_WORDS:
        if any(word in value for value in folded):
            return fmt
    return ""


# -- holdings -----------------------------------------------------------------------------

# Folded status words as ILS exports spell them (Evergreen 852 $z, Sirsi 949 $k), in order.
_STATUS_WORDS = (
    ("checked out", "on_loan"), ("checkedout", "on_loan"), ("on loan", "on_loan"),
    ("on_loan", "on_loan"), ("due ", "on_loan"), ("in transit", "on_loan"),
    ("intransit", "on_loan"), ("on hold", "on_loan"), ("holds", "on_loan"),
    ("reference", "not_loanable"), ("noncirc", "not_loanable"), ("non circ", "not_loanable"),
    ("library use only", "not_loanable"), ("in process", "not_loanable"),
    ("inprocess", "not_loanable"), ("bindery", "not_loanable"), ("repair", "not_loanable"),
    ("on order", "not_loanable"), ("on-order", "not_loanable"), ("lost", "unknown"),
    ("missing", "unknown"), ("available", "available"), ("on shelf", "available"),
    ("reshelving", "available"), ("checked in", "available"),
)  # fmt: skip


def item_status(text: str, loanable: bool | None = None) -> str:
    """One of model.AVAILABILITY from an ILS status word and/or a circulate flag."""
    folded = " ".join(text.casefold().split())
    if folded:
        for word, status in _STATUS_WORDS:
            if word in folded:
                return status
    if loanable is False:
        return "not_loanable"
    if loanable is True:
        return "available"
    return "unknown"


def local_id(identifier: str) -> str:
    """'oai:north.demo:jazz_1k-12' → 'jazz_1k-12': the id a partner's catalog URL wants."""
    return identifier.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def partner_holding(partner: Partner, record_id: str, call_number: str = "") -> Holding:
    """The holding we assume when a feed says nothing about copies: 'held, status unknown'."""
    return Holding(
        library_id=partner.id,
        call_number=call_number,
        location=partner.location,
        status="unknown",
        catalog_url=partner.record_url(record_id),
    )


def unique_holdings(holdings: Iterable[Holding]) -> list[Holding]:
    """Identical copies (same shelf, number and status) shown once."""
    seen: dict[tuple, Holding] = {}
    for holding in holdings:
        key = (holding.library_id, holding.call_number, holding.location, holding.status)
        seen.setdefault(key, holding)
    return list(seen.values())


# -- helpers for the XML formats (Dublin Core, MODS) --------------------------------------


#: MARC relator codes as the terms patrons read (most common in our partners' data).
RELATOR_CODES = {
    "aut": "author", "cmp": "composer", "prf": "performer", "edt": "editor", "ill": "illustrator",
    "trl": "translator", "cnd": "conductor", "lyr": "lyricist", "arr": "arranger",
    "itr": "instrumentalist", "voc": "vocalist", "sng": "singer", "drt": "director",
    "nrt": "narrator", "pht": "photographer", "ctg": "cartographer", "com": "compiler",
}  # fmt: skip


def relator(code_or_term: str) -> str:
    """'cmp' → 'composer'; a term is kept, without its ISBD punctuation."""
    value = strip_isbd(code_or_term).strip()
    return RELATOR_CODES.get(value.casefold(), value)


def split_title(value: str) -> tuple[str, str, str]:
    """'Title : subtitle / by X' → (title, subtitle, responsibility), as DC titles come."""
    value = clean_space(value)
    main, _, responsibility = value.partition(" / ")
    title, _, subtitle = main.partition(" : ")
    return strip_isbd(title), strip_isbd(subtitle), strip_isbd(responsibility)


def require_title(title: str, identifier: str, source: str) -> str:
    if not title:
        raise MappingError(f"{identifier}: {source} record has no title")
    return title


_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"^[\d-]{9,17}[\dXx]\b")


def standard_numbers(values: Iterable[str]) -> dict[str, list[str]]:
    """Free-text identifiers ('ISBN 0-14-…', 'urn:issn:…', '(OCoLC)…', URLs) sorted by kind."""
    found: dict[str, list[str]] = {"isbn": [], "issn": [], "oclc": [], "lccn": [], "url": []}
    for raw in values:
        value = raw.strip()
        lowered = value.casefold()
        if _URL.match(value):
            found["url"].append(value)
        elif "issn" in lowered:
            found["issn"].append(issn(value))
        elif "ocolc" in lowered or lowered.startswith("oclc"):
            found["oclc"].append(oclc_number(value.split(":")[-1], prefixed=False))
        elif "lccn" in lowered:
            found["lccn"].append(lccn(value.split(":")[-1]))
        elif "isbn" in lowered or _BARE_NUMBER.match(value):
            found["isbn"].append(isbn13(value))
    return {kind: unique(numbers) for kind, numbers in found.items()}
