"""Partner health from the run history: what `fedcat health` shows and monitoring reads.

Per partner, from the run reports kept in the checkpoint store and its current state: the
records held, the runs seen, the last success, and each recent run's records, deletions,
removals, errors and rate. A partner is flagged when it needs an operator: stale (no success
in `stale_days`), failing (its last `FAILING_RUNS` runs all stopped), or holding a removal
(a full harvest would have removed too much, harvester.removal).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from harvester.checkpoints import Checkpoints

FAILING_RUNS = 3
RECENT_RUNS = 5


@dataclass
class RunSummary:
    run_id: str
    started: str
    mode: str
    records: int
    deleted: int
    swept: int
    errors: int
    records_per_second: float
    outcome: str  # "complete", "interrupted", "removal held", "failed: <why>"


@dataclass
class PartnerHealth:
    partner_id: str
    records: int
    deleted: int
    runs: int
    last_success: str | None
    days_since_success: float | None
    recent: list[RunSummary] = field(default_factory=list)  # newest last
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _outcome(report: dict) -> str:
    if report.get("complete"):
        return "complete"
    if report.get("interrupted"):
        return "interrupted"
    if report.get("removal") and not report["removal"].get("allowed", True):
        return "removal held"
    return f"failed: {report.get('error')}"


def partner_health(
    checkpoints: Checkpoints,
    partner_ids: Iterable[str],
    *,
    stale_days: int = 7,
    now: datetime | None = None,
) -> list[PartnerHealth]:
    now = now or datetime.now(UTC)
    wanted = list(partner_ids)
    history: dict[str, list[tuple[str, dict]]] = {pid: [] for pid in wanted}
    for run in checkpoints.run_reports():
        for report in run.get("partners", []):
            if report.get("partner_id") in history and report.get("mode") != "not started":
                history[report["partner_id"]].append((run["started"], report))
    rows = []
    for status in checkpoints.status(wanted):
        runs = history[status.partner_id]
        recent = [
            RunSummary(
                report["run_id"],
                started,
                report["mode"],
                report["records"],
                report["deleted"],
                report.get("swept", 0),
                report["errors"],
                report.get("records_per_second", 0.0),
                _outcome(report),
            )
            for started, report in runs[-RECENT_RUNS:]
        ]
        since = None
        if status.last_success:
            moment = datetime.fromisoformat(status.last_success.replace("Z", "+00:00"))
            since = round((now - moment) / timedelta(days=1), 2)
        health = PartnerHealth(
            status.partner_id,
            status.records,
            status.deleted,
            len(runs),
            status.last_success,
            since,
            recent,
        )
        if since is None or since > stale_days:
            health.flags.append(
                f"stale: no successful harvest in {stale_days} days"
                if since is not None
                else "stale: never harvested successfully"
            )
        tail = [r.outcome for r in recent[-FAILING_RUNS:]]
        if len(tail) == FAILING_RUNS and all(o.startswith("failed") for o in tail):
            health.flags.append(f"failing: its last {FAILING_RUNS} runs stopped ({tail[-1]})")
        if recent and recent[-1].outcome == "removal held":
            health.flags.append("removal held: confirm with fedcat harvest --allow-removal")
        rows.append(health)
    return rows
