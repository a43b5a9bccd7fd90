"""Which health flags the operator has been told of: an alert is due when a partner becomes
flagged, once, not at every run while the flag stands.

Kept in the harvest state file (`health_alerts`): a row per partner and flag kind ("stale",
"failing", "removal held", "quality drop") while the flag stands, with when the alert was
sent. A flag that clears removes its row, so the same trouble coming back later is new
again. An alert that could not be sent stays due and goes with the next one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from harvester.checkpoints import utc_now
from harvester.health import PartnerHealth

SCHEMA = """
CREATE TABLE IF NOT EXISTS health_alerts (
    partner_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    flag TEXT NOT NULL,
    raised TEXT NOT NULL,
    sent TEXT,
    PRIMARY KEY (partner_id, kind)
);
"""


def flag_kind(flag: str) -> str:
    """ "failing: its last 3 runs stopped (…)" -> "failing"."""
    return flag.partition(":")[0]


class AlertLog:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def update(self, rows: Iterable[PartnerHealth]) -> None:
        """Note the flags standing now: new ones become due, cleared ones are forgotten."""
        standing = {(row.partner_id, flag_kind(flag)): flag for row in rows for flag in row.flags}
        self._db.execute("BEGIN IMMEDIATE")
        try:
            known = {tuple(key) for key in self._db.execute(
                "SELECT partner_id, kind FROM health_alerts")}  # fmt: skip
            for partner_id, kind in known - standing.keys():
                self._db.execute(
                    "DELETE FROM health_alerts WHERE partner_id = ? AND kind = ?",
                    (partner_id, kind),
                )
            for (partner_id, kind), flag in standing.items():
                self._db.execute(
                    "INSERT INTO health_alerts (partner_id, kind, flag, raised) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (partner_id, kind) "
                    "DO UPDATE SET flag = excluded.flag",
                    (partner_id, kind, flag, utc_now()),
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def due(self) -> list[tuple[str, str]]:
        """(partner id, flag) of every standing flag the operator has not been told of."""
        return list(
            self._db.execute(
                "SELECT partner_id, flag FROM health_alerts WHERE sent IS NULL "
                "ORDER BY partner_id, kind"
            )
        )

    def sent(self, due: Iterable[tuple[str, str]]) -> None:
        moment = utc_now()
        for partner_id, flag in due:
            self._db.execute(
                "UPDATE health_alerts SET sent = ? WHERE partner_id = ? AND kind = ?",
                (moment, partner_id, flag_kind(flag)),
            )
