"""The one entry point from a harvested OAI-PMH record to a fedcat Record.

The harvester hands over the element inside <metadata>; which mapping reads it depends
only on the partner's metadata prefix.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from config.partners import Partner
from indexer.model import Record
from indexer.normalize import MappingError, local_id

__all__ = ["MappingError", "map_record"]

Mapper = Callable[[Partner, str, str, etree._Element], Record]


def _marc(partner: Partner, identifier: str, datestamp: str, metadata: etree._Element) -> Record:
    """MARC 21, UNIMARC or CNMARC, with MFHDs or ISO 20775 holdings in the same element."""
    from indexer.holdings import bib_and_holdings
    from indexer.iso20775 import iso20775_holdings, split_holdings
    from indexer.marc import marc_to_record

    metadata, iso_holdings = split_holdings(metadata)
    try:
        bib, holdings = bib_and_holdings(metadata)
    except MappingError as exc:
        raise MappingError(f"{identifier}: {exc}") from exc
    record = marc_to_record(bib, partner, identifier, datestamp, holdings)
    if iso_holdings:  # the copies a partner states in ISO 20775 replace what MARC implied
        f001 = bib.get("001")
        record_id = (f001.data or "").strip() if f001 is not None else ""
        record_id = record_id or local_id(identifier)
        call = record.holdings[0].call_number if record.holdings else ""
        copies = [h for e in iso_holdings for h in iso20775_holdings(e, partner, record_id, call)]
        record.holdings = copies or record.holdings
    return record


def _dublin_core(partner, identifier, datestamp, metadata) -> Record:
    from indexer.dublin_core import dc_to_record

    return dc_to_record(metadata, partner, identifier, datestamp)


def _mods(partner, identifier, datestamp, metadata) -> Record:
    from indexer.mods import mods_to_record

    return mods_to_record(metadata, partner, identifier, datestamp)


_MAPPERS: dict[str, Mapper] = {
    "marc21": _marc,
    "marcxml": _marc,
    "unimarc": _marc,  # the MARC mapping tells UNIMARC from MARC 21 by the fields
    "cnmarc": _marc,
    "oai_dc": _dublin_core,
    "mods": _mods,
}


def _unwrap(metadata: etree._Element) -> etree._Element:
    """Some feeds wrap <record> in <collection>; the mapping wants the record itself.

    A collection of several records (a MARC bib with its holdings records) is kept whole.
    """
    if etree.QName(metadata).localname == "collection":
        records = [c for c in metadata if isinstance(c.tag, str)]
        if len(records) == 1:
            return records[0]
    return metadata


def map_record(
    partner: Partner,
    identifier: str,
    datestamp: str,
    metadata: etree._Element,
    prefix: str,
) -> Record:
    """Map one harvested record; MappingError (a ValueError) names the identifier on failure."""
    mapper = _MAPPERS.get(prefix)
    if mapper is None:
        raise MappingError(f"{identifier}: no mapping for metadata prefix {prefix!r}")
    if metadata is None or not isinstance(metadata.tag, str):
        raise MappingError(f"{identifier}: no metadata element")
    try:
        return mapper(partner, identifier, datestamp, _unwrap(metadata))
    except MappingError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise MappingError(f"{identifier}: cannot map {prefix} record: {exc}") from exc
