"""Shared fixtures: the engines (both, real), a catalog over each, temporary data dirs."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from config.settings import Settings
from indexer.catalog import Catalog, open_state
from indexer.engine import SearchEngine
from indexer.engines import open_engine

ENGINES = ("tantivy", "elasticsearch")
ES_URL = os.environ.get("FEDCAT_ES_URL", "http://127.0.0.1:9200")


def _es_reachable() -> str | None:
    """None when the test server answers, else why not."""
    from elasticsearch import Elasticsearch

    client = Elasticsearch(ES_URL, request_timeout=3)
    try:
        client.cluster.health(timeout="3s")
        return None
    except Exception as exc:  # any failure means "not reachable" here
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()


@pytest.fixture(scope="session")
def es_url() -> str:
    problem = _es_reachable()
    if problem is not None:
        message = f"Elasticsearch test server at {ES_URL} unreachable ({problem})"
        if os.environ.get("CI") == "true":
            pytest.fail(
                message + " — in CI the ES tests must run, start it with .ci/elasticsearch.sh"
            )
        pytest.skip(message + "; start it with .ci/elasticsearch.sh start")
    return ES_URL


def engine_settings(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a test's own index of `kind`: under tmp_path, or a fresh ES index."""
    if kind == "elasticsearch":
        return Settings(
            data_dir=tmp_path,
            engine=kind,
            es_url=request.getfixturevalue("es_url"),
            es_index=f"fedcat-test-{uuid.uuid4().hex[:12]}",
        )
    return Settings(data_dir=tmp_path, engine=kind)


def make_engine(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> SearchEngine:
    """An engine opened as fedcat opens it; `drop()` it when done."""
    return open_engine(engine_settings(kind, request, tmp_path))


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path):
    """Each engine in turn: the same test runs against tantivy and Elasticsearch."""
    instance = make_engine(request.param, request, tmp_path)
    yield instance
    instance.drop()
    instance.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs Elasticsearch (an engine parameter or the es_url fixture),
    so `pytest -m elasticsearch` selects them and `-m "not elasticsearch"` leaves them out."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec else ()
        if "elasticsearch" in params or "es_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.elasticsearch)


@pytest.fixture
def catalog(engine, tmp_path):
    """A catalog over each engine, with the demo partner names."""
    db = open_state(tmp_path / "state.sqlite")
    names = {
        "north": "North City Library",
        "south": "South University Library",
        "east": "East County",
    }
    catalog = Catalog(db, engine, names)
    yield catalog
    catalog.close()  # its mapping process, if the test harvested
    db.close()


def pytest_terminal_summary(terminalreporter):
    """Say plainly how many tests ran against each engine (CI logs show the live ES runs)."""
    for engine in ENGINES:
        passed = [r for r in terminalreporter.stats.get("passed", []) if f"[{engine}" in r.nodeid]
        failed = [r for r in terminalreporter.stats.get("failed", []) if f"[{engine}" in r.nodeid]
        target = f" against {ES_URL}" if engine == "elasticsearch" else ""
        terminalreporter.write_line(
            f"engine {engine}: {len(passed)} passed, {len(failed)} failed{target}"
        )
