"""A patron, keyboard only, in real headless Chromium: sign in, search, request a work held
elsewhere, find it in "My requests"; axe checks the sign-in page, the request form and
"My requests" in English and Chinese; the partner widget links each result to its request."""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.catalog import Catalog, open_state
from indexer.tantivy_engine import TantivyEngine
from tests.fixtures.browser import chromium, watched_page
from tests.fixtures.builders import APP_PARTNERS
from tests.fixtures.live import free_port, serve_wsgi, static_page
from tests.fixtures.patron_app import ANN, database, index_works, patron_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def partner_port():
    return free_port()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, partner_port):
    tmp = tmp_path_factory.mktemp("patron-browser")
    north = replace(APP_PARTNERS[0], origins=(f"http://127.0.0.1:{partner_port}",))
    partners = [north, *APP_PARTNERS[1:]]
    engine = TantivyEngine(tmp / "index")
    db = open_state(tmp / "state.sqlite")
    index_works(Catalog(db, engine, {p.id: p.name for p in APP_PARTNERS}))
    with (
        database("sqlite", tmp, None) as location,
        patron_app(engine, tmp, location, partners) as app,
    ):
        with serve_wsgi(app) as url:
            yield url
    engine.close()
    db.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser):
    with watched_page(browser) as fresh:
        yield fresh


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['nodes'][0]['target']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical", "moderate")
    ]


def sign_in_with_keyboard(page, app_url: str, lang: str = "") -> None:
    page.goto(f"{app_url}/{lang and '?lang=' + lang}")
    tab_to(page, "nav.account a")
    page.keyboard.press("Enter")
    page.wait_for_selector("#card_number")
    tab_to(page, "#library")
    page.keyboard.type("North")  # a select chooses by typing its option's name
    tab_to(page, "#card_number")
    page.keyboard.type(ANN.login)
    page.keyboard.press("Tab")
    page.keyboard.type(ANN.secret)
    page.keyboard.press("Enter")
    page.wait_for_selector("nav.account form.signout")


def test_patron_requests_a_work_held_elsewhere_with_the_keyboard_only(page, app_url):
    sign_in_with_keyboard(page, app_url)
    tab_to(page, "#q")
    page.keyboard.type("kind of blue")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results-heading")
    tab_to(page, ".hit .request-link a")
    page.keyboard.press("Enter")
    page.wait_for_selector("#pickup")
    assert page.locator("#citation").is_hidden()  # a loan needs no citation
    tab_to(page, "form button[type=submit]:not(.signout button)")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ill-request")
    assert page.get_by_role("status").inner_text() == "Your request has been placed."
    request = page.locator(".ill-request")
    assert request.locator(".ill-status").inner_text() == (
        "Sent to a lending library, waiting for its answer"
    )
    assert "South University Library" in request.inner_text()

    tab_to(page, "nav.account a[href='/my/requests']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/my/requests")
    mine = page.locator(".ill-request", has_text="Kind of blue")
    assert mine.count() == 1
    tab_to(page, ".ill-request summary")
    page.keyboard.press("Enter")  # opens the timeline
    assert mine.locator(".timeline tbody tr").count() == 2
    assert "Request placed" in mine.locator(".timeline").inner_text()
    assert page.dialogs == []


def test_copy_shows_the_citation_fields(page, app_url):
    sign_in_with_keyboard(page, app_url)
    page.goto(f"{app_url}/?q=giant+steps")
    page.locator(".hit .request-link a").click()
    page.wait_for_selector("#pickup")
    assert page.locator("#citation").is_hidden()
    tab_to(page, "#service-loan")
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys
    assert page.locator("#service-copy").is_checked()
    assert page.locator("#citation_title").is_visible()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_patron_pages_have_no_accessibility_violations(page, app_url, lang):
    query = "?lang=zh" if lang == "zh" else ""
    page.goto(f"{app_url}/signin{query}")
    assert serious_violations(page) == []
    sign_in_with_keyboard(page, app_url, lang if lang == "zh" else "")
    page.goto(f"{app_url}/?q=giant+steps{'&lang=zh' if lang == 'zh' else ''}")
    page.locator(".hit .request-link a").click()
    page.wait_for_selector("#pickup")
    assert serious_violations(page) == []
    if lang == "zh":
        assert page.locator("label[for=pickup]").inner_text() == "取书地点"
    page.goto(f"{app_url}/my/requests{query}")
    page.locator("details.timeline summary").first.wait_for()
    page.locator("details.timeline").first.evaluate("d => d.open = true")
    assert serious_violations(page) == []
    page.goto(f"{app_url}/my/data{query}")
    assert serious_violations(page) == []


def test_widget_results_link_to_the_request_section_of_the_record(page, app_url, partner_port):
    partner = static_page(
        f"""<!doctype html><html lang="en"><head><title>Partner</title></head><body>
        <fedcat-search library="north"></fedcat-search>
        <script src="{app_url}/static/widget.js"></script></body></html>"""
    )
    with serve_wsgi(partner, port=partner_port) as site:
        page.goto(site)
        widget = page.locator("fedcat-search")
        widget.get_by_label("Search all partner libraries").fill("kind of blue")
        widget.get_by_role("button", name="Search").click()
        ask = widget.locator("li.hit a.request").first
        ask.wait_for(timeout=10000)
        href = ask.get_attribute("href")
        assert href.startswith(f"{app_url}/work/") and href.endswith("?library=north#request")
        page.goto(href)
        section = page.locator("#request")
        assert section.get_by_role("link", name="Sign in to request").count() == 1
