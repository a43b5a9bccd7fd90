"""/staff/demand: who may see it, what it shows (figures, SVG charts, forecast, suggestions),
that partner text stays text, and its Chinese, on both stores. Real app, real sessions."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

from bench.demand_history import PastRequest, write_requests
from ill.model import LendingRules
from ill.stats import WorkFacts, record_work_facts

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.ill_web"]

PAGE = "/staff/demand"
HOSTILE = '<script>alert("t")</script> $\\frac{1}{0}$ & Co'
IMAGES = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def history(web) -> None:
    """North's patrons: the Kind of blue work three times (two filled), a hostile title once;
    south's once. Placed in the last few months, so the page's 12 months hold them all."""
    now = datetime.now(UTC)

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    rows = [
        PastRequest("d1", web.work_id, "Kind of blue", "north", "south", ago(90), 4, True),
        PastRequest("d2", web.work_id, "Kind of blue", "north", "east", ago(60), 6, True),
        PastRequest("d3", web.work_id, "Kind of blue", "north", "south", ago(30), 2, False),
        PastRequest("d4", "work-x", HOSTILE, "north", "south", ago(20), 3, True),
        PastRequest("d5", web.work_id, "Kind of blue", "south", "north", ago(10), 8, True),
    ]
    store = web.shared.ill.store
    write_requests(store, rows)
    record_work_facts(store, [WorkFacts("work-x", HOSTILE, now.year)])
    store.set_rules(LendingRules("north", ratio_lend=2, ratio_borrow=1))


def svgs(html: str) -> list[str]:
    return [base64.b64decode(found).decode() for found in IMAGES.findall(html)]


def test_anonymous_is_asked_to_sign_in(web_sqlite):
    assert web_sqlite.client().get(PAGE).status_code == 401


def test_a_patron_may_not_see_demand(web_sqlite):
    assert web_sqlite.patron().get(PAGE).status_code == 403


def test_staff_may_not_look_at_another_library(web_sqlite):
    answer = web_sqlite.staff("north", "n1").get(PAGE + "?library=south")
    assert answer.status_code == 403
    assert "own library" in answer.get_data(as_text=True)


def test_staff_see_their_library_with_charts_forecast_and_suggestions(web):
    history(web)
    answer = web.staff("north", "n1").get(PAGE)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "ILL demand: North City Library" in html
    # north: 4 requested, 3 filled, 1 unfilled, 75%, median of 4, 6, 3 days = 4, lent 1
    row = re.search(r'<th scope="row">North City Library</th>(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    assert cells[:5] == ["4", "3", "1", "75%", "4 (of 3)"]
    assert cells[5:7] == ["1", "3"] and cells[7].endswith("(2:1)")
    images = svgs(html)
    assert len(images) >= 5 and all(svg.lstrip().startswith("<?xml") for svg in images)
    assert all("<svg" in svg for svg in images)
    assert "Machine forecast" in html and "Seasonal naive" in html  # a few months only
    assert "Purchase suggestions" in html
    assert "requested 3 times in 12 months by patrons of North City Library" in html
    assert "published in the last 2 years" in html  # the hostile title's work: this year
    # the staff menu links the page
    assert 'href="/staff/demand"' in web.staff("south", "s1").get("/staff/lending").get_data(
        as_text=True
    )


def test_partner_text_stays_text_in_the_page_and_its_charts(web_sqlite):
    history(web_sqlite)
    html = web_sqlite.staff("north", "n1").get(PAGE).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    for svg in svgs(html):
        assert "<script" not in svg
    assert any("&lt;script&gt;alert" in svg for svg in svgs(html))


def test_operator_sees_the_consortium_and_may_choose_a_library(web):
    history(web)
    operator = web.staff("east", "op", role="operator")
    html = operator.get(PAGE).get_data(as_text=True)
    assert "ILL demand: all member libraries" in html
    assert '<option value="north"' in html and '<option value="south"' in html
    assert "Purchase suggestions" not in html  # suggestions are for one library
    assert len(svgs(html)) >= 5
    one = operator.get(PAGE + "?library=south")
    assert one.status_code == 200 and "ILL demand: South University Library" in one.get_data(
        as_text=True
    )
    assert operator.get(PAGE + "?library=east").status_code == 200  # it only lends
    unknown = operator.get(PAGE + "?library=nowhere")
    assert unknown.status_code == 400
    assert "No requests to or from that library" in unknown.get_data(as_text=True)


def test_the_page_learns_subjects_from_the_catalogue(web_sqlite):
    history(web_sqlite)
    store = web_sqlite.shared.ill.store
    html = web_sqlite.staff("north", "n1").get(PAGE).get_data(as_text=True)
    from ill.stats import works_without_facts

    assert works_without_facts(store) == []  # the Kind of blue work was looked up
    assert "Subject area" in html


def test_the_page_in_chinese(web_sqlite):
    history(web_sqlite)
    html = web_sqlite.staff("north", "n1").get(PAGE + "?lang=zh").get_data(as_text=True)
    assert "馆际互借需求" in html
    assert "采购建议" in html


def test_an_empty_store_shows_a_page_without_charts(web_sqlite):
    answer = web_sqlite.staff("north", "n1").get(PAGE)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "nothing to forecast from" in html and svgs(html) == []
