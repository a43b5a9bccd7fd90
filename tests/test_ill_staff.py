"""The staff pages of inter-library loan, route by route and role by role, on both stores.

Real app, real accounts and sessions (the `fedcat_session` cookie), real request store on
SQLite and PostgreSQL, over a work indexed from real records held by three libraries.
"""

from __future__ import annotations

import logging
import threading

import pytest

from ill.states import Action, Role, Stage, Status, allowed_actions
from tests.fixtures.ill_web import PATRON_CARD, PATRON_NAME, csrf_token, post_action

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.ill_web"]

PAGES = ("/staff/lending", "/staff/borrowing")


def other(library: str) -> str:
    """A library that is neither the borrower (north) nor `library`."""
    return next(lib for lib in ("south", "east") if lib != library)


# authorisation ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_asked_to_sign_in(web_sqlite, path):
    answer = web_sqlite.client().get(path)
    assert answer.status_code == 401
    assert "sign in" in answer.get_data(as_text=True).lower()


@pytest.mark.parametrize("path", PAGES)
def test_a_patron_may_not_see_staff_pages(web_sqlite, path):
    answer = web_sqlite.patron().get(path)
    assert answer.status_code == 403


def test_request_page_by_role(web_sqlite):
    web = web_sqlite
    placed = web.place()
    path = f"/staff/requests/{placed.id}"
    assert web.client().get(path).status_code == 401
    assert web.patron("north", "N-2").get(path).status_code == 403
    assert web.staff(placed.lender, "lender1").get(path).status_code == 200
    assert web.staff("north", "borrower1").get(path).status_code == 200
    assert web.staff(other(placed.lender), "stranger").get(path).status_code == 404
    # an operator acts for the library they belong to, like its staff
    assert web.staff("north", "op1", role="operator").get(path).status_code == 200
    assert web.staff(other(placed.lender), "op2", role="operator").get(path).status_code == 404
    assert web.staff("north", "b2").get("/staff/requests/ill-nope").status_code == 404


def test_each_queue_lists_only_its_own_library(web_sqlite):
    web = web_sqlite
    placed = web.place()
    assert placed.id in web.staff(placed.lender, "l1").get("/staff/lending").get_data(as_text=True)
    assert placed.id in web.staff("north", "b1").get("/staff/borrowing").get_data(as_text=True)
    stranger = web.staff(other(placed.lender), "s1")
    for path in PAGES:
        assert placed.id not in stranger.get(path).get_data(as_text=True)
    assert placed.id not in web.staff("north", "b2").get("/staff/lending").get_data(as_text=True)


def test_staff_of_another_library_cannot_act(web):
    placed = web.place()
    intruder = web.staff(other(placed.lender), "intruder")
    answer = intruder.post(
        f"/staff/requests/{placed.id}/act",
        data={
            "csrf_token": web.csrf_for(intruder),
            "action": "WillSupply",
            "version": placed.version,
        },  # fmt: skip
    )
    assert answer.status_code == 404
    assert web.get(placed.id).state == placed.state


def test_a_patron_cannot_post_staff_actions(web):
    placed = web.place()
    patron = web.patron()
    answer = patron.post(f"/staff/requests/{placed.id}/act", data={"action": "WillSupply"})
    assert answer.status_code in (400, 403)  # no CSRF token from a staff page, and no staff
    assert web.get(placed.id).state == placed.state


def test_a_form_without_csrf_token_is_refused(web):
    placed = web.place()
    lender = web.staff(placed.lender, "l1")
    answer = lender.post(
        f"/staff/requests/{placed.id}/act",
        data={"action": "WillSupply", "version": str(placed.version)},
    )
    assert answer.status_code == 400
    assert "csrf" in answer.get_data(as_text=True).lower()
    assert web.get(placed.id).state.status is Status.RequestReceived


# the lending side ---------------------------------------------------------------------------


