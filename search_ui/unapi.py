"""unAPI (``GET /unapi``) and COinS on the result and record pages, for citation tools.

A page names its unAPI server (``<link rel="unapi-server">``) and each work on it
(``<abbr class="unapi-id" title="<work id>">``); a tool then asks ``/unapi`` for the formats
(no id), for one work's formats (``id``: answered with 300 Multiple Choices, as unAPI 1.0
says) and for the work in one of them (``id`` and ``format``), which is the export of that
name (`outward.exports`). An unknown work is a 404, an unknown format a 406, each with a
one-line message in plain text. The COinS spans carry the same works as OpenURL KEV.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from flask import Blueprint, Response, request
from lxml import etree

from indexer.payloads import WorkPayload
from outward.coins import OpenUrlCitation, citation_from_payload, context_object
from outward.exports import EXPORT_FORMATS
from outward.xml import clean, sub
from search_ui.exports import answer, find_work
from search_ui.links import link

blueprint = Blueprint("unapi", __name__)
UNAPI_TYPE = "application/xml"


def formats_document(work_id: str | None) -> bytes:
    """The unAPI ``<formats>`` list (for one work when `work_id` is given)."""
    root = etree.Element("formats")
    if work_id is not None:
        root.set("id", clean(work_id))
    for chosen in EXPORT_FORMATS.values():
        sub(root, "format", name=chosen.name, type=chosen.media_type)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def refusal(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@blueprint.get("/unapi")
def unapi() -> Response:
    work_id = request.args.get("id", "")
    fmt = request.args.get("format", "")
    if not work_id:
        if fmt:
            return refusal(400, "a format needs the id of a work: /unapi?id=<work id>&format=...")
        return Response(formats_document(None), content_type=f"{UNAPI_TYPE}; charset=utf-8")
    payload = find_work(work_id)
    if payload is None:
        return refusal(404, f"no work with id {work_id[:40]!r}")
    if not fmt:
        body = formats_document(work_id)  # a well-formed work id (find_work checked it)
        return Response(body, status=300, content_type=f"{UNAPI_TYPE}; charset=utf-8")
    chosen = EXPORT_FORMATS.get(fmt)
    if chosen is None:
        known = ", ".join(EXPORT_FORMATS)
        return refusal(406, f"no format {fmt[:40]!r} for unAPI; try {known}")
    return answer(chosen, [payload], None)


def record_url(work_id: str) -> str:
    """The absolute address of a work's record page (the ContextObject's rft_id)."""
    return urljoin(request.host_url, link("pages.work_page", work_id=work_id))


@blueprint.app_template_filter("coins")
def coins(payload: WorkPayload) -> str:
    """The record page's Z3988 title: its work as an OpenURL ContextObject."""
    return context_object(citation_from_payload(payload, record_url(payload["id"])))


@blueprint.app_template_filter("coins_summary")
def coins_summary(summary: dict[str, Any]) -> str:
    """A result's Z3988 title, from the work as the result list holds it."""
    title = " : ".join(p for p in (summary["title"], summary["subtitle"]) if p)
    citation = OpenUrlCitation(
        title=title,
        format=summary["format"],
        authors=summary["contributors"],
        year=summary["year"],
        publisher=summary["publisher"],
        isbns=summary["isbns"],
        url=record_url(summary["id"]),
    )
    return context_object(citation)
