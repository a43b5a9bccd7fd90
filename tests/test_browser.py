"""The patron page and the partner widget in real headless Chromium (Debian's), via Playwright."""

from __future__ import annotations

import pytest

from config.partners import Partner
from config.settings import Settings
from indexer.catalog import Catalog, open_state
from indexer.tantivy_engine import TantivyEngine
from search_ui.app import create_app
from tests.fixtures.browser import chromium, watched_page
from tests.fixtures.builders import record
from tests.fixtures.live import free_port, serve_wsgi, static_page

pytestmark = pytest.mark.browser
ISBN = "9780140449136"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def partner_port():
    return free_port()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, partner_port):
    tmp = tmp_path_factory.mktemp("browser")
    partners = [
        Partner(
            "north",
            "North City Library",
            "http://127.0.0.1:9/oai",
            origins=(f"http://127.0.0.1:{partner_port}",),
        ),
        Partner("south", "South University Library", "http://127.0.0.1:9/oai"),
        Partner("east", "East County Library", "http://127.0.0.1:9/oai"),
    ]
    engine = TantivyEngine(tmp / "index")
    catalog = Catalog(open_state(tmp / "state.sqlite"), engine, {p.id: p.name for p in partners})
    catalog.add_records(
        [
            record(
                "south",
                "s1",
                "Kind of blue",
                author="Davis, Miles",
                isbns=(ISBN,),
                year=1959,
                format="recording",
                call_number="CD 1234",
            ),
            record(
                "north",
                "n1",
                "Kind of blue",
                author="Davis, Miles",
                isbns=(ISBN,),
                year=1959,
                format="recording",
                status="on_loan",
                call_number="JAZZ DAV",
            ),
            record(
                "east",
                "e1",
                "Kind of blue",
                author="Davis, Miles",
                isbns=(ISBN,),
                year=1959,
                format="recording",
            ),
            record(
                "north", "n2", "Blue train", author="Coltrane, John", year=1957, format="recording"
            ),
            record(
                "south",
                "s2",
                "Blue note records : the biography",
                author="Cook, Richard",
                year=2001,
                format="book",
            ),
            record(
                "east",
                "e2",
                f"{XSS} Blue hostile",
                author=f"<b>{XSS}</b>",
                year=2020,
                format="book",
                urls=["javascript:alert(2)"],
            ),
        ]
    )
    app = create_app(Settings(data_dir=tmp), engine=engine, partners=partners)
    with serve_wsgi(app) as url:
        yield url
    engine.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser):
    with watched_page(browser) as fresh:
        yield fresh


def test_search_facet_and_record_page(page, app_url):
    page.goto(app_url)
    page.get_by_label("Search the catalogue").fill("blue")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("#results-heading")
    assert page.locator(".hit").count() == 4
    kind_of_blue = page.locator(".hit", has_text="Kind of blue")
    assert kind_of_blue.locator(".held").inner_text() == "Held by 3 libraries"

    page.locator(".facet", has_text="Format").get_by_role("link", name="book").click()
    page.wait_for_url("**f.format=book**")
    assert page.locator(".hit").count() == 2

    page.goto(f"{app_url}/?q=kind+of+blue")
    page.get_by_role("link", name="Kind of blue").click()
    page.wait_for_selector(".holdings-table")
    rows = page.locator(".holdings-table tbody tr")
    assert rows.count() == 3
    assert "JAZZ DAV" in page.locator(".holdings-table").inner_text()


