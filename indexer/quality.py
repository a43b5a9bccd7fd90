"""A partner's metadata quality, from the record store: what share of its current records
carry what patrons search and staff rely on.

Computed at the end of each partner's harvest run (`Catalog.quality`, called by the
harvester through its sink) and kept in that run's report, so `harvester.health` can flag a
partner whose quality falls between runs (a broken export that drops subjects, an ILS upgrade
that loses call numbers) — a change the record counts alone do not show.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

#: the shares reported, in the order shown: what each counts, in a few words
SHARES = {
    "identifiers": "records with an ISBN or ISSN",
    "subjects": "records with a subject heading",
    "language": "records with a language",
    "year": "records with a year",
    "call_numbers": "holdings with a call number",
    "statuses": "holdings with a known status",
}

_RECORDS = """
SELECT count(*),
       coalesce(sum(json_array_length(data, '$.isbns') + json_array_length(data, '$.issns') > 0),
                0),
       coalesce(sum(json_array_length(data, '$.subjects') > 0), 0),
       coalesce(sum(coalesce(json_extract(data, '$.language'), '') != ''), 0),
       coalesce(sum(json_extract(data, '$.year') IS NOT NULL), 0)
FROM records WHERE partner_id = ?
"""
_HOLDINGS = """
SELECT count(*),
       coalesce(sum(coalesce(json_extract(h.value, '$.call_number'), '') != ''), 0),
       coalesce(sum(coalesce(json_extract(h.value, '$.status'), 'unknown') != 'unknown'), 0)
FROM records, json_each(records.data, '$.holdings') AS h WHERE records.partner_id = ?
"""


@dataclass(frozen=True)
class MetadataQuality:
    """Counts over one partner's current records and their holdings."""

    records: int
    with_identifiers: int
    with_subjects: int
    with_language: int
    with_year: int
    holdings: int
    with_call_numbers: int
    with_statuses: int

    def shares(self) -> dict[str, float]:
        """Each of SHARES as a fraction (0 to 1, three decimals); none without records."""
        per_record = {
            "identifiers": self.with_identifiers,
            "subjects": self.with_subjects,
            "language": self.with_language,
            "year": self.with_year,
        }
        per_holding = {"call_numbers": self.with_call_numbers, "statuses": self.with_statuses}
        shares = {k: round(v / self.records, 3) for k, v in per_record.items() if self.records}
        shares |= {k: round(v / self.holdings, 3) for k, v in per_holding.items() if self.holdings}
        return shares

    def to_dict(self) -> dict:
        """What the run report keeps: the counts behind the shares, and the shares."""
        return {"records": self.records, "holdings": self.holdings, "shares": self.shares()}


def partner_quality(db: sqlite3.Connection, partner_id: str) -> MetadataQuality:
    """The partner's quality now, read from its stored records (one pass over each)."""
    records = db.execute(_RECORDS, (partner_id,)).fetchone()
    holdings = db.execute(_HOLDINGS, (partner_id,)).fetchone()
    return MetadataQuality(*records, *holdings)
