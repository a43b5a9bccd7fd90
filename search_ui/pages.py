"""The patron's pages: the search page and the record page of a work."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, make_response, redirect, render_template, request
from flask_babel import gettext, lazy_gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from ai.related import also_requested_works, more_like_this
from indexer.editions import other_editions
from indexer.overrides import fate_in_state
from search_ui import i18n
from search_ui.extension import fedcat
from search_ui.links import (
    active_filters,
    facet_url,
    language_url,
    link,
    page_url,
    suggested_subjects_url,
    suggestion_url,
)
from search_ui.obtain import work_tier
from search_ui.request_params import is_work_id
from search_ui.results import order_holdings

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def search_page() -> str:
    partners = fedcat().partners
    searched = ("q", "year_from", "year_to")
    if not any(request.args.get(k) for k in searched) and not any(
        k.startswith("f.") for k in request.args
    ):
        return render_template("search.html", response=None, search=None, partners=partners)
    search, response = fedcat().search(request.args)
    return render_template(
        "search.html", response=response, search=search, partners=partners, args=request.args
    )


@blueprint.get("/work/<work_id>")
def work_page(work_id: str) -> str | Response | WerkzeugResponse:
    shared = fedcat()
    payload = shared.engine.get(work_id) if is_work_id(work_id) else None
    if payload is None:
        return _former_work(work_id)
    tier = work_tier(payload, request.args, shared)
    home = tier["library"] if tier else None
    return render_template(
        "work.html",
        work=payload,
        holdings=order_holdings(payload["holdings"], home),
        partners=shared.by_id,
        tier=tier,
        editions=other_editions(shared.engine, payload),
        related=more_like_this(shared.engine, payload),
        also_requested=also_requested_works(
            shared.engine, shared.settings.state_db, payload["id"], shared.settings.co_request_min
        ),
    )


def _former_work(work_id: str) -> Response | WerkzeugResponse:
    """An id that names no work now: where its records went, so an old link keeps working."""
    shared = fedcat()
    fate = fate_in_state(shared.settings.state_db, work_id) if is_work_id(work_id) else None
    if fate is None:
        abort(404, description="No such work in the catalogue.")
    if fate.kind == "gone":
        abort(410, description=gettext(GONE))
    if fate.kind == "moved":  # merged or re-matched under another id
        return redirect(link("pages.work_page", request.args, work_id=fate.works[0]), 301)
    works = [w for w in (shared.engine.get(i) for i in fate.works) if w is not None]
    return make_response(render_template("work_split.html", works=works), 300)


#: The 410 page's message (marked here for translation, translated when shown).
GONE = lazy_gettext(
    "This work is no longer in the catalogue: the libraries that held it have withdrawn "
    "its records."
)


@blueprint.app_context_processor
def page_helpers() -> dict[str, Any]:
    """What every template may use; every link goes through `link` (search_ui.links)."""
    args = request.args
    lang = i18n.interface_language()
    other = i18n.other_language(lang)
    return {
        "lang": lang,
        "link": link,
        "lang_url": language_url(args, other),
        "lang_switch": i18n.language_name(other),
        "active_filters": active_filters(args),
        "facet_url": lambda facet, value: facet_url(args, facet, value),
        "suggestion_url": lambda corrected: suggestion_url(args, corrected),
        "suggested_subjects_url": suggested_subjects_url(args),
        "prev_url": page_url(args, -1),
        "next_url": page_url(args, +1),
        "facet_label": i18n.facet_label,
        "status_label": i18n.status_label,
    }


@blueprint.app_template_test("safe_url")
def safe_url(value: str) -> bool:
    """Only http(s) links from partner data become links; anything else stays text."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


@blueprint.app_template_filter("library_name")
def library_name(library_id: str) -> str:
    partner = fedcat().by_id.get(library_id)
    return partner.name if partner else library_id
