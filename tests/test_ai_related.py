"""Related works on real records (both engines alike) and "also requested" with its floor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ai.co_requests import count_pairs, replace_pairs
from ai.related import more_like_this
from config.settings import Settings
from ill.model import Request
from indexer.catalog import Catalog, open_state
from search_ui.app import create_app
from tests.conftest import make_engine
from tests.fixtures.builders import APP_PARTNERS, record
from tests.fixtures.real_records import mapped_records

pytest_plugins = ["tests.fixtures.ill_stores"]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _related_on(kind: str, request, tmp_path, records) -> dict[str, tuple[dict, list]]:
    engine = make_engine(kind, request, tmp_path / kind)
    db = open_state(tmp_path / kind / "state.sqlite")
    try:
        catalog = Catalog(db, engine, {})
        catalog.add_records(records)
        related = {}
        for work_id in sorted(set(catalog.store.work_ids()))[:40]:
            payload = engine.get(work_id)
            related[work_id] = (payload, more_like_this(engine, payload))
        return related
    finally:
        engine.drop()
        engine.close()
        db.close()


def test_more_like_this_gives_the_same_works_and_true_reasons_on_both_engines(request, tmp_path):
    records = mapped_records("evergreen/jazz_1k.mrc", limit=150)
    tantivy = _related_on("tantivy", request, tmp_path, records)
    elastic = _related_on("elasticsearch", request, tmp_path, records)
    assert sum(len(found) for _, found in tantivy.values()) > 40
    for work_id, (payload, found) in tantivy.items():
        assert [r["work_id"] for r in found] == [r["work_id"] for r in elastic[work_id][1]]
        assert [r["reasons"] for r in found] == [r["reasons"] for r in elastic[work_id][1]]
        assert work_id not in {r["work_id"] for r in found}
        assert all(r["reasons"] for r in found)
        for r in found:  # a reason names what both works really have
            other = tantivy.get(r["work_id"], (None,))[0]
            for why in r["reasons"]:
                assert all(why["shared"])
                if why["kind"] == "subjects":
                    assert set(why["shared"]) <= set(payload["subjects"])
                if why["kind"] == "series":
                    assert why["shared"] == [payload["series"]]
                    assert other is None or other["series"]
    kinds = {why["kind"] for _, found in tantivy.values() for r in found for why in r["reasons"]}
    assert {"subjects", "authors"} <= kinds


def test_a_shared_series_and_shared_subjects_are_the_reasons_given(catalog):
    catalog.add_records(
        [
            record("north", "n1", "Blue notes", subjects=("Jazz", "Blues"), series="Jazz masters"),
            record(
                "north", "n2", "Hard bop days", subjects=("Jazz", "Blues"), series="Jazz masters"
            ),
            record("north", "n3", "Gardening for all", subjects=("Gardening",)),
        ]
    )
    n1, n2 = (catalog.store.work_of(f"north\x1f{i}") for i in ("n1", "n2"))
    [found] = more_like_this(catalog.engine, catalog.engine.get(n1))
    assert found["work_id"] == n2
    assert {"kind": "subjects", "shared": ["Jazz", "Blues"]} in found["reasons"]
    assert {"kind": "series", "shared": ["Jazz masters"]} in found["reasons"]


def _request(n: int, patron: str, work_id: str) -> Request:
    return Request(
        id=f"ill-{n}",
        work_id=work_id,
        title="",
        patron_ref=patron,
        borrowing_library="north",
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize(("requesters", "shown"), [(4, False), (5, True)])
def test_also_requested_is_shown_only_from_five_distinct_requesters(
    store, catalog, tmp_path, requesters, shown
):
    catalog.add_records(
        [record("north", "a", "Kind of blue"), record("north", "b", "A love supreme")]
    )
    wa, wb = (catalog.store.work_of(f"north\x1f{i}") for i in ("a", "b"))
    n = 0
    for p in range(requesters):
        for work_id in (wa, wb):
            n += 1
            store.create(_request(n, f"north:P{p}", work_id), [])
    # the same patron asking again, and anonymised requests, add no requester
    for work_id in (wa, wb):
        n += 1
        store.create(_request(n, "", work_id), [])
    settings = Settings(data_dir=tmp_path)
    pairs = count_pairs(store, settings.co_request_min)
    db = open_state(settings.state_db)
    replace_pairs(db, pairs)
    db.close()
    assert pairs == ({(min(wa, wb), max(wa, wb)): 5} if shown else {})

    client = create_app(settings, engine=catalog.engine, partners=APP_PARTNERS).test_client()
    page = client.get(f"/work/{wa}").get_data(as_text=True)
    work = client.get(f"/api/v1/works/{wa}").get_json()
    if shown:
        assert "Patrons who requested this also requested" in page and "A love supreme" in page
        assert [r["work_id"] for r in work["also_requested"]] == [wb]
    else:
        assert "Patrons who requested this also requested" not in page
        assert work["also_requested"] == []


def test_the_pair_table_holds_no_patron_data(store, tmp_path):
    for p in range(6):
        for n, work_id in enumerate(("wa", "wb")):
            store.create(_request(p * 2 + n, f"north:SECRET{p}", work_id), [])
    db = open_state(tmp_path / "fedcat.sqlite")
    replace_pairs(db, count_pairs(store, 5))
    dump = "\n".join(db.iterdump())
    db.close()
    assert "SECRET" not in dump and "north" not in dump
    assert "'wa','wb',6" in dump


def test_cli_counts_the_pairs_into_the_state_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from ai.co_requests import also_requested
    from fedcat.cli import main
    from ill.store import open_store

    monkeypatch.setenv("FEDCAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FEDCAT_CO_REQUEST_MIN", "3")
    requests = open_store(tmp_path / "shared.sqlite")
    for p in range(3):
        for n, work_id in enumerate(("wa", "wb", "wc")):
            requests.create(_request(p * 3 + n, f"north:P{p}", work_id), [])
    requests.close()
    counted = CliRunner().invoke(main, ["ai", "co-requests"])
    assert counted.exit_code == 0, counted.output
    assert "3 pairs of works requested together by at least 3 patrons" in counted.output
    db = open_state(tmp_path / "fedcat.sqlite")
    assert also_requested(db, "wb", 3) == ["wa", "wc"]
    assert also_requested(db, "wb", 4) == []
    db.close()


def test_a_work_without_headings_is_related_by_its_suggested_ones_said_apart(tmp_path, engine):
    from ai.provenance import Provenance, Suggestion
    from ai.suggestions import SuggestionStore

    db = open_state(tmp_path / "state.sqlite")
    suggestions = SuggestionStore(db)
    catalog = Catalog(db, engine, {}, annotations=suggestions)
    catalog.add_records(
        [
            record("north", "q1", "Live at the Village Vanguard"),
            record("north", "c1", "Jazz piano trios", subjects=("Piano trios (Jazz)",)),
        ]
    )
    quick, trios = (catalog.store.work_of(f"north\x1f{i}") for i in ("q1", "c1"))
    provenance = Provenance("subjects-test", "2026-12-01T00:00:00+00:00", 500, 0.1)
    suggestions.replace(
        quick, [Suggestion("Piano trios (Jazz)", "lcsh", 0.6, ("trio",))], provenance
    )
    catalog.refresh({quick})
    [found] = more_like_this(engine, engine.get(quick))
    assert found["work_id"] == trios
    assert found["reasons"] == [{"kind": "suggested_subjects", "shared": ["Piano trios (Jazz)"]}]
    db.close()
