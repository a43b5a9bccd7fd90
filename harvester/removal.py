"""The guard on a full harvest's sweep: a partner does not vanish from the catalogue by accident.

A full harvest removes every record of the partner that the run did not see. A partner whose
server returns a short but well-formed list (a misconfigured set, an empty index after an ILS
upgrade, a broken export) would lose its records with no warning. So before the sweep the
runner asks the guard: if the sweep would remove more than the partner's allowed share of the
records held for it, nothing is removed, the partner's run stays unfinished (the next harvest
lists the partner again and asks again), and the report says what would have gone and how to
confirm. The operator confirms for one run with `fedcat harvest --allow-removal PARTNER`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TypedDict

from config.partners import Partner
from config.settings import DEFAULT_MAX_REMOVAL
from harvester.checkpoints import Checkpoints
from harvester.errors import RemovalHeld

SAMPLE = 10


class Removal(TypedDict):
    """What a sweep removes (or would have removed), as the run report shows it."""

    count: int  # records the run did not see
    held: int  # live records held for the partner before the sweep
    share_percent: float
    limit_percent: float
    sample: list[str]  # some of the identifiers, sorted
    allowed: bool  # True: removed (within the limit or confirmed); False: held


@dataclass(frozen=True)
class RemovalGuard:
    """`limit_percent` for every partner unless its registry entry sets `max_removal`;
    `allowed` partners (True: all) are removed from whatever the share, this run only."""

    limit_percent: float = DEFAULT_MAX_REMOVAL
    allowed: Collection[str] | bool = ()

    def limit_for(self, partner: Partner) -> float:
        return self.limit_percent if partner.max_removal is None else float(partner.max_removal)

    def confirmed(self, partner: Partner) -> bool:
        return self.allowed is True or (self.allowed is not False and partner.id in self.allowed)

    def check(self, partner: Partner, checkpoints: Checkpoints, run_id: str) -> Removal:
        """What the sweep would remove; raises RemovalHeld when it must not happen unasked."""
        count, held, sample = checkpoints.unseen(partner.id, run_id, sample=SAMPLE)
        share = 100.0 * count / held if held else 0.0
        limit = self.limit_for(partner)
        removal = Removal(
            count=count,
            held=held,
            share_percent=round(share, 1),
            limit_percent=limit,
            sample=sample,
            allowed=share <= limit or self.confirmed(partner),
        )
        if not removal["allowed"]:
            raise RemovalHeld(partner.id, dict(removal))
        return removal
