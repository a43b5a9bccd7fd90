"""The search page's controls through the real app on both engines: sort, year range, the
advanced form (which writes the search box's own syntax), facet values in words."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from config.settings import Settings
from indexer.query import SORTS, And, Words
from search_ui.app import create_app
from search_ui.controls import SORT_LABELS, advanced_params, advanced_query, fielded
from search_ui.query_parser import parse_query
from tests.fixtures.builders import APP_PARTNERS, record

PARTNERS = APP_PARTNERS


@pytest.fixture
def client(catalog, tmp_path):
    catalog.add_records(
        [
            record(
                "north",
                "n1",
                "Les misérables",
                author="Hugo, Victor",
                year=1862,
                language="fre",
                publisher="Lacroix",
                series="Classiques",
            ),
            record("south", "s1", "Notre-Dame de Paris", author="Hugo, Victor", year=1831),
            record(
                "east",
                "e1",
                "Les misérables : selections",
                author="Schönberg, Claude-Michel",
                year=1985,
                format="score",
                publisher="Wise",
            ),
            record("north", "n2", "Paris in the twenties", author="Adams, Ann", year=1999),
        ]
    )
    app = create_app(Settings(data_dir=tmp_path), engine=catalog.engine, partners=PARTNERS)
    return app.test_client()


def page(client, **params) -> str:
    response = client.get("/", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def titles(client, **params) -> list[str]:
    body = client.get("/api/v1/search", query_string=params).get_json()
    return [w["title"] for w in body["results"]]


def test_every_sort_has_a_label_in_the_control():
    assert tuple(SORT_LABELS) == SORTS


def test_the_advanced_form_writes_the_search_box_syntax():
    form = {"title": "  les  misérables ", "author": "hugo", "isbn": "978 0 14 044913 6"}
    assert advanced_query(form) == 'title:(les misérables) author:hugo isbn:"978 0 14 044913 6"'
    assert fielded("subject", "war (1914-1918)") == "subject:(war 1914-1918)"
    assert fielded("series", "   ") == ""
    parsed = parse_query(advanced_query({"title": "war and peace", "publisher": "penguin"}))
    assert parsed == And((Words("title", "war and peace"), Words("publisher", "penguin")))
    params = advanced_params(
        MultiDict({"author": "hugo", "language": "fre", "format": "", "year_to": "1900"})
    )
    assert params == {"q": ["author:hugo"], "f.language": ["fre"], "year_to": ["1900"]}


def test_the_advanced_page_sends_the_patron_to_the_search_it_wrote(client):
    response = client.get(
        "/advanced", query_string={"title": "misérables", "publisher": "lacroix", "lang": "zh"}
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/" and not location.netloc
    assert parse_qs(location.query) == {"q": ["title:misérables publisher:lacroix"], "lang": ["zh"]}
    found = client.get(response.headers["Location"])
    assert 'value="title:misérables publisher:lacroix"' in found.get_data(as_text=True)
    assert titles(client, q="title:misérables publisher:lacroix") == ["Les misérables"]
    assert titles(client, q="series:classiques") == ["Les misérables"]


def test_the_advanced_form_offers_the_catalogues_languages_and_formats_by_name(client):
    english = client.get("/advanced").get_data(as_text=True)
    assert '<option value="fre">French</option>' in english
    assert '<option value="score">Music score</option>' in english
    assert '<option value="south">South University Library</option>' in english
    chinese = client.get("/advanced?lang=zh").get_data(as_text=True)
    assert '<option value="fre">法语</option>' in chinese
    assert '<option value="score">乐谱</option>' in chinese


def test_sort_by_author_and_the_year_range_through_the_page_parameters(client):
    assert titles(client, q="paris", sort="author") == [
        "Paris in the twenties",
        "Notre-Dame de Paris",
    ]
    assert titles(client, q="misérables", sort="year_asc") == [
        "Les misérables",
        "Les misérables : selections",
    ]
    assert titles(client, q="misérables", year_from="1900", year_to="2000") == [
        "Les misérables : selections"
    ]


def test_the_controls_keep_the_other_parameters_and_show_the_choices(client):
    html = page(client, q="hugo", **{"f.library": "north"}, sort="author", page="1")
    assert '<input type="hidden" name="q" value="hugo">' in html
    assert '<input type="hidden" name="f.library" value="north">' in html
    assert 'name="page"' not in html  # a new sort or range starts at the first page
    assert '<option value="author" selected>Author</option>' in html
    assert '<label for="year_from">' in html and '<label for="sort">' in html


def test_a_year_range_alone_is_a_search(client):
    html = page(client, year_from="1800", year_to="1850")
    assert "Notre-Dame de Paris" in html and "Les misérables" not in html


def test_language_and_format_facets_show_names_in_the_interface_language(client):
    english = page(client, q="misérables")
    assert ">French</a>" in english and ">Music score</a>" in english
    assert ">fre</a>" not in english
    chinese = page(client, q="misérables", lang="zh")
    assert ">法语</a>" in chinese and ">乐谱</a>" in chinese


def test_bad_control_values_are_a_clear_400(client):
    response = client.get("/", query_string={"q": "hugo", "year_from": "1900", "year_to": "1800"})
    assert response.status_code == 400
    assert "year_from" in response.get_data(as_text=True)
    response = client.get("/advanced", query_string={"title": "hugo", "sort": "nonsense"})
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 400
