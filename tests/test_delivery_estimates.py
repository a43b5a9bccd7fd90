"""Delivery estimates from the consortium's own history, on both request stores."""

from __future__ import annotations

import statistics

from ill.delivery import DeliveryEstimates, read_history
from tests.fixtures.delivery_history import generated_history, write_deliveries

pytest_plugins = ["tests.fixtures.ill_stores"]


def test_pair_with_enough_loans_uses_its_own_median(store):
    write_deliveries(store, {("south", "north"): [2, 3, 4, 5, 30], ("south", "east"): [9] * 5})
    estimate = DeliveryEstimates(store, min_sample=5).estimate("south", "north")
    assert (estimate.days, estimate.level, estimate.sample) == (4, "pair", 5)


def test_a_thin_pair_falls_back_to_the_lender_then_to_the_consortium(store):
    write_deliveries(store, {("south", "north"): [1, 1], ("south", "east"): [6, 6, 6, 6]})
    write_deliveries(store, {("west", "east"): [20]})
    estimates = DeliveryEstimates(store, min_sample=5)
    by_lender = estimates.estimate("south", "north")
    assert (by_lender.days, by_lender.level, by_lender.sample) == (6, "lender", 6)
    everyone = estimates.estimate("west", "north")
    assert (everyone.days, everyone.level, everyone.sample) == (6, "consortium", 7)


def test_no_history_says_so_rather_than_guessing(store):
    estimate = DeliveryEstimates(store).estimate("south", "north")
    assert (estimate.days, estimate.level, estimate.sample) == (None, "none", 0)
    assert estimate.as_json() == {"days": None, "level": "none", "sample": 0}


def test_generated_history_medians_follow_each_lenders_turnaround(store):
    history = generated_history({"fast": 2.0, "slow": 12.0}, ["a", "b", "c"], per_pair=21)
    assert write_deliveries(store, history) == 126
    estimates = DeliveryEstimates(store, min_sample=5)
    fast, slow = estimates.estimate("fast", "a"), estimates.estimate("slow", "a")
    assert fast.level == slow.level == "pair"
    assert fast.days is not None and slow.days is not None and fast.days < 3 < 9 < slow.days
    assert round(fast.days, 6) == round(statistics.median(history["fast", "a"]), 6)


def test_the_history_is_read_again_only_after_the_cache_time(store):
    now = [0.0]
    estimates = DeliveryEstimates(store, min_sample=1, cache_seconds=60, clock=lambda: now[0])
    write_deliveries(store, {("south", "north"): [3]})
    assert estimates.estimate("south", "north").days == 3
    write_deliveries(store, {("south", "north"): [5, 5]})  # later loans, other ids
    assert estimates.estimate("south", "north").sample == 1  # cached
    now[0] = 61.0
    assert estimates.estimate("south", "north").sample == 3


def test_history_holds_no_patron_data(store):
    write_deliveries(store, {("south", "north"): [3]})
    history = read_history(store)
    assert list(history.by_pair) == [("south", "north")]
