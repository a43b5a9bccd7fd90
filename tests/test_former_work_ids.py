"""Every work id ever published keeps answering (issue 18): a merged-away id moves (301 on the
record page), an id whose records an operator split apart lists the works they are in now
(300 Multiple Choices, page and API), an id whose records were all withdrawn is 410 Gone, an id
never published 404; through merges, splits, deletions and a rebuild, on both engines."""

from __future__ import annotations

import pytest

from config.partners import Partner
from config.settings import Settings
from indexer.catalog import Catalog, open_state
from search_ui.app import create_app
from tests.fixtures.builders import record

PARTNERS = [
    Partner("north", "North City Library", "http://127.0.0.1:9/oai"),
    Partner("south", "South University Library", "http://127.0.0.1:9/oai"),
    Partner("east", "East County", "http://127.0.0.1:9/oai"),
]
B, C, X = "north\x1fb", "south\x1fc", "east\x1fx"


@pytest.fixture
def installation(engine, tmp_path):
    """The catalogue (its state where the app looks) and a client of the app over it."""
    db = open_state(tmp_path / "fedcat.sqlite")
    catalog = Catalog(db, engine, {p.id: p.name for p in PARTNERS})
    catalog.add_records(
        [
            record("north", "b", "Kind of blue", author="Davis, Miles", year=1959),
            record("south", "c", "Kind of blue", author="Davis, Miles", year=1959),
            record("east", "x", "Sketches of Spain", author="Davis, Miles", year=1960),
        ]
    )
    settings = Settings(data_dir=tmp_path, rate_limit=None)
    app = create_app(settings, engine=engine, partners=PARTNERS)
    yield catalog, app.test_client()
    catalog.close()
    db.close()


def work_of(catalog: Catalog, key: str) -> str:
    sql = "SELECT work_id FROM records WHERE record_key = ?"
    return catalog.db.execute(sql, (key,)).fetchone()[0]


def test_a_merged_then_split_id_lists_the_works_its_records_are_in_now(installation):
    catalog, client = installation
    blue, spain = work_of(catalog, B), work_of(catalog, X)
    assert blue != spain and work_of(catalog, C) == blue
    catalog.merge(spain, blue, "operator")  # an operator's mistake: two albums made one
    page = client.get(f"/work/{blue}")
    assert page.status_code == 301 and page.headers["Location"].endswith(f"/work/{spain}")
    assert client.get(f"/api/v1/works/{blue}").get_json()["id"] == spain
    catalog.split(C, "operator")  # ... half put right: south's copy taken out
    assert work_of(catalog, B) == spain and work_of(catalog, C) not in (blue, spain)
    became = sorted([spain, work_of(catalog, C)])
    page = client.get(f"/work/{blue}")
    assert page.status_code == 300
    html = page.get_data(as_text=True)
    assert "This work was split" in html
    for work_id in became:
        assert f'href="/work/{work_id}"' in html
    assert "Kind of blue" in html and "Sketches of Spain" in html
    answer = client.get(f"/api/v1/works/{blue}")
    assert answer.status_code == 300
    assert answer.get_json()["works"] == became and answer.get_json()["status"] == 300
    assert client.get(f"/api/v1/works/{spain}").status_code == 200
    catalog.reindex()  # a rebuilt index changes nothing: the answers come from the store
    assert client.get(f"/api/v1/works/{blue}").get_json()["works"] == became


def test_an_id_whose_records_were_all_withdrawn_is_gone_and_a_never_published_one_not_found(
    installation,
):
    catalog, client = installation
    blue, spain = work_of(catalog, B), work_of(catalog, X)
    catalog.remove_records([X])
    for target in (f"/work/{spain}", f"/api/v1/works/{spain}"):
        assert client.get(target).status_code == 410
    assert "no longer in the catalogue" in client.get(f"/work/{spain}").get_data(as_text=True)
    assert "no longer in the catalogue" in client.get(f"/api/v1/works/{spain}").get_json()["error"]
    catalog.merge(blue, work_of(catalog, C), "operator")
    catalog.split(B, "operator")
    catalog.remove_records([B, C])  # the split id's records all withdrawn: gone too
    assert client.get(f"/api/v1/works/{blue}").status_code == 410
    assert client.get("/api/v1/works/w0123456789abcde").status_code == 404
    assert client.get("/work/w0123456789abcde").status_code == 404


def test_a_split_where_the_old_id_still_names_a_work_answers_that_work(installation):
    catalog, client = installation
    blue = work_of(catalog, B)
    catalog.split(C, "operator")  # north's record is the smallest: the id stays with it
    assert work_of(catalog, B) == blue
    assert client.get(f"/api/v1/works/{blue}").get_json()["id"] == blue
    assert client.get(f"/work/{blue}").status_code == 200
