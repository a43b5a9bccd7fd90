"""`fedcat ill …`: the housekeeping of inter-library loan, for cron or a systemd timer.

`fedcat ill tick` (run it every few minutes) passes over lenders that did not answer in time,
marks late loans overdue, deletes copies whose download period is over, anonymises requests
closed for longer than the retention period and sends the mail that is due. `send-mail` and
`anonymise` do one of those steps alone. Settings come from the environment (`fedcat --help`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import click
import sqlalchemy as sa

from config.partners import Partner, RegistryError, load_registry
from config.settings import Settings, SettingsError, from_environment
from ill.copies import Copies, CopySettings
from ill.notify import SendReport, SmtpSettings, send_due
from ill.retention import anonymise_closed
from ill.service import IllService, IllSettings
from ill.store import RequestStore, open_store


def address_book(accounts_store, partners: list[Partner]) -> Callable[[str, str], str | None]:
    """Recipients' addresses, looked up when mail is sent: a patron's from their account
    (by home library and card number), a library's from the partner registry (`ill_email`)."""
    library_mail = {p.id: p.ill_email for p in partners if p.ill_email}

    def address(kind: str, ref: str) -> str | None:
        if kind == "library":
            return library_mail.get(ref)
        library_id, _, card = ref.partition(":")
        found = accounts_store.find_patron(library_id, card) if card else None
        return (found[0].email or None) if found else None

    return address


@dataclass
class Housekeeping:
    """What one run of `fedcat ill tick` needs, built from the settings."""

    settings: Settings
    store: RequestStore
    service: IllService
    partners: list[Partner]

    def send_to_peers(self, now: datetime) -> str:
        """Send what is due to partners' own ILL systems (ISO 18626)."""
        from ill.peers.sender import send_due
        from ill.peers.wiring import peer_secrets

        try:
            secrets = peer_secrets(self.partners)
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from None
        report = send_due(self.service, self.partners, secrets, now)
        return (
            f"to partner systems: {report.sent} sent, {report.refused} refused, "
            f"{report.retry} to retry later"
        )

    def copies(self) -> Copies:
        s = self.settings
        copy_settings = CopySettings(
            s.data_dir / "copies", s.copy_days, s.copy_limit, s.copy_max_mb * 1024 * 1024
        )
        return Copies(self.service, copy_settings)

    def send_mail(self, now: datetime) -> SendReport | None:
        if not self.settings.smtp_host:
            return None
        from accounts.store import open_store as open_account_store

        accounts = open_account_store(self.settings.database_location)
        try:
            smtp = SmtpSettings(
                self.settings.smtp_host, self.settings.smtp_port, self.settings.smtp_from
            )
            return send_due(self.store, address_book(accounts, _partners(self.settings)), smtp, now)
        finally:
            accounts.close()


def _partners(settings: Settings) -> list[Partner]:
    try:
        return load_registry(settings.partners_file)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def request_store() -> Iterator[tuple[Settings, RequestStore]]:
    """The settings and the request store they name, closed afterwards; a bad setting or a
    store that cannot be opened is a clear CLI error."""
    try:
        settings = from_environment()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if not settings.database:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        store = open_store(settings.database_location)
    except sa.exc.OperationalError as exc:
        raise click.ClickException(f"cannot open the request store: {exc.orig}") from None
    try:
        yield settings, store
    finally:
        store.close()


@contextmanager
def _housekeeping() -> Iterator[Housekeeping]:
    with request_store() as (settings, store):
        from ill.peers.wiring import ill_service

        partners = _partners(settings)
        service = ill_service(store, partners, IllSettings(answer_days=settings.ill_answer_days))
        yield Housekeeping(settings, store, service, partners)


def _say_mail(report: SendReport | None) -> None:
    if report is None:
        click.echo("mail: no SMTP server set (FEDCAT_SMTP_HOST); messages stay queued")
    else:
        click.echo(
            f"mail: {report.sent} sent, {report.retry} to retry later, "
            f"{report.given_up} without an address"
        )


@click.group()
def ill() -> None:
    """Inter-library loan housekeeping: mail, expiry, overdue loans, copies, anonymising."""


@ill.command("send-mail")
def send_mail() -> None:
    """Send the request mail that is due (a failure is retried later, nothing twice)."""
    with _housekeeping() as house:
        _say_mail(house.send_mail(datetime.now(UTC)))


@ill.command("send-peers")
def send_peers() -> None:
    """Send the ISO 18626 messages due to partners' own ILL systems (in order, retried)."""
    with _housekeeping() as house:
        click.echo(house.send_to_peers(datetime.now(UTC)))


@ill.command()
def anonymise() -> None:
    """Unlink patrons from requests closed longer than FEDCAT_ILL_RETENTION_DAYS."""
    with _housekeeping() as house:
        count = anonymise_closed(house.store, datetime.now(UTC), house.settings.ill_retention_days)
        click.echo(f"anonymised: {count} closed request(s)")


@ill.command()
def tick() -> None:
    """Expire unanswered requests, mark overdue loans, delete old copies, anonymise, mail."""
    with _housekeeping() as house:
        now = datetime.now(UTC)
        click.echo(f"passed on (no answer): {len(house.service.expire_unanswered())}")
        click.echo(f"marked overdue: {len(house.service.mark_overdue())}")
        click.echo(f"copies deleted: {house.copies().delete_expired(now)}")
        retention = house.settings.ill_retention_days
        click.echo(f"anonymised: {anonymise_closed(house.store, now, retention)}")
        _say_mail(house.send_mail(now))
        click.echo(house.send_to_peers(now))


def register(main: click.Group) -> None:
    """Add `ill` (with its demand reports, `ill.demand_cli`) to the `fedcat` command."""
    from ill.demand_cli import add_to

    add_to(ill)
    main.add_command(ill)
