"""A SYNTHETIC request history for measuring demand statistics and forecasts (issue 14).

Deterministic from its seed: `generate(store, HistoryShape())` writes 100 libraries' three
years of closed, anonymous requests (about 30,000 a year) straight into a real request store,
in bulk, with their timeline events, lending rules and the works' facts. The shape is what a
consortium of academic libraries sees:

- **seasonality**: busy teaching terms (February-April, September-November), dips in the
  summer and at December; a slow growth from year to year;
- **popularity**: works and subject areas drawn from Zipf-like laws; library sizes skewed too;
- **lenders**: each with its own fill rate and log-normal turnaround (median 3-12 days);
- **outcomes**: filled (shipped, received, checked in) or unfilled (cannot supply, end of rota).

Everything it writes is labelled synthetic: library ids `syn-lib-NNN`, works
`syn-work-NNNNN`, titles "Synthetic work N", subject areas "Synthetic subject: ...".

    python -m bench.demand_history --db /tmp/demand.sqlite   # or a postgresql:// URL
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from ill import schema
from ill.states import Action, Role
from ill.store import RequestStore, open_store

LABEL = "SYNTHETIC"
#: relative demand by calendar month (January first): terms, summer and December dips
SEASON = (0.95, 1.15, 1.25, 1.15, 1.0, 0.6, 0.45, 0.65, 1.2, 1.35, 1.3, 0.7)
GROWTH_PER_YEAR = 0.06
SUBJECTS = (
    "History", "Medicine", "Law", "Economics", "Chemistry", "Physics", "Mathematics",
    "Literature", "Philosophy", "Education", "Engineering", "Biology", "Psychology",
    "Sociology", "Art", "Music", "Computer science", "Agriculture", "Geography", "Religion",
)  # fmt: skip
BATCH = 5000


@dataclass(frozen=True)
class HistoryShape:
    libraries: int = 100
    years: int = 3
    requests_per_year: int = 30_000
    works: int = 40_000
    start: datetime = datetime(2023, 12, 1, tzinfo=UTC)  # 36 whole months to November 2026
    seed: int = 14
    copy_share: float = 0.1  # of requests for a copy (article, chapter) not a loan


@dataclass(frozen=True)
class HistorySummary:
    requests: int
    events: int
    libraries: int
    months: int
    seconds: float


def library_id(index: int) -> str:
    return f"syn-lib-{index + 1:03d}"


def work_id(index: int) -> str:
    return f"syn-work-{index + 1:05d}"


def subject_area(index: int) -> str:
    return f"Synthetic subject: {SUBJECTS[index]}"


def _zipf(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def _month_start(start: datetime, offset: int) -> datetime:
    year, month = divmod(start.month - 1 + offset, 12)
    return start.replace(year=start.year + year, month=month + 1, day=1)


class _World:
    """The fixed parts: libraries' sizes and lenders' habits, works' subjects and years."""

    def __init__(self, shape: HistoryShape, rng: np.random.Generator) -> None:
        n = shape.libraries
        self.size = rng.permutation(_zipf(n, 0.8))  # share of the consortium's requests
        self.lends = rng.random(n) > 0.08  # a few libraries lend nothing
        self.fill = rng.uniform(0.7, 0.95, n)
        self.median_days = rng.uniform(3, 12, n)
        self.spread = rng.uniform(0.25, 0.6, n)  # sigma of the log-normal
        self.ratio_lend = rng.choice([1, 1, 1, 2, 3], n)
        lender_weight = self.size * self.lends
        self.lender_cdf = np.cumsum(lender_weight / lender_weight.sum())
        self.work_cdf = np.cumsum(_zipf(shape.works, 0.9))
        self.work_subject = rng.choice(len(SUBJECTS), shape.works, p=_zipf(len(SUBJECTS), 0.9))
        end_year = shape.start.year + shape.years
        recent = rng.random(shape.works) < 0.12
        self.work_year = np.where(
            recent, rng.integers(end_year - 1, end_year + 1, shape.works),
            rng.integers(1950, end_year - 1, shape.works),
        )  # fmt: skip


