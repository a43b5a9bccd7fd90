"""fedcat as supplier: North runs its own ILL system (a scripted ISO 18626 peer) and asks
fedcat's East to lend. The request appears in East's lending queue; East's staff's answers go
back as supplyingAgencyMessages. Both request stores; every message validates."""

from __future__ import annotations

import pytest

from ill.states import Role
from iso18626.messages import AgencyId, SupplyingAgencyMessage
from tests.fixtures.iso_peer import IsoPeer
from tests.fixtures.iso_web import SECRET, fedcat_partner, iso_partner

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.ill_web", "tests.fixtures.iso_web"]
NORTH, EAST = AgencyId("ISIL", "XX-NORTH"), AgencyId("ISIL", "XX-EAST")


@pytest.fixture
def peer():
    with IsoPeer(agency=NORTH, secret=SECRET) as running:
        yield running


@pytest.fixture
def there(consortia, database, peer):
    return consortia("there", database, [
        iso_partner("north", str(NORTH), peer.url), fedcat_partner("south"),
        fedcat_partner("east", str(EAST)),
    ])  # fmt: skip


class Lending:
    """North's system asks East; East's staff answer in fedcat."""

    def __init__(self, there, peer, request_id="NORTH-REQ-1", **fields):
        self.there, self.peer, self.peer_id = there, peer, request_id
        message = peer.request(EAST, request_id, "Kind of blue", author="Davis, Miles", **fields)
        status, _, self.confirmation = peer.send(message, there.url + "/iso18626", SECRET)
        assert status == 200

    @property
    def request(self):
        return self.there.shared.ill.store.find_by_peer_id("north", self.peer_id)

    def staff(self, action: str, **details):
        self.there.act(self.request.id, "east", Role.lender, action, **details)
        return self.there.send()

    def says(self, action: str, note: str = ""):
        message = self.peer.requesting(action, EAST, self.peer_id, note=note)
        return self.peer.send(message, self.there.url + "/iso18626", SECRET)

    def answers(self):
        return [
            (m.message_info.reason_for_message, m.status_info.status)
            for m, _, _ in self.peer.received
            if isinstance(m, SupplyingAgencyMessage)
        ]


def test_a_partner_systems_request_is_in_the_lending_queue_with_its_slip(there, peer):
    lending = Lending(there, peer, isbn="9780140449136")
    assert lending.confirmation.ok
    request = lending.request
    assert request.borrowing_library == "north" and request.lender == "east"
    assert request.state.name == "RequestReceived/with_lender"
    assert (request.rota[0].call_number, request.work_id) == ("ML419 .D39", there.work_id)
    assert request.patron_ref == "north:peer:NORTH-REQ-1"


def test_east_lends_and_north_returns_and_every_step_reaches_the_partner(there, peer):
    lending = Lending(there, peer)
    assert lending.staff("WillSupply").sent == 1
    assert lending.staff("Shipped", due_date="2099-01-31").sent == 1
    shipped = [m for m, _, _ in peer.received if isinstance(m, SupplyingAgencyMessage)][-1]
    assert shipped.status_info.due_date.date().isoformat() == "2099-01-31"
    assert shipped.header.requesting_agency_request_id == "NORTH-REQ-1"
    assert lending.says("Received")[2].ok and lending.says("ShippedReturn")[2].ok
    assert lending.request.state.name == "Loaned/shipped_back"
    assert lending.staff("CheckedIn").sent == 1
    assert lending.answers() == [
        ("RequestResponse", "WillSupply"), ("StatusChange", "Loaned"),
        ("StatusChange", "LoanCompleted"),
    ]  # fmt: skip
    closed = lending.request
    assert closed.state.name == "LoanCompleted/closed"
    there.assert_wire_valid(closed.id)
    assert peer.invalid == []


def test_cannot_supply_and_a_condition_reach_the_partner_with_their_reasons(there, peer):
    first = Lending(there, peer, "NORTH-REQ-1")
    first.staff("CannotSupply", reason="Damaged", note="Water damage")
    second = Lending(there, peer, "NORTH-REQ-2")
    second.staff("Conditional", condition="Library use only")
    answers = [m.message_info for m, _, _ in peer.received if isinstance(m, SupplyingAgencyMessage)]
    assert (answers[0].reason_unfilled, answers[0].note) == ("PoorCondition", "Water damage")
    assert (answers[1].reason_retry, answers[1].note) == ("LoanCondition", "Library use only")


def test_the_partner_cancels_before_shipping_and_is_answered(there, peer):
    lending = Lending(there, peer)
    request_id = lending.request.id
    assert lending.says("Cancel", note="Patron no longer needs it")[2].ok
    assert there.shared.ill.store.get(request_id).state.name == "Cancelled/closed"
    there.send()
    assert lending.answers()[-1] == ("CancelResponse", "Cancelled")


def test_a_status_request_gets_the_status(there, peer):
    lending = Lending(there, peer)
    lending.staff("WillSupply")
    assert lending.says("StatusRequest")[2].ok
    there.send()
    assert lending.answers()[-1] == ("StatusRequestResponse", "WillSupply")


def test_an_action_the_state_does_not_allow_is_refused_and_changes_nothing(there, peer):
    lending = Lending(there, peer)
    status, _, confirmation = lending.says("ShippedReturn")  # it was never shipped
    assert status == 200 and not confirmation.ok
    assert lending.request.state.name == "RequestReceived/with_lender"


def test_the_same_request_twice_makes_one_request(there, peer):
    Lending(there, peer)
    again = Lending(there, peer)
    assert again.confirmation.ok and len(there.lending("east")) == 1
    steps = there.timeline(again.request.id)
    assert steps[:2] == ["Place", "SendToLender"] and set(steps[2:]) <= {"Notification"}


def test_a_request_for_a_library_that_is_not_fedcats_is_refused(there, peer):
    message = peer.request(AgencyId("ISIL", "XX-NOWHERE"), "NORTH-REQ-9", "Kind of blue")
    status, _, confirmation = peer.send(message, there.url + "/iso18626", SECRET)
    assert status == 200 and not confirmation.ok
    assert there.lending("east") == []


def test_a_request_while_search_is_down_is_a_503_and_changes_nothing(
    database, peer, tmp_path, monkeypatch
):
    """The work a partner's request cites cannot be looked up while the engine is away: the
    answer is a 503 with Retry-After (the partner's system sends the message again), not an
    ERROR confirmation, which would end the request there for good."""
    from config.settings import Settings
    from indexer.es_engine import ElasticsearchEngine
    from search_ui.app import create_app
    from tests.fixtures.live import serve_wsgi

    partners = [iso_partner("north", str(NORTH), peer.url), fedcat_partner("east", str(EAST))]
    monkeypatch.setenv(partners[0].ill.secret_env, SECRET)
    away = ElasticsearchEngine("http://127.0.0.1:9", "fedcat-away", timeout=1)  # nothing there
    settings = Settings(data_dir=tmp_path, rate_limit=None, database=database)
    app = create_app(settings, engine=away, partners=partners)
    with serve_wsgi(app) as url:
        message = peer.request(EAST, "NORTH-REQ-9", "Kind of blue", isbn="9780000000002")
        status, body, confirmation = peer.send(message, url + "/iso18626", SECRET)
        assert status == 503 and confirmation is None, body
        with app.app_context():
            from search_ui.extension import fedcat

            assert fedcat().ill.store.find_by_peer_id("north", "NORTH-REQ-9") is None
