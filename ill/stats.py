"""Inter-library loan demand, counted in the database from anonymous request facts only.

Everything here reads what stays after `ill.retention` unlinks patrons: the work, the libraries,
the dates and the outcome. A request is *filled* when a lender shipped it (or delivered the
copy); it is *unfilled* when it closed without that. Its turnaround is the days from the
request to its arrival at the borrowing library (Received, or CopyDelivered for a copy). The
subject area and year of a work come from `ill_work_facts` (`record_work_facts`).

Counting is GROUP BY in SQL on both stores; only the small grouped rows come back (a median is
read from a per-day histogram), so a history of years costs one pass of each query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ill import schema
from ill.states import Action
from ill.store import RequestStore

#: what counts as the lender supplying the request
SUPPLIED = (Action.Shipped.value, Action.CopyDelivered.value)
#: what counts as the item (or copy) reaching the borrowing library
ARRIVED = (Action.Received.value, Action.CopyDelivered.value)
#: the subject area of a work the catalogue gave none for
NO_SUBJECT = ""

r, e, facts = schema.requests, schema.events, schema.work_facts


@dataclass(frozen=True)
class WorkFacts:
    """What the catalogue says of a requested work, for grouping and purchase suggestions."""

    work_id: str
    subject_area: str = NO_SUBJECT
    published_year: int | None = None


@dataclass(frozen=True)
class LibraryFigures:
    """One library's year (or window) of ILL: as a borrower, as a lender, against its ratio."""

    library_id: str
    requested: int = 0  # requests its patrons placed
    filled: int = 0
    unfilled: int = 0  # closed without being supplied
    lent: int = 0  # requests it supplied to other libraries
    borrowed: int = 0  # its requests other libraries supplied (= filled)
    median_turnaround_days: float | None = None  # its requests: placed -> received
    turnaround_sample: int = 0
    ratio_lend: int = 1  # the agreed lend:borrow ratio (lending rules)
    ratio_borrow: int = 1

    @property
    def fill_rate(self) -> float | None:
        decided = self.filled + self.unfilled
        return self.filled / decided if decided else None

    @property
    def agreed_ratio(self) -> float:
        return self.ratio_lend / self.ratio_borrow

    @property
    def actual_ratio(self) -> float | None:
        return self.lent / self.borrowed if self.borrowed else None


@dataclass(frozen=True)
class TopWork:
    work_id: str
    title: str
    requests: int
    libraries: int  # how many borrowing libraries asked for it


@dataclass(frozen=True)
class TopSubject:
    subject_area: str
    requests: int


@dataclass
class DemandStats:
    """All `fedcat ill stats` and the staff demand page show, for one library or all."""

    library_id: str | None  # None: the whole consortium
    since: datetime | None
    until: datetime | None
    months: dict[str, int] = field(default_factory=dict)  # "YYYY-MM" -> requests
    libraries: list[LibraryFigures] = field(default_factory=list)
    top_works: list[TopWork] = field(default_factory=list)
    top_subjects: list[TopSubject] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "library": self.library_id,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "requests_per_month": self.months,
            "libraries": [
                {
                    "library": f.library_id,
                    "requested": f.requested,
                    "filled": f.filled,
                    "unfilled": f.unfilled,
                    "fill_rate": f.fill_rate,
                    "median_turnaround_days": f.median_turnaround_days,
                    "turnaround_sample": f.turnaround_sample,
                    "lent": f.lent,
                    "borrowed": f.borrowed,
                    "lending_ratio": f.actual_ratio,
                    "agreed_ratio": f.agreed_ratio,
                }
                for f in self.libraries
            ],
            "top_works": [vars(w) for w in self.top_works],
            "top_subjects": [vars(s) for s in self.top_subjects],
        }


# SQL pieces, per dialect ----------------------------------------------------------------------


