"""`fedcat users …` and `fedcat tokens …`: the operator's account commands.

Two click groups, `users` and `tokens`, for `fedcat.cli` to add (`register(main)`). The store
is `--db` (an SQLite file or a postgresql:// DSN), else FEDCAT_DATABASE, else
`shared.sqlite` in FEDCAT_DATA_DIR. Secrets typed at a prompt are hidden; generated PINs and
new API tokens are printed once and kept nowhere.
"""

from __future__ import annotations

import csv
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from accounts.errors import AccountError, ImportRefused
from accounts.model import ROLES
from accounts.passwords import SecretHasher, argon2_hasher
from accounts.service import AccountService
from accounts.store import open_store

DB_HELP = "Account store: an SQLite file or a postgresql:// DSN [env FEDCAT_DATABASE]."


def default_location() -> str:
    from config.settings import SettingsError, from_environment

    try:
        return from_environment().database_location
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _hasher() -> SecretHasher:
    """New hashes with the operator's FEDCAT_PASSWORD_COST costs, as the web app makes them."""
    from config.settings import SettingsError, from_environment

    try:
        return argon2_hasher(*from_environment().password_cost)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _service(ctx: click.Context) -> AccountService:
    """The service for this command, opened once and closed when the command ends."""
    state = ctx.ensure_object(dict)
    if "accounts" not in state:
        location = state.get("accounts_db") or default_location()
        try:
            store = open_store(location)
        except Exception as exc:  # a bad path or an unreachable server: say which
            raise click.ClickException(f"cannot open the account store {location}: {exc}") from None
        ctx.call_on_close(store.close)
        state["accounts"] = AccountService(store, hasher=_hasher())
    return state["accounts"]


