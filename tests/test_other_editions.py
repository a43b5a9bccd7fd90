"""Other editions: different editions stay different works, and each lists the others,
through the API and on the record page, on both engines."""

from __future__ import annotations

import pytest

from config.settings import Settings
from indexer.editions import MAX_OTHER_EDITIONS
from search_ui.app import create_app
from tests.fixtures.builders import APP_PARTNERS, record

PARTNERS = APP_PARTNERS
DOSTOYEVSKY = "Dostoyevsky, Fyodor"


@pytest.fixture
def client(catalog, tmp_path):
    catalog.add_records(
        [
            # three editions of one title: two ISBNs, and one without ISBN from another year
            *(
                record(
                    library,
                    f"{library}1",
                    "Crime and punishment",
                    author=DOSTOYEVSKY,
                    year=1866,
                    isbns=("9780140449136",),
                )
                for library in ("north", "south")
            ),
            record(
                "south",
                "s1",
                "Crime and punishment : a new translation",
                author=DOSTOYEVSKY,
                year=2004,
                edition="2nd ed.",
                isbns=("9780679734505",),
            ),
            record("east", "e1", "CRIME AND PUNISHMENT", author=DOSTOYEVSKY, year=1993),
            # not editions of it: another author, a longer title, no author, other volumes
            record("south", "s2", "Crime and punishment", author="Smith, Jane", year=2010),
            record("north", "n2", "Crime and punishment notebooks", author=DOSTOYEVSKY, year=1967),
            record("north", "n3", "The idiot", author=DOSTOYEVSKY, year=1869),
            record("east", "e2", "Poems", year=1900),
            record("east", "e3", "Poems", year=1950),
            record(
                "north",
                "v1",
                "History of music",
                author="Grout, Donald",
                year=1960,
                part="Volume 1",
                isbns=("9780393975277",),
            ),
            record(
                "north",
                "v2",
                "History of music",
                author="Grout, Donald",
                year=1960,
                part="Volume 2",
                isbns=("9780393975284",),
            ),
            record(
                "south",
                "v1b",
                "History of music",
                author="Grout, Donald",
                year=1988,
                part="Volume 1",
                isbns=("9780393956368",),
            ),
        ]
    )
    app = create_app(Settings(data_dir=tmp_path), engine=catalog.engine, partners=PARTNERS)
    return app.test_client()


def work_of(client, query: str, year: int, part: str = "") -> dict:
    body = client.get("/api/v1/search", query_string={"q": query, "per_page": 50}).get_json()
    (found,) = [w for w in body["results"] if w["year"] == year and w.get("part", "") == part]
    work = client.get(f"/api/v1/works/{found['id']}")
    assert work.status_code == 200
    return work.get_json()


def test_each_edition_lists_the_others_newest_first(client):
    first = work_of(client, 'title:"crime and punishment" author:dostoyevsky', 1866)
    assert {h["library_id"] for h in first["holdings"]} == {"north", "south"}
    editions = first["other_editions"]
    assert [(e["year"], e["edition"], e["libraries"]) for e in editions] == [
        (2004, "2nd ed.", 1),
        (1993, "", 1),
    ]
    # and the other way round: the 1993 edition lists the 2004 and the 1866 ones
    later = client.get(f"/api/v1/works/{editions[1]['work_id']}").get_json()
    assert [e["year"] for e in later["other_editions"]] == [2004, 1866]
    assert first["id"] in {e["work_id"] for e in later["other_editions"]}


def test_other_authors_longer_titles_other_volumes_and_no_author_are_not_editions(client):
    assert work_of(client, "title:idiot", 1869)["other_editions"] == []
    assert work_of(client, "author:smith", 2010)["other_editions"] == []
    assert work_of(client, "notebooks", 1967)["other_editions"] == []
    assert work_of(client, "poems", 1900)["other_editions"] == []
    # the same volume from another year is another edition; the other volume is not
    volume_1 = work_of(client, 'title:"history of music"', 1960, part="Volume 1")
    assert [(e["year"], e["libraries"]) for e in volume_1["other_editions"]] == [(1988, 1)]
    volume_2 = work_of(client, 'title:"history of music"', 1960, part="Volume 2")
    assert volume_2["other_editions"] == []


def test_the_record_page_links_the_other_editions(client):
    first = work_of(client, 'title:"crime and punishment" author:dostoyevsky', 1866)
    page = client.get(f"/work/{first['id']}").get_data(as_text=True)
    assert "Other editions" in page
    for edition in first["other_editions"]:
        assert f'href="/work/{edition["work_id"]}"' in page
    idiot = work_of(client, "title:idiot", 1869)
    assert "Other editions" not in client.get(f"/work/{idiot['id']}").get_data(as_text=True)
    chinese = client.get(f"/work/{first['id']}", headers={"Accept-Language": "zh-CN"})
    assert "其他版本" in chinese.get_data(as_text=True)


def test_at_most_a_fixed_number_of_editions_is_listed(catalog, tmp_path):
    catalog.add_records(
        [
            record("north", f"r{n}", "Selected poems", author="Frost, Robert", year=1950 + n)
            for n in range(MAX_OTHER_EDITIONS + 5)
        ]
    )
    app = create_app(Settings(data_dir=tmp_path), engine=catalog.engine, partners=PARTNERS)
    client = app.test_client()
    oldest = work_of(client, "selected poems", 1950)
    years = [e["year"] for e in oldest["other_editions"]]
    assert len(years) == MAX_OTHER_EDITIONS
    assert years == sorted(years, reverse=True) and years[0] == 1950 + MAX_OTHER_EDITIONS + 4


def test_editions_meet_whatever_the_spelling_or_script_of_the_authors_name(catalog, tmp_path):
    spellings = {
        1880: "Dostoevsky, Fyodor",
        1912: "Dostoyevsky, Fyodor",
        1958: "Dostoevskiĭ, Fedor",
        1976: "Достоевский, Фёдор",
    }
    catalog.add_records(
        [
            record("north", f"k{year}", "The brothers Karamazov", author=name, year=year)
            for year, name in spellings.items()
        ]
        + [record("south", "x1", "The brothers Karamazov", author="Dostal, Jan", year=2001)]
    )
    app = create_app(Settings(data_dir=tmp_path), engine=catalog.engine, partners=PARTNERS)
    client = app.test_client()
    for year in spellings:
        editions = work_of(client, "brothers karamazov", year)["other_editions"]
        assert [e["year"] for e in editions] == sorted(set(spellings) - {year}, reverse=True)
    assert work_of(client, "brothers karamazov", 2001)["other_editions"] == []
