"""``GET /sru``: SRU 2.0 and 1.2 (explain, searchRetrieve with CQL); see outward.sru."""

from __future__ import annotations

from flask import Blueprint, Response, request

from outward.sru import SruService
from search_ui.extension import fedcat
from search_ui.links import request_params

blueprint = Blueprint("sru", __name__)


@blueprint.get("/sru")
def sru() -> Response:
    shared = fedcat()
    service = SruService(
        shared.engine,
        set(shared.by_id),
        request.base_url,
        "fedcat union catalogue",
    )
    params = request_params(request.args)
    return Response(service.respond(params), content_type="application/xml; charset=utf-8")
