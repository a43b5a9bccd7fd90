"""``GET/POST /oai``: the OAI-PMH 2.0 provider of the union catalogue (see outward.oai)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Response, request

from indexer.changes import JournalReader
from outward.oai import OaiProvider, Repository
from search_ui.auth import csrf
from search_ui.extension import fedcat
from search_ui.links import request_params

blueprint = Blueprint("oai", __name__)


@contextmanager
def journal() -> Iterator[JournalReader]:
    """The change journal in the state file, read-only (an empty one before any harvest)."""
    path = fedcat().settings.state_db
    if not path.exists():
        db = sqlite3.connect(":memory:")
    else:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        yield JournalReader(db)
    finally:
        db.close()


@csrf.exempt  # a protocol for machines: no cookies, no session, nothing changes
@blueprint.route("/oai", methods=["GET", "POST"])
def oai() -> Response:
    shared = fedcat()
    repository = Repository(
        name="fedcat union catalogue",
        base_url=request.base_url,
        admin_email=shared.settings.smtp_from,
        libraries={p.id: p.name for p in shared.partners},
    )
    params = request_params(request.form if request.method == "POST" else request.args)
    with journal() as reader:
        provider = OaiProvider(repository, reader, shared.engine.get, shared.oai_page_size)
        body = provider.respond(params)
    return Response(body, content_type="text/xml; charset=utf-8")
