"""Demo-only sign-ins for `fedcat demo`: one patron and one staff member per demo library.

They let a newcomer place a request in the browser, then play the lender and the borrower.
The credentials are fixed and printed at start, so they are for the demo's own database only:
never create them on a real consortium's database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accounts.service import AccountService
from config.partners import Partner

DEMO_CARD = "DEMO-0001"
DEMO_PIN = "2468"
DEMO_PATRON_NAME = "Demo Patron"


@dataclass(frozen=True)
class DemoLogin:
    """One demo sign-in, as printed: who it is, and the two things to type."""

    role: str  # "patron" or "staff"
    library_id: str
    login: str  # card number or username
    secret: str  # PIN or password


def demo_logins(partners: Sequence[Partner]) -> list[DemoLogin]:
    """The patron at the first library and one staff member at each library."""
    logins = [DemoLogin("patron", partners[0].id, DEMO_CARD, DEMO_PIN)] if partners else []
    logins += [
        DemoLogin("staff", p.id, f"{p.id.lower()}-staff", f"demo-{p.id.lower()}-password")
        for p in partners
    ]
    return logins


def ensure_demo_accounts(accounts: AccountService, partners: Sequence[Partner]) -> list[DemoLogin]:
    """Create the demo accounts, or reset their secrets to the demo ones: safe to run again."""
    logins = demo_logins(partners)
    for login in logins:
        if login.role == "patron":
            found = accounts.store.find_patron(login.library_id, login.login)
        else:
            found = accounts.store.find_staff(login.login)
        if found is None and login.role == "patron":
            accounts.add_patron(login.library_id, login.login, DEMO_PATRON_NAME, pin=login.secret)
        elif found is None:
            accounts.add_staff(login.library_id, login.login, login.secret)
        elif not accounts.hasher.verify(found[1], login.secret):
            accounts.set_secret(found[0].id, login.secret)
    return logins


def describe(logins: Sequence[DemoLogin]) -> list[str]:
    """The lines `fedcat demo` prints, clearly marked as demo-only."""
    lines = ["DEMO-ONLY sign-ins (this demo database only; never use them elsewhere):"]
    for login in logins:
        if login.role == "patron":
            lines.append(f"  patron at {login.library_id}: card {login.login}, PIN {login.secret}")
        else:
            lines.append(
                f"  staff at {login.library_id}: user {login.login}, password {login.secret}"
            )
    return lines
