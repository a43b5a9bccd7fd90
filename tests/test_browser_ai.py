"""The record page in a real browser: suggested subjects set apart, related works with reasons,
and works requested together (issue 13)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ai.co_requests import count_pairs, replace_pairs
from ai.suggesting import suggest_works
from ai.suggestions import SuggestionStore
from config.settings import Settings
from ill.model import Request
from ill.store import open_store
from indexer.catalog import Catalog, open_state
from indexer.tantivy_engine import TantivyEngine
from search_ui.app import create_app
from tests.fixtures.ai_records import quick_catalogued, trained_model, training_records
from tests.fixtures.browser import chromium, watched_page
from tests.fixtures.builders import APP_PARTNERS
from tests.fixtures.live import serve_wsgi

pytestmark = pytest.mark.browser
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ai-page")
    engine = TantivyEngine(tmp / "tantivy")
    db = open_state(tmp / "fedcat.sqlite")
    suggestions = SuggestionStore(db)
    catalog = Catalog(db, engine, {p.id: p.name for p in APP_PARTNERS}, annotations=suggestions)
    (stripped, _), *_ = quick_catalogued(1)
    catalog.add_records([*training_records(), stripped])
    work_id = catalog.store.work_of(stripped.key)
    suggest_works(catalog, suggestions, trained_model(), work_ids={work_id})
    other = catalog.store.work_of(training_records()[0].key)
    requests = open_store(tmp / "shared.sqlite")
    for p in range(5):
        for n, requested in enumerate((work_id, other)):
            request = Request(f"ill-{p}-{n}", requested, "", f"north:P{p}", "north")
            request.created_at = request.updated_at = NOW
            requests.create(request, [])
    replace_pairs(db, count_pairs(requests, 5))
    requests.close()
    app = create_app(Settings(data_dir=tmp), engine=engine, partners=APP_PARTNERS)
    with serve_wsgi(app) as url:
        yield url, work_id
    engine.close()
    db.close()


def test_record_page_shows_suggestions_apart_and_related_works_with_reasons(app_url):
    url, work_id = app_url
    with chromium() as browser, watched_page(browser) as page:
        page.set_viewport_size({"width": 1100, "height": 1400})
        page.goto(f"{url}/work/{work_id}")
        suggested = page.locator("dd.suggested-subjects")
        assert suggested.is_visible()
        assert "Suggested by a machine" in suggested.inner_text()
        first = suggested.locator("li").first
        assert "machine, score" in first.inner_text() and "why:" in first.inner_text()
        assert page.locator("dt", has_text="Suggested subjects").is_visible()
        related = page.locator("section.related li")
        assert related.count() >= 1
        assert related.first.locator(".reason").inner_text().startswith("(")
        also = page.locator("section.also-requested li")
        assert also.count() == 1
        first.locator("a").click()  # a suggested heading searches by subject
        page.wait_for_load_state()
        assert "subject" in page.url and page.locator("a[href*='/work/']").count() > 0
        assert page.dialogs == []
        shots = os.environ.get("FEDCAT_SCREENSHOTS")
        if shots:
            page.goto(f"{url}/work/{work_id}")
            page.screenshot(path=str(Path(shots) / "record-page-ai.png"), full_page=True)
