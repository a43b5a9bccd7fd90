"""Routing: who is asked first, who later, who not at all, and the reasons staff will read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ill.model import Closure, LendingRules
from ill.routing import build_rota, normalise_status
from ill.states import Action, Stage, Status
from tests.fixtures.ill_builders import holdings

TODAY = date(2025, 3, 3)


def rota(holding_list, rules=(), load=None, received=None, borrower="north"):
    return build_rota(
        holding_list,
        borrower,
        rules={r.library_id: r for r in rules},
        load=load or {},
        received_today=received or {},
        today=TODAY,
    )


def test_available_copies_come_before_unknown_and_on_loan():
    result = rota(holdings(a="on_loan", b="unknown", c="available"))
    assert [e.library_id for e in result.entries] == ["c", "b", "a"]
    assert result.entries[0].reason.startswith("#1: available copy at C")
    assert result.entries[0].call_number == "QA76 .C"


def test_load_balance_asks_the_library_that_borrows_more_than_it_lends_first():
    load = {"heavy": (10, 2), "light": (1, 6)}  # (active lending, active borrowing)
    result = rota(holdings(heavy="available", light="available"), load=load)
    assert [e.library_id for e in result.entries] == ["light", "heavy"]
    assert "load score +5 = borrows 6 × ratio 1:1 − lends 1" in result.entries[0].reason
    assert "load score -8" in result.entries[1].reason


def test_agreed_ratio_lets_a_big_lender_lend_more_before_going_later():
    load = {"national": (8, 5), "town": (2, 3)}
    plain = rota(holdings(national="available", town="available"), load=load)
    assert [e.library_id for e in plain.entries] == ["town", "national"]
    agreed = [LendingRules("national", ratio_lend=3, ratio_borrow=1)]
    weighted = rota(holdings(national="available", town="available"), rules=agreed, load=load)
    assert [e.library_id for e in weighted.entries] == ["national", "town"]
    assert "borrows 5 × ratio 3:1 − lends 8" in weighted.entries[0].reason


def test_non_lenders_closed_and_capped_libraries_are_skipped_with_reasons():
    rules = [
        LendingRules("shut", closures=(Closure(date(2025, 3, 1), date(2025, 3, 9), "moving"),)),
        LendingRules("nolend", lends=False),
        LendingRules("busy", daily_cap=2),
        LendingRules("open", closures=(Closure(date(2025, 4, 1), date(2025, 4, 2)),)),
    ]
    result = rota(
        holdings(shut="available", nolend="available", busy="available", open="on_loan"),
        rules=rules,
        received={"busy": 2},
    )
    assert [e.library_id for e in result.entries] == ["open"]
    assert {s.library_id: s.reason for s in result.skipped} == {
        "busy": "reached its daily cap of 2 new requests",
        "nolend": "does not lend to other libraries",
        "shut": "closed from 2025-03-01 to 2025-03-09 (moving)",
    }


def test_own_library_and_unloanable_copies_are_not_candidates():
    result = rota(holdings(north="on_loan", ref="not_loanable", south="available"))
    assert [e.library_id for e in result.entries] == ["south"]
    assert [(s.library_id, s.reason) for s in result.skipped] == [
        ("ref", "holds no copy that may be lent (not loanable)")
    ]


def test_a_library_counts_once_by_its_best_copy():
    copies = holdings(south="on_loan") + holdings(south="available")
    assert [e.reason[:20] for e in rota(copies).entries] == ["#1: available copy a"]


def test_partner_data_with_odd_statuses_and_missing_libraries_is_tolerated():
    odd = [{"library_id": "", "status": "available"}, {"library": "x", "status": "On Loan"},
           {"library_id": "y", "status": "???"}, {"library_id": "z"}]  # fmt: skip
    assert [e.library_id for e in rota(odd).entries] == ["y", "z", "x"]
    assert normalise_status("not loanable") == "not_loanable"
    assert normalise_status(None) == "unknown"


def test_the_example_in_docs_ill_md_is_what_routing_does():
    doc = (Path(__file__).parents[1] / "docs" / "ill.md").read_text()
    rules = [
        LendingRules("east", ratio_lend=3, ratio_borrow=1),
        LendingRules(
            "west", closures=(Closure(date(2025, 3, 1), date(2025, 3, 9), "stocktaking"),)
        ),
    ]
    load = {"east": (8, 5), "south": (2, 3)}
    result = rota(
        holdings(south="available", east="available", west="on_loan", ref="not_loanable"),
        rules=rules,
        load=load,
    )
    for entry in result.entries:
        assert f"| {entry.library_id} | `{entry.reason}` |" in doc
    for skip in result.skipped:
        assert f"| {skip.library_id} | skipped: {skip.reason} |" in doc
    assert [e.library_id for e in result.entries] == ["east", "south"]


def test_docs_ill_md_names_every_action_and_status():
    doc = (Path(__file__).parents[1] / "docs" / "ill.md").read_text()
    missing = [name for name in [*Action, *Status, *Stage] if f"{name.value}" not in doc]
    assert missing == []
