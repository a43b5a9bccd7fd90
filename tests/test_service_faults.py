"""The web app when its engine fails under it: real servers, real processes, real HTTP.

- Elasticsearch stopped while the app runs (a TCP proxy in front of the real server, cut and
  restored): the API answers 503 JSON with a clear message and Retry-After, the pages say the
  search is unavailable, the parts that need no engine keep working, and the same app answers
  again as soon as the engine is back, with no restart.
- The tantivy index rewritten by another process (a harvest's commits, or a full reindex)
  while the app searches it: every search answers, and finds every work.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest

from config.partners import Partner
from config.settings import REPO_ROOT, Settings
from indexer.catalog import Catalog, open_state
from indexer.tantivy_engine import TantivyEngine
from search_ui.app import create_app
from tests.fixtures import index_writer
from tests.fixtures.builders import record
from tests.fixtures.live import serve_wsgi
from tests.fixtures.tcp_proxy import proxy_to

PARTNERS = [
    Partner("north", "North City Library", "http://127.0.0.1:9/oai"),
    Partner("south", "South University Library", "http://127.0.0.1:9/oai"),
]
#: Times Elasticsearch is taken away and brought back under one running app.
OUTAGES = 5
#: Searches made while another process rewrites the tantivy index by a full reindex. An
#: incremental writer ("update") is searched until the searches have seen three of its
#: commits: readers look for new commits once a second, so that is a matter of seconds,
#: however fast the machine answers.
SEARCHES_WHILE_WRITING = 150
#: Longest the searches go on while the writer writes, in seconds.
WRITING_DEADLINE = 60


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    """Status, headers and text of a GET, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


# -- Elasticsearch away -----------------------------------------------------------------------


def assert_search_works(url: str, work_id: str) -> None:
    status, _, body = fetch(f"{url}/api/v1/search?q=crime")
    assert status == 200, body
    assert json.loads(body)["results"][0]["title"] == "Crime and punishment"
    assert fetch(f"{url}/api/v1/health")[0] == 200
    assert fetch(f"{url}/api/v1/works/{work_id}")[0] == 200
    status, _, page = fetch(f"{url}/?q=crime")
    # The page marks the matched word; compare the text without its tags.
    assert status == 200 and "Crime and punishment" in re.sub(r"<[^>]+>", "", page)


def assert_search_unavailable(url: str, work_id: str) -> None:
    for path in ("/api/v1/search?q=crime", "/api/v1/health", f"/api/v1/works/{work_id}"):
        status, headers, body = fetch(url + path)
        assert status == 503, (path, body)
        assert headers["Content-Type"].startswith("application/json")
        answer = json.loads(body)
        assert answer["status"] == 503 and "unavailable" in answer["error"], answer
        assert int(headers["Retry-After"]) > 0
    for path in ("/?q=crime", f"/work/{work_id}"):
        status, headers, page = fetch(url + path)
        assert status == 503, path
        assert headers["Content-Type"].startswith("text/html")
        assert "Search unavailable" in page and "try again shortly" in page
        assert "Traceback" not in page and "9200" not in page
    # what needs no engine keeps working
    assert fetch(f"{url}/api/v1/partners")[0] == 200
    assert fetch(f"{url}/api/v1/openapi.json")[0] == 200
    assert fetch(f"{url}/")[0] == 200


@pytest.fixture
def es_shelf(es_url, tmp_path):
    """Two works in a fresh index of the real Elasticsearch: (index name, a work id)."""
    from indexer.es_engine import ElasticsearchEngine

    index = f"fedcat-test-{uuid.uuid4().hex[:12]}"
    loader = ElasticsearchEngine(es_url, index)
    db = open_state(tmp_path / "state.sqlite")
    catalog = Catalog(db, loader, {p.id: p.name for p in PARTNERS})
    catalog.add_records(
        [
            record("north", "n1", "Crime and punishment", author="Dostoyevsky", year=1866),
            record("south", "s1", "The idiot", author="Dostoyevsky", year=1869),
        ]
    )
    try:
        yield index, next(iter(catalog.store.work_ids()))
    finally:
        db.close()
        loader.drop()
        loader.close()


