"""Every link a page builds treats the request's parameters as data, on real records.

A crafted search-page URL once answered 500 (``_anchor``, ``_method``) or an absolute link
(``_external``) when the page offered "Did you mean": request parameters reached url_for as
keywords. Now the page answers 200 and each link is relative, carrying those parameters in its
query string like any other.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from config.partners import Partner
from config.settings import Settings
from indexer.marc import marc_to_record
from indexer.marc_readers import marc_records_from_file
from indexer.text import analyze
from search_ui.app import create_app
from tests.fixtures.paths import SHARED_DATA

SEARCH_UI = Path(__file__).resolve().parents[1] / "search_ui"
PARTNERS = [Partner("north", "North", "http://127.0.0.1:9/oai")]
#: Parameter names url_for reads itself, and one that names an endpoint.
CRAFTED = [
    [("_anchor", "x")],
    [("_method", "POST")],
    [("_external", "1")],
    [("_scheme", "https")],
    [("endpoint", "pages.work_page")],
    [("_external", "1"), ("_anchor", "a"), ("_method", "POST"), ("_scheme", "ftp")],
]


class Links(HTMLParser):
    """The href of every <a> (with its class and rel) and the action of every form."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str]] = []
        self.forms: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in values:
            self.anchors.append(values)
        if tag == "form":
            self.forms.append(values.get("action", ""))


def links_of(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


@pytest.fixture
def jazz(catalog, tmp_path):
    """The app over 300 real MARC records of a jazz collection, and a misspelt title word."""
    marc = marc_records_from_file(SHARED_DATA / "evergreen/jazz_1k.mrc")
    catalog.add_records(
        marc_to_record(r, PARTNERS[0], f"oai:north:{n}", "2026-11-01T00:00:00Z")
        for n, r in zip(range(300), marc, strict=False)
    )
    app = create_app(
        Settings(data_dir=tmp_path, rate_limit=None), engine=catalog.engine, partners=PARTNERS
    )
    client = app.test_client()
    word, typo = misspelt_title_word(client)
    return client, word, typo


def misspelt_title_word(client) -> tuple[str, str]:
    """A long title word of the records with two letters swapped, which the page corrects."""
    found = client.get("/api/v1/search?q=jazz&per_page=50").get_json()["results"]
    words = [t for w in found for t in analyze(w["title"]) if t.isalpha() and len(t) >= 7]
    for word in dict.fromkeys(words):
        typo = word[:2] + word[3] + word[2] + word[4:]
        body = client.get("/api/v1/search", query_string={"q": typo}).get_json()
        if typo != word and body["suggestion"] and analyze(body["suggestion"]["q"]) == [word]:
            return body["suggestion"]["q"], typo
    raise AssertionError(f"no title word among {words[:20]} is corrected back")


def suggestion_link(html: str) -> str:
    [link] = [a["href"] for a in links_of(html).anchors if a.get("rel") == "nofollow"]
    return link


@pytest.mark.parametrize("crafted", CRAFTED, ids=lambda c: "&".join(k for k, _ in c))
def test_crafted_parameters_on_a_suggestion_page_stay_query_string_data(jazz, crafted):
    client, word, typo = jazz
    params = [("q", typo), ("f.library", "north"), *crafted]
    response = client.get(f"/?{urlencode(params)}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    html = response.get_data(as_text=True)
    link = urlsplit(suggestion_link(html))
    assert (link.scheme, link.netloc, link.path, link.fragment) == ("", "", "/", "")
    assert parse_qsl(link.query) == [("q", word), ("f.library", "north"), *crafted]
    followed = client.get(suggestion_link(html))
    assert followed.status_code == 200
    assert "<mark>" in followed.get_data(as_text=True)


@pytest.mark.parametrize("crafted", CRAFTED, ids=lambda c: "&".join(k for k, _ in c))
def test_every_link_of_the_search_and_record_pages_is_relative(jazz, crafted):
    client, word, _ = jazz
    search = client.get(f"/?{urlencode([('q', word), *crafted])}")
    assert search.status_code == 200
    work_link = next(
        a["href"]
        for a in links_of(search.get_data(as_text=True)).anchors
        if a["href"].startswith("/work/")
    )
    record = client.get(f"{urlsplit(work_link).path}?{urlencode(crafted)}")
    assert record.status_code == 200
    for page in (search, record):
        links = links_of(page.get_data(as_text=True))
        ours = [  # partner catalogue links (http...) and the skip link (#main) are not built
            a["href"] for a in links.anchors if not a["href"].startswith(("http", "#"))
        ]
        ours += links.forms
        assert len(ours) >= 3
        for href in ours:
            parts = urlsplit(href)
            assert (parts.scheme, parts.netloc, parts.fragment) == ("", "", ""), href
            assert parts.path.startswith("/"), href
        [switch] = [a["href"] for a in links.anchors if a.get("class") == "lang"]
        assert parse_qsl(urlsplit(switch).query)[-1] == ("lang", "zh")
        assert set(crafted) <= set(parse_qsl(urlsplit(switch).query))


def test_the_pages_build_links_only_through_the_one_builder():
    """url_for is called in search_ui.links alone; templates call link()."""
    callers = []
    for module in SEARCH_UI.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Name | ast.Attribute) and "url_for" in (
                getattr(node, "id", None),
                getattr(node, "attr", None),
            ):
                callers.append(module.name)
    assert set(callers) == {"links.py"}
    for template in (SEARCH_UI / "templates").glob("*.html"):
        assert not re.search(r"\burl_for\s*\(", template.read_text()), template.name
