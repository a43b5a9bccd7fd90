"""Request store conformance: every test runs on SQLite and on a live PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ill import schema
from ill.errors import RequestConflict, RequestNotFound, RequestRefused
from ill.model import Citation, Closure, LendingRules, Request, RotaEntry, Skip, TimelineEvent
from ill.states import INITIAL, Action, Role, Stage, State, Status
from ill.store import VERSION_TABLE, current_revision, upgrade

pytest_plugins = ["tests.fixtures.ill_stores"]

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
SENT = State(Status.RequestReceived, Stage.with_lender)


def new_request(request_id: str = "ill-1", patron_ref: str = "north:P1", work: str = "w1"):
    return Request(
        id=request_id,
        work_id=work,
        title="Gödel, Escher, Bach",
        patron_ref=patron_ref,
        borrowing_library="north",
        service="Copy",
        citation=Citation("Chapter 3", pages="41-60"),
        pickup_location="North main desk",
        needed_by=date(2025, 4, 1),
        rota=[RotaEntry("south", "#1: available copy", "QA9 .H6", "Stacks")],
        skipped=[Skip("east", "closed")],
        created_at=NOW,
        updated_at=NOW,
    )


def event(request: Request, action: Action, to: State, at: datetime = NOW, **kw):
    return TimelineEvent(request.id, at, "tester", Role.system, action, request.state, to, **kw)


def placed(store, request_id: str = "ill-1", **kw) -> Request:
    request = new_request(request_id, **kw)
    return store.create(request, [event(request, Action.Place, INITIAL)])


def test_created_request_reads_back_whole(store):
    stored = placed(store)
    read = store.get("ill-1")
    assert read == stored
    assert read.version == 1
    assert read.citation == Citation("Chapter 3", pages="41-60")
    assert read.created_at == NOW and read.created_at.tzinfo is not None
    assert [e.action for e in store.timeline("ill-1")] == [Action.Place]


def test_unknown_request_is_not_found(store):
    with pytest.raises(RequestNotFound, match="ill-nope"):
        store.get("ill-nope")


def test_save_writes_state_and_event_together_and_bumps_version(store):
    request = placed(store)
    later = NOW + timedelta(hours=1)
    sent = event(request, Action.SendToLender, SENT, later, lender="south", note="#1")
    request.state, request.lender, request.sent_at, request.rota_position = SENT, "south", later, 0
    store.save(request, [sent])
    read = store.get("ill-1")
    assert (read.state, read.lender, read.version, read.sent_at) == (SENT, "south", 2, later)
    assert store.timeline("ill-1")[-1] == sent


def test_stale_save_is_a_conflict_and_writes_no_event(store):
    first, second = placed(store), store.get("ill-1")
    first.state = SENT
    store.save(first, [event(first, Action.SendToLender, SENT)])
    second.state = State(Status.Cancelled, Stage.closed)
    with pytest.raises(RequestConflict, match="changed by someone else"):
        store.save(second, [event(second, Action.Cancel, second.state)])
    assert store.get("ill-1").state == SENT
    assert [e.action for e in store.timeline("ill-1")] == [Action.Place, Action.SendToLender]


def test_two_hosts_saving_at_once_one_wins_one_conflicts(store_factory):
    """Separate stores (own connection pools) on one database, released by a barrier."""
    hosts = [store_factory.open() for _ in range(4)]
    placed(hosts[0])
    copies = [host.get("ill-1") for host in hosts]
    barrier, outcomes = threading.Barrier(len(hosts)), []

    def act(host, request, note):
        request.outcome_note = note
        barrier.wait()
        try:
            host.save(request, [event(request, Action.StatusRequest, request.state, note=note)])
            outcomes.append(("won", note))
        except RequestConflict:
            outcomes.append(("conflict", note))

    threads = [
        threading.Thread(target=act, args=(host, copy, f"host {n}"))
        for n, (host, copy) in enumerate(zip(hosts, copies, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [note for outcome, note in outcomes if outcome == "won"]
    assert len(outcomes) == len(hosts) and len(winners) == 1
    final = hosts[0].get("ill-1")
    assert final.outcome_note == winners[0] and final.version == 2
    assert [e.note for e in hosts[0].timeline("ill-1")][1:] == winners


def test_database_refuses_second_open_request_for_same_work(store):
    placed(store, "ill-1")
    with pytest.raises(RequestRefused, match="already has an open request"):
        placed(store, "ill-2")
    with pytest.raises(RequestNotFound):
        store.get("ill-2")
    assert store.count() == 1


def test_closed_request_allows_a_new_one_for_same_work(store):
    request = placed(store, "ill-1")
    request.state = State(Status.Cancelled, Stage.closed)
    store.save(request, [event(request, Action.Cancel, request.state)])
    placed(store, "ill-2")
    assert {r.id for r in store.find(patron_ref="north:P1", open_only=True)} == {"ill-2"}


def test_find_filters_by_patron_library_lender_and_openness(store):
    a = placed(store, "ill-a", work="w1")
    placed(store, "ill-b", work="w2", patron_ref="south:P9")
    a.lender, a.state = "east", SENT
    store.save(a, [event(a, Action.SendToLender, SENT, lender="east")])
    assert [r.id for r in store.find(lender="east")] == ["ill-a"]
    assert {r.id for r in store.find(borrowing_library="north")} == {"ill-a", "ill-b"}
    assert [r.id for r in store.find(patron_ref="south:P9")] == ["ill-b"]
    assert store.find(work_id="w2", lender="east") == []


def test_awaiting_answer_lists_only_unanswered_before_cutoff(store):
    a, b = placed(store, "ill-a", work="w1"), placed(store, "ill-b", work="w2")
    for request, sent_at in ((a, NOW), (b, NOW + timedelta(days=5))):
        request.state, request.lender, request.sent_at = SENT, "south", sent_at
        store.save(request, [event(request, Action.SendToLender, SENT, lender="south")])
    assert [r.id for r in store.awaiting_answer(NOW + timedelta(days=3))] == ["ill-a"]


def test_load_and_daily_counts_come_from_open_requests_and_events(store):
    a = placed(store, "ill-a", work="w1")
    a.state, a.lender = SENT, "south"
    store.save(a, [event(a, Action.SendToLender, SENT, lender="south")])
    placed(store, "ill-b", work="w2")  # no lender yet: not load
    assert store.open_load() == {"south": (1, 0), "north": (0, 1)}
    assert store.received_since(NOW) == {"south": 1}
    assert store.received_since(NOW + timedelta(seconds=1)) == {}


def test_load_counts_and_rules_can_be_read_for_some_libraries_only(store):
    """A placement reads only the work's holders: the same figures, for fewer libraries."""
    a = placed(store, "ill-a", work="w1")
    a.state, a.lender = SENT, "south"
    store.save(a, [event(a, Action.SendToLender, SENT, lender="south")])
    store.set_rules(LendingRules("south", daily_cap=4))
    store.set_rules(LendingRules("east", lends=False))
    assert store.open_load(["south", "east"]) == {"south": (1, 0)}
    assert store.open_load(["north"]) == {"north": (0, 1)}
    assert store.open_load([]) == {}
    assert store.received_since(NOW, ["east"]) == {}
    assert store.received_since(NOW, ["south", "east"]) == {"south": 1}
    assert store.rules(["south", "nowhere"]) == {"south": LendingRules("south", daily_cap=4)}
    assert set(store.rules()) == {"south", "east"} and store.rules([]) == {}


