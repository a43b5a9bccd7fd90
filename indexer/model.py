"""The record model: what one partner library says about one title, normalised.

Every metadata format (MARC21, Dublin Core, MODS) maps into these types; everything
after the mapping (work matching, documents, engines, the web app) reads only these.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, cast

from indexer.payloads import AVAILABILITY, Availability

#: Item statuses ranked in the order a patron cares about them (available first).
STATUS_RANK: dict[str, int] = {status: rank for rank, status in enumerate(AVAILABILITY)}


def availability(status: str) -> Availability:
    """A holding's status as one of AVAILABILITY: anything a mapping did not know is unknown."""
    return cast(Availability, status) if status in STATUS_RANK else "unknown"


@dataclass
class Holding:
    """One library's copy (or copies) of a title."""

    library_id: str
    call_number: str = ""
    location: str = ""
    status: str = "unknown"  # one of AVAILABILITY
    catalog_url: str = ""  # the record in the partner's own catalog
    #: what a serial holding covers, as the library states it (MFHD 866-868, or 853/863
    #: rendered): "v.1 (1993)-v.10 (2002); Supplements: 1995"; "" for monographs
    summary: str = ""
    #: when the copy on loan is due back, ISO yyyy-mm-dd, when the feed says (Koha 952 $q)
    due_date: str = ""


@dataclass
class Contributor:
    name: str
    role: str = ""  # relator term or code, e.g. "author", "composer", "editor"
    vernacular: str = ""  # the same name in its original script (MARC 880), if any


@dataclass
class Subject:
    heading: str  # subdivisions joined with " -- "
    scheme: str = ""  # "lcsh", "mesh", "fast", "local", ... ("" when unknown)


@dataclass
class Record:
    """One partner's record of one title, after mapping and cleaning."""

    partner_id: str
    identifier: str  # the OAI-PMH identifier at that partner
    source_format: str = ""  # "marc21", "unimarc", "cnmarc", "oai_dc" or "mods"
    datestamp: str = ""
    title: str = ""
    subtitle: str = ""
    part: str = ""  # part/volume number and name (245 $n $p)
    responsibility: str = ""  # statement of responsibility (245 $c)
    contributors: list[Contributor] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    classification: dict[str, list[str]] = field(default_factory=dict)  # "lcc", "ddc", "clc"
    isbns: list[str] = field(default_factory=list)  # normalised ISBN-13
    issns: list[str] = field(default_factory=list)  # NNNN-NNNX
    oclc_numbers: list[str] = field(default_factory=list)  # digits only
    lccn: str = ""
    #: cancelled or invalid numbers (020 $z, 022 $y $z): weak evidence for matching only
    weak_isbns: list[str] = field(default_factory=list)
    weak_issns: list[str] = field(default_factory=list)
    language: str = ""  # ISO 639-2/B code, e.g. "eng", "fre", "chi"
    format: str = ""  # "book", "serial", "map", "score", "recording", "video", ...
    #: how the content is carried, where the format alone does not say it: "online",
    #: "microform", "braille", "large_print", or "" (print or not known)
    carrier: str = ""
    series: str = ""  # the first series statement (490 $a, else 830 $a)
    publisher: str = ""
    place: str = ""
    year: int | None = None
    edition: str = ""
    physical_description: str = ""
    notes: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    #: original-script forms (MARC 880), keyed by the field they belong to:
    #: "title", "contributors", "subjects", "publisher", "place", "edition", "notes"
    vernacular: dict[str, list[str]] = field(default_factory=dict)
    holdings: list[Holding] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Unique across the consortium: partner id and the partner's identifier."""
        return f"{self.partner_id}\x1f{self.identifier}"

    @property
    def full_title(self) -> str:
        parts = [self.title, self.subtitle, self.part]
        return " : ".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        data = dict(data)
        data["contributors"] = [Contributor(**c) for c in data.get("contributors", [])]
        data["subjects"] = [Subject(**s) for s in data.get("subjects", [])]
        data["holdings"] = [Holding(**h) for h in data.get("holdings", [])]
        return cls(**data)
