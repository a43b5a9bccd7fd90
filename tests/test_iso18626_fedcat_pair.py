"""fedcat as requester against fedcat as supplier, over ISO 18626 on loopback HTTP.

Two installations, each with its own data directory and request store. In "here", North's
patron borrows; East runs its own ILL system, which is the other fedcat ("there"), where East's
staff work the lending queue. Each side sees the other as an ISO 18626 partner.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from ill.states import Role
from tests.fixtures.iso_web import fedcat_partner, iso_partner
from tests.fixtures.live import free_port

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.ill_web", "tests.fixtures.iso_web"]
EAST, NORTH = "ISIL:XX-EAST", "FEDCAT:north"


@pytest.fixture
def pair(consortia, database, tmp_path):
    url_of = consortia.url_of
    here = consortia("here", database, [
        fedcat_partner("north"), fedcat_partner("south"),
        iso_partner("east", EAST, url_of("there") + "/iso18626"),
    ])  # fmt: skip
    there_db = str(Path(tmp_path) / "there.sqlite")
    there = consortia("there", there_db, [
        iso_partner("north", NORTH, url_of("here") + "/iso18626"), fedcat_partner("south"),
        fedcat_partner("east", EAST),
    ])  # fmt: skip
    return here, there


def test_a_loan_goes_there_and_back_and_both_timelines_tell_it(pair):
    here, there = pair
    mine = here.place()
    assert mine.lender == "east" and here.queue(mine.id)[0]["kind"] == "request"
    assert here.send().sent == 1

    [theirs] = there.lending("east")
    assert theirs.borrowing_library == "north" and theirs.peer_request_id == mine.id
    assert theirs.rota[0].call_number == "ML419 .D39"  # found in the union catalogue
    there.act(theirs.id, "east", Role.lender, "WillSupply")
    there.act(theirs.id, "east", Role.lender, "Shipped", due_date="2099-01-31")
    assert there.send().sent == 2

    mine = here.get(mine.id)
    assert mine.state.name == "Loaned/in_transit" and str(mine.due_date) == "2099-01-31"
    assert mine.peer_request_id == theirs.id
    for action in ("Received", "OnHoldShelf", "LentToPatron", "ReturnedByPatron", "ShippedReturn"):
        here.act(mine.id, "north", Role.borrower, action)
    assert here.send().sent == 2  # Received and ShippedReturn; the local steps send nothing
    assert there.get(theirs.id).state.name == "Loaned/shipped_back"

    there.act(theirs.id, "east", Role.lender, "CheckedIn")
    assert there.send().sent == 1
    assert here.get(mine.id).state.name == "LoanCompleted/closed"
    assert here.timeline(mine.id) == [
        "Place", "SendToLender", "WillSupply", "Shipped", "Received", "OnHoldShelf",
        "LentToPatron", "ReturnedByPatron", "ShippedReturn", "CheckedIn",
    ]  # fmt: skip
    assert there.timeline(theirs.id) == [
        "Place", "SendToLender", "WillSupply", "Shipped", "Received", "ShippedReturn", "CheckedIn",
    ]  # fmt: skip
    lender_events = [e for e in here.shared.ill.store.timeline(mine.id) if e.role is Role.lender]
    assert {e.actor for e in lender_events} == {EAST}
    here.assert_wire_valid(mine.id)
    there.assert_wire_valid(theirs.id)
    assert [(e.direction, e.status) for e in here.log(mine.id)][:2] == [("out", "OK"), ("in", "OK")]


def test_cannot_supply_there_passes_the_request_on_here(pair):
    here, there = pair
    mine = here.place()
    here.send()
    [theirs] = there.lending("east")
    there.act(theirs.id, "east", Role.lender, "CannotSupply", reason="NotOnShelf")
    there.send()
    mine = here.get(mine.id)
    assert mine.lender == "south" and mine.state.name == "RequestReceived/with_lender"
    cannot = [
        e for e in here.shared.ill.store.timeline(mine.id) if e.action.value == "CannotSupply"
    ]
    assert cannot[0].reason == "NotOnShelf" and cannot[0].lender == "east"


def test_a_peer_that_is_down_gets_the_messages_later_once_and_in_order(pair):
    here, there = pair
    mine = here.place()
    here.act(mine.id, "north", Role.borrower, "StatusRequest")  # a second message queued behind
    reachable = here.partners
    down = replace(reachable[2].ill, endpoint=f"http://127.0.0.1:{free_port()}/iso18626")
    here.partners = [*reachable[:2], replace(reachable[2], ill=down)]
    report = here.send()
    assert (report.sent, report.retry) == (0, 1)  # the second waits behind the first
    assert here.send().sent == 0  # not due yet: the retry waits a minute
    assert [e.status for e in here.log(mine.id)] == ["unreachable"]
    assert there.lending("east") == []

    here.partners = reachable  # East's system is back
    assert here.send(later=timedelta(minutes=2)).sent == 2
    assert here.send(later=timedelta(hours=1)).sent == 0  # nothing twice
    [theirs] = there.lending("east")
    assert there.timeline(theirs.id) == ["Place", "SendToLender", "StatusRequest"]
    assert there.send().sent == 1  # the StatusRequestResponse
    assert here.timeline(mine.id)[-1] == "Notification"