def test_pages_have_no_serious_accessibility_violations(page, app_url):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for path in ("/", "/?q=blue", "/?q=blue&lang=zh", "/?q=bleu"):
        page.goto(app_url + path)
        results = axe.run(page)
        serious = [
            v["id"]
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"{path}: {serious}"


def test_matched_words_are_marked_and_a_misspelling_links_a_suggestion(page, app_url):
    page.goto(f"{app_url}/?q=coltrane+train")
    hit = page.locator(".hit", has_text="Blue train")
    assert hit.locator("h2 mark").all_inner_texts() == ["train"]
    assert hit.locator(".meta mark").all_inner_texts() == ["Coltrane"]

    page.goto(f"{app_url}/?q=bleu+trian")
    # the words as typed find nothing, so near spellings find the one work (issue 15) ...
    assert page.locator("#results-heading").inner_text() == "1 result"
    assert page.locator(".hit h2").inner_text().startswith("Blue train")
    # ... and the page still offers the corrected words
    suggestion = page.locator(".suggestion")
    assert suggestion.inner_text().startswith("Did you mean blue train?")
    suggestion.get_by_role("link", name="blue train").click()
    page.wait_for_url("**q=blue+train**")
    assert page.locator("#results-heading").inner_text() == "1 result"
    assert page.locator(".hit h2 mark").all_inner_texts() == ["Blue", "train"]


def type_until_suggested(where, box, typed: str, first: str):
    """Type into a combobox; its listbox opens with `first` as the first suggestion."""
    box.press_sequentially(typed)
    listbox = where.get_by_role("listbox")
    listbox.get_by_role("option").first.wait_for(timeout=10000)
    assert box.get_attribute("aria-expanded") == "true"
    assert listbox.get_by_role("option").all_inner_texts()[0].startswith(first)
    return listbox


def test_autocomplete_is_a_keyboard_usable_combobox(page, app_url):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(app_url)
    box = page.get_by_role("combobox", name="Search the catalogue")
    type_until_suggested(page, box, "kind of b", "Kind of blue")
    assert "1 suggestion" in page.get_by_role("status").inner_text()
    serious = [
        v["id"]
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []

    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    box.press("Enter")
    page.wait_for_url("**q=Kind+of+blue**")
    assert page.locator(".hit").count() == 1

    box = page.get_by_role("combobox", name="Search the catalogue")
    box.fill("")
    box.press_sequentially("davis")
    page.get_by_role("option", name="Davis, Miles author").wait_for(timeout=10000)
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    assert page.get_by_role("listbox").is_hidden()


def test_search_box_works_without_javascript(browser, app_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(app_url)
    assert page.get_by_role("combobox").count() == 0
    page.get_by_role("searchbox", name="Search the catalogue").fill("blue train")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=blue+train**")
    assert page.locator(".hit h2 mark").all_inner_texts() == ["Blue", "train"]
    context.close()


def test_hostile_partner_data_renders_inert(page, app_url):
    page.goto(f"{app_url}/?q=hostile")
    assert page.locator(".hit h2").inner_text().startswith("<img src=x")
    page.locator(".hit h2 a").click()
    page.wait_for_selector(".holdings-table")
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.locator("img").count() == 0
    assert page.dialogs == []


def _widget_page(app_url, library, lang="en"):
    return static_page(
        f"""<!doctype html><html lang="{lang}"><head><title>Partner site</title>
        <style>* {{ color: red !important; display: none }} html, body {{ display: block }}</style>
        </head><body><h1 style="display:block">Our library</h1>
        <fedcat-search library="{library}" style="display:block"></fedcat-search>
        <script src="{app_url}/static/widget.js"></script></body></html>"""
    )


def test_widget_on_partner_site_lists_home_library_copy_first(page, app_url, partner_port):
    with serve_wsgi(_widget_page(app_url, "north"), port=partner_port) as partner_site:
        page.goto(partner_site)
        widget = page.locator("fedcat-search")
        widget.get_by_label("Search all partner libraries").fill("kind of blue")
        widget.get_by_role("button", name="Search").click()
        first_copy = widget.locator(".copy").first
        first_copy.wait_for(timeout=10000)
        assert first_copy.inner_text().startswith("North City Library")
        assert first_copy.evaluate("e => getComputedStyle(e).display") != "none"
        assert widget.locator("li.hit a mark").all_inner_texts() == ["Kind", "of", "blue"]
        # the widget's library has its copy out: the tier says so, as text
        tier = widget.locator("li.hit .tier").first
        assert tier.get_attribute("data-tier") == "2"
        assert tier.inner_text().startswith("At your library, on loan")

        widget.get_by_label("Search all partner libraries").fill("trian")
        widget.get_by_role("button", name="Search").click()
        widget.get_by_role("button", name="train").click()
        widget.locator("li.hit a").first.wait_for(timeout=10000)
        assert widget.locator("li.hit a mark").all_inner_texts() == ["train"]

        widget.get_by_label("Search all partner libraries").fill("hostile")
        widget.get_by_role("button", name="Search").click()
        widget.locator("li.hit a").first.wait_for(timeout=10000)
        assert widget.locator("li.hit a").first.inner_text().startswith("<img src=x")
        assert page.dialogs == []


def test_widget_autocompletes_titles_and_authors_with_the_keyboard(page, app_url, partner_port):
    with serve_wsgi(_widget_page(app_url, "north"), port=partner_port) as partner_site:
        page.goto(partner_site)
        widget = page.locator("fedcat-search")
        box = widget.get_by_role("combobox", name="Search all partner libraries")
        listbox = type_until_suggested(widget, box, "kind of b", "Kind of blue")
        assert listbox.evaluate("e => getComputedStyle(e).display") != "none"
        box.press("ArrowDown")
        active = box.get_attribute("aria-activedescendant")
        assert widget.locator(f"#{active}").get_attribute("aria-selected") == "true"
        box.press("Enter")
        widget.locator("li.hit a").first.wait_for(timeout=10000)
        assert box.input_value() == "Kind of blue"
        assert widget.locator("li.hit a mark").all_inner_texts() == ["Kind", "of", "blue"]
        assert listbox.is_hidden()

        box.fill("")
        box.press_sequentially("davis")
        widget.get_by_role("option", name="Davis, Miles author").wait_for(timeout=10000)
        box.press("Escape")
        assert box.get_attribute("aria-expanded") == "false"
        assert page.dialogs == []


def test_widget_on_unregistered_origin_is_refused_by_cors(page, app_url):
    with serve_wsgi(_widget_page(app_url, "north")) as other_site:
        page.goto(other_site)
        widget = page.locator("fedcat-search")
        widget.get_by_label("Search all partner libraries").fill("blue")
        widget.get_by_role("button", name="Search").click()
        status = widget.get_by_role("status")
        status.filter(has_text="unavailable").wait_for(timeout=10000)
        assert widget.locator("li.hit").count() == 0


def test_widget_on_a_chinese_partner_page_speaks_chinese_from_the_shared_catalogue(
    page, app_url, partner_port
):
    with serve_wsgi(_widget_page(app_url, "north", lang="zh-CN"), port=partner_port) as site:
        page.goto(site)
        widget = page.locator("fedcat-search")
        box = widget.get_by_role("combobox", name="检索所有成员馆")
        box.fill("kind of blue")
        widget.get_by_role("button", name="检索").click()
        status = widget.get_by_role("status").filter(has_text="联合目录中有")
        status.wait_for(timeout=10000)
        assert status.inner_text() == "联合目录中有 1 条结果"
        first_copy = widget.locator(".copy").first
        assert first_copy.inner_text().startswith("North City Library — 已借出")

        box.fill("trian")
        widget.get_by_role("button", name="检索").click()
        widget.get_by_role("button", name="train").wait_for(timeout=10000)
        assert widget.locator("p.msg").nth(1).inner_text() == "您是不是要找 train？"
        assert page.dialogs == []
