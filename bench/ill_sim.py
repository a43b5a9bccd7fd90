"""A synthetic year of inter-library loan, routed by the real `ill.service.IllService`.

`World` is what is fixed for the year: libraries (sizes from a skewed law, agreed lend:borrow
ratios, non-lenders, closures, daily caps, how reliably each answers), a holdings table (works
held by one to a dozen libraries, each copy available / on loan / not loanable / unknown) and
the year's requests (who asks for what, and when). `simulate` plays that year against a real
store with a simulated clock: every request is placed through `IllService.place_request`, and
every lender's answer, shipment, return and check-in goes through `IllService.act`; once a day
`expire_unanswered` passes on requests a lender left unanswered. Lenders fill with a probability
that depends on the copy's status; a few never answer at all.

The "naive" router is the same service on a store that hides the active load from it (every
load score 0), so lenders are asked by availability, then alphabetically — what a fixed list
would do. Everything is deterministic from the seed.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ill import schema
from ill.errors import IllError
from ill.model import Actor, Closure, LendingRules, Request
from ill.routing import normalise_status
from ill.service import IllService, IllSettings
from ill.states import Action, Role
from ill.store import PostgresRequestStore, RequestStore, SqliteRequestStore

YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
#: copies per work: (libraries holding it, share of works)
HOLDERS = ((1, 0.40), (2, 0.25), (3, 0.15), (4, 0.08), (5, 0.05), (6, 0.03), (8, 0.02), (12, 0.02))
#: a copy's status as the index reports it, and how often
STATUSES = (("available", 0.70), ("on_loan", 0.18), ("not_loanable", 0.08), ("unknown", 0.04))
#: the calls that route: placing (first lender), "cannot supply" and expiry (the next one)
ROUTING_CALLS = ("place_request", "CannotSupply", "expire_unanswered")
#: the chance a lender that answers fills, by the status of its best copy
FILL_CHANCE = {"available": 0.88, "unknown": 0.5, "on_loan": 0.12}
TRANSIT_DAYS = 2


@dataclass(frozen=True)
class SimLibrary:
    rules: LendingRules
    size: float  # relative collection and patron base
    answers: float  # chance it answers a request at all (0: never answers)

    @property
    def id(self) -> str:
        return self.rules.library_id


@dataclass(frozen=True)
class SimRequest:
    at: datetime
    library_id: str
    work_id: str
    card: str


@dataclass
class World:
    libraries: dict[str, SimLibrary]
    holdings: dict[str, list[dict[str, str]]]  # work id -> holdings as the index gives them
    requests: list[SimRequest]
    seed: int

    def best_status(self, work_id: str, library_id: str) -> str:
        statuses = [
            normalise_status(h["status"])
            for h in self.holdings[work_id]
            if h["library_id"] == library_id
        ]
        for status in ("available", "unknown", "on_loan"):
            if status in statuses:
                return status
        return "not_loanable"


def _library(n: int, rng: random.Random, lends: bool) -> SimLibrary:
    size = min(rng.paretovariate(1.2), 40.0)
    library_id = f"lib{n:03d}"
    ratio_lend = 2 if rng.random() < 0.08 + 0.02 * min(size, 10) else 1
    closures = []
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
        first = date(2025, 1, 1) + timedelta(days=rng.randrange(350))
        last = first + timedelta(days=rng.randint(2, 14))
        closures.append(Closure(first, last, "closed (simulated)"))
    cap = rng.randint(2, 6) if rng.random() < 0.3 else None
    rules = LendingRules(
        library_id,
        lends=lends,
        loan_period_days=rng.choice((21, 28, 28)),
        daily_cap=cap,
        closures=tuple(sorted(closures, key=lambda c: c.first)),
        ratio_lend=ratio_lend,
    )
    answers = 0.0 if rng.random() < 0.04 else rng.uniform(0.9, 1.0)
    return SimLibrary(rules, size, answers)


def _weighted(rng: random.Random, items: tuple[tuple[Any, float], ...]) -> Any:
    values, weights = zip(*items, strict=True)
    return rng.choices(values, weights)[0]


def make_world(libraries: int, requests: int, seed: int = 1, works: int | None = None) -> World:
    """The year's libraries, holdings and requests, deterministic from `seed`."""
    rng = random.Random(seed)
    non_lending = set(rng.sample(range(1, libraries + 1), max(1, libraries // 20)))
    libs = {
        lib.id: lib
        for lib in (_library(n, rng, n not in non_lending) for n in range(1, libraries + 1))
    }
    ids, sizes = list(libs), [lib.size for lib in libs.values()]
    holdings: dict[str, list[dict[str, str]]] = {}
    for number in range(works or max(200, requests * 2 // 3)):
        count = min(_weighted(rng, HOLDERS), len(ids))
        holders: set[str] = set()
        while len(holders) < count:
            holders.add(rng.choices(ids, sizes)[0])
        holdings[f"work-{number:06d}"] = [
            {
                "library_id": library_id,
                "library_name": library_id.title(),
                "status": _weighted(rng, STATUSES),
                "call_number": f"QA{number % 997} .{library_id[-3:]}",
                "location": "Stacks",
            }
            for library_id in sorted(holders)
        ]
    world = World(libs, holdings, [], seed)
    world.requests = _requests(world, requests, rng)
    return world


def _requests(world: World, count: int, rng: random.Random) -> list[SimRequest]:
    """Requests over the year: bigger libraries ask more; more-held works are asked for more;
    never for a work the patron's own library has on its shelf (the service would refuse)."""
    ids = list(world.libraries)
    sizes = [world.libraries[i].size for i in ids]
    works = list(world.holdings)
    popularity = list(itertools.accumulate(len(world.holdings[w]) for w in works))
    chosen = []
    for number in range(count):
        library_id = rng.choices(ids, sizes)[0]
        for _ in range(50):
            work_id = rng.choices(works, cum_weights=popularity)[0]
            own = world.best_status(work_id, library_id)
            if own != "available" or not any(
                h["library_id"] == library_id for h in world.holdings[work_id]
            ):
                break
        at = YEAR_START + timedelta(days=rng.randrange(365), hours=rng.uniform(8, 18))
        chosen.append(SimRequest(at, library_id, work_id, f"P{number:06d}"))
    chosen.sort(key=lambda r: r.at)
    return chosen


class BlindLoad:
    """Mixed into a store for the naive router: the service sees no active load."""

    def open_load(self, libraries: Collection[str] | None = None) -> dict[str, tuple[int, int]]:
        return {}


def naive_store(store: RequestStore) -> RequestStore:
    """The same store, hiding the active load (so ties fall to library id)."""
    store.__class__ = type(f"Blind{type(store).__name__}", (BlindLoad, type(store)), {})
    return store


class SimClock:
    """The simulated time the service reads."""

    def __init__(self) -> None:
        self.now = YEAR_START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Simulation:
    """The running year: the clock, the future events, and time spent inside the service."""

    world: World
    service: IllService
    clock: SimClock
    rng: random.Random
    queue: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)
    counter: itertools.count = field(default_factory=itertools.count)
    seconds: Counter[str] = field(default_factory=Counter)  # time inside the service, by call
    #: CPU time of this process inside the service, by call: on a machine shared with other
    #: work the wall time grows with the load, this much less (SQLite runs in the process;
    #: PostgreSQL's own work is in its server and not counted here)
    cpu_seconds: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    progress: int = 0  # print a line every this many placements (0: quiet)

    @property
    def now(self) -> datetime:
        return self.clock.now

    def at(self, when: datetime, job: Callable[[], None]) -> None:
        heapq.heappush(self.queue, (when, next(self.counter), job))

    def call(self, what: str, function: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kw)
        finally:
            self.seconds[what] += time.perf_counter() - started
            self.cpu_seconds[what] += time.process_time() - cpu
            self.calls[what] += 1

    def run(self) -> None:
        while self.queue:
            self.clock.now, _, job = heapq.heappop(self.queue)
            job()

    # what the people do -----------------------------------------------------------------

    def place(self, wanted: SimRequest) -> None:
        placed = self.calls["place_request"] + 1
        if self.progress and placed % self.progress == 0:
            print(f"    {placed} placed, {self.now:%Y-%m-%d}, {sum(self.seconds.values()):.0f} s",
                  flush=True)  # fmt: skip
        patron = Actor(wanted.card, Role.patron, wanted.library_id)
        try:
            request = self.call(
                "place_request",
                self.service.place_request,
                patron,
                work_id=wanted.work_id,
                title=wanted.work_id,
                holdings=self.world.holdings[wanted.work_id],
            )
        except IllError as refusal:
            self.refused[f"place: {type(refusal).__name__}"] += 1
            return
        self.routed(request)

    def routed(self, request: Request) -> None:
        """After routing: the new lender decides (or stays silent and expiry passes it on)."""
        if request.lender is None:
            return
        if self.rng.random() >= self.world.libraries[request.lender].answers:
            return  # never answers: expire_unanswered passes the request on
        delay = timedelta(hours=self.rng.uniform(2, 60))
        self.at(self.now + delay, lambda lender=request.lender: self.answer(request, lender))

    def answer(self, request: Request, lender: str) -> None:
        staff = Actor(f"staff-{lender}", Role.lender, lender)
        status = self.world.best_status(request.work_id, lender)
        try:
            if self.rng.random() < FILL_CHANCE.get(status, 0.0):
                self.call("Shipped", self.service.act, request.id, staff, "Shipped")
                self.at(self.now + timedelta(days=TRANSIT_DAYS), lambda: self.received(request))
                return
            moved = self.call(
                "CannotSupply",
                self.service.act,
                request.id,
                staff,
                "CannotSupply",
                reason="NotOnShelf",
            )
        except IllError as refusal:  # passed on meanwhile (no answer in time)
            self.refused[f"late answer: {type(refusal).__name__}"] += 1
            return
        self.routed(moved)

    def received(self, request: Request) -> None:
        borrower = Actor(f"staff-{request.borrowing_library}", Role.borrower,
                         request.borrowing_library)  # fmt: skip
        loan = self.call("Received", self.service.act, request.id, borrower, "Received")
        back = datetime.combine(loan.due_date, self.now.timetz()) - timedelta(
            days=self.rng.randint(1, 6)
        )
        self.at(max(back, self.now + timedelta(days=1)), lambda: self.returned(loan, borrower))

    def returned(self, loan: Request, borrower: Actor) -> None:
        self.call("ShippedReturn", self.service.act, loan.id, borrower, "ShippedReturn")
        lender = Actor(f"staff-{loan.lender}", Role.lender, loan.lender or "")
        self.at(
            self.now + timedelta(days=TRANSIT_DAYS),
            lambda: self.call("CheckedIn", self.service.act, loan.id, lender, "CheckedIn"),
        )

    def expire(self, last_day: datetime) -> None:
        for request in self.call("expire_unanswered", self.service.expire_unanswered):
            self.routed(request)
        if self.now < last_day:
            self.at(self.now + timedelta(days=1), lambda: self.expire(last_day))


def simulate(
    world: World, store: RequestStore, answer_days: int = 3, progress: int = 0
) -> dict[str, Any]:
    """Play the world's year on `store` (empty, migrated); what it took to run."""
    clock = SimClock()
    service = IllService(store, IllSettings(answer_days=answer_days), clock=clock)
    sim = Simulation(world, service, clock, random.Random(world.seed + 1), progress=progress)
    for library in world.libraries.values():
        service.set_rules(library.rules)
    for wanted in world.requests:
        sim.at(wanted.at, lambda wanted=wanted: sim.place(wanted))
    # after the last request, run on until every loan is back and every rota has ended
    last_day = (world.requests[-1].at if world.requests else YEAR_START) + timedelta(days=90)
    sim.at(YEAR_START.replace(hour=7), lambda: sim.expire(last_day))
    started = time.perf_counter()
    sim.run()
    return {
        "wall_seconds": round(time.perf_counter() - started, 2),
        "service_seconds": round(sum(sim.seconds.values()), 2),
        "routing_seconds": round(sum(sim.seconds[call] for call in ROUTING_CALLS), 2),
        "routing_cpu_seconds": round(sum(sim.cpu_seconds[call] for call in ROUTING_CALLS), 2),
        "seconds_by_call": {call: round(s, 2) for call, s in sim.seconds.most_common()},
        "service_calls": dict(sim.calls),
        "refused": dict(sim.refused),
    }


# the store's account of the year ----------------------------------------------------------


@contextmanager
def fresh_store(kind: str, directory: Path, pg_url: str = "") -> Iterator[RequestStore]:
    """An empty, migrated store: an SQLite file in `directory`, or a PostgreSQL schema of its
    own (dropped afterwards) in the database at `pg_url`."""
    if kind == "sqlite":
        path = directory / f"ill-{uuid.uuid4().hex[:8]}.sqlite"
        store: RequestStore = SqliteRequestStore(path)
        try:
            yield store
        finally:
            store.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    schema_name = f"ill_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg"))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema_name}"'))
    joiner = "&" if "?" in pg_url else "?"
    store = PostgresRequestStore(f"{pg_url}{joiner}options=-csearch_path%3D{schema_name}")
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema_name}" CASCADE'))
        admin.dispose()


