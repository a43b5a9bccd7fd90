"""The search page's sort, year-range and advanced-search controls in real headless Chromium:
used with the keyboard, labelled, axe-clean, in English and Chinese."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from config.settings import Settings
from indexer.catalog import Catalog, open_state
from indexer.tantivy_engine import TantivyEngine
from search_ui.app import create_app
from tests.fixtures.browser import chromium, watched_page
from tests.fixtures.builders import APP_PARTNERS, record
from tests.fixtures.live import serve_wsgi

pytestmark = pytest.mark.browser
#: (title, author, year, language, library): four works with "paris" in the title.
WORKS = [
    ("Paris in the twenties", "Adams, Ann", 1999, "eng", "north"),
    ("Notre-Dame de Paris", "Hugo, Victor", 1831, "fre", "south"),
    ("Paris : a history", "Zola, Emile", 1950, "eng", "east"),
    ("Le ventre de Paris", "Zola, Emile", 1873, "fre", "north"),
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser-controls")
    engine = TantivyEngine(tmp / "index")
    names = {p.id: p.name for p in APP_PARTNERS}
    catalog = Catalog(open_state(tmp / "state.sqlite"), engine, names)
    catalog.add_records(
        record(library, f"{library}{n}", title, author=author, year=year, language=language)
        for n, (title, author, year, language, library) in enumerate(WORKS)
    )
    app = create_app(Settings(data_dir=tmp), engine=engine, partners=APP_PARTNERS)
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


def hit_titles(page) -> list[str]:
    return page.locator(".hit h2").all_inner_texts()


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def tab_to(page, element_id: str, most: int = 30) -> None:
    """Press Tab until the element with `element_id` has the focus, as a keyboard user does."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_sorting_with_the_keyboard_changes_the_order(page, app_url):
    page.goto(f"{app_url}/?q=paris")
    relevance = hit_titles(page)
    assert sorted(relevance) == sorted(w[0] for w in WORKS)
    tab_to(page, "sort")
    page.keyboard.press("ArrowDown")  # Relevance → Newest first
    page.keyboard.press("ArrowDown")  # → Oldest first
    assert page.locator("#sort").input_value() == "year_asc"
    tab_to(page, "apply-controls", most=3)  # past the year fields
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"sort=year_asc"))
    oldest_first = [w[0] for w in sorted(WORKS, key=lambda w: w[2])]
    assert hit_titles(page) == oldest_first
    assert page.locator("#sort").input_value() == "year_asc"  # the control shows the sort
    page.get_by_label("Sort by").select_option(label="Author")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"sort=author"))
    by_author = hit_titles(page)  # Adams, Hugo, then Zola's two in any order
    assert by_author[:2] == ["Paris in the twenties", "Notre-Dame de Paris"]
    assert sorted(by_author[2:]) == ["Le ventre de Paris", "Paris : a history"]
    assert params(page)["q"] == ["paris"]


def test_the_year_range_narrows_the_results(page, app_url):
    page.goto(f"{app_url}/?q=paris&sort=year_desc")
    assert len(hit_titles(page)) == 4
    page.get_by_label("from year").fill("1850")
    page.get_by_label("to year").fill("1960")
    page.get_by_label("to year").press("Enter")
    page.wait_for_url(re.compile(r"year_to=1960"))
    assert hit_titles(page) == ["Paris : a history", "Le ventre de Paris"]
    assert params(page)["sort"] == ["year_desc"]  # the other controls are kept
    assert page.get_by_label("from year").input_value() == "1850"
    assert page.locator("#results-heading").inner_text() == "2 results"


def test_the_advanced_form_writes_the_query_into_the_box_and_finds_the_work(page, app_url):
    page.goto(f"{app_url}/?q=paris")
    page.get_by_role("link", name="Advanced search").click()
    page.wait_for_url(re.compile(r"/advanced"))
    page.get_by_label("Title", exact=True).fill("ventre de paris")
    page.get_by_label("Author", exact=True).fill("zola")
    page.get_by_label("Language", exact=True).select_option(label="French")
    page.get_by_label("Library", exact=True).select_option(label="North City Library")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("#results-heading")
    assert page.get_by_label("Search the catalogue").input_value() == (
        "title:(ventre de paris) author:zola"
    )
    assert params(page) == {
        "q": ["title:(ventre de paris) author:zola"],
        "f.language": ["fre"],
        "f.library": ["north"],
        "sort": ["relevance"],
    }
    assert hit_titles(page) == ["Le ventre de Paris"]


def test_the_language_facet_shows_names_not_codes(page, app_url):
    page.goto(f"{app_url}/?q=paris")
    language = page.locator(".facet", has=page.get_by_role("heading", name="Language"))
    names = language.get_by_role("link").all_inner_texts()
    assert sorted(names) == ["English", "French"]
    language.get_by_role("link", name="French").click()
    page.wait_for_url(re.compile(r"f\.language=fre"))
    assert sorted(hit_titles(page)) == ["Le ventre de Paris", "Notre-Dame de Paris"]
    page.goto(f"{app_url}/?q=paris&lang=zh")
    language = page.locator(".facet", has=page.get_by_role("heading", name="语种"))
    assert sorted(language.get_by_role("link").all_inner_texts()) == sorted(["英语", "法语"])


def test_the_controls_are_labelled_and_axe_clean_in_english_and_chinese(page, app_url):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for path in ("/?q=paris", "/?q=paris&lang=zh", "/advanced", "/advanced?lang=zh"):
        page.goto(app_url + path)
        for control in page.locator("main select, main input:not([type=hidden])").all():
            label = page.locator(f"label[for='{control.get_attribute('id')}']")
            assert label.count() == 1 and label.inner_text().strip(), (path, control)
        serious = [
            v["id"]
            for v in axe.run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"{path}: {serious}"
    page.goto(f"{app_url}/advanced?lang=zh")
    assert page.get_by_role("heading", name="高级检索").is_visible()
    assert page.get_by_label("排序方式").input_value() == "relevance"
