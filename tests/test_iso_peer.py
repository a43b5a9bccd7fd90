"""The scripted ISO 18626 peer itself, over real loopback HTTP: it refuses senders without its
secret, keeps and validates what it receives, answers as its mode says, and its scenario
builders write messages the schema accepts."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from iso18626.codec import encode
from iso18626.messages import (
    AgencyId,
    Confirmation,
    ErrorData,
    Request,
    RequestingAgencyMessage,
    SupplyingAgencyMessage,
)
from iso18626.schema import assert_valid

if TYPE_CHECKING:
    from tests.fixtures.iso_peer import IsoPeer

pytest_plugins = ["tests.fixtures.iso_peer"]

FEDCAT = AgencyId("ISIL", "XX-NORTH")
OTHER = AgencyId("ISIL", "XX-OTHER")


@pytest.fixture
def peer(iso_peer):
    return iso_peer(agency=AgencyId("ISIL", "XX-PEER"), secret="s3cret")


@pytest.fixture
def sender(iso_peer):
    """A second peer that plays fedcat's side, sending to `peer`."""
    return iso_peer(agency=FEDCAT, secret="fedcat-secret")


def a_request(sender: IsoPeer, peer: IsoPeer, request_id: str = "fedcat-1") -> Request:
    return sender.request(peer.agency, request_id, "Bleak House", "Dickens", isbn="9780141439723")


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_peer_confirms_a_request_and_keeps_it(peer, sender):
    message = a_request(sender, peer)
    status, body, confirmation = sender.send(message, peer.url, "s3cret")
    assert status == 200
    assert_valid(body)
    assert isinstance(confirmation, Confirmation) and confirmation.ok
    assert confirmation.kind == "request"
    assert confirmation.requesting_agency_request_id == "fedcat-1"
    [(received, raw, headers)] = peer.received
    assert received == message and raw == encode(message)
    assert headers["Content-Type"] == "application/xml"
    assert peer.invalid == [] and sender.invalid == []


def test_the_peer_refuses_a_sender_without_its_secret(peer, sender):
    body = encode(a_request(sender, peer))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
        status, answer = post(peer.url, body, {"Content-Type": "application/xml", **headers})
        assert (status, answer) == (401, b"unauthorised")
    status, _body, confirmation = sender.send(a_request(sender, peer), peer.url, "nope")
    assert (status, confirmation) == (401, None)
    assert peer.received == [] and peer.unauthorised == 4


def test_the_peer_records_an_invalid_body_and_answers_with_an_error_confirmation(peer):
    body = encode(peer.supplying(a_request(peer, peer), "Loaned")).replace(b"Loaned", b"Lost")
    status, answer = post(peer.url, body, {"Authorization": "Bearer s3cret"})
    assert status == 200
    assert_valid(answer)
    assert b"<messageStatus>ERROR</messageStatus>" in answer
    assert b"UnrecognisedDataValue" in answer
    [(invalid_body, problems)] = peer.invalid
    assert invalid_body == body and "Lost" in problems[0]
    assert peer.received == []


def test_mode_down_refuses_connections_until_the_mode_changes(peer, sender):
    peer.mode = "down"
    with pytest.raises(urllib.error.URLError) as caught:
        sender.send(a_request(sender, peer), peer.url, "s3cret", timeout=2)
    assert isinstance(caught.value.reason, ConnectionRefusedError)
    peer.mode = "ok"
    status, _body, confirmation = sender.send(a_request(sender, peer), peer.url, "s3cret")
    assert status == 200 and confirmation is not None and confirmation.ok
    assert len(peer.received) == 1


def test_mode_http500_answers_500_with_text(peer, sender):
    peer.mode = "http500"
    status, body, confirmation = sender.send(a_request(sender, peer), peer.url, "s3cret")
    assert (status, body, confirmation) == (500, b"Internal Server Error", None)
    assert len(peer.received) == 1  # it did arrive


