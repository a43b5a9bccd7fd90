"""What a simulated year of inter-library loan shows: fill rate, hops, why requests failed,
how evenly lending spread against the agreed ratios, and any broken routing rule.

Read from the store's own record of the year (`YearRecord`), not from the simulation's
bookkeeping, so the figures are what staff and statistics would see.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from bench.ill_sim import World, YearRecord
from ill.model import Request
from ill.routing import skip_reason
from ill.states import Status

SKIP_KINDS = (
    ("not loanable", "not loanable"),
    ("does not lend", "not lending"),
    ("closed", "closed"),
    ("daily cap", "at daily cap"),
)


@dataclass(frozen=True)
class LibraryBalance:
    library_id: str
    size: float
    ratio: str  # agreed lend:borrow
    lent: int
    borrowed: int
    agreed_lent: float  # what it would lend at its agreed ratio: borrowed × ratio

    @property
    def off_by(self) -> float:
        """Loans lent more (+) or fewer (−) than agreed, against what it borrowed."""
        return self.lent - self.agreed_lent

    @property
    def within_quarter(self) -> bool:
        return abs(self.off_by) <= 0.25 * self.agreed_lent


def gini(values: list[float]) -> float:
    """0 when every value is equal, towards 1 when one holds everything."""
    ordered = sorted(values)
    total = sum(ordered)
    if not ordered or total == 0:
        return 0.0
    weighted = sum((2 * rank - len(ordered) - 1) * v for rank, v in enumerate(ordered, start=1))
    return weighted / (len(ordered) * total)


def balances(world: World, record: YearRecord) -> list[LibraryBalance]:
    """Loans each lending library lent and borrowed over the year (filled requests only)."""
    lent = Counter(record.shipped.values())
    borrowed = Counter(r.borrowing_library for r in record.requests if r.id in record.shipped)
    rows = []
    for library in world.libraries.values():
        rules = library.rules
        if rules.lends:
            rows.append(
                LibraryBalance(
                    library.id, round(library.size, 2), f"{rules.ratio_lend}:{rules.ratio_borrow}",
                    lent[library.id], borrowed[library.id], borrowed[library.id] * rules.ratio,
                )
            )  # fmt: skip
    return rows


def misplaced_share(rows: list[LibraryBalance]) -> float:
    """Share of loans that would have to move to another lender for every lending library's
    share of lending to match its share of borrowing × agreed ratio (0 = as agreed)."""
    lent, agreed = sum(r.lent for r in rows), sum(r.agreed_lent for r in rows)
    if not lent or not agreed:
        return 0.0
    return 0.5 * sum(abs(r.lent / lent - r.agreed_lent / agreed) for r in rows)


def fairness(world: World, record: YearRecord) -> dict[str, Any]:
    rows = balances(world, record)
    worst = sorted(rows, key=lambda r: abs(r.off_by), reverse=True)[:5]
    return {
        "balances": [[r.library_id, r.size, r.ratio, r.lent, r.borrowed] for r in rows],
        "misplaced_share": round(misplaced_share(rows), 3),
        "gini_of_lending": round(gini([r.lent for r in rows]), 3),
        "within_25pct_of_ratio": round(sum(r.within_quarter for r in rows) / len(rows), 3),
        "lending_libraries": len(rows),
        "max_lent": max(r.lent for r in rows),
        "worst": [
            {
                "library": r.library_id, "size": r.size, "ratio": r.ratio, "lent": r.lent,
                "borrowed": r.borrowed, "off_by": round(r.off_by, 1),
            }
            for r in worst
        ],
    }  # fmt: skip


def _unfilled_reason(request: Request, record: YearRecord) -> str:
    """Why a request ended unfilled, in a few words: what the lenders asked did, or why
    nobody could be asked."""
    declined, silent = record.declined[request.id], record.expired[request.id]
    if declined and silent:
        return "lenders asked could not supply or did not answer"
    if declined:
        return "every lender asked could not supply"
    if silent:
        return "no lender asked answered in time"
    kinds = {label for skip in request.skipped for needle, label in SKIP_KINDS
             if needle in skip.reason}  # fmt: skip
    if kinds - {"not loanable"}:
        return "every other holder closed, at its daily cap or not lending"
    if kinds:
        return "no other library has a copy that may be lent"
    return "no other library holds a copy"


def outcomes(record: YearRecord) -> dict[str, Any]:
    """Fill rate, lenders tried, and why the unfilled ones failed (grouped)."""
    sends = Counter(s.request_id for s in record.sends)
    filled = [r for r in record.requests if r.id in record.shipped]
    unfilled = [r for r in record.requests if r.state.status is Status.Unfilled and not r.is_open]
    reasons = Counter(_unfilled_reason(request, record) for request in unfilled)
    placed = len(record.requests)
    return {
        "placed": placed,
        "filled": len(filled),
        "unfilled": len(unfilled),
        "still_open": sum(r.is_open for r in record.requests),
        "fill_rate": round(len(filled) / placed, 3) if placed else 0.0,
        "mean_hops_filled": round(sum(sends[r.id] for r in filled) / max(len(filled), 1), 2),
        "mean_lenders_asked": round(sum(sends.values()) / max(placed, 1), 2),
        "unfilled_reasons": dict(reasons.most_common()),
    }


def violations(world: World, record: YearRecord) -> dict[str, list[str]]:
    """Every broken rule the year shows; all lists empty when routing kept the rules."""
    per_day: dict[tuple[str, Any], int] = defaultdict(int)
    routed_wrongly = []
    for sent in record.sends:
        per_day[(sent.lender, sent.at.date())] += 1
        rules = world.libraries[sent.lender].rules
        why = skip_reason(rules, 0, sent.at.date())
        if why is not None:
            routed_wrongly.append(f"{sent.request_id} sent to {sent.lender}: it {why}")
    over_cap = [
        f"{lender} received {count} on {day} (cap {world.libraries[lender].rules.daily_cap})"
        for (lender, day), count in sorted(per_day.items())
        if world.libraries[lender].rules.daily_cap is not None
        and count > world.libraries[lender].rules.daily_cap
    ]
    return {
        "still_open": [f"{r.id} {r.state.name}" for r in record.requests if r.is_open],
        "closed_without_outcome": [
            f"{r.id} {r.state.name}"
            for r in record.requests
            if not r.is_open and r.id not in record.shipped and not r.outcome_note
        ],
        "over_daily_cap": over_cap,
        "sent_to_closed_or_non_lending": routed_wrongly,
    }
