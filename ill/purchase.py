"""Buy instead of borrow: machine purchase suggestions for one library's collection staff.

Purdue's Books on Demand found that books bought because a patron asked for them on ILL
circulate more than the collection's average. A work is suggested to a library when its own
patrons asked for it at least `min_requests` times in the last 12 months
(FEDCAT_PURCHASE_MIN_REQUESTS), or when they asked for it at all and it was published in the
last 2 years (a new book is likely to be asked for again, and still in print). Each suggestion
carries its evidence — the count, the first and last request, the requesting library, the year —
and the reason in words: it is a machine's suggestion, and says so.

Only anonymous facts are read (`ill.stats`): the work, the borrowing library, the dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ill import schema
from ill.store import RequestStore

DEFAULT_MIN_REQUESTS = 3
WINDOW_DAYS = 365
RECENT_YEARS = 2
#: how every suggestion is labelled where it is shown
MACHINE_LABEL = "machine suggestion"


@dataclass(frozen=True)
class PurchaseSuggestion:
    """One work a library might buy, with the evidence for it."""

    library_id: str  # the requesting (borrowing) library
    work_id: str
    title: str
    requests: int  # by this library's patrons in the window
    first_requested: datetime
    last_requested: datetime
    published_year: int | None
    frequent: bool  # asked for at least min_requests times
    recent: bool  # published in the last RECENT_YEARS years
    reason: str  # in words, for staff
    machine: bool = True  # always: no person made this suggestion


def suggestions(
    store: RequestStore,
    library_id: str,
    now: datetime,
    min_requests: int = DEFAULT_MIN_REQUESTS,
    limit: int = 50,
) -> list[PurchaseSuggestion]:
    """The works `library_id`'s patrons asked for often, or that are new, most asked first."""
    r, facts = schema.requests, schema.work_facts
    since = now - timedelta(days=WINDOW_DAYS)
    recent_year = now.year - (RECENT_YEARS - 1)
    count = sa.func.count().label("n")
    query = (
        sa.select(
            r.c.work_id,
            sa.func.max(r.c.title).label("title"),
            count,
            sa.func.min(r.c.created_at).label("first"),
            sa.func.max(r.c.created_at).label("last"),
            facts.c.published_year,
        )
        .select_from(r.outerjoin(facts, facts.c.work_id == r.c.work_id))
        .where(r.c.borrowing_library == library_id, r.c.created_at >= since)
        .where(r.c.created_at <= now)
        .group_by(r.c.work_id, facts.c.published_year)
        .having(sa.or_(count >= min_requests, facts.c.published_year >= recent_year))
        .order_by(count.desc(), r.c.work_id)
        .limit(limit)
    )
    with store.reader.connect() as tx:
        rows = list(tx.execute(query))
    return [
        PurchaseSuggestion(
            library_id,
            row.work_id,
            row.title,
            row.n,
            row.first,
            row.last,
            row.published_year,
            row.n >= min_requests,
            row.published_year is not None and row.published_year >= recent_year,
            _reason(row.n, row.published_year, min_requests, recent_year),
        )
        for row in rows
    ]


def _reason(requests: int, year: int | None, min_requests: int, recent_year: int) -> str:
    reasons = []
    if requests >= min_requests:
        reasons.append(
            f"requested {requests} times in 12 months by this library's patrons "
            f"(suggested from {min_requests})"
        )
    if year is not None and year >= recent_year:
        reasons.append(f"published {year}, in the last {RECENT_YEARS} years")
    return "; ".join(reasons)
