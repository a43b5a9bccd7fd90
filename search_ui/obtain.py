"""How the patron can get each work: tiers on results, the record page, the API and the widget,
and the "available to me soonest" sort and tier filter.

The patron's library is the ``library`` parameter (the widget's, or the URL's) when it names a
partner, else the signed-in patron's home library; without one there are no tiers, and
``sort=soonest`` or ``tier=`` answer 400. The tiers themselves are `ill.obtainability`'s; this
module words them in the interface language, with their reason.

Soonest: the engine's first `SOONEST_WINDOW` works by relevance are given their tiers and
ordered by tier, a stable sort that keeps relevance order within a tier; `tier=n` keeps one
tier of that window. Both engines go through this one function, so for the same relevance
order they give the same soonest order. Works past the window are not considered.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext, ngettext
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable

from config.partners import Partner
from ill.obtainability import Obtainability, page_obtainability
from indexer.payloads import HoldingRow, WorkPayload
from indexer.query import SearchRequest, SearchResult
from search_ui.request_params import BadParameter, Params, single_value, whole_number

SOONEST = "soonest"
#: how many of the top relevance-ranked works the soonest sort and the tier filter consider
SOONEST_WINDOW = 200
TIER_COUNT = 4
log = logging.getLogger(__name__)


def patron_library(params: Params, partners: Mapping[str, Partner]) -> str | None:
    """The library the tiers are for: a known ``library`` parameter, else the signed-in
    patron's home library, else None."""
    from search_ui.auth import current_account  # needs a request; kept out of import time

    library = single_value(params, "library")
    if library in partners:
        return library
    account = current_account()
    if account is not None and account.role == "patron" and account.library_id in partners:
        return account.library_id
    return None


def wanted_tier(params: Params) -> int | None:
    return whole_number(params, "tier", low=1, high=TIER_COUNT)


def needs_window(search: SearchRequest, tier: int | None) -> bool:
    return search.sort == SOONEST or tier is not None


def window_request(search: SearchRequest, library: str | None, tier: int | None) -> SearchRequest:
    """The engine search behind a soonest sort or a tier filter: the top of the relevance
    order, from the first work."""
    if library is None:
        what = "sort=soonest" if search.sort == SOONEST else "tier"
        raise BadParameter(
            "library" if search.sort != SOONEST else "sort",
            f"{what} needs a library: sign in as a patron or give library=<partner id>",
        )
    if search.offset + search.limit > SOONEST_WINDOW:
        raise BadParameter(
            "page", f"sort=soonest and tier order only the first {SOONEST_WINDOW} works"
        )
    return replace(search, sort="relevance", offset=0, limit=SOONEST_WINDOW)


def soonest_order(tiers: Sequence[Obtainability], tier: int | None, soonest: bool) -> list[int]:
    """Positions (in relevance order) of the works to show: one tier's, or all, and by tier
    when `soonest` — relevance order within a tier, as the sort is stable."""
    positions = [i for i, o in enumerate(tiers) if tier is None or o.tier == tier]
    if soonest:
        positions.sort(key=lambda i: tiers[i].tier)
    return positions


def tiers_for(
    works: Sequence[Sequence[HoldingRow]], library: str, shared: Any
) -> list[Obtainability] | None:
    """`shared` is the app's `Fedcat` (its request store and delivery estimates). None when
    the request store cannot be read: the search still answers, without tiers."""
    holdings = [[dict(h) for h in work] for work in works]
    try:
        return page_obtainability(
            holdings, library, shared.ill.store, shared.delivery, datetime.now(UTC)
        )
    except SQLAlchemyError as exc:
        log.warning("tiers left out: the request store is unavailable (%s)", type(exc).__name__)
        return None


def tier_label(found: Obtainability) -> str:
    return {
        "shelf": gettext("On the shelf at your library"),
        "on_loan": gettext("At your library, on loan"),
        "lendable": gettext("Can be borrowed from a partner library"),
        "not_lendable": gettext("Not lendable in the consortium"),
    }[found.kind]


