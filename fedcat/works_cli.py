"""`fedcat works`: the operator's say over work matching (split, merge, audit, rematch).

Decisions are kept in the state file as pairs of records (`indexer.overrides`), so they
survive re-harvests, `fedcat works rematch` and `fedcat reindex`; old work ids redirect.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any

import click

from fedcat.context import _engine_errors, _open_catalog, _partners, _settings
from indexer.works import UnknownRecord, UnknownWork

RECORD_HELP = "RECORD is PARTNER:IDENTIFIER, the partner's id and its OAI-PMH identifier."


def _record_key(record: str) -> str:
    partner, sep, identifier = record.partition(":")
    if not sep or not partner or not identifier:
        raise click.BadParameter(f"{record!r}: expected PARTNER:IDENTIFIER", param_hint="RECORD")
    return f"{partner}\x1f{identifier}"


def _with_catalog(action: Callable[[Any], Any]) -> Any:
    settings = _settings()
    catalog = _open_catalog(settings, _partners(settings))
    try:
        with _engine_errors():
            return action(catalog)
    except (UnknownRecord, UnknownWork) as exc:
        kind = "record" if isinstance(exc, UnknownRecord) else "work"
        shown = str(exc.args[0]).replace("\x1f", ":")
        raise click.ClickException(f"no {kind} {shown!r} in the catalogue") from None
    finally:
        catalog.engine.close()


_OPERATOR = click.option(
    "--operator", default=getpass.getuser, show_default="your login", help="Who decided."
)


@click.group(epilog=RECORD_HELP)
def works() -> None:
    """Split a record out of its work, merge two works, list the decisions."""


@works.command()
@click.argument("record")
@_OPERATOR
def split(record: str, operator: str) -> None:
    """Take RECORD out of its work, for good."""
    key = _record_key(record)
    new_id = _with_catalog(lambda catalog: catalog.split(key, operator))
    click.echo(f"{record} is now in work {new_id}")


@works.command()
@click.argument("work")
@click.argument("other")
@_OPERATOR
def merge(work: str, other: str, operator: str) -> None:
    """Merge work OTHER into WORK (OTHER's id redirects to WORK)."""
    kept = _with_catalog(lambda catalog: catalog.merge(work, other, operator))
    click.echo(f"merged {other} into {kept}")


@works.command()
def rematch() -> None:
    """Match every stored record again under the present rules; decisions are kept."""
    count = _with_catalog(lambda catalog: catalog.rematch())
    click.echo(f"matched {count} records again")


@works.command()
def audit() -> None:
    """List the operators' decisions, oldest first."""
    entries = _with_catalog(lambda catalog: list(catalog.store.overrides.audit()))
    if not entries:
        click.echo("no decisions yet")
    for entry in entries:
        click.echo(entry.line().replace("\\u001f", ":"))
