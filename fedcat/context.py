"""What every `fedcat` command needs: the settings, the partner registry, the catalogue, and
engine failures as messages. Its own module, so command groups in other modules
(`fedcat.works_cli`) share it without importing the CLI's entry point.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from config.partners import Partner, RegistryError, load_registry
from config.settings import Settings, SettingsError, from_environment


def _settings() -> Settings:
    try:
        return from_environment()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _partners(settings: Settings, wanted: tuple[str, ...] = ()) -> list[Partner]:
    try:
        partners = load_registry(settings.partners_file)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    if wanted:
        known = {p.id for p in partners}
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise click.ClickException(
                f"unknown partner(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        partners = [p for p in partners if p.id in wanted]
    return partners


@contextmanager
def _engine_errors() -> Iterator[None]:
    """An engine that fails (Elasticsearch away or hung past FEDCAT_ES_TIMEOUT, a locked
    tantivy index) ends the command with its message, not a traceback."""
    from indexer.engine import EngineError

    try:
        yield
    except EngineError as exc:
        raise click.ClickException(str(exc)) from None


def _open_catalog(settings: Settings, partners: list[Partner]):
    from ai.suggestions import SuggestionStore
    from indexer.catalog import Catalog, open_state
    from indexer.engines import open_engine

    with _engine_errors():
        engine = open_engine(settings)
    db = open_state(settings.state_db)
    names = {p.id: p.name for p in partners}
    return Catalog(db, engine, names, annotations=SuggestionStore(db))
