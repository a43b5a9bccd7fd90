"""Per-client rate limiting of the API: a JSON 429 with Retry-After, pages untouched, each
client counted apart, the limit configurable and switchable off, no address kept."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from config.partners import Partner
from config.settings import DEFAULT_RATE_LIMIT, Settings, SettingsError, from_environment
from indexer.catalog import Catalog, open_state
from indexer.tantivy_engine import TantivyEngine
from search_ui.app import create_app
from tests.fixtures.builders import record
from tests.fixtures.live import serve_wsgi

PARTNERS = [Partner("north", "North City Library", "http://127.0.0.1:9/oai")]
LIMIT = 5


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ratelimit")
    engine = TantivyEngine(tmp / "index")
    db = open_state(tmp / "state.sqlite")
    Catalog(db, engine, {"north": "North City Library"}).add_records(
        [record("north", "n1", "Crime and punishment")]
    )
    yield engine
    db.close()
    engine.close()


def limited_app(engine, tmp_path, limit: str | None = f"{LIMIT}/minute"):
    return create_app(
        Settings(data_dir=tmp_path, rate_limit=limit), engine=engine, partners=PARTNERS
    )


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_a_client_over_the_limit_gets_a_json_429_with_retry_after(engine, tmp_path):
    with serve_wsgi(limited_app(engine, tmp_path)) as url:
        statuses = [fetch(f"{url}/api/v1/search?q=crime")[0] for _ in range(LIMIT)]
        assert statuses == [200] * LIMIT
        status, headers, body = fetch(f"{url}/api/v1/search?q=crime")
        assert status == 429
        assert headers["Content-Type"].startswith("application/json")
        answer = json.loads(body)
        assert answer["status"] == 429 and "Too many requests" in answer["error"]
        assert 1 <= int(headers["Retry-After"]) <= 60
        # one budget for the whole API: other endpoints are refused too
        assert fetch(f"{url}/api/v1/partners")[0] == 429
        # pages and the widget script are not limited
        assert {fetch(f"{url}/?q=crime")[0] for _ in range(LIMIT * 2)} == {200}
        assert fetch(f"{url}/static/widget.js")[0] == 200


def test_each_client_is_counted_apart_and_no_address_is_kept(engine, tmp_path):
    app = limited_app(engine, tmp_path)
    first = app.test_client()
    first.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    second = app.test_client()
    second.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert [first.get("/api/v1/partners").status_code for _ in range(LIMIT + 1)][-1] == 429
    assert second.get("/api/v1/partners").status_code == 200
    (limiter,) = app.extensions["limiter"]
    counters = repr(vars(limiter.storage))
    assert "192.0.2.10" not in counters and "198.51.100.20" not in counters
    assert "REMOTE_ADDR" not in counters


def test_rate_limit_off_lets_every_request_through(engine, tmp_path):
    client = limited_app(engine, tmp_path, limit=None).test_client()
    assert {client.get("/api/v1/partners").status_code for _ in range(LIMIT * 4)} == {200}
    assert "limiter" not in client.application.extensions


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, DEFAULT_RATE_LIMIT),
        ("60/minute", "60/minute"),
        ("10/second;300/minute", "10/second;300/minute"),
        ("off", None),
        ("OFF", None),
        ("", None),
    ],
)
def test_rate_limit_is_set_by_fedcat_rate_limit(value, expected, tmp_path):
    env = {"FEDCAT_DATA_DIR": str(tmp_path)}
    if value is not None:
        env["FEDCAT_RATE_LIMIT"] = value
    assert from_environment(env).rate_limit == expected


def test_a_rate_limit_that_does_not_parse_is_a_clear_settings_error(tmp_path):
    with pytest.raises(SettingsError, match="FEDCAT_RATE_LIMIT='lots'"):
        from_environment({"FEDCAT_RATE_LIMIT": "lots"})


def test_a_forged_x_forwarded_for_does_not_dodge_the_limit(engine, tmp_path):
    client = limited_app(engine, tmp_path).test_client()
    statuses = [
        client.get("/api/v1/partners", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(LIMIT + 1)
    ]
    assert statuses[-1] == 429


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(engine, tmp_path):
    settings = Settings(data_dir=tmp_path, rate_limit=f"{LIMIT}/minute", trusted_proxies=1)
    client = create_app(settings, engine=engine, partners=PARTNERS).test_client()
    first = {"X-Forwarded-For": "203.0.113.1"}
    assert [client.get("/api/v1/partners", headers=first).status_code for _ in range(LIMIT + 1)][
        -1
    ] == 429
    second = {"X-Forwarded-For": "203.0.113.2"}
    assert client.get("/api/v1/partners", headers=second).status_code == 200


@pytest.mark.parametrize("value", ["-1", "many", "99"])
def test_trusted_proxies_must_be_a_small_whole_number(value):
    with pytest.raises(SettingsError, match="FEDCAT_TRUSTED_PROXIES"):
        from_environment({"FEDCAT_TRUSTED_PROXIES": value})
