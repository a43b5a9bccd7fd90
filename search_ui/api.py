"""The JSON API under /api/v1/, described by `search_ui.openapi`."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from ai.related import also_requested_works, more_like_this
from indexer.editions import other_editions
from indexer.overrides import fate_in_state
from search_ui import i18n
from search_ui.extension import fedcat
from search_ui.obtain import work_tier
from search_ui.openapi import openapi_document
from search_ui.request_params import MAX_PER_PAGE, MAX_RESULTS, is_work_id
from search_ui.suggestions import MAX_AUTOCOMPLETE, MAX_AUTOCOMPLETE_LENGTH, autocomplete

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@blueprint.get("/search")
def search() -> Response:
    _, response = fedcat().search(request.args)
    return jsonify(response)


@blueprint.get("/works/<work_id>")
def work(work_id: str) -> Response:
    engine = fedcat().engine
    payload = engine.get(work_id) if is_work_id(work_id) else None
    fate = None
    if payload is None and is_work_id(work_id):
        fate = fate_in_state(fedcat().settings.state_db, work_id)
        if fate is not None and fate.kind == "moved":  # merged: answer with the survivor
            payload = engine.get(fate.works[0])
    if payload is None and fate is not None and fate.kind == "split":
        return _split_answer(work_id, fate.works)
    if payload is None and fate is not None and fate.kind == "gone":
        abort(410, description=f"work {work_id!r} is no longer in the catalogue: its records "
              "were withdrawn")  # fmt: skip
    if payload is None:
        abort(404, description=f"no work with id {work_id[:40]!r}")
    settings = fedcat().settings
    return jsonify(
        {
            **payload,
            "other_editions": other_editions(engine, payload),
            "related": more_like_this(engine, payload),
            "also_requested": also_requested_works(
                engine, settings.state_db, payload["id"], settings.co_request_min
            ),
            "obtainability": work_tier(payload, request.args, fedcat()),
        }
    )


def _split_answer(work_id: str, works: tuple[str, ...]) -> Response:
    """300 Multiple Choices: the id was split; the works its records are in now."""
    response = jsonify(
        {
            "status": 300,
            "error": f"work {work_id!r} was split into {len(works)} works",
            "works": list(works),  # each at /api/v1/works/<id>
        }
    )
    response.status_code = 300
    return response


@blueprint.get("/autocomplete", endpoint="autocomplete")
def complete() -> Response:
    return jsonify(autocomplete(fedcat().engine, request.args))


@blueprint.get("/partners")
def partners() -> Response:
    listed = [{"id": p.id, "name": p.name, "location": p.location} for p in fedcat().partners]
    return jsonify({"partners": listed})


@blueprint.get("/messages")
def messages() -> Response:
    """The interface text of the widget in the asked language, from the shared catalogue."""
    language = i18n.requested_language(request.args)
    return jsonify({"lang": language, "messages": i18n.catalogue_messages(language)})


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return jsonify(
        openapi_document(MAX_PER_PAGE, MAX_RESULTS, MAX_AUTOCOMPLETE_LENGTH, MAX_AUTOCOMPLETE)
    )


@blueprint.get("/health")
def health() -> Response:
    shared = fedcat()
    return jsonify(
        {"status": "ok", "engine": shared.settings.engine, "works": shared.engine.count()}
    )