def tier_reason(found: Obtainability, names: Mapping[str, Partner]) -> str:
    """Why this tier, in a sentence: the evidence a patron can check."""
    name = names[found.library_id].name if found.library_id in names else found.library_id
    if found.kind == "shelf":
        if found.in_library_only:
            return gettext("%(library)s holds a copy for use in the library only.", library=name)
        return gettext("%(library)s has a copy on the shelf.", library=name)
    if found.kind == "on_loan":
        if found.due_date:
            return gettext(
                "%(library)s's copy is on loan, due back %(due)s.", library=name, due=found.due_date
            )
        return gettext("%(library)s's copy is on loan or its status is unknown.", library=name)
    if found.kind == "lendable":
        return _lendable_reason(found)
    return gettext(
        "No partner library can lend it now. You can request a copy of a chapter or article, "
        "or suggest that your library buy it."
    )


def _lendable_reason(found: Obtainability) -> str:
    count = ngettext(
        "%(num)d partner library can lend it.", "%(num)d partner libraries can lend it.",
        len(found.lenders),
    )  # fmt: skip
    delivery = found.delivery
    if delivery is None or delivery.days is None:
        return count + " " + gettext("No delivery history yet to estimate the wait.")
    days = max(1, round(delivery.days))
    basis = {
        "pair": gettext("from its loans to your library"),
        "lender": gettext("from its loans to all libraries"),
        "consortium": gettext("from all loans in the consortium"),
    }.get(delivery.level, "")
    about = ngettext(
        "About %(num)d day (median of %(sample)d loans, %(basis)s).",
        "About %(num)d days (median of %(sample)d loans, %(basis)s).",
        days, sample=delivery.sample, basis=basis,
    )  # fmt: skip
    return f"{count} {about}"


def tier_json(found: Obtainability, names: Mapping[str, Partner]) -> dict[str, Any]:
    return {**found.as_json(), "label": tier_label(found), "reason": tier_reason(found, names)}


def with_tiers(
    search: SearchRequest,
    result: SearchResult,
    library: str | None,
    tier: int | None,
    shared: Any,
) -> tuple[SearchResult, list[Obtainability] | None]:
    """The hits to show and their tiers (None without a library). A windowed search (soonest
    or a tier filter) is ordered, filtered and paged here; `result` is then its whole window."""
    if library is None:
        return result, None
    found = tiers_for([h.payload["holdings"] for h in result.hits], library, shared)
    if not needs_window(search, tier):
        return result, found
    if found is None:
        raise ServiceUnavailable(
            "sort=soonest and tier need the loan records, which are unavailable right now"
        )
    shown = soonest_order(found, tier, search.sort == SOONEST)
    page = shown[search.offset : search.offset + search.limit]
    windowed = replace(result, total=len(shown), hits=[result.hits[i] for i in page])
    return windowed, [found[i] for i in page]


def without_sort(params: Params) -> dict[str, list[str]]:
    """The parameters without ``sort`` (soonest is this module's, not an engine's sort)."""
    names = set(params)
    if hasattr(params, "getlist"):
        return {n: params.getlist(n) for n in names if n != "sort"}
    return {n: params[n] for n in names if n != "sort"}


def add_tiers(
    response: dict[str, Any],
    tiers: list[Obtainability] | None,
    library: str | None,
    windowed: bool,
    names: Mapping[str, Partner],
) -> dict[str, Any]:
    """The search response with each result's `obtainability` (null without a library), the
    library they are for, and, for a windowed search, how deep the window went."""
    for position, work in enumerate(response["results"]):
        work["obtainability"] = tier_json(tiers[position], names) if tiers else None
    response["obtainability_library"] = library
    if windowed:
        response["window"] = SOONEST_WINDOW
    return response


def work_tier(payload: WorkPayload, params: Params, shared: Any) -> dict[str, Any] | None:
    """One work's tier for the record page and the API (None without a library)."""
    library = patron_library(params, shared.by_id)
    if library is None:
        return None
    found = tiers_for([payload["holdings"]], library, shared)
    return tier_json(found[0], shared.by_id) if found else None
