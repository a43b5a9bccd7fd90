"""A work as a MARC21 record, holdings included: what ILL systems and union catalogues read.

One bibliographic record per work, built from its display payload, with one 852 per holding
(the copy's library, call number, shelving location and availability), as SRU-based
location lookups (ReShare, CrossLink) expect to find them:

====  =============================================================
852   $a library id (the consortium's code), $b library name,
      $c shelving location, $h call number, $z availability
      ("available", "on_loan", "not_loanable", "unknown"),
      $u the record in the library's own catalogue, $3 holdings summary
====  =============================================================
"""

from __future__ import annotations

import io

import pymarc
from pymarc import Field, Indicators, Subfield

from indexer.payloads import HoldingRow, WorkPayload

MARC_NS = "http://www.loc.gov/MARC21/slim"
#: Leader/06 (type of record) and /07 (bibliographic level) per fedcat format.
LEADER_TYPE = {
    "book": "am", "serial": "as", "map": "em", "score": "cm", "recording": "jm",
    "spoken_word": "im", "video": "gm", "eresource": "mm", "manuscript": "tm",
    "image": "km", "kit": "om", "mixed": "pc",
}  # fmt: skip


def _subfields(*pairs: tuple[str, str]) -> list[Subfield]:
    return [Subfield(code, value) for code, value in pairs if value]


def _data_field(tag: str, ind: str, *pairs: tuple[str, str]) -> Field | None:
    subfields = _subfields(*pairs)
    if not subfields:
        return None
    return Field(tag=tag, indicators=Indicators(ind[0], ind[1]), subfields=subfields)


def _fixed_008(payload: WorkPayload) -> str:
    year = f"{payload['year']:04d}" if payload["year"] is not None else "    "
    date_type = "s" if payload["year"] is not None else "n"
    language = (payload["language"] or "und")[:3].ljust(3)
    return f"      {date_type}{year}    xx            000 0 {language} d"


def holding_field(holding: HoldingRow) -> Field:
    """The 852 of one library's copy (see the module docstring for its subfields)."""
    return Field(
        tag="852",
        indicators=Indicators(" ", " "),
        subfields=_subfields(
            ("a", holding["library_id"]),
            ("b", holding["library_name"]),
            ("c", holding["location"]),
            ("h", holding["call_number"]),
            ("z", holding["status"]),
            ("u", holding["catalog_url"]),
            ("3", holding["summary"]),
        ),
    )


def marc_record(payload: WorkPayload) -> pymarc.Record:
    """The MARC21 record of a work, its holdings as 852 fields."""
    record = pymarc.Record(force_utf8=True)
    kind = LEADER_TYPE.get(payload["format"], "am")
    record.leader = pymarc.Leader(f"     n{kind} a22     3i 4500")
    record.add_field(Field(tag="001", data=payload["id"]))
    record.add_field(Field(tag="003", data="fedcat"))
    record.add_field(Field(tag="008", data=_fixed_008(payload)))
    fields: list[Field | None] = []
    if payload["lccn"]:
        fields.append(_data_field("010", "  ", ("a", payload["lccn"])))
    fields += [_data_field("020", "  ", ("a", isbn)) for isbn in payload["isbns"]]
    fields += [_data_field("022", "  ", ("a", issn)) for issn in payload["issns"]]
    fields += [_data_field("035", "  ", ("a", f"(OCoLC){n}")) for n in payload["oclc_numbers"]]
    contributors = payload["contributors"]
    if contributors:
        first = contributors[0]
        fields.append(_data_field("100", "1 ", ("a", first["name"]), ("e", first["role"])))
    fields.append(
        _data_field(
            "245",
            ("1" if contributors else "0") + "0",
            ("a", payload["title"] or "[Untitled]"),
            ("b", payload["subtitle"]),
            ("p", payload["part"]),
            ("c", payload["responsibility"]),
        )
    )
    fields.append(_data_field("250", "  ", ("a", payload["edition"])))
    year = str(payload["year"]) if payload["year"] is not None else ""
    fields.append(
        _data_field("264", " 1", ("a", payload["place"]), ("b", payload["publisher"]), ("c", year))
    )
    fields.append(_data_field("300", "  ", ("a", payload["physical_description"])))
    fields += [_data_field("500", "  ", ("a", note)) for note in payload["notes"]]
    fields += [_data_field("650", " 4", ("a", subject)) for subject in payload["subjects"]]
    fields += [
        _data_field("700", "1 ", ("a", c["name"]), ("e", c["role"])) for c in contributors[1:]
    ]
    fields += [_data_field("856", "40", ("u", url)) for url in payload["urls"]]
    fields += [holding_field(h) for h in payload["holdings"]]
    for data_field in fields:
        if data_field is not None:
            record.add_field(data_field)
    return record


def marcxml_record(payload: WorkPayload) -> bytes:
    """One <record> in the MARC21 slim namespace (no XML declaration), for SRU and OAI-PMH."""
    return pymarc.record_to_xml(marc_record(payload), namespace=True)


def marcxml_collection(payloads: list[WorkPayload]) -> bytes:
    """A MARCXML <collection> document of the works, for an export download."""
    out = io.BytesIO()
    writer = pymarc.XMLWriter(out)
    for payload in payloads:
        writer.write(marc_record(payload))
    writer.close(close_fh=False)
    return out.getvalue()
