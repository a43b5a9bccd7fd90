"""Request mail through the outbox: queued with each change, sent over a real SMTP server on
loopback, kept while the server is down, sent exactly once by racing senders; on both stores."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from accounts.service import AccountService
from accounts.store import SqliteAccountStore
from config.partners import RegistryError, parse_registry
from ill import schema
from ill.cli import address_book
from ill.errors import ActionNotAllowed, RequestConflict
from ill.model import OutboxMessage
from ill.notify import Outbox, SmtpSettings, retry_delay, send_due
from ill.service import IllService, IllSettings
from ill.states import Action, Role
from ill.store import current_revision, upgrade
from tests.fixtures.ill_builders import holdings, patron, staff

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.smtp"]

TITLE = "Gödel, Escher, Bach"
PATRON_MAIL = "reader.p100@north.example"
REGISTRY = """
[[partner]]
id = "{id}"
name = "{id} library"
base_url = "http://127.0.0.1:1/oai"
ill_email = "ill@{id}.example"
"""
LENDER = {lib: staff(lib, Role.lender) for lib in ("south", "east")}
BORROWER = staff("north", Role.borrower)


@pytest.fixture
def ill(store, clock):
    return IllService(store, IllSettings(answer_days=3), clock=clock)


@pytest.fixture
def addresses(tmp_path):
    """Patron P100 of north with an e-mail address; south and east with ILL desks."""
    accounts = SqliteAccountStore(tmp_path / "accounts.sqlite")
    AccountService(accounts).add_patron("north", "P100", "Ann Reader", PATRON_MAIL, "1234")
    AccountService(accounts).add_patron("north", "P200", "Bo Noaddress", "", "1234")
    partners = [p for lib in ("south", "east") for p in parse_registry(REGISTRY.format(id=lib))]
    yield address_book(accounts, partners)
    accounts.close()


def place(ill, who=None, work="w1"):
    return ill.place_request(
        who or patron(),
        work_id=work,
        title=TITLE,
        holdings=holdings(south="available", east="on_loan"),
        pickup_location="North main desk",
    )


def queued(store) -> list[tuple[str, str, str]]:
    """(kind, recipient kind, recipient ref) of every message in the outbox, in order."""
    t = schema.outbox
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(t.c.kind, t.c.recipient_kind, t.c.recipient_ref)
                                  .order_by(t.c.id))  # fmt: skip
        return [tuple(row) for row in rows]


def smtp(server) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", server.port, "fedcat@consortium.example")


def test_each_change_queues_its_mail_and_a_refused_action_none(ill, store):
    request = place(ill)
    assert queued(store) == [("new_request", "library", "south")]
    with pytest.raises(ActionNotAllowed):
        ill.act(request.id, BORROWER, Action.Received)
    assert len(queued(store)) == 1
    ill.act(request.id, LENDER["south"], Action.CannotSupply, reason="NotOnShelf")
    ill.act(request.id, LENDER["east"], Action.CannotSupply, reason="Damaged")
    assert queued(store) == [
        ("new_request", "library", "south"),
        ("new_request", "library", "east"),
        ("unfilled", "patron", "north:P100"),
    ]


def test_a_lost_race_queues_no_mail(ill, store_factory):
    """The losing writer's change is rolled back, and with it the mail it would cause."""
    request = place(ill)
    stale = store_factory.open().get(request.id)
    ill.act(request.id, LENDER["south"], Action.Shipped)
    mail = OutboxMessage(request.id, "shipped", "patron", "north:P100", "subject", "body")
    with pytest.raises(RequestConflict):
        store_factory.open().save(stale, [], [mail])
    assert [kind for kind, _, _ in queued(ill.store)] == ["new_request", "shipped"]


def test_patron_and_lender_mail_arrives_with_exact_recipients_and_subjects(
    ill, store, clock, addresses, smtp_server
):
    request = place(ill)
    ill.act(request.id, LENDER["south"], Action.Shipped, due_date="2025-03-31")
    for action in (Action.Received, Action.OnHoldShelf, Action.LentToPatron):
        ill.act(request.id, BORROWER, action)
    clock.advance(days=40)
    assert len(ill.mark_overdue()) == 1
    report = send_due(store, addresses, smtp(smtp_server), clock())
    assert (report.sent, report.retry, report.given_up) == (4, 0, 0)
    got = [(m.sender, m.recipients, m.subject) for m in smtp_server.received]
    sender = "fedcat@consortium.example"
    assert got == [
        (sender, ("ill@south.example",),
         f"[{request.id}] New inter-library loan request: {TITLE}"),
        (sender, (PATRON_MAIL,), f"[{request.id}] {TITLE} is on its way to your library"),
        (sender, (PATRON_MAIL,), f"[{request.id}] {TITLE} is ready for pickup"),
        (sender, (PATRON_MAIL,), f"[{request.id}] {TITLE} is overdue"),
    ]  # fmt: skip
    bodies = [m.body for m in smtp_server.received]
    assert "Library north asks you for a loan." in bodies[0] and "QA76 .SO" in bodies[0]
    assert "due back on 2025-03-31" in bodies[1] and "North main desk" in bodies[2]
    assert all("P100" not in body and "Ann Reader" not in body for body in bodies)
    assert send_due(store, addresses, smtp(smtp_server), clock()).sent == 0


