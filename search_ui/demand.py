"""/staff/demand: ILL demand for collection staff and operators, with server-drawn charts.

Staff see their own library: its requests per month with the forecast and its interval, fill
rate and turnaround, lending against its agreed ratio, its most requested works and subjects,
and purchase suggestions. Operators see the whole consortium, or one library (`?library=`).
Everything comes from anonymous request facts (`ill.stats`); the forecast and the suggestions
are a machine's and show their reasons. A page is computed once per scope and language and
kept for `CACHE_SECONDS` (bench/README.md: about 2 s to compute on the synthetic history).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_locale, gettext

from ill import demand, purchase, stats
from ill.store import RequestStore
from indexer.engine import EngineError
from search_ui import charts
from search_ui.auth import current_account, require
from search_ui.extension import fedcat

T = TypeVar("T")
blueprint = Blueprint("demand", __name__, url_prefix="/staff")

CACHE_SECONDS = 300
#: requested works looked up in the catalogue per computed page (the rest on the next ones)
FACTS_PER_PAGE = 200
TOP = 10
#: library ids of `bench.demand_history`: a page over them says it shows synthetic data
SYNTHETIC_PREFIX = "syn-"
CACHE_EXTENSION = "fedcat_demand_pages"
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Scope:
    library_id: str | None  # None: the consortium
    may_choose: bool  # an operator may pick any library


def _scope() -> Scope:
    account = current_account()
    assert account is not None  # `require` ran first
    wanted = request.args.get("library", "").strip() or None
    if account.role == "operator":
        return Scope(wanted, True)
    if wanted is not None and wanted != account.library_id:
        abort(403, description=gettext("Staff see their own library's demand only."))
    return Scope(account.library_id, False)


def _monthly_chart(forecast: demand.DemandForecast, key: str | None) -> str | None:
    series = forecast.consortium if key is None else forecast.parts.get(key)
    if series is None:
        return None
    months = list(series.history)
    ahead = series.forecast.months
    svg = charts.monthly(
        months,
        list(series.history.values()),
        [m.month for m in ahead],
        [m.expected for m in ahead],
        [m.low for m in ahead],
        [m.high for m in ahead],
        {
            "history": gettext("Requests"),
            "forecast": gettext("Forecast (machine)"),
            "interval": gettext("Interval (80%)"),
            "requests": gettext("Requests per month"),
        },
    )
    return charts.data_uri(svg)


def _figure_charts(found: stats.DemandStats) -> dict[str, str]:
    shown = sorted(found.libraries, key=lambda f: -f.requested)[:15]
    names = [f.library_id for f in shown]
    out: dict[str, str] = {}
    if not shown:
        return out
    out["fill"] = charts.data_uri(
        charts.bars(
            names,
            {gettext("Fill rate (%)"): [100 * (f.fill_rate or 0) for f in shown]},
            gettext("Fill rate (%)"),
        )
    )
    out["turnaround"] = charts.data_uri(
        charts.bars(
            names,
            {gettext("Median days"): [f.median_turnaround_days or 0 for f in shown]},
            gettext("Median days from request to received"),
        )
    )
    out["balance"] = charts.data_uri(
        charts.bars(
            names,
            {
                gettext("Lent"): [f.lent for f in shown],
                gettext("Borrowed"): [f.borrowed for f in shown],
            },
            gettext("Requests"),
            reference=[f.borrowed * f.agreed_ratio for f in shown],
            reference_label=gettext("Lending at the agreed ratio"),
        )
    )
    if found.top_works:
        out["works"] = charts.data_uri(
            charts.bars(
                [w.title or w.work_id for w in found.top_works],
                {gettext("Requests"): [w.requests for w in found.top_works]},
                gettext("Requests"),
            )
        )
    if found.top_subjects:
        out["subjects"] = charts.data_uri(
            charts.bars(
                [s.subject_area for s in found.top_subjects],
                {gettext("Requests"): [s.requests for s in found.top_subjects]},
                gettext("Requests"),
            )
        )
    return out


def learn_work_facts(store: RequestStore, limit: int = FACTS_PER_PAGE) -> int:
    """Look requested works the store has no facts of up in the catalogue (subject area: the
    first subject heading's main part; the year), so subjects and new works count. A work the
    catalogue no longer has is recorded with no subject, and not looked up again."""
    missing = stats.works_without_facts(store, limit)
    if not missing:
        return 0
    found = []
    try:
        payloads = [(work_id, fedcat().engine.get(work_id)) for work_id in missing]
    except EngineError:
        return 0  # the figures still show; subjects wait for the engine
    for work_id, payload in payloads:
        subjects = payload["subjects"] if payload else []
        area = subjects[0].split(" -- ")[0] if subjects else stats.NO_SUBJECT
        found.append(stats.WorkFacts(work_id, area, payload["year"] if payload else None))
    return stats.record_work_facts(store, found)


def _context(store: RequestStore, scope: Scope, now: datetime) -> dict[str, Any]:
    learn_work_facts(store)
    since = now - timedelta(days=365)
    found = stats.demand_stats(store, library=scope.library_id, since=since, until=now, limit=TOP)
    libraries = stats.libraries_with_requests(store, since, now) if scope.may_choose else []
    if scope.may_choose and scope.library_id is not None and scope.library_id not in libraries:
        abort(
            400, description=gettext("No requests to or from that library in the last 12 months.")
        )
    # every library's forecast comes from one fit of the consortium's: computed once for all
    forecast = _kept(("forecast", f"{now:%Y-%m}"), lambda: demand.demand_forecast(store, now))
    suggestions = (
        purchase.suggestions(store, scope.library_id, now, fedcat().settings.purchase_min_requests)
        if scope.library_id
        else []
    )
    series = (
        forecast.consortium if scope.library_id is None else forecast.parts.get(scope.library_id)
    )
    ids = libraries or [f.library_id for f in found.libraries]
    return {
        "scope": scope,
        "stats": found,
        "libraries": libraries,
        "series": series,
        "monthly_chart": _monthly_chart(forecast, scope.library_id),
        "charts": _figure_charts(found),
        "suggestions": suggestions,
        "min_requests": fedcat().settings.purchase_min_requests,
        "synthetic": any(i.startswith(SYNTHETIC_PREFIX) for i in ids),
        "computed": now,
    }


def _cache() -> dict[tuple[Any, ...], tuple[float, Any]]:
    """This app's computed pages: the figures and charts, never the rendered page (which
    holds the signed-in account's CSRF token)."""
    return current_app.extensions.setdefault(CACHE_EXTENSION, {})


def _kept(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave for `key` less than CACHE_SECONDS ago."""
    moment = time.monotonic()
    with _cache_lock:
        cached = _cache().get(key)
    if cached is not None and moment - cached[0] < CACHE_SECONDS:
        return cast(T, cached[1])
    value = compute()
    with _cache_lock:
        _cache()[key] = (moment, value)
    return value


@blueprint.get("/demand")
@require("staff", "operator")
def demand_page() -> str:
    scope = _scope()
    key = ("page", scope.library_id, scope.may_choose, str(get_locale()))
    context = _kept(key, lambda: _context(fedcat().ill.store, scope, datetime.now(UTC)))
    return render_template("staff/demand.html", **context)
