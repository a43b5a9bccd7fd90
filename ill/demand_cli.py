"""`fedcat ill stats`, `fedcat ill forecast`, `fedcat ill purchase-suggestions`: ILL demand.

Read-only reports over the request store's anonymous facts, as text or `--json`. `--now` fixes
the date they are computed at (for a report as of a day, or a reproducible run).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click

from ill import demand, purchase, stats
from ill.cli import request_store

MONTH_DAYS = 30.44


def _now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        message = f"not a date: {value!r} (say 2026-12-01)"
        raise click.BadParameter(message, param_hint="--now") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ratio(figure: float | None) -> str:
    return "-" if figure is None else f"{figure:.2f}"


def _say_stats(found: stats.DemandStats) -> None:
    scope = found.library_id or "all libraries"
    since = f" since {found.since:%Y-%m-%d}" if found.since else ""
    click.echo(f"ILL demand, {scope}{since}")
    click.echo("requests per month:")
    for month, count in found.months.items():
        click.echo(f"  {month}  {count}")
    click.echo(
        "library: requested filled unfilled fill-rate median-days lent borrowed ratio/agreed"
    )
    for f in found.libraries:
        rate = "-" if f.fill_rate is None else f"{f.fill_rate:.0%}"
        days = "-" if f.median_turnaround_days is None else f"{f.median_turnaround_days:g}"
        click.echo(
            f"  {f.library_id}: {f.requested} {f.filled} {f.unfilled} {rate} {days} "
            f"{f.lent} {f.borrowed} {_ratio(f.actual_ratio)}/{_ratio(f.agreed_ratio)}"
        )
    click.echo("most requested works:")
    for w in found.top_works:
        click.echo(f"  {w.requests}  {w.work_id}  {w.title} ({w.libraries} libraries)")
    click.echo("most requested subject areas:")
    for s in found.top_subjects:
        click.echo(f"  {s.requests}  {s.subject_area}")


@click.command("stats")
@click.option("--library", help="one library's figures (default: every library)")
@click.option("--months", default=12, show_default=True, help="months back; 0: everything")
@click.option("--now", "now_text", help="compute as of this date (ISO), not today")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text")
def stats_command(library: str | None, months: int, now_text: str | None, as_json: bool) -> None:
    """Requests per month, fill rate, turnaround, lending against the agreed ratio, top works."""
    if months < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--months")
    now = _now(now_text)
    since = now - timedelta(days=round(months * MONTH_DAYS)) if months else None
    with request_store() as (_settings, store):
        found = stats.demand_stats(store, library=library, since=since, until=now)
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2))
    else:
        _say_stats(found)


@click.command("forecast")
@click.option("--by", type=click.Choice(["library", "subject"]), default="library")
@click.option("--library", "only", help="one library (or, with --by subject, subject area)")
@click.option("--now", "now_text", help="forecast from this date (ISO), not today")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text")
def forecast_command(by: str, only: str | None, now_text: str | None, as_json: bool) -> None:
    """Requests per month for the next 6 months, with an 80% interval and a backtest."""
    with request_store() as (_settings, store):
        found = demand.demand_forecast(store, _now(now_text), by, only)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2))
        return
    if found.consortium is None:
        click.echo("no requests before this month: nothing to forecast from")
        return
    click.echo(f"history {found.first}..{found.last} (machine forecast)")
    for series in [found.consortium, *found.parts.values()]:
        click.echo(f"{series.key or 'all libraries'}: {series.forecast.reason}")
        for m in series.forecast.months:
            click.echo(f"  {m.month}  {m.expected:.0f}  ({m.low:.0f}-{m.high:.0f})")
        test = series.backtest
        if test is not None and test.mase is not None and test.naive_mase is not None:
            click.echo(
                f"  backtest, last {test.months} months held out: MASE {test.mase:.2f} "
                f"(seasonal naive {test.naive_mase:.2f}), interval held "
                f"{round(test.coverage * test.months)} of {test.months}"
            )


@click.command("purchase-suggestions")
@click.option("--library", required=True, help="the requesting library")
@click.option("--now", "now_text", help="the 12 months before this date (ISO), not today")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text")
def purchase_command(library: str, now_text: str | None, as_json: bool) -> None:
    """Works this library's patrons asked for often, or new ones: buy instead of borrow?"""
    with request_store() as (settings, store):
        found = purchase.suggestions(store, library, _now(now_text), settings.purchase_min_requests)
    if as_json:
        rows = [
            {**vars(s), "first_requested": s.first_requested.isoformat(),
             "last_requested": s.last_requested.isoformat()}
            for s in found
        ]  # fmt: skip
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"purchase suggestions for {library} ({purchase.MACHINE_LABEL}s):")
    if not found:
        click.echo("  none")
    for s in found:
        click.echo(
            f"  {s.work_id}  {s.title}: {s.reason} "
            f"[{s.first_requested:%Y-%m-%d}..{s.last_requested:%Y-%m-%d}]"
        )


def add_to(group: click.Group) -> None:
    for command in (stats_command, forecast_command, purchase_command):
        group.add_command(command)
