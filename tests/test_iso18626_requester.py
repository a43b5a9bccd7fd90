"""fedcat as requester: North's patron borrows from East, whose own ILL system is a scripted
ISO 18626 peer on loopback. Each scenario of the issue, with the request's state and timeline
asserted afterwards, on both request stores; every message on the wire validates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ill.states import Role
from iso18626.messages import AgencyId, RequestingAgencyMessage
from iso18626.messages import Request as IsoRequest
from tests.fixtures.iso_peer import IsoPeer
from tests.fixtures.iso_web import SECRET, fedcat_partner, iso_partner

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.ill_web", "tests.fixtures.iso_web"]
EAST = AgencyId("ISIL", "XX-EAST")
DUE = datetime(2099, 1, 31, 12, tzinfo=UTC)


@pytest.fixture
def peer():
    with IsoPeer(agency=EAST, secret=SECRET) as running:
        yield running


@pytest.fixture
def here(consortia, database, peer):
    return consortia("here", database, [
        fedcat_partner("north"), fedcat_partner("south"),
        iso_partner("east", str(EAST), peer.url),
    ])  # fmt: skip


class Borrowing:
    """North's request to East, and what East's system says back."""

    def __init__(self, here, peer):
        self.here, self.peer = here, peer
        self.request = here.place()
        assert self.request.lender == "east"
        assert here.send().sent == 1
        self.sent = self.received_by_peer(IsoRequest)

    def received_by_peer(self, kind):
        found = [message for message, _, _ in self.peer.received if isinstance(message, kind)]
        assert found, f"the peer got a {kind.__name__}"
        return found[-1]

    def answer(self, status: str, reason: str = "StatusChange", **fields):
        message = self.peer.supplying(self.sent.header, status, reason_for_message=reason, **fields)
        http_status, _, confirmation = self.peer.send(message, self.here.url + "/iso18626", SECRET)
        assert http_status == 200
        return confirmation

    def borrower(self, action: str, **details):
        self.here.act(self.request.id, "north", Role.borrower, action, **details)
        return self.here.send()

    @property
    def now(self):
        return self.here.get(self.request.id)

    def actions(self):
        return self.here.timeline(self.request.id)


@pytest.fixture
def loan(here, peer):
    return Borrowing(here, peer)


def test_the_request_east_receives_names_the_work_and_no_patron(loan, peer):
    sent = loan.sent
    assert sent.header.supplying_agency == EAST
    assert sent.header.requesting_agency == AgencyId("FEDCAT", "north")
    assert sent.header.requesting_agency_request_id == loan.request.id
    assert sent.bibliographic_info.title == "Kind of blue"
    assert sent.bibliographic_info.supplier_unique_record_id == "e1"
    assert sent.service_info.service_type == "Loan" and sent.service_info.request_type == "New"
    [(_, raw, _)] = peer.received
    assert b"N0042-7731" not in raw and b"patronInfo" not in raw
    assert peer.invalid == []


def test_loaned_then_completed(loan, peer):
    assert loan.answer("WillSupply", "RequestResponse").ok
    assert loan.answer("Loaned", due_date=DUE).ok
    assert loan.now.state.name == "Loaned/in_transit" and str(loan.now.due_date) == "2099-01-31"
    assert loan.borrower("Received").sent == 1
    for step in ("OnHoldShelf", "LentToPatron", "ReturnedByPatron"):
        assert loan.borrower(step).sent == 0
    assert loan.borrower("ShippedReturn").sent == 1
    actions = [m.action for m, _, _ in peer.received if isinstance(m, RequestingAgencyMessage)]
    assert actions == ["Received", "ShippedReturn"]
    assert loan.answer("LoanCompleted").ok
    assert loan.now.state.name == "LoanCompleted/closed"
    assert loan.actions() == [
        "Place", "SendToLender", "WillSupply", "Shipped", "Received", "OnHoldShelf",
        "LentToPatron", "ReturnedByPatron", "ShippedReturn", "CheckedIn",
    ]  # fmt: skip
    loan.here.assert_wire_valid(loan.request.id)
    assert peer.invalid == []


def test_unfilled_with_a_reason_passes_the_request_on(loan):
    assert loan.answer("Unfilled", "RequestResponse", reason_unfilled="NotFoundAsCited").ok
    assert loan.now.lender == "south" and loan.now.state.name == "RequestReceived/with_lender"
    event = next(e for e in loan.here.shared.ill.store.timeline(loan.request.id)
                 if e.action.value == "CannotSupply")  # fmt: skip
    assert (event.reason, event.lender, event.actor) == ("NotFoundAsCited", "east", str(EAST))


def test_retry_possible_with_a_condition_then_accepted_and_loaned(loan, peer):
    answer = loan.answer("RetryPossible", "RequestResponse", reason_retry="LoanCondition",
                         note="Library use only")  # fmt: skip
    assert answer.ok and loan.now.state.name == "RetryPossible/with_lender"
    assert loan.now.loan_condition == "Library use only"
    assert loan.borrower("AcceptCondition").sent == 1
    retry = loan.received_by_peer(IsoRequest)
    assert retry.service_info.request_type == "Retry"
    assert "Library use only" in retry.service_info.note
    assert loan.answer("Loaned", due_date=DUE).ok
    assert loan.now.state.name == "Loaned/in_transit"


def test_will_supply_then_unfilled_passes_the_request_on(loan):
    assert loan.answer("WillSupply", "RequestResponse").ok  # no ExpectToSupply first (Alma)
    assert loan.answer("Unfilled", "StatusChange", reason_unfilled="NotOnShelf").ok
    assert loan.now.lender == "south"
    assert loan.actions()[2:] == ["WillSupply", "CannotSupply", "SendToLender"]


def test_recalled_while_with_the_borrower(loan):
    loan.answer("Loaned", due_date=DUE)
    loan.borrower("Received")
    assert loan.answer("Recalled", note="Needed for a course").ok
    assert loan.now.state.name == "Recalled/received"
    assert loan.actions()[-1] == "Recall"


def test_overdue_then_renewed(loan, peer):
    loan.answer("Loaned", due_date=DUE)
    loan.borrower("Received")
    assert loan.answer("Overdue").ok and loan.now.state.name == "Overdue/received"
    assert loan.borrower("Renew").sent == 1
    assert loan.received_by_peer(RequestingAgencyMessage).action == "Renew"
    later = DUE + timedelta(days=28)
    assert loan.answer("Loaned", "RenewResponse", answer=True, due_date=later).ok
    assert loan.now.state.name == "Loaned/received" and str(loan.now.due_date) == "2099-02-28"
    assert loan.actions()[-3:] == ["MarkOverdue", "Renew", "RenewAccepted"]


def test_cancel_goes_to_east_and_its_answer_is_noted(loan, peer):
    assert loan.borrower("Cancel").sent == 1
    assert loan.received_by_peer(RequestingAgencyMessage).action == "Cancel"
    assert loan.now.state.name == "Cancelled/closed"
    assert loan.answer("Cancelled", "CancelResponse", answer=True).ok
    assert loan.actions()[-2:] == ["Cancel", "Notification"]


def test_a_notification_without_a_change_is_noted_and_changes_nothing(loan):
    before = loan.now.state
    assert loan.answer("RequestReceived", "Notification", note="Looking in the stacks").ok
    assert loan.now.state == before
    last = loan.here.shared.ill.store.timeline(loan.request.id)[-1]
    assert (last.action.value, last.note) == ("Notification", "Looking in the stacks")


def test_a_status_the_state_does_not_allow_is_refused_and_changes_nothing(loan):
    answer = loan.answer("LoanCompleted")  # never shipped
    assert not answer.ok and answer.errors[0].error_type == "UnsupportedActionType"
    assert loan.now.state.name == "RequestReceived/with_lender"
    assert loan.actions() == ["Place", "SendToLender"]


def test_the_same_message_twice_is_confirmed_twice_and_applied_once(loan, peer):
    message = peer.supplying(loan.sent.header, "WillSupply", reason_for_message="RequestResponse")
    first = peer.send(message, loan.here.url + "/iso18626", SECRET)
    second = peer.send(message, loan.here.url + "/iso18626", SECRET)
    assert first[2].ok and second[2].ok
    assert loan.actions() == ["Place", "SendToLender", "WillSupply"]


def test_a_message_for_an_unknown_request_is_an_error(loan, peer):
    header = loan.sent.header.__class__(
        **{**loan.sent.header.__dict__, "requesting_agency_request_id": "ill-nosuch"}
    )
    message = peer.supplying(header, "WillSupply", reason_for_message="RequestResponse")
    status, _, confirmation = peer.send(message, loan.here.url + "/iso18626", SECRET)
    assert status == 200 and not confirmation.ok
    assert confirmation.errors[0].error_type == "UnrecognisedDataValue"
    assert loan.actions() == ["Place", "SendToLender"]


def test_a_forged_message_without_the_secret_is_refused(loan, peer):
    message = peer.supplying(loan.sent.header, "Loaned", reason_for_message="StatusChange",
                             due_date=DUE)  # fmt: skip
    for secret in ("", "not-the-shared-secret-at-all"):
        status, _, confirmation = peer.send(message, loan.here.url + "/iso18626", secret)
        assert status == 401 and confirmation is not None and not confirmation.ok
    assert loan.now.state.name == "RequestReceived/with_lender"


@pytest.mark.parametrize("mode", ["http500", "garbage", "down"])
def test_a_peer_that_answers_500_or_garbage_or_is_down_gets_the_message_later(here, peer, mode):
    peer.mode = mode
    placed = here.place()
    report = here.send()
    assert (report.sent, report.retry) == (0, 1)
    [attempt] = here.log(placed.id)
    assert attempt.status != "OK" and here.queue(placed.id)[0]["attempts"] == 1
    peer.mode = "ok"
    assert here.send(later=timedelta(minutes=5)).sent == 1
    assert [e.status for e in here.log(placed.id)][-1] == "OK"
    assert here.send(later=timedelta(hours=2)).sent == 0
    assert len([m for m, _, _ in peer.received if isinstance(m, IsoRequest)]) == (
        1 if mode == "down" else 2
    )  # a peer that answered 500 or garbage did get the first copy


def test_an_error_confirmation_is_not_retried_and_the_timeline_says_so(here, peer):
    peer.mode = "error"
    placed = here.place()
    report = here.send()
    assert (report.sent, report.refused) == (0, 1)
    assert here.send(later=timedelta(hours=2)).sent == 0
    note = here.shared.ill.store.timeline(placed.id)[-1]
    assert note.action.value == "Notification" and note.reason == "PeerRefused"


def test_staff_read_the_message_log_and_a_peers_words_stay_text(loan):
    loan.answer("WillSupply", "RequestResponse", note="<script>alert(1)</script> on its way")
    staff = loan.here.staff("north", "north-desk")
    page = staff.get(f"/staff/requests/{loan.request.id}").get_data(as_text=True)
    assert "Messages with the partner" in page and "RequestResponse: WillSupply" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    other = loan.here.staff("south", "south-desk")
    assert other.get(f"/staff/requests/{loan.request.id}").status_code == 404


def test_a_notification_with_no_status_is_taken_and_its_oddness_noted(loan, peer):
    import urllib.request

    from iso18626.codec import encode

    message = peer.supplying(loan.sent.header, "WillSupply", reason_for_message="Notification",
                             note="Shelf checked")  # fmt: skip
    body = encode(message).replace(b"<status>WillSupply</status>", b"<status></status>")
    request = urllib.request.Request(loan.here.url + "/iso18626", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {SECRET}"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200 and b"<messageStatus>OK</messageStatus>" in answer.read()
    events = loan.here.shared.ill.store.timeline(loan.request.id)
    assert [(e.action.value, e.reason) for e in events[-2:]] == [
        ("Notification", ""), ("Notification", "PeerOddity")
    ]  # fmt: skip
    assert events[-2].note == "Shelf checked" and "no status" in events[-1].note
    assert loan.now.state.name == "RequestReceived/with_lender"
