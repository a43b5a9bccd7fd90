"""Partner health from the run history: what `fedcat health` shows and monitoring reads.

Per partner, from the run reports kept in the checkpoint store and its current state: the
records held, the runs seen, the last success, and each recent run's records, deletions,
removals, errors and rate. A partner is flagged when it needs an operator: stale (no success
in `stale_days`), failing (its last `FAILING_RUNS` runs all stopped), or holding a removal
(a full harvest would have removed too much, harvester.removal), or its metadata quality
dropped: a share the sink measured at the end of its latest run (indexer.quality: records
with ISBN/ISSN, subjects, ...) is more than `quality_drop` below the best of its earlier
recent runs. The flag stays while the drop is within the last RECENT_RUNS runs; after that
the new level is the partner's normal.
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
    duration_seconds: float = 0.0
    #: the partner's metadata quality as the run left it (indexer.quality), None if unmeasured
    quality: dict | None = None
    rejected: dict[str, int] = field(default_factory=dict)
    repairs: int = 0


@dataclass
class QualityReport:
    """The latest measured quality, with what its recent runs refused and repaired."""

    run_id: str
    records: int
    holdings: int
    shares: dict[str, float]
    #: records refused in the recent runs, by reason
    rejected: dict[str, int]
    #: pages of malformed XML repaired or salvaged in the recent runs
    repairs: int


@dataclass
class PartnerHealth:
    partner_id: str
    records: int
    deleted: int
    runs: int
    last_success: str | None
    days_since_success: float | None
    recent: list[RunSummary] = field(default_factory=list)  # newest last
    #: days since the newest run that brought, deleted or removed a record (None: none did)
    days_since_change: float | None = None
    flags: list[str] = field(default_factory=list)
    quality: QualityReport | None = None

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
    quality_drop: float = 0.2,
    volume_change: float = 0.1,
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
                report.get("duration_seconds", 0.0),
                report.get("quality") if (report.get("quality") or {}).get("shares") else None,
                report.get("rejected", {}),
                report.get("repairs", 0),
            )
            for started, report in runs[-RECENT_RUNS:]
        ]
        since = _days_between(status.last_success, now) if status.last_success else None
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
        changed = [started for started, r in runs if r["records"] or r["deleted"] or r.get("swept")]
        if changed:
            health.days_since_change = _days_between(changed[-1], now)
        health.flags += volume_flags(recent, status.records, volume_change)
        health.quality = quality_report(recent)
        health.flags += quality_flags(recent, quality_drop)
        rows.append(health)
    return rows


def _days_between(started: str, now: datetime) -> float:
    moment = datetime.fromisoformat(started.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round((now - moment) / timedelta(days=1), 2)


def volume_flags(recent: list[RunSummary], held: int, volume_change: float) -> list[str]:
    """A flag when the newest run deleted (as the partner's OAI-PMH feed said) more than
    `volume_change` of the records the partner held before it. Removals of records a full
    harvest no longer saw are held by the removal guard until the operator confirms them;
    deletions are not, so a server that marks most of its catalogue deleted is seen here.
    A deletion the partner sends again (an incremental harvest overlaps the last one)
    counts again: the share is an upper bound."""
    if not recent:
        return []
    last = recent[-1]
    gone = last.deleted
    before = held + gone
    if not before or gone <= volume_change * before:
        return []
    return [
        f"volume: the last run deleted {gone} records against {held} still held "
        f"({gone / before:.0%} of both, more than FEDCAT_VOLUME_CHANGE={volume_change:g})"
    ]


def quality_report(recent: list[RunSummary]) -> QualityReport | None:
    """The newest measured quality, and what the recent runs refused and repaired."""
    measured = [run for run in recent if run.quality]
    if not measured:
        return None
    latest = measured[-1]
    assert latest.quality is not None
    rejected: dict[str, int] = {}
    for run in recent:
        for reason, count in run.rejected.items():
            rejected[reason] = rejected.get(reason, 0) + count
    return QualityReport(
        latest.run_id,
        latest.quality.get("records", 0),
        latest.quality.get("holdings", 0),
        dict(latest.quality["shares"]),
        dict(sorted(rejected.items(), key=lambda item: -item[1])),
        sum(run.repairs for run in recent),
    )


def quality_flags(recent: list[RunSummary], quality_drop: float) -> list[str]:
    """A flag per share of the newest measured run more than `quality_drop` below the best
    of the earlier recent runs."""
    measured = [run.quality["shares"] for run in recent if run.quality]
    if len(measured) < 2:
        return []
    latest, earlier = measured[-1], measured[:-1]
    flags = []
    for name in dict.fromkeys(name for shares in earlier for name in shares):
        best = max(shares[name] for shares in earlier if name in shares)
        now_share = latest.get(name, 0.0)  # records but no holdings: no call numbers either
        if best - now_share > quality_drop + 1e-9:
            flags.append(
                f"quality drop: {name} {best:.0%} -> {now_share:.0%} "
                f"(more than FEDCAT_QUALITY_DROP={quality_drop:g})"
            )
    return flags


def describe(health: PartnerHealth) -> list[str]:
    """The partner's health as `fedcat health` prints it."""
    since = "never" if health.last_success is None else health.last_success
    lines = [
        f"{health.partner_id}: {health.records} records held ({health.deleted} deleted), "
        f"{health.runs} runs, last success {since}"
        + (
            f", last change {health.days_since_change:g} days ago"
            if health.days_since_change is not None
            else ""
        )
    ]
    for run in health.recent:
        lines.append(
            f"  {run.started} {run.mode:<11} {run.records:>7} records "
            f"{run.deleted:>5} deleted {run.swept:>5} removed {run.errors:>4} errors "
            f"{run.records_per_second:>8,.0f}/s  {run.outcome}"
        )
    quality = health.quality
    if quality is not None:
        shares = ", ".join(f"{name} {share:.0%}" for name, share in quality.shares.items())
        lines.append(
            f"  quality ({quality.records} records, {quality.holdings} holdings): {shares}"
        )
        for reason, count in quality.rejected.items():
            lines.append(f"  rejected in recent runs: {count} × {reason}")
        if quality.repairs:
            lines.append(f"  repaired in recent runs: {quality.repairs} pages of malformed XML")
    lines += [f"  FLAG {flag}" for flag in health.flags]
    return lines