def test_unfilled_mail_says_why(ill, store, clock, addresses, smtp_server):
    request = place(ill)
    ill.act(request.id, LENDER["south"], Action.CannotSupply, reason="NotOnShelf")
    ill.act(request.id, LENDER["east"], Action.CannotSupply, reason="Other", note="lost")
    send_due(store, addresses, smtp(smtp_server), clock())
    last = smtp_server.received[-1]
    assert last.subject == f"[{request.id}] {TITLE} could not be supplied"
    assert "Asked: south: NotOnShelf; east: Other (lost)." in last.body


def test_a_down_smtp_server_delays_mail_and_loses_none(ill, store, clock, addresses, smtp_server):
    first, second = place(ill), place(ill, work="w2")
    smtp_server.stop()
    report = send_due(store, addresses, smtp(smtp_server), clock())
    assert (report.sent, report.retry) == (0, 2)
    assert Outbox(store).counts() == {"queued": 2}
    assert Outbox(store).due(clock()) == []  # not before the retry time
    clock.advance(minutes=1)
    assert send_due(store, addresses, smtp(smtp_server), clock()).retry == 2
    assert [m.attempts for m in Outbox(store).due(clock() + retry_delay(2))] == [2, 2]
    smtp_server.start()
    assert send_due(store, addresses, smtp(smtp_server), clock()).sent == 0  # still waiting
    clock.advance(minutes=2)
    assert send_due(store, addresses, smtp(smtp_server), clock()).sent == 2
    assert sorted(smtp_server.subjects()) == sorted(
        f"[{r.id}] New inter-library loan request: {TITLE}" for r in (first, second)
    )
    clock.advance(hours=7)
    assert send_due(store, addresses, smtp(smtp_server), clock()).sent == 0
    assert len(smtp_server.received) == 2 and Outbox(store).counts() == {"sent": 2}


def test_backoff_doubles_up_to_six_hours():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(30).total_seconds() == 6 * 3600


def test_two_senders_racing_send_every_message_exactly_once(
    ill, store_factory, clock, addresses, smtp_server
):
    requests = [place(ill, work=f"w{n}") for n in range(24)]
    senders = [store_factory.open() for _ in range(2)]  # two hosts: own connection pools
    reports, barrier = [], threading.Barrier(2)

    def run(sender_store):
        barrier.wait()
        reports.append(send_due(sender_store, addresses, smtp(smtp_server), clock()))

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.sent for r in reports) == 24 and sum(r.retry for r in reports) == 0
    subjects = smtp_server.subjects()
    assert sorted(subjects) == sorted(
        f"[{r.id}] New inter-library loan request: {TITLE}" for r in requests
    )
    assert len(set(subjects)) == 24


def test_a_recipient_without_an_address_is_given_up_not_retried(
    ill, store, clock, addresses, smtp_server
):
    request = place(ill, who=patron("P200"))
    ill.act(request.id, LENDER["south"], Action.Shipped)
    report = send_due(store, addresses, smtp(smtp_server), clock())
    assert (report.sent, report.given_up) == (1, 1)
    assert [m.recipients for m in smtp_server.received] == [("ill@south.example",)]
    clock.advance(days=1)
    assert send_due(store, addresses, smtp(smtp_server), clock()).given_up == 0
    assert Outbox(store).counts() == {"sent": 1, "given up": 1}


def test_address_book_reads_accounts_and_the_registry(addresses):
    assert addresses("patron", "north:P100") == PATRON_MAIL
    assert addresses("patron", "north:P200") is None  # no e-mail on file
    assert addresses("patron", "south:P100") is None and addresses("patron", "") is None
    assert addresses("library", "east") == "ill@east.example"
    assert addresses("library", "west") is None


def test_registry_ill_email_is_optional_and_checked():
    assert parse_registry(REGISTRY.format(id="south"))[0].ill_email == "ill@south.example"
    plain = REGISTRY.format(id="south").replace('ill_email = "ill@south.example"\n', "")
    assert parse_registry(plain)[0].ill_email == ""
    with pytest.raises(RegistryError, match="ill_email must be an e-mail address"):
        parse_registry(REGISTRY.format(id="south").replace("ill@south.example", "desk"))


def test_upgrade_from_0002_adds_an_empty_outbox(store_factory):
    engine = store_factory.engine()
    upgrade(engine, "0002")
    engine.dispose()
    store = store_factory.open()
    assert (
        current_revision(store.engine) == "0007"
    )  # the head: outbox (0003), open-load index (0004), peer messages (0005), slips (0006),
    # work facts (0007)
    assert Outbox(store).counts() == {}
