"""Copies on the web, route by route and role by role, on both stores: the lender uploads
the scan, the patron downloads it until it expires, borrowing staff see the CONTU warning.

Real app, real accounts and session cookies, real multipart uploads through the test client,
real files in the data directory, real request store on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ill import schema
from ill.copies import Copies
from ill.model import Actor, Citation, Request
from ill.states import Role, Status
from search_ui.copies import copies_of
from tests.fixtures.ill_web import PATRON_CARD, csrf_token

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.ill_web"]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def ask_copy(web, card: str = PATRON_CARD, issn: str = "0028-0836") -> Request:
    """A north patron's request for a copy of an article (its rota: south and east)."""
    payload = web.shared.engine.get(web.work_id)
    citation = Citation("On the liner notes", source_title="Jazz Review", issn=issn, year="2024")
    return web.shared.ill.place_request(
        Actor(card, Role.patron, "north"), work_id=web.work_id, title=payload["title"],
        holdings=payload["holdings"], service="Copy", citation=citation,
    )  # fmt: skip


def upload(web, client, request: Request, data: bytes = PDF, content_type="application/pdf"):
    """Send the scan the way the request page's form does (its CSRF token and version)."""
    page = client.get(f"/staff/requests/{request.id}")
    token = csrf_token(page.get_data(as_text=True)) if page.status_code == 200 else ""
    form = {"csrf_token": token or web.csrf_for(client), "version": str(request.version),
            "scan": (io.BytesIO(data), "scan.pdf", content_type)}  # fmt: skip
    return client.post(f"/staff/requests/{request.id}/scan", data=form,
                       content_type="multipart/form-data")  # fmt: skip


def delivered(web) -> tuple[Request, object]:
    """A copy request whose lender uploaded the scan; and the lender's client."""
    request = ask_copy(web)
    lender = web.staff(request.lender, "lender1")
    answer = upload(web, lender, request)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return web.get(request.id), lender


# the lender's upload -------------------------------------------------------------------------


