"""Exports of a work and of a result list, for the pages (a download) and the API.

``/export/<format>/work/<id>`` and ``/export/<format>?q=...`` (the search page's parameters)
are the page links; ``/api/v1/works/<id>/export/<format>`` and
``/api/v1/search/export/<format>?q=...`` answer the same bodies without the download header.
The formats are `outward.exports.EXPORT_FORMATS`.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from indexer.overrides import redirect_in_state
from indexer.payloads import WorkPayload
from outward.exports import EXPORT_FORMATS, ExportFormat
from search_ui.extension import fedcat
from search_ui.request_params import is_work_id, search_request_from_params

blueprint = Blueprint("exports", __name__)


def find_work(work_id: str) -> WorkPayload | None:
    """The work of `work_id`, following a merge's redirect; None when there is none."""
    if not is_work_id(work_id):
        return None
    shared = fedcat()
    payload = shared.engine.get(work_id)
    if payload is None:
        moved = redirect_in_state(shared.settings.state_db, work_id)
        payload = shared.engine.get(moved) if moved else None
    return payload


def export_format(name: str) -> ExportFormat:
    chosen = EXPORT_FORMATS.get(name)
    if chosen is None:
        abort(404, description=f"no export format {name[:40]!r}; try {', '.join(EXPORT_FORMATS)}")
    return chosen


def searched_works() -> list[WorkPayload]:
    """The works of the result page the request's search parameters ask for."""
    shared = fedcat()
    search = search_request_from_params(request.args, known_libraries=set(shared.by_id))
    return [hit.payload for hit in shared.engine.search(search).hits]


def answer(chosen: ExportFormat, payloads: list[WorkPayload], filename: str | None) -> Response:
    response = Response(chosen.write(payloads), content_type=f"{chosen.media_type}; charset=utf-8")
    if filename is not None:
        disposition = f'attachment; filename="{filename}.{chosen.extension}"'
        response.headers["Content-Disposition"] = disposition
    return response


def work_export(work_id: str, fmt: str, download: bool) -> Response:
    chosen = export_format(fmt)
    payload = find_work(work_id)
    if payload is None:
        abort(404, description=f"no work with id {work_id[:40]!r}")
    return answer(chosen, [payload], payload["id"] if download else None)


@blueprint.get("/export/<fmt>/work/<work_id>")
def work_download(fmt: str, work_id: str) -> Response:
    return work_export(work_id, fmt, download=True)


@blueprint.get("/api/v1/works/<work_id>/export/<fmt>")
def work_api(work_id: str, fmt: str) -> Response:
    return work_export(work_id, fmt, download=False)


@blueprint.get("/export/<fmt>")
def results_download(fmt: str) -> Response:
    chosen = export_format(fmt)
    return answer(chosen, searched_works(), "fedcat-results")


@blueprint.get("/api/v1/search/export/<fmt>")
def results_api(fmt: str) -> Response:
    chosen = export_format(fmt)
    return answer(chosen, searched_works(), None)


@blueprint.app_context_processor
def export_links() -> dict[str, object]:
    """The export formats, for the record and result pages' links."""
    return {"export_formats": EXPORT_FORMATS}
