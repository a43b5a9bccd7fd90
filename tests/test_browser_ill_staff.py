"""The staff queues in real headless Chromium: a lender answers and ships, the borrowing
library receives and lends, by keyboard only; both queues pass axe in English and Chinese."""

from __future__ import annotations

import pytest

from ill.states import Stage, Status
from tests.fixtures.browser import chromium, watched_page
from tests.fixtures.ill_web import PASSWORD, PATRON_CARD, PATRON_NAME, make_web
from tests.fixtures.live import serve_wsgi

pytest_plugins = ["tests.fixtures.ill_web"]
pytestmark = pytest.mark.browser


@pytest.fixture
def live(ill_engine, tmp_path):
    web = make_web(ill_engine, tmp_path, str(tmp_path / "shared.sqlite"))
    with serve_wsgi(web.app) as url:
        yield web, url


def signed_in_page(browser, web, url: str, library: str, username: str):
    """A browser page carrying the session cookie of a new staff member of `library`."""
    accounts = web.shared.accounts
    accounts.add_staff(library, username, PASSWORD)
    token = accounts.sign_in_staff(username, PASSWORD, "browser").token
    context = watched_page(browser)
    page = context.__enter__()
    page.context.add_cookies([{"name": "fedcat_session", "value": token, "url": url}])
    return context, page


def press(page, request_id: str, action: str) -> None:
    """Reach the action's button by keyboard and press Enter; wait for the page after it."""
    button = page.locator(f"#{request_id}-{action}")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]


def test_lender_supplies_and_ships_borrower_receives_and_lends(live):
    web, url = live
    placed = web.place()
    with chromium() as browser:
        lender_ctx, lender = signed_in_page(browser, web, url, placed.lender, "lender")
        borrower_ctx, borrower = signed_in_page(browser, web, url, "north", "borrower")
        try:
            lender.goto(f"{url}/staff/lending")
            slip = lender.locator("section.ill-request").inner_text()
            assert placed.id in slip and "North City Library" in slip
            assert PATRON_CARD not in lender.content() and PATRON_NAME not in lender.content()
            for path in ("/staff/lending", "/staff/lending?lang=zh"):
                lender.goto(url + path)
                assert serious_violations(lender) == [], path
            lender.goto(f"{url}/staff/lending")
            press(lender, placed.id, "WillSupply")
            assert web.get(placed.id).state.status is Status.WillSupply
            due = lender.get_by_label("Due date")
            due.focus()
            due.fill("2099-03-01")
            for _ in range(4):  # through the date's day, month and year to the form's button
                lender.keyboard.press("Tab")
                if lender.evaluate("document.activeElement.id") == f"{placed.id}-Shipped":
                    break
            assert lender.evaluate("document.activeElement.id") == f"{placed.id}-Shipped"
            with lender.expect_navigation():
                lender.keyboard.press("Enter")
            shipped = web.get(placed.id)
            assert shipped.state.status is Status.Loaned and str(shipped.due_date) == "2099-03-01"

            borrower.goto(f"{url}/staff/borrowing")
            assert "2099-03-01" in borrower.locator("section.ill-request").inner_text()
            for path in ("/staff/borrowing", "/staff/borrowing?lang=zh"):
                borrower.goto(url + path)
                assert serious_violations(borrower) == [], path
            borrower.goto(f"{url}/staff/borrowing")
            for action in ("Received", "OnHoldShelf", "LentToPatron"):
                press(borrower, placed.id, action)
            assert web.get(placed.id).state.stage is Stage.with_patron
            borrower.goto(f"{url}/staff/requests/{placed.id}")
            timeline = borrower.locator("table.ill-timeline").inner_text()
            for step in ("Will supply", "Shipped", "Received by the borrowing library",
                         "Put on the hold shelf", "Lent to the patron"):  # fmt: skip
                assert step in timeline  # in words, not the codes (WillSupply, OnHoldShelf)
            assert "OnHoldShelf" not in timeline and "Loaned/" not in timeline
            assert serious_violations(borrower) == []
        finally:
            lender_ctx.__exit__(None, None, None)
            borrower_ctx.__exit__(None, None, None)
