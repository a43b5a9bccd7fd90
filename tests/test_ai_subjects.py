"""Subject suggestion on real records: train, suggest, decide; both engines."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ai.model import current_meta, load, save
from ai.suggesting import suggest_works
from ai.suggestions import SuggestionError, SuggestionStore
from fedcat.cli import main
from indexer.catalog import Catalog
from indexer.model import Record
from tests.fixtures.ai_records import quick_catalogued, trained_model, training_records
from tests.fixtures.builders import record


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The model trained from the real training catalogue, saved in a data directory."""
    directory = tmp_path_factory.mktemp("ai-model")
    model = trained_model()
    save(model, directory)
    return model, directory


@pytest.fixture
def ai_catalog(engine, tmp_path):
    from indexer.catalog import open_state

    db = open_state(tmp_path / "state.sqlite")
    suggestions = SuggestionStore(db)
    catalog = Catalog(db, engine, {}, annotations=suggestions)
    yield catalog, suggestions
    db.close()


def _load(catalog: Catalog, records: list[Record]) -> None:
    catalog.add_records(records)


def test_model_says_which_model_when_and_on_how_many_works(trained):
    model, directory = trained
    meta = current_meta(directory)
    assert meta is not None
    assert meta["model_id"] == model.provenance.model_id
    assert meta["trained_on"] == model.provenance.trained_on > 300
    assert meta["trained_at"].startswith("20")
    assert 0.05 <= meta["threshold"] <= 0.6 and meta["validation_works"] > 30
    assert load(directory).provenance == model.provenance


def test_a_record_with_no_word_the_model_knows_gets_no_heading(trained):
    model, _ = trained
    from ai.corpus import Example

    tibetan = Example("w1", "བོད་ཀྱི་ལོ་རྒྱུས", (), "tib")
    unknown_english = Example("w2", "qwxz zzyzx", (), "eng")
    assert model.suggest([tibetan, unknown_english]) == [[], []]


def test_no_heading_is_suggested_in_a_language_it_was_never_catalogued_in(trained):
    model, _ = trained
    from ai.corpus import Example

    # the words of a jazz recording, in a record said to be in Czech: no Czech evidence
    jazz = Example("w3", "Jazz saxophone improvisation big band swing", (), "cze")
    assert model.suggest([jazz]) == [[]]
    assert model.suggest([Example("w4", jazz.text, (), "eng")])[0]


def test_quick_catalogued_jazz_records_get_their_real_headings_with_the_words_why(trained):
    model, _ = trained
    from ai.corpus import example

    hits = 0
    for stripped, headings in quick_catalogued(5):
        [found] = model.suggest([example("w", [stripped])])
        assert found and all(s.score >= model.provenance.threshold for s in found)
        assert all(s.words for s in found)
        hits += any(s.heading in headings for s in found)
    assert hits >= 2  # English F1@5 is about 0.45 (bench/README.md)


def test_suggestions_are_stored_apart_indexed_and_decisions_survive_retraining(trained, ai_catalog):
    model, directory = trained
    catalog, suggestions = ai_catalog
    (stripped, _), *_ = quick_catalogued(1)
    catalogued = record("north", "n1", "Jazz history", subjects=("Jazz",))
    _load(catalog, [stripped, catalogued])
    work_id = catalog.store.work_of(stripped.key)
    report = suggest_works(catalog, suggestions, model)
    assert report.looked_at == 1  # the catalogued work is left to its cataloguer
    rows = suggestions.suggested_subjects(work_id)
    assert rows and rows[0]["model_id"] == model.provenance.model_id
    payload = catalog.engine.get(work_id)
    assert payload["subjects"] == []
    assert [r["heading"] for r in payload["suggested_subjects"]] == [r["heading"] for r in rows]

    kept, dropped = rows[0]["heading"], rows[-1]["heading"]
    suggestions.decide(work_id, kept, "accepted", "carol")
    if dropped != kept:
        suggestions.decide(work_id, dropped, "rejected", "carol")
    with pytest.raises(SuggestionError):
        suggestions.decide(work_id, "No such heading", "accepted", "carol")
    # a re-trained model that suggests nothing at all, then the first one again
    suggestions.replace(work_id, [], model.provenance)
    assert [(r["heading"], r["status"]) for r in suggestions.suggested_subjects(work_id)] == [
        (kept, "accepted")
    ]
    suggest_works(catalog, suggestions, model)
    after = {r["heading"]: r["status"] for r in suggestions.suggested_subjects(work_id)}
    assert after[kept] == "accepted"
    assert dropped == kept or dropped not in after
    # a re-harvest of the same record keeps the work, and so the decisions
    catalog.add_records([stripped])
    assert catalog.store.work_of(stripped.key) == work_id
    shown = catalog.engine.get(work_id)["suggested_subjects"]
    assert shown[0]["heading"] == kept and shown[0]["status"] == "accepted"


