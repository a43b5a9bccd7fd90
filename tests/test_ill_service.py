"""The operations the web layer calls, with every rule, on both request stores."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from ill.errors import (
    ActionNotAllowed,
    BadArguments,
    IllError,
    NotPermitted,
    RequestConflict,
    RequestRefused,
)
from ill.model import Citation, Closure, LendingRules
from ill.service import IllService, IllSettings
from ill.states import Action, Role, Stage, Status
from tests.fixtures.ill_builders import holdings, patron, staff

pytest_plugins = ["tests.fixtures.ill_stores"]

LENDER = {lib: staff(lib, Role.lender) for lib in ("south", "east", "west")}
BORROWER = staff("north", Role.borrower)


@pytest.fixture
def ill(store, clock):
    return IllService(store, IllSettings(answer_days=3), clock=clock)


def place(ill, work="w1", who=None, **statuses):
    return ill.place_request(
        who or patron(),
        work_id=work,
        title="Gödel, Escher, Bach",
        holdings=holdings(**(statuses or {"south": "available", "east": "on_loan"})),
        pickup_location="North main desk",
    )


def test_placing_sends_to_the_first_lender_with_its_reason(ill):
    request = place(ill)
    assert (request.state.status, request.lender) == (Status.RequestReceived, "south")
    timeline = ill.timeline(request.id, patron())
    assert [e.action for e in timeline] == [Action.Place, Action.SendToLender]
    assert timeline[1].note.startswith("#1: available copy at South")
    assert [r.id for r in ill.lending_queue("south")] == [request.id]


def test_own_available_copy_is_refused_with_where_it_is(ill):
    with pytest.raises(RequestRefused, match=r"own library has an available copy \(Stacks, QA76"):
        place(ill, north="available", south="available")
    assert ill.requests_for_patron(patron()) == []


def test_second_open_request_for_same_work_is_refused_until_the_first_closes(ill):
    first = place(ill)
    with pytest.raises(RequestRefused, match=f"already have an open request.*{first.id}"):
        place(ill)
    ill.act(first.id, patron(), "Cancel")
    assert place(ill).id != first.id
    other_library_same_card = patron("P100", "west")
    assert place(ill, who=other_library_same_card).borrowing_library == "west"


def test_a_loan_end_to_end_records_every_step_in_the_timeline(ill, clock):
    request = place(ill)
    south = LENDER["south"]
    ill.act(request.id, south, "WillSupply")
    shipped = ill.act(request.id, south, "Shipped", due_date="2025-04-01")
    assert (shipped.state.status, shipped.due_date) == (Status.Loaned, date(2025, 4, 1))
    for action in ("Received", "OnHoldShelf", "LentToPatron"):
        ill.act(request.id, BORROWER, action)
    ill.act(request.id, patron(), "Renew")
    renewed = ill.act(request.id, south, "RenewAccepted", due_date=date(2025, 4, 20))
    assert renewed.due_date == date(2025, 4, 20) and not renewed.state.renewal_pending
    for action in ("ReturnedByPatron", "ShippedReturn"):
        ill.act(request.id, BORROWER, action)
    done = ill.act(request.id, south, "CheckedIn")
    assert done.state.status is Status.LoanCompleted and not done.is_open
    events = ill.timeline(request.id, BORROWER)
    assert [e.to_state for e in events[:-1]] == [e.from_state for e in events[1:]]
    assert events[-1].to_state == done.state and len(events) == 12


def test_cannot_supply_passes_on_and_end_of_rota_tells_the_patron_why(ill):
    request = place(ill, south="available", east="on_loan", ref="not_loanable")
    moved = ill.act(request.id, LENDER["south"], "CannotSupply", reason="Damaged", note="spine")
    assert moved.lender == "east" and moved.state.status is Status.RequestReceived
    with pytest.raises(BadArguments, match="reason Other needs a note"):
        ill.act(request.id, LENDER["east"], "CannotSupply", reason="Other")
    final = ill.act(request.id, LENDER["east"], "CannotSupply", reason="NotForLoan")
    assert final.state.status is Status.Unfilled and final.state.stage is Stage.closed
    assert final.outcome_note == (
        "No library could supply this. Asked: south: PoorCondition (spine); "
        "east: NotAvailableForILL. Not asked: ref: holds no copy that may be lent (not loanable)."
    )


def test_no_candidate_at_all_closes_at_once_with_the_reason(ill):
    request = place(ill, ref="not_loanable")
    assert request.state.status is Status.Unfilled and not request.is_open
    assert "ref: holds no copy that may be lent" in request.outcome_note


def test_silent_lender_is_passed_over_after_the_configured_days(ill, clock):
    request = place(ill)
    clock.advance(days=2, hours=23)
    assert ill.expire_unanswered() == []
    clock.advance(hours=2)
    (moved,) = ill.expire_unanswered()
    assert (moved.id, moved.lender) == (request.id, "east")
    expired = ill.timeline(request.id, patron())[-2]
    assert (expired.action, expired.lender, expired.reason) == (Action.Expire, "south", "NoAnswer")


def test_an_answered_request_does_not_expire(ill, clock):
    request = place(ill)
    ill.act(request.id, LENDER["south"], "ExpectToSupply")
    clock.advance(days=10)
    assert ill.expire_unanswered() == []
    assert ill.get(request.id, BORROWER).lender == "south"


def test_lender_closed_or_full_when_its_turn_comes_is_skipped(ill, clock):
    ill.set_rules(LendingRules("east", daily_cap=1))
    request = place(ill)  # south first, east second
    place(ill, work="w-other", who=patron("P7"), east="available")  # east's one for today
    moved = ill.act(request.id, LENDER["south"], "CannotSupply", reason="NotOnShelf")
    assert not moved.is_open
    assert moved.skipped[-1].reason == "when its turn came: reached its daily cap of 1 new requests"


def test_closed_lender_is_not_asked_at_placement(ill, clock):
    closure = Closure(clock.now.date(), clock.now.date() + timedelta(days=3), "stocktaking")
    ill.set_rules(LendingRules("south", closures=(closure,)))
    request = place(ill)
    assert request.lender == "east"
    assert request.skipped[0].reason.startswith("closed from 2025-03-03 to 2025-03-06")


def test_conditional_offer_accepted_or_refused_by_the_borrower(ill):
    request = place(ill)
    offer = ill.act(request.id, LENDER["south"], "Conditional", condition="library use only")
    assert (offer.state.status, offer.loan_condition) == (Status.RetryPossible, "library use only")
    refused = ill.act(request.id, BORROWER, "RejectCondition", note="patron needs it at home")
    assert refused.lender == "east"
    ill.act(request.id, LENDER["east"], "Conditional", condition="no photocopying")
    accepted = ill.act(request.id, BORROWER, "AcceptCondition")
    assert accepted.state.status is Status.WillSupply and accepted.lender == "east"


def test_copy_request_needs_a_citation_and_completes_on_delivery(ill):
    def ask(citation):
        return ill.place_request(
            patron(), work_id="j1", title="Journal", holdings=holdings(south="available"),
            service="Copy", citation=citation,
        )  # fmt: skip

    with pytest.raises(BadArguments, match="needs a citation"):
        ask(None)
    request = ask(Citation("On computable numbers", pages="230-265", year="1936"))
    with pytest.raises(ActionNotAllowed, match="cannot Shipped a copy request"):
        ill.act(request.id, LENDER["south"], "Shipped")
    done = ill.act(request.id, LENDER["south"], "CopyDelivered")
    assert done.state.status is Status.CopyCompleted and not done.is_open


def test_only_the_request_parties_may_act_and_see_it(ill):
    request = place(ill)
    for outsider in (patron("P999"), staff("west", Role.lender), staff("south", Role.borrower)):
        with pytest.raises(NotPermitted):
            ill.act(request.id, outsider, "Cancel")
        with pytest.raises(NotPermitted):
            ill.get(request.id, outsider)
    with pytest.raises(NotPermitted, match="done by fedcat itself"):
        ill.act(request.id, staff("south", Role.system), "Expire")


def test_refusals_are_typed_and_change_nothing(ill):
    request = place(ill)
    before = ill.timeline(request.id, BORROWER)
    attempts = [
        (BORROWER, "Received", {}, ActionNotAllowed),
        (LENDER["south"], "Fly", {}, BadArguments),
        (LENDER["south"], "Shipped", {"due_date": "soon"}, BadArguments),
        (LENDER["south"], "Shipped", {"due_date": "2025-03-01"}, BadArguments),
        (LENDER["south"], "WillSupply", {"colour": "red"}, BadArguments),
        (LENDER["south"], "CannotSupply", {"reason": "Bored"}, BadArguments),
        (LENDER["south"], "Conditional", {"condition": "  "}, BadArguments),
    ]
    for actor, action, details, error in attempts:
        with pytest.raises(error) as refused:
            ill.act(request.id, actor, action, **details)
        assert isinstance(refused.value, IllError) and refused.value.message
    assert ill.timeline(request.id, BORROWER) == before
    assert ill.get(request.id, BORROWER).version == request.version


def test_overdue_loans_are_marked_and_can_be_renewed_back_to_loaned(ill, clock):
    request = place(ill)
    ill.act(request.id, LENDER["south"], "Shipped", due_date="2025-03-10")
    clock.advance(days=8)
    assert ill.mark_overdue() == []  # still in transit: not at the borrower yet
    ill.act(request.id, BORROWER, "Received")
    (late,) = ill.mark_overdue()
    assert late.state.status is Status.Overdue
    ill.act(request.id, BORROWER, "Renew")
    renewed = ill.act(request.id, LENDER["south"], "RenewAccepted")
    assert renewed.state.status is Status.Loaned and renewed.due_date == date(2025, 4, 8)


def test_lists_for_patron_lender_and_borrowing_library(ill):
    mine = place(ill, work="w1")
    theirs = place(ill, work="w2", who=patron("P5", "west"), south="available")
    assert [r.id for r in ill.requests_for_patron(patron())] == [mine.id]
    assert {r.id for r in ill.lending_queue("south")} == {mine.id, theirs.id}
    assert [r.id for r in ill.borrowing_requests("west")] == [theirs.id]


def test_two_staff_acting_at_once_one_wins_the_other_is_refused(store_factory, clock):
    """Two web hosts (own stores) answer the same request in the same instant."""
    hosts = [IllService(store_factory.open(), clock=clock) for _ in range(3)]
    request = place(hosts[0])
    barrier, outcomes = threading.Barrier(len(hosts)), []

    def answer(service, action):
        barrier.wait()
        try:
            service.act(request.id, LENDER["south"], action)
            outcomes.append("won")
        except (RequestConflict, ActionNotAllowed) as refused:
            assert refused.http_status == 409 and refused.message
            outcomes.append(type(refused).__name__)

    # the same answer three times: whatever the threads' timing, one may be applied (WillSupply
    # cannot follow WillSupply), so a host reading after the winner's commit is refused too
    actions = ["WillSupply"] * 3
    threads = [
        threading.Thread(target=answer, args=pair) for pair in zip(hosts, actions, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("won") == 1 and len(outcomes) == 3
    events = hosts[0].timeline(request.id, BORROWER)
    assert len(events) == 3 and events[-1].to_state == hosts[0].get(request.id, BORROWER).state