def test_rules_changed_by_another_process_count_at_once(store_factory):
    """Rules rows are parsed once, but read every time: the operator's CLI (another store on
    the same database) changes a cap and the web host's next read has it."""
    web, cli = store_factory.open(), store_factory.open()
    cli.set_rules(LendingRules("south", daily_cap=4))
    assert web.rules(["south"])["south"].daily_cap == 4
    cli.set_rules(LendingRules("south", daily_cap=1))
    assert web.rules(["south"])["south"].daily_cap == 1
    assert web.rules()["south"].daily_cap == 1


def test_lending_rules_round_trip_and_replace(store):
    rules = LendingRules(
        "south",
        lends=True,
        loan_period_days=21,
        daily_cap=5,
        closures=(Closure(date(2025, 12, 24), date(2026, 1, 2), "winter break"),),
        ratio_lend=2,
        ratio_borrow=1,
    )
    store.set_rules(rules)
    assert store.rules() == {"south": rules}
    store.set_rules(replace(rules, lends=False, closures=()))
    assert store.rules()["south"].lends is False and store.rules()["south"].closures == ()


def test_schema_from_empty_database_matches_the_models(store_factory):
    engine = store_factory.engine()
    upgrade(engine)
    assert current_revision(engine) == "0007"
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, schema.metadata) == []
    engine.dispose()


