"""`fedcat backup DEST` and `fedcat restore SRC`: the data directory, safely copied and put
back (fedcat.backup), the index rebuilt on restore with the restoring settings' engine."""

from __future__ import annotations

import time
from pathlib import Path

import click

from fedcat.backup import BackupError, backup, restore_files
from fedcat.context import _engine_errors, _open_catalog, _partners, _settings


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_command(dest: Path) -> None:
    """Copy the data directory into the new directory DEST, while fedcat runs.

    SQLite files are copied with SQLite's online backup (each one a consistent snapshot),
    other files as they are, the search index not at all (restore rebuilds it). DEST gets a
    manifest of every file with its checksum. A PostgreSQL FEDCAT_DATABASE is not in the
    data directory: back it up with pg_dump.
    """
    settings = _settings()
    started = time.monotonic()
    try:
        manifest = backup(settings.data_dir, dest)
    except (BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    size = sum(f.size for f in manifest.files)
    click.echo(
        f"backed up {len(manifest.files)} files ({size / 1e6:.1f} MB) from {settings.data_dir} "
        f"to {dest} in {time.monotonic() - started:.1f}s"
    )
    if settings.database.startswith("postgresql"):
        click.echo("requests and accounts are in PostgreSQL: back them up with pg_dump")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Restore into a data directory that is not empty.")
def restore_command(src: Path, force: bool) -> None:
    """Restore the backup SRC into the data directory and rebuild the search index.

    The backup is checked first (manifest, every file's checksum, SQLite's integrity check):
    a corrupt, incomplete or newer-format backup is refused and nothing is touched. A data
    directory that holds anything is refused unless --force. Stop `fedcat serve` and
    harvests on this data directory first.
    """
    settings = _settings()
    started = time.monotonic()
    try:
        manifest = restore_files(src, settings.data_dir, force=force)
    except (BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    catalog = _open_catalog(settings, _partners(settings))
    try:
        with _engine_errors():
            works = catalog.reindex()
    finally:
        catalog.engine.close()
    click.echo(
        f"restored {len(manifest.files)} files from {src} (taken {manifest.created}) into "
        f"{settings.data_dir}; reindexed {works} works into {settings.engine} in "
        f"{time.monotonic() - started:.1f}s"
    )
