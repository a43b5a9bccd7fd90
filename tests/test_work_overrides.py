"""Operator overrides (issue 20): split and merge survive re-harvest, re-matching and
rebuilds on both engines, are in the audit log, and old work ids redirect."""

from __future__ import annotations

from click.testing import CliRunner

from config.partners import Partner
from config.settings import Settings
from fedcat.cli import main
from indexer.catalog import Catalog, open_state
from indexer.tantivy_engine import TantivyEngine
from search_ui.app import create_app
from tests.fixtures.builders import record

ISBN = "9780140449136"


def hobbit(partner: str, identifier: str, **fields):
    fields.setdefault("isbns", (ISBN,))
    return record(
        partner, identifier, "The hobbit", author="Tolkien, J. R. R.", year=1937, **fields
    )


def test_split_record_stays_out_after_reharvest_rematch_and_reindex(catalog):
    catalog.add_records([hobbit("north", "n1"), hobbit("south", "s1"), hobbit("east", "e1")])
    work = catalog.store.work_of("north\x1fn1")
    assert catalog.store.work_size(work) == 3

    moved = catalog.split("south\x1fs1", "alice")
    assert moved != work and catalog.store.work_size(work) == 2
    # a re-harvest brings the record back changed: it must not rejoin
    catalog.add_records([hobbit("south", "s1", call_number="PR 6039")])
    assert catalog.store.work_of("south\x1fs1") != work
    catalog.rematch()
    assert catalog.store.work_of("south\x1fs1") != catalog.store.work_of("north\x1fn1")
    catalog.engine.clear()
    assert catalog.reindex() == 2
    assert (
        catalog.engine.get(catalog.store.work_of("south\x1fs1"))["holdings"][0]["library_id"]
        == "south"
    )
    [entry] = list(catalog.store.overrides.audit())
    assert (entry.action, entry.operator, entry.detail["from_work"]) == ("split", "alice", work)


def test_merged_works_stay_one_and_the_old_id_redirects(catalog):
    catalog.add_records(
        [
            record("north", "n1", "Hobbit", author="Tolkien", year=1937, isbns=(ISBN,)),
            record("south", "s1", "The hobbit, or, There and back again", year=1938),
        ]
    )
    keep, other = catalog.store.work_of("north\x1fn1"), catalog.store.work_of("south\x1fs1")
    assert keep != other  # the rules keep them apart: different year
    catalog.merge(keep, other, "bob")
    assert catalog.engine.get(other) is None
    assert sorted(h["library_id"] for h in catalog.engine.get(keep)["holdings"]) == [
        "north",
        "south",
    ]
    assert catalog.store.overrides.resolve(other) == keep

    catalog.add_records([record("south", "s1", "The hobbit, or, There and back again", year=1939)])
    catalog.rematch()
    catalog.reindex()
    assert catalog.store.work_of("south\x1fs1") == catalog.store.work_of("north\x1fn1")
    assert [e.action for e in catalog.store.overrides.audit()] == ["merge"]
    evidence = catalog.engine.get(catalog.store.work_of("north\x1fn1"))["match_evidence"]
    assert any("merged by an operator" in e["summary"] for e in evidence)


def test_cli_split_merge_audit_and_the_web_redirect(tmp_path, monkeypatch):
    partners = tmp_path / "partners.toml"
    partners.write_text(
        "".join(
            f'[[partner]]\nid = "{p}"\nname = "{p.title()} Library"\nbase_url = "http://127.0.0.1:9/oai"\n\n'
            for p in ("north", "south")
        )
    )
    monkeypatch.setenv("FEDCAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FEDCAT_PARTNERS", str(partners))
    monkeypatch.setenv("FEDCAT_ENGINE", "tantivy")
    engine = TantivyEngine(tmp_path / "tantivy")
    catalog = Catalog(open_state(tmp_path / "fedcat.sqlite"), engine, {})
    catalog.add_records([hobbit("north", "n1"), hobbit("south", "s1")])
    work = catalog.store.work_of("north\x1fn1")
    engine.close()
    runner = CliRunner()

    split = runner.invoke(main, ["works", "split", "south:s1", "--operator", "carol"])
    assert split.exit_code == 0, split.output
    new_id = split.output.split()[-1]
    assert new_id != work
    bad = runner.invoke(main, ["works", "split", "south:nope"])
    assert bad.exit_code != 0 and "no record 'south:nope'" in bad.output
    merged = runner.invoke(main, ["works", "merge", work, new_id, "--operator", "carol"])
    assert merged.exit_code == 0, merged.output
    audit = runner.invoke(main, ["works", "audit"])
    assert [line.split()[3] for line in audit.output.splitlines()] == ["split", "merge"]

    app = create_app(
        Settings(data_dir=tmp_path), partners=[Partner("north", "North", "http://127.0.0.1:9/oai")]
    )
    client = app.test_client()
    page = client.get(f"/work/{new_id}")
    assert page.status_code == 301 and page.headers["Location"].endswith(f"/work/{work}")
    api = client.get(f"/api/v1/works/{new_id}")
    assert api.status_code == 200 and api.get_json()["id"] == work
    assert client.get("/work/w0000000000000000").status_code == 404