def test_the_pull_slip_names_the_item_and_library_not_the_patron(web):
    placed = web.place()
    lender = web.staff(placed.lender, "l1")
    entry = placed.rota[placed.rota_position]
    for path in ("/staff/lending", f"/staff/requests/{placed.id}"):
        html = lender.get(path).get_data(as_text=True)
        for shown in (entry.call_number, entry.location, placed.title, "North City Library",
                      placed.id):  # fmt: skip
            assert shown in html
        assert PATRON_CARD not in html
        assert PATRON_NAME not in html
        assert "ada@example.org" not in html


def test_buttons_are_the_actions_the_state_machine_allows(web):
    placed = web.place()
    html = web.staff(placed.lender, "l1").get("/staff/lending").get_data(as_text=True)
    offered = {a for a in Action if f'name="action" value="{a.value}"' in html}
    allowed = set(allowed_actions(placed.state, Role.lender, placed.service))
    assert offered == allowed - {Action.Notification}  # a note to the other side: no button
    assert Action.Shipped in offered and Action.CheckedIn not in offered


def test_lender_ships_with_the_default_due_date_then_checks_in(web):
    placed = web.place()
    lender, borrower = web.staff(placed.lender, "l1"), web.staff("north", "b1")
    assert post_action(lender, "/staff/lending", placed, "WillSupply").status_code == 303
    page = lender.get("/staff/lending").get_data(as_text=True)
    assert 'name="due_date"' in page
    shipped = post_action(lender, "/staff/lending", web.get(placed.id), "Shipped",
                          due_date="2099-01-31", back="lending")  # fmt: skip
    assert shipped.status_code == 303 and shipped.headers["Location"] == "/staff/lending"
    now = web.get(placed.id)
    assert now.state.status is Status.Loaned and str(now.due_date) == "2099-01-31"
    for action in ("Received", "ShippedReturn"):
        answer = post_action(borrower, "/staff/borrowing", web.get(placed.id), action)
        assert answer.status_code == 303
    answer = post_action(lender, f"/staff/requests/{placed.id}", web.get(placed.id), "CheckedIn")
    assert answer.status_code == 303
    assert web.get(placed.id).state.status is Status.LoanCompleted


def test_cannot_supply_passes_the_request_on_and_the_reason_is_shown(web):
    placed = web.place()
    first = placed.lender
    answer = post_action(web.staff(first, "l1"), "/staff/lending", placed, "CannotSupply",
                         reason="Damaged", note="spine broken")  # fmt: skip
    assert answer.status_code == 303
    moved = web.get(placed.id)
    assert moved.lender == other(first)
    html = web.staff("north", "b1").get(f"/staff/requests/{placed.id}").get_data(as_text=True)
    assert "Damaged: spine broken" in html and "PoorCondition" not in html
    mine = web.patron().get("/my/requests").get_data(as_text=True)  # the patron's timeline too
    assert "Damaged: spine broken" in mine and "PoorCondition" not in mine
    assert moved.rota[1].reason in html  # the reason for the next lender's place


def test_conditional_then_accept_and_renewal_answered(web):
    placed = web.place()
    lender, borrower = web.staff(placed.lender, "l1"), web.staff("north", "b1")
    post_action(lender, "/staff/lending", placed, "Conditional", condition="library use only")
    assert "library use only" in borrower.get("/staff/borrowing").get_data(as_text=True)
    assert post_action(borrower, "/staff/borrowing", web.get(placed.id),
                       "AcceptCondition").status_code == 303  # fmt: skip
    post_action(lender, "/staff/lending", web.get(placed.id), "Shipped")
    for action in ("Received", "OnHoldShelf", "LentToPatron", "Renew"):
        assert post_action(borrower, "/staff/borrowing", web.get(placed.id),
                           action).status_code == 303  # fmt: skip
    due = web.get(placed.id).due_date
    answer = post_action(lender, "/staff/lending", web.get(placed.id), "RenewAccepted")
    assert answer.status_code == 303
    renewed = web.get(placed.id)
    assert renewed.due_date > due and not renewed.state.renewal_pending
    post_action(lender, "/staff/lending", renewed, "Recall")
    assert web.get(placed.id).state.status is Status.Recalled