def test_cli_trains_suggests_accepts_and_rejects(tmp_path, monkeypatch):
    from indexer.catalog import open_state
    from indexer.tantivy_engine import TantivyEngine

    monkeypatch.setenv("FEDCAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FEDCAT_ENGINE", "tantivy")
    engine = TantivyEngine(tmp_path / "tantivy")
    db = open_state(tmp_path / "fedcat.sqlite")
    stripped = [r for r, _ in quick_catalogued(2)]
    Catalog(db, engine, {}).add_records([*training_records(), *stripped])
    work_id = Catalog(db, engine, {}).store.work_of(stripped[0].key)
    engine.close()
    db.close()
    runner = CliRunner()

    trained = runner.invoke(main, ["ai", "train"])
    assert trained.exit_code == 0, trained.output
    assert "trained" in trained.output and "threshold" in trained.output
    suggested = runner.invoke(main, ["ai", "suggest"])
    assert suggested.exit_code == 0, suggested.output
    uncatalogued = sum(1 for r in training_records() if not r.subjects) + len(stripped)
    assert f"{uncatalogued} works without catalogued subjects looked at" in suggested.output
    shown = json.loads(runner.invoke(main, ["ai", "show", work_id, "--json"]).output)
    heading = shown[0]["heading"]
    accepted = runner.invoke(main, ["ai", "accept", work_id, heading, "--operator", "carol"])
    assert accepted.exit_code == 0, accepted.output
    missing = runner.invoke(main, ["ai", "reject", work_id, "Not suggested"])
    assert missing.exit_code != 0 and "no suggested subject" in missing.output
    again = runner.invoke(main, ["ai", "train"])
    assert again.exit_code == 0, again.output
    runner.invoke(main, ["ai", "suggest"])
    shown = json.loads(runner.invoke(main, ["ai", "show", work_id, "--json"]).output)
    assert shown[0]["heading"] == heading and shown[0]["status"] == "accepted"
    log = runner.invoke(main, ["ai", "decisions"]).output
    assert "carol" in log and "accepted" in log


@pytest.fixture
def suggested_app(trained, ai_catalog, tmp_path):
    """The app over a catalogue with a quick-catalogued jazz recording (suggestions only)
    and a work catalogued with the heading the model suggests first for it."""
    from config.settings import Settings
    from search_ui.app import create_app
    from tests.fixtures.builders import APP_PARTNERS

    model, _ = trained
    catalog, suggestions = ai_catalog
    (stripped, _), *_ = quick_catalogued(1)
    catalog.add_records([stripped])
    suggested_id = catalog.store.work_of(stripped.key)
    suggest_works(catalog, suggestions, model)
    top = suggestions.suggested_subjects(suggested_id)[0]["heading"]
    catalogued = record("north", "n1", "Notes from a cellar club", subjects=(top,))
    catalog.add_records([catalogued])
    catalogued_id = catalog.store.work_of(catalogued.key)
    app = create_app(Settings(data_dir=tmp_path), engine=catalog.engine, partners=APP_PARTNERS)
    return app.test_client(), suggested_id, catalogued_id, top


def test_the_record_page_shows_suggested_subjects_apart_with_score_and_why(suggested_app):
    client, suggested_id, catalogued_id, top = suggested_app
    page = client.get(f"/work/{suggested_id}").get_data(as_text=True)
    assert "Suggested subjects" in page and "Suggested by a machine" in page
    section = page.split('class="suggested-subjects"')[1].split("</dd>")[0]
    assert top in section and "machine, score" in section and "why:" in section
    assert "trained" in section and "works" in section
    assert "<dt>Subjects</dt>" not in page  # it has no catalogued heading
    other = client.get(f"/work/{catalogued_id}").get_data(as_text=True)
    assert "<dt>Subjects</dt>" in other and "Suggested subjects" not in other