@dataclass(frozen=True)
class Sent:
    request_id: str
    lender: str
    at: datetime


def _events(store: RequestStore, action: Action) -> list[Sent]:
    table = schema.events
    query = (
        sa.select(table.c.request_id, table.c.lender, table.c.at)
        .where(table.c.action == action.value)
        .order_by(table.c.seq)
    )
    with store.engine.connect() as connection:
        return [
            Sent(rid, lender, at.replace(tzinfo=UTC))
            for rid, lender, at in connection.execute(query)
        ]


@dataclass
class YearRecord:
    """What the store says happened: every request, whom each was sent to, who shipped."""

    requests: list[Request]
    sends: list[Sent]
    shipped: dict[str, str]  # request id -> the lender that shipped it
    declined: Counter[str]  # request id -> lenders that answered "cannot supply"
    expired: Counter[str]  # request id -> lenders passed over for not answering

    @classmethod
    def read(cls, store: RequestStore) -> YearRecord:
        shipped = {s.request_id: s.lender for s in _events(store, Action.Shipped)}
        return cls(
            store.find(),
            _events(store, Action.SendToLender),
            shipped,
            Counter(s.request_id for s in _events(store, Action.CannotSupply)),
            Counter(s.request_id for s in _events(store, Action.Expire)),
        )
