"""Per-library API tokens and a patron's own data, on both stores."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from accounts import schema
from accounts.errors import AccountExists, InvalidAccount, SignInRefused, TokenInvalid

pytest_plugins = ["tests.fixtures.accounts_stores"]


def test_a_token_is_shown_once_and_only_its_hash_is_stored(account_service, account_clock):
    new = account_service.create_token("north", "north discovery")
    assert new.secret.startswith("fedcat_") and len(new.secret) == len("fedcat_") + 43
    assert new.token.library_id == "north" and new.token.name == "north discovery"
    assert new.token.created_at == account_clock.now and new.token.last_used_at is None
    with account_service.store.engine.connect() as connection:
        rows = connection.execute(sa.select(schema.api_tokens)).all()
    assert [row.token_hash for row in rows] == [hashlib.sha256(new.secret.encode()).hexdigest()]
    assert new.secret not in repr(rows)
    assert account_service.list_tokens() == [new.token]


def test_a_token_acts_for_its_library_and_records_when_it_was_used(account_service, account_clock):
    north = account_service.create_token("north", "discovery")
    south = account_service.create_token("south", "discovery")
    account_clock.advance(minutes=5)
    assert account_service.authenticate_token(north.secret).library_id == "north"
    assert account_service.authenticate_token(south.secret).library_id == "south"
    used = {t.library_id: t.last_used_at for t in account_service.list_tokens()}
    assert used == {"north": account_clock.now, "south": account_clock.now}
    used_at = account_clock.now
    account_clock.advance(seconds=30)  # written at most once a minute
    assert account_service.authenticate_token(north.secret).last_used_at == used_at
    account_clock.advance(seconds=31)
    assert account_service.authenticate_token(north.secret).last_used_at == account_clock.now
    assert account_service.list_tokens("north")[0].last_used_at == account_clock.now


def test_a_revoked_or_unknown_token_is_refused(account_service):
    new = account_service.create_token("north", "discovery")
    keep = account_service.create_token("north", "staff tool")
    assert account_service.revoke_token(new.token.id) is True
    assert account_service.revoke_token(new.token.id) is False
    with pytest.raises(TokenInvalid, match="unknown or revoked API token"):
        account_service.authenticate_token(new.secret)
    with pytest.raises(TokenInvalid):
        account_service.authenticate_token("fedcat_" + "x" * 43)
    assert account_service.authenticate_token(keep.secret).id == keep.token.id


def test_token_names_are_unique_within_a_library(account_service):
    account_service.create_token("north", "discovery")
    account_service.create_token("south", "discovery")
    with pytest.raises(AccountExists, match="library north already has a token named 'discovery'"):
        account_service.create_token("north", "discovery")
    with pytest.raises(InvalidAccount, match="token name"):
        account_service.create_token("north", "  ")
    assert [t.library_id for t in account_service.list_tokens()] == ["north", "south"]


def test_a_patron_downloads_everything_kept_about_them(account_service, account_clock):
    ann, _ = account_service.add_patron("north", "P100", "Ann Reader", "ann@example.org", "4711")
    signed_in = account_service.sign_in_patron("north", "P100", "4711", "10.0.0.1")
    account_clock.advance(minutes=3)
    with pytest.raises(SignInRefused):
        account_service.sign_in_patron("north", "P100", "0000", "10.0.0.1")
    start = signed_in.session.created_at
    export = account_service.export_patron_data(ann)
    assert export == {
        "library_id": "north",
        "role": "patron",
        "card_number": "P100",
        "name": "Ann Reader",
        "email": "ann@example.org",
        "pin": "stored only as an argon2 hash, which cannot be turned back into the PIN",
        "sessions": [
            {
                "created_at": start.isoformat(),
                "last_seen_at": start.isoformat(),
                "expires_at": signed_in.session.expires_at.isoformat(),
            }
        ],
        "failed_sign_ins": 1,
    }
    assert json.loads(json.dumps(export)) == export
    with account_service.store.engine.connect() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("accounts")}
    assert columns - set(export) == {"id", "username", "secret_hash"}
