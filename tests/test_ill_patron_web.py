"""The patron's pages and sign-in, route by route and role by role, on real engines, real
records and both request/account stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from demo.accounts import describe, ensure_demo_accounts
from search_ui.extension import EXTENSION
from search_ui.signin import safe_next
from tests.fixtures.patron_app import (
    ANN,
    BOB,
    FAST,
    OLA,
    PEOPLE,
    SUE,
    csrf_token,
    database,
    index_works,
    patron_app,
    sign_in,
)

pytest_plugins = ["tests.fixtures.ill_stores"]
STORES = ("sqlite", "postgresql")


@pytest.fixture(params=STORES)
def location(request, tmp_path):
    pg = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    with database(request.param, tmp_path, pg) as where:
        yield where


@pytest.fixture
def app(catalog, tmp_path, location):
    """The app over each engine × each store."""
    index_works(catalog)
    with patron_app(catalog.engine, tmp_path, location) as instance:
        yield instance


@pytest.fixture
def tantivy_app(tmp_path, location, request):
    """The app over tantivy × each store, for tests where the engine plays no part."""
    from indexer.catalog import Catalog, open_state
    from indexer.tantivy_engine import TantivyEngine
    from tests.fixtures.builders import APP_PARTNERS

    engine = TantivyEngine(tmp_path / "index")
    db = open_state(tmp_path / "state.sqlite")
    index_works(Catalog(db, engine, {p.id: p.name for p in APP_PARTNERS}))
    with patron_app(engine, tmp_path, location) as instance:
        yield instance
    engine.close()
    db.close()


def work_id(client, title: str) -> str:
    found = client.get("/api/v1/search", query_string={"q": f'title:"{title}"'}).get_json()
    [work] = [w for w in found["results"] if w["title"] == title]
    return work["id"]


def place(client, title: str, **form: str):
    wid = work_id(client, title)
    token = csrf_token(client, f"/work/{wid}/request")
    return client.post(f"/work/{wid}/request", data={"csrf_token": token, **form})


def request_id_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return urlsplit(response.headers["Location"]).path.rsplit("/", 1)[1]


def signed_in(app, person):
    client = app.test_client()
    assert sign_in(client, person).status_code == 303
    return client


# placing and cancelling, both engines × both stores ---------------------------------------


def test_patron_places_a_request_for_a_work_held_elsewhere_and_cancels_it(app):
    client = signed_in(app, ANN)
    search = client.get("/?q=kind+of+blue").get_data(as_text=True)
    wid = work_id(client, "Kind of blue")
    assert f'href="/work/{wid}/request"' in search
    placed = place(client, "Kind of blue", service="Loan", needed_by="2999-01-31")
    rid = request_id_of(placed)

    page = client.get(f"/my/requests/{rid}").get_data(as_text=True)
    assert "Sent to a lending library, waiting for its answer" in page
    assert "South University Library" in page  # the lender: south has the available copy
    assert "2999-01-31" in page and "Request placed" in page
    stored = app.extensions[EXTENSION].ill.store.get(rid)
    assert (stored.lender, stored.pickup_location) == ("south", "North City Library")

    token = csrf_token(client, "/my/requests")
    cancelled = client.post(f"/my/requests/{rid}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    page = client.get(f"/my/requests/{rid}").get_data(as_text=True)
    assert "Cancelled" in page and "Cancel this request" not in page
    assert app.extensions[EXTENSION].ill.store.get(rid).state.name == "Cancelled/closed"

    again = client.post(f"/my/requests/{rid}/cancel", data={"csrf_token": token})
    assert again.status_code == 409
    assert "can no longer be cancelled" in again.get_data(as_text=True)


def test_copy_request_carries_its_citation(tantivy_app):
    client = signed_in(tantivy_app, ANN)
    rid = request_id_of(
        place(
            client,
            "Giant steps",
            service="Copy",
            citation_title="Liner notes",
            citation_pages="3-9",
            citation_year="1960",
        )
    )
    stored = tantivy_app.extensions[EXTENSION].ill.store.get(rid)
    assert stored.service == "Copy" and stored.lender == "east"
    assert (stored.citation.title, stored.citation.pages, stored.citation.year) == (
        "Liner notes",
        "3-9",
        "1960",
    )


# the rules' refusals are messages on the form, never 500 --------------------------------


def test_own_shelf_refusal_shows_the_home_library_shelf(tantivy_app):
    client = signed_in(tantivy_app, ANN)
    refused = place(client, "Blue train")
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "Your own library has an available copy" in html
    assert "JAZZ COL" in html and "Music shelves" in html
    assert tantivy_app.extensions[EXTENSION].ill.store.count() == 0


def test_second_open_request_for_a_work_links_to_the_first(tantivy_app):
    client = signed_in(tantivy_app, ANN)
    first = request_id_of(place(client, "Kind of blue"))
    second = place(client, "Kind of blue")
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "You already have an open request for this work." in html
    assert f'href="/my/requests/{first}"' in html


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"service": "Copy"}, "A copy needs the title of the article or chapter."),
        ({"service": "Fax"}, "Choose a loan or a copy."),
        ({"pickup": "Somewhere else"}, "Choose a pickup location from the list."),
        ({"needed_by": "2001-01-01"}, "The needed-by date is in the past."),
        ({"needed_by": "soon"}, "The needed-by date must be a date like 2025-03-31."),
        ({"citation_title": "x" * 501, "service": "Copy"}, "A citation field is too long"),
    ],
)
def test_bad_request_forms_answer_400_with_a_message(tantivy_app, form, message):
    client = signed_in(tantivy_app, ANN)
    answer = place(client, "Kind of blue", **form)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)


def test_unknown_work_answers_404(tantivy_app):
    client = signed_in(tantivy_app, ANN)
    assert client.get("/work/wdeadbeefdeadbeef/request").status_code == 404
    assert client.get("/work/not%20an%20id/request").status_code == 404


# authorisation, route by route ------------------------------------------------------------


def routes(wid: str, rid: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/work/{wid}/request"),
        ("POST", f"/work/{wid}/request"),
        ("GET", "/my/requests"),
        ("GET", f"/my/requests/{rid}"),
        ("POST", f"/my/requests/{rid}/cancel"),
        ("GET", "/my/data"),
        ("GET", "/my/data.json"),
    ]


@pytest.fixture
def anns_request(tantivy_app):
    client = signed_in(tantivy_app, ANN)
    return work_id(client, "Giant steps"), request_id_of(place(client, "Kind of blue"))


def call(client, method: str, path: str):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(client, "/signin")})


def test_anonymous_visitors_are_sent_to_sign_in_or_refused(tantivy_app, anns_request):
    client = tantivy_app.test_client()
    for method, path in routes(*anns_request):
        answer = call(client, method, path)
        if method == "GET":
            assert answer.status_code == 303, path
            target = urlsplit(answer.headers["Location"])
            assert target.path == "/signin"
            assert parse_qs(target.query)["next"][0].startswith(path)
        else:
            assert answer.status_code == 401, path


@pytest.mark.parametrize("person", [SUE, OLA], ids=["staff", "operator"])
def test_staff_and_operators_cannot_use_patron_pages(tantivy_app, anns_request, person):
    client = signed_in(tantivy_app, person)
    for method, path in routes(*anns_request):
        assert call(client, method, path).status_code == 403, (method, path)


def test_another_patron_gets_404_for_anns_request(tantivy_app, anns_request):
    _, rid = anns_request
    client = signed_in(tantivy_app, BOB)
    assert client.get(f"/my/requests/{rid}").status_code == 404
    assert client.get("/my/requests/ill-nosuchrequest00").status_code == 404
    assert call(client, "POST", f"/my/requests/{rid}/cancel").status_code == 404
    mine = client.get("/my/requests").get_data(as_text=True)
    assert rid not in mine and "You have no requests yet" in mine
    data = client.get("/my/data.json").get_json()
    assert data["requests"] == [] and data["account"]["card_number"] == BOB.login
    assert tantivy_app.extensions[EXTENSION].ill.store.get(rid).is_open


def test_patron_reaches_every_own_route(tantivy_app, anns_request):
    wid, rid = anns_request
    client = signed_in(tantivy_app, ANN)
    for method, path in routes(wid, rid):
        answer = call(client, method, path)
        # the bare POST of a request form is a Loan to Giant steps; the cancel redirects
        assert answer.status_code in (200, 303), (method, path, answer.status_code)


# sign-in, sign-out, CSRF, open redirects --------------------------------------------------


def test_post_without_csrf_token_is_refused(tantivy_app, anns_request):
    _, rid = anns_request
    client = signed_in(tantivy_app, ANN)
    for path in ("/signin", "/signout", f"/my/requests/{rid}/cancel", "/work/x/request"):
        answer = client.post(path, data={"kind": "staff"})
        assert answer.status_code == 400, path
        assert "CSRF" in answer.get_data(as_text=True)
    assert tantivy_app.extensions[EXTENSION].ill.store.get(rid).is_open


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\r\nLocation: //evil.example",
        "\t//evil.example",
        "evil.example/x",
    ],
)
def test_sign_in_never_redirects_off_the_site(tantivy_app, target):
    answer = sign_in(tantivy_app.test_client(), ANN, next=target)
    assert answer.status_code == 303
    location = urlsplit(answer.headers["Location"])
    assert (location.scheme, location.netloc) == ("", "")
    assert location.path == "/my/requests"


def test_sign_in_returns_to_a_path_of_this_site():
    assert safe_next("/work/w1/request?lang=zh") == "/work/w1/request?lang=zh"
    assert safe_next("//evil.example") is None
    assert safe_next("/\\evil.example") is None
    assert safe_next("https://evil.example/a") is None


def test_failed_sign_in_does_not_say_which_part_was_wrong(tantivy_app):
    client = tantivy_app.test_client()
    wrong_pin = sign_in(client, ANN, pin="not-the-pin")
    unknown_card = sign_in(client, ANN, card_number="N-9999")
    wrong_library = sign_in(client, ANN, library="south")
    bad_staff = sign_in(client, SUE, password="not the password!")
    texts = set()
    for answer in (wrong_pin, unknown_card, wrong_library, bad_staff):
        assert answer.status_code == 401
        assert "fedcat_session" not in answer.headers.get("Set-Cookie", "")
        [message] = re.findall(r'role="alert">([^<]+)<', answer.get_data(as_text=True))
        texts.add(message)
    assert texts == {"Sign-in failed. Please check your details and try again."}
    assert sign_in(client, ANN, pin="").status_code == 400


def test_repeated_failures_are_throttled_with_retry_after(tantivy_app):
    client = tantivy_app.test_client()
    statuses = [sign_in(client, ANN, pin="wrong-pin").status_code for _ in range(5)]
    assert statuses == [401] * 5
    throttled = sign_in(client, ANN)  # even the right PIN waits now
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in throttled.get_data(as_text=True)


def test_sign_out_revokes_the_session_on_the_server(tantivy_app):
    client = signed_in(tantivy_app, ANN)
    token = client.get_cookie("fedcat_session").value
    assert client.get("/my/requests").status_code == 200
    out = client.post("/signout", data={"csrf_token": csrf_token(client, "/my/requests")})
    assert out.status_code == 303
    assert client.get_cookie("fedcat_session") is None
    thief = tantivy_app.test_client()
    thief.set_cookie("fedcat_session", token)
    assert thief.get("/my/requests").status_code == 303  # sent to sign in: the token is dead


def test_navigation_follows_who_is_signed_in(tantivy_app):
    anonymous = tantivy_app.test_client().get("/?q=blue").get_data(as_text=True)
    assert "Sign in to request" in anonymous and ">Sign in<" in anonymous
    assert "My requests" not in anonymous
    patron = signed_in(tantivy_app, ANN).get("/?q=blue").get_data(as_text=True)
    assert "My requests" in patron and "Sign out" in patron and "Sign in to request" not in patron
    staff = signed_in(tantivy_app, SUE)
    staff_page = staff.get("/?q=blue").get_data(as_text=True)
    assert "Sign out" in staff_page and "My requests" not in staff_page
    assert "Sign in to request" not in staff_page
    has_staff_views = "staff.lending" in tantivy_app.view_functions
    assert ('href="/staff' in staff_page) == has_staff_views
    wid = work_id(staff, "Giant steps")
    record = tantivy_app.test_client().get(f"/work/{wid}").get_data(as_text=True)
    assert 'id="request"' in record and "Sign in to request" in record


# privacy ----------------------------------------------------------------------------------


def test_no_patron_data_reaches_the_logs(tantivy_app, caplog):
    caplog.set_level(logging.DEBUG)
    client = tantivy_app.test_client()
    sign_in(client, ANN, pin="wrong-pin")
    sign_in(client, ANN)
    rid = request_id_of(place(client, "Kind of blue", needed_by="2999-12-31"))
    place(client, "Kind of blue")  # refused: a second open request
    client.post(f"/my/requests/{rid}/cancel", data={"csrf_token": csrf_token(client)})
    client.get("/my/data.json")
    assert caplog.records  # the accounts layer did log the sign-ins
    for secret in (ANN.login, ANN.secret, ANN.name, ANN.email, "wrong-pin"):
        assert secret not in caplog.text


def test_my_data_lists_the_account_and_every_request_with_its_timeline(tantivy_app):
    client = signed_in(tantivy_app, ANN)
    rid = request_id_of(place(client, "Kind of blue"))
    page = client.get("/my/data").get_data(as_text=True)
    assert ANN.name in page and ANN.email in page and ANN.login in page
    download = client.get("/my/data.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Cache-Control"] == "private, no-store"
    data = download.get_json()
    assert data["account"]["email"] == ANN.email and ANN.secret not in download.get_data(True)
    [req] = data["requests"]
    assert req["id"] == rid and req["patron_ref"] == f"north:{ANN.login}"
    assert [e["action"] for e in req["timeline"]] == ["Place", "SendToLender"]


# languages --------------------------------------------------------------------------------


def test_pages_speak_chinese(tantivy_app):
    client = tantivy_app.test_client()
    assert "图书证" in client.get("/signin?lang=zh").get_data(as_text=True)
    sign_in(client, ANN)
    rid = request_id_of(place(client, "Kind of blue"))
    mine = client.get(f"/my/requests/{rid}?lang=zh").get_data(as_text=True)
    assert "我的申请" in mine and "已发送至借出馆，等待答复" in mine
    wid = work_id(client, "Giant steps")
    form = client.get(f"/work/{wid}/request?lang=zh").get_data(as_text=True)
    assert "取书地点" in form


# the demo's sign-ins ---------------------------------------------------------------------


def test_demo_accounts_are_created_once_and_sign_in(tantivy_app):
    shared = tantivy_app.extensions[EXTENSION]
    partners = shared.partners
    first = ensure_demo_accounts(shared.accounts, partners)
    again = ensure_demo_accounts(shared.accounts, partners)
    assert first == again
    assert [(x.role, x.library_id) for x in first] == [
        ("patron", "north"),
        *[("staff", p.id) for p in partners],
    ]
    lines = describe(first)
    assert lines[0].startswith("DEMO-ONLY") and len(lines) == 1 + len(first)
    for login in first:
        if login.role == "patron":
            shared.accounts.sign_in_patron(login.library_id, login.login, login.secret, "t")
        else:
            shared.accounts.sign_in_staff(login.login, login.secret, "t")
    assert FAST is shared.accounts.hasher and len(PEOPLE) == 4


def test_an_overlong_address_is_not_carried_through_sign_in(tmp_path):
    from config.settings import Settings
    from search_ui.app import create_app

    app = create_app(Settings(data_dir=tmp_path, rate_limit=None), partners=[])
    answer = app.test_client().get("/my/data?" + "q=" + "x" * 5000)
    assert answer.status_code == 303 and len(answer.headers["Location"]) < 100
