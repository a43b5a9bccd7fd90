"""Highlighting, spelling suggestions and autocomplete, through the real app on both engines."""

from __future__ import annotations

import pytest

from config.settings import Settings
from indexer.query import And, Not, Or, Phrase, Words
from search_ui.app import create_app
from search_ui.highlight import query_terms, segments
from search_ui.query_parser import MAX_QUERY_LENGTH
from search_ui.suggestions import MAX_AUTOCOMPLETE, MAX_AUTOCOMPLETE_LENGTH, rewrite
from tests.fixtures.builders import APP_PARTNERS, record

PARTNERS = APP_PARTNERS
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def client(catalog, tmp_path):
    dostoyevsky = {"author": "Dostoyevsky, Fyodor", "year": 1866}
    catalog.add_records(
        [
            record("north", "n1", "Crime and punishment", isbns=("9780140449136",), **dostoyevsky),
            record("south", "s1", "Crime and punishment", isbns=("9780140449136",), **dostoyevsky),
            record("south", "s2", "The idiot", author="Dostoyevsky, Fyodor", year=1869),
            record("north", "n2", "War and peace", author="Tolstoy, Leo", year=1869),
            record("east", "e1", "Peace in our time", author="Smith, Jane", year=1990),
            record("east", "e2", "Peace talks", author="Brown, Ann", year=2001),
            record(
                "east",
                "e3",
                "Histoire de la Révolution française",
                author="Michelet, Jules",
                year=1847,
                subjects=("France -- History",),
            ),
            record("north", "n3", "中國歷史研究", author="李明", year=2005),
            record("south", "s3", f"{HOSTILE} Peace", author=f"<b>{HOSTILE}</b>", year=2020),
        ]
    )
    app = create_app(Settings(data_dir=tmp_path), engine=catalog.engine, partners=PARTNERS)
    return app.test_client()


