"""Tiers of obtainability from holdings, lending rules and delivery history, on both stores."""

from __future__ import annotations

from datetime import UTC, date, datetime

from config.partners import Partner
from ill.delivery import DeliveryEstimates
from ill.model import Closure, LendingRules
from ill.obtainability import own_tier, page_obtainability
from indexer.documents import work_payload
from indexer.holdings import koha_due_date
from indexer.marc import marc_to_record
from indexer.marc_readers import marc_records_from_file
from tests.fixtures.builders import with_koha_items
from tests.fixtures.delivery_history import write_deliveries
from tests.fixtures.ill_builders import holdings
from tests.fixtures.paths import SHARED_DATA

pytest_plugins = ["tests.fixtures.ill_stores"]

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
NORTH = Partner("north", "North City Library", "http://127.0.0.1:1/oai")


def _tiers(store, works, library="north", min_sample=3):
    estimates = DeliveryEstimates(store, min_sample=min_sample)
    return page_obtainability(works, library, store, estimates, NOW)


def test_each_tier_from_the_patrons_library(store):
    works = [
        holdings(north="available", south="available"),
        holdings(north="on_loan", south="available"),
        holdings(south="available", east="on_loan"),
        holdings(south="not_loanable"),
    ]
    found = _tiers(store, works)
    assert [o.tier for o in found] == [1, 2, 3, 4]
    assert [o.kind for o in found] == ["shelf", "on_loan", "lendable", "not_lendable"]
    assert found[2].lenders == ("south", "east")  # the copy on the shelf is asked first
    assert found[3].skipped[0].reason == "holds no copy that may be lent (not loanable)"


def test_lenders_respect_the_lending_rules(store):
    store.set_rules(LendingRules("south", lends=False))
    store.set_rules(
        LendingRules("east", closures=(Closure(date(2026, 12, 1), date(2026, 12, 24), "move"),))
    )
    store.set_rules(LendingRules("west", daily_cap=5))
    [closed] = _tiers(store, [holdings(south="available", east="available")])
    assert closed.kind == "not_lendable"
    assert {s.library_id: s.reason for s in closed.skipped} == {
        "south": "does not lend to other libraries",
        "east": "closed from 2026-12-01 to 2026-12-24 (move)",
    }
    [open_one] = _tiers(store, [holdings(south="available", west="on_loan")])
    assert (open_one.kind, open_one.lenders) == ("lendable", ("west",))


def test_delivery_estimate_is_for_the_first_lender_and_the_patrons_library(store):
    write_deliveries(store, {("south", "north"): [2, 3, 4], ("east", "north"): [9, 9, 9]})
    [found] = _tiers(store, [holdings(south="available", east="on_loan")])
    assert found.lenders[0] == "south"
    assert found.delivery is not None
    assert (found.delivery.days, found.delivery.level, found.delivery.sample) == (3, "pair", 3)
    shown = found.as_json()
    assert shown["lender_count"] == 2 and shown["delivery"] == {
        "days": 3,
        "level": "pair",
        "sample": 3,
    }


def test_a_lender_with_little_history_falls_back_to_the_consortium(store):
    write_deliveries(store, {("south", "north"): [10], ("east", "west"): [4, 4, 4, 4]})
    [found] = _tiers(store, [holdings(south="available")])
    assert found.delivery is not None
    assert (found.delivery.level, found.delivery.sample, found.delivery.days) == (
        "consortium",
        5,
        4,
    )


def test_own_copy_for_use_in_the_library_is_on_the_shelf_but_says_so():
    found = own_tier(holdings(north="not_loanable", south="available"), "north")
    assert found is not None and (found.tier, found.in_library_only) == (1, True)
    assert own_tier(holdings(south="available"), "north") is None


def test_a_real_koha_record_on_loan_carries_its_due_date_to_the_tier():
    """jazz_1k #575 as a Koha library exports it: both copies out, one with 952 $q."""
    marc = next(
        m
        for n, m in enumerate(marc_records_from_file(SHARED_DATA / "evergreen/jazz_1k.mrc"))
        if n == 575
    )
    items = [
        {"a": "MAIN", "o": "ML3506 .R44 1989", "q": "2026-12-19 23:59:00", "y": "BK"},
        {"a": "MAIN", "o": "ML3506 .R44 1989 c.2", "q": "2026-12-11", "y": "BK"},
    ]
    record = marc_to_record(with_koha_items(marc, items), NORTH, "oai:north:575")
    assert sorted(h.due_date for h in record.holdings) == ["2026-12-11", "2026-12-19"]
    payload = work_payload("w575", [record], {}, {"north": "North City Library"})
    found = own_tier(payload["holdings"], "north")
    assert found is not None and (found.kind, found.due_date) == ("on_loan", "2026-12-11")


def test_koha_due_dates_that_are_not_dates_are_dropped():
    assert koha_due_date("2026-12-01") == "2026-12-01"
    assert koha_due_date("2026-12-01 23:59") == "2026-12-01"
    assert koha_due_date("<script>") == ""
    assert koha_due_date("20261201") == ""
