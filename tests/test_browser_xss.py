"""Hostile partner data in a real browser: an XSS corpus in every field a partner controls,
loaded through the real Catalog into each engine, shown by the search page, the record pages
and the widget on a partner's own site (a second origin) in Debian's chromium.

Every payload tries to run script (it would raise a dialog and set `window.__xss`), to add
elements, or to become a link with a javascript:/data: URL. The test checks that none of that
happened and that each payload shows as the literal text the partner sent.
"""

from __future__ import annotations

import pytest

from config.partners import Partner
from config.settings import Settings
from indexer.catalog import Catalog, open_state
from indexer.model import Contributor, Holding, Record, Subject
from search_ui.app import create_app
from tests.conftest import ENGINES, make_engine
from tests.fixtures.browser import chromium, watched_page
from tests.fixtures.live import free_port, serve_wsgi, static_page

pytestmark = pytest.mark.browser

#: Text payloads: each would run script, add elements or restyle the page if rendered as HTML.
PAYLOADS = [
    '<script>window.__xss="script";alert("script")</script>',
    "<img src=x onerror=\"window.__xss='img';alert('img')\">",
    "<svg onload=alert('svg')><circle r=9></circle></svg>",
    '"><script>alert("attr-break")</script>',
    "'><img src=x onerror=alert('single-quote')>",
    "<a href=\"javascript:alert('anchor')\">click me</a>",
    "<iframe src=\"javascript:alert('iframe')\"></iframe>",
    "<object data=\"javascript:alert('object')\"></object>",
    "<details open ontoggle=alert('details')>",
    "<input autofocus onfocus=alert('focus')>",
    "<body onload=alert('body')>",
    "<math><mi xlink:href=\"javascript:alert('math')\">m</mi></math>",
    "</title><script>alert('title-break')</script>",
    "<style>*{display:none!important}</style>",
    "<!--",
    "<![CDATA[<script>alert('cdata')</script>]]>",
    "{{7*7}}",
    "${7*7}",
    "{{constructor.constructor('alert(1)')()}}",
    "#{7*7} <%= 7*7 %>",
    "\u202e<b>right-to-left</b>",
    "javascript:alert('as-text')",
]
#: URLs a partner might send: only http(s) may become links.
HOSTILE_URLS = [
    "javascript:alert('url')",
    "JaVaScRiPt:alert('mixed-case')",
    " javascript:alert('leading-space')",
    "java\tscript:alert('tab')",
    "data:text/html,<script>alert('data')</script>",
    "vbscript:msgbox('vb')",
]
SAFE_URL_WITH_QUOTES = "https://ok.example/\"><script>alert('href-break')</script>"
#: Elements and attributes that only exist in these pages if a payload became markup.
INJECTED = (
    # the record page's JSON-LD is data (its text is checked below), not a script that runs
    'script:not([src]):not([type="application/ld+json"]), img, svg, iframe, object, embed, '
    "details, math, input[autofocus], "
    "[onerror], [onload], [onfocus], [ontoggle], [onclick], base, meta[http-equiv]"
)


def hostile_record(n: int, payload: str) -> Record:
    partner = ("north", "south", "east")[n % 3]
    return Record(
        partner_id=partner,
        identifier=f"oai:{partner}:{n} {payload}",
        source_format="marc21",
        title=f"Hostile {n} {payload}",
        subtitle=payload,
        responsibility=payload,
        contributors=[Contributor(f"Author {n} {payload}", payload)],
        subjects=[Subject(f"Subject {n} {payload}", "lcsh")],
        language=payload[:40],
        format="book",
        publisher=payload,
        place=payload,
        year=1900 + n,
        edition=payload,
        physical_description=payload,
        notes=[payload],
        urls=[HOSTILE_URLS[n % len(HOSTILE_URLS)], SAFE_URL_WITH_QUOTES],
        holdings=[
            Holding(
                library_id=partner,
                call_number=f"CALL {n} {payload}",
                location=payload,
                status="available",
                catalog_url=HOSTILE_URLS[(n + 1) % len(HOSTILE_URLS)],
            )
        ],
    )


@pytest.fixture(scope="module")
def partner_port():
    return free_port()