def test_the_api_marks_suggested_subjects_and_the_schema_describes_them(suggested_app):
    client, suggested_id, _, top = suggested_app
    work = client.get(f"/api/v1/works/{suggested_id}").get_json()
    assert work["subjects"] == []
    first = work["suggested_subjects"][0]
    assert first["heading"] == top and first["status"] == "suggested"
    assert set(first) == {
        "heading",
        "scheme",
        "score",
        "status",
        "words",
        "model_id",
        "trained_at",
        "trained_on",
    }
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    answer = paths["/api/v1/works/{work_id}"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    row = schema["properties"]["suggested_subjects"]["items"]
    assert row["properties"]["status"]["enum"] == ["suggested", "accepted"]


def test_search_finds_suggested_subjects_below_catalogued_ones(suggested_app):
    client, suggested_id, catalogued_id, top = suggested_app
    found = client.get("/api/v1/search", query_string={"q": f'subject:"{top}"'}).get_json()
    assert [r["id"] for r in found["results"]] == [catalogued_id, suggested_id]
    # an all-field search finds it too (where its own title words may rank it first)
    found = client.get("/api/v1/search", query_string={"q": top}).get_json()
    assert {suggested_id, catalogued_id} <= {r["id"] for r in found["results"]}


def test_the_subject_facet_counts_catalogued_headings_unless_the_patron_opts_in(suggested_app):
    client, _, _, top = suggested_app
    main_heading = top.split(" -- ")[0]
    plain = client.get("/api/v1/search", query_string={"q": f'subject:"{top}"'}).get_json()
    assert (main_heading, 1) in [(v["value"], v["count"]) for v in plain["facets"]["subject_facet"]]
    assert "subject_facet_suggested" not in plain["facets"]
    opted = client.get(
        "/api/v1/search", query_string={"q": f'subject:"{top}"', "suggested": "1"}
    ).get_json()
    suggested_facet = opted["facets"]["subject_facet_suggested"]
    assert (main_heading, 2) in [(v["value"], v["count"]) for v in suggested_facet]
    assert "subject_facet" not in opted["facets"]


def test_the_search_page_lets_the_patron_count_suggested_subjects_and_go_back(suggested_app):
    import html
    import re

    client, _, _, top = suggested_app
    page = client.get("/", query_string={"q": f'subject:"{top}"'}).get_data(as_text=True)
    [opt_in] = re.findall(r'<a href="([^"]+)"[^>]*>Also count machine-suggested subjects', page)
    opted = client.get(html.unescape(opt_in)).get_data(as_text=True)
    assert "Subject (with suggested)" in opted and "Count catalogued subjects only" in opted
    [back] = re.findall(r'<a href="([^"]+)"[^>]*>Count catalogued subjects only', opted)
    assert "suggested=1" not in html.unescape(back)


def test_a_work_catalogued_since_loses_the_machine_guesses_but_not_the_accepted_one(
    trained, ai_catalog
):
    from dataclasses import replace

    from indexer.model import Subject

    model, _ = trained
    catalog, suggestions = ai_catalog
    (stripped, headings), *_ = quick_catalogued(1)
    catalog.add_records([stripped])
    work_id = catalog.store.work_of(stripped.key)
    suggest_works(catalog, suggestions, model)
    rows = suggestions.suggested_subjects(work_id)
    assert len(rows) >= 2
    suggestions.decide(work_id, rows[0]["heading"], "accepted", "carol")
    # the library re-catalogues the record with headings; the next run takes the guesses away
    catalog.add_records([replace(stripped, subjects=[Subject(h, "lcsh") for h in headings])])
    report = suggest_works(catalog, suggestions, model, missing_only=True)
    assert work_id in report.changed and report.looked_at == 0
    shown = catalog.engine.get(work_id)["suggested_subjects"]
    assert [(r["heading"], r["status"]) for r in shown] == [(rows[0]["heading"], "accepted")]
