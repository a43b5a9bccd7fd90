"""Copies: the lender's PDF scan, the patron's download until it expires, the CONTU count."""

from __future__ import annotations

import io

import pytest

from ill.copies import Copies, CopySettings, journal_key
from ill.errors import CopyGone, NotPermitted, RequestNotFound, ScanRefused
from ill.model import Citation
from ill.service import IllService
from ill.states import Role, Status
from tests.fixtures.ill_builders import holdings, patron, staff

pytest_plugins = ["tests.fixtures.ill_stores"]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SOUTH = staff("south", Role.lender)


@pytest.fixture
def copies(store, clock, tmp_path):
    service = IllService(store, clock=clock)
    return Copies(service, CopySettings(tmp_path / "copies", days=14, limit=2, max_bytes=1024))


def ask(copies, work="w1", card="P100", issn="0028-0836", year="2024", library="north"):
    citation = Citation("An article", source_title="Nature", issn=issn, year=year)
    return copies.service.place_request(
        patron(card, library), work_id=work, title="Nature", service="Copy", citation=citation,
        holdings=holdings(south="available"),
    )  # fmt: skip


def test_upload_completes_the_request_and_only_its_patron_downloads(copies, clock):
    request = ask(copies)
    copy = copies.upload(request.id, SOUTH, io.BytesIO(PDF), "application/pdf", clock())
    assert copy.path.read_bytes() == PDF and copy.path.parent.name == "copies"
    assert copies.service.store.get(request.id).state.status is Status.CopyCompleted
    assert copies.for_patron(request.id, patron(), clock()).path == copy.path
    for other in (patron("P999"), patron("P100", "east"), SOUTH, staff("north", Role.borrower)):
        with pytest.raises(RequestNotFound):
            copies.for_patron(request.id, other, clock())
    clock.advance(days=14)
    with pytest.raises(CopyGone):
        copies.for_patron(request.id, patron(), clock())
    assert copies.delete_expired(clock()) == 1 and not copy.path.exists()
    assert copies.delete_expired(clock()) == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [(PDF, "text/plain", 415), (b"<html>", "application/pdf", 415),
     (PDF + b"x" * 2000, "application/pdf", 413)],
)  # fmt: skip
def test_a_bad_scan_is_refused_and_nothing_is_kept(copies, clock, data, content_type, status):
    request = ask(copies)
    with pytest.raises(ScanRefused) as refused:
        copies.upload(request.id, SOUTH, io.BytesIO(data), content_type, clock())
    assert refused.value.http_status == status
    assert copies.find(request.id) is None
    assert copies.service.store.get(request.id).state.status is Status.RequestReceived


def test_only_the_lending_library_uploads(copies, clock):
    request = ask(copies)
    for actor in (staff("east", Role.lender), staff("north", Role.borrower)):
        with pytest.raises(NotPermitted):
            copies.upload(request.id, actor, io.BytesIO(PDF), "application/pdf", clock())
    assert copies.find(request.id) is None


def test_contu_warns_past_the_limit_per_journal_year_and_library(copies, clock):
    first, second = ask(copies, "w1"), ask(copies, "w2", issn="00280836")
    old = ask(copies, "w3", year="2010")  # older than five years: not counted
    other_library = ask(copies, "w4", card="P5", library="east")
    assert copies.contu_check(second).count == 2 and not copies.contu_check(second).past_limit
    third = ask(copies, "w5", issn="", year="")  # no ISSN: counted by title apart
    assert journal_key(third.citation) == "title:nature"
    assert copies.contu_check(third).count == 1  # an unknown year counts
    assert copies.contu_check(other_library).count == 1
    fourth = ask(copies, "w6")
    check = copies.contu_check(fourth)
    assert (check.journal, check.count, check.limit, check.past_limit) == (
        "issn:0028-0836", 3, 2, True,
    )  # fmt: skip
    assert copies.contu_check(old).count == 3 and first.id
    clock.advance(days=365)
    assert copies.contu_check(ask(copies, "w7", year="2025")).count == 1
