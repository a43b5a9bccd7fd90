"""`fedcat backup` / `fedcat restore` as an operator runs them (issue 18): real partner records
harvested by the real CLI from OAI-PMH servers on loopback, a backup taken while the web app
serves searches from the same data directory, restored onto a fresh directory (a fresh
Elasticsearch index), and the two installations answer the same searches with the same work
ids — on both engines. A backup that is incomplete, altered or from a newer fedcat is refused
before anything is written; a data directory in use is refused without --force.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from config.partners import load_registry
from config.settings import from_environment
from demo.oai_provider import make_app, serve
from fedcat.backup import MANIFEST
from search_ui.app import create_app
from tests.fixtures.harvest_cli import FEEDS, Installation, partner_feed, write_registry
from tests.fixtures.live import serve_wsgi

QUERIES = ("blues", "live recording", "ellington", "quartet", "Armstrong", "Monk")


@pytest.fixture(scope="module")
def partner_urls() -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        yield {
            pid: stack.enter_context(serve(make_app(partner_feed(pid), repository_name=pid)))
            for pid in FEEDS
        }


@pytest.fixture(params=["tantivy", "elasticsearch"])
def installations(request, tmp_path, partner_urls) -> Iterator[tuple[Installation, Installation]]:
    """(the harvested installation, a fresh one to restore into) on one engine."""
    engine = request.param
    es_url = request.getfixturevalue("es_url") if engine == "elasticsearch" else ""
    registry = write_registry(tmp_path / "partners.toml", partner_urls)
    made = [
        Installation(
            tmp_path / name, engine, registry, es_url, f"fedcat-test-bk-{uuid.uuid4().hex}"
        )
        for name in ("original", "restored")
    ]
    yield made[0], made[1]
    if es_url:
        from elasticsearch import Elasticsearch

        client = Elasticsearch(es_url)
        for installation in made:
            client.indices.delete(index=installation.es_index, ignore_unavailable=True)
        client.close()


def app_of(installation: Installation):
    settings = from_environment(installation.env(FEDCAT_RATE_LIMIT="off"))
    return create_app(settings, partners=load_registry(installation.partners_file))


def searches(client) -> dict[str, tuple[int, set[str]]]:
    """Each query's total and the works it finds. Ranks are not compared: the restored index
    is built in one pass, the original grew batch by batch (deleted documents still weigh in
    its term statistics until merged away), so works that tie may come in another order."""
    found = {}
    for text in QUERIES:
        body = client.get(f"/api/v1/search?q={text}&limit=100").get_json()
        assert 0 < body["total"] <= 100, f"{text!r} finds {body['total']}: cannot compare"
        found[text] = (body["total"], {work["id"] for work in body["results"]})
    return found


def search_while(url: str, done: threading.Event, statuses: list[int]) -> None:
    while not done.is_set():
        with urllib.request.urlopen(f"{url}/api/v1/search?q=jazz", timeout=30) as response:
            statuses.append(response.status)


def test_a_backup_taken_while_serving_restores_the_same_works_and_searches(installations):
    original, restored = installations
    code, output = original.run("harvest", "--quiet")
    assert code == 0, output
    app = app_of(original)
    with serve_wsgi(app) as url:
        done, statuses = threading.Event(), []
        searcher = threading.Thread(target=search_while, args=(url, done, statuses))
        searcher.start()
        try:
            code, output = original.run("backup", str(original.data_dir.parent / "backup"))
        finally:
            done.set()
            searcher.join(30)
    assert code == 0, output
    assert statuses and set(statuses) == {200}
    code, output = restored.run("restore", str(original.data_dir.parent / "backup"))
    assert code == 0, output
    assert f"into {restored.engine}" in output
    assert restored.stored() == original.stored()
    assert len(set(original.stored().values())) > 300
    assert restored.documents() == original.documents()
    assert searches(app_of(restored).test_client()) == searches(app.test_client())


@pytest.fixture(scope="module")
def east_backup(tmp_path_factory, partner_urls) -> Path:
    """A tantivy installation harvested from one partner, and its backup (taken once)."""
    root = tmp_path_factory.mktemp("east")
    registry = write_registry(root / "partners.toml", {"east": partner_urls["east"]})
    installation = Installation(root / "data", "tantivy", registry)
    assert installation.run("harvest", "--quiet")[0] == 0
    code, output = installation.run("backup", str(root / "backup"))
    assert code == 0, output
    return root


@pytest.fixture
def backed_up(east_backup, tmp_path) -> tuple[Installation, Path]:
    """The installation and its backup, this test's own copy of both."""
    shutil.copytree(east_backup, tmp_path, dirs_exist_ok=True)
    return Installation(
        tmp_path / "data", "tantivy", tmp_path / "partners.toml"
    ), tmp_path / "backup"


def restore_into(target: Path, installation: Installation, src: Path, *args: str):
    fresh = Installation(target, "tantivy", installation.partners_file)
    return fresh, *fresh.run("restore", str(src), *args)


def test_restore_refuses_a_data_directory_in_use_unless_forced(backed_up, tmp_path):
    installation, src = backed_up
    code, output = installation.run("restore", str(src))
    assert code == 1
    assert "is not empty; restore there with --force" in output
    with sqlite3.connect(installation.data_dir / "fedcat.sqlite") as db:
        db.execute("DELETE FROM records WHERE rowid IN (SELECT rowid FROM records LIMIT 10)")
    db.close()
    before = len(installation.stored())
    code, output = installation.run("restore", str(src), "--force")
    assert code == 0, output
    assert len(installation.stored()) == before + 10
    assert installation.document_count() == len(set(installation.stored().values()))


def test_a_backup_into_a_directory_that_holds_files_is_refused(backed_up):
    installation, src = backed_up
    code, output = installation.run("backup", str(src))
    assert code == 1
    assert "is not empty: a backup goes into a new directory" in output


def corrupt_a_byte(src: Path) -> None:
    path = src / "fedcat.sqlite"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def drop_the_manifest(src: Path) -> None:
    (src / MANIFEST).unlink()


def from_a_newer_fedcat(src: Path) -> None:
    manifest = json.loads((src / MANIFEST).read_text())
    manifest["format"] = 99
    (src / MANIFEST).write_text(json.dumps(manifest))


def lose_a_file(src: Path) -> None:
    manifest = json.loads((src / MANIFEST).read_text())
    reports = [f for f in manifest["files"] if f["path"].startswith("reports/")]
    (src / reports[0]["path"]).unlink()


def escape_the_backup(src: Path) -> None:
    manifest = json.loads((src / MANIFEST).read_text())
    manifest["files"][-1]["path"] = "../../outside"
    (src / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (corrupt_a_byte, "does not match its checksum: altered or corrupt"),
        (drop_the_manifest, "is not a fedcat backup (no manifest.json"),
        (from_a_newer_fedcat, "is backup format 99"),
        (lose_a_file, "which its manifest lists"),
        (escape_the_backup, "outside the backup"),
    ],
    ids=lambda p: getattr(p, "__name__", "")[:20],
)
def test_a_damaged_backup_is_refused_with_its_reason_and_nothing_is_written(
    backed_up, tmp_path, damage, message
):
    installation, src = backed_up
    damage(src)
    fresh, code, output = restore_into(tmp_path / "fresh", installation, src)
    assert code == 1
    assert message in output
    assert not fresh.data_dir.exists()
