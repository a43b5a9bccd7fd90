"""Which libraries to ask, in which order, and why — kept as sentences staff can read.

Candidates are the libraries other than the patron's own that hold a copy that can be lent,
as the search index reports the work's holdings (`indexer.documents` payload: dicts with
`library_id`, `status` one of available / on_loan / not_loanable / unknown, `call_number`,
`location`, `library_name`). Partner data is untrusted: odd statuses count as unknown, a
holding without a library is ignored.

Order: available copies first, then unknown, then copies on loan; within a tier, ReShare's load
balance — score = active borrowing × agreed lend:borrow ratio − active lending, highest first —
so a library that lends far more than it borrows, against what it agreed, is asked later; then
library id, so the order is stable. Skipped: libraries that do not lend, are closed today, or
have reached their daily cap of new requests. The same checks run again when a request is
passed on, since a library may close or fill its cap while a request waits at another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ill.model import LendingRules, RotaEntry, Skip

#: availability tiers, asked in this order; not_loanable is never asked
TIERS = {"available": 0, "unknown": 1, "on_loan": 2}
TIER_WORDS = {0: "available copy", 1: "copy of unknown status", 2: "copy on loan"}


@dataclass(frozen=True)
class Rota:
    """The lenders to ask, in order, and the holding libraries left out."""

    entries: list[RotaEntry]
    skipped: list[Skip]


@dataclass(frozen=True)
class _Candidate:
    library_id: str
    name: str
    tier: int
    call_number: str
    location: str
    record_id: str = ""


def normalise_status(raw: Any) -> str:
    """'on loan', 'On_Loan' and 'on-loan' are one status; anything odd is 'unknown'."""
    text = str(raw or "").strip().lower().replace(" ", "_").replace("-", "_")
    return text if text in (*TIERS, "not_loanable") else "unknown"


def _library_of(holding: Mapping[str, Any]) -> str:
    return str(holding.get("library_id") or holding.get("library") or "").strip()


def holding_libraries(holdings: Iterable[Mapping[str, Any]], borrowing_library: str) -> set[str]:
    """The libraries other than the borrower's that hold a copy: the only ones whose rules,
    load and daily count a placement needs."""
    return {_library_of(h) for h in holdings} - {"", borrowing_library}


def _candidates(
    holdings: Iterable[Mapping[str, Any]], borrowing_library: str
) -> tuple[list[_Candidate], list[Skip]]:
    """One candidate per holding library, from its best copy; the rest become skips."""
    best: dict[str, _Candidate] = {}
    unloanable: set[str] = set()
    skipped: list[Skip] = []
    for holding in holdings:
        library = _library_of(holding)
        status = normalise_status(holding.get("status"))
        if not library or library == borrowing_library:
            continue
        if status == "not_loanable":
            unloanable.add(library)
            continue
        candidate = _Candidate(
            library,
            str(holding.get("library_name") or library),
            TIERS[status],
            str(holding.get("call_number") or ""),
            str(holding.get("location") or ""),
            str(holding.get("record_id") or ""),
        )
        if library not in best or candidate.tier < best[library].tier:
            best[library] = candidate
    for library in sorted(unloanable - best.keys()):
        skipped.append(Skip(library, "holds no copy that may be lent (not loanable)"))
    return list(best.values()), skipped


def skip_reason(rules: LendingRules | None, received_today: int, today: date) -> str | None:
    """Why a library cannot be asked today, or None when it can."""
    if rules is None:
        return None
    if not rules.lends:
        return "does not lend to other libraries"
    closure = rules.closure_on(today)
    if closure is not None:
        why = f" ({closure.note})" if closure.note else ""
        return f"closed from {closure.first} to {closure.last}{why}"
    if rules.daily_cap is not None and received_today >= rules.daily_cap:
        return f"reached its daily cap of {rules.daily_cap} new requests"
    return None


def load_score(rules: LendingRules | None, lending: int, borrowing: int) -> tuple[float, str]:
    """ReShare's load balance: active borrowing × agreed ratio − active lending, and its sum."""
    ratio_lend, ratio_borrow = (rules.ratio_lend, rules.ratio_borrow) if rules else (1, 1)
    score = borrowing * ratio_lend / ratio_borrow - lending
    return score, (
        f"load score {score:+g} = borrows {borrowing} × ratio {ratio_lend}:{ratio_borrow}"
        f" − lends {lending}"
    )


def build_rota(
    holdings: Iterable[Mapping[str, Any]],
    borrowing_library: str,
    *,
    rules: Mapping[str, LendingRules],
    load: Mapping[str, tuple[int, int]],
    received_today: Mapping[str, int],
    today: date,
) -> Rota:
    """The ordered lenders for one request; `load` is (active lending, active borrowing)."""
    candidates, skipped = _candidates(holdings, borrowing_library)
    ranked: list[tuple[tuple[int, float, str], RotaEntry]] = []
    for candidate in candidates:
        library_rules = rules.get(candidate.library_id)
        reason = skip_reason(library_rules, received_today.get(candidate.library_id, 0), today)
        if reason is not None:
            skipped.append(Skip(candidate.library_id, reason))
            continue
        score, sum_text = load_score(library_rules, *load.get(candidate.library_id, (0, 0)))
        why = f"{TIER_WORDS[candidate.tier]} at {candidate.name}; {sum_text}"
        entry = RotaEntry(
            candidate.library_id, why, candidate.call_number, candidate.location,
            candidate.record_id,
        )  # fmt: skip
        ranked.append(((candidate.tier, -score, candidate.library_id), entry))
    ranked.sort(key=lambda pair: pair[0])
    entries = [
        RotaEntry(e.library_id, f"#{place}: {e.reason}", e.call_number, e.location, e.record_id)
        for place, (_, e) in enumerate(ranked, start=1)
    ]
    return Rota(entries, sorted(skipped, key=lambda skip: skip.library_id))
