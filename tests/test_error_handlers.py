"""The two 500 handlers, reached by real faults: an engine index made unusable under the
running app, a real SQLite error, and an unexpected exception in a view.

Each answer is a 500 with a plain message (JSON for the API, the error page for pages), no
stack trace, and the error is in the log for the operator.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time

import pytest

from config.settings import Settings
from indexer.tantivy_engine import RELOAD_INTERVAL
from search_ui.app import create_app
from tests.fixtures.builders import APP_PARTNERS, record

ENGINE_FAILED = "The search failed. The problem has been logged."
UNEXPECTED = "Something went wrong. The problem has been logged."
TRACE_MARKS = ("Traceback", 'File "', "ValueError", "sqlite3", "ApiError")


@pytest.fixture
def shelf(catalog):
    catalog.add_records([record("north", f"n{n}", f"Crime story {n}") for n in range(3)])
    return catalog


def app_over(engine, tmp_path):
    return create_app(
        Settings(data_dir=tmp_path, rate_limit=None), engine=engine, partners=APP_PARTNERS
    )


def make_unusable(engine) -> None:
    """Break the engine's index under the app the way an operator's accident would."""
    if engine.name == "tantivy":
        shutil.rmtree(engine.path)  # the index directory deleted while the app serves it
        time.sleep(RELOAD_INTERVAL + 0.2)  # the app notices on its next reload
    else:
        engine.client.indices.close(index=engine.index)  # an operator closed the index


def assert_plain_500(response, message: str | None = None) -> str:
    """A 500 whose body says what happened in words, with no stack trace."""
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    for mark in TRACE_MARKS:
        assert mark not in text, mark
    if response.mimetype == "application/json":
        body = response.get_json()
        assert body["status"] == 500
        assert body["error"] in ((message,) if message else (ENGINE_FAILED, UNEXPECTED))
        return body["error"]
    assert message is None or message in text
    return text


def server_errors(caplog) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "search_ui.errors" and r.levelno >= logging.ERROR
    ]


def test_an_index_made_unusable_under_the_app_answers_500_and_is_logged(shelf, tmp_path, caplog):
    client = app_over(shelf.engine, tmp_path).test_client()
    assert client.get("/api/v1/search?q=crime").get_json()["total"] == 3
    make_unusable(shelf.engine)
    with caplog.at_level(logging.ERROR, logger="search_ui.errors"):
        api = client.get("/api/v1/search?q=crime")
        page = client.get("/?q=crime")
        health = client.get("/api/v1/health")
    message = assert_plain_500(api)
    assert_plain_500(health)
    assert_plain_500(page, message)
    assert page.mimetype == "text/html"
    assert len(server_errors(caplog)) == 3
    assert message == ENGINE_FAILED  # both engines turn their own error into an EngineError
    if shelf.engine.name == "elasticsearch":  # ES refuses the closed index
        assert "index_closed_exception" in server_errors(caplog)[0].getMessage()
    else:
        assert "cannot be read" in server_errors(caplog)[0].getMessage()


def test_a_real_sqlite_error_answers_the_engine_500(tmp_path, caplog):
    """The state database (checkpoints, works) is SQLite: a damaged file is a 500, logged."""
    state = tmp_path / "state.sqlite"
    state.write_bytes(b"this is not a database" * 100)
    app = create_app(Settings(data_dir=tmp_path, rate_limit=None), partners=APP_PARTNERS)

    @app.get("/api/v1/test-only/state")
    def read_state():
        with sqlite3.connect(state) as db:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return {}

    with caplog.at_level(logging.ERROR, logger="search_ui.errors"):
        response = app.test_client().get("/api/v1/test-only/state")
    assert_plain_500(response, ENGINE_FAILED)
    [logged] = server_errors(caplog)
    assert "file is not a database" in logged.getMessage()


@pytest.mark.parametrize("path", ["/api/v1/test-only/boom", "/test-only/boom"])
def test_an_unexpected_exception_answers_the_catch_all_500_with_its_trace_only_in_the_log(
    tmp_path, caplog, path
):
    app = create_app(Settings(data_dir=tmp_path, rate_limit=None), partners=APP_PARTNERS)

    @app.get(path)
    def boom():
        return {"ratio": 1 / len([])}

    with caplog.at_level(logging.ERROR, logger="search_ui.errors"):
        response = app.test_client().get(path)
    assert_plain_500(response, UNEXPECTED)
    [logged] = server_errors(caplog)
    assert logged.getMessage() == "unexpected error"
    assert logged.exc_info[0] is ZeroDivisionError
