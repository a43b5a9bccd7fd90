"""`fedcat libraries …`: the operator's per-library lending rules for inter-library loan.

`fedcat libraries rules LIBRARY [options]` changes only the rules given (the rest keep their
current value, or the defaults for a library never set); `fedcat libraries show` lists them.
The store is `--db` (an SQLite file or a postgresql:// DSN), else FEDCAT_DATABASE, else
`shared.sqlite` in FEDCAT_DATA_DIR — the same database the web app uses.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

import click

from accounts.cli import default_location
from ill.errors import IllError
from ill.model import Closure, LendingRules
from ill.service import IllService
from ill.store import open_store

RATIO = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")
LIBRARY_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def _service(ctx: click.Context) -> IllService:
    state = ctx.ensure_object(dict)
    if "ill" not in state:
        location = state.get("db") or default_location()
        try:
            store = open_store(location)
        except Exception as exc:  # a bad path or an unreachable server: say which
            raise click.ClickException(f"cannot open the request store {location}: {exc}") from None
        ctx.call_on_close(store.close)
        state["ill"] = IllService(store)
    return state["ill"]


def _ratio(text: str) -> tuple[int, int]:
    found = RATIO.match(text)
    if not found:
        raise click.BadParameter(f"{text!r}: write the agreed ratio as LEND:BORROW, e.g. 2:1")
    return int(found.group(1)), int(found.group(2))


def _closure(text: str) -> Closure:
    first, sep, last = text.partition("..")
    try:
        closure = Closure(date.fromisoformat(first.strip()), date.fromisoformat(last.strip()))
    except ValueError:
        sep = ""
    if not sep:
        raise click.BadParameter(
            f"{text!r}: write a closure as FROM..TO, e.g. 2025-12-24..2026-01-02"
        )
    if closure.last < closure.first:
        raise click.BadParameter(f"{text!r}: the closure ends before it starts")
    return closure


def describe(rules: LendingRules) -> str:
    closures = ", ".join(f"{c.first}..{c.last}" for c in rules.closures) or "none"
    cap = "none" if rules.daily_cap is None else str(rules.daily_cap)
    return (
        f"{rules.library_id}: lends {'yes' if rules.lends else 'no'}, loan period "
        f"{rules.loan_period_days} days, daily cap {cap}, ratio "
        f"{rules.ratio_lend}:{rules.ratio_borrow}, closed {closures}, patron names on "
        f"lenders' slips {'yes' if rules.print_patron_names else 'no'}"
    )


@click.group()
@click.option("--db", "db", envvar="FEDCAT_DATABASE", help="Request store: an SQLite file or a "
              "postgresql:// DSN [env FEDCAT_DATABASE].")  # fmt: skip
@click.pass_context
def libraries(ctx: click.Context, db: str | None) -> None:
    """Per-library lending rules for inter-library loan."""
    if db:
        ctx.ensure_object(dict)["db"] = db


@libraries.command("rules")
@click.argument("library")
@click.option("--lends/--no-lends", default=None, help="Whether the library lends at all.")
@click.option("--loan-days", type=click.IntRange(min=1), help="Loan period in days.")
@click.option("--daily-cap", type=click.IntRange(min=0), help="New requests a day at most.")
@click.option("--no-daily-cap", is_flag=True, help="Remove the daily cap.")
@click.option("--ratio", help="Agreed lend:borrow ratio, e.g. 2:1.")
@click.option("--closed", multiple=True, help="A closure FROM..TO (repeat; replaces the list).")
@click.option("--open", "reopen", is_flag=True, help="Remove every closure.")
@click.option("--print-patron-names/--no-print-patron-names", default=None,
              help="As a borrowing library: show its patrons' names on lenders' pull slips "
              "(off by default; see docs/privacy.md).")  # fmt: skip
@click.pass_context
def rules(ctx: click.Context, library: str, **given: Any) -> None:
    """Set LIBRARY's lending rules; options not given keep their current value."""
    if not LIBRARY_ID.match(library):
        raise click.BadParameter("1-100 letters, digits, '.', '_' or '-'", param_hint="LIBRARY")
    service = _service(ctx)
    current = service.store.rules([library]).get(library) or LendingRules(library)
    changes: dict[str, Any] = {}
    if given["lends"] is not None:
        changes["lends"] = given["lends"]
    if given["loan_days"] is not None:
        changes["loan_period_days"] = given["loan_days"]
    if given["daily_cap"] is not None or given["no_daily_cap"]:
        changes["daily_cap"] = None if given["no_daily_cap"] else given["daily_cap"]
    if given["ratio"]:
        changes["ratio_lend"], changes["ratio_borrow"] = _ratio(given["ratio"])
    if given["print_patron_names"] is not None:
        changes["print_patron_names"] = given["print_patron_names"]
    if given["closed"] or given["reopen"]:
        changes["closures"] = tuple(_closure(text) for text in given["closed"])
    updated = dataclasses.replace(current, **changes)
    try:
        service.set_rules(updated)
    except IllError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(describe(updated))


@libraries.command("show")
@click.argument("library", required=False)
@click.pass_context
def show(ctx: click.Context, library: str | None) -> None:
    """The lending rules of every library that has some (or of LIBRARY)."""
    known = _service(ctx).store.rules()
    if library:
        click.echo(describe(known.get(library) or LendingRules(library)))
        return
    if not known:
        click.echo("no library has lending rules yet: every library lends with the defaults")
    for library_id in sorted(known):
        click.echo(describe(known[library_id]))
