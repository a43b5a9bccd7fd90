"""The Flask app: the patron's search page, record pages and the JSON API.

Created by `create_app(settings)`: configuration is read at this edge and passed down.
Errors never leak a stack trace: API errors are JSON with a status and a message.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, g, jsonify, make_response, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from config.partners import Partner, load_registry
from config.settings import Settings
from indexer.editions import other_editions
from indexer.engine import EngineError, EngineUnavailable, SearchEngine
from indexer.engines import open_engine
from search_ui.i18n import choose_language, translator
from search_ui.openapi import openapi_document
from search_ui.query_parser import BadQuery
from search_ui.ratelimit import limit_api, retry_after
from search_ui.request_params import (
    MAX_PER_PAGE,
    MAX_RESULTS,
    BadParameter,
    is_work_id,
    search_request_from_params,
    single_value,
)
from search_ui.results import order_holdings, search_response
from search_ui.suggestions import (
    MAX_AUTOCOMPLETE,
    MAX_AUTOCOMPLETE_LENGTH,
    autocomplete,
    spelling_suggestion,
    suggestion_params,
)

log = logging.getLogger(__name__)
#: Seconds a client is told to wait (Retry-After) when the search engine is unavailable.
UNAVAILABLE_RETRY_AFTER = 10


def active_filters(args) -> dict[str, list[str]]:
    """The facet filters in the URL: repeated f.<facet>=<value> parameters."""
    return {k[2:]: args.getlist(k) for k in args if k.startswith("f.")}


def toggle_filter(args, facet: str, value: str) -> dict[str, list[str]]:
    """The URL parameters with one facet value added, or removed if it was there."""
    params = {k: args.getlist(k) for k in args if k != "page"}
    key = f"f.{facet}"
    values = params.get(key, [])
    params[key] = [v for v in values if v != value] if value in values else [*values, value]
    return params


def link(endpoint: str, params: dict[str, list[str]], **view_args: Any) -> str:
    """The URL of `endpoint` with `params` as its query string.

    The parameters come from the request, so they are passed as data, never as url_for
    keywords: a crafted `?endpoint=` or `?_scheme=` would otherwise change what url_for does.
    """
    query = urlencode([(k, v) for k, values in params.items() for v in values])
    url = url_for(endpoint, **view_args)
    return f"{url}?{query}" if query else url


def page_number(args) -> int | None:
    """The `page` parameter when it is a plain whole number (the search refuses the rest)."""
    page = args.get("page", "1")
    return int(page) if page.isascii() and page.isdigit() and len(page) <= 9 else None


def create_app(
    settings: Settings,
    *,
    engine: SearchEngine | None = None,
    partners: list[Partner] | None = None,
) -> Flask:
    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)
    partners = partners if partners is not None else load_registry(settings.partners_file)
    by_id = {p.id: p for p in partners}
    state: dict[str, Any] = {"engine": engine}

    def current_engine() -> SearchEngine:
        if state["engine"] is None:
            state["engine"] = open_engine(
                settings.engine,
                index_dir=settings.index_dir,
                es_url=settings.es_url,
                es_index=settings.es_index,
                es_timeout=settings.es_timeout,
            )
        return state["engine"]

    def run_search(params) -> tuple[Any, dict[str, Any]]:
        search = search_request_from_params(params, known_libraries=set(by_id))
        result = current_engine().search(search)
        typed = single_value(params, "q") or ""
        suggestion = spelling_suggestion(current_engine(), search, typed, result.total)
        return search, search_response(search, result, suggestion)

    def is_api() -> bool:
        return request.path.startswith("/api/")

    partner_origins = {origin for p in partners for origin in p.origins}
    limiter = limit_api(app, settings.rate_limit)

    @app.before_request
    def choose_interface_language() -> None:
        g.lang = choose_language(request.args.get("lang"), request.headers.get("Accept-Language"))
        g.t = translator(g.lang)

    @app.after_request
    def protective_headers(response):
        """Security headers everywhere; CORS on the API for registered partner origins only."""
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
        )
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        origin = request.headers.get("Origin")
        if is_api():
            response.vary.add("Origin")  # a cache must not serve one origin's answer to another
            if origin in partner_origins:
                response.headers["Access-Control-Allow-Origin"] = origin
        if request.path.endswith(("/widget.js", "/autocomplete.js")):
            response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response

    # -- errors -------------------------------------------------------------------------
    @app.errorhandler(BadQuery)
    @app.errorhandler(BadParameter)
    def bad_request(exc: ValueError):
        return error(400, str(exc))

    @app.errorhandler(EngineUnavailable)
    def unavailable(exc: EngineUnavailable):
        log.warning("search engine unavailable: %s", exc)
        response = error(
            503, "The search service is unavailable right now. Please try again shortly."
        )
        response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
        return response

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(exc: RateLimitExceeded):
        response = error(429, "Too many requests from this client. Please wait and try again.")
        response.headers["Retry-After"] = str(retry_after(limiter))
        return response

    @app.errorhandler(EngineError)
    @app.errorhandler(sqlite3.Error)
    def engine_error(exc: Exception):
        log.error("search failed: %s", exc)
        return error(500, "The search failed. The problem has been logged.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return error(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unexpected error")
        return error(500, "Something went wrong. The problem has been logged.")

    def error(status: int, message: str):
        if is_api():
            body = jsonify({"status": status, "error": message})
        else:
            body = render_template("error.html", status=status, message=message)
        return make_response(body, status)

    # -- pages --------------------------------------------------------------------------
    @app.get("/")
    def search_page():
        if not request.args.get("q") and not any(k.startswith("f.") for k in request.args):
            return render_template("search.html", response=None, search=None, partners=partners)
        search, response = run_search(request.args)
        return render_template(
            "search.html", response=response, search=search, partners=partners, args=request.args
        )

    @app.get("/work/<work_id>")
    def work_page(work_id: str):
        payload = current_engine().get(work_id) if is_work_id(work_id) else None
        if payload is None:
            abort(404, description="No such work in the catalogue.")
        home = request.args.get("library") if request.args.get("library") in by_id else None
        holdings = order_holdings(payload["holdings"], home)
        editions = other_editions(current_engine(), payload)
        return render_template(
            "work.html", work=payload, holdings=holdings, partners=by_id, editions=editions
        )

    # -- API ----------------------------------------------------------------------------
    @app.get("/api/v1/search")
    def api_search():
        _, response = run_search(request.args)
        return jsonify(response)

    @app.get("/api/v1/works/<work_id>")
    def api_work(work_id: str):
        payload = current_engine().get(work_id) if is_work_id(work_id) else None
        if payload is None:
            abort(404, description=f"no work with id {work_id[:40]!r}")
        return jsonify({**payload, "other_editions": other_editions(current_engine(), payload)})

    @app.get("/api/v1/autocomplete")
    def api_autocomplete():
        return jsonify(autocomplete(current_engine(), request.args))

    @app.get("/api/v1/partners")
    def api_partners():
        return jsonify(
            {"partners": [{"id": p.id, "name": p.name, "location": p.location} for p in partners]}
        )

    @app.get("/api/v1/openapi.json")
    def api_openapi():
        return jsonify(
            openapi_document(MAX_PER_PAGE, MAX_RESULTS, MAX_AUTOCOMPLETE_LENGTH, MAX_AUTOCOMPLETE)
        )

    @app.get("/api/v1/health")
    def api_health():
        return jsonify(
            {"status": "ok", "engine": settings.engine, "works": current_engine().count()}
        )

    @app.context_processor
    def page_helpers() -> dict[str, Any]:
        return {
            "t": getattr(g, "t", None) or translator("en"),
            "lang": getattr(g, "lang", "en"),
            "lang_url": link(
                request.endpoint or "search_page",
                {
                    **request.args.to_dict(flat=False),
                    "lang": ["zh" if getattr(g, "lang", "en") == "en" else "en"],
                },
                **(request.view_args or {}),
            ),
            "active_filters": active_filters(request.args),
            "facet_url": lambda facet, value: link(
                "search_page", toggle_filter(request.args, facet, value)
            ),
            "prev_url": page_url(request.args, -1),
            "next_url": page_url(request.args, +1),
        }

    def page_url(args, step: int) -> str | None:
        page = page_number(args)
        page = page + step if page is not None else 1
        if page < 1:
            return None
        return link("search_page", {**args.to_dict(flat=False), "page": [str(page)]})

    @app.context_processor
    def suggestion_links() -> dict[str, Any]:
        return {
            "suggestion_url": lambda q: url_for(
                "search_page", **suggestion_params(request.args.to_dict(flat=False), q)
            )
        }

    @app.template_test("safe_url")
    def safe_url(value: str) -> bool:
        """Only http(s) links from partner data become links; anything else stays text."""
        return isinstance(value, str) and value.lower().startswith(("http://", "https://"))

    @app.template_filter("library_name")
    def library_name(library_id: str) -> str:
        partner = by_id.get(library_id)
        return partner.name if partner else library_id

    return app
