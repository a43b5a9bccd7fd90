"""A signed-in patron sees how to get each work, in real headless Chromium: the tiers on the
search page and the soonest sort. FEDCAT_SCREENSHOTS=<dir> saves search-tiers.png there
(the README's picture: docs/img/search-tiers.png)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.tantivy_engine import TantivyEngine
from tests.fixtures.browser import chromium, watched_page
from tests.fixtures.live import serve_wsgi
from tests.fixtures.obtain_works import river_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser-tiers")
    engine = TantivyEngine(tmp / "index")
    app = river_app(engine, tmp, str(tmp / "shared.sqlite"))
    accounts = app.extensions["fedcat"].accounts
    accounts.add_patron("north", "N0042", "Ada Quillfeather", "ada@example.org", pin="4711")
    token = accounts.sign_in_patron("north", "N0042", "4711", "browser").token
    with serve_wsgi(app) as url:
        yield url, token
    engine.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


def test_signed_in_patron_sees_each_tier_and_sorts_by_soonest(browser, served):
    url, token = served
    with watched_page(browser) as page:
        page.context.add_cookies([{"name": "fedcat_session", "value": token, "url": url}])
        page.goto(f"{url}/?q=river")
        tiers = page.locator("li.hit .tier")
        tiers.first.wait_for(timeout=10000)
        assert tiers.count() == 5
        labels = page.locator("li.hit .tier-label").all_inner_texts()
        assert set(labels) == {
            "On the shelf at your library",
            "At your library, on loan",
            "Can be borrowed from a partner library",
            "Not lendable in the consortium",
        }
        assert "About 4 days (median of 3 loans" in page.locator(".tier-3").first.inner_text()
        shots = os.environ.get("FEDCAT_SCREENSHOTS")
        if shots:
            page.set_viewport_size({"width": 1100, "height": 900})
            page.screenshot(path=str(Path(shots) / "search-tiers.png"), full_page=True)
        page.select_option("#sort", "soonest")
        page.click("#apply-controls")
        page.wait_for_url("**sort=soonest**")
        shown = [int(t) for t in page.locator("li.hit .tier").evaluate_all(
            "nodes => nodes.map(n => n.dataset.tier)"
        )]  # fmt: skip
        assert shown == [1, 2, 3, 3, 4]
        page.select_option("#tier", "3")
        page.click("#apply-controls")
        page.wait_for_url("**tier=3**")
        assert page.locator("li.hit .tier").count() == 2
        assert page.dialogs == []
