"""`fedcat libraries rules/show`: the operator's lending rules, stored where the app reads them
and obeyed by routing (the borrowing staff see the skip and its reason)."""

from __future__ import annotations

from datetime import date, timedelta

from click.testing import CliRunner

from fedcat.cli import main
from tests.fixtures.ill_web import make_web

pytest_plugins = ["tests.fixtures.ill_stores", "tests.fixtures.ill_web"]


def run(database: str, *args: str):
    return CliRunner().invoke(main, ["libraries", "--db", database, *args])


def test_rules_are_stored_merged_and_shown(database):
    done = run(database, "rules", "south", "--loan-days", "21", "--ratio", "3:1",
               "--daily-cap", "40", "--closed", "2030-12-24..2031-01-02")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "south: lends yes, loan period 21 days, daily cap 40, ratio 3:1" in done.output
    done = run(database, "rules", "south", "--no-lends")  # the other rules stay
    assert "lends no, loan period 21 days, daily cap 40" in done.output
    assert "2030-12-24..2031-01-02" in done.output
    shown = run(database, "show")
    assert (
        shown.exit_code == 0 and shown.output.count("\n") == 1 and "south: lends no" in shown.output
    )
    assert "loan period 28 days" in run(database, "show", "east").output  # the defaults
    done = run(database, "rules", "south", "--lends", "--no-daily-cap", "--open")
    assert "lends yes" in done.output and "daily cap none" in done.output
    assert "closed none" in done.output


def test_bad_values_are_refused_with_a_message_and_change_nothing(database):
    for args, words in (
        (("--ratio", "two"), "LEND:BORROW"),
        (("--ratio", "0:1"), "at least 1"),
        (("--closed", "2030-12-24"), "FROM..TO"),
        (("--closed", "2031-01-02..2030-12-24"), "ends before"),
        (("--loan-days", "0"), "0"),
    ):
        done = run(database, "rules", "south", *args)
        assert done.exit_code != 0 and words in done.output, done.output
    assert "no library has lending rules" in run(database, "show").output
    assert run(database, "rules", "no such library").exit_code != 0


def test_routing_obeys_the_rules_and_staff_see_why(database, ill_engine, tmp_path):
    assert run(database, "rules", "east", "--no-lends").exit_code == 0
    assert run(database, "rules", "south", "--loan-days", "10").exit_code == 0
    web = make_web(ill_engine, tmp_path, database)
    placed = web.place()
    assert placed.lender == "south"
    assert [skip.library_id for skip in placed.skipped] == ["east"]
    html = web.staff("north", "b1").get("/staff/borrowing").get_data(as_text=True)
    assert placed.skipped[0].reason in html and "does not lend" in html.lower()
    lending = web.staff("south", "l1").get("/staff/lending").get_data(as_text=True)
    due = (date.today() + timedelta(days=10)).isoformat()
    assert f'name="due_date" type="date" value="{due}"' in lending  # south's loan period