def test_upgrade_from_previous_version_keeps_requests(store_factory):
    """A 0001 database with a request in it upgrades in place; old rows gain the defaults."""
    engine = store_factory.engine()
    upgrade(engine, "0001")
    row = {
        "id": "ill-old",
        "work_id": "w-old",
        "title": "Old request",
        "patron_ref": "north:P1",
        "borrowing_library": "north",
        "service": "Loan",
        "state": SENT.name,
        "status": "RequestReceived",
        "is_open": True,
        "lender": "south",
        "rota": "[]",
        "skipped": "[]",
        "rota_position": 0,
        "created_at": NOW.replace(tzinfo=None),
        "updated_at": NOW.replace(tzinfo=None),
        "version": 3,
    }
    with engine.begin() as connection:
        connection.execute(sa.table("ill_requests", *map(sa.column, row)).insert().values(row))
    engine.dispose()
    store = store_factory.open()  # opening migrates to head
    assert current_revision(store.engine) == "0007"
    old = store.get("ill-old")
    assert (old.state, old.version, old.loan_condition, old.outcome_note) == (SENT, 3, "", "")
    store.set_rules(LendingRules("south", daily_cap=2))  # the new table is there
    assert store.rules()["south"].daily_cap == 2


def test_opening_an_upgraded_store_again_changes_nothing(store_factory):
    first = store_factory.open()
    placed(first)
    second = store_factory.open()
    assert current_revision(second.engine) == "0007" and second.count() == 1


def test_sqlite_store_uses_wal_with_normal_sync(store):
    """WAL with synchronous=NORMAL: no fsync per commit (safe against a crashed process, as
    SQLite's documentation recommends for WAL); the year's benchmark spent a third of its
    time in fsyncs with FULL."""
    if store.backend != "sqlite":
        pytest.skip("an SQLite setting")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_reads_inside_one_reading_block_share_one_connection(store):
    """A placement's four reads take one pool checkout (on PostgreSQL each checkout is a
    ping and a reset); a write inside the block still commits on its own."""
    checkouts: list[int] = []
    for engine in {id(e): e for e in (store.engine, store.reader)}.values():  # PostgreSQL: two
        sa.event.listen(engine, "checkout", lambda *_: checkouts.append(1))
    with store.reading():
        assert store.find(patron_ref="north:P1", work_id="w1", open_only=True) == []
        store.rules(["south"]), store.open_load(["south"]), store.received_since(NOW, ["south"])
        assert len(checkouts) == 1
        placed(store)
    assert store.get("ill-1").version == 1
    assert len(checkouts) == 3  # the block's, the create's, the get's


def test_upgrade_from_0004_keeps_rules_and_prints_no_patron_names(store_factory):
    """0006 adds the borrowing library's choice to print patron names on lenders' slips:
    off for every library that had rules before, until the operator turns it on."""
    engine = store_factory.engine()
    upgrade(engine, "0004")
    row = {"library_id": "north", "lends": True, "loan_period_days": 21, "daily_cap": None,
           "closures": "[]", "ratio_lend": 1, "ratio_borrow": 1}  # fmt: skip
    with engine.begin() as connection:
        connection.execute(sa.table("ill_lending_rules", *map(sa.column, row)).insert(), row)
    engine.dispose()
    store = store_factory.open()
    assert store.rules()["north"] == LendingRules("north", loan_period_days=21)
    assert store.rules()["north"].print_patron_names is False
    store.set_rules(LendingRules("north", print_patron_names=True))
    assert store.rules(["north"])["north"].print_patron_names is True