def test_a_stale_page_is_refused_with_409_and_changes_nothing(web):
    placed = web.place()
    lender = web.staff(placed.lender, "l1")
    post_action(lender, "/staff/lending", placed, "WillSupply")
    stale = post_action(lender, "/staff/lending", placed, "CannotSupply", reason="NotOnShelf")
    assert stale.status_code == 409
    assert "changed by someone else" in stale.get_data(as_text=True)
    assert web.get(placed.id).state.status is Status.WillSupply


def test_an_action_the_state_does_not_allow_is_409(web):
    placed = web.place()
    borrower = web.staff("north", "b1")
    answer = post_action(borrower, "/staff/borrowing", placed, "Received")
    assert answer.status_code == 409
    assert "allowed now" in answer.get_data(as_text=True)
    assert web.get(placed.id).state.stage is Stage.with_lender


def test_bad_details_are_a_400_with_a_message(web):
    placed = web.place()
    lender = web.staff(placed.lender, "l1")
    answer = post_action(lender, "/staff/lending", placed, "Shipped", due_date="31/01/2099")
    assert answer.status_code == 400 and "due_date" in answer.get_data(as_text=True)
    answer = post_action(lender, "/staff/lending", placed, "Frobnicate")
    assert answer.status_code == 400
    answer = post_action(lender, "/staff/lending", placed, "CannotSupply", reason="Other")
    assert answer.status_code == 400  # "Other" needs a note
    assert web.get(placed.id).version == placed.version