def month_of(column: Any, dialect: str) -> ColumnElement[str]:
    """'YYYY-MM' of a timestamp column (stored as naive UTC on both stores)."""
    if dialect == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def days_between(start: Any, end: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return sa.extract("epoch", end - start) / 86400.0
    return sa.func.julianday(end) - sa.func.julianday(start)


def _supplied() -> sa.Subquery:
    """Each supplied request once, with the lender that supplied it."""
    return (
        sa.select(e.c.request_id, sa.func.min(e.c.lender).label("lender"))
        .where(e.c.action.in_(SUPPLIED))
        .group_by(e.c.request_id)
        .subquery("supplied")
    )


def _arrived() -> sa.Subquery:
    return (
        sa.select(e.c.request_id, sa.func.min(e.c.at).label("at"))
        .where(e.c.action.in_(ARRIVED))
        .group_by(e.c.request_id)
        .subquery("arrived")
    )


def _window(
    query: sa.Select, since: datetime | None, until: datetime | None, library: str | None
) -> sa.Select:
    if since is not None:
        query = query.where(r.c.created_at >= since)
    if until is not None:
        query = query.where(r.c.created_at < until)
    if library is not None:
        query = query.where(r.c.borrowing_library == library)
    return query


# the queries --------------------------------------------------------------------------------


def monthly_requests(
    tx: Connection,
    *,
    by: str = "library",
    library: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, dict[str, int]]:
    """Requests per month, per borrowing library (`by="library"`), per subject area
    (`by="subject"`) or for everyone (`by="all"`, key "")."""
    month = month_of(r.c.created_at, tx.dialect.name).label("month")
    if by == "library":
        key: Any = r.c.borrowing_library
    elif by == "subject":
        key = sa.func.coalesce(facts.c.subject_area, NO_SUBJECT)
    else:
        key = sa.literal("")
    query = sa.select(key.label("key"), month, sa.func.count().label("n"))
    if by == "subject":
        query = query.select_from(r.outerjoin(facts, facts.c.work_id == r.c.work_id))
    query = _window(query, since, until, library).group_by(key, month).order_by(month)
    series: dict[str, dict[str, int]] = defaultdict(dict)
    for row in tx.execute(query):
        series[row.key][row.month] = row.n
    return dict(series)


def _median(histogram: Mapping[float, int]) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    ordered = sorted(histogram.items())
    lower, upper = (total - 1) // 2, total // 2
    seen, low_value, high_value = 0, None, None
    for value, count in ordered:
        if low_value is None and seen + count > lower:
            low_value = value
        if seen + count > upper:
            high_value = value
            break
        seen += count
    assert low_value is not None and high_value is not None
    return (low_value + high_value) / 2


def library_figures(
    tx: Connection,
    *,
    library: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[LibraryFigures]:
    """Per library: requests, fill rate, median turnaround, lent and borrowed, agreed ratio."""
    supplied, arrived = _supplied(), _arrived()
    borrowing = _window(
        sa.select(
            r.c.borrowing_library.label("library"),
            sa.func.count().label("requested"),
            sa.func.count(supplied.c.request_id).label("filled"),
            sa.func.sum(
                sa.case((sa.and_(supplied.c.request_id.is_(None), ~r.c.is_open), 1), else_=0)
            ).label("unfilled"),
        ).select_from(r.outerjoin(supplied, supplied.c.request_id == r.c.id)),
        since,
        until,
        library,
    ).group_by(r.c.borrowing_library)
    lending = _window(
        sa.select(supplied.c.lender.label("library"), sa.func.count().label("lent")).select_from(
            r.join(supplied, supplied.c.request_id == r.c.id)
        ),
        since,
        until,
        None,
    ).group_by(supplied.c.lender)
    if library is not None:
        lending = lending.where(supplied.c.lender == library)
    days = sa.func.round(days_between(r.c.created_at, arrived.c.at, tx.dialect.name))
    turnaround = _window(
        sa.select(r.c.borrowing_library.label("library"), days.label("days"), sa.func.count())
        .select_from(r.join(arrived, arrived.c.request_id == r.c.id))
        .group_by(r.c.borrowing_library, days),
        since,
        until,
        library,
    )
    rows: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in tx.execute(borrowing):
        rows[row.library].update(
            requested=row.requested, filled=row.filled, unfilled=int(row.unfilled or 0)
        )
        rows[row.library]["borrowed"] = row.filled
    for row in tx.execute(lending):
        if row.library is not None:
            rows[row.library]["lent"] = row.lent
    histograms: dict[str, dict[float, int]] = defaultdict(dict)
    for library_id, day, count in tx.execute(turnaround):
        histograms[library_id][float(day)] = count
    rules = tx.execute(
        sa.select(
            schema.lending_rules.c.library_id,
            schema.lending_rules.c.ratio_lend,
            schema.lending_rules.c.ratio_borrow,
        )
    )
    for library_id, lend, borrow in rules:
        if library_id in rows:
            rows[library_id].update(ratio_lend=lend, ratio_borrow=borrow)
    for library_id, histogram in histograms.items():
        rows[library_id].update(
            median_turnaround_days=_median(histogram), turnaround_sample=sum(histogram.values())
        )
    return [LibraryFigures(library_id, **values) for library_id, values in sorted(rows.items())]


def top_works(
    tx: Connection,
    *,
    library: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
) -> list[TopWork]:
    count = sa.func.count().label("n")
    query = _window(
        sa.select(
            r.c.work_id,
            sa.func.max(r.c.title).label("title"),
            count,
            sa.func.count(sa.distinct(r.c.borrowing_library)).label("libraries"),
        ),
        since,
        until,
        library,
    )
    query = query.group_by(r.c.work_id).order_by(count.desc(), r.c.work_id).limit(limit)
    return [TopWork(row.work_id, row.title, row.n, row.libraries) for row in tx.execute(query)]


def top_subjects(
    tx: Connection,
    *,
    library: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
) -> list[TopSubject]:
    count = sa.func.count().label("n")
    query = _window(
        sa.select(facts.c.subject_area, count).select_from(
            r.join(facts, facts.c.work_id == r.c.work_id)
        ),
        since,
        until,
        library,
    ).where(facts.c.subject_area != NO_SUBJECT)
    query = query.group_by(facts.c.subject_area).order_by(count.desc(), facts.c.subject_area)
    return [TopSubject(row.subject_area, row.n) for row in tx.execute(query.limit(limit))]


def demand_stats(
    store: RequestStore,
    *,
    library: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
) -> DemandStats:
    """Everything at once, on one connection."""
    window: dict[str, Any] = {"library": library, "since": since, "until": until}
    with store.reader.connect() as tx:
        months = monthly_requests(tx, by="all", **window).get("", {})
        return DemandStats(
            library,
            since,
            until,
            months=months,
            libraries=library_figures(tx, **window),
            top_works=top_works(tx, limit=limit, **window),
            top_subjects=top_subjects(tx, limit=limit, **window),
        )


def record_work_facts(store: RequestStore, found: Iterable[WorkFacts]) -> int:
    """Keep (or replace) the catalogue's facts of these works; how many rows were written."""
    rows = [vars(f) for f in found]
    if not rows:
        return 0
    with store.engine.begin() as tx:
        ids = [row["work_id"] for row in rows]
        for start in range(0, len(ids), 500):
            tx.execute(facts.delete().where(facts.c.work_id.in_(ids[start : start + 500])))
        tx.execute(facts.insert(), rows)
    return len(rows)


def libraries_with_requests(store: RequestStore, since: datetime, until: datetime) -> list[str]:
    """Libraries whose patrons placed requests in the window, or that supplied some."""
    window = sa.and_(r.c.created_at >= since, r.c.created_at < until)
    borrowers = sa.select(r.c.borrowing_library).where(window).distinct()
    lenders = (
        sa.select(e.c.lender)
        .where(e.c.action.in_(SUPPLIED), e.c.at >= since, e.c.at < until)
        .distinct()
    )
    with store.reader.connect() as tx:
        found = set(tx.execute(borrowers).scalars()) | set(tx.execute(lenders).scalars())
    return sorted(found - {None})


def works_without_facts(store: RequestStore, limit: int = 500) -> list[str]:
    """Requested works the facts table does not know yet (to look up in the catalogue)."""
    query = (
        sa.select(r.c.work_id)
        .distinct()
        .select_from(r.outerjoin(facts, facts.c.work_id == r.c.work_id))
        .where(facts.c.work_id.is_(None))
        .limit(limit)
    )
    with store.reader.connect() as tx:
        return list(tx.execute(query).scalars())