def search(client, query: str) -> dict:
    response = client.get("/api/v1/search", query_string={"q": query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def marked(parts) -> list[str]:
    return [p["text"] for p in parts if p["match"]]


def the_work(body, title):
    return next(w for w in body["results"] if w["title"] == title)


# -- highlighting ------------------------------------------------------------------------------


def test_matched_title_words_are_highlighted_as_segments(client):
    work = search(client, "crime")["results"][0]
    assert work["highlight"]["title"] == [
        {"text": "Crime", "match": True},
        {"text": " and punishment", "match": False},
    ]
    assert marked(work["highlight"]["contributors"][0]) == []


def test_highlight_follows_folding_and_the_searched_field(client):
    body = search(client, "REVOLUTION author:michelet")
    work = the_work(body, "Histoire de la Révolution française")
    assert marked(work["highlight"]["title"]) == ["Révolution"]
    assert marked(work["highlight"]["contributors"][0]) == ["Michelet"]
    fielded = search(client, "title:dostoyevsky OR author:dostoyevsky")
    assert sorted(w["title"] for w in fielded["results"]) == ["Crime and punishment", "The idiot"]
    for work in fielded["results"]:
        assert marked(work["highlight"]["title"]) == []
        assert marked(work["highlight"]["contributors"][0]) == ["Dostoyevsky"]


def test_matched_subjects_are_listed_with_their_highlight(client):
    work = search(client, "history")["results"][0]
    assert work["highlight"]["subjects"] == [
        [{"text": "France -- ", "match": False}, {"text": "History", "match": True}]
    ]
    assert search(client, "crime")["results"][0]["highlight"]["subjects"] == []


def test_traditional_chinese_title_highlights_the_simplified_query_word(client):
    work = search(client, "历史")["results"][0]
    assert work["highlight"]["title"] == [
        {"text": "中國", "match": False},
        {"text": "歷史", "match": True},
        {"text": "研究", "match": False},
    ]


def test_hostile_partner_text_is_highlighted_as_text_and_escaped_in_the_page(client):
    work = the_work(search(client, "peace img"), f"{HOSTILE} Peace")
    assert marked(work["highlight"]["title"]) == ["img", "Peace"]
    page = client.get("/?q=peace+img").get_data(as_text=True)
    assert "<img" not in page
    assert "&lt;<mark>img</mark> src=x" in page


def test_page_marks_matched_words(client):
    page = client.get("/?q=crime").get_data(as_text=True)
    assert "<mark>Crime</mark> and punishment" in page


def test_words_under_not_are_not_highlight_terms():
    query = And((Words("all", "peace"), Not(Words("all", "war"))))
    assert query_terms(query)["title"] == {"peace"}
    phrase = Or((Phrase("title", "Crime and"), Words("author", "Tolstoy")))
    terms = query_terms(phrase)
    assert terms["title"] == {"crime", "and"} and terms["author"] == {"tolstoy"}
    assert terms["subject"] == frozenset()


def test_segments_cover_the_text_exactly():
    text = "Ærø: l'Été (2nd ed.)"
    parts = segments(text, frozenset({"aero", "ete"}))
    assert "".join(p["text"] for p in parts) == text
    assert marked(parts) == ["Ærø", "Été"]


# -- spelling suggestions --------------------------------------------------------------------


def test_misspelt_word_gets_a_suggestion_that_finds_more(client):
    body = search(client, "punishmnet")
    assert body["total"] == 1  # found by its near spelling (the engines' fuzzy fallback)
    assert body["suggestion"] == {"q": "punishment", "total": 1}


def test_suggestion_keeps_fields_quotes_and_the_right_words(client):
    body = search(client, 'title:"crime and punishmnet" dostoyevsky')
    assert body["suggestion"] == {"q": 'title:"crime and punishment" dostoyevsky', "total": 1}
    accents = search(client, "revolutoin")
    assert accents["suggestion"] == {"q": "révolution", "total": 1}


def test_suggestion_prefers_the_word_in_more_works(client):
    # "peach" is one edit from "peace" (4 works) and from nothing else in the catalogue
    assert search(client, "peach")["suggestion"] == {"q": "peace", "total": 4}


def test_no_suggestion_when_the_words_are_known_or_nothing_is_close(client):
    assert search(client, "crime")["suggestion"] is None
    assert search(client, "peace")["suggestion"] is None
    assert search(client, "zzyzx")["suggestion"] is None
    assert search(client, "")["suggestion"] is None


def test_no_suggestion_when_the_correction_would_make_the_query_too_long(client):
    assert search(client, "punishmnt")["suggestion"] == {"q": "punishment", "total": 1}
    typed = "punishmnt " + "dostoyevsky " * ((MAX_QUERY_LENGTH - 10) // 12)
    typed += "x" * (MAX_QUERY_LENGTH - len(typed))
    body = search(client, typed)
    assert len(typed) == MAX_QUERY_LENGTH and body["total"] == 0
    assert body["suggestion"] is None


def test_suggestion_keeps_the_filters(client):
    response = client.get("/api/v1/search?q=punishmnet&f.library=east")
    assert response.get_json()["suggestion"] is None
    response = client.get("/api/v1/search?q=punishmnet&f.library=north")
    assert response.get_json()["suggestion"] == {"q": "punishment", "total": 1}
    # what the suggestion promises is what its search finds, under the same filter
    east = client.get("/api/v1/search?q=punishment&f.library=east").get_json()
    north = client.get("/api/v1/search?q=punishment&f.library=north").get_json()
    assert (east["total"], east["results"]) == (0, [])
    assert north["total"] == 1
    assert [w["title"] for w in north["results"]] == ["Crime and punishment"]


def test_page_links_the_suggestion(client):
    page = client.get("/?q=punishmnet&library=north").get_data(as_text=True)
    assert 'href="/?q=punishment&amp;library=north"' in page
    page = client.get("/?page=1&q=punishmnet&f.library=north&lang=zh").get_data(as_text=True)
    assert "您是不是要找" in page
    assert 'href="/?q=punishment&amp;f.library=north&amp;lang=zh"' in page


def test_rewrite_replaces_only_the_corrected_words():
    assert rewrite('author:"Tolstio" -war', {"tolstio": "tolstoy"}) == 'author:"tolstoy" -war'


# -- autocomplete ------------------------------------------------------------------------------


def autocomplete(client, typed: str, **params) -> list[tuple[str, str]]:
    response = client.get("/api/v1/autocomplete", query_string={"q": typed, **params})
    assert response.status_code == 200, response.get_json()
    return [(s["value"], s["field"]) for s in response.get_json()["suggestions"]]


def test_autocomplete_completes_titles_and_authors(client):
    assert autocomplete(client, "cri") == [("Crime and punishment", "title")]
    assert autocomplete(client, "crime and pun") == [("Crime and punishment", "title")]
    assert autocomplete(client, "dosto") == [("Dostoyevsky, Fyodor", "author")]
    response = client.get("/api/v1/autocomplete?q=dosto").get_json()
    assert response["suggestions"][0]["works"] == 2


def test_autocomplete_puts_values_starting_with_the_words_first(client):
    assert autocomplete(client, "pea") == [
        ("Peace in our time", "title"),
        ("Peace talks", "title"),
        (f"{HOSTILE} Peace", "title"),
        ("War and peace", "title"),
    ]
    assert autocomplete(client, "pea", limit=2) == [
        ("Peace in our time", "title"),
        ("Peace talks", "title"),
    ]


def test_autocomplete_folds_like_search(client):
    assert autocomplete(client, "RÉVOL") == [("Histoire de la Révolution française", "title")]
    assert autocomplete(client, "中国") == [("中國歷史研究", "title")]
    assert autocomplete(client, "xylophone") == []


_REQUIRED = 'Parameter "q": is required: the start of a title or an author\'s name'
_LIMIT = f'Parameter "limit": must be a whole number from 1 to {MAX_AUTOCOMPLETE}, not'


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("", _REQUIRED),
        ("q=", _REQUIRED),
        (
            "q=" + "a" * (MAX_AUTOCOMPLETE_LENGTH + 1),
            f'Parameter "q": at most {MAX_AUTOCOMPLETE_LENGTH} characters',
        ),
        ("q=cri&limit=0", f'{_LIMIT} "0"'),
        (f"q=cri&limit={MAX_AUTOCOMPLETE + 1}", f'{_LIMIT} "{MAX_AUTOCOMPLETE + 1}"'),
        ("q=cri&limit=abc", f'{_LIMIT} "abc"'),
        ("q=cri&q=dos", 'Parameter "q": given more than once with different values'),
    ],
)
def test_autocomplete_bad_input_is_json_400(client, query, error):
    response = client.get(f"/api/v1/autocomplete?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == 400
    assert '"q"' in body["error"] or '"limit"' in body["error"]
    assert body["error"] == error


# -- the API description -----------------------------------------------------------------------


def test_openapi_lists_exactly_the_api_endpoints_the_app_serves(client):
    served = {
        rule.rule.replace("<", "{").replace(">", "}")
        for rule in client.application.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }
    doc = client.get("/api/v1/openapi.json").get_json()
    assert set(doc["paths"]) == served


def test_openapi_describes_highlight_suggestion_and_autocomplete(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    assert "suggestion" in schemas["SearchResponse"]["properties"]
    assert "highlight" in schemas["WorkSummary"]["properties"]
    params = {p["name"]: p for p in doc["paths"]["/api/v1/autocomplete"]["get"]["parameters"]}
    assert params["q"]["schema"]["maxLength"] == MAX_AUTOCOMPLETE_LENGTH
    assert params["limit"]["schema"]["anyOf"][0]["maximum"] == MAX_AUTOCOMPLETE
    body = client.get("/api/v1/autocomplete?q=cri").get_json()
    item = schemas["AutocompleteResponse"]["properties"]["suggestions"]["items"]
    assert set(body["suggestions"][0]) == set(item["properties"])
    found = search(client, "punishmnet")
    assert set(schemas["SearchResponse"]["required"]) <= set(found)
    assert set(found["suggestion"]) == set(schemas["Suggestion"]["properties"])
    work = search(client, "crime")["results"][0]
    assert set(schemas["WorkSummary"]["required"]) <= set(work)
    assert set(work["highlight"]) == set(schemas["Highlight"]["properties"])
    segment = schemas["Segments"]["items"]["properties"]
    assert set(work["highlight"]["title"][0]) == set(segment)
