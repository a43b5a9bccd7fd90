"""The record page tells staff, in words, why its records are one work (issue 20)."""

from __future__ import annotations

import pytest

from config.partners import Partner
from config.settings import Settings
from indexer.catalog import Catalog, open_state
from indexer.tantivy_engine import TantivyEngine
from search_ui.app import create_app
from tests.fixtures.browser import chromium, watched_page
from tests.fixtures.builders import record
from tests.fixtures.live import serve_wsgi

pytestmark = pytest.mark.browser
ISBN = "9780135084588"


def jazz_styles(partner: str, identifier: str, pages: str, year: int = 1991, **fields):
    return record(
        partner,
        identifier,
        "Jazz styles",
        author="Gridley, Mark C.",
        year=year,
        publisher="Prentice-Hall",
        physical_description=pages,
        **fields,
    )


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evidence")
    partners = [
        Partner("north", "North City Library", "http://127.0.0.1:9/oai"),
        Partner("south", "South University Library", "http://127.0.0.1:9/oai"),
    ]
    engine = TantivyEngine(tmp / "index")
    catalog = Catalog(open_state(tmp / "state.sqlite"), engine, {p.id: p.name for p in partners})
    catalog.add_records(
        [
            jazz_styles("north", "n1", "442 p.", isbns=(ISBN,), edition="4th ed."),
            jazz_styles("south", "s1", "xii, 444 p. ; 24 cm", isbns=(ISBN,)),
            jazz_styles("south", "s2", "x, 410 p.", year=1978, isbns=("9780135098851",)),
        ]
    )
    app = create_app(Settings(data_dir=tmp), engine=engine, partners=partners)
    with serve_wsgi(app) as url:
        yield url, catalog.store.work_of("north\x1fn1")
    engine.close()


def test_record_page_explains_the_merge_and_the_other_edition_in_words(app_url):
    url, work_id = app_url
    with chromium() as browser, watched_page(browser) as page:
        page.goto(f"{url}/work/{work_id}")
        section = page.locator("details.match-evidence")
        assert not section.locator("ul").first.is_visible()  # collapsed until asked
        page.get_by_text("Why these records are one work").click()
        text = section.inner_text()
        assert "same ISBN 9780135084588" in text
        assert "publisher, year and pages" in text
        assert "pages differ by 2" in text
        editions = page.locator(".other-editions").inner_text()
        assert "different year 1991 / 1978" in editions
