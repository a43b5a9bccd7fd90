"""The export formats a work or a result list can be downloaded in."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from indexer.payloads import WorkPayload
from outward.citations import bibtex_text, csl_json, ris
from outward.marcxml import marcxml_collection


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str
    media_type: str
    extension: str
    write: Callable[[list[WorkPayload]], bytes]


def _text(writer: Callable[[list[WorkPayload]], str]) -> Callable[[list[WorkPayload]], bytes]:
    return lambda payloads: writer(payloads).encode("utf-8")


def _csl(payloads: list[WorkPayload]) -> bytes:
    return json.dumps(csl_json(payloads), ensure_ascii=False, indent=1).encode("utf-8")


#: Every export, by the name its URL carries.
EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("ris", "RIS", "application/x-research-info-systems", "ris", _text(ris)),
        ExportFormat("bibtex", "BibTeX", "application/x-bibtex", "bib", _text(bibtex_text)),
        ExportFormat(
            "csl-json", "CSL-JSON", "application/vnd.citationstyles.csl+json", "json", _csl
        ),
        ExportFormat("marcxml", "MARCXML", "application/marcxml+xml", "xml", marcxml_collection),
    )
}
