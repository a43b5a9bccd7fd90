"""ISO 18626 benchmark: two fedcat installations lending to each other over loopback HTTP.

"here" (North borrows; East is a partner running its own ILL system) and "there" (the other
fedcat, where East's staff lend) are two apps with their own stores, served by werkzeug on
127.0.0.1, exactly as tests/test_iso18626_fedcat_pair.py wires them. For N requests it times:

1. placing the request here (routing + queuing its `request` message in the same transaction);
2. `send_due` here: each message POSTed to there's `POST /iso18626`, decoded, validated
   against the XSD, applied (a request in East's lending queue) and confirmed;
3. East's staff shipping there and `send_due` there: each supplyingAgencyMessage applied here.

It prints per-message latency (p50, p95: one POST with its confirmation, measured inside the
sender) and messages a second for each leg, on SQLite (and PostgreSQL when FEDCAT_PG_URL is set:
here's store), with the machine.

    python -m bench.iso18626 --requests 300
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from bench.report import machine
from config.partners import Partner, PartnerIll
from config.settings import Settings
from ill.model import Actor
from ill.peers import sender
from ill.states import Role
from indexer.catalog import Catalog, open_state
from indexer.model import Contributor, Holding, Record
from indexer.query import SearchRequest
from indexer.tantivy_engine import TantivyEngine
from search_ui.app import create_app
from tests.fixtures.live import free_port, serve_wsgi

SECRET = "bench-shared-secret-0123456789"
EAST, NORTH = "ISIL:XX-EAST", "FEDCAT:north"


def _index(directory: Path, works: int) -> TantivyEngine:
    engine = TantivyEngine(directory / "index")
    catalog = Catalog(open_state(directory / "state.sqlite"), engine,
                      {"north": "North", "east": "East"})  # fmt: skip
    records = [
        Record(partner_id="east", identifier=f"e{n}", source_format="marc21",
               title=f"Benchmark title {n}", contributors=[Contributor(f"Author {n}", "author")],
               isbns=[f"97800000{n:05d}"],
               holdings=[Holding("east", f"QA{n}", "Stacks", "available", "")])
        for n in range(works)
    ]  # fmt: skip
    catalog.add_records(records)
    return engine


def _partners(here: bool, url: str) -> list[Partner]:
    if here:
        east = Partner(
            "east",
            "East",
            "http://127.0.0.1:9/oai",
            ill=PartnerIll("iso18626", EAST, url, "FEDCAT_BENCH_PEER_EAST"),
        )
        return [Partner("north", "North", "http://127.0.0.1:9/oai"), east]
    north = Partner(
        "north",
        "North",
        "http://127.0.0.1:9/oai",
        ill=PartnerIll("iso18626", NORTH, url, "FEDCAT_BENCH_PEER_NORTH"),
    )
    return [
        north,
        Partner("east", "East", "http://127.0.0.1:9/oai", ill=PartnerIll(agency_id=EAST)),
    ]


def _postgres_schema(url: str) -> str:
    schema = f"bench_iso_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(sa.engine.make_url(url).set(drivername="postgresql+psycopg"))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


class TimedPost:
    """The sender's HTTP POST, timed per message."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, url: str, body: bytes, secret: str) -> tuple[int, bytes]:
        start = time.perf_counter()
        try:
            return sender.http_post(url, body, secret)
        finally:
            self.seconds.append(time.perf_counter() - start)


def _leg(name: str, seconds: float, post: TimedPost) -> None:
    ms = sorted(s * 1000 for s in post.seconds)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    rate = len(ms) / seconds
    print(f"  {name}: {len(ms)} messages in {seconds:.2f} s = {rate:.0f} msg/s; one "
          f"POST+confirmation p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms")  # fmt: skip


def run(requests: int, store: str) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access line per message
    os.environ["FEDCAT_BENCH_PEER_EAST"] = os.environ["FEDCAT_BENCH_PEER_NORTH"] = SECRET
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engine = _index(root, requests)
        ports = {"here": free_port(), "there": free_port()}
        url = {name: f"http://127.0.0.1:{port}/iso18626" for name, port in ports.items()}
        pg = os.environ.get("FEDCAT_PG_URL", "")
        here_db = _postgres_schema(pg) if store == "postgresql" else str(root / "here.sqlite")
        apps = {}
        for name, database in (("here", here_db), ("there", str(root / "there.sqlite"))):
            (root / name).mkdir()
            settings = Settings(data_dir=root / name, rate_limit=None, database=database)
            peer_url = url["there" if name == "here" else "here"]
            partners = _partners(name == "here", peer_url)
            apps[name] = create_app(settings, engine=engine, partners=partners)
        with serve_wsgi(apps["here"], ports["here"]), serve_wsgi(apps["there"], ports["there"]):
            here, there = (apps[n].extensions["fedcat"] for n in ("here", "there"))
            hits = engine.search(SearchRequest(limit=requests)).hits
            start = time.perf_counter()
            for n, hit in enumerate(hits):
                here.ill.place_request(Actor(f"P{n}", Role.patron, "north"), work_id=hit.work_id,
                                       title=hit.payload["title"],
                                       holdings=hit.payload["holdings"])  # fmt: skip
            placed = time.perf_counter() - start
            print(f"ISO 18626 over loopback, {requests} requests, here's store: {store}")
            print(f"  placing (routing + queuing the request message): {requests / placed:.0f}/s")
            post = TimedPost()
            start = time.perf_counter()
            report = sender.send_due(here.ill, here.partners, here.peer_secrets, post=post)
            _leg("here -> there (requests)", time.perf_counter() - start, post)
            assert report.sent == requests, report
            for request in there.ill.lending_queue("east"):
                there.ill.act(request.id, Actor("east-staff", Role.lender, "east"), "Shipped",
                              due_date="2099-01-31")  # fmt: skip
            post = TimedPost()
            start = time.perf_counter()
            report = sender.send_due(there.ill, there.partners, there.peer_secrets, post=post)
            _leg("there -> here (shipped)", time.perf_counter() - start, post)
            assert report.sent == requests, report
            shipped = [
                r
                for r in here.ill.borrowing_requests("north")
                if r.state.name == "Loaned/in_transit"
            ]
            assert len(shipped) == requests
    print(f"  machine: {machine()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    stores = ["sqlite", "postgresql"] if args.store == "both" else [args.store]
    if "postgresql" in stores and not os.environ.get("FEDCAT_PG_URL"):
        stores.remove("postgresql")
        print("PostgreSQL skipped: set FEDCAT_PG_URL")
    for store in stores:
        run(args.requests, store)


if __name__ == "__main__":
    main()
