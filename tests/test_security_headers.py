"""Who may do what over HTTP: security headers, CORS for partner origins only, no operator
actions on the web, and the bounds on query length and paging."""

from __future__ import annotations

import pytest

from config.partners import Partner
from config.settings import Settings
from indexer.catalog import Catalog, open_state
from indexer.tantivy_engine import TantivyEngine
from search_ui.app import create_app
from search_ui.query_parser import MAX_QUERY_LENGTH
from search_ui.request_params import MAX_PER_PAGE, MAX_RESULTS
from tests.fixtures.builders import record

PARTNER_ORIGIN = "https://www.north.example"
PARTNERS = [
    Partner("north", "North City Library", "http://127.0.0.1:9/oai", origins=(PARTNER_ORIGIN,)),
    Partner("south", "South University Library", "http://127.0.0.1:9/oai"),
]
PATHS = [
    "/",
    "/?q=crime",
    "/?q=crime&page=abc",
    "/work/nope",
    "/no/such/page",
    "/api/v1/search?q=crime",
    "/api/v1/search?page=abc",
    "/api/v1/works/nope",
    "/api/v1/partners",
    "/api/v1/openapi.json",
    "/api/v1/health",
    "/static/widget.js",
    "/static/style.css",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("headers")
    engine = TantivyEngine(tmp / "index")
    db = open_state(tmp / "state.sqlite")
    Catalog(db, engine, {p.id: p.name for p in PARTNERS}).add_records(
        [record("north", "n1", f"Crime story {n}", year=1900 + n) for n in range(60)]
    )
    yield create_app(Settings(data_dir=tmp, rate_limit=None), engine=engine, partners=PARTNERS)
    db.close()
    engine.close()


@pytest.fixture
def client(app):
    return app.test_client()


# -- headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_protective_headers(client, path):
    response = client.get(path)
    csp = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # no inline script, no eval: injected markup cannot run
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'self'"  # no clickjacking of the search page by others
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("script", ["widget.js", "autocomplete.js"])
def test_the_widget_scripts_may_be_loaded_by_partner_pages(client, script):
    """The widget is a script, not a frame: frame rules do not stop it, CORP must allow it
    and the autocomplete script it loads."""
    response = client.get(f"/static/{script}")
    assert response.status_code == 200
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert client.get("/static/style.css").headers.get("Cross-Origin-Resource-Policy") is None


# -- CORS --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/search?q=crime", "/api/v1/partners", "/api/v1/works/nope", "/api/v1/health"]
)
def test_api_is_readable_cross_origin_by_registered_partner_origins_only(client, path):
    partner = client.get(path, headers={"Origin": PARTNER_ORIGIN})
    assert partner.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    assert "Origin" in partner.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in partner.headers
    for stranger in (
        "https://evil.example",
        "null",
        "https://www.north.example.evil.example",
        "http://www.north.example",
        PARTNER_ORIGIN + "/",
        "*",
    ):
        response = client.get(path, headers={"Origin": stranger})
        assert "Access-Control-Allow-Origin" not in response.headers, stranger
        assert "Origin" in response.headers["Vary"]  # caches keep answers per origin
    assert "Access-Control-Allow-Origin" not in client.get(path).headers


def test_pages_are_never_opened_to_other_origins(client):
    for path in ("/?q=crime", "/", "/static/widget.js"):
        response = client.get(path, headers={"Origin": PARTNER_ORIGIN})
        assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_from_an_unregistered_origin_is_not_allowed(client):
    response = client.options(
        "/api/v1/search",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


# -- no operator actions over HTTP --------------------------------------------------------------


#: POST routes of signed-in people, each with CSRF and role-by-role tests of its own
#: (tests/test_ill_patron_web.py): none of them is an operator action.
SIGNED_IN_ACTIONS = {
    ("/signin", "POST"),
    ("/signout", "POST"),
    ("/work/<work_id>/request", "POST"),
    ("/my/requests/<request_id>/cancel", "POST"),
}


def test_the_web_app_has_no_operator_actions(app, client):
    """Harvests, reindexing and the registry are CLI-only: the web app only reads.

    A route that changes state must require a session or a token; this test fails until the
    route is listed here and covered role by role (the ILL routes: tests/test_ill_staff.py,
    tests/test_ill_api.py).
    """
    guarded = {
        ("/staff/requests/<request_id>/act", "POST"),
        ("/api/v1/ill/requests", "POST"),
        ("/api/v1/ill/requests/<request_id>/actions", "POST"),
        # partners' ILL systems, each with its shared secret: tests/test_iso18626_*.py
        ("/iso18626", "POST"),
        # a lender's scan upload: tests/test_ill_copies_web.py, role by role
        ("/staff/requests/<request_id>/scan", "POST"),
    }
    unsafe = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("GET", "HEAD", "OPTIONS")
    }
    read_only = {("/oai", "POST")}  # OAI-PMH allows POST for long arguments; it only reads
    assert unsafe - SIGNED_IN_ACTIONS - guarded - read_only == set()
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/api/v1/search?q=crime")
        assert response.status_code == 405
        assert response.get_json() == {
            "status": 405,
            "error": "The method is not allowed for the requested URL.",
        }


# -- bounds ------------------------------------------------------------------------------------


def test_over_long_query_is_refused_with_a_400_that_says_why(client):
    assert (
        client.get("/api/v1/search", query_string={"q": "a" * MAX_QUERY_LENGTH}).status_code == 200
    )
    for path in ("/api/v1/search", "/"):
        response = client.get(path, query_string={"q": "crime " * 1000})
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert f"at most {MAX_QUERY_LENGTH}" in text


def test_deep_paging_is_bounded_with_a_400_that_names_the_last_page(client):
    per_page = 20
    last = MAX_RESULTS // per_page
    ok = client.get(f"/api/v1/search?q=crime&per_page={per_page}&page={last}")
    assert ok.status_code == 200 and ok.get_json()["offset"] == MAX_RESULTS - per_page
    for page in (last + 1, 10**6, 999_999_999, 10**30):
        response = client.get(f"/api/v1/search?q=crime&per_page={per_page}&page={page}")
        assert response.status_code == 400
        assert response.get_json()["error"].startswith('Parameter "page"')
    too_many = client.get(f"/api/v1/search?q=crime&per_page={MAX_PER_PAGE + 1}")
    assert too_many.status_code == 400
    page = client.get(f"/?q=crime&page={last + 1}")
    assert page.status_code == 400 and f"the last page is {last}" in page.get_data(as_text=True)
