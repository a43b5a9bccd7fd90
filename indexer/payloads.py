"""The typed shapes that cross layers: a work's display payload and its holding rows.

The indexer builds them (`documents.work_payload`), engines store and return them as they
are, and the web app (results, highlighting, other editions, the OpenAPI document) reads
them. Declaring them once lets mypy check every reader against the one writer.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict, get_args

#: Item status values a holding may have, in the order a patron cares about them.
Availability = Literal["available", "on_loan", "not_loanable", "unknown"]
AVAILABILITY: tuple[Availability, ...] = get_args(Availability)

#: The metadata formats a partner's records arrive in.
SourceFormat = Literal["marc21", "marcxml", "unimarc", "cnmarc", "oai_dc", "mods"]


class HoldingRow(TypedDict):
    """One library's copy of a work, as the record page, the API and the widget list it."""

    library_id: str
    library_name: str
    call_number: str
    location: str
    status: Availability
    catalog_url: str
    summary: str
    #: the partner's record (OAI-PMH identifier) this copy was described in
    record_id: str
    #: a copy on loan: when it is due back (ISO yyyy-mm-dd), when the feed says
    due_date: NotRequired[str]


class ContributorRow(TypedDict):
    name: str
    role: str
    vernacular: str


class SourceRecordRow(TypedDict):
    """One partner record merged into the work, and the key that merged it."""

    partner_id: str
    identifier: str
    source_format: str
    merged_by: str


#: A machine suggestion as staff left it: still only suggested, or accepted by staff (a
#: rejected one is never shown again).
SuggestionStatus = Literal["suggested", "accepted"]


class SuggestedSubjectRow(TypedDict):
    """A subject heading a model suggested for a work, kept apart from the catalogued ones,
    with where it came from (`ai.model`: which model, trained when, on how many works) and
    the record's words that drove it."""

    heading: str
    scheme: str
    score: float
    status: SuggestionStatus
    words: list[str]
    model_id: str
    trained_at: str
    trained_on: int


class WorkPayload(TypedDict):
    """The display form of a work, stored in the engine and returned by the work API."""

    id: str
    title: str
    subtitle: str
    part: str
    responsibility: str
    contributors: list[ContributorRow]
    subjects: list[str]
    classification: dict[str, list[str]]
    isbns: list[str]
    issns: list[str]
    oclc_numbers: list[str]
    lccn: str
    language: str
    format: str
    publisher: str
    place: str
    year: int | None
    edition: str
    #: the first series statement of the main record ("" for none)
    series: str
    physical_description: str
    notes: list[str]
    urls: list[str]
    vernacular: dict[str, list[str]]
    holdings: list[HoldingRow]
    records: list[SourceRecordRow]
    #: why each record is in this work, in words and fields (indexer.catalog.match_evidence);
    #: set by the catalogue once the work's members are known
    match_evidence: NotRequired[list[dict[str, Any]]]
    #: machine-suggested headings (`ai`), never mixed with `subjects`; set by the catalogue
    #: when it was given the suggestions (indexer.catalog.WorkAnnotations)
    suggested_subjects: NotRequired[list[SuggestedSubjectRow]]
