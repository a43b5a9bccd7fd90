"""How long a loan takes to arrive: the consortium's own delivery history, as medians.

D, the days a patron waits, is the median time from a request being placed to the borrowing
library marking it received (the `Received` event), read from anonymous facts only — the
lender, the borrowing library and two dates — so it keeps working after `ill.retention`
unlinks patrons. The estimate for a lender and a borrower is the median of that pair's
deliveries when there are at least `min_sample` of them, else the lender's to anyone, else the
consortium's; the level used and the sample size go with it, so a page can say how sure it is.

The history is one query (received events joined to their requests), grouped in Python, and
kept per process for `cache_seconds`: a results page asks for many estimates, and medians move
slowly.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from ill import schema
from ill.states import Action
from ill.store import RequestStore

Level = Literal["pair", "lender", "consortium", "none"]
DEFAULT_MIN_SAMPLE = 5
DEFAULT_CACHE_SECONDS = 300.0
SECONDS_A_DAY = 86400.0


@dataclass(frozen=True)
class DeliveryEstimate:
    """The median days from request to received, from which history, over how many loans."""

    days: float | None  # None: the consortium has no delivery history yet
    level: Level
    sample: int

    def as_json(self) -> dict[str, object]:
        days = None if self.days is None else round(self.days, 1)
        return {"days": days, "level": self.level, "sample": self.sample}


@dataclass(frozen=True)
class DeliveryHistory:
    """Days each delivery took, by (lender, borrowing library)."""

    by_pair: dict[tuple[str, str], list[float]]

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, float]]) -> DeliveryHistory:
        by_pair: dict[tuple[str, str], list[float]] = {}
        for lender, borrower, days in rows:
            by_pair.setdefault((lender, borrower), []).append(max(0.0, float(days)))
        return cls(by_pair)

    def estimate(self, lender: str, borrower: str, min_sample: int) -> DeliveryEstimate:
        """The pair's median, else the lender's, else the consortium's (each needing
        `min_sample` deliveries, except the last, which takes what there is)."""
        pair = self.by_pair.get((lender, borrower), [])
        if len(pair) >= min_sample:
            return DeliveryEstimate(statistics.median(pair), "pair", len(pair))
        by_lender = [d for (who, _), days in self.by_pair.items() if who == lender for d in days]
        if len(by_lender) >= min_sample:
            return DeliveryEstimate(statistics.median(by_lender), "lender", len(by_lender))
        everyone = [d for days in self.by_pair.values() for d in days]
        if everyone:
            return DeliveryEstimate(statistics.median(everyone), "consortium", len(everyone))
        return DeliveryEstimate(None, "none", 0)


def delivery_query() -> sa.Select:
    """(lender, borrowing library, placed at, received at) of every received loan."""
    r, e = schema.requests, schema.events
    lender = sa.func.coalesce(e.c.lender, r.c.lender)
    return (
        sa.select(lender, r.c.borrowing_library, r.c.created_at, e.c.at)
        .select_from(e.join(r, e.c.request_id == r.c.id))
        .where(e.c.action == Action.Received.value, lender.is_not(None))
    )


_DELIVERIES = delivery_query()


def read_history(store: RequestStore) -> DeliveryHistory:
    """The delivery history as the store holds it now (one query)."""
    with store.reader.connect() as connection:
        rows = connection.execute(_DELIVERIES)
        return DeliveryHistory.from_rows(
            (lender, borrower, (received - placed).total_seconds() / SECONDS_A_DAY)
            for lender, borrower, placed, received in rows
        )


class DeliveryEstimates:
    """Estimates from one store's history, read again at most every `cache_seconds`."""

    def __init__(
        self,
        store: RequestStore,
        *,
        min_sample: int = DEFAULT_MIN_SAMPLE,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.min_sample, self.cache_seconds = store, min_sample, cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._history: DeliveryHistory | None = None
        self._read_at = 0.0

    def history(self) -> DeliveryHistory:
        with self._lock:
            now = self._clock()
            if self._history is None or now - self._read_at >= self.cache_seconds:
                self._history, self._read_at = read_history(self.store), now
            return self._history

    def estimate(self, lender: str, borrower: str) -> DeliveryEstimate:
        return self.history().estimate(lender, borrower, self.min_sample)