def _draw(cdf: np.ndarray, rng: np.random.Generator) -> int:
    return min(int(np.searchsorted(cdf, rng.random())), len(cdf) - 1)


def _event(request_id: str, at: datetime, actor: str, role: Role, action: Action, *states: Any):
    from_state, to_state, lender = states
    return {
        "request_id": request_id, "at": at, "actor": actor, "role": role.value,
        "action": action.value, "from_state": from_state, "to_state": to_state,
        "lender": lender, "reason": "", "note": "",
    }  # fmt: skip


@dataclass(frozen=True)
class PastRequest:
    """One closed, anonymous request of a history: who asked whom for what, and how it ended."""

    request_id: str
    work_id: str
    title: str
    borrower: str
    lender: str
    placed: datetime
    days: float  # to arrival (filled) or to the lender's refusal (unfilled)
    filled: bool
    copy: bool = False


def request_rows(past: PastRequest) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The request row and its timeline events, as the service would have written them."""
    request_id, placed, lender = past.request_id, past.placed, past.lender
    events = [
        _event(request_id, placed, "patron", Role.patron, Action.Place, None, "NotSent/routing",
               None),
        _event(request_id, placed, "fedcat", Role.system, Action.SendToLender,
               "NotSent/routing", "RequestReceived/with_lender", lender),
    ]  # fmt: skip
    if past.filled and past.copy:
        ended = placed + timedelta(days=past.days)
        events.append(_event(
            request_id, ended, "lender", Role.lender, Action.CopyDelivered,
            "RequestReceived/with_lender", "CopyCompleted/closed", lender,
        ))  # fmt: skip
        state = "CopyCompleted/closed"
    elif past.filled:
        arrived = placed + timedelta(days=past.days)
        shipped = placed + timedelta(days=past.days * 0.6)
        ended = arrived + timedelta(days=28)
        events += [
            _event(request_id, shipped, "lender", Role.lender, Action.Shipped,
                   "RequestReceived/with_lender", "Loaned/in_transit", lender),
            _event(request_id, arrived, "borrower", Role.borrower, Action.Received,
                   "Loaned/in_transit", "Loaned/received", lender),
            _event(request_id, ended, "lender", Role.lender, Action.CheckedIn,
                   "Loaned/shipped_back", "LoanCompleted/closed", lender),
        ]  # fmt: skip
        state = "LoanCompleted/closed"
    else:
        ended = placed + timedelta(days=past.days)
        events += [
            _event(request_id, ended, "lender", Role.lender, Action.CannotSupply,
                   "RequestReceived/with_lender", "Unfilled/routing", lender),
            _event(request_id, ended, "fedcat", Role.system, Action.EndOfRota,
                   "Unfilled/routing", "Unfilled/closed", None),
        ]  # fmt: skip
        state = "Unfilled/closed"
    row = {
        "id": request_id, "work_id": past.work_id, "title": past.title,
        "patron_ref": "", "borrowing_library": past.borrower,
        "service": "Copy" if past.copy else "Loan", "citation": None, "pickup_location": "",
        "needed_by": None, "state": state, "status": state.split("/")[0], "is_open": False,
        "lender": None, "rota": json.dumps([{"library_id": lender, "reason": LABEL}]),
        "skipped": "[]", "rota_position": 0, "due_date": None, "loan_condition": "",
        "outcome_note": "", "created_at": placed, "sent_at": placed, "updated_at": ended,
        "version": len(events), "peer_request_id": "",
    }  # fmt: skip
    return row, events


def write_requests(store: RequestStore, history: list[PastRequest]) -> None:
    """Bulk-insert these requests and their events (one transaction)."""
    rows, events = [], []
    for past in history:
        row, its_events = request_rows(past)
        rows.append(row)
        events += its_events
    _write(store, rows, events)


def _one_request(world: _World, rng: np.random.Generator, n: int, borrower: int, placed, copy):
    """A random request (one lender asked; it fills or the rota ends) as rows."""
    work = _draw(world.work_cdf, rng)
    lender = borrower
    while lender == borrower:
        lender = _draw(world.lender_cdf, rng)
    days = float(rng.lognormal(np.log(world.median_days[lender]), world.spread[lender]))
    filled = bool(rng.random() < world.fill[lender])
    past = PastRequest(
        f"syn-{n:06d}", work_id(work), f"Synthetic work {work + 1}", library_id(borrower),
        library_id(lender), placed, max(days if filled else days / 2, 0.5), filled, copy,
    )  # fmt: skip
    return request_rows(past)


def _monthly_counts(shape: HistoryShape, world: _World, rng: np.random.Generator):
    """(month offset, library, requests) for every month and library."""
    per_month = shape.requests_per_year / 12 / (sum(SEASON) / 12)
    for offset in range(shape.years * 12):
        month = _month_start(shape.start, offset)
        growth = (1 + GROWTH_PER_YEAR) ** (offset / 12)
        means = per_month * SEASON[month.month - 1] * growth * world.size
        yield offset, month, rng.poisson(means)


def _write(store: RequestStore, rows: list[dict], events: list[dict]) -> None:
    with store.engine.begin() as tx:
        tx.execute(schema.requests.insert(), rows)
        tx.execute(schema.events.insert(), events)


def generate(store: RequestStore, shape: HistoryShape = HistoryShape()) -> HistorySummary:
    """Write the synthetic history into `store` (which should hold no `syn-` requests yet)."""
    began = time.perf_counter()
    rng = np.random.default_rng(shape.seed)
    world = _World(shape, rng)
    _write_fixed(store, shape, world)
    rows: list[dict] = []
    events: list[dict] = []
    n = total_events = 0
    for _offset, month, counts in _monthly_counts(shape, world, rng):
        days = (_month_start(month, 1) - month).total_seconds()
        for borrower, count in enumerate(counts):
            for at in np.sort(rng.uniform(0, days, int(count))):
                placed = month + timedelta(seconds=float(at))
                row, its_events = _one_request(
                    world, rng, n, borrower, placed, rng.random() < shape.copy_share
                )
                rows.append(row)
                events += its_events
                n += 1
            if len(rows) >= BATCH:
                _write(store, rows, events)
                total_events += len(events)
                rows, events = [], []
    if rows:
        _write(store, rows, events)
        total_events += len(events)
    seconds = time.perf_counter() - began
    return HistorySummary(n, total_events, shape.libraries, shape.years * 12, seconds)


def _write_fixed(store: RequestStore, shape: HistoryShape, world: _World) -> None:
    rules = [
        {
            "library_id": library_id(i),
            "lends": bool(world.lends[i]),
            "loan_period_days": 28,
            "daily_cap": None,
            "closures": "[]",
            "ratio_lend": int(world.ratio_lend[i]),
            "ratio_borrow": 1,
            "print_patron_names": False,
        }  # fmt: skip
        for i in range(shape.libraries)
    ]
    facts = [
        {
            "work_id": work_id(i),
            "subject_area": subject_area(int(world.work_subject[i])),
            "published_year": int(world.work_year[i]),
        }
        for i in range(shape.works)
    ]
    with store.engine.begin() as tx:
        tx.execute(schema.lending_rules.insert(), rules)
        tx.execute(schema.work_facts.insert(), facts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="an SQLite file or a postgresql:// URL")
    parser.add_argument("--requests-per-year", type=int, default=30_000)
    parser.add_argument("--libraries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    shape = HistoryShape(
        libraries=args.libraries, requests_per_year=args.requests_per_year, seed=args.seed
    )
    store = open_store(args.db)
    try:
        if store.count():
            raise SystemExit(f"{args.db} already holds requests; give an empty store")
        summary = generate(store, shape)
    finally:
        store.close()
    print(
        f"{LABEL} history: {summary.requests} requests, {summary.events} events, "
        f"{summary.libraries} libraries, {summary.months} months, in {summary.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
