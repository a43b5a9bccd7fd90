"""The Flask app: the patron's search page, record pages and the JSON API.

Created by `create_app(settings)`: configuration is read at this edge and passed down. The
factory only wires things: each surface is a blueprint of its own module (`BLUEPRINTS`), and
what they share is one `search_ui.extension.Fedcat` on ``app.extensions["fedcat"]``. A new
surface (staff, patron) is one more entry in `BLUEPRINTS`.
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config.partners import Partner, load_registry
from config.settings import Settings
from indexer.engine import SearchEngine
from indexer.engines import open_engine
from search_ui import (
    api,
    auth,
    controls,
    copies,
    demand,
    discovery,
    errors,
    exports,
    i18n,
    ill_api,
    iso18626,
    metrics,
    oai,
    pages,
    patron,
    signin,
    sru,
    staff,
    staff_health,
    unapi,
)
from search_ui.extension import EXTENSION, Fedcat
from search_ui.ratelimit import limit_api

#: The app's surfaces, registered in this order.
BLUEPRINTS: tuple[Blueprint, ...] = (
    errors.blueprint,
    pages.blueprint,
    controls.blueprint,
    api.blueprint,
    exports.blueprint,
    sru.blueprint,
    oai.blueprint,
    discovery.blueprint,
    unapi.blueprint,
    signin.blueprint,
    patron.blueprint,
    staff.blueprint,
    staff_health.blueprint,
    demand.blueprint,
    copies.blueprint,
    ill_api.blueprint,
    iso18626.blueprint,
    metrics.blueprint,
)


def create_app(
    settings: Settings,
    *,
    engine: SearchEngine | None = None,
    partners: list[Partner] | None = None,
) -> Flask:
    """The app over `engine` (opened from `settings` on first use when None) for `partners`
    (the registry named by `settings` when None)."""
    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    # "//" in a path is a 404 with the usual error answer (JSON on the API), not werkzeug's
    # HTML redirect to the merged path (a path segment that was "%2F" would otherwise move)
    app.url_map.merge_slashes = False
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=settings.trusted_proxies
        )
    shared = Fedcat(
        settings=settings,
        partners=partners if partners is not None else load_registry(settings.partners_file),
        open_engine=partial(open_engine, settings),
        _engine=engine,
    )
    app.extensions[EXTENSION] = shared
    shared.secret_key = auth.secret_key(settings.secret_key, settings.data_dir)
    auth.init_app(app, shared.secret_key)
    shared.limiter = limit_api(
        app, settings.rate_limit, settings.rate_limit_store, shared.secret_key
    )
    i18n.init_app(app)
    metrics.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