def test_elasticsearch_stopped_is_a_clear_503_and_the_app_recovers_by_itself(
    es_url, es_shelf, tmp_path
):
    index, work_id = es_shelf
    with proxy_to(es_url) as proxy:
        settings = Settings(
            data_dir=tmp_path, engine="elasticsearch", es_url=proxy.url, es_index=index
        )
        with serve_wsgi(create_app(settings, partners=PARTNERS)) as url:
            for _ in range(OUTAGES):
                assert_search_works(url, work_id)
                proxy.cut()
                assert_search_unavailable(url, work_id)
                proxy.restore()
            assert_search_works(url, work_id)


def test_elasticsearch_hung_is_a_503_within_the_timeout_and_the_app_recovers(
    es_url, es_shelf, tmp_path
):
    """A server that takes requests and answers nothing: 503 after FEDCAT_ES_TIMEOUT, not a
    request held forever; answers again as soon as the server does."""
    index, work_id = es_shelf
    timeout = 0.5
    with proxy_to(es_url) as proxy:
        settings = Settings(
            data_dir=tmp_path,
            engine="elasticsearch",
            es_url=proxy.url,
            es_index=index,
            es_timeout=timeout,
        )
        with serve_wsgi(create_app(settings, partners=PARTNERS)) as url:
            for _ in range(2):
                assert_search_works(url, work_id)
                proxy.freeze()
                began = time.monotonic()
                status, _, body = fetch(f"{url}/api/v1/search?q=crime")
                waited = time.monotonic() - began
                assert status == 503, body
                assert timeout <= waited < timeout + 5, waited
                assert_search_unavailable(url, work_id)
                proxy.thaw()
            assert_search_works(url, work_id)


def test_elasticsearch_away_from_the_start_is_a_503_not_a_crash(tmp_path):
    """An app started while the engine is down serves 503s, then works once it is up."""
    with proxy_to("http://127.0.0.1:9") as nowhere:  # a port nothing listens on
        settings = Settings(data_dir=tmp_path, engine="elasticsearch", es_url=nowhere.url)
        with serve_wsgi(create_app(settings, partners=PARTNERS)) as url:
            status, _, body = fetch(f"{url}/api/v1/search?q=crime")
            assert status == 503 and "unavailable" in json.loads(body)["error"]
            assert fetch(f"{url}/?q=crime")[0] == 503


# -- tantivy rewritten under the app ------------------------------------------------------------


def start_writer(data_dir: Path, mode: str, stop_file: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path])}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.index_writer", str(data_dir), mode, str(stop_file)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("mode", ["update", "reindex"])
def test_searches_keep_answering_while_another_process_rewrites_the_tantivy_index(
    tmp_path, mode, capsys
):
    works = 40
    seed = TantivyEngine(tmp_path / "tantivy")
    seed_db = open_state(tmp_path / "writer.sqlite")
    Catalog(seed_db, seed, index_writer.LIBRARIES).add_records(index_writer.records(works, 0))
    seed.close()
    seed_db.close()
    del seed

    stop_file = tmp_path / "stop"
    answers: Counter = Counter()
    rounds_seen: set[str] = set()
    totals: Counter = Counter()
    app = create_app(Settings(data_dir=tmp_path, rate_limit=None), partners=PARTNERS)
    with serve_wsgi(app) as url:
        writer = start_writer(tmp_path, mode, stop_file)
        try:
            searches = 0
            deadline = time.monotonic() + WRITING_DEADLINE
            while writer.poll() is None and time.monotonic() < deadline:
                if mode == "reindex" and searches >= SEARCHES_WHILE_WRITING:
                    break
                searches += 1
                status, _, body = fetch(f"{url}/api/v1/search?q=harvested&per_page=100")
                answers[status] += 1
                assert status == 200, body
                result = json.loads(body)
                totals[result["total"]] += 1
                rounds_seen |= {
                    m for w in result["results"] for m in re.findall(r"round\d+", w["title"])
                }
                # neither a harvest's commit nor a full reindex hides a work from a search
                assert result["total"] == works, result["total"]
                if mode == "update" and len(rounds_seen) >= 3:
                    break
                status, _, page = fetch(f"{url}/?q=harvested")
                answers[status] += 1
                assert status == 200 and "Traceback" not in page
        finally:
            stop_file.touch()
            out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    rounds = int(out.strip())
    assert rounds >= 2, "the writer committed too little to overlap the searches"
    if mode == "update":
        assert len(rounds_seen) >= 3, "the searches never saw the writer's commits"
    with capsys.disabled():
        print(
            f"\ntantivy {mode}: {rounds} rounds written by another process, "
            f"{sum(answers.values())} requests answered {dict(answers)}, "
            f"totals seen {dict(totals)}"
        )
