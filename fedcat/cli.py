"""The `fedcat` command: harvest partners, serve the search page, show status, run the demo."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from contextlib import ExitStack

import click

from accounts.cli import register as register_accounts
from ai.cli import register as register_ai
from ai.cli import suggest_after_harvest
from config.partners import Partner
from config.settings import (
    DEFAULT_BATCH_SIZE,
    SETTINGS,
    markdown_table,
)
from fedcat.backup_cli import backup_command, restore_command
from fedcat.context import _engine_errors, _open_catalog, _partners, _settings
from fedcat.import_cli import import_files
from fedcat.libraries_cli import libraries
from fedcat.works_cli import works
from ill.cli import register as register_ill


def _settings_help() -> str:
    """The settings table for `fedcat --help` (\b keeps click from rewrapping it)."""
    lines = ["\b", "Settings come from the environment (variable=default):"]
    for s in SETTINGS:
        lines.append(f"  {s.env}={s.documented_default}")
        lines += textwrap.wrap(
            f"{s.kind}: {s.help}", 76, initial_indent=" " * 6, subsequent_indent=" " * 6
        )
    return "\n".join(lines)


@click.group(epilog=_settings_help())
@click.version_option(package_name="fedcat")
def main() -> None:
    """fedcat: federated search across partner library catalogues.

    `fedcat settings` shows each setting's value as read from the environment now.
    """


@main.command()
@click.option("--markdown", is_flag=True, help="The table for README.md and docs/.")
def settings(markdown: bool) -> None:
    """Each setting: its environment variable, the value read now, and its default."""
    if markdown:
        click.echo(markdown_table())
        return
    current = _settings()
    for s in SETTINGS:
        value = getattr(current, s.field)
        shown = "off" if value is None else str(value)
        click.echo(f"{s.env:<24} {shown:<32} (default {s.documented_default}; {s.kind})")


@main.command()
def partners() -> None:
    """List the partner libraries in the registry."""
    settings = _settings()
    for p in _partners(settings):
        click.echo(f"{p.id:<12} {p.name:<36} {p.metadata_prefix:<8} {p.base_url}")


@main.command()
@click.argument("partner_ids", nargs=-1)
@click.option("--full", is_flag=True, help="Re-harvest everything and remove vanished records.")
@click.option("--from", "from_date", help="Harvest records changed since this date (YYYY-MM-DD).")
@click.option("--concurrency", default=4, show_default=True, help="Partners harvested at once.")
@click.option(
    "--batch-size",
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    type=click.IntRange(min=1),
    help="Records applied (and checkpointed) together.",
)
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a partner may take to answer one request.",
)
@click.option(
    "--allow-removal",
    is_flag=True,
    help="Confirm that a full harvest of PARTNER_IDS (default: every partner) may remove more "
    "than FEDCAT_MAX_REMOVAL of their records, this run only.",
)
@click.option("--quiet", is_flag=True, help="No live progress display.")
def harvest(
    partner_ids, full, from_date, concurrency, batch_size, timeout, allow_removal, quiet
) -> None:
    """Harvest PARTNER_IDS (default: every partner) into the index.

    Incremental by default: each partner continues from its checkpoint. A failing partner
    is reported and stops only that partner. A full harvest that would remove more than
    FEDCAT_MAX_REMOVAL of a partner's records removes none of them until confirmed with
    --allow-removal.
    """
    settings = _settings()
    chosen = _partners(settings, partner_ids)
    every = _partners(settings)
    report = run_harvest(
        settings,
        chosen,
        every,
        full=full,
        from_date=from_date,
        concurrency=concurrency,
        batch_size=batch_size,
        timeout=timeout,
        quiet=quiet,
        allow_removal=(partner_ids or True) if allow_removal else (),
    )
    failed = [p for p in report.partners if p.error and not p.interrupted]
    if report.interrupted:
        from fedcat.stopping import exit_status

        for p in failed:
            click.echo(f"{p.partner_id}: {p.error}", err=True)
        raise SystemExit(exit_status(report.interrupted))
    if failed:
        raise click.ClickException(
            "; ".join(f"{p.partner_id}: {p.error}" for p in failed) + f" (report: {report.path})"
        )


def run_harvest(
    settings,
    chosen,
    every,
    *,
    full=False,
    from_date=None,
    concurrency=4,
    batch_size=DEFAULT_BATCH_SIZE,
    timeout=60.0,
    quiet=False,
    allow_removal=(),
):
    from fedcat.progress import HarvestProgress
    from fedcat.stopping import until_signalled
    from harvester.checkpoints import Checkpoints
    from harvester.client import RetryPolicy
    from harvester.removal import RemovalGuard
    from harvester.runner import harvest as run

    catalog = _open_catalog(settings, every)
    checkpoints = Checkpoints(settings.state_db, reports_dir=settings.data_dir / "reports")
    try:
        with HarvestProgress(chosen, enabled=not quiet) as progress:
            report = asyncio.run(
                until_signalled(
                    lambda stop: run(
                        chosen,
                        catalog,
                        checkpoints,
                        full=full,
                        from_date=from_date,
                        concurrency=concurrency,
                        batch_size=batch_size,
                        policy=RetryPolicy(timeout=timeout),
                        progress=progress,
                        removal=RemovalGuard(settings.max_removal, allow_removal),
                        stop=stop,
                    )
                )
            )
        if settings.ai_after_harvest and not report.interrupted:
            click.echo(suggest_after_harvest(settings, catalog))
    finally:
        catalog.engine.close()
    click.echo(report.summary())
    from fedcat.alerts import alert_operator

    alerted = alert_operator(settings, _health(settings, every))
    if alerted:
        click.echo(alerted)
    return report


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Per partner: last success, records, deleted, errors, next incremental start."""
    from harvester.checkpoints import Checkpoints

    settings = _settings()
    partners = _partners(settings)
    rows = Checkpoints(settings.state_db, reports_dir=settings.data_dir / "reports").status(
        [p.id for p in partners]
    )
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rows], indent=2, default=str))
        return
    header = ("partner", "last success", "records", "deleted", "errors", "next from")
    click.echo("{:<12} {:<22} {:>8} {:>8} {:>7}  {}".format(*header))
    for r in rows:
        click.echo(
            f"{r.partner_id:<12} {r.last_success or '-':<22} {r.records:>8} {r.deleted:>8} "
            f"{r.errors:>7}  {r.next_from or '-'}"
        )
        if r.run_in_progress:
            why = r.last_error or "no report (ended abruptly, or still running)"
            click.echo(f"{'':<12} unfinished run {r.run_in_progress}: {why}")
        elif r.last_error:
            click.echo(f"{'':<12} failed: {r.last_error}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def health(as_json: bool) -> None:
    """Per partner from the run history: records, runs, last success, recent runs, metadata
    quality (shares of records with ISBN/ISSN, subjects, language, year; of holdings with call
    numbers, statuses; records rejected by reason; repairs) and flags (stale, failing, removal
    held, quality drop). Exits 1 when a partner is flagged (for monitoring)."""
    from harvester.health import describe

    rows = _health(_settings())
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
    else:
        for r in rows:
            click.echo("\n".join(describe(r)))
    if any(r.flags for r in rows):
        raise SystemExit(1)


def _health(settings, partners=None):
    from harvester.checkpoints import Checkpoints
    from harvester.health import partner_health

    checkpoints = Checkpoints(settings.state_db, reports_dir=settings.data_dir / "reports")
    try:
        return partner_health(
            checkpoints,
            [p.id for p in (partners if partners is not None else _partners(settings))],
            stale_days=settings.stale_days,
            quality_drop=settings.quality_drop,
            volume_change=settings.volume_change,
        )
    finally:
        checkpoints.close()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--dev", is_flag=True, help="Flask's development server (one process), not gunicorn.")
def serve(host: str, port: int, dev: bool) -> None:
    """Serve the search page, record pages and the JSON API.

    Runs gunicorn with FEDCAT_WEB_WORKERS processes of FEDCAT_WEB_THREADS threads (--dev: the
    development server). Requests are logged without client addresses or query strings
    unless FEDCAT_ACCESS_LOG=full (or not at all with FEDCAT_ACCESS_LOG=off).
    """
    from fedcat.serving import serve as serve_app
    from fedcat.serving import serve_production
    from search_ui.app import create_app

    settings = _settings()
    partners = _partners(settings)
    server = "development server" if dev else f"gunicorn, {settings.web_workers} workers"
    click.echo(f"fedcat search page: http://{host}:{port}/  (engine: {settings.engine}; {server})")
    if dev:
        serve_app(create_app(settings, partners=partners), host, port, settings.access_log)
    else:
        serve_production(lambda: create_app(settings, partners=partners), settings, host, port)


@main.command()
def reindex() -> None:
    """Rebuild the search index from the stored records (no harvest needed)."""
    settings = _settings()
    catalog = _open_catalog(settings, _partners(settings))
    try:
        with _engine_errors():
            count = catalog.reindex()
    finally:
        catalog.engine.close()
    click.echo(f"reindexed {count} works into {settings.engine}")


@main.command()
@click.option("--port", default=5000, show_default=True, help="Port of the search page.")
@click.option("--no-serve", is_flag=True, help="Harvest the demo partners, then stop.")
def demo(port: int, no_serve: bool) -> None:
    """Start the demo partner libraries, harvest them, and serve the search page."""
    from demo.servers import running_demo_libraries

    settings = _settings()
    partners = _partners(settings)
    stack = ExitStack()
    try:
        urls = stack.enter_context(running_demo_libraries())
    except OSError as exc:
        raise click.ClickException(
            f"cannot start the demo libraries on 127.0.0.1:8401-8403 ({exc.strerror}); "
            "is another `fedcat demo` running?"
        ) from None
    with stack:
        click.echo("demo partner libraries: " + ", ".join(urls))
        run_harvest(settings, partners, partners, quiet=not sys.stderr.isatty())
        if no_serve:
            return
        from fedcat.serving import serve as serve_app
        from search_ui.app import create_app

        app = create_app(settings, partners=partners)
        _demo_accounts(app, partners)
        click.echo(f"fedcat search page: http://127.0.0.1:{port}/  (try: jazz, guitar, histoire)")
        serve_app(app, "127.0.0.1", port, settings.access_log)


def _demo_accounts(app, partners: list[Partner]) -> None:
    """Create (or reset) the demo sign-ins and print them, marked demo-only."""
    from demo.accounts import describe, ensure_demo_accounts
    from search_ui.extension import EXTENSION

    logins = ensure_demo_accounts(app.extensions[EXTENSION].accounts, partners)
    for line in describe(logins):
        click.echo(line)


register_accounts(main)
register_ill(main)
register_ai(main)


main.add_command(works)
main.add_command(libraries)
main.add_command(import_files)
main.add_command(backup_command)
main.add_command(restore_command)

if __name__ == "__main__":
    main()
