"""`POST /iso18626` against hostile and broken input: every answer is an ERROR confirmation that
says why, nothing changes, nothing is fetched, and the log keeps what came."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from ill.peers.store import PeerLog
from iso18626.codec import decode
from iso18626.messages import Confirmation
from iso18626.schema import validate
from tests.fixtures.iso_web import SECRET, fedcat_partner, iso_partner

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.ill_web", "tests.fixtures.iso_web"]
NS = "http://illtransactions.org/2013/iso18626"


@pytest.fixture
def there(consortia, web_sqlite, tmp_path):
    return consortia("there", str(tmp_path / "there.sqlite"), [
        iso_partner("north", "ISIL:XX-NORTH", "http://127.0.0.1:9/iso18626"),
        fedcat_partner("east", "ISIL:XX-EAST"),
    ])  # fmt: skip


def post(url: str, body: bytes, secret: str | None = SECRET) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/xml"}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    request = urllib.request.Request(url + "/iso18626", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def error_of(body: bytes) -> tuple[str, str]:
    assert validate(body) == [], "even an ERROR confirmation is a valid message"
    confirmation = decode(body)
    assert isinstance(confirmation, Confirmation) and confirmation.message_status == "ERROR"
    return confirmation.errors[0].error_type, confirmation.errors[0].error_value


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b"<ISO18626Message xmlns='" + NS.encode() + b"' version='1.2'><request>",
        b"<other xmlns='urn:x'/>",
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<ISO18626Message xmlns='" + NS.encode() + b"' version='1.2'>&b;</ISO18626Message>"
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<ISO18626Message xmlns='" + NS.encode() + b"' version='1.2'>&x;</ISO18626Message>"
        ),
    ],
    ids=["not-xml", "truncated", "wrong-namespace", "billion-laughs", "external-entity"],
)
def test_a_message_that_cannot_be_read_is_a_badly_formed_error(there, body):
    status, answer = post(there.url, body)
    assert status == 400
    error_type, _ = error_of(answer)
    assert error_type == "BadlyFormedMessage"
    assert b"root:" not in answer  # /etc/passwd was never read
    assert there.lending("east") == []
    logged = PeerLog(there.shared.ill.store).recent()
    assert logged and logged[0].status == "ERROR" and logged[0].direction == "in"


def test_a_body_over_the_limit_is_refused_before_it_is_read(there):
    status, answer = post(there.url, b"<x>" + b" " * 1_000_001 + b"</x>")
    assert status == 413 and error_of(answer)[0] == "BadlyFormedMessage"


def test_only_post_is_answered(there):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(there.url + "/iso18626", timeout=10)
    assert refused.value.code == 405