@pytest.fixture(scope="module", params=ENGINES)
def app_url(request, tmp_path_factory, partner_port):
    tmp = tmp_path_factory.mktemp(f"xss-{request.param}")
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
    engine = make_engine(request.param, request, tmp)
    db = open_state(tmp / "state.sqlite")
    catalog = Catalog(db, engine, {p.id: p.name for p in partners})
    catalog.add_records([hostile_record(n, p) for n, p in enumerate(PAYLOADS)])
    app = create_app(Settings(data_dir=tmp, rate_limit=None), engine=engine, partners=partners)
    with serve_wsgi(app) as url:
        yield url
    db.close()
    if request.param == "elasticsearch":
        engine.drop()
    engine.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    with watched_page(browser) as page:
        yield page


def assert_inert(page, root: str = "document", styles: int = 0) -> None:
    """No script ran, no element was injected under `root`, no link there leads to script."""
    assert page.dialogs == []
    assert page.evaluate("window.__xss") is None
    injected, style_count, protocols = page.evaluate(
        f"""() => {{
            const root = {root};
            const links = root.querySelectorAll('a[href], area[href], [src], [action]');
            return [
              root.querySelectorAll(`{INJECTED}`).length,
              root.querySelectorAll('style').length,
              [...links].map(e => new URL(e.href || e.src || e.action, location.href).protocol),
            ];
        }}"""
    )
    assert injected == 0
    assert style_count == styles  # a <style> payload would restyle (or hide) the page
    assert set(protocols) <= {"http:", "https:"}, protocols


def shown(text: str) -> str:
    """`text` as a browser's innerText shows it: runs of white space as one space."""
    return " ".join(text.split())


def test_search_page_shows_hostile_partner_data_as_text(page, app_url):
    page.goto(f"{app_url}/?q=hostile&per_page=100")
    page.wait_for_selector("#results-heading")
    assert page.locator(".hit").count() == len(PAYLOADS)
    text = page.locator("main").inner_text()
    for n, payload in enumerate(PAYLOADS):
        assert f"Hostile {n} {payload.strip()}" in text
        assert f"CALL {n} {payload.strip()}" in text
    assert "49" not in text  # {{7*7}} and friends were not evaluated anywhere
    assert_inert(page)
    for facet in page.locator(".facet a").all():  # facet links built from partner values
        assert facet.get_attribute("href").startswith("/?")


def test_record_pages_show_hostile_partner_data_as_text(page, app_url):
    page.goto(f"{app_url}/?q=hostile&per_page=100")
    links = [a.get_attribute("href") for a in page.locator(".hit h2 a").all()]
    assert len(links) == len(PAYLOADS)
    for href in links:
        page.goto(app_url + href)
        page.wait_for_selector(".holdings-table")
        title = page.locator("h1").inner_text()
        n = int(title.split()[1])
        payload = PAYLOADS[n].strip()
        assert title.startswith(f"Hostile {n} {payload}")
        text = page.locator("main").inner_text()
        for field in (f"Author {n} {payload}", f"Subject {n} {payload}", f"CALL {n} {payload}"):
            assert field in text
        assert shown(HOSTILE_URLS[n % len(HOSTILE_URLS)]) in shown(text)  # as text, not a link
        assert page.title().startswith(f"Hostile {n}")  # the <title> is escaped too
        assert_inert(page)
        # the one https URL stays a link, its quotes kept inside the href
        safe = page.locator("a[rel~=nofollow]")
        assert safe.count() == 1 and safe.get_attribute("href") == SAFE_URL_WITH_QUOTES


def test_widget_on_a_partner_site_shows_hostile_partner_data_as_text(page, app_url, partner_port):
    host = static_page(
        f"""<!doctype html><html lang="en"><head><title>Partner site</title></head>
        <body><h1>Our library</h1>
        <fedcat-search library="north" results="100"></fedcat-search>
        <script src="{app_url}/static/widget.js"></script></body></html>"""
    )
    with serve_wsgi(host, port=partner_port) as partner_site:
        page.goto(partner_site)
        widget = page.locator("fedcat-search")
        widget.get_by_label("Search all partner libraries").fill("hostile")
        widget.get_by_role("button", name="Search").click()
        widget.locator("li.hit").first.wait_for(timeout=15000)
        hits = widget.locator("li.hit")
        assert hits.count() == len(PAYLOADS)
        text = "\n".join(hits.all_inner_texts())
        for n, payload in enumerate(PAYLOADS):
            assert f"Hostile {n} {payload.strip()}" in text
        assert "49" not in text
        assert_inert(page)
        assert_inert(page, root="document.querySelector('fedcat-search').shadowRoot", styles=1)