def _errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Account errors become a clear message and exit status 1, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ImportRefused as exc:
            lines = "\n".join(f"  {problem}" for problem in exc.problems)
            raise click.ClickException(
                f"{exc.library_id}: the file was refused and nothing was imported:\n{lines}"
            ) from None
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _db_option(group: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--db", "db", envvar="FEDCAT_DATABASE", help=DB_HELP)(group)


@click.group()
@_db_option
@click.pass_context
def users(ctx: click.Context, db: str | None) -> None:
    """Patron, staff and operator accounts."""
    if db:
        ctx.ensure_object(dict)["accounts_db"] = db


@users.command("add")
@click.option("--library", required=True, help="The library (partner id) the account belongs to.")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
@click.option("--username", help="Staff and operators: the sign-in name.")
@click.option("--card", "card_number", help="Patrons: the library card number.")
@click.option("--name", default="", help="The person's name (required for patrons).")
@click.option("--email", default="", help="E-mail address (optional).")
@click.option("--generate-pin", is_flag=True, help="Patrons: make a PIN and print it once.")
@click.pass_context
@_errors
def add(ctx, library, role, username, card_number, name, email, generate_pin) -> None:
    """Create an account. The password or PIN is asked for (hidden), never taken as an option."""
    service = _service(ctx)
    if role == "patron":
        if not card_number or username:
            raise click.UsageError("a patron has --card (and no --username)")
        pin = (
            None if generate_pin else click.prompt("PIN", hide_input=True, confirmation_prompt=True)
        )
        account, generated = service.add_patron(library, card_number, name, email, pin)
        click.echo(f"added patron account {account.id} at {account.library_id}")
        if generated:
            click.echo(f"PIN (shown once): {generated}")
        return
    if not username or card_number or generate_pin:
        raise click.UsageError(f"a {role} account has --username (and no --card or --generate-pin)")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    account = service.add_staff(library, username, password, role=role, name=name, email=email)
    click.echo(f"added {role} account {account.id} ({account.username}) at {account.library_id}")


@users.command("list")
@click.option("--library", help="Only this library's accounts.")
@click.option("--role", type=click.Choice(ROLES), help="Only accounts with this role.")
@click.pass_context
@_errors
def list_users(ctx, library, role) -> None:
    """List accounts: id, library, role, card number or username, name."""
    for account in _service(ctx).store.list_accounts(library, role):
        login = account.card_number or account.username
        where = f"{account.library_id:<12} {account.role:<9}"
        click.echo(f"{account.id:>6}  {where} {login:<20} {account.name}")


@users.command("import-patrons")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--library", required=True, help="The library whose patrons these are.")
@click.option(
    "--pins-file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write generated PINs (card_number,pin) here instead of printing them.",
)
@click.pass_context
@_errors
def import_patrons(ctx, file: Path, library: str, pins_file: Path | None) -> None:
    """Create or update a library's patrons from a CSV file (card_number, name, email[, pin]).

    The whole file is checked first: one bad row refuses the file, every bad line is named,
    and nothing is imported.
    """
    report = _service(ctx).import_patrons(library, file)
    click.echo(
        f"{report.library_id}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged",
        err=True,
    )
    if report.ignored_columns:
        click.echo(f"ignored columns (not kept): {', '.join(report.ignored_columns)}", err=True)
    if not report.new_pins:
        return
    if pins_file is None:
        click.echo(
            f"generated PINs for {len(report.new_pins)} new patron(s), shown once:", err=True
        )
        _write_pins(sys.stdout, report.new_pins)
        return
    pins_file.touch(mode=0o600)
    with pins_file.open("w", newline="", encoding="utf-8") as out:
        _write_pins(out, report.new_pins)
    click.echo(f"generated PINs for {len(report.new_pins)} new patron(s) in {pins_file}", err=True)


def _write_pins(out, pins: dict[str, str]) -> None:
    writer = csv.writer(out)
    writer.writerow(["card_number", "pin"])
    writer.writerows(sorted(pins.items()))


@users.command("remove")
@click.argument("account_id", type=int)
@click.confirmation_option(prompt="Remove this account and its sessions?")
@click.pass_context
@_errors
def remove(ctx, account_id: int) -> None:
    """Delete ACCOUNT_ID and its sessions (the patron or staff member is gone from fedcat)."""
    _service(ctx).remove_account(account_id)
    click.echo(f"removed account {account_id}")


@users.command("revoke-sessions")
@click.argument("account_id", type=int)
@click.pass_context
@_errors
def revoke_sessions(ctx, account_id: int) -> None:
    """End every session of ACCOUNT_ID (signed out everywhere)."""
    service = _service(ctx)
    service.store.get_account(account_id)
    click.echo(
        f"ended {service.revoke_all_sessions(account_id)} session(s) of account {account_id}"
    )


@users.command("purge-expired")
@click.pass_context
@_errors
def purge_expired(ctx) -> None:
    """Delete expired sessions and old sign-in throttle counters (run it daily)."""
    sessions, counters = _service(ctx).purge_expired()
    click.echo(f"deleted {sessions} expired session(s) and {counters} old throttle counter(s)")


@click.group()
@_db_option
@click.pass_context
def tokens(ctx: click.Context, db: str | None) -> None:
    """API tokens for a library's own discovery layer."""
    if db:
        ctx.ensure_object(dict)["accounts_db"] = db


@tokens.command("create")
@click.option("--library", required=True, help="The library the token acts for.")
@click.option("--name", required=True, help="What the token is for, e.g. 'north discovery'.")
@click.pass_context
@_errors
def create_token(ctx, library: str, name: str) -> None:
    """Create a token; it is printed once (fedcat keeps only its hash)."""
    new = _service(ctx).create_token(library, name)
    click.echo(f"token {new.token.id} for {new.token.library_id} ({new.token.name}), shown once:")
    click.echo(new.secret)


@tokens.command("list")
@click.option("--library", help="Only this library's tokens.")
@click.pass_context
@_errors
def list_tokens(ctx, library: str | None) -> None:
    """List tokens: id, library, name, created, last used."""
    for token in _service(ctx).list_tokens(library):
        used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
        created = token.created_at.isoformat(timespec="seconds")
        click.echo(f"{token.id}  {token.library_id:<12} {token.name:<24} {created}  {used}")


@tokens.command("revoke")
@click.argument("token_id")
@click.pass_context
@_errors
def revoke_token(ctx, token_id: str) -> None:
    """Revoke TOKEN_ID: the discovery layer using it is refused from now on."""
    if not _service(ctx).revoke_token(token_id):
        raise click.ClickException(f"no API token {token_id}")
    click.echo(f"revoked token {token_id}")


def register(main: click.Group) -> None:
    """Add `users` and `tokens` to the `fedcat` command."""
    main.add_command(users)
    main.add_command(tokens)
