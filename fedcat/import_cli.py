"""`fedcat import PARTNER FILE...`: a partner's exported files into the catalogue.

For partners without OAI-PMH. The files run through the harvester's runner as one partner
run (`harvester.runner.harvest_source` over `indexer.record_files.FileSource`), so an import
is mapped, matched, checkpointed, resumed after a crash, swept (with --full, under the
removal guard) and reported exactly as a harvest is.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import click

from config.settings import DEFAULT_BATCH_SIZE
from fedcat.context import _open_catalog, _partners, _settings


@click.command("import")
@click.argument("partner_id")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--full", is_flag=True, help="The files are the whole catalogue: remove the "
              "partner's records that are not in them (under FEDCAT_MAX_REMOVAL).")  # fmt: skip
@click.option(
    "--batch-size",
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    type=click.IntRange(min=1),
    help="Records applied (and checkpointed) together.",
)
@click.option(
    "--allow-removal",
    is_flag=True,
    help="Confirm that --full may remove more than FEDCAT_MAX_REMOVAL of the partner's "
    "records, this run only.",
)
@click.option("--quiet", is_flag=True, help="No live progress display.")
def import_files(partner_id, files, full, batch_size, allow_removal, quiet) -> None:
    """Import FILES (MARC 21 ISO 2709, MARCXML, MODS, CNMARC/UNIMARC) for PARTNER_ID.

    A record replaces the partner's record with the same id (001, or MODS
    recordIdentifier). Killed or stopped, the same command continues where it was.
    """
    from fedcat.progress import HarvestProgress
    from fedcat.stopping import exit_status, until_signalled
    from harvester.checkpoints import Checkpoints
    from harvester.errors import HarvestError
    from harvester.removal import RemovalGuard
    from harvester.runner import harvest_source
    from indexer.record_files import FileSource, import_prefix, open_record_file

    settings = _settings()
    [partner] = _partners(settings, (partner_id,))
    try:
        record_files = [open_record_file(partner.id, Path(f)) for f in files]
        prefix = import_prefix(partner.id, record_files)
    except HarvestError as exc:
        raise click.ClickException(exc.message) from None
    importing = replace(partner, metadata_prefix=prefix, set="")
    source = FileSource(partner.id, record_files, batch_size)
    catalog = _open_catalog(settings, _partners(settings))
    checkpoints = Checkpoints(settings.state_db, reports_dir=settings.data_dir / "reports")
    try:
        with HarvestProgress([partner], enabled=not quiet) as progress:
            report = asyncio.run(
                until_signalled(
                    lambda stop: harvest_source(
                        importing,
                        source,
                        catalog,
                        checkpoints,
                        full=full,
                        batch_size=batch_size,
                        progress=progress,
                        removal=RemovalGuard(settings.max_removal, allow_removal),
                        stop=stop,
                    )
                )
            )
    finally:
        catalog.engine.close()
    click.echo(report.summary())
    [result] = report.partners
    if report.interrupted:
        raise SystemExit(exit_status(report.interrupted))
    if result.error:
        raise click.ClickException(f"{partner.id}: {result.error} (report: {report.path})")