def test_the_lender_sees_the_upload_form_and_its_scan_completes_the_request(web):
    request = ask_copy(web)
    lender = web.staff(request.lender, "lender1")
    page = lender.get(f"/staff/requests/{request.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="scan"' in page
    answer = upload(web, lender, request)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/staff/requests/{request.id}")
    assert web.get(request.id).state.status is Status.CopyCompleted
    copy = copies_of(web.shared).find(request.id)
    assert copy is not None and copy.path.read_bytes() == PDF
    assert copy.expires_at - copy.uploaded_at == timedelta(days=web.shared.settings.copy_days)
    # done: the form is gone from the page
    assert 'name="scan"' not in lender.get(f"/staff/requests/{request.id}").get_data(as_text=True)


def test_upload_authorisation_role_by_role(web):
    request = ask_copy(web)
    other = "east" if request.lender == "south" else "south"
    assert upload(web, web.client(), request).status_code == 401  # anonymous
    assert upload(web, web.patron(), request).status_code == 403  # the patron themself
    assert upload(web, web.staff(other, "stranger"), request).status_code == 404
    refused = upload(web, web.staff("north", "borrower1"), request)
    assert refused.status_code == 403  # the borrowing library sees it but does not supply
    assert "lending library" in refused.get_data(as_text=True)
    assert copies_of(web.shared).find(request.id) is None
    assert web.get(request.id).state.status is Status.RequestReceived


@pytest.mark.parametrize(
    ("data", "content_type", "status", "said"),
    [(PDF, "text/plain", 415, "PDF"), (b"<html>", "application/pdf", 415, "%PDF-"),
     (PDF + b"x" * (2 * 1024 * 1024), "application/pdf", 413, "1 MB")],
)  # fmt: skip
def test_a_bad_scan_is_refused_with_its_reason_and_nothing_kept(
    web_sqlite, data, content_type, status, said
):
    web = web_sqlite
    web.shared.settings = replace(web.shared.settings, copy_max_mb=1)
    request = ask_copy(web)
    lender = web.staff(request.lender, "lender1")
    answer = upload(web, lender, request, data, content_type)
    assert answer.status_code == status
    assert said in answer.get_data(as_text=True)
    assert copies_of(web.shared).find(request.id) is None
    assert not list((web.shared.settings.data_dir / "copies").glob("*"))
    assert web.get(request.id).state.status is Status.RequestReceived


def test_an_upload_without_its_csrf_token_or_from_a_stale_page_is_refused(web_sqlite):
    web = web_sqlite
    request = ask_copy(web)
    lender = web.staff(request.lender, "lender1")
    form = {
        "version": str(request.version),
        "scan": (io.BytesIO(PDF), "scan.pdf", "application/pdf"),
    }
    no_token = lender.post(f"/staff/requests/{request.id}/scan", data=form,
                           content_type="multipart/form-data")  # fmt: skip
    assert no_token.status_code == 400
    stale = replace(request, version=request.version - 1 if request.version > 1 else 99)
    assert upload(web, lender, stale).status_code == 409
    assert copies_of(web.shared).find(request.id) is None


# the patron's download -----------------------------------------------------------------------


def test_the_patron_downloads_from_my_requests_until_the_copy_expires(web):
    request, _ = delivered(web)
    patron = web.patron()
    page = patron.get("/my/requests").get_data(as_text=True)
    link = f"/my/requests/{request.id}/copy"
    assert f'href="{link}"' in page and "Download the copy" in page
    answer = patron.get(link)
    assert answer.status_code == 200 and answer.data == PDF
    assert answer.mimetype == "application/pdf"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"] == "private, no-store"
    # the download period ends (the store's row says when): 410 with the date, then deleted
    past = datetime.now(UTC) - timedelta(minutes=1)
    with web.shared.ill.store.engine.begin() as tx:
        tx.execute(schema.copies.update().values(expires_at=past))
    gone = patron.get(link)
    assert gone.status_code == 410 and past.strftime("%Y-%m-%d") in gone.get_data(as_text=True)
    assert "has been deleted" in patron.get("/my/requests").get_data(as_text=True)
    copies: Copies = copies_of(web.shared)
    assert copies.delete_expired(datetime.now(UTC)) == 1
    assert patron.get(link).status_code == 410
    assert not list((web.shared.settings.data_dir / "copies").glob("*"))


def test_download_authorisation_role_by_role(web):
    request, lender = delivered(web)
    link = f"/my/requests/{request.id}/copy"
    anonymous = web.client().get(link)
    assert anonymous.status_code == 303 and "/signin" in anonymous.headers["Location"]
    assert web.patron("north", "N-other").get(link).status_code == 404  # another patron
    assert web.patron("east", PATRON_CARD).get(link).status_code == 404  # same card, elsewhere
    assert lender.get(link).status_code == 403  # staff download nothing
    assert web.staff("north", "borrower1").get(link).status_code == 403
    patron = web.patron()
    assert patron.get(link).status_code == 200
    assert patron.get("/my/requests/ill-nope/copy").status_code == 404


def test_a_loan_or_an_undelivered_copy_has_no_download(web_sqlite):
    web = web_sqlite
    loan, waiting = web.place(), ask_copy(web, card="N-7")
    assert web.patron().get(f"/my/requests/{loan.id}/copy").status_code == 404
    other = web.patron("north", "N-7")
    assert other.get(f"/my/requests/{waiting.id}/copy").status_code == 404
    assert "Download the copy" not in other.get("/my/requests").get_data(as_text=True)


# CONTU --------------------------------------------------------------------------------------


def test_borrowing_staff_are_warned_once_the_journal_passes_the_limit(web):
    web.shared.settings = replace(web.shared.settings, copy_limit=2)
    first, second = ask_copy(web, "N-1"), ask_copy(web, "N-2")
    borrower = web.staff("north", "borrower1")
    for request in (first, second):
        page = borrower.get(f"/staff/requests/{request.id}").get_data(as_text=True)
        assert "Copyright check" not in page
    third = ask_copy(web, "N-3")
    page = borrower.get(f"/staff/requests/{third.id}").get_data(as_text=True)
    assert "Copyright check" in page and "copy 3 this year" in page and "limit is 2" in page
    # the lender is not the one to be warned; another journal is counted apart
    lender_page = web.staff(third.lender, "lender1").get(f"/staff/requests/{third.id}")
    assert "Copyright check" not in lender_page.get_data(as_text=True)
    other = ask_copy(web, "N-4", issn="1234-5679")
    assert "Copyright check" not in borrower.get(f"/staff/requests/{other.id}").get_data(
        as_text=True
    )
    zh = borrower.get(f"/staff/requests/{third.id}?lang=zh").get_data(as_text=True)
    assert "Copyright check" not in zh and "CONTU" in zh


def test_a_body_larger_than_any_scan_is_refused_before_it_is_read(web_sqlite):
    """FEDCAT_COPY_MAX_MB bounds every request body (with room for the form): werkzeug
    answers 413 from the Content-Length, before the CSRF check or the view reads anything."""
    web = web_sqlite
    limit = web.app.config["MAX_CONTENT_LENGTH"]
    assert limit == web.shared.settings.copy_max_mb * 1024 * 1024 + 64 * 1024
    request = ask_copy(web)
    lender = web.staff(request.lender, "lender1")
    answer = upload(web, lender, request, PDF + b"x" * limit)
    assert answer.status_code == 413
    assert copies_of(web.shared).find(request.id) is None
    assert web.get(request.id).state.status is Status.RequestReceived