def test_mode_garbage_answers_200_with_a_body_that_is_not_xml(peer, sender):
    peer.mode = "garbage"
    status, body, confirmation = sender.send(a_request(sender, peer), peer.url, "s3cret")
    assert status == 200 and confirmation is None
    assert not body.startswith(b"<?xml") and b"ISO18626Message" not in body


def test_mode_error_answers_with_a_valid_error_confirmation(peer, sender):
    peer.mode = "error"
    peer.error = ErrorData("UnsupportedActionType", "Renew not possible now")
    message = sender.requesting("Renew", peer.agency, "fedcat-1")
    status, body, confirmation = sender.send(message, peer.url, "s3cret")
    assert status == 200
    assert_valid(body)
    assert confirmation is not None and not confirmation.ok
    assert confirmation.kind == "requestingAgencyMessage" and confirmation.action == "Renew"
    assert confirmation.errors == (ErrorData("UnsupportedActionType", "Renew not possible now"),)


def test_an_unknown_mode_is_refused(peer):
    with pytest.raises(ValueError, match="mode"):
        peer.mode = "sulking"  # type: ignore[assignment]
    assert peer.mode == "ok"


def test_the_peer_as_supplier_answers_with_ids_echoed_from_the_request(peer, sender):
    request = a_request(sender, peer, "fedcat-9")
    due = datetime.now(UTC) + timedelta(days=28)
    answer = peer.supplying(request.header, "Loaned", due_date=due, note="enjoy")
    assert isinstance(answer, SupplyingAgencyMessage)
    assert answer.header.supplying_agency == peer.agency
    assert answer.header.requesting_agency == FEDCAT
    assert answer.header.requesting_agency_request_id == "fedcat-9"
    assert answer.header.supplying_agency_request_id == "PEER-fedcat-9"
    assert answer.status_info.due_date == due and answer.delivery_info is not None
    status, _body, confirmation = peer.send(answer, sender.url, "fedcat-secret")
    assert status == 200 and confirmation is not None and confirmation.ok
    assert confirmation.reason_for_message == "StatusChange"
    assert sender.messages() == [answer]


@pytest.mark.parametrize(
    ("status", "kwargs"),
    [
        ("Unfilled", {"reason_for_message": "RequestResponse", "reason_unfilled": "NotOnShelf"}),
        ("RetryPossible", {"reason_for_message": "RequestResponse", "reason_retry": "OnLoan"}),
        ("WillSupply", {"reason_for_message": "RequestResponse"}),
        ("Recalled", {"note": "needed back"}),
        ("Overdue", {}),
        ("Loaned", {"reason_for_message": "RenewResponse", "answer": True}),
        ("Cancelled", {"reason_for_message": "CancelResponse", "answer": True}),
        ("LoanCompleted", {}),
    ],
)
def test_each_supplier_scenario_message_is_valid(peer, sender, status, kwargs):
    request = a_request(sender, peer)
    retry_after = datetime.now(UTC) + timedelta(days=7) if status == "RetryPossible" else None
    message = peer.supplying(request, status, retry_after=retry_after, **kwargs)
    assert_valid(encode(message))
    assert message.status_info.status == status


@pytest.mark.parametrize("action", ["Received", "ShippedReturn", "Cancel", "Renew", "Notification"])
def test_each_requester_scenario_message_is_valid(peer, action):
    message = peer.requesting(action, OTHER, "PEER-REQ-1", note="from the peer")
    assert isinstance(message, RequestingAgencyMessage)
    assert (message.header.requesting_agency, message.header.supplying_agency) == (
        peer.agency,
        OTHER,
    )
    assert_valid(encode(message))


def test_the_peer_can_be_used_as_a_context_manager_and_frees_its_port():
    from tests.fixtures.iso_peer import IsoPeer

    with IsoPeer(secret="x") as peer:
        status, _ = post(peer.url, b"", {"Authorization": "Bearer x"})
        assert status == 200  # an ERROR confirmation for the empty body
    with pytest.raises(urllib.error.URLError):
        post(peer.url, b"", {"Authorization": "Bearer x"})
