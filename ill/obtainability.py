"""How soon a patron can have a work, in four tiers, with the facts behind the tier.

1. `shelf` — a copy is on the shelf at the patron's library (or there for use in the library);
2. `on_loan` — the patron's library holds it, but on loan (its due date when the feed has it)
   or of unknown status;
3. `lendable` — N partner libraries could lend it (`ill.routing.build_rota`'s lenders, so the
   lending rules, closures and daily caps count), in about D days (`ill.delivery`) from the
   lender asked first;
4. `not_lendable` — no library in the consortium can lend it now: the patron may ask for a
   copy of a part, or suggest a purchase.

This module decides the tier and keeps the evidence (due date, lenders, the estimate and
its level and sample, skip reasons); the web layer words it in the interface language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from ill.delivery import DeliveryEstimate, DeliveryEstimates
from ill.model import LendingRules, Skip
from ill.routing import build_rota, holding_libraries, normalise_status
from ill.store import RequestStore

TierKind = Literal["shelf", "on_loan", "lendable", "not_lendable"]
TIER_NUMBERS: dict[TierKind, int] = {"shelf": 1, "on_loan": 2, "lendable": 3, "not_lendable": 4}


@dataclass(frozen=True)
class Obtainability:
    """One work's tier for one library, and what it rests on."""

    kind: TierKind
    library_id: str
    #: tier 1: the copy is for use in the library only (not for loan)
    in_library_only: bool = False
    #: tier 2: the earliest due date of the library's copies on loan ("" when none is given)
    due_date: str = ""
    #: tier 3: the partner libraries that could lend, in the order they would be asked
    lenders: tuple[str, ...] = ()
    delivery: DeliveryEstimate | None = None
    #: tiers 3 and 4: holding libraries left out, and why
    skipped: tuple[Skip, ...] = ()

    @property
    def tier(self) -> int:
        return TIER_NUMBERS[self.kind]

    def as_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "kind": self.kind,
            "library": self.library_id,
            "in_library_only": self.in_library_only,
            "due_date": self.due_date or None,
            "lenders": list(self.lenders),
            "lender_count": len(self.lenders),
            "delivery": self.delivery.as_json() if self.delivery else None,
            "skipped": [{"library": s.library_id, "reason": s.reason} for s in self.skipped],
        }


@dataclass(frozen=True)
class LendingState:
    """What placement would read for a set of holding libraries, read once for a page."""

    rules: Mapping[str, LendingRules]
    load: Mapping[str, tuple[int, int]]
    received_today: Mapping[str, int]
    today: date

    @classmethod
    def read(cls, store: RequestStore, libraries: Iterable[str], now: datetime) -> LendingState:
        wanted = sorted(set(libraries))
        day_start = datetime.combine(now.date(), time(), tzinfo=now.tzinfo or UTC)
        with store.reading():
            return cls(
                rules=store.rules(wanted),
                # every open request's load, from the partial index of open requests: its
                # cost follows what is open now, where a per-library read scans each
                # borrower's whole history
                load=store.open_load(),
                received_today=store.received_since(day_start, wanted),
                today=now.date(),
            )


def _own_copies(holdings: Sequence[Mapping[str, Any]], library: str) -> list[Mapping[str, Any]]:
    return [h for h in holdings if (h.get("library_id") or h.get("library")) == library]


def own_tier(holdings: Sequence[Mapping[str, Any]], library: str) -> Obtainability | None:
    """Tier 1 or 2 when the patron's own library holds the work, else None."""
    own = _own_copies(holdings, library)
    statuses = [normalise_status(h.get("status")) for h in own]
    if "available" in statuses:
        return Obtainability("shelf", library)
    due = sorted(
        str(h.get("due_date") or "")
        for h, status in zip(own, statuses, strict=True)
        if status == "on_loan" and h.get("due_date")
    )
    if "on_loan" in statuses or "unknown" in statuses:
        return Obtainability("on_loan", library, due_date=due[0] if due else "")
    if "not_loanable" in statuses:
        return Obtainability("shelf", library, in_library_only=True)
    return None


def obtainability(
    holdings: Sequence[Mapping[str, Any]],
    library: str,
    state: LendingState,
    estimates: DeliveryEstimates,
) -> Obtainability:
    """The work's tier for a patron of `library`, from its holdings (the index payload's)."""
    own = own_tier(holdings, library)
    if own is not None:
        return own
    rota = build_rota(
        holdings,
        library,
        rules=state.rules,
        load=state.load,
        received_today=state.received_today,
        today=state.today,
    )
    lenders = tuple(entry.library_id for entry in rota.entries)
    if not lenders:
        return Obtainability("not_lendable", library, skipped=tuple(rota.skipped))
    delivery = estimates.estimate(lenders[0], library)
    return Obtainability(
        "lendable", library, lenders=lenders, delivery=delivery, skipped=tuple(rota.skipped)
    )


def page_obtainability(
    works: Sequence[Sequence[Mapping[str, Any]]],
    library: str,
    store: RequestStore,
    estimates: DeliveryEstimates,
    now: datetime,
) -> list[Obtainability]:
    """Tiers for a page of works (each given by its holdings), reading the lending state of
    every holding library once for the page."""
    holders: set[str] = set()
    for holdings in works:
        holders |= holding_libraries(holdings, library)
    state = LendingState.read(store, holders, now)
    return [obtainability(holdings, library, state, estimates) for holdings in works]