def test_two_staff_acting_at_once_one_wins_the_other_gets_409(web):
    placed = web.place()
    clients = [web.staff(placed.lender, f"twin{n}") for n in (1, 2)]
    forms = []
    for client in clients:
        page = client.get("/staff/lending").get_data(as_text=True)
        forms.append({"csrf_token": csrf_token(page), "action": "WillSupply",
                      "version": str(placed.version)})  # fmt: skip
    barrier, codes = threading.Barrier(2), []

    def press(client, form):
        barrier.wait()
        codes.append(client.post(f"/staff/requests/{placed.id}/act", data=form).status_code)

    threads = [
        threading.Thread(target=press, args=pair) for pair in zip(clients, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(codes) == [303, 409]
    events = web.shared.ill.store.timeline(placed.id)
    assert [e.action for e in events].count(Action.WillSupply) == 1


def test_no_patron_data_reaches_the_logs(web, caplog):
    caplog.set_level(logging.DEBUG)
    placed = web.place()
    lender, borrower = web.staff(placed.lender, "l1"), web.staff("north", "b1")
    post_action(lender, "/staff/lending", placed, "WillSupply")
    post_action(lender, "/staff/lending", web.get(placed.id), "Shipped")
    post_action(borrower, "/staff/borrowing", web.get(placed.id), "Received")
    post_action(borrower, "/staff/borrowing", web.get(placed.id), "Received")  # a 409
    assert caplog.records, "the app logged something to check"
    for text in (PATRON_CARD, PATRON_NAME, "ada@example.org"):
        assert text not in caplog.text


def test_statuses_steps_and_reasons_read_as_words_not_codes(web):
    """The pull slip, the queues and the timeline say "Shipped — in transit", not
    "Loaned/in_transit"; in Chinese too."""
    placed = web.place()
    lender, borrower = web.staff(placed.lender, "l1"), web.staff("north", "b1")
    html = lender.get("/staff/lending").get_data(as_text=True)
    assert "Sent — awaiting the lender&#39;s answer" in html and "Loan" in html
    post_action(lender, "/staff/lending", placed, "WillSupply")
    post_action(lender, "/staff/lending", web.get(placed.id), "Shipped", due_date="2099-01-31")
    pages = {
        "slip": lender.get("/staff/lending").get_data(as_text=True),
        "borrowing": borrower.get("/staff/borrowing").get_data(as_text=True),
        "detail": borrower.get(f"/staff/requests/{placed.id}").get_data(as_text=True),
    }
    for name, html in pages.items():
        assert "Shipped — in transit" in html, name
        for code in ("Loaned/in_transit", "RequestReceived", "WillSupply/with_lender"):
            assert code not in html.replace('value="WillSupply"', ""), (name, code)
    detail = pages["detail"]
    for words in ("Request placed", "Sent to the lender", "Will supply", "Shipped"):
        assert f"<td>{words}</td>" in detail
    assert ">SendToLender<" not in detail and "None/routing" not in detail
    zh = borrower.get(f"/staff/requests/{placed.id}?lang=zh").get_data(as_text=True)
    assert "已寄出 — 运输中" in zh and "Loaned/in_transit" not in zh


def test_the_pages_in_chinese(web_sqlite):
    web = web_sqlite
    placed = web.place()
    lender = web.staff(placed.lender, "l1")
    html = lender.get("/staff/lending?lang=zh").get_data(as_text=True)
    assert 'lang="zh-Hans"' in html
    for label in ("借出队列", "将提供", "无法提供", "索书号"):
        assert label in html
    page = lender.get("/staff/lending?lang=zh").get_data(as_text=True)
    answer = lender.post(
        f"/staff/requests/{placed.id}/act",
        data={
            "csrf_token": csrf_token(page),
            "action": "WillSupply",
            "version": "1",
            "back": "lending",
            "lang": "zh",
        },  # fmt: skip
    )
    assert answer.headers["Location"] == "/staff/lending?lang=zh"
    borrowing = web.staff("north", "b1").get("/staff/borrowing?lang=zh").get_data(as_text=True)
    assert "借入申请" in borrowing and "轮转顺序" in borrowing


def test_patron_names_reach_the_lender_only_on_the_slip_and_only_if_the_borrower_prints_them(web):
    """Privacy: the lender sees the borrowing library and the request id, never the patron —
    unless the borrowing library (not the lender) chose to print names on slips (`fedcat
    libraries rules LIB --print-patron-names`); then the name, and only the name, is on the
    pull slip of the lending queue, nowhere else: not the request's page, not the API."""
    from click.testing import CliRunner

    from fedcat.libraries_cli import libraries

    web.patron()  # the patron's account, with the name the slip would print
    placed = web.place()
    lender = web.staff(placed.lender, "l1")
    token = web.shared.accounts.create_token(placed.lender, "lender's discovery layer").secret
    api = web.client()
    bearer = {"Authorization": f"Bearer {token}"}
    db = web.shared.settings.database_location

    def lender_sees() -> dict[str, str]:
        return {
            "slip": lender.get("/staff/lending").get_data(as_text=True),
            "request page": lender.get(f"/staff/requests/{placed.id}").get_data(as_text=True),
            "api": api.get(f"/api/v1/ill/requests/{placed.id}", headers=bearer).get_data(
                as_text=True
            ),
            "api list": api.get("/api/v1/ill/requests", headers=bearer).get_data(as_text=True),
        }

    def rules(*args: str) -> None:
        done = CliRunner().invoke(libraries, ["--db", db, "rules", *args])
        assert done.exit_code == 0, done.output

    for shown in lender_sees().values():  # off by default
        assert PATRON_NAME not in shown and PATRON_CARD not in shown
    rules(placed.lender, "--print-patron-names")  # the lender's own choice prints nothing
    assert PATRON_NAME not in lender_sees()["slip"]
    rules("north", "--print-patron-names")
    seen = lender_sees()
    assert PATRON_NAME in seen["slip"]
    for where in ("request page", "api", "api list"):
        assert PATRON_NAME not in seen[where], where
    for shown in seen.values():
        assert PATRON_CARD not in shown and "ada@example.org" not in shown
    rules("north", "--no-print-patron-names")
    assert PATRON_NAME not in lender_sees()["slip"]
